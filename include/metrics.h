/* metrics.h: scan counters shared by every thread.
 *
 * Anyone may bump a counter (they are C11 atomics, relaxed: they count, they do
 * not order anything); the results thread and the progress line read them. */
#ifndef PORTOLAN_METRICS_H
#define PORTOLAN_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "result.h"
#include "taskgen.h"

struct metrics {
	_Atomic uint64_t probes;           /* results produced (one per host and port);
					      host rows are not probes */
	_Atomic uint64_t attempts;         /* connect() calls */
	_Atomic uint64_t retries;          /* attempts beyond the first */
	_Atomic uint64_t state[STATE_COUNT];
	_Atomic uint64_t resource_waits;   /* back-offs for EMFILE, EADDRNOTAVAIL, ... */
	/* Service detection in flight, for the progress line's ETA: its
	 * result counts only once detection ends, which may be seconds after
	 * every other task is done. */
	_Atomic uint64_t detecting;
	_Atomic int64_t detect_until_ms;   /* CLOCK_MONOTONIC: the latest bound of any begun */
	_Atomic uint64_t self_connects;    /* loopback self-connects tried again (not attempts) */
	/* Positions done without a port result: host discovery's down hosts
	 * and -sn's host rows (the progress line counts them as done). */
	_Atomic uint64_t skipped;
	struct packet_counts {             /* a packet method's (SYN): all 0 for connect */
		_Atomic uint64_t sent, received, retransmitted, rejected, dropped;
	} packets;
};

/* A plain copy for writers and the summary. */
struct metrics_snapshot {
	uint64_t hosts;                    /* hosts in the target space */
	uint64_t total;                    /* tasks in the target space */
	uint64_t probes, attempts, retries, resource_waits, self_connects;
	uint64_t state[STATE_COUNT];       /* STATE_UP/STATE_DOWN: hosts by their host row */
	/* Packets sent, answers received, retransmissions, answers rejected by
	 * validation, capture drops: a packet method's; sent 0 for connect. */
	uint64_t pkt_sent, pkt_received, pkt_retransmitted, pkt_rejected, pkt_dropped;
	double elapsed_s;
	double rate;                       /* probes per second */
	struct scan_order order;           /* seed and shard, to repeat the run */
	const char *stopped;               /* why the scan ended before its last task
					      (static text), or NULL */
};

void metrics_init(struct metrics *m);
void metrics_count_result(struct metrics *m, const struct result *r);
/* A worker begins service detection bounded by budget_ms, and ends it. */
void metrics_detect_begin(struct metrics *m, unsigned budget_ms);
void metrics_detect_end(struct metrics *m);
/* Milliseconds until every detection in flight has ended at the latest, or
 * 0 when none is. An upper bound: one that began later and ended early may
 * still set it. */
int64_t metrics_detect_left_ms(struct metrics *m);
void metrics_snapshot(struct metrics *m, uint64_t hosts, uint64_t total,
		      double elapsed_s, struct metrics_snapshot *out);
/* Did host discovery run (some host row was counted)? */
bool metrics_discovered(const struct metrics_snapshot *s);
/* The one-paragraph summary printed on stderr at the end: "N hosts (U up,
 * D down), ..." when discovery ran, "N hosts, ..." otherwise. */
void metrics_print_summary(const struct metrics_snapshot *s, FILE *fp);

#endif
