/* enrich.c: the stage between an asynchronous method and the results thread.
 *
 * One dispatcher thread pops the result chains the method (and the pool)
 * pushed: a result with nothing to do (closed, filtered) joins a chain
 * passed straight on to the results queue; one with work (an open port)
 * goes to the work queue, where the stage's worker threads connect to the
 * port and identify it, look up the host's PTR name, and pass it on. Only
 * the dispatcher wakes for each result: with a thousand workers waiting on
 * the input itself, every answer woke a different sleeping thread, and a
 * full-port scan spent twice its time in the scheduler (lab, -p-: 4.6-4.8 s
 * against 2.6-3.3 s without -sV). enrich.h says why the stage exists, how
 * its backlog is bounded and what a stop does. */
#include "enrich.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "clock.h"
#include "errors.h"
#include "method.h"
#include "metrics.h"
#include "netconn.h"
#include "plan.h"
#include "queue.h"

#define ENRICH_STACK_SIZE (256 * 1024)
#define HIGH_WATER_PER_THREAD 4
#define HIGH_WATER_MIN 64
#define STOP_POLL_NS (50 * 1000000LL)
#define PASS_CHAIN_MAX 32

struct enrich {
	struct enrich_config cfg;
	struct bqueue *in;
	struct bqueue *work;         /* single results with work, for the workers */
	pthread_t dispatcher;
	pthread_t *threads;          /* the workers */
	unsigned n;
	/* The sender waits on room for the dispatcher to take a chain. */
	pthread_mutex_t lock;
	pthread_cond_t room;
};

bool enrich_wanted(const struct scan_plan *plan)
{
	return (plan->probes != NULL || plan->reverse_dns) &&
	       (plan->method->caps & METHOD_CAP_ASYNC) != 0;
}

size_t enrich_high_water(unsigned threads)
{
	size_t hw = (size_t)threads * HIGH_WATER_PER_THREAD;

	return hw < HIGH_WATER_MIN ? HIGH_WATER_MIN : hw;
}

static bool stopping(const struct enrich *e)
{
	return e->cfg.stopping != NULL && atomic_load_explicit(e->cfg.stopping, memory_order_relaxed);
}

/* Connects to the open port r names and identifies it. The port stays open
 * (the method's answer) when the connect fails: the service fields stay
 * empty and r->err says why, in the error column. */
static void detect_one(const struct enrich *e, struct result *r)
{
	const struct detect_config *dc = e->cfg.detect;
	struct sockaddr_storage ss;
	socklen_t salen = pl_addr_sockaddr(&r->addr, r->port, &ss);
	enum attempt_outcome o;
	int fd = -1, err = 0;

	metrics_detect_begin(e->cfg.metrics, dc->budget_ms);
	o = netconn_attempt((struct sockaddr *)&ss, salen, dc->connect_timeout_ms, NULL, &fd, &err);
	if (o == ATTEMPT_OPEN) {
		detect_service(dc, fd, (struct sockaddr *)&ss, salen, r);
	} else {
		if (fd != -1)
			netconn_abort(fd);
		/* A timeout has no errno of its own; a self-connect means no
		 * listener answered. */
		if (o == ATTEMPT_TIMEOUT && err == 0)
			err = ETIMEDOUT;
		else if (o == ATTEMPT_SELF)
			err = ECONNREFUSED;
		r->err = err != 0 ? err : EIO;
	}
	metrics_detect_end(e->cfg.metrics);
}

/* As the connect scan: only open ports are identified, and only hosts with
 * an open port get a PTR name (README, the ptr column). */
static bool has_work(const struct enrich *e, const struct result *r)
{
	return e->cfg.work != NULL || r->state == STATE_OPEN;
}

static void enrich_one(const struct enrich *e, struct result *r)
{
	if (e->cfg.work != NULL) {
		e->cfg.work(r, e->cfg.work_ud);
		return;
	}
	/* A UDP result of a mixed scan was identified by its method, on its
	 * own datagrams: a TCP connection to its port would say nothing. */
	if (e->cfg.detect != NULL && r->proto == PROTO_TCP)
		detect_one(e, r);
	if (e->cfg.ptr != NULL && r->ptr == NULL)
		r->ptr = rdns_cache_lookup(e->cfg.ptr, &r->addr);
}

/* The results queue is closed only after enrich_join. These pushes may
 * wait for the results thread or the workers: only the stage waits, never
 * the method's receiver. */
static void pass_on(struct enrich *e, struct result **head, struct result **tail,
		    unsigned *len)
{
	if (*head != NULL)
		(void)bqueue_push(e->cfg.out, *head);
	*head = *tail = NULL;
	*len = 0;
}

static void *dispatch_main(void *arg)
{
	struct enrich *e = arg;
	struct result *chain, *head = NULL, *tail = NULL;
	unsigned len = 0;

	while ((chain = bqueue_pop(e->in)) != NULL) {
		pthread_mutex_lock(&e->lock);
		pthread_cond_broadcast(&e->room);
		pthread_mutex_unlock(&e->lock);
		while (chain != NULL) {
			struct result *r = chain;

			chain = r->next;
			r->next = NULL;
			if (has_work(e, r)) {
				(void)bqueue_push(e->work, r);
				continue;
			}
			if (head == NULL)
				head = r;
			else
				tail->next = r;
			tail = r;
			if (++len >= PASS_CHAIN_MAX)
				pass_on(e, &head, &tail, &len);
		}
		/* Nothing more waiting: what is held goes out now rather than
		 * after the next answer, whenever that comes. */
		if (bqueue_length(e->in) == 0)
			pass_on(e, &head, &tail, &len);
	}
	pass_on(e, &head, &tail, &len);
	bqueue_close(e->work);
	return NULL;
}

static void *work_main(void *arg)
{
	struct enrich *e = arg;
	struct result *r;

	netconn_thread_init();
	while ((r = bqueue_pop(e->work)) != NULL) {
		enrich_one(e, r);
		(void)bqueue_push(e->cfg.out, r);
	}
	return NULL;
}

static int start_threads(struct enrich *e, GError **err)
{
	pthread_attr_t attr;
	int rc = 0, drc;

	e->threads = g_new0(pthread_t, e->cfg.threads);
	pthread_attr_init(&attr);
	(void)pthread_attr_setstacksize(&attr, ENRICH_STACK_SIZE);
	for (e->n = 0; e->n < e->cfg.threads; e->n++) {
		rc = pthread_create(&e->threads[e->n], &attr, work_main, e);
		if (rc != 0)
			break;
	}
	if (e->n > 0 && (drc = pthread_create(&e->dispatcher, &attr, dispatch_main, e)) != 0) {
		/* Without it nothing moves: let the workers go. */
		rc = drc;
		bqueue_close(e->work);
		for (unsigned i = 0; i < e->n; i++)
			pthread_join(e->threads[i], NULL);
		e->n = 0;
	}
	pthread_attr_destroy(&attr);
	if (e->n == 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME,
			    "cannot start the detection threads: %s", g_strerror(rc));
		return -1;
	}
	if (e->n < e->cfg.threads)
		g_warning("started %u of %u detection threads: %s", e->n, e->cfg.threads,
			  g_strerror(rc));
	return 0;
}

/* Once no thread of the stage runs. */
static void free_stage(struct enrich *e)
{
	pthread_cond_destroy(&e->room);
	pthread_mutex_destroy(&e->lock);
	bqueue_free(e->in);
	bqueue_free(e->work);
	g_free(e->threads);
	g_free(e);
}

struct enrich *enrich_start(const struct enrich_config *cfg, GError **err)
{
	struct enrich *e = g_new0(struct enrich, 1);
	pthread_condattr_t ca;

	e->cfg = *cfg;
	if (e->cfg.threads == 0)
		e->cfg.threads = 1;
	if (e->cfg.high_water == 0)
		e->cfg.high_water = enrich_high_water(e->cfg.threads);
	/* Never full (enrich.h's bound): a push by the receiver never waits.
	 * The slots are pointers: 1 MiB for the SYN scan's 131072 in flight. */
	e->in = bqueue_new(e->cfg.high_water + e->cfg.max_pending + 2 * (size_t)e->cfg.workers + 1);
	/* One waiting per worker: more would only hide the backlog from the
	 * sender, which looks at the input. */
	e->work = bqueue_new(e->cfg.threads);
	pthread_mutex_init(&e->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->room, &ca);
	pthread_condattr_destroy(&ca);
	if (start_threads(e, err) != 0)
		goto fail;
	return e;
fail:
	free_stage(e);
	return NULL;
}

struct bqueue *enrich_input(struct enrich *e)
{
	return e->in;
}

size_t enrich_backlog(struct enrich *e)
{
	return bqueue_length(e->in);
}

bool enrich_wait_room(struct enrich *e)
{
	if (e == NULL)
		return true;
	pthread_mutex_lock(&e->lock);
	/* Timed: the stop flag is the engine's, set without our lock. */
	while (!stopping(e) && bqueue_length(e->in) >= e->cfg.high_water) {
		int64_t t = mono_ns() + STOP_POLL_NS;
		struct timespec ts = { .tv_sec = t / 1000000000, .tv_nsec = t % 1000000000 };

		pthread_cond_timedwait(&e->room, &e->lock, &ts);
	}
	pthread_mutex_unlock(&e->lock);
	return !stopping(e);
}

void enrich_join(struct enrich *e)
{
	if (e == NULL)
		return;
	bqueue_close(e->in);
	/* The dispatcher drains the input, then closes the work queue. */
	pthread_join(e->dispatcher, NULL);
	for (unsigned i = 0; i < e->n; i++)
		pthread_join(e->threads[i], NULL);
	free_stage(e);
}
