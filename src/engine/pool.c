/* pool.c: worker threads that hand tasks to the scan methods.
 *
 * The pool knows nothing of how a port is probed: a worker pops a batch of
 * task positions, turns each into a (host, proto, port) and a fresh result,
 * hands it to the plan's method for that protocol (method.h) and pushes
 * what the method finished to the results queue. Attempts, retries,
 * timeouts and their reasons are the method's (src/methods/).
 *
 * A mixed scan (TCP and UDP) holds two methods. Its workers are as many as
 * the blocking one needs (UDP waits out each datagram's timeout), and a
 * method that wants few senders (SYN's max_workers) gets a gate of that
 * many slots instead: any worker may send for it, but no more of them at
 * once than it allows. */
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

/* At most `free` more workers inside one method's probe() at once. */
struct gate {
	bool on;
	unsigned free;
	pthread_mutex_t lock;
	pthread_cond_t freed;
};

struct pool {
	pthread_t *threads;
	unsigned n;
	const struct pool_ctx *ctx;
	/* By protocol (PROTO_TCP, PROTO_UDP): NULL for one not scanned. */
	const struct scan_method *methods[2];
	void *states[2];             /* the methods', from start() to finish() */
	bool started[2];
	struct gate gates[2];
};

/* A worker's own blocks, one per method (method.h worker_size). */
struct worker_blocks {
	void *of[2];
};

static void gate_enter(struct gate *g)
{
	if (!g->on)
		return;
	pthread_mutex_lock(&g->lock);
	/* Waits only while others send: a SYN probe returns once its packet
	 * is out. */
	while (g->free == 0)
		pthread_cond_wait(&g->freed, &g->lock);
	g->free--;
	pthread_mutex_unlock(&g->lock);
}

static void gate_leave(struct gate *g)
{
	if (!g->on)
		return;
	pthread_mutex_lock(&g->lock);
	g->free++;
	pthread_cond_signal(&g->freed);
	pthread_mutex_unlock(&g->lock);
}

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
static struct result *run_task(struct pool *p, const struct method_env *env,
			       const struct worker_blocks *w, uint64_t seq)
{
	const struct pool_ctx *ctx = p->ctx;
	struct result *r = result_new();
	struct sockaddr_storage ss;
	struct method_task t = { .sa = (struct sockaddr *)&ss, .r = r };
	uint64_t port_index;
	uint64_t index = taskgen_index_at(ctx->tg, seq);
	enum method_status st;
	enum pl_proto proto;

	taskgen_decode(ctx->tg, index, &t.host, &port_index);
	target_set_get(ctx->targets, t.host, &r->addr, &r->host);
	r->index = index;
	r->seq = seq;
	r->port = plan_port_at(ctx->plan, port_index, &r->proto);
	t.salen = pl_addr_sockaddr(&r->addr, r->port, &ss);

	/* Read before the call: a method that keeps r pending may have
	 * delivered (and the results thread freed) it by the time it returns. */
	proto = r->proto;
	gate_enter(&p->gates[proto]);
	st = p->methods[proto]->probe(env, p->states[proto], w->of[proto], &t);
	gate_leave(&p->gates[proto]);
	switch (st) {
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
	struct pool *p = arg;
	const struct pool_ctx *ctx = p->ctx;
	struct result *head = NULL, *tail = NULL;
	struct task_batch *b;
	struct method_env env;
	struct worker_blocks w = { { NULL, NULL } };
	unsigned len = 0;
	int64_t first = 0;

	for (int i = 0; i < 2; i++) {
		const struct scan_method *m = p->methods[i];

		if (m == NULL)
			continue;
		w.of[i] = m->worker_size > 0 ? g_malloc0(m->worker_size) : NULL;
		if (m->worker_start != NULL)
			m->worker_start(p->states[i], w.of[i]);
	}
	while ((b = bqueue_pop(ctx->tasks)) != NULL) {
		env_of(ctx, &env);
		for (unsigned i = 0; i < b->n && !stopping(ctx); i++) {
			struct result *r;

			/* The sender stalls here while detection lags behind. */
			if (!enrich_wait_room(ctx->enrich))
				break;
			r = run_task(p, &env, &w, b->pos[i]);
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
	for (int i = 0; i < 2; i++) {
		const struct scan_method *m = p->methods[i];

		if (m != NULL && m->worker_stop != NULL)
			m->worker_stop(p->states[i], w.of[i]);
		g_free(w.of[i]);
	}
	return NULL;
}

/* Finishes the methods that started, and drops the gates. */
static void methods_finish(struct pool *p)
{
	struct method_env env;

	env_of(p->ctx, &env);
	for (int i = 0; i < 2; i++) {
		if (p->started[i] && p->methods[i]->finish != NULL)
			p->methods[i]->finish(&env, p->states[i]);
		p->started[i] = false;
		if (p->gates[i].on) {
			pthread_mutex_destroy(&p->gates[i].lock);
			pthread_cond_destroy(&p->gates[i].freed);
			p->gates[i].on = false;
		}
	}
}

/* How many workers, and the gates: one method caps the workers at its
 * max_workers as it always did; of two, a capped one is gated instead
 * while the other sets the count. */
static unsigned plan_workers(struct pool *p, unsigned n)
{
	const struct scan_method *m0 = p->methods[0], *m1 = p->methods[1];
	unsigned cap = 0;

	if (m0 == NULL || m1 == NULL) {
		const struct scan_method *m = m0 != NULL ? m0 : m1;

		return m->max_workers > 0 && n > m->max_workers ? m->max_workers : n;
	}
	if (m0->max_workers > 0 && m1->max_workers > 0)
		cap = m0->max_workers > m1->max_workers ? m0->max_workers : m1->max_workers;
	if (cap > 0 && n > cap)
		n = cap;
	for (int i = 0; i < 2; i++) {
		struct gate *g = &p->gates[i];

		if (p->methods[i]->max_workers == 0 || p->methods[i]->max_workers >= n)
			continue;
		g->on = true;
		g->free = p->methods[i]->max_workers;
		pthread_mutex_init(&g->lock, NULL);
		pthread_cond_init(&g->freed, NULL);
	}
	return n;
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
	p->methods[PROTO_TCP] = ctx->plan->methods[PROTO_TCP];
	p->methods[PROTO_UDP] = ctx->plan->methods[PROTO_UDP];
	/* A plan made by hand (the tests') may name only its method. */
	if (p->methods[PROTO_TCP] == NULL && p->methods[PROTO_UDP] == NULL)
		p->methods[ctx->plan->method->proto] = ctx->plan->method;
	n = plan_workers(p, n);
	env_of(ctx, &env);
	for (int i = 0; i < 2; i++) {
		const struct scan_method *m = p->methods[i];

		if (m == NULL)
			continue;
		if (m->start != NULL && m->start(&env, &p->states[i], err) != 0)
			goto fail_methods;
		p->started[i] = true;
	}
	/* Their raw sockets and capture are open and nothing is sent yet:
	 * privileges go now, and the workers start without them. */
	if (privdrop_apply(ctx->plan->privdrop, err) != 0)
		goto fail_methods;
	if (start_threads(p, n, err) != 0)
		goto fail_methods;
	return p;
fail_methods:
	methods_finish(p);
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
	methods_finish(p);
	g_free(p->threads);
	g_free(p);
}

unsigned pool_size(const struct pool *p)
{
	return p->n;
}
