/* pool.h: the fixed pool of worker threads that turn tasks into results.
 *
 * Workers pop batches of tasks from the task queue until it is closed and
 * drained, hand each (host, port) to the plan's scan method (method.h) and
 * push the results, one per probed task, as chains to the results queue,
 * which then owns them. Once the scan is stopping a worker probes nothing
 * more: the tasks it still held yield no result, so a resume probes them.
 * The pool starts the method before its workers and finishes it after the
 * last one, so the method's pending results reach the queue before the
 * caller closes it. */
#ifndef PORTOLAN_POOL_H
#define PORTOLAN_POOL_H

#include <stdatomic.h>
#include <stdint.h>
#include <glib.h>

#include "enrich.h"
#include "metrics.h"
#include "plan.h"
#include "rdns.h"
#include "queue.h"
#include "ratelimit.h"
#include "taskgen.h"
#include "timing.h"

/* What the workers share; all of it outlives the pool. */
struct pool_ctx {
	const struct scan_plan *plan;
	/* The window's hosts; scan.c replaces them (and tg) between windows,
	 * while no worker holds a task. */
	const struct target_set *targets;
	const struct taskgen *tg;
	struct bqueue *tasks;        /* of struct task_batch * */
	struct bqueue *results;      /* of chains of struct result (result->next) */
	struct metrics *metrics;
	struct rdns_cache *ptr;       /* NULL unless reverse DNS is on here (the
					 enrichment stage does it otherwise) */
	struct enrich *enrich;       /* NULL, or the stage results go through:
					each task waits for room in it */
	struct timing *timing;       /* per-host adaptive timeouts */
	struct ratelimit *rate;      /* NULL: no limit */
	const atomic_bool *stopping; /* set when the scan stops early */
};

/* A queued batch of tasks, named by their positions in the scan order (a
 * worker maps a position to its task index itself). One queue item per batch
 * instead of per task divides the lock and wake-up traffic of both queues by
 * the batch size; the producer shrinks batches as the work left shrinks, so
 * the end of a scan still spreads over every worker. */
#define TASK_BATCH_MAX 32
struct task_batch {
	unsigned n;
	uint64_t pos[TASK_BATCH_MAX];
};

struct pool;

/* Starts the method, gives up the plan's privileges (plan->privdrop: the
 * method's sockets are open, nothing is sent yet), then n workers (at most
 * the method's max_workers), each with a small explicit stack. Returns NULL
 * with *err set when the method cannot start, the privileges cannot be
 * given up, or not even one thread could be started; fewer than n is a
 * warning. */
struct pool *pool_start(const struct pool_ctx *ctx, unsigned n, GError **err);
/* Waits for every worker to finish (after the task queue is closed), then
 * lets the method deliver what it still has in flight. Accepts NULL. */
void pool_join(struct pool *p);
unsigned pool_size(const struct pool *p);

#endif
