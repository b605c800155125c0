/* metrics.h: scan counters shared by every thread.
 *
 * Anyone may bump a counter (they are C11 atomics, relaxed: they count, they do
 * not order anything); the results thread and the progress line read them. */
#ifndef PORTOLAN_METRICS_H
#define PORTOLAN_METRICS_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "result.h"
#include "taskgen.h"

struct metrics {
	_Atomic uint64_t probes;           /* results produced (one per host and port) */
	_Atomic uint64_t attempts;         /* connect() calls */
	_Atomic uint64_t retries;          /* attempts beyond the first */
	_Atomic uint64_t state[STATE_COUNT];
	_Atomic uint64_t resource_waits;   /* back-offs for EMFILE, EADDRNOTAVAIL, ... */
};

/* A plain copy for writers and the summary. */
struct metrics_snapshot {
	uint64_t hosts;                    /* hosts in the target space */
	uint64_t total;                    /* tasks in the target space */
	uint64_t probes, attempts, retries, resource_waits;
	uint64_t state[STATE_COUNT];
	double elapsed_s;
	double rate;                       /* probes per second */
	struct scan_order order;           /* seed and shard, to repeat the run */
	const char *stopped;               /* why the scan ended before its last task
					      (static text), or NULL */
};

void metrics_init(struct metrics *m);
void metrics_count_result(struct metrics *m, const struct result *r);
void metrics_snapshot(struct metrics *m, uint64_t hosts, uint64_t total,
		      double elapsed_s, struct metrics_snapshot *out);
/* The one-paragraph summary printed on stderr at the end. */
void metrics_print_summary(const struct metrics_snapshot *s, FILE *fp);

#endif
