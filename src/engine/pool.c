/* pool.c: worker threads that hand tasks to the scan method.
 *
 * The pool knows nothing of how a port is probed: a worker pops a batch of
 * task positions, turns each into a (host, port) and a fresh result, hands
 * it to the plan's method (method.h) and pushes what the method finished to
 * the results queue. Attempts, retries, timeouts and their reasons are the
 * method's (src/methods/). */
#include "pool.h"

#include <pthread.h>
#include <time.h>

#include "clock.h"
#include "errors.h"
#include "method.h"
#include "privdrop.h"

#define WORKER_STACK_SIZE (256 * 1024)
#define FLUSH_AFTER_MS 100.0
#define CHAIN_MAX 8

struct pool {
	pthread_t *threads;
	unsigned n;
	const struct pool_ctx *ctx;
	const struct scan_method *method;
	void *state;                 /* the method's, from start() to finish() */
};

/* Read afresh for every batch: between target windows the main thread
 * replaces the timing estimates while every worker waits for tasks. */
static void env_of(const struct pool_ctx *ctx, struct method_env *env)
{
	*env = (struct method_env){
		.plan = ctx->plan, .timing = ctx->timing, .rate = ctx->rate,
		.metrics = ctx->metrics, .results = ctx->results, .stopping = ctx->stopping,
	};
}

/* The task at position seq of the scan order, probed by the method: its
 * result when the method finished it, NULL when it keeps it pending or the
 * scan stopped first. */
static struct result *run_task(const struct pool *p, const struct method_env *env,
			       void *worker, uint64_t seq)
{
	const struct pool_ctx *ctx = p->ctx;
	struct result *r = result_new();
	struct sockaddr_storage ss;
	struct method_task t = { .sa = (struct sockaddr *)&ss, .r = r };
	uint64_t port_index;
	uint64_t index = taskgen_index_at(ctx->tg, seq);

	taskgen_decode(ctx->tg, index, &t.host, &port_index);
	target_set_get(ctx->targets, t.host, &r->addr, &r->host);
	r->index = index;
	r->seq = seq;
	r->port = ctx->plan->ports.ports[port_index];
	t.salen = pl_addr_sockaddr(&r->addr, r->port, &ss);

	switch (p->method->probe(env, p->state, worker, &t)) {
	case METHOD_DONE:
		break;
	case METHOD_PENDING:
		return NULL;
	case METHOD_STOPPED:
	default:
		/* Never probed: no result, and a resume will probe it. */
		result_free(r);
		return NULL;
	}
	if (r->state == STATE_OPEN && ctx->ptr != NULL)
		r->ptr = rdns_cache_lookup(ctx->ptr, &r->addr);
	return r;
}

static bool stopping(const struct pool_ctx *ctx)
{
	return ctx->stopping != NULL && atomic_load_explicit(ctx->stopping, memory_order_relaxed);
}

/* Results go out in chains of at most CHAIN_MAX, pushed when the batch ends,
 * when the chain is full, or when it has waited FLUSH_AFTER_MS (a slow probe
 * or service detection in the batch), so the outputs keep streaming and a
 * worker holds only a few results at a time. */
static void flush_chain(const struct pool_ctx *ctx, struct result **head, struct result **tail)
{
	/* The results queue is closed only after every worker is joined. */
	if (*head != NULL)
		(void)bqueue_push(ctx->results, *head);
	*head = *tail = NULL;
}

static void *worker_main(void *arg)
{
	const struct pool *p = arg;
	const struct pool_ctx *ctx = p->ctx;
	const struct scan_method *m = p->method;
	struct result *head = NULL, *tail = NULL;
	struct task_batch *b;
	struct method_env env;
	void *worker = m->worker_size > 0 ? g_malloc0(m->worker_size) : NULL;
	unsigned len = 0;
	int64_t first = 0;

	if (m->worker_start != NULL)
		m->worker_start(p->state, worker);
	while ((b = bqueue_pop(ctx->tasks)) != NULL) {
		env_of(ctx, &env);
		for (unsigned i = 0; i < b->n && !stopping(ctx); i++) {
			struct result *r;

			/* The sender stalls here while detection lags behind. */
			if (!enrich_wait_room(ctx->enrich))
				break;
			r = run_task(p, &env, worker, b->pos[i]);
			if (r == NULL)
				continue;
			if (head == NULL) {
				head = r;
				len = 0;
				first = mono_ms();
			} else {
				tail->next = r;
			}
			tail = r;
			if (++len >= CHAIN_MAX || mono_ms() - first >= FLUSH_AFTER_MS)
				flush_chain(ctx, &head, &tail);
		}
		g_free(b);
		flush_chain(ctx, &head, &tail);
	}
	if (m->worker_stop != NULL)
		m->worker_stop(p->state, worker);
	g_free(worker);
	return NULL;
}

static void method_finish(struct pool *p)
{
	struct method_env env;

	if (p->method->finish == NULL)
		return;
	env_of(p->ctx, &env);
	p->method->finish(&env, p->state);
}

static int start_threads(struct pool *p, unsigned n, GError **err)
{
	pthread_attr_t attr;
	int rc = 0;

	p->threads = g_new0(pthread_t, n);
	pthread_attr_init(&attr);
	(void)pthread_attr_setstacksize(&attr, WORKER_STACK_SIZE);
	for (p->n = 0; p->n < n; p->n++) {
		rc = pthread_create(&p->threads[p->n], &attr, worker_main, p);
		if (rc != 0)
			break;
	}
	pthread_attr_destroy(&attr);
	if (p->n == 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot start worker threads: %s",
			    g_strerror(rc));
		return -1;
	}
	if (p->n < n)
		g_warning("started %u of %u worker threads: %s", p->n, n, g_strerror(rc));
	return 0;
}

struct pool *pool_start(const struct pool_ctx *ctx, unsigned n, GError **err)
{
	struct pool *p = g_new0(struct pool, 1);
	struct method_env env;

	p->ctx = ctx;
	p->method = ctx->plan->method;
	if (p->method->max_workers > 0 && n > p->method->max_workers)
		n = p->method->max_workers;
	env_of(ctx, &env);
	if (p->method->start != NULL && p->method->start(&env, &p->state, err) != 0)
		goto fail;
	/* Its raw sockets and capture are open and nothing is sent yet:
	 * privileges go now, and the workers start without them. */
	if (privdrop_apply(ctx->plan->privdrop, err) != 0) {
		method_finish(p);
		goto fail;
	}
	if (start_threads(p, n, err) != 0) {
		method_finish(p);
		goto fail;
	}
	return p;
fail:
	g_free(p->threads);
	g_free(p);
	return NULL;
}

void pool_join(struct pool *p)
{
	if (p == NULL)
		return;
	for (unsigned i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	method_finish(p);
	g_free(p->threads);
	g_free(p);
}

unsigned pool_size(const struct pool *p)
{
	return p->n;
}
