/* pool.c: worker threads and the per-task probing policy.
 *
 * Policy for one (host, port):
 *  - a timeout (no answer) is retried up to `retries` more times, each
 *    retry with a backed-off timeout (timing_attempt_timeout_ms);
 *  - an answer (SYN-ACK, RST, ICMP error) is final at once;
 *  - a loopback self-connect is not an answer: it is tried again, a bounded
 *    number of times, and counted apart (metrics self_connects), neither
 *    as an attempt nor as a retry;
 *  - a local shortage (EMFILE, EADDRNOTAVAIL, ...) says nothing about the
 *    port: the worker backs off and tries again, and only if the shortage
 *    outlasts RESOURCE_GIVE_UP_MS is the port reported as an error. */
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "detect.h"
#include "errors.h"
#include "netconn.h"

#define WORKER_STACK_SIZE (256 * 1024)
#define SELF_CONNECT_TRIES 8
#define RESOURCE_BACKOFF_MAX_MS 500
#define RESOURCE_GIVE_UP_MS 60000
#define FLUSH_AFTER_MS 100.0
#define CHAIN_MAX 8

struct pool {
	pthread_t *threads;
	unsigned n;
	const struct pool_ctx *ctx;
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static struct result *probe_task(const struct pool_ctx *ctx, struct netconn_spare *sp,
				 uint64_t seq)
{
	struct result *r = result_new();
	struct sockaddr_storage ss;
	socklen_t salen;
	uint64_t host, port_index;
	enum attempt_outcome o;
	unsigned timeouts = 0, selfs = 0, backoff = 1, waited = 0;
	int fd = -1, err = 0;
	uint64_t index = taskgen_index_at(ctx->tg, seq);
	int64_t t0;

	taskgen_decode(ctx->tg, index, &host, &port_index);
	target_set_get(ctx->plan->targets, host, &r->addr, &r->host);
	r->index = index;
	r->seq = seq;
	r->port = ctx->plan->ports.ports[port_index];
	salen = pl_addr_sockaddr(&r->addr, r->port, &ss);

	for (;;) {
		if (!ratelimit_take(ctx->rate)) {
			/* The scan is stopping: this task was never probed, so it
			 * yields no result and a resume will probe it. */
			result_free(r);
			return NULL;
		}
		t0 = mono_ns();
		o = netconn_attempt((struct sockaddr *)&ss, salen,
				    timing_attempt_timeout_ms(ctx->timing, host, timeouts),
				    sp, &fd, &err);
		r->latency_ms = (double)(mono_ns() - t0) / 1e6;
		if (o == ATTEMPT_OPEN || o == ATTEMPT_CLOSED || o == ATTEMPT_UNREACH)
			timing_sample(ctx->timing, host, r->latency_ms);
		if (o == ATTEMPT_RESOURCE) {
			/* No packet left this host: not an attempt at the port. */
			atomic_fetch_add_explicit(&ctx->metrics->resource_waits, 1, memory_order_relaxed);
			if (waited >= RESOURCE_GIVE_UP_MS)
				break;
			sleep_ms(backoff);
			waited += backoff;
			backoff = backoff * 2 > RESOURCE_BACKOFF_MAX_MS ? RESOURCE_BACKOFF_MAX_MS : backoff * 2;
			continue;
		}
		if (o == ATTEMPT_SELF) {
			/* The SYN never left this host and the port did not
			 * answer: neither an attempt at it nor a retry, counted
			 * apart. */
			atomic_fetch_add_explicit(&ctx->metrics->self_connects, 1, memory_order_relaxed);
			if (++selfs < SELF_CONNECT_TRIES)
				continue;
			/* Never anything but itself: that is the port's answer
			 * (no listener), one attempt. */
			r->attempts++;
			atomic_fetch_add_explicit(&ctx->metrics->attempts, 1, memory_order_relaxed);
			break;
		}
		r->attempts++;
		atomic_fetch_add_explicit(&ctx->metrics->attempts, 1, memory_order_relaxed);
		if (r->attempts > 1)
			atomic_fetch_add_explicit(&ctx->metrics->retries, 1, memory_order_relaxed);
		if (o == ATTEMPT_TIMEOUT && timeouts++ < ctx->plan->retries)
			continue;
		break;
	}
	netconn_classify(o, err, &r->state, &r->reason);
	if (r->state == STATE_OPEN && ctx->plan->probes != NULL) {
		metrics_detect_begin(ctx->metrics, ctx->plan->detect.budget_ms);
		detect_service(&ctx->plan->detect, fd, (struct sockaddr *)&ss, salen, r);
		metrics_detect_end(ctx->metrics);
	} else if (fd != -1)
		netconn_abort(fd);
	if (r->state == STATE_ERROR)
		r->err = err;
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
	const struct pool_ctx *ctx = arg;
	struct result *head = NULL, *tail = NULL;
	struct task_batch *b;
	struct netconn_spare spare = NETCONN_SPARE_INIT;
	unsigned len = 0;
	int64_t first = 0;

	netconn_thread_init();
	while ((b = bqueue_pop(ctx->tasks)) != NULL) {
		for (unsigned i = 0; i < b->n && !stopping(ctx); i++) {
			struct result *r = probe_task(ctx, &spare, b->pos[i]);

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
	netconn_spare_close(&spare);
	return NULL;
}

struct pool *pool_start(const struct pool_ctx *ctx, unsigned n, GError **err)
{
	struct pool *p = g_new0(struct pool, 1);
	pthread_attr_t attr;
	int rc = 0;

	p->ctx = ctx;
	p->threads = g_new0(pthread_t, n);
	pthread_attr_init(&attr);
	(void)pthread_attr_setstacksize(&attr, WORKER_STACK_SIZE);
	for (p->n = 0; p->n < n; p->n++) {
		rc = pthread_create(&p->threads[p->n], &attr, worker_main, (void *)ctx);
		if (rc != 0)
			break;
	}
	pthread_attr_destroy(&attr);
	if (p->n == 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot start worker threads: %s",
			    g_strerror(rc));
		g_free(p->threads);
		g_free(p);
		return NULL;
	}
	if (p->n < n)
		g_warning("started %u of %u worker threads: %s", p->n, n, g_strerror(rc));
	return p;
}

void pool_join(struct pool *p)
{
	if (p == NULL)
		return;
	for (unsigned i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	g_free(p->threads);
	g_free(p);
}

unsigned pool_size(const struct pool *p)
{
	return p->n;
}
