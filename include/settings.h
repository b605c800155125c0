/* settings.h: every setting of a scan, from four sources in order of
 * precedence: command line > environment > config file > built-in default.
 *
 * One table (settings.c) describes each setting once: its name (the long
 * option, the config key, and PORTOLAN_<NAME> in the environment), type,
 * bounds, default and help. The same table parses all four sources and
 * prints --help. */
#ifndef PORTOLAN_SETTINGS_H
#define PORTOLAN_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <glib.h>
#include <libconfig.h>

struct audit_policy;

/* Words of the per-row bit masks: room for 128 settings. */
#define SETTINGS_MASK_WORDS 2

struct settings {
	char *config_path;        /* -c, PORTOLAN_CONFIG */
	GPtrArray *targets;       /* char *: specs */
	char *targets_file;
	GPtrArray *exclude;       /* char *: specs */
	char *exclude_file;
	char *ports;
	unsigned top_ports;       /* --top-ports N (0: not given): ports then holds
				   * TCP's top N, and a UDP scan takes the UDP
				   * ranking's top N instead (plan.c) */
	char *exclude_ports;      /* never scanned, same syntax as ports */
	GPtrArray *outputs;       /* char *: paths, "-" for stdout */
	GPtrArray *output_formats; /* char *: one per output, "" for -f or the
				    * extension (nmap's -oX, -oJ, -oN, -oA set it) */
	char *format;             /* NULL: from each output's extension */
	char *states;             /* "open,closed" */
	char *family;             /* "any", "4" or "6" */
	char *method;             /* a scan method's name (method.h): "connect", "syn" */
	int64_t threads;
	int64_t timeout_ms;       /* initial timeout; also the cap unless max-timeout */
	int64_t min_timeout_ms;
	int64_t max_timeout_ms;   /* 0: same as timeout */
	int64_t max_rate;         /* probes per second, 0: unlimited */
	int64_t capture_buffer_kib; /* the SYN scan's capture buffer */
	char *user;               /* who a privileged scan run as root becomes */
	int64_t seed;             /* scan order; 0 picks one (recorded for resume) */
	bool sequential;          /* no permutation: index order */
	bool no_discovery;        /* -Pn: every host up, no discovery */
	bool discovery_only;      /* -sn: host rows only */
	GPtrArray *discovery_probes;  /* char *: "name" or "name:PORTS" items (a
				       * bare port continues the item before) */
	char *discovery_ports;    /* tcp-connect's ports */
	int64_t discovery_timeout_ms;
	int64_t discovery_retries;
	char *shard;              /* "i/N", 1-based, or NULL ("auto" is resolved by
				   * settings_load) */
	int64_t shard_count;      /* for --shard auto where the scheduler has no count; 0: none */
	const char *shard_source; /* static: where --shard auto found the shard, or NULL */
	char *timing;             /* a preset name, or NULL */
	int64_t retries;
	int64_t max_hosts;
	int64_t target_window;    /* specs per window of a long targets file */
	int64_t ptr_timeout_ms;
	bool reverse_dns;
	bool service_detection;
	char *probes_dir;         /* NULL: the installed probes, else ./probes */
	int64_t detect_timeout_ms;
	int64_t banner_wait_ms;
	bool dry_run;
	char *resume_from;        /* --resume FILE: continue the scan it records */
	char *resume_file;        /* where an interrupted scan records itself */
	char *findings_path;      /* --findings FILE: audit findings (.csv/.json/.jsonl) */
	char *baseline_path;      /* --baseline FILE: an earlier JSON output to compare with */
	struct audit_policy *policy; /* the config file's `policy` list (owned), or NULL */
	int verbosity;            /* -1 quiet, 0 normal, 1.. verbose */
	uint64_t explicit_set[SETTINGS_MASK_WORDS]; /* bit i: table entry i was given by some source */
	uint64_t from_env[SETTINGS_MASK_WORDS];     /* bit i: entry i's value is PORTOLAN_<NAME>'s */
};

enum settings_status {
	SETTINGS_OK,
	SETTINGS_DONE,            /* --help or --version was printed: exit 0 */
	SETTINGS_ERROR,           /* *err says why: exit 2 */
};

void settings_init(struct settings *s);
void settings_clear(struct settings *s);

/* Fills s from defaults, the config file (-c or PORTOLAN_CONFIG), the
 * environment and argv. Config file problems are all collected: *err holds
 * one line per problem. */
enum settings_status settings_load(struct settings *s, int argc, char **argv,
				   GError **err);

/* Parses s->states into a bit mask of (1 << enum port_state). */
int settings_states_mask(const char *states, unsigned *mask, GError **err);

void settings_print_help(FILE *fp);

/* Whether setting `name` (its long option) was given by some source
 * (command line, environment, config), rather than left at its default. */
bool settings_given(const struct settings *s, const char *name);

/* When the error in *err is about the value of setting `name` (its message
 * quotes `value`, a path) and that value came from the environment, prefixes
 * "environment PORTOLAN_<NAME>: ", so the user knows where to look. */
void settings_blame_env(const struct settings *s, const char *name, const char *value,
			GError **err);

/* Adds every setting a config file can hold to root, so that loading the
 * result gives the same scan (a resume file is such a config file). */
void settings_save(const struct settings *s, config_setting_t *root);

#endif
