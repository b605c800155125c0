/* enrich.h: service detection and reverse DNS after an asynchronous method.
 *
 * The connect method identifies an open port on the connection it holds, in
 * the worker that found it. An asynchronous method (SYN) finds ports on its
 * receiver and timer threads, which must never block: a blocked receiver
 * loses answers. Its results go through this stage instead: a dispatcher
 * thread passes closed and filtered results straight on to the results
 * queue, and a fixed pool of workers takes each open one: connects to the
 * port (netconn.c, bounded by the connect timeout) and runs detect_service
 * on it, looks up the host's PTR name (rdns.c, cached per address), and
 * passes the result on.
 *
 * Back-pressure: the stage's input queue is sized so that a push never
 * waits (the receiver hands results over and goes back to the capture); the
 * pool's worker, the sender, calls enrich_wait_room before each task and
 * stalls while the backlog is at its high-water mark. Results arrive only
 * for tasks handed out, so the backlog never exceeds
 *   high_water + max_pending + 2 x workers   (chains)
 * where max_pending is the most results the method may hold at once
 * (method.h: SYN's in-flight table, 131072) and each worker may flush a
 * chain of its own results after its last look (counted twice, for slack).
 * The input queue is allocated that large, so it never fills.
 *
 * Stopping: the stage finishes what it holds (every port's detection is
 * bounded by --detect-timeout) and writes all of it; a result it never got
 * was never written, so a resume probes it again. */
#ifndef PORTOLAN_ENRICH_H
#define PORTOLAN_ENRICH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

#include "detect.h"
#include "rdns.h"
#include "result.h"

struct bqueue;
struct metrics;
struct scan_plan;

struct enrich_config {
	const struct detect_config *detect;  /* NULL: no service detection */
	struct rdns_cache *ptr;              /* NULL: no reverse DNS */
	unsigned threads;                    /* >= 1 */
	size_t high_water;                   /* backlog (chains) that stalls the sender */
	size_t max_pending;                  /* the method's bound (method.h) */
	unsigned workers;                    /* the pool's workers */
	struct bqueue *out;                  /* the results queue; not closed here */
	struct metrics *metrics;
	const atomic_bool *stopping;         /* the scan's stop flag */
	/* Replaces the per-result work (detection and PTR), for tests: called
	 * on a stage thread for every result, whatever its state. */
	void (*work)(struct result *r, void *ud);
	void *work_ud;
};

struct enrich;

/* Whether the plan's results need the stage: detection or reverse DNS with
 * a method that does not do them itself (an asynchronous one). */
bool enrich_wanted(const struct scan_plan *plan);

/* The high-water mark for a stage of `threads` threads: a few chains per
 * thread, so every thread has work queued while the sender runs. */
size_t enrich_high_water(unsigned threads);

/* Starts the threads (fewer than asked is a warning). NULL with *err set
 * (a runtime error) when none could start. */
struct enrich *enrich_start(const struct enrich_config *cfg, GError **err);

/* Where the method and the pool push result chains (in place of the results
 * queue); the stage owns what is pushed there. */
struct bqueue *enrich_input(struct enrich *e);

/* Blocks while the backlog is at the high-water mark. Returns false, at
 * once, when the scan is stopping. Accepts NULL (no stage: true). */
bool enrich_wait_room(struct enrich *e);

/* Chains queued and not yet taken by the stage's dispatcher. */
size_t enrich_backlog(struct enrich *e);

/* After the last push (the pool is joined): closes the input, waits until
 * every result is passed on, and frees e. Accepts NULL. */
void enrich_join(struct enrich *e);

#endif
