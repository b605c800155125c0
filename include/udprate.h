/* udprate.h: learning one host's ICMP rate limit from when its answers come.
 *
 * Pure bookkeeping on times the caller passes (CLOCK_MONOTONIC ns), no
 * locks: the UDP method (src/methods/udp.c) keeps one per host under its
 * lock, and the unit tests feed it arrival times. docs/udp.md says what
 * the scan can and cannot tell under a limit.
 *
 * A host starts UNKNOWN and unpaced. It becomes
 *  - UNLIMITED when more ICMP errors than any burst (UDPRATE_BURST_MAX) came
 *    each on a port's first try and none came late: never paced;
 *  - LEARNING when a port it answered for stays silent after its retries,
 *    or a port answers only on a retry (its ICMP was suppressed once):
 *    probes go out one every UDPRATE_LEARN_STEP_MS, faster than any limit
 *    worth learning, so the ICMP errors come as fast as the limit grants
 *    and their spacing is the limit's interval;
 *  - PACED once UDPRATE_LEARN_GAPS gaps are measured (their median, plus a
 *    margin, is the pace), or UDPRATE_LEARN_MAX_MS after learning began
 *    without them (then Linux's default, UDPRATE_DEFAULT_MS). A port
 *    answering only after a silent try sent on that pace widens the pace
 *    by a quarter, up to UDPRATE_MAX_MS. */
#ifndef PORTOLAN_UDPRATE_H
#define PORTOLAN_UDPRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UDPRATE_BURST_MAX 10        /* Linux's burst is 6 */
#define UDPRATE_LEARN_STEP_MS 50
#define UDPRATE_LEARN_GAPS 3
#define UDPRATE_LEARN_MAX_MS 6000
#define UDPRATE_DEFAULT_MS 1000     /* net.ipv4.icmp_ratelimit's default */
#define UDPRATE_MAX_MS 5000
#define UDPRATE_GAPS 8

enum udprate_phase { UDPRATE_UNKNOWN, UDPRATE_UNLIMITED, UDPRATE_LEARNING, UDPRATE_PACED };

struct udprate {
	enum udprate_phase phase;
	uint32_t first_try;          /* ICMP errors on a port's first try */
	uint32_t late;               /* ICMP errors only on a retry */
	int64_t learn_since_ns;      /* LEARNING began */
	int64_t last_arrival_ns;     /* last ICMP error while LEARNING, or 0 */
	int64_t gaps_ns[UDPRATE_GAPS];
	size_t ngaps;
	int64_t interval_ns;         /* PACED: the limit learnt (the pace less its margin) */
	int64_t pace_ns;             /* the spacing of sends now: 0 unpaced */
	int64_t next_slot_ns;        /* the next send's earliest time */
	uint64_t paced_waits;        /* sends that waited for a slot */
};

void udprate_init(struct udprate *r);

/* An ICMP error from the host at now; late: the port was silent on an
 * earlier try; paced_loss: on one sent on the learnt pace (the pace lost
 * it: widened). Returns true when this answer finished learning (the host
 * is PACED from now: udprate_interval_ms says at what). */
bool udprate_answer(struct udprate *r, int64_t now, bool late, bool paced_loss);

/* A port of the host, answered before by ICMP (answered_before: the host
 * sent any), is silent after its retries at now: whether the silence may be
 * a suppressed ICMP error, to be tried again on the host's pace. Starts
 * learning if the host was not yet limited. */
bool udprate_suspect(struct udprate *r, int64_t now, bool answered_before);

/* Reserves the host's next send: returns when it may go (now when the host
 * is not paced). *learnt: the send goes on a learnt (or given-up-learning)
 * pace, so a silence on it counts against the port's extra tries. */
int64_t udprate_slot(struct udprate *r, int64_t now, bool *learnt);

/* The interval learnt (PACED), in ms, or 0. */
unsigned udprate_interval_ms(const struct udprate *r);

/* The median of n gaps (ns), n >= 1; the array is sorted in place. */
int64_t udprate_median(int64_t *gaps, size_t n);

#endif
