/* method.h: a scan method, as a table of operations.
 *
 * A method is the one part of a scan that sends probes and reads answers.
 * Everything around it is shared: targets, the scan order and shards, the
 * task queue, the worker pool, the per-host RTT estimate, the rate limiter,
 * the results thread and the writers. A method is one file in src/methods/
 * that fills a struct scan_method with designated initialisers, and one line
 * in the table of src/methods/methods.c; docs/methods.md shows how TCP
 * connect fits it and how an asynchronous (raw SYN + capture) method does.
 *
 * Life of a method in a scan, and who calls what:
 *   plan_build   check()                      main thread, before any output
 *   pool_start   start()                      main thread, once
 *   each worker  worker_start(), probe() per task, worker_stop()
 *   pool_join    finish()                     main thread, once every worker
 *                                              has stopped; before the
 *                                              results queue is closed
 * Every operation but probe() may be NULL (nothing to do).
 *
 * Timing and rate, the same for every method: each packet (or connect())
 * sent takes one token from env->rate first (ratelimit_take; false means the
 * scan is stopping: send nothing more); each attempt waits for an answer
 * timing_attempt_timeout_ms(env->timing, task->host, retry); each answer
 * (not a timeout) is an RTT sample, timing_sample(). A timeout is retried
 * while retry < plan->retries. Counters: metrics->attempts per attempt,
 * metrics->retries per attempt beyond the first. */
#ifndef PORTOLAN_METHOD_H
#define PORTOLAN_METHOD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <glib.h>

#include "result.h"

struct bqueue;
struct metrics;
struct ratelimit;
struct scan_plan;
struct timing;

/* What the engine lends a method; it owns all of it. The pool hands a fresh
 * copy to every probe() call: between target windows the engine replaces
 * the timing estimates, so a method must not keep these pointers. */
struct method_env {
	const struct scan_plan *plan;
	struct timing *timing;       /* per-host timeouts; feed it every answer */
	struct ratelimit *rate;      /* one token per packet sent; NULL: no limit */
	struct metrics *metrics;
	struct bqueue *results;      /* of result chains: where an asynchronous
					method delivers what probe() left pending */
	const atomic_bool *stopping; /* set when the scan stops early */
};

/* One task: a (host, port) to probe. r comes with addr, host, port, index
 * and seq filled; the method fills state, reason, latency_ms, attempts, err
 * and whatever else it learns (service fields). */
struct method_task {
	uint64_t host;               /* host index: the key of the timing estimate */
	const struct sockaddr *sa;   /* the address and port to probe */
	socklen_t salen;
	struct result *r;
};

/* What probe() did with a task. */
enum method_status {
	METHOD_DONE,     /* r is final: the pool pushes it to the results */
	METHOD_PENDING,  /* the method owns r from now on and pushes it to
			    env->results itself, at the latest in finish() */
	METHOD_STOPPED,  /* the scan is stopping and r was never probed: the
			    pool frees it, no result, a resume probes it */
};

/* Capabilities: what differs between methods, for callers to test instead
 * of asking which method this is. */
enum {
	METHOD_CAP_PRIVILEGED = 1u << 0, /* needs raw sockets: check() verifies */
	METHOD_CAP_CAPTURE    = 1u << 1, /* reads answers from a packet capture */
	METHOD_CAP_ASYNC      = 1u << 2, /* probe() sends and returns PENDING;
					    answers arrive on its own threads */
};

struct scan_method {
	const char *name;            /* as a user or a resume file names it */
	const char *summary;         /* one line describing it, for listings */
	unsigned caps;               /* METHOD_CAP_* */
	/* The reason words its results may carry, ended by REASON_COUNT: a
	 * method reports the network's answer in its own words, all of them
	 * listed in enum reason (result.h) so writers and ndiff agree. */
	const enum reason *reasons;
	/* At most this many workers (0: as many as the scan asks). A sender
	 * that never blocks needs one or two, not a thousand. */
	unsigned max_workers;
	/* An asynchronous method: the most results it may hold at once (sent,
	 * not yet delivered). Bounds what it can deliver after the sender's
	 * last look at a later stage's backlog (enrich.h). */
	size_t max_pending;
	/* Bytes of per-worker state; the pool allocates them zeroed, one block
	 * per worker, and passes them as `worker`. */
	size_t worker_size;

	/* The transport it probes: every result it gives has this proto
	 * (PROTO_TCP, zero, unless said). */
	enum pl_proto proto;

	/* Whether the plan can run: privileges, families, options. No side
	 * effect; a failure is a usage error (exit 2) with *err set. */
	int (*check)(const struct scan_plan *plan, GError **err);
	/* Acquires what the whole scan shares (raw sockets, capture handle,
	 * receiver thread) into *state. A failure (exit 3, *err set) means no
	 * worker starts and finish() is not called. */
	int (*start)(const struct method_env *env, void **state, GError **err);
	/* On each worker thread, before its first probe and after its last.
	 * They cannot fail: what can is acquired by start(). */
	void (*worker_start)(void *state, void *worker);
	void (*worker_stop)(void *state, void *worker);
	/* Probes one task on a worker thread, retries and all, in one call
	 * (a blocking method) or sends it and leaves the answer pending. */
	enum method_status (*probe)(const struct method_env *env, void *state, void *worker,
				    struct method_task *task);
	/* Every worker has stopped: deliver what is still pending (each probe
	 * whose timeout has not run out yet is waited for, unless the scan is
	 * stopping: then it yields no result), stop the method's threads and
	 * free state. */
	void (*finish)(const struct method_env *env, void *state);
};

/* The method called name, or NULL. */
const struct scan_method *method_find(const char *name);
/* The i-th method of the table, or NULL past the last: for --help and tests. */
const struct scan_method *method_at(size_t i);
/* A --method value: a method name, or a TCP method and udp joined by a
 * comma ("syn,udp", "udp,connect"): one scan of both protocols. Fills
 * by_proto[PROTO_TCP] and [PROTO_UDP] (NULL: that protocol is not
 * scanned). Fails (a usage error) on an unknown name, two methods of one
 * protocol, or an empty list. */
int method_parse_list(const char *text, const struct scan_method *by_proto[2], GError **err);
/* Whether m may report reason r (its `reasons` list holds it). */
gboolean method_has_reason(const struct scan_method *m, enum reason r);

#endif
