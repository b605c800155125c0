/* pool.h: the fixed pool of worker threads that turn tasks into results.
 *
 * Workers pop task indices from the task queue until it is closed and
 * drained, probe each (host, port) with blocking connects and push one
 * result per task to the results queue, which then owns it. */
#ifndef PORTOLAN_POOL_H
#define PORTOLAN_POOL_H

#include <stdint.h>
#include <glib.h>

#include "metrics.h"
#include "plan.h"
#include "ptr.h"
#include "queue.h"
#include "ratelimit.h"
#include "taskgen.h"
#include "timing.h"

/* What the workers share; all of it outlives the pool. */
struct pool_ctx {
	const struct scan_plan *plan;
	const struct taskgen *tg;
	struct bqueue *tasks;        /* of struct task * */
	struct bqueue *results;      /* of struct result * */
	struct metrics *metrics;
	struct ptr_cache *ptr;       /* NULL unless reverse DNS is on */
	struct timing *timing;       /* per-host adaptive timeouts */
	struct ratelimit *rate;      /* NULL: no limit */
};

/* A queued task: its position in the scan order and the task index there. */
struct task {
	uint64_t seq;
	uint64_t index;
};

struct pool;

/* Starts n workers (each with a small explicit stack). Returns NULL with *err
 * set when not even one thread could be started; fewer than n is a warning. */
struct pool *pool_start(const struct pool_ctx *ctx, unsigned n, GError **err);
/* Waits for every worker to finish (after the task queue is closed). */
void pool_join(struct pool *p);
unsigned pool_size(const struct pool *p);

#endif
