/* connect.c: the TCP connect method, one blocking probe per worker.
 *
 * A worker makes the attempts of one (host, port) itself, one after the
 * other, with netconn.c's connect-with-timeout (the socket layer, shared with
 * service detection). The policy for one task:
 *  - a timeout (no answer) is retried up to `retries` more times, each
 *    retry with a backed-off timeout (timing_attempt_timeout_ms);
 *  - an answer (SYN-ACK, RST, ICMP error) is final at once;
 *  - a loopback self-connect is not an answer: it is tried again, a bounded
 *    number of times, and counted apart (metrics self_connects), neither
 *    as an attempt nor as a retry;
 *  - a local shortage (EMFILE, EADDRNOTAVAIL, ...) says nothing about the
 *    port: the worker backs off and tries again, and only if the shortage
 *    outlasts RESOURCE_GIVE_UP_MS is the port reported as an error.
 * An open port's socket goes to service detection when it is on. */
#include <errno.h>
#include <time.h>

#include "clock.h"
#include "detect.h"
#include "method.h"
#include "metrics.h"
#include "netconn.h"
#include "plan.h"
#include "ratelimit.h"
#include "timing.h"

#define SELF_CONNECT_TRIES 8
#define RESOURCE_BACKOFF_MAX_MS 500
#define RESOURCE_GIVE_UP_MS 60000

/* Per worker: the refused socket kept for the next attempt. */
struct connect_worker {
	struct netconn_spare spare;
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void connect_worker_start(void *state, void *worker)
{
	struct connect_worker *w = worker;

	w->spare = (struct netconn_spare)NETCONN_SPARE_INIT;
	netconn_thread_init();
}

static void connect_worker_stop(void *state, void *worker)
{
	struct connect_worker *w = worker;

	netconn_spare_close(&w->spare);
}

static void count(_Atomic uint64_t *counter)
{
	atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

/* Attempts until an answer, a last timeout or a resource shortage that
 * lasts; *fd is the open socket on ATTEMPT_OPEN. Returns -1 when the scan
 * stopped before an attempt (the task was never probed). */
static int attempt_until_final(const struct method_env *env, struct method_task *t,
			       struct connect_worker *w, int *fd, int *err,
			       enum attempt_outcome *out)
{
	struct result *r = t->r;
	enum attempt_outcome o;
	unsigned timeouts = 0, selfs = 0, backoff = 1, waited = 0;
	int64_t t0;

	for (;;) {
		if (!ratelimit_take(env->rate))
			return -1;
		t0 = mono_ns();
		o = netconn_attempt(t->sa, t->salen,
				    timing_attempt_timeout_ms(env->timing, t->host, timeouts),
				    &w->spare, fd, err);
		r->latency_ms = (double)(mono_ns() - t0) / 1e6;
		if (o == ATTEMPT_OPEN || o == ATTEMPT_CLOSED || o == ATTEMPT_UNREACH)
			timing_sample(env->timing, t->host, r->latency_ms);
		if (o == ATTEMPT_RESOURCE) {
			/* No packet left this host: not an attempt at the port. */
			count(&env->metrics->resource_waits);
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
			count(&env->metrics->self_connects);
			if (++selfs < SELF_CONNECT_TRIES)
				continue;
			/* Never anything but itself: that is the port's answer
			 * (no listener), one attempt. */
			r->attempts++;
			count(&env->metrics->attempts);
			break;
		}
		r->attempts++;
		count(&env->metrics->attempts);
		if (r->attempts > 1)
			count(&env->metrics->retries);
		if (o == ATTEMPT_TIMEOUT && timeouts++ < env->plan->retries)
			continue;
		break;
	}
	*out = o;
	return 0;
}

static enum method_status connect_probe(const struct method_env *env, void *state,
					void *worker, struct method_task *t)
{
	const struct scan_plan *plan = env->plan;
	struct result *r = t->r;
	enum attempt_outcome o;
	int fd = -1, err = 0;

	if (attempt_until_final(env, t, worker, &fd, &err, &o) != 0)
		return METHOD_STOPPED;
	netconn_classify(o, err, &r->state, &r->reason);
	if (r->state == STATE_OPEN && plan->probes != NULL) {
		metrics_detect_begin(env->metrics, plan->detect.budget_ms);
		detect_service(&plan->detect, fd, t->sa, t->salen, r);
		metrics_detect_end(env->metrics);
	} else if (fd != -1)
		netconn_abort(fd);
	if (r->state == STATE_ERROR)
		r->err = err;
	return METHOD_DONE;
}

/* Every reason netconn_classify gives. */
static const enum reason connect_reasons[] = {
	REASON_SYN_ACK, REASON_CONN_REFUSED, REASON_RESET, REASON_NO_RESPONSE,
	REASON_HOST_UNREACH, REASON_NET_UNREACH, REASON_ADMIN_PROHIBITED,
	REASON_PROTO_UNREACH, REASON_LOCAL_ERROR, REASON_COUNT
};

const struct scan_method method_connect = {
	.name = "connect",
	.summary = "TCP connect(): the system's own handshake, no privileges needed",
	.reasons = connect_reasons,
	.worker_size = sizeof(struct connect_worker),
	.worker_start = connect_worker_start,
	.worker_stop = connect_worker_stop,
	.probe = connect_probe,
};
