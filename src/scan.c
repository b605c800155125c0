/* scan.c: the main thread's part of a scan: signals, producer, shutdown.
 *
 * Every thread but one blocks SIGINT and SIGTERM; a dedicated thread takes
 * them with sigwait(), so no code runs in a signal handler and a signal never
 * interrupts a connect() with EINTR. */
#include "scan.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "queue.h"
#include "results.h"
#include "rlimits.h"
#include "taskgen.h"

/* Descriptors kept back from the worker budget: outputs, resolver, runtime. */
#define FD_RESERVE 32
#define RESULTS_QUEUE_CAPACITY 4096

struct scan_ctl {
	struct bqueue *tasks;
	_Atomic int stop_signal;      /* first SIGINT/SIGTERM, or 0 */
	atomic_bool output_failed;
	atomic_bool finished;
	pthread_t sig_thread;
	sigset_t sigs;
};

static void drop_task(void *item, void *ud)
{
	g_free(item);
}

/* Stops producing and throws away queued tasks; workers finish the probes
 * they hold and then find the queue closed. */
static void stop_tasks(struct scan_ctl *c)
{
	bqueue_close(c->tasks);
	(void)bqueue_drain(c->tasks, drop_task, NULL);
}

static void *signal_main(void *arg)
{
	struct scan_ctl *c = arg;
	int sig;

	for (;;) {
		if (sigwait(&c->sigs, &sig) != 0)
			continue;
		if (sig == SIGUSR2) {
			if (atomic_load(&c->finished))
				return NULL;
			continue;
		}
		if (atomic_load(&c->stop_signal) != 0) {
			/* Second signal: leave now. Writers flush after every burst
			 * of records, so files hold every complete record so far. */
			_exit(128 + sig);
		}
		atomic_store(&c->stop_signal, sig);
		g_message("%s: stopping after the probes in flight (again to quit at once)",
			  sig == SIGINT ? "interrupted" : "terminated");
		stop_tasks(c);
	}
}

static void on_output_failure(void *ud)
{
	struct scan_ctl *c = ud;

	atomic_store(&c->output_failed, true);
	stop_tasks(c);
}

static double elapsed_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

int scan_run(struct scan_plan *plan, GError **err)
{
	struct scan_ctl ctl;
	struct metrics metrics;
	struct metrics_snapshot snap;
	struct taskgen tg;
	struct pool_ctx pctx;
	struct scan_meta meta;
	struct bqueue *results_q = NULL;
	struct results *results = NULL;
	struct pool *pool = NULL;
	struct ptr_cache *ptr = NULL;
	struct timespec t0;
	sigset_t old;
	unsigned threads;
	uint64_t hosts, index;
	int rc = PL_EXIT_RUNTIME, sig;

	memset(&ctl, 0, sizeof(ctl));
	metrics_init(&metrics);
	hosts = target_set_count(plan->targets);
	taskgen_init(&tg, hosts, plan->ports.count);
	threads = rlimits_fit_threads(plan->threads, FD_RESERVE);
	if ((uint64_t)threads > tg.total)
		threads = (unsigned)tg.total;

	/* Threads inherit this mask: from here on only signal_main sees them. */
	sigemptyset(&ctl.sigs);
	sigaddset(&ctl.sigs, SIGINT);
	sigaddset(&ctl.sigs, SIGTERM);
	sigaddset(&ctl.sigs, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &ctl.sigs, &old);

	ctl.tasks = bqueue_new((size_t)threads * 4 < 64 ? 64 : (size_t)threads * 4);
	results_q = bqueue_new(RESULTS_QUEUE_CAPACITY);
	if (plan->reverse_dns)
		ptr = ptr_cache_new(plan->ptr_timeout_ms);

	meta = (struct scan_meta){
		.version = PORTOLAN_VERSION,
		.start = time(NULL),
		.targets = (const char *const *)plan->target_specs,
		.ports = plan->ports_text,
		.threads = threads,
		.timeout_ms = plan->timeout_ms,
		.retries = plan->retries,
		.states = plan->states_text,
	};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	results = results_start(plan, results_q, &metrics, &meta, on_output_failure, &ctl, err);
	if (results == NULL)
		goto out;
	if (pthread_create(&ctl.sig_thread, NULL, signal_main, &ctl) != 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot start the signal thread");
		bqueue_close(results_q);
		(void)results_finish(results, NULL, NULL);
		goto out;
	}

	pctx = (struct pool_ctx){
		.plan = plan, .tg = &tg, .tasks = ctl.tasks, .results = results_q,
		.metrics = &metrics, .ptr = ptr,
	};
	pool = pool_start(&pctx, threads, err);
	if (pool != NULL) {
		g_info("scanning %" G_GUINT64_FORMAT " hosts x %zu ports with %u threads",
		       hosts, plan->ports.count, pool_size(pool));
		while (taskgen_next(&tg, &index)) {
			struct task *t = g_new(struct task, 1);

			t->index = index;
			if (!bqueue_push(ctl.tasks, t)) {
				g_free(t);
				break;
			}
		}
	}
	bqueue_close(ctl.tasks);
	pool_join(pool);
	bqueue_close(results_q);

	metrics_snapshot(&metrics, hosts, tg.total, elapsed_since(&t0), &snap);
	if (results_finish(results, &snap, pool == NULL ? NULL : err) != 0)
		rc = PL_EXIT_RUNTIME;
	else if (pool == NULL)
		rc = PL_EXIT_RUNTIME;
	else if ((sig = atomic_load(&ctl.stop_signal)) != 0)
		rc = 128 + sig;
	else
		rc = PL_EXIT_OK;
	if (log_verbosity() >= 0)
		metrics_print_summary(&snap, stderr);

	atomic_store(&ctl.finished, true);
	pthread_kill(ctl.sig_thread, SIGUSR2);
	pthread_join(ctl.sig_thread, NULL);
out:
	ptr_cache_free(ptr);
	bqueue_free(results_q);
	bqueue_free(ctl.tasks);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int scan_dry_run(const struct scan_plan *plan)
{
	struct taskgen tg;
	uint64_t index, host, port_index;

	taskgen_init(&tg, target_set_count(plan->targets), plan->ports.count);
	while (taskgen_next(&tg, &index)) {
		struct pl_addr a;
		const char *name;
		char ip[PL_ADDRSTRLEN];

		taskgen_decode(&tg, index, &host, &port_index);
		target_set_get(plan->targets, host, &a, &name);
		pl_addr_format(&a, ip, sizeof(ip));
		if (printf("%s %u\n", ip, plan->ports.ports[port_index]) < 0)
			return PL_EXIT_RUNTIME;
	}
	return fflush(stdout) == 0 ? PL_EXIT_OK : PL_EXIT_RUNTIME;
}
