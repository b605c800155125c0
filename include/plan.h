/* plan.h: the scan plan, built from settings before any thread starts and
 * read-only afterwards, so workers read it without a lock. */
#ifndef PORTOLAN_PLAN_H
#define PORTOLAN_PLAN_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <glib.h>

#include "audit.h"
#include "detect.h"
#include "outputs.h"
#include "ports.h"
#include "probe_db.h"
#include "result.h"
#include "resume.h"
#include "settings.h"
#include "targets.h"
#include "targetwin.h"

struct disco_use;
struct privdrop;
struct scan_method;

struct scan_plan {
	/* How ports are probed (method.h): the TCP method, or the UDP one
	 * when no TCP port is scanned. */
	const struct scan_method *method;
	/* The method of each protocol (PROTO_TCP, PROTO_UDP), NULL for one
	 * not scanned: both in a mixed scan (--method syn,udp). */
	const struct scan_method *methods[2];
	/* The hosts to scan: the whole scan's set, or NULL with windows. The
	 * window being scanned is the run's (scan.c), not the plan's. */
	struct target_set *targets;
	/* NULL: one window, the whole scan. Else the windows, the first one
	 * already read (target_windows_preload), its errors reported. */
	struct target_windows *windows;
	uint64_t first_window;           /* where the scan starts (a resume's window) */
	/* The ports of each protocol, each list sorted; empty for one not
	 * scanned. The task space's port axis is the TCP list followed by the
	 * UDP list (plan_port_at), nports long. */
	struct port_list ports[2];
	uint64_t nports;
	char *ports_text;        /* "22,80", or "T:22,80,U:53" when mixed */
	char **target_specs;     /* NULL-terminated, for metadata */
	char *states_text;
	unsigned states_mask;
	unsigned threads;
	unsigned timeout_ms;         /* initial timeout */
	unsigned min_timeout_ms;
	unsigned max_timeout_ms;     /* >= timeout_ms */
	unsigned retries;
	uint64_t max_rate;           /* 0: unlimited */
	uint64_t capture_buffer;     /* bytes: the SYN scan's capture buffer */
	/* What a privileged method gives up once its sockets are open
	 * (privdrop.h); NULL for a method that needs no privileges, or a dry
	 * run. */
	struct privdrop *privdrop;
	/* Host discovery (discovery.h): on unless -Pn, or the whole scan is
	 * a single address and not -sn. */
	bool discovery;
	bool discovery_only;         /* -sn: host rows, no port scan */
	struct disco_use *disco_uses;  /* discovery.probes, resolved (owned) */
	size_t ndisco_uses;
	unsigned disco_timeout_ms;   /* initial and largest per-attempt timeout */
	unsigned disco_retries;
	uint64_t seed;               /* 0: index order */
	bool seed_derived;           /* a shard without --seed: from the scan's definition */
	uint64_t shard, nshards;     /* 0-based share of nshards */
	bool sharded;                /* --shard in effect (1/1 included): manifests, placeholders */
	/* The scan's identity: 32 hex digits of a SHA-256 over what defines
	 * its task space and its seed, shared by every shard of one scan. */
	char scan_id[33];
	/* The paths this run writes, placeholders expanded ({shard} ...):
	 * NULL when there is none. */
	char *findings_path;
	char *resume_file;
	bool reverse_dns;
	unsigned ptr_timeout_ms;
	bool dry_run;
	struct probe_db *probes;     /* NULL unless service detection is on */
	/* A UDP scan's payloads (the probes with `protocol: udp`): probes
	 * itself with detection on, else loaded for the scan alone; NULL for
	 * a TCP scan. */
	struct probe_db *udp_payloads;
	struct detect_config detect;
	GPtrArray *outputs;      /* struct output_spec *: what to write where; never empty */
	const struct settings *settings;   /* borrowed: saved into a resume file */
	char *fingerprint;       /* of the task space and its order */
	bool resuming;           /* continuing the scan in `resume` */
	struct audit *audit;     /* policy and/or --baseline to check results against, or NULL */
	struct resume_state resume;
	const char *const *argv; /* the command line as given (main's argv), or NULL */
};

/* Port index i of the task space (< nports): its port and protocol. */
static inline uint16_t plan_port_at(const struct scan_plan *p, uint64_t i, enum pl_proto *proto)
{
	uint64_t ntcp = p->ports[PROTO_TCP].count;

	*proto = i < ntcp ? PROTO_TCP : PROTO_UDP;
	return i < ntcp ? p->ports[PROTO_TCP].ports[i] : p->ports[PROTO_UDP].ports[i - ntcp];
}

/* Whether the scan probes ports of proto. */
static inline bool plan_scans(const struct scan_plan *p, enum pl_proto proto)
{
	return p->methods[proto] != NULL;
}

/* The plan's seed and shard, as outputs and the summary record them. */
void plan_order(const struct scan_plan *p, struct scan_order *o);

/* Checks and resolves everything the scan needs except the output files.
 * Any failure is an input error (exit 2) and nothing has been written. */
int plan_build(struct scan_plan *p, const struct settings *s, GError **err);

/* Opens the plan's outputs and the audit's findings file for a run, without
 * truncating any, so a failure on one leaves the others untouched;
 * truncates them only once all are open (not when resuming: the scan
 * continues them). The plan is not changed: the outputs are the caller's
 * (scan_run's). Returns NULL on failure, a runtime error (exit 3), with the
 * files it created removed. */
struct outputs *plan_open_outputs(const struct scan_plan *p, GError **err);

/* After an early failure: removes the files plan_open_outputs created (the
 * outputs and the findings file) and frees o. */
void plan_discard_outputs(const struct scan_plan *p, struct outputs *o);

void plan_free(struct scan_plan *p);

/* Expands the placeholders of an output name: {shard} (1-based index),
 * {shards} (count), {index0} (0-based index), {{ and }} for a brace. Any
 * other {...}, a lone brace, or a placeholder when not sharded (nshards 0)
 * fails with an input error naming `what` and the path. Returns the name
 * (g_free), or NULL. */
char *plan_expand_name(const char *what, const char *path, uint64_t shard, uint64_t nshards,
		       GError **err);

/* "I/N", 1 <= I <= N, into a 0-based shard and a count. Fails with
 * "invalid shard 'TEXT': ...". */
int plan_parse_shard(const char *text, uint64_t *shard, uint64_t *nshards, GError **err);

#endif
