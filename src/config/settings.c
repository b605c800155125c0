/* settings.c: the settings table and the four sources that fill it.
 *
 * Sources are applied lowest first (defaults, config file, environment,
 * command line), each overwriting what came before. A list given on a higher
 * source replaces the lower one's list rather than adding to it, so
 * `portolan -c audit.cfg 192.0.2.7` scans just 192.0.2.7. */
#include "settings.h"

#include <errno.h>
#include <getopt.h>
#include <libconfig.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit.h"
#include "nmapopts.h"
#include "errors.h"
#include "method.h"
#include "plan.h"
#include "ports.h"
#include "presets.h"
#include "shardenv.h"
#include "result.h"
#include "targets.h"
#include "targetwin.h"
#include "textesc.h"
#include "writer.h"

enum opt_type { T_STR, T_INT, T_BOOL, T_LIST, T_SPECIAL };

/* Where a setting may come from. */
enum { SRC_CLI = 1, SRC_ENV = 2, SRC_CFG = 4, SRC_ALL = 7 };

/* getopt codes of long-only options: KEY_LONG_ONLY + the option's row, above
 * every short option letter. */
enum { KEY_LONG_ONLY = 256 };

enum opt_flags {
	F_NMAP_OUTPUT = 1,         /* nmap's -oX and the like: one dash in messages */
	F_NMAP_ALIAS = 2,          /* another spelling, listed with nmap's in --help */
	F_PORT_SPEC = 4,           /* a negative config number would read as a range */
	F_DISCOVERY = 8,           /* a key of the config's discovery group, the
				      name's tail: discovery-probes is
				      discovery { probes = ... } */
};

struct settings;

/* Checks a textual value of a closed set where it is read, so an error names
 * its source (the option, the variable, or the file and line). Returns the
 * text to store (value itself or its canonical spelling), or NULL with *err
 * set. */
typedef const char *opt_check_fn(const char *value, GError **err);
/* What a scan would refuse in a value, checked for the environment even when
 * the command line overrides the variable. 0, or -1 with *err set. */
typedef int opt_env_check_fn(const char *value, GError **err);
/* Whether settings_save leaves the setting out. */
typedef bool opt_omit_fn(const struct settings *s);

struct opt {
	const char *name;          /* long option, config key, PORTOLAN_<NAME> */
	int key;                   /* short option letter, or 0 */
	const char *arg;           /* argument name in --help; NULL for flags */
	enum opt_type type;
	size_t off;                /* offset in struct settings */
	int64_t min, max;          /* T_INT bounds */
	const char *def;           /* default, as text (also shown by --help) */
	unsigned src;
	const char *help;
	opt_check_fn *check;       /* T_STR: a closed set, or NULL */
	opt_env_check_fn *env_check;
	opt_omit_fn *omit;
	unsigned flags;            /* enum opt_flags */
};

static opt_check_fn check_states, check_family, check_format, check_timing, check_method;
static opt_env_check_fn env_check_ports, env_check_shard, env_check_exclude;
static opt_omit_fn omit_default_window, omit_no_formats, omit_user_not_given;
static bool was_given(const struct settings *s, const char *name);

#define OFF(f) offsetof(struct settings, f)

/* One row of the table per setting, in --help order; a row's index is its
 * bit in explicit_set and, for a long-only option, its getopt code. */
enum opt_row {
	R_CONFIG, R_TARGETS, R_PORTS, R_TARGETS_FILE, R_EXCLUDE, R_EXCLUDEFILE,
	R_EXCLUDE_FILE, R_EXCLUDE_PORTS, R_TOP_PORTS, R_OUTPUT, R_FORMAT, R_OUTPUT_FORMATS,
	R_OX, R_OJ, R_ON, R_OA, R_STATES, R_OPEN, R_METHOD, R_CAPTURE_BUFFER, R_USER, R_THREADS, R_TIMEOUT, R_MIN_TIMEOUT,
	R_MAX_TIMEOUT, R_MAX_RATE, R_NO_DISCOVERY, R_DISCOVERY_ONLY, R_DISCOVERY_PROBES,
	R_DISCOVERY_PORTS, R_DISCOVERY_TIMEOUT, R_DISCOVERY_RETRIES, R_TIMING, R_SEED, R_SEQUENTIAL, R_SHARD, R_SHARD_COUNT, R_RETRIES,
	R_MAX_RETRIES, R_FAMILY, R_IPV4, R_IPV6, R_REVERSE_DNS, R_NO_REVERSE_DNS,
	R_REVERSE_DNS_TIMEOUT, R_SERVICE_DETECTION, R_PROBES_DIR, R_DETECT_TIMEOUT,
	R_BANNER_WAIT, R_MAX_HOSTS, R_TARGET_WINDOW, R_RESUME, R_RESUME_FILE, R_FINDINGS,
	R_BASELINE, R_DRY_RUN, R_VERBOSE, R_QUIET, R_HELP, R_VERSION,
	NOPTS
};

static const struct opt opts[NOPTS] = {
	[R_CONFIG] = { .name = "config", .key = 'c', .arg = "FILE", .type = T_STR,
	  .off = OFF(config_path), .src = SRC_CLI | SRC_ENV,
	  .help = "read settings from a libconfig FILE (env PORTOLAN_CONFIG)" },
	[R_TARGETS] = { .name = "targets", .type = T_LIST, .off = OFF(targets),
	  .src = SRC_CFG,
	  .help = "targets to scan (config only; on the command line they are arguments)" },
	[R_PORTS] = { .name = "ports", .key = 'p', .arg = "SPEC", .type = T_STR,
	  .off = OFF(ports), .src = SRC_ALL, .env_check = env_check_ports,
	  .flags = F_PORT_SPEC,
	  .help = "ports: 22,80,8000-8100, '-' for 1-65535, service names (default: a common set)" },
	[R_TARGETS_FILE] = { .name = "targets-file", .key = 'i', .arg = "FILE", .type = T_STR,
	  .off = OFF(targets_file), .src = SRC_ALL,
	  .help = "read targets from FILE, one a line, '#' comments, '-' for stdin" },
	[R_EXCLUDE] = { .name = "exclude", .arg = "SPEC,...", .type = T_LIST,
	  .off = OFF(exclude), .src = SRC_ALL, .env_check = env_check_exclude,
	  .help = "exclude these addresses, ranges, CIDRs or names" },
	[R_EXCLUDEFILE] = { .name = "excludefile", .arg = "FILE", .type = T_SPECIAL,
	  .src = SRC_CLI, .flags = F_NMAP_ALIAS,
	  .help = "same as --exclude-file" },
	[R_EXCLUDE_FILE] = { .name = "exclude-file", .arg = "FILE", .type = T_STR,
	  .off = OFF(exclude_file), .src = SRC_ALL,
	  .help = "read exclusions from FILE" },
	[R_EXCLUDE_PORTS] = { .name = "exclude-ports", .arg = "SPEC", .type = T_STR,
	  .off = OFF(exclude_ports), .src = SRC_ALL,
	  .help = "never scan these ports (same syntax as -p)" },
	[R_TOP_PORTS] = { .name = "top-ports", .arg = "N", .type = T_SPECIAL, .min = 1,
	  .max = 65535, .src = SRC_CLI,
	  .help = "scan the N ports likeliest open, by portolan's ranking (-F: 100); -sU ranks UDP's" },
	[R_OUTPUT] = { .name = "output", .key = 'o', .arg = "FILE", .type = T_LIST,
	  .off = OFF(outputs), .src = SRC_CLI | SRC_CFG,
	  .help = "write results to FILE ('-' for stdout); repeatable" },
	[R_FORMAT] = { .name = "format", .key = 'f', .arg = "FMT", .type = T_STR,
	  .off = OFF(format), .src = SRC_ALL, .check = check_format,
	  .help = "output format: {formats} (default: from the file extension)" },
	[R_OUTPUT_FORMATS] = { .name = "output-formats", .type = T_LIST,
	  .off = OFF(output_formats), .src = SRC_CFG, .omit = omit_no_formats,
	  .help = "the format of each output in turn, \"\" for -f or its extension (config only)" },
	[R_OX] = { .name = "oX", .arg = "FILE", .type = T_SPECIAL, .src = SRC_CLI,
	  .flags = F_NMAP_OUTPUT,
	  .help = "XML to FILE ('-' for stdout), whatever -f says" },
	[R_OJ] = { .name = "oJ", .arg = "FILE", .type = T_SPECIAL, .src = SRC_CLI,
	  .flags = F_NMAP_OUTPUT,
	  .help = "JSON to FILE ('-' for stdout), whatever -f says" },
	[R_ON] = { .name = "oN", .arg = "FILE", .type = T_SPECIAL, .src = SRC_CLI,
	  .flags = F_NMAP_OUTPUT,
	  .help = "the table to FILE ('-' for stdout)" },
	[R_OA] = { .name = "oA", .arg = "BASE", .type = T_SPECIAL, .src = SRC_CLI,
	  .flags = F_NMAP_OUTPUT,
	  .help = "{base-files}" },
	[R_STATES] = { .name = "states", .arg = "LIST", .type = T_STR, .off = OFF(states),
	  .def = "open", .src = SRC_ALL, .check = check_states,
	  .help = "states to report: open, closed, filtered, error, or all" },
	[R_OPEN] = { .name = "open", .type = T_SPECIAL, .src = SRC_CLI, .flags = F_NMAP_ALIAS,
	  .help = "same as --states open" },
	[R_METHOD] = { .name = "method", .arg = "connect|syn|udp[,udp]", .type = T_STR, .off = OFF(method),
	  .def = "connect", .src = SRC_ALL, .check = check_method,
	  .help = "how ports are probed: connect (no privileges), syn (-sS: raw SYN packets, root or CAP_NET_RAW) or udp (-sU: UDP datagrams, no privileges); a TCP method and udp together (syn,udp: -sS -sU) scan both protocols" },
	[R_CAPTURE_BUFFER] = { .name = "capture-buffer", .arg = "KIB", .type = T_INT,
	  .off = OFF(capture_buffer_kib), .min = 64, .max = 1048576, .def = "16384", .src = SRC_ALL,
	  .help = "SYN scan: kernel buffer (KiB) the answers wait in; drops slow the scan down" },
	[R_USER] = { .name = "user", .arg = "NAME", .type = T_STR, .off = OFF(user),
	  .def = "nobody", .src = SRC_ALL, .omit = omit_user_not_given,
	  .help = "SYN scan as root: the user to become once raw sockets and capture are open (root: stay root; connect with raw discovery: only when given)" },
	[R_THREADS] = { .name = "threads", .key = 't', .arg = "N", .type = T_INT,
	  .off = OFF(threads), .max = 65536, .def = "0", .src = SRC_ALL,
	  .help = "concurrent connects; 0: from the descriptor limit and memory, at most 1024" },
	[R_TIMEOUT] = { .name = "timeout", .arg = "MS", .type = T_INT, .off = OFF(timeout_ms),
	  .min = 1, .max = 600000, .def = "1000", .src = SRC_ALL,
	  .help = "connect timeout (ms) for a host with no RTT sample yet, and the cap" },
	[R_MIN_TIMEOUT] = { .name = "min-timeout", .arg = "MS", .type = T_INT,
	  .off = OFF(min_timeout_ms), .min = 1, .max = 600000, .def = "100", .src = SRC_ALL,
	  .help = "floor of the adaptive timeout (set it to --timeout for a fixed timeout)" },
	[R_MAX_TIMEOUT] = { .name = "max-timeout", .arg = "MS", .type = T_INT,
	  .off = OFF(max_timeout_ms), .max = 600000, .def = "0", .src = SRC_ALL,
	  .help = "cap of the adaptive timeout (0: --timeout)" },
	[R_MAX_RATE] = { .name = "max-rate", .arg = "N", .type = T_INT, .off = OFF(max_rate),
	  .max = 100000000, .def = "0", .src = SRC_ALL,
	  .help = "at most N connect attempts per second, all threads together (0: no limit)" },
	[R_NO_DISCOVERY] = { .name = "no-discovery", .type = T_BOOL, .off = OFF(no_discovery),
	  .def = "false", .src = SRC_ALL,
	  .help = "no host discovery: every host is up and scanned (nmap's -Pn)" },
	[R_DISCOVERY_ONLY] = { .name = "discovery-only", .type = T_BOOL,
	  .off = OFF(discovery_only), .def = "false", .src = SRC_ALL,
	  .help = "host discovery only: list hosts up and down, scan no port (nmap's -sn)" },
	[R_DISCOVERY_PROBES] = { .name = "discovery-probes", .arg = "LIST", .type = T_LIST,
	  .off = OFF(discovery_probes), .src = SRC_ALL, .flags = F_DISCOVERY,
	  .help = "discovery probes, each NAME or NAME:PORTS: tcp-connect, icmp-echo, and as "
		  "root arp, nd, icmp-timestamp, tcp-syn, tcp-ack (default: by privileges)" },
	[R_DISCOVERY_PORTS] = { .name = "discovery-ports", .arg = "SPEC", .type = T_STR,
	  .off = OFF(discovery_ports), .def = "80,443,22,445,3389", .src = SRC_ALL,
	  .env_check = env_check_ports, .flags = F_DISCOVERY | F_PORT_SPEC,
	  .help = "the ports tcp-connect discovery tries" },
	[R_DISCOVERY_TIMEOUT] = { .name = "discovery-timeout", .arg = "MS", .type = T_INT,
	  .off = OFF(discovery_timeout_ms), .min = 1, .max = 600000, .def = "1000",
	  .src = SRC_ALL, .flags = F_DISCOVERY,
	  .help = "discovery: wait (ms) for a host's answer before any RTT is known, and the cap" },
	[R_DISCOVERY_RETRIES] = { .name = "discovery-retries", .arg = "N", .type = T_INT,
	  .off = OFF(discovery_retries), .max = 20, .def = "1", .src = SRC_ALL,
	  .flags = F_DISCOVERY,
	  .help = "discovery: extra attempts for a host that did not answer" },
	[R_TIMING] = { .name = "timing", .key = 'T', .arg = "PRESET", .type = T_STR,
	  .off = OFF(timing), .src = SRC_ALL, .check = check_timing,
	  .help = "timing preset: paranoid, polite, normal, aggressive, insane, or nmap's 0-5 (portolan(1))" },
	[R_SEED] = { .name = "seed", .arg = "N", .type = T_INT, .off = OFF(seed),
	  .max = INT64_MAX, .def = "0", .src = SRC_ALL,
	  .help = "seed of the scan order permutation (0: a random one)" },
	[R_SEQUENTIAL] = { .name = "sequential", .type = T_BOOL, .off = OFF(sequential),
	  .def = "false", .src = SRC_ALL,
	  .help = "scan in index order (host-interleaved) instead of a permutation" },
	[R_SHARD] = { .name = "shard", .arg = "I/N|auto", .type = T_STR, .off = OFF(shard),
	  .src = SRC_ALL, .env_check = env_check_shard,
	  .help = "scan only share I of N (1-based), or auto: from the scheduler's environment (Slurm, Kubernetes, AWS Batch, GNU parallel)" },
	[R_SHARD_COUNT] = { .name = "shard-count", .arg = "N", .type = T_INT,
	  .off = OFF(shard_count), .max = INT64_MAX, .def = "0", .src = SRC_ALL,
	  .help = "with --shard auto: the count where the scheduler gives none (Kubernetes, GNU parallel)" },
	[R_RETRIES] = { .name = "retries", .arg = "N", .type = T_INT, .off = OFF(retries),
	  .max = 20, .def = "1", .src = SRC_ALL,
	  .help = "extra attempts for a port that did not answer" },
	[R_MAX_RETRIES] = { .name = "max-retries", .arg = "N", .type = T_SPECIAL,
	  .src = SRC_CLI, .flags = F_NMAP_ALIAS,
	  .help = "same as --retries" },
	[R_FAMILY] = { .name = "family", .arg = "any|4|6", .type = T_STR, .off = OFF(family),
	  .def = "any", .src = SRC_ALL, .check = check_family,
	  .help = "address family used for host names" },
	[R_IPV4] = { .name = "ipv4", .key = '4', .type = T_SPECIAL, .src = SRC_CLI,
	  .help = "same as --family 4" },
	[R_IPV6] = { .name = "ipv6", .key = '6', .type = T_SPECIAL, .src = SRC_CLI,
	  .help = "same as --family 6" },
	[R_REVERSE_DNS] = { .name = "reverse-dns", .key = 'R', .type = T_BOOL,
	  .off = OFF(reverse_dns), .def = "false", .src = SRC_ALL,
	  .help = "look up PTR names of hosts with open ports (ptr column)" },
	[R_NO_REVERSE_DNS] = { .name = "no-reverse-dns", .key = 'n', .type = T_SPECIAL,
	  .src = SRC_CLI, .flags = F_NMAP_ALIAS,
	  .help = "no PTR lookups, whatever the config or environment says" },
	[R_REVERSE_DNS_TIMEOUT] = { .name = "reverse-dns-timeout", .arg = "MS", .type = T_INT,
	  .off = OFF(ptr_timeout_ms), .min = 1, .max = 60000, .def = "2000", .src = SRC_ALL,
	  .help = "bound on one reverse lookup, in milliseconds" },
	[R_SERVICE_DETECTION] = { .name = "service-detection", .key = 's', .type = T_BOOL,
	  .off = OFF(service_detection), .def = "false", .src = SRC_ALL,
	  .help = "identify the service, product and version on open ports" },
	[R_PROBES_DIR] = { .name = "probes-dir", .arg = "DIR", .type = T_STR,
	  .off = OFF(probes_dir), .src = SRC_ALL,
	  .help = "directory of probe files (*.yaml) for service detection" },
	[R_DETECT_TIMEOUT] = { .name = "detect-timeout", .arg = "MS", .type = T_INT,
	  .off = OFF(detect_timeout_ms), .min = 100, .max = 120000, .def = "10000",
	  .src = SRC_ALL,
	  .help = "bound on detection for one port, every probe included" },
	[R_BANNER_WAIT] = { .name = "banner-wait", .arg = "MS", .type = T_INT,
	  .off = OFF(banner_wait_ms), .max = 30000, .def = "500", .src = SRC_ALL,
	  .help = "wait for a banner on ports no banner probe lists" },
	[R_MAX_HOSTS] = { .name = "max-hosts", .arg = "N", .type = T_INT,
	  .off = OFF(max_hosts), .min = 1, .max = (int64_t)TARGET_LIMIT_MAX_HOSTS,
	  .def = "16777216", .src = SRC_ALL,
	  .help = "refuse target spaces with more hosts than N" },
	[R_TARGET_WINDOW] = { .name = "target-window", .arg = "N", .type = T_INT,
	  .off = OFF(target_window), .min = 1, .max = (int64_t)TARGET_LIMIT_MAX_HOSTS,
	  .def = G_STRINGIFY(TARGET_DEFAULT_WINDOW), .src = SRC_ALL,
	  .omit = omit_default_window,
	  .help = "read the targets file N specs at a time, each window scanned on its own" },
	[R_RESUME] = { .name = "resume", .arg = "FILE", .type = T_STR,
	  .off = OFF(resume_from), .src = SRC_CLI,
	  .help = "continue the interrupted scan that FILE records" },
	[R_RESUME_FILE] = { .name = "resume-file", .arg = "FILE", .type = T_STR,
	  .off = OFF(resume_file), .def = "portolan.resume", .src = SRC_ALL,
	  .help = "where an interrupted scan writes what is needed to resume it" },
	[R_FINDINGS] = { .name = "findings", .arg = "FILE", .type = T_STR,
	  .off = OFF(findings_path), .src = SRC_ALL,
	  .help = "write audit findings (policy, --baseline changes) to FILE: {findings-files}" },
	[R_BASELINE] = { .name = "baseline", .arg = "FILE", .type = T_STR,
	  .off = OFF(baseline_path), .src = SRC_ALL,
	  .help = "report changes since FILE, an earlier portolan .json output (exit 1 if any)" },
	[R_DRY_RUN] = { .name = "dry-run", .type = T_BOOL, .off = OFF(dry_run),
	  .def = "false", .src = SRC_CLI,
	  .help = "print the tasks (address and port) instead of scanning" },
	[R_VERBOSE] = { .name = "verbose", .key = 'v', .type = T_SPECIAL, .src = SRC_CLI,
	  .help = "more messages; repeat for debugging" },
	[R_QUIET] = { .name = "quiet", .key = 'q', .type = T_SPECIAL, .src = SRC_CLI,
	  .help = "errors only, no summary" },
	[R_HELP] = { .name = "help", .key = 'h', .type = T_SPECIAL, .src = SRC_CLI,
	  .help = "show this help" },
	[R_VERSION] = { .name = "version", .key = 'V', .type = T_SPECIAL, .src = SRC_CLI,
	  .help = "show the version" },
};

/* explicit_set and from_env have a bit per row. */
_Static_assert(NOPTS <= 64 * SETTINGS_MASK_WORDS, "the settings table outgrew the explicit_set mask");

static void mask_set(uint64_t *mask, const struct opt *o)
{
	size_t i = (size_t)(o - opts);

	mask[i / 64] |= UINT64_C(1) << (i % 64);
}

static void mask_clear(uint64_t *mask, const struct opt *o)
{
	size_t i = (size_t)(o - opts);

	mask[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

static bool mask_has(const uint64_t *mask, const struct opt *o)
{
	size_t i = (size_t)(o - opts);

	return (mask[i / 64] >> (i % 64)) & 1u;
}
/* Long-only getopt codes stay clear of short option letters and of getopt's
 * own '?' and ':'. */
_Static_assert(KEY_LONG_ONLY > UCHAR_MAX, "long-only codes overlap short options");

static bool nmap_output(const struct opt *o)
{
	return (o->flags & F_NMAP_OUTPUT) != 0;
}

static bool nmap_alias(const struct opt *o)
{
	return (o->flags & F_NMAP_ALIAS) != 0;
}

static bool has_short(const struct opt *o)
{
	return o->key != 0;
}

/* The value getopt returns for an option. */
static int opt_code(const struct opt *o)
{
	return has_short(o) ? o->key : KEY_LONG_ONLY + (int)(o - opts);
}

static const struct opt *opt_by_name(const char *name)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (strcmp(opts[i].name, name) == 0)
			return &opts[i];
	return NULL;
}

/* The row of a value getopt returned, or NULL. */
static const struct opt *opt_by_code(int code)
{
	if (code >= KEY_LONG_ONLY)
		return code - KEY_LONG_ONLY < (int)NOPTS ? &opts[code - KEY_LONG_ONLY] : NULL;
	for (size_t i = 0; i < NOPTS; i++)
		if (has_short(&opts[i]) && opts[i].key == code)
			return &opts[i];
	return NULL;
}

#define FIELD(s, o, type) ((type *)((char *)(s) + (o)->off))

static void list_replace(GPtrArray **list)
{
	g_ptr_array_set_size(*list, 0);
}

/* Appends the comma-separated items of value to a list. */
static void list_add_items(GPtrArray *list, const char *value)
{
	char **items = g_strsplit(value, ",", -1);

	for (char **it = items; *it != NULL; it++) {
		char *v = g_strstrip(*it);

		if (*v != '\0')
			g_ptr_array_add(list, g_strdup(v));
	}
	g_strfreev(items);
}

static bool parse_int(const char *text, int64_t *out)
{
	char *end;
	long long v;

	/* Plain decimal, as the manual says: strtoll alone would also take
	 * leading blanks and a sign ("+100", " -0"). */
	if (text == NULL || !g_ascii_isdigit(*text))
		return false;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

static bool parse_bool(const char *text, bool *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };

	for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
		if (g_ascii_strcasecmp(text, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (g_ascii_strcasecmp(text, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static const char *check_states(const char *value, GError **err)
{
	unsigned mask;

	return settings_states_mask(value, &mask, err) == 0 ? value : NULL;
}

static const char *check_family(const char *value, GError **err)
{
	char shown[TEXT_QUOTE_SIZE];

	if (strcmp(value, "any") == 0 || strcmp(value, "4") == 0 || strcmp(value, "6") == 0)
		return value;
	g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "invalid family '%s': expected any, 4 or 6",
		    text_quote(shown, value));
	return NULL;
}

static const char *check_format(const char *value, GError **err)
{
	char shown[TEXT_QUOTE_SIZE];

	if (writer_find(value) != NULL)
		return value;
	g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "unknown format '%s': expected %s",
		    text_quote(shown, value), writer_names());
	return NULL;
}

static const char *check_method(const char *value, GError **err)
{
	const struct scan_method *by_proto[2];

	return method_parse_list(value, by_proto, err) == 0 ? value : NULL;
}

/* A preset's name, or nmap's level (-T4), stored as the name. */
static const char *check_timing(const char *value, GError **err)
{
	char names[128], shown[TEXT_QUOTE_SIZE];

	if (preset_find(value) != NULL)
		return value;
	if (preset_find_level(value) != NULL)
		return preset_find_level(value)->name;
	preset_names(names, sizeof(names));
	g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "unknown timing preset '%s': expected %s",
		    text_quote(shown, value), names);
	return NULL;
}

/* Stores a textual value (command line, environment, default). `where`
 * names the source in messages (NULL: the caller adds it). Lists are
 * replaced when `fresh` is set. */
static int set_from_text(struct settings *s, const struct opt *o, const char *value,
			 bool fresh, const char *where, GError **err)
{
	int64_t n;
	bool b;

	if (where == NULL || strcmp(where, "default") != 0)
		mask_set(s->explicit_set, o);
	/* A later source (the command line) takes the blame back. */
	if (where != NULL && g_str_has_prefix(where, "environment "))
		mask_set(s->from_env, o);
	else
		mask_clear(s->from_env, o);

	switch (o->type) {
	case T_STR: {
		char **p = FIELD(s, o, char *);

		if (o->check != NULL && (value = o->check(value, err)) == NULL) {
			if (where != NULL)
				g_prefix_error(err, "%s: ", where);
			return -1;
		}
		g_free(*p);
		*p = g_strdup(value);
		return 0;
	}
	case T_INT:
		if (!parse_int(value, &n) || n < o->min || n > o->max) {
			char shown[TEXT_QUOTE_SIZE];

			text_quote(shown, value);
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "%s: invalid value '%s': expected an integer from %" G_GINT64_FORMAT
				    " to %" G_GINT64_FORMAT, where ? where : o->name, shown, o->min, o->max);
			return -1;
		}
		*FIELD(s, o, int64_t) = n;
		return 0;
	case T_BOOL:
		if (value == NULL) {
			b = true;
		} else if (!parse_bool(value, &b)) {
			char shown[TEXT_QUOTE_SIZE];

			text_quote(shown, value);
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "%s: invalid value '%s': expected true or false",
				    where ? where : o->name, shown);
			return -1;
		}
		*FIELD(s, o, bool) = b;
		return 0;
	case T_LIST: {
		GPtrArray **list = FIELD(s, o, GPtrArray *);

		if (fresh)
			list_replace(list);
		/* Output paths may hold commas; other lists are comma-separated. */
		if (o == &opts[R_OUTPUT]) {
			/* Formats belong to the outputs of the same source. */
			if (fresh)
				g_ptr_array_set_size(s->output_formats, 0);
			while (s->output_formats->len < (*list)->len)
				g_ptr_array_add(s->output_formats, g_strdup(""));
			g_ptr_array_add(*list, g_strdup(value));
			g_ptr_array_add(s->output_formats, g_strdup(""));
		} else {
			list_add_items(*list, value);
		}
		return 0;
	}
	case T_SPECIAL:
	default:
		return 0;
	}
}

/* ---- config file ---- */

/* Joins a scalar or a list of scalars into "a,b,c" (ports and states may be
 * written either way). Returns NULL when an element is not a scalar. */
static char *config_join(const config_setting_t *cs)
{
	GString *out;
	int n;

	switch (config_setting_type(cs)) {
	case CONFIG_TYPE_STRING:
		return g_strdup(config_setting_get_string(cs));
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return g_strdup_printf("%lld", config_setting_get_int64(cs));
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
		break;
	default:
		return NULL;
	}
	out = g_string_new(NULL);
	n = config_setting_length(cs);
	for (int i = 0; i < n; i++) {
		char *item = config_join(config_setting_get_elem(cs, (unsigned)i));

		if (item == NULL || config_setting_is_aggregate(config_setting_get_elem(cs, (unsigned)i))) {
			g_free(item);
			g_string_free(out, TRUE);
			return NULL;
		}
		if (i > 0)
			g_string_append_c(out, ',');
		g_string_append(out, item);
		g_free(item);
	}
	return g_string_free(out, FALSE);
}

/* The first negative integer of a scalar or a list, or NULL. */
static const config_setting_t *negative_number(const config_setting_t *cs)
{
	int type = config_setting_type(cs);

	if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64)
		return config_setting_get_int64(cs) < 0 ? cs : NULL;
	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		return NULL;
	for (int i = 0; i < config_setting_length(cs); i++) {
		const config_setting_t *el = config_setting_get_elem(cs, (unsigned)i);

		if (!config_setting_is_aggregate(el) && negative_number(el) != NULL)
			return el;
	}
	return NULL;
}

static void config_problem(GString *problems, const char *path, const config_setting_t *cs,
			   const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static void config_problem(GString *problems, const char *path, const config_setting_t *cs,
			   const char *fmt, ...)
{
	va_list ap;

	if (problems->len > 0)
		g_string_append_c(problems, '\n');
	/* A setting read from an @include'd file has that file's line. */
	g_string_append_printf(problems, "%s:%d: ", config_setting_source_file(cs) != NULL ?
			       config_setting_source_file(cs) : path, config_setting_source_line(cs));
	va_start(ap, fmt);
	g_string_append_vprintf(problems, fmt, ap);
	va_end(ap);
}

static void config_apply_one(struct settings *s, const struct opt *o, const config_setting_t *cs,
			     const char *path, GString *problems)
{
	int type = config_setting_type(cs);
	char *text = NULL;
	GError *e = NULL;

	mask_set(s->explicit_set, o);
	switch (o->type) {
	case T_INT:
		if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
			config_problem(problems, path, cs, "setting '%s': expected an integer", o->name);
			return;
		}
		{
			long long v = config_setting_get_int64(cs);

			if (v < o->min || v > o->max) {
				config_problem(problems, path, cs,
					       "setting '%s': %lld is out of range %" G_GINT64_FORMAT
					       " to %" G_GINT64_FORMAT, o->name, v, o->min, o->max);
				return;
			}
			*FIELD(s, o, int64_t) = v;
		}
		return;
	case T_BOOL:
		if (type != CONFIG_TYPE_BOOL) {
			config_problem(problems, path, cs, "setting '%s': expected true or false", o->name);
			return;
		}
		*FIELD(s, o, bool) = config_setting_get_bool(cs) != 0;
		return;
	case T_STR:
		if ((o->flags & F_PORT_SPEC) && negative_number(cs) != NULL) {
			/* Joined as text, -5 would be the open range 1-5. */
			config_problem(problems, path, negative_number(cs),
				       "setting '%s': %lld is not a port number (1 to 65535); write "
				       "a range as a string, such as \"1-5\"", o->name,
				       config_setting_get_int64(negative_number(cs)));
			return;
		}
		text = config_join(cs);
		if (text == NULL) {
			config_problem(problems, path, cs, "setting '%s': expected a string", o->name);
			return;
		}
		if (set_from_text(s, o, text, true, NULL, &e) != 0) {
			config_problem(problems, path, cs, "setting '%s': %s", o->name, e->message);
			g_error_free(e);
		}
		g_free(text);
		return;
	case T_LIST: {
		GPtrArray **list = FIELD(s, o, GPtrArray *);
		int n;

		list_replace(list);
		if (type == CONFIG_TYPE_STRING) {
			g_ptr_array_add(*list, g_strdup(config_setting_get_string(cs)));
			return;
		}
		if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) {
			config_problem(problems, path, cs, "setting '%s': expected a list of strings", o->name);
			return;
		}
		n = config_setting_length(cs);
		for (int i = 0; i < n; i++) {
			const config_setting_t *el = config_setting_get_elem(cs, (unsigned)i);

			if (config_setting_type(el) != CONFIG_TYPE_STRING) {
				config_problem(problems, path, el,
					       "setting '%s': element %d is not a string", o->name, i + 1);
				continue;
			}
			g_ptr_array_add(*list, g_strdup(config_setting_get_string(el)));
		}
		return;
	}
	case T_SPECIAL:
	default:
		return;
	}
}

/* A config file is a few kilobytes; the bound keeps `-c /dev/zero` from
 * taking all memory. */
#define CONFIG_MAX_BYTES (16 * 1024 * 1024)

/* The UTF-8 byte-order mark some Windows editors put at the start of a file. */
static const char utf8_bom[] = "\xEF\xBB\xBF";

/* Reads a whole config file into memory (NUL-terminated; *len bytes). The
 * file is read here rather than by libconfig so that a byte-order mark can be
 * skipped, and so that a directory or a read error is reported with its own
 * errno: libconfig opens a directory happily and leaves errno 0 ("Success"). */
static char *config_slurp(const char *path, const char *what, size_t *len, GError **err)
{
	FILE *fp = fopen(path, "rb");
	GString *text = NULL;
	struct stat st;
	char buf[8192];
	size_t n;
	int e = 0;

	if (fp == NULL) {
		e = errno;
		goto fail;
	}
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		e = EISDIR;
		goto fail;
	}
	text = g_string_new(NULL);
	errno = 0;
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		if (text->len + n > CONFIG_MAX_BYTES) {
			e = EFBIG;
			goto fail;
		}
		g_string_append_len(text, buf, (gssize)n);
	}
	if (ferror(fp)) {
		e = errno != 0 ? errno : EIO;
		goto fail;
	}
	fclose(fp);
	*len = text->len;
	return g_string_free(text, FALSE);
fail:
	g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "cannot read %s '%s': %s", what, path,
		    g_strerror(e));
	if (fp != NULL)
		fclose(fp);
	if (text != NULL)
		g_string_free(text, TRUE);
	return NULL;
}

/* Line `line` (1-based) of text, as a new string, or NULL. */
static char *text_line(const char *text, int line)
{
	for (int i = 1; i < line && text != NULL; i++) {
		text = strchr(text, '\n');
		if (text != NULL)
			text++;
	}
	return text != NULL ? g_strndup(text, strcspn(text, "\n")) : NULL;
}

/* The groups a parse that stopped midway was filling, innermost first: the
 * last setting at each level is the one being read when it stopped. */
static GPtrArray *open_groups(const config_t *cfg)
{
	GPtrArray *groups = g_ptr_array_new();
	config_setting_t *cs = config_root_setting(cfg);

	while (cs != NULL && config_setting_is_aggregate(cs)) {
		int n = config_setting_length(cs);

		if (config_setting_is_group(cs))
			g_ptr_array_insert(groups, 0, cs);
		cs = n > 0 ? config_setting_get_elem(cs, (unsigned)n - 1) : NULL;
	}
	return groups;
}

static const char *setting_file(const config_setting_t *cs, const char *top_path)
{
	return config_setting_source_file(cs) != NULL ? config_setting_source_file(cs) : top_path;
}

/* The setting of group that a name written on line src (file:line) names
 * again. One set on another line wins over one on this line, which is likely
 * just the setting before the duplicate: "ports = 1; threads = 2;". */
static const config_setting_t *find_repeated(const config_setting_t *group, const char *src,
					     const char *file, int line, const char *top_path)
{
	GRegex *re = g_regex_new("([A-Za-z*][-A-Za-z0-9_*]*)\\s*[=:]", 0, 0, NULL);
	const config_setting_t *found = NULL, *same_line = NULL;
	GMatchInfo *mi = NULL;

	if (re == NULL)
		return NULL;
	g_regex_match(re, src, 0, &mi);
	for (; found == NULL && g_match_info_matches(mi); g_match_info_next(mi, NULL)) {
		char *name = g_match_info_fetch(mi, 1);
		const config_setting_t *cs = config_setting_get_member(group, name);

		if (cs != NULL && (int)config_setting_source_line(cs) == line &&
		    strcmp(setting_file(cs, top_path), file) == 0) {
			if (same_line == NULL)
				same_line = cs;
		} else {
			found = cs;
		}
		g_free(name);
	}
	g_match_info_free(mi);
	g_regex_unref(re);
	return found != NULL ? found : same_line;
}

/* libconfig says only "duplicate setting name", at the second one. The names
 * written on that line that an open group already holds tell which setting it
 * is, and that setting tells where it was first set. Returns NULL when this
 * cannot be worked out. */
static char *describe_duplicate(const config_t *cfg, const char *file, int line,
				const char *top_path, const char *top_text)
{
	char *text = NULL, *src = NULL, *msg = NULL;
	GPtrArray *groups;

	if (strcmp(file, top_path) == 0)
		src = text_line(top_text, line);
	else if (g_file_get_contents(file, &text, NULL, NULL))
		src = text_line(text, line);
	if (src == NULL)
		goto out;
	groups = open_groups(cfg);
	for (guint i = 0; i < groups->len && msg == NULL; i++) {
		const config_setting_t *first = find_repeated(groups->pdata[i], src, file, line,
							      top_path);

		if (first != NULL)
			msg = g_strdup_printf("%s:%d: setting '%s' is set twice: here and at %s:%d",
					      file, line, config_setting_name(first),
					      setting_file(first, top_path),
					      config_setting_source_line(first));
	}
	g_ptr_array_free(groups, TRUE);
out:
	g_free(src);
	g_free(text);
	return msg;
}

/* Whether the file at path starts with a UTF-8 byte-order mark. */
static bool starts_with_bom(const char *path)
{
	char head[3];
	FILE *fp = fopen(path, "rb");
	bool bom = fp != NULL && fread(head, 1, 3, fp) == 3 && memcmp(head, utf8_bom, 3) == 0;

	if (fp != NULL)
		fclose(fp);
	return bom;
}

/* Parses the config file at path into cfg. A byte-order mark at its start
 * is skipped; libconfig reads @include'd files itself, so a mark there is
 * named in the message instead. Errors: "cannot read WHAT 'PATH': ...",
 * "FILE:LINE: ...". */
static int config_load(config_t *cfg, const char *path, const char *what, GError **err)
{
	size_t len;
	char *text = config_slurp(path, what, &len, err), *body, *dup;
	const char *file;
	int line;

	if (text == NULL)
		return -1;
	body = strncmp(text, utf8_bom, 3) == 0 ? text + 3 : text;
	if (strlen(text) != len) {
		/* libconfig would stop at the NUL and read half the file. */
		line = 1;
		for (const char *p = text; *p != '\0'; p++)
			line += *p == '\n';
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s:%d: line contains a NUL byte",
			    path, line);
		g_free(text);
		return -1;
	}
	if (config_read_string(cfg, body) == CONFIG_TRUE) {
		g_free(text);
		return 0;
	}
	/* Only the file given is read here; an included one is not, and its
	 * name is libconfig's. */
	file = config_error_file(cfg) != NULL ? config_error_file(cfg) : path;
	line = config_error_line(cfg);
	dup = strcmp(config_error_text(cfg), "duplicate setting name") == 0 ?
	      describe_duplicate(cfg, file, line, path, text) : NULL;
	if (dup != NULL) {
		g_set_error_literal(err, PL_ERROR, PL_ERROR_USAGE, dup);
		g_free(dup);
	} else if (line == 1 && file != path && starts_with_bom(file)) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s:1: the file starts with a UTF-8 "
			    "byte-order mark, which @include does not accept: save it without one",
			    file);
	} else {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s:%d: %s", file, line,
			    config_error_text(cfg));
	}
	g_free(text);
	return -1;
}

/* The discovery group: its key k is the row discovery-k. */
static void config_apply_group(struct settings *s, const config_setting_t *group, const char *path,
			       GString *problems)
{
	char shown[TEXT_QUOTE_SIZE];
	int n = config_setting_length(group);

	for (int i = 0; i < n; i++) {
		const config_setting_t *cs = config_setting_get_elem(group, (unsigned)i);
		const char *key = config_setting_name(cs);
		char *name = g_strdup_printf("%s-%s", config_setting_name(group), key ? key : "");
		const struct opt *o = opt_by_name(name);

		if (o == NULL || !(o->flags & F_DISCOVERY) || !(o->src & SRC_CFG))
			config_problem(problems, path, cs, "unknown setting '%s' in group '%s'",
				       key ? text_quote(shown, key) : "?", config_setting_name(group));
		else
			config_apply_one(s, o, cs, path, problems);
		g_free(name);
	}
}

static int config_apply(struct settings *s, const char *path, bool resuming, GError **err)
{
	config_t cfg;
	config_setting_t *root;
	GString *problems = g_string_new(NULL);
	char shown[TEXT_QUOTE_SIZE];
	int rc = -1, n;

	config_init(&cfg);
	if (config_load(&cfg, path, resuming ? "resume file" : "config", err) != 0)
		goto out;
	root = config_root_setting(&cfg);
	n = config_setting_length(root);
	for (int i = 0; i < n; i++) {
		const config_setting_t *cs = config_setting_get_elem(root, (unsigned)i);
		const char *name = config_setting_name(cs);
		const struct opt *o = name ? opt_by_name(name) : NULL;

		if (resuming && name != NULL && strcmp(name, "resume") == 0)
			continue;         /* read by resume.c */
		if (!resuming && name != NULL && strcmp(name, "policy") == 0) {
			/* Not a table entry: a list of groups, parsed by audit.c. */
			GError *e = NULL;

			audit_policy_free(s->policy);
			s->policy = audit_policy_parse(cs, path, &e);
			if (s->policy == NULL) {
				g_string_append_printf(problems, "%s%s", problems->len ? "\n" : "",
						       e->message);
				g_error_free(e);
			}
			continue;
		}
		if (name != NULL && strcmp(name, "discovery") == 0 && config_setting_is_group(cs)) {
			config_apply_group(s, cs, path, problems);
			continue;
		}
		/* A group's keys are read in their group only. */
		if (o == NULL || !(o->src & SRC_CFG) || (o->flags & F_DISCOVERY)) {
			config_problem(problems, path, cs, "unknown setting '%s'",
				       name ? text_quote(shown, name) : "?");
			continue;
		}
		config_apply_one(s, o, cs, path, problems);
	}
	if (problems->len > 0) {
		g_set_error_literal(err, PL_ERROR, PL_ERROR_USAGE, problems->str);
		goto out;
	}
	rc = 0;
out:
	g_string_free(problems, TRUE);
	config_destroy(&cfg);
	return rc;
}

/* The default window is left out, so a resume file of a scan without
 * windows is what it was before there were any. */
static bool omit_default_window(const struct settings *s)
{
	return s->target_window == TARGET_DEFAULT_WINDOW;
}

/* A resume file names the user only when the scan was given one: loaded
 * back, a saved default would count as given, and a connect scan with raw
 * discovery, or a resume under sudo, would become someone else. */
static bool omit_user_not_given(const struct settings *s)
{
	return !was_given(s, "user");
}

/* Only -oX and the like give outputs formats of their own. */
static bool omit_no_formats(const struct settings *s)
{
	for (guint i = 0; i < s->output_formats->len; i++)
		if (((const char *)s->output_formats->pdata[i])[0] != '\0')
			return false;
	return true;
}

void settings_save(const struct settings *s, config_setting_t *top)
{
	config_setting_t *group = NULL;

	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt *o = &opts[i];
		config_setting_t *cs, *root = top;
		const char *name = o->name;

		if (!(o->src & SRC_CFG))
			continue;
		if (o->omit != NULL && o->omit(s))
			continue;
		if (o->flags & F_DISCOVERY) {
			if (group == NULL)
				group = config_setting_add(top, "discovery", CONFIG_TYPE_GROUP);
			if (group == NULL)
				continue;
			root = group;
			name += strlen("discovery-");
		}
		switch (o->type) {
		case T_STR: {
			const char *v = *FIELD(s, o, char *);

			if (v != NULL && (cs = config_setting_add(root, name, CONFIG_TYPE_STRING)))
				config_setting_set_string(cs, v);
			break;
		}
		case T_INT:
			if ((cs = config_setting_add(root, name, CONFIG_TYPE_INT64)))
				config_setting_set_int64(cs, *FIELD(s, o, int64_t));
			break;
		case T_BOOL:
			if ((cs = config_setting_add(root, name, CONFIG_TYPE_BOOL)))
				config_setting_set_bool(cs, *FIELD(s, o, bool));
			break;
		case T_LIST: {
			GPtrArray *list = *FIELD(s, o, GPtrArray *);

			if (list->len == 0 || !(cs = config_setting_add(root, name, CONFIG_TYPE_ARRAY)))
				break;
			for (guint j = 0; j < list->len; j++) {
				config_setting_t *el = config_setting_add(cs, NULL, CONFIG_TYPE_STRING);

				if (el != NULL)
					config_setting_set_string(el, list->pdata[j]);
			}
			break;
		}
		case T_SPECIAL:
		default:
			break;
		}
	}
}

/* ---- environment ---- */

static char *env_name(const struct opt *o)
{
	char *name = g_strdup_printf("PORTOLAN_%s", o->name);

	for (char *p = name; *p; p++)
		*p = *p == '-' ? '_' : (char)g_ascii_toupper(*p);
	return name;
}

void settings_blame_env(const struct settings *s, const char *name, const char *value,
			GError **err)
{
	const struct opt *o = opt_by_name(name);
	char *var;

	if (o == NULL || value == NULL || err == NULL || *err == NULL ||
	    !mask_has(s->from_env, o) || strstr((*err)->message, value) == NULL)
		return;
	var = env_name(o);
	g_prefix_error(err, "environment %s: ", var);
	g_free(var);
}

/* What a scan would refuse in the ports, shard and exclude settings, checked
 * for a variable as well: a variable is checked even when the command line
 * overrides it, so a broken environment is found now, not on the run that
 * relies on it. Files a variable names are opened only when used. */
static int env_check_ports(const char *value, GError **err)
{
	struct port_list pl = { 0 };
	int rc = ports_parse(value, &pl, err);

	ports_free(&pl);
	return rc;
}

static int env_check_shard(const char *value, GError **err)
{
	uint64_t shard, nshards;

	if (strcmp(value, "auto") == 0)
		return 0;

	return plan_parse_shard(value, &shard, &nshards, err);
}

static int env_check_exclude(const char *value, GError **err)
{
	struct target_set *ts = target_set_new();
	GPtrArray *specs = g_ptr_array_new_with_free_func(g_free);
	int rc = 0;

	list_add_items(specs, value);
	for (guint i = 0; i < specs->len && rc == 0; i++)
		rc = target_set_exclude(ts, specs->pdata[i], err);
	g_ptr_array_unref(specs);
	target_set_free(ts);
	return rc;
}

static int env_apply(struct settings *s, GError **err)
{
	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt *o = &opts[i];
		char *name;
		const char *value;
		int rc = 0;

		/* PORTOLAN_CONFIG was read with the config file. */
		if (!(o->src & SRC_ENV) || o == &opts[R_CONFIG])
			continue;
		name = env_name(o);
		value = getenv(name);
		if (value != NULL) {
			char *where = g_strdup_printf("environment %s", name);

			rc = set_from_text(s, o, value, true, where, err);
			if (rc == 0 && o->env_check != NULL && o->env_check(value, err) != 0) {
				g_prefix_error(err, "%s: ", where);
				rc = -1;
			}
			g_free(where);
		}
		g_free(name);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* ---- command line ---- */

struct cli_value {
	const struct opt *opt;     /* the setting the value goes to */
	const struct opt *given;   /* the option the user typed (for messages) */
	char *value;
	const char *format;        /* an output's own format (-oX), or NULL */
};

static char *option_label(const struct opt *o)
{
	if (nmap_output(o))
		return g_strdup_printf("option '-%s'", o->name);
	if (has_short(o))
		return g_strdup_printf("option '-%c/--%s'", o->key, o->name);
	return g_strdup_printf("option '--%s'", o->name);
}

void settings_print_help(FILE *fp)
{
	char *help;

	fprintf(fp,
		"Usage: portolan [OPTION]... [TARGET]...\n"
		"Scan TCP ports of TARGETs (addresses, CIDR blocks, ranges, host names).\n\n");
	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt *o = &opts[i];
		char left[64];

		if (!(o->src & SRC_CLI) || nmap_output(o) || nmap_alias(o))
			continue;       /* nmap's spellings are listed below */
		if (has_short(o))
			g_snprintf(left, sizeof(left), "-%c, --%s%s%s", o->key, o->name,
				   o->arg ? " " : "", o->arg ? o->arg : "");
		else
			g_snprintf(left, sizeof(left), "    --%s%s%s", o->name,
				   o->arg ? " " : "", o->arg ? o->arg : "");
		help = writer_help(o->help);     /* the format lists from writer.c */
		fprintf(fp, "  %-30s %s", left, help);
		g_free(help);
		if (o->def != NULL && o->type != T_BOOL)
			fprintf(fp, " [%s]", o->def);
		fputc('\n', fp);
	}
	help = writer_help("{base-list}");
	fprintf(fp,
		"\nnmap's spellings (portolan(1), NMAP SPELLINGS):\n"
		"  -oX FILE, -oJ FILE, -oN FILE  XML, JSON, the table to FILE ('-': stdout),\n"
		"                                whatever -f says\n"
		"  -oA BASE                      %s\n"
		"  -iL FILE  = -i FILE           -sV = -s          -p- = -p -\n"
		"  -T0 ... -T5 = -T paranoid, paranoid, polite, normal, aggressive, insane\n"
		"  -F = --top-ports 100          --open = --states open\n"
		"  -n, --no-reverse-dns          no PTR lookups (the default)\n"
		"  --max-retries = --retries     --excludefile = --exclude-file\n"
		"  -sT = --method connect        -sS = --method syn\n"
		"  -sU = --method udp            -sS -sU = --method syn,udp\n"
		"  -Pn, -P0 = --no-discovery     -sn = --discovery-only\n"
		"  -PE, -PP, -PR, -PS[PORTS], -PA[PORTS]: --discovery-probes icmp-echo,\n"
		"                                icmp-timestamp, arp, tcp-syn[:PORTS], tcp-ack[:PORTS]\n"
		"  Other nmap options (-O, -A, -sS -sU, --script, -oG, ...) are refused\n"
		"  with exit 2, naming what to use instead.\n", help);
	g_free(help);
	fprintf(fp,
		"\nThe same names are config-file keys and, upper-cased with '_' for '-',\n"
		"environment variables (PORTOLAN_THREADS), except -c, --resume, --dry-run,\n"
		"--top-ports and nmap's spellings (command line only) and -o (no environment\n"
		"variable).\n"
		"Precedence: command line > environment > config file > defaults.\n"
		"Output formats: %s (and a table on stdout when no -o is given).\n"
		"Exit status: 0 scan completed, 1 audit findings, 2 usage/config/input error,\n"
		"3 runtime failure, 128+N stopped by signal N, 141 stdout's reader went away.\n",
		writer_names());
}

/* -p and --top-ports (or -F) both choose the ports: which one was meant
 * cannot be guessed. */
static int cli_check_ports(GArray *values, GError **err)
{
	bool p = false, top = false;

	for (guint i = 0; i < values->len; i++) {
		const struct cli_value *cv = &g_array_index(values, struct cli_value, i);

		p = p || cv->given == &opts[R_PORTS];
		top = top || cv->given == &opts[R_TOP_PORTS];
	}
	if (p && top) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "-p and --top-ports (or -F) both choose the ports: give one of them");
		return -1;
	}
	return 0;
}

/* Builds getopt's tables from the settings table. longopts holds NOPTS + 1. */
static GString *cli_options(struct option *longopts)
{
	GString *shortopts = g_string_new(":");
	size_t n = 0;

	for (size_t i = 0; i < NOPTS; i++) {
		if (!(opts[i].src & SRC_CLI))
			continue;
		longopts[n].name = opts[i].name;
		longopts[n].has_arg = opts[i].arg ? required_argument : no_argument;
		longopts[n].flag = NULL;
		longopts[n].val = opt_code(&opts[i]);
		n++;
		if (has_short(&opts[i])) {
			g_string_append_c(shortopts, (char)opts[i].key);
			if (opts[i].arg)
				g_string_append_c(shortopts, ':');
		}
	}
	memset(&longopts[n], 0, sizeof(longopts[n]));
	return shortopts;
}

static void cli_add(GArray *values, const struct opt *given, const char *setting,
		    char *value, const char *format)
{
	struct cli_value cv = {
		.opt = setting ? opt_by_name(setting) : given, .given = given,
		.value = value, .format = format,
	};

	g_array_append_val(values, cv);
}

/* Turns one option getopt returned into the values it sets. */
static int cli_value(const struct opt *o, const char *arg, GArray *values, GError **err)
{
	const char *const *all_ext = writer_file_formats();
	char shown[TEXT_QUOTE_SIZE];
	int64_t n;

	switch (o - opts) {
	case R_IPV4:
	case R_IPV6:
		cli_add(values, o, "family", g_strdup(o == &opts[R_IPV4] ? "4" : "6"), NULL);
		return 0;
	case R_NO_REVERSE_DNS:
		cli_add(values, o, "reverse-dns", g_strdup("false"), NULL);
		return 0;
	case R_OPEN:
		cli_add(values, o, "states", g_strdup("open"), NULL);
		return 0;
	case R_MAX_RETRIES:
		cli_add(values, o, "retries", g_strdup(arg), NULL);
		return 0;
	case R_EXCLUDEFILE:
		cli_add(values, o, "exclude-file", g_strdup(arg), NULL);
		return 0;
	case R_TOP_PORTS:
		if (!parse_int(arg, &n) || n < o->min || n > o->max) {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "option '--top-ports': invalid value '%s': expected an integer "
				    "from 1 to 65535", text_quote(shown, arg));
			return -1;
		}
		/* TCP's ranking as the ports; the N itself too, for a UDP
		 * scan's ranking (--top-ports applies per protocol). */
		cli_add(values, o, "ports", ports_top_spec((unsigned)n), NULL);
		cli_add(values, o, NULL, g_strdup(arg), NULL);
		return 0;
	case R_OX:
	case R_OJ:
	case R_ON:
		cli_add(values, o, "output", g_strdup(arg),
			o == &opts[R_OX] ? "xml" : o == &opts[R_OJ] ? "json" : "table");
		return 0;
	case R_OA:
		if (arg[0] == '\0' || strcmp(arg, "-") == 0) {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "option '-oA' needs a base name for its four files, not '%s'",
				    text_quote(shown, arg));
			return -1;
		}
		for (size_t i = 0; all_ext[i] != NULL; i++)
			cli_add(values, o, "output", g_strdup_printf("%s.%s", arg, all_ext[i]),
				all_ext[i]);
		return 0;
	default:
		cli_add(values, o, NULL, g_strdup(arg), NULL);
		return 0;
	}
}

/* The option getopt stopped at, as the user spelled it: nmapopts.c turned
 * -oX into --oX. */
static const char *cli_token(const char *tok, char *shown)
{
	const struct opt *o = g_str_has_prefix(tok, "--") ? opt_by_name(tok + 2) : NULL;

	return text_quote(shown, o != NULL && nmap_output(o) ? tok + 1 : tok);
}

static int cli_parse(int argc, char **argv, GArray *values, GPtrArray *positional,
		     int *verbosity, enum settings_status *status, GError **err)
{
	struct option longopts[NOPTS + 1];
	GString *shortopts = cli_options(longopts);
	GPtrArray *args = NULL;
	char shown[TEXT_QUOTE_SIZE];
	int c, rc = -1;

	/* nmap's spellings become portolan's before getopt can group them
	 * (-sV would be -s -V, -oX FILE an output named X). */
	args = nmap_translate(argc, argv, shortopts->str, longopts, err);
	if (args == NULL)
		goto out;
	argc = (int)args->len - 1;
	argv = (char **)args->pdata;
	opterr = 0;
#ifdef __GLIBC__
	/* 0 makes glibc start afresh, forgetting a group a failed parse left
	 * half-read in a vector that is gone now (tests parse many times). */
	optind = 0;
#else
	optind = 1;
#endif
	*status = SETTINGS_OK;
	while ((c = getopt_long(argc, argv, shortopts->str, longopts, NULL)) != -1) {
		const struct opt *o = opt_by_code(c);

		if (c == '?') {
			if (optopt > 0 && optopt < KEY_LONG_ONLY && g_ascii_isprint((char)optopt))
				g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
					    "unknown option '-%c' (see --help)", optopt);
			else
				g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
					    "unknown option '%s' (see --help)",
					    cli_token(argv[optind - 1], shown));
			goto out;
		}
		if (c == ':') {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "option '%s' needs an argument",
				    cli_token(argv[optind - 1], shown));
			goto out;
		}
		if (o == NULL)
			continue;
		switch (o - opts) {
		case R_HELP:
			settings_print_help(stdout);
			*status = SETTINGS_DONE;
			rc = 0;
			goto out;
		case R_VERSION:
			printf("portolan %s\n", PORTOLAN_VERSION);
			*status = SETTINGS_DONE;
			rc = 0;
			goto out;
		case R_VERBOSE:
			*verbosity = *verbosity < 0 ? 1 : *verbosity + 1;
			continue;
		case R_QUIET:
			*verbosity = -1;
			continue;
		default:
			if (cli_value(o, optarg, values, err) != 0)
				goto out;
			break;
		}
	}
	for (int i = optind; i < argc; i++)
		g_ptr_array_add(positional, g_strdup(argv[i]));
	rc = cli_check_ports(values, err);
out:
	if (args != NULL)
		g_ptr_array_unref(args);
	g_string_free(shortopts, TRUE);
	return rc;
}

/* ---- the whole ---- */

void settings_init(struct settings *s)
{
	memset(s, 0, sizeof(*s));
	s->targets = g_ptr_array_new_with_free_func(g_free);
	s->exclude = g_ptr_array_new_with_free_func(g_free);
	s->outputs = g_ptr_array_new_with_free_func(g_free);
	s->output_formats = g_ptr_array_new_with_free_func(g_free);
	s->discovery_probes = g_ptr_array_new_with_free_func(g_free);
	for (size_t i = 0; i < NOPTS; i++) {
		if (opts[i].def != NULL)
			(void)set_from_text(s, &opts[i], opts[i].def, true, "default", NULL);
	}
	s->ports = g_strdup(ports_default_spec());
}

void settings_clear(struct settings *s)
{
	g_free(s->config_path);
	g_free(s->targets_file);
	g_free(s->exclude_file);
	g_free(s->ports);
	g_free(s->exclude_ports);
	g_free(s->format);
	g_free(s->states);
	g_free(s->family);
	g_free(s->method);
	g_free(s->user);
	g_free(s->probes_dir);
	g_free(s->shard);
	g_free(s->timing);
	g_free(s->resume_from);
	g_free(s->resume_file);
	g_free(s->findings_path);
	g_free(s->baseline_path);
	audit_policy_free(s->policy);
	if (s->targets)
		g_ptr_array_unref(s->targets);
	if (s->exclude)
		g_ptr_array_unref(s->exclude);
	if (s->outputs)
		g_ptr_array_unref(s->outputs);
	if (s->output_formats)
		g_ptr_array_unref(s->output_formats);
	if (s->discovery_probes)
		g_ptr_array_unref(s->discovery_probes);
	g_free(s->discovery_ports);
	memset(s, 0, sizeof(*s));
}

int settings_states_mask(const char *states, unsigned *mask, GError **err)
{
	char **items;
	int rc = 0;

	*mask = 0;
	items = g_strsplit(states, ",", -1);
	for (char **it = items; *it != NULL; it++) {
		char *v = g_strstrip(*it);
		int st;

		if (g_ascii_strcasecmp(v, "all") == 0) {
			/* port states; host rows are named */
			for (int i = 0; i < STATE_COUNT; i++)
				if (port_state_is_port((enum port_state)i))
					*mask |= 1u << i;
			continue;
		}
		st = port_state_parse(v);
		if (st < 0) {
			char shown[TEXT_QUOTE_SIZE];

			text_quote(shown, v);
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "invalid state '%s': expected open, closed, filtered, open|filtered, error, all, up or down", shown);
			rc = -1;
			break;
		}
		*mask |= 1u << st;
	}
	g_strfreev(items);
	if (rc == 0 && *mask == 0) {
		char shown[TEXT_QUOTE_SIZE];

		text_quote(shown, states);
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "no states to report in '%s'", shown);
		rc = -1;
	}
	return rc;
}

static bool was_given(const struct settings *s, const char *name)
{
	const struct opt *o = opt_by_name(name);

	return o != NULL && mask_has(s->explicit_set, o);
}

bool settings_given(const struct settings *s, const char *name)
{
	return was_given(s, name);
}

/* A preset fills the pacing settings no source named explicitly. */
static int apply_preset(struct settings *s, GError **err)
{
	const struct preset *p;
	char names[128], shown[TEXT_QUOTE_SIZE];

	if (s->timing == NULL)
		return 0;
	p = preset_find(s->timing);
	if (p == NULL) {
		preset_names(names, sizeof(names));
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "unknown timing preset '%s': expected %s",
			    text_quote(shown, s->timing), names);
		return -1;
	}
	if (!was_given(s, "threads"))
		s->threads = p->threads;
	if (!was_given(s, "timeout"))
		s->timeout_ms = p->initial_timeout_ms;
	if (!was_given(s, "min-timeout"))
		s->min_timeout_ms = p->min_timeout_ms;
	if (!was_given(s, "max-timeout"))
		s->max_timeout_ms = p->max_timeout_ms;
	if (!was_given(s, "retries"))
		s->retries = p->retries;
	if (!was_given(s, "max-rate"))
		s->max_rate = (int64_t)p->max_rate;
	if (!was_given(s, "discovery-timeout"))
		s->discovery_timeout_ms = p->discovery_timeout_ms;
	if (!was_given(s, "discovery-retries"))
		s->discovery_retries = p->discovery_retries;
	return 0;
}

/* The timeouts a preset or a default supplied move to fit the ones a source
 * named explicitly, so `-T insane --timeout 500` raises insane's cap instead of
 * failing: only two explicit values can conflict (checked by the caller). */
static void fit_timeouts(struct settings *s)
{
	bool t = was_given(s, "timeout"), lo = was_given(s, "min-timeout");
	bool hi = was_given(s, "max-timeout");

	if (!t && lo && s->timeout_ms < s->min_timeout_ms)
		s->timeout_ms = s->min_timeout_ms;
	if (!t && hi && s->max_timeout_ms != 0 && s->timeout_ms > s->max_timeout_ms)
		s->timeout_ms = s->max_timeout_ms;
	if (!hi && s->max_timeout_ms != 0 && s->max_timeout_ms < s->timeout_ms)
		s->max_timeout_ms = s->timeout_ms;
	/* A floor above the start would make the first timeout a lie; an
	 * explicit floor above an explicit start was always cut like this. */
	if (s->min_timeout_ms > s->timeout_ms)
		s->min_timeout_ms = s->timeout_ms;
}

/* A format per output (config `output-formats`, or -oX on the command line,
 * which replaces the config's outputs and their formats together). */
static int output_formats_check(struct settings *s, GError **err)
{
	char shown[TEXT_QUOTE_SIZE];

	if (s->output_formats->len > s->outputs->len) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "output-formats names %u formats for %u outputs",
			    s->output_formats->len, s->outputs->len);
		return -1;
	}
	while (s->output_formats->len < s->outputs->len)
		g_ptr_array_add(s->output_formats, g_strdup(""));
	for (guint i = 0; i < s->output_formats->len; i++) {
		const char *f = s->output_formats->pdata[i];

		if (f[0] != '\0' && writer_find(f) == NULL) {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "output-formats: unknown format '%s': expected %s, table",
				    text_quote(shown, f), writer_names());
			return -1;
		}
	}
	return 0;
}

/* The config file: the one -c names, else $PORTOLAN_CONFIG, or a resume
 * file, which is a config file with a resume group: it takes the config
 * file's place (anything else on the command line still applies over it). */
static int apply_config_source(struct settings *s, GArray *values, GError **err)
{
	const char *config_path = NULL, *resume = NULL;
	bool from_env;

	for (guint i = 0; i < values->len; i++) {
		const struct cli_value *cv = &g_array_index(values, struct cli_value, i);

		if (cv->opt == &opts[R_CONFIG])
			config_path = cv->value;
		if (cv->opt == &opts[R_RESUME])
			resume = cv->value;
	}
	if (resume != NULL && config_path != NULL) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "--resume and --config cannot be combined: the resume file holds the settings");
		return -1;
	}
	if (resume != NULL) {
		if (config_apply(s, resume, true, err) != 0)
			return -1;
		/* A scan recorded before host discovery existed scanned every
		 * host: it goes on that way. */
		if (!was_given(s, "no-discovery"))
			s->no_discovery = true;
		return 0;
	}
	from_env = config_path == NULL;
	if (from_env)
		config_path = getenv("PORTOLAN_CONFIG");
	if (config_path == NULL || *config_path == '\0')
		return 0;
	s->config_path = g_strdup(config_path);
	if (config_apply(s, config_path, false, err) != 0) {
		/* The user may not know the variable is set; a problem inside
		 * the file names the file. */
		if (from_env && g_str_has_prefix((*err)->message, "cannot read "))
			g_prefix_error(err, "environment PORTOLAN_CONFIG: ");
		return -1;
	}
	return 0;
}

/* Lists named on the command line replace the lower sources' lists;
 * repeated options then add to it. */
static int apply_cli_values(struct settings *s, GArray *values, GError **err)
{
	GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	int rc = 0;

	for (guint i = 0; i < values->len && rc == 0; i++) {
		struct cli_value *cv = &g_array_index(values, struct cli_value, i);
		bool fresh = !g_hash_table_contains(seen, cv->opt);
		char *label = option_label(cv->given);

		g_hash_table_add(seen, (gpointer)cv->opt);
		if (cv->opt == &opts[R_TOP_PORTS]) {
			/* Checked by cli_value: 1 to 65535. */
			s->top_ports = (unsigned)strtoul(cv->value, NULL, 10);
			g_free(label);
			continue;
		}
		rc = set_from_text(s, cv->opt, cv->value, fresh, label, err);
		g_free(label);
		if (rc == 0 && cv->format != NULL) {
			/* set_from_text added this output with "" as its format. */
			g_free(s->output_formats->pdata[s->output_formats->len - 1]);
			s->output_formats->pdata[s->output_formats->len - 1] = g_strdup(cv->format);
		}
	}
	g_hash_table_destroy(seen);
	return rc;
}

/* --shard auto becomes the I/N the scheduler's environment gives, so the
 * plan, the outputs and a resume file see a plain shard (a resume continues
 * the same shard wherever it runs). */
static int resolve_shard_auto(struct settings *s, GError **err)
{
	gchar **env;
	uint64_t shard, nshards;
	int rc;

	if (s->shard == NULL || strcmp(s->shard, "auto") != 0)
		return 0;
	env = g_get_environ();
	rc = shard_from_env((const char *const *)env, s->shard_count, &shard, &nshards,
			    &s->shard_source, err);
	g_strfreev(env);
	if (rc != 0)
		return -1;
	g_free(s->shard);
	s->shard = g_strdup_printf("%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT, shard + 1, nshards);
	return 0;
}

enum settings_status settings_load(struct settings *s, int argc, char **argv, GError **err)
{
	GArray *values = g_array_new(FALSE, FALSE, sizeof(struct cli_value));
	GPtrArray *positional = g_ptr_array_new_with_free_func(g_free);
	enum settings_status status = SETTINGS_ERROR;
	int verbosity = 0;
	guint i;

	if (cli_parse(argc, argv, values, positional, &verbosity, &status, err) != 0) {
		status = SETTINGS_ERROR;
		goto out;
	}
	if (status == SETTINGS_DONE)
		goto out;
	status = SETTINGS_ERROR;
	if (apply_config_source(s, values, err) != 0 || env_apply(s, err) != 0 ||
	    apply_cli_values(s, values, err) != 0 || output_formats_check(s, err) != 0)
		goto out;
	if (positional->len > 0) {
		g_ptr_array_set_size(s->targets, 0);
		for (i = 0; i < positional->len; i++)
			g_ptr_array_add(s->targets, g_strdup(positional->pdata[i]));
	}
	s->verbosity = verbosity;

	/* Closed-set values were checked where they were read (the check column). */
	if (apply_preset(s, err) != 0)
		goto out;
	fit_timeouts(s);
	if (s->max_timeout_ms != 0 && s->max_timeout_ms < s->timeout_ms) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "max-timeout (%" G_GINT64_FORMAT ") is below timeout (%" G_GINT64_FORMAT ")",
			    s->max_timeout_ms, s->timeout_ms);
		goto out;
	}
	if (resolve_shard_auto(s, err) != 0)
		goto out;
	if (s->seed == 0 && s->shard == NULL) {
		/* Recorded in the settings, so a resume file repeats the order.
		 * A sharded scan without a seed gets one derived from what it
		 * scans instead (plan.c), the same on every machine. */
		s->seed = ((int64_t)g_random_int_range(1, G_MAXINT32) << 31) ^ g_random_int();
	}
	status = SETTINGS_OK;
out:
	for (i = 0; i < values->len; i++)
		g_free(g_array_index(values, struct cli_value, i).value);
	g_array_free(values, TRUE);
	g_ptr_array_unref(positional);
	return status;
}
