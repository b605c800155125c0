/* scan.c: the main thread's part of a scan: signals, producer, shutdown.
 *
 * Every thread but one blocks SIGINT and SIGTERM; a dedicated thread takes
 * them with sigwait(), so no code runs in a signal handler and a signal never
 * interrupts a connect() with EINTR.
 *
 * With target windows (targetwin.h) the workers, the results thread and the
 * outputs live for the whole scan, so every output stays one document; what
 * changes from window to window is the host set, its order, the timing
 * estimates and the progress record. The main thread moves on only once
 * every result of a window is recorded: then no worker holds a task of it
 * and no result names one of its hosts, and it can be freed. */
#include "scan.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "discovery.h"
#include "errors.h"
#include "log.h"
#include "manifest.h"
#include "method.h"
#include "metrics.h"
#include "pool.h"
#include "progress.h"
#include "queue.h"
#include "collector.h"
#include "enrich.h"
#include "resume.h"
#include "rlimits.h"
#include "statusline.h"
#include "taskgen.h"

/* Descriptors kept back from the worker budget: outputs, resolver, runtime. */
#define FD_RESERVE 32
/* In chains (of up to TASK_BATCH_MAX results): a results thread that falls
 * behind holds workers back rather than letting results pile up in memory. */
#define RESULTS_QUEUE_CAPACITY 256
#define BATCHES_PER_WORKER 4
#define BATCH_RATE_MS 100
/* Positions the producer sets aside while their hosts are being discovered,
 * before it waits for the oldest: enough to keep going past a slow host,
 * 32 KiB of positions. */
#define DEFER_MAX 4096
/* Hosts discovery asks at once: each holds a socket per tcp-connect port. */
#define DISCOVERY_INFLIGHT_MAX 1024

/* The window being scanned: the whole scan without windows. The plan only
 * describes the windows; this moves from one to the next. */
struct scan_window {
	const struct target_set *targets;  /* NULL while the next one is read */
	struct target_set *owned;          /* targets, when read from the windows */
	uint64_t index;                    /* 0 without windows */
	char *digest;                      /* its hosts' fingerprint; NULL without
					    * windows or while it is read */
};

struct scan_ctl {
	const struct scan_plan *plan;
	struct bqueue *tasks;
	struct bqueue *results_q;     /* chains of results, workers to collector */
	struct ratelimit *rate;       /* closed on stop: waiters must not sleep on */
	struct collector *results;      /* set once started; read by the signal thread */
	struct outputs *outputs;      /* the run's open outputs */
	struct progress *progress;
	struct metrics *metrics;
	struct taskgen *tg;           /* the window's order; workers read it */
	struct pool_ctx *pctx;
	struct pool *pool;
	struct rdns_cache *ptr;       /* NULL unless reverse DNS is on */
	struct enrich *enrich;        /* detection and PTR after a SYN scan, or NULL */
	struct statusline *status;
	struct discovery *disco;      /* NULL: -Pn, or a single address */
	unsigned disco_inflight;      /* hosts discovery asks at once */
	/* The window under way and the ones before it: the main thread
	 * changes them between windows, a checkpoint on the signal thread
	 * reads them, both under win_lock. */
	pthread_mutex_t win_lock;
	struct scan_window win;
	uint64_t hosts, total;
	uint64_t hosts_before, tasks_before;
	GError *window_error;         /* a window that could not be read */
	double elapsed_base;          /* seconds the scan ran before a resume */
	int64_t t0_ns;                /* mono_ns() when this run began */
	_Atomic int stop_signal;      /* first SIGINT/SIGTERM, or 0 */
	_Atomic int exit_signal;      /* the second one, which leaves at once */
	atomic_bool output_failed;
	atomic_bool stopping;         /* workers probe nothing more */
	atomic_bool finished;
	pthread_t sig_thread;
	sigset_t sigs;
};

static void drop_task(void *item, void *ud)
{
	g_free(item);
}

/* Stops producing and throws away queued tasks; workers finish the probes
 * in flight, leave the rest of their batches, and find the queue closed.
 * A main thread waiting for a window to finish stops waiting. */
static void stop_tasks(struct scan_ctl *c)
{
	atomic_store(&c->stopping, true);
	if (c->rate != NULL)
		ratelimit_close(c->rate);
	discovery_cancel(c->disco);
	bqueue_close(c->tasks);
	(void)bqueue_drain(c->tasks, drop_task, NULL);
	progress_cancel(c->progress);
}

/* The window the scan starts in: the plan's whole set, or the window the
 * plan read ahead (the first, or a resumed scan's). */
static int window_first(struct scan_window *w, const struct scan_plan *plan, GError **err)
{
	memset(w, 0, sizeof(*w));
	if (plan->windows == NULL) {
		w->targets = plan->targets;
		return 0;
	}
	w->index = plan->first_window;
	if (target_windows_load(plan->windows, w->index, &w->owned, &w->digest, err) != 0)
		return -1;
	w->targets = w->owned;
	return 0;
}

/* Lets go of the window's hosts, now window k is next; returns them for the
 * caller to free outside any lock (NULL: the plan's). */
static struct target_set *window_leave(struct scan_window *w, uint64_t k)
{
	struct target_set *old = w->owned;

	w->targets = w->owned = NULL;
	w->index = k;
	g_free(w->digest);
	w->digest = NULL;
	return old;
}

static void window_clear(struct scan_window *w)
{
	target_set_free(window_leave(w, 0));
}

/* The order of a window: its own permutation, the seed derived from the
 * scan's, so every window of a run is repeatable. */
static void window_taskgen(const struct scan_plan *plan, const struct scan_window *w,
			   struct taskgen *tg)
{
	uint64_t seed = plan->windows != NULL ? target_windows_seed(plan->seed, w->index)
					      : plan->seed;

	/* -sn: one task per host, its host row. */
	taskgen_init_permuted(tg, target_set_count(w->targets),
			      plan->discovery_only ? 1 : plan->nports, seed);
	(void)taskgen_set_shard(tg, plan->shard, plan->nshards);
}

static double elapsed_since(int64_t t0_ns)
{
	return (double)(mono_ns() - t0_ns) / 1e9;
}

/* Why the scan is ending before its last task, or NULL. */
static const char *stop_reason(struct scan_ctl *c)
{
	switch (atomic_load(&c->stop_signal)) {
	case 0:
		break;
	case SIGINT:
		return "interrupted (SIGINT)";
	case SIGTERM:
		return "terminated (SIGTERM)";
	default:
		return "stopped by a signal";
	}
	if (c->window_error != NULL)
		return "stopped at a target window that could not be read";
	if (atomic_load(&c->output_failed))
		return "stopped: an output could not be written";
	return NULL;
}

/* Hosts and tasks are the whole scan's so far: every window begun. */
static void snapshot(struct scan_ctl *c, struct metrics_snapshot *snap)
{
	metrics_snapshot(c->metrics, c->hosts_before + c->hosts, c->tasks_before + c->total,
			 c->elapsed_base + elapsed_since(c->t0_ns), snap);
	plan_order(c->plan, &snap->order);
	snap->stopped = stop_reason(c);
}

/* Records what is done so the scan can continue later; with say, prints
 * the command that does. */
static int write_resume(struct scan_ctl *c, bool say, GError **err)
{
	struct metrics_snapshot snap;
	const struct scan_plan *plan = c->plan;
	const char *path = plan->resume_file;
	struct resume_window rw, *w = NULL;
	struct resume_output *ros;
	size_t nros;
	int rc;

	/* Under the record lock (or after the last record): the files hold
	 * exactly what the progress counts as done. */
	if (outputs_note(c->outputs, &ros, &nros, err) != 0) {
		g_prefix_error(err, "cannot write resume file '%s': ", path);
		return -1;
	}

	pthread_mutex_lock(&c->win_lock);
	snapshot(c, &snap);
	if (plan->windows != NULL) {
		rw = (struct resume_window){
			.index = c->win.index,
			.count = target_windows_count(plan->windows),
			.fingerprint = c->win.digest,
			.hosts_before = c->hosts_before,
			.tasks_before = c->tasks_before,
		};
		w = &rw;
	}
	rc = resume_write(path, plan->settings, plan->fingerprint, c->total, c->progress, &snap,
			  w, ros, nros, err);
	pthread_mutex_unlock(&c->win_lock);
	resume_outputs_free(ros, nros);
	if (rc != 0)
		return -1;
	if (say)
		fprintf(stderr, "portolan: to continue: portolan --resume %s\n", path);
	return 0;
}

/* A sharded scan's manifests beside its output files: complete only for a
 * scan that ran to its end. snap: the summary, or NULL to take one now. */
static int write_manifests(struct scan_ctl *c, bool complete, const struct metrics_snapshot *snap,
			   GError **err)
{
	const struct scan_plan *plan = c->plan;
	struct metrics_snapshot now;
	struct shard_manifest m = {
		.scan_id = plan->scan_id, .shard = plan->shard, .nshards = plan->nshards,
		.seed = plan->seed, .complete = complete, .summary = snap, .end = time(NULL),
	};

	if (!plan->sharded || c->outputs == NULL)
		return 0;
	if (snap == NULL) {
		pthread_mutex_lock(&c->win_lock);
		snapshot(c, &now);
		pthread_mutex_unlock(&c->win_lock);
		m.summary = &now;
	}
	return outputs_manifests(c->outputs, &m, err);
}

/* Runs with the results thread held between two records, and never lets go:
 * leaving the lock before _exit would let more records reach the files
 * than the resume file counts as done. */
static void checkpoint_and_exit(void *ud)
{
	struct scan_ctl *c = ud;
	GError *err = NULL;

	if (write_resume(c, true, &err) != 0) {
		fprintf(stderr, "portolan: %s\n", err->message);
		g_clear_error(&err);
	}
	if (write_manifests(c, false, NULL, &err) != 0) {
		fprintf(stderr, "portolan: %s\n", err->message);
		g_error_free(err);
	}
	_exit(128 + atomic_load(&c->exit_signal));
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
			/* Second signal: leave now. Writers flush every record, and
			 * the checkpoint runs between records, so each file holds
			 * exactly the results the resume file counts as done. */
			atomic_store(&c->exit_signal, sig);
			if (c->results == NULL)
				_exit(128 + sig);
			collector_checkpoint(c->results, checkpoint_and_exit, c);
			continue;     /* not reached: the checkpoint exits */
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

/* Batch size for the work left: about BATCHES_PER_WORKER batches per worker
 * remain at any time, so the last batches are single tasks and no worker is
 * left with a long serial tail while the others idle. Under a rate limit a
 * batch holds no more than a worker's share of BATCH_RATE_MS of probes: the
 * limit already bounds the queue traffic, and long batches would only spread
 * the positions in flight (and a resume file's list of them). */
static unsigned batch_size(uint64_t left, unsigned workers, uint64_t max_rate)
{
	uint64_t n = left / ((uint64_t)workers * BATCHES_PER_WORKER);

	if (max_rate > 0) {
		uint64_t share = max_rate * BATCH_RATE_MS / 1000 / workers;

		if (n > share)
			n = share;
	}
	if (n < 1)
		return 1;
	return n > TASK_BATCH_MAX ? TASK_BATCH_MAX : (unsigned)n;
}

/* The producer's state over one window. */
struct producer {
	struct scan_ctl *c;
	unsigned workers;
	struct task_batch *b;        /* being filled, or NULL */
	unsigned want;
	/* Positions deferred while their hosts are pending, oldest first: a
	 * ring of DEFER_MAX. */
	uint64_t ring[DEFER_MAX];
	size_t head, len;
};

/* Queues the batch being filled; false once the queue is closed. */
static bool flush_batch(struct producer *p)
{
	struct task_batch *b = p->b;

	p->b = NULL;
	if (b == NULL)
		return true;
	if (bqueue_push(p->c->tasks, b))
		return true;
	g_free(b);
	return false;
}

static bool queue_pos(struct producer *p, uint64_t pos)
{
	struct scan_ctl *c = p->c;

	if (p->b == NULL) {
		p->b = g_new(struct task_batch, 1);
		p->b->n = 0;
		p->want = batch_size(c->total > pos ? c->total - pos : 1, p->workers,
				     c->plan->max_rate);
	}
	p->b->pos[p->b->n++] = pos;
	return p->b->n < p->want || flush_batch(p);
}

/* A host row (state STATE_UP or STATE_DOWN) for the host of position pos,
 * its index and seq those of the position, so a resume neither loses nor
 * repeats it. */
static struct result *host_row(struct scan_ctl *c, uint64_t pos, uint64_t index,
			       enum host_state st, enum reason why)
{
	struct result *r = result_new();
	uint64_t host, port_index;

	taskgen_decode(c->tg, index, &host, &port_index);
	r->index = index;
	r->seq = pos;
	target_set_get(c->win.targets, host, &r->addr, &r->host);
	r->port = 0;
	if (st == HOST_UP) {
		r->state = STATE_UP;
		r->reason = why;
		if (c->disco != NULL && !discovery_take_rtt(c->disco, host, &r->latency_ms))
			r->latency_ms = 0;
	} else {
		r->state = STATE_DOWN;
		r->reason = REASON_NO_RESPONSE;
	}
	return r;
}

/* Sends position pos on, its host decided: up, its tasks to the workers
 * (-sn: its host row); down, its host row at port index 0, else nothing
 * but the mark that it is done. False once the scan stops. */
static bool dispatch(struct producer *p, uint64_t pos, enum host_state st, enum reason why)
{
	struct scan_ctl *c = p->c;
	uint64_t index, host, port_index;
	struct result *r;

	if (st == HOST_UP && !c->plan->discovery_only)
		return queue_pos(p, pos);
	atomic_fetch_add_explicit(&c->metrics->skipped, 1, memory_order_relaxed);
	index = taskgen_index_at(c->tg, pos);
	taskgen_decode(c->tg, index, &host, &port_index);
	if (port_index != 0) {
		progress_mark(c->progress, pos);
		return true;
	}
	r = host_row(c, pos, index, st, why);
	if (bqueue_push(c->results_q, r))
		return true;
	result_free(r);
	return false;
}

static enum host_state pos_state(struct producer *p, uint64_t pos, enum reason *why)
{
	struct scan_ctl *c = p->c;
	uint64_t host, port_index;

	taskgen_decode(c->tg, taskgen_index_at(c->tg, pos), &host, &port_index);
	return hostmap_get(discovery_hostmap(c->disco), host, why);
}

/* Sends on the deferred positions at the head of the ring whose hosts are
 * decided; with wait, waits for the oldest first (only for it). False once
 * the scan stops. */
static bool drain_deferred(struct producer *p, bool wait)
{
	struct scan_ctl *c = p->c;

	while (p->len > 0) {
		uint64_t pos = p->ring[p->head], host, port_index;
		enum reason why = REASON_NO_RESPONSE;
		enum host_state st = pos_state(p, pos, &why);

		if (st < HOST_DOWN) {
			if (!wait)
				return true;
			/* The workers get what is ready before we sleep. */
			if (!flush_batch(p))
				return false;
			taskgen_decode(c->tg, taskgen_index_at(c->tg, pos), &host, &port_index);
			st = hostmap_wait(discovery_hostmap(c->disco), host, &why);
			if (st < HOST_DOWN)
				return false;      /* cancelled: the scan stops */
		}
		if (!dispatch(p, pos, st, why))
			return false;
		p->head = (p->head + 1) % DEFER_MAX;
		p->len--;
		wait = false;
	}
	return true;
}

/* Sends on every deferred position whose host is decided, wherever it is in
 * the ring, keeping the order of the others: when the ring is full, the
 * oldest may wait on a slow host while later ones are long decided. False
 * once the scan stops. */
static bool compact_deferred(struct producer *p)
{
	size_t kept = 0, n = p->len;

	for (size_t i = 0; i < n; i++) {
		uint64_t pos = p->ring[(p->head + i) % DEFER_MAX];
		enum reason why = REASON_NO_RESPONSE;
		enum host_state st = pos_state(p, pos, &why);

		if (st < HOST_DOWN)
			p->ring[(p->head + kept++) % DEFER_MAX] = pos;
		else if (!dispatch(p, pos, st, why))
			return false;
	}
	p->len = kept;
	return true;
}

/* Feeds the task queue with every position of the window from `from` on
 * (skipping those an earlier run did, when resumed), until the end or until
 * the queue is closed (the scan stops). With discovery, a position goes on
 * as soon as its host is decided (dispatch); one whose host is still
 * pending is set aside in a ring of DEFER_MAX positions (32 KiB), and the
 * producer waits only when the ring is full of pending hosts. One bound
 * for the window rather than one per host: it bounds memory the same way
 * and needs no per-host structure. */
static void produce(struct scan_ctl *c, unsigned workers, uint64_t from, bool resumed)
{
	struct producer *p = g_new0(struct producer, 1);

	p->c = c;
	p->workers = workers;
	for (uint64_t pos = from; pos < c->total; pos++) {
		enum reason why = REASON_USER_SET;
		enum host_state st;

		if (atomic_load_explicit(&c->stopping, memory_order_relaxed))
			goto out;
		if (resumed && progress_is_done(c->progress, pos))
			continue;
		if (c->disco == NULL) {
			/* -Pn: every host is up, not asked. */
			if (!dispatch(p, pos, HOST_UP, REASON_USER_SET))
				goto out;
			continue;
		}
		if (!drain_deferred(p, false))
			goto out;
		st = pos_state(p, pos, &why);
		if (st >= HOST_DOWN) {
			if (!dispatch(p, pos, st, why))
				goto out;
			continue;
		}
		/* Full: what is decided goes on; if nothing is, wait for the
		 * oldest. */
		if (p->len == DEFER_MAX && !compact_deferred(p))
			goto out;
		if (p->len == DEFER_MAX && !drain_deferred(p, true))
			goto out;
		p->ring[(p->head + p->len) % DEFER_MAX] = pos;
		p->len++;
	}
	while (p->len > 0)
		if (!drain_deferred(p, true))
			goto out;
	(void)flush_batch(p);
out:
	g_free(p->b);
	g_free(p);
}

/* The collector's hook: the host row of an up host goes in front of the
 * result of its port index 0, with the same seq. */
static struct result *up_row(void *ud, const struct result *res)
{
	struct scan_ctl *c = ud;
	uint64_t host, port_index;
	enum reason why;

	struct hostmap *hm;

	if (c->disco == NULL || c->plan->discovery_only || result_is_host_row(res))
		return NULL;
	taskgen_decode(c->tg, res->index, &host, &port_index);
	/* No hostmap: between windows, where no result is in flight. */
	if (port_index != 0 || (hm = discovery_hostmap(c->disco)) == NULL ||
	    hostmap_get(hm, host, &why) != HOST_UP)
		return NULL;
	return host_row(c, res->seq, res->index, HOST_UP, why);
}

/* Moves on to window k, once every result of the window before is
 * recorded (no worker holds a task of it, no result of it is in flight):
 * frees that one, reads and finalizes k, and sets up its order and
 * timeouts. Returns -1 with c->window_error set when k cannot be read. */
static int next_window(struct scan_ctl *c, uint64_t k)
{
	const struct scan_plan *plan = c->plan;
	struct target_set *ts = NULL, *old;
	char *digest = NULL;

	/* Before the progress restarts: its thread reads the progress. */
	discovery_window_end(c->disco);
	pthread_mutex_lock(&c->win_lock);
	c->hosts_before += c->hosts;
	c->tasks_before += c->total;
	c->hosts = c->total = 0;
	old = window_leave(&c->win, k);
	progress_restart(c->progress, 0, NULL, 0);
	pthread_mutex_unlock(&c->win_lock);
	target_set_free(old);

	/* Names resolve here, outside the lock: a checkpoint meanwhile
	 * records window k as not begun. */
	if (target_windows_load(plan->windows, k, &ts, &digest, &c->window_error) != 0)
		return -1;
	/* Its unscanned targets are written when the audit closes. */
	if (plan->audit != NULL)
		audit_targets_finalized(plan->audit, ts);
	pthread_mutex_lock(&c->win_lock);
	c->win.targets = c->win.owned = ts;
	c->win.digest = digest;
	c->pctx->targets = ts;
	window_taskgen(plan, &c->win, c->tg);
	if (c->disco != NULL)
		discovery_window(c->disco, ts, c->tg, c->progress);
	c->hosts = target_set_count(ts);
	c->total = taskgen_count(c->tg);
	pthread_mutex_unlock(&c->win_lock);
	/* Host indices mean other hosts now: RTT estimates start afresh. */
	timing_free(c->pctx->timing);
	c->pctx->timing = timing_new(plan->timeout_ms, plan->min_timeout_ms,
				     plan->max_timeout_ms);
	g_info("window %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT ": %" G_GUINT64_FORMAT
	       " hosts x %" G_GUINT64_FORMAT " ports", k + 1, target_windows_count(plan->windows),
	       c->hosts, plan->nports);
	return 0;
}

/* A window could not be read (names made it exceed max-hosts, the file
 * changed): the windows before it are complete and in the outputs. Saves
 * the resume file, so raising max-hosts and resuming scans the rest, and
 * reports the error with that command; exit 2. */
static int stop_at_window(struct scan_ctl *c, GError **err)
{
	GError *e = NULL;

	if (write_resume(c, false, &e) != 0) {
		g_prefix_error(&e, "%s; ", c->window_error->message);
		g_propagate_error(err, e);
		return PL_EXIT_RUNTIME;
	}
	g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
		    "%s; the scan stopped before it (to continue: portolan --resume %s)",
		    c->window_error->message, c->plan->resume_file);
	return PL_EXIT_USAGE;
}

/* The windows after the first, each produced once the one before has
 * finished. Returns when the last is produced or the scan stops. */
static void scan_windows(struct scan_ctl *c, unsigned workers, struct statusline *status)
{
	uint64_t n = target_windows_count(c->plan->windows);

	for (uint64_t k = c->win.index + 1; k < n; k++) {
		if (!progress_wait(c->progress, c->total) || atomic_load(&c->stopping))
			return;
		if (next_window(c, k) != 0) {
			stop_tasks(c);
			return;
		}
		statusline_window(status, k, n, c->total,
				  atomic_load_explicit(&c->metrics->probes, memory_order_relaxed) +
				  atomic_load_explicit(&c->metrics->skipped, memory_order_relaxed));
		produce(c, workers, 0, false);
	}
}

/* The counts a resumed scan starts from: the summary covers the whole
 * scan, earlier runs included. */
static void resume_counts(struct scan_ctl *c, const struct resume_state *rs)
{
	struct metrics *m = c->metrics;

	if (rs->windowed) {
		c->hosts_before = rs->window.hosts_before;
		c->tasks_before = rs->window.tasks_before;
	}
	atomic_store(&m->probes, rs->counts.probes);
	atomic_store(&m->attempts, rs->counts.attempts);
	atomic_store(&m->retries, rs->counts.retries);
	atomic_store(&m->resource_waits, rs->counts.resource_waits);
	atomic_store(&m->self_connects, rs->counts.self_connects);
	for (int i = 0; i < STATE_COUNT; i++)
		atomic_store(&m->state[i], rs->counts.state[i]);
	c->elapsed_base = rs->counts.elapsed_s;
}

/* Descriptors a host in flight may hold: a socket per port of the prober
 * with the most (tcp-connect), one at least. */
static unsigned disco_ports(const struct scan_plan *plan)
{
	size_t ports = 1;

	for (size_t i = 0; i < plan->ndisco_uses; i++)
		if (plan->disco_uses[i].nports > ports)
			ports = plan->disco_uses[i].nports;
	return (unsigned)MIN(ports, 65536);
}

/* Hosts discovery asks at once: its sockets take at most a quarter of the
 * descriptor limit, the workers keep the rest. */
static unsigned discovery_inflight(const struct scan_plan *plan, unsigned nofile)
{
	unsigned n = nofile / 4 / disco_ports(plan);

	return CLAMP(n, 16u, DISCOVERY_INFLIGHT_MAX);
}

/* The least discovery waits for a host's answer, whatever --min-timeout
 * says: a port that times out early costs a retry, a host that does costs
 * every one of its ports (its answers, late on a loaded scanner, come after
 * it was called down). nmap -T4's floor. */
#define DISCO_FLOOR_MS 100u

/* Opens discovery's probers: after the signal mask (their threads inherit
 * it), before the pool drops privileges. */
static int open_discovery(struct scan_ctl *c, GError **err)
{
	const struct scan_plan *plan = c->plan;
	struct discovery_config dc = {
		.plan = plan, .uses = plan->disco_uses, .nuses = plan->ndisco_uses,
		.timeout_ms = plan->disco_timeout_ms,
		.min_timeout_ms = MIN(MAX(plan->min_timeout_ms, DISCO_FLOOR_MS),
				      plan->disco_timeout_ms),
		.max_timeout_ms = plan->disco_timeout_ms,
		.retries = plan->disco_retries, .rate = c->rate, .stopping = &c->stopping,
	};

	dc.max_inflight = c->disco_inflight;
	c->disco = discovery_open(&dc, err);
	return c->disco != NULL ? 0 : -1;
}

/* Sets up everything but the threads: the first window and its order, the
 * progress record, the queues. Returns how many workers to start, or 0
 * with *err set. */
static unsigned scan_setup(struct scan_ctl *c, const struct scan_plan *plan, GError **err)
{
	const struct resume_state *rs = &plan->resume;
	unsigned threads;

	c->plan = plan;
	c->progress = progress_new(plan->resuming ? rs->low : 0, rs->done, rs->ndone);
	if (window_first(&c->win, plan, err) != 0)
		return 0;
	window_taskgen(plan, &c->win, c->tg);
	c->hosts = target_set_count(c->win.targets);
	c->total = taskgen_count(c->tg);
	if (plan->resuming)
		resume_counts(c, rs);
	if (plan->discovery) {
		/* Discovery's sockets come out of the same descriptor limit
		 * (raised first, quietly: one thread wanted). */
		(void)rlimits_fit_threads(1, FD_RESERVE);
		c->disco_inflight = discovery_inflight(plan, rlimits_nofile());
		threads = rlimits_fit_threads(plan->threads,
					      FD_RESERVE + c->disco_inflight * disco_ports(plan));
	} else {
		threads = rlimits_fit_threads(plan->threads, FD_RESERVE);
	}
	/* Not more threads than tasks; with windows the later ones may be
	 * larger than the first, so no such bound. */
	if (plan->windows == NULL && (uint64_t)threads > c->total)
		threads = c->total > 0 ? (unsigned)c->total : 1;

	/* Threads inherit this mask: from here on only signal_main sees them. */
	sigemptyset(&c->sigs);
	sigaddset(&c->sigs, SIGINT);
	sigaddset(&c->sigs, SIGTERM);
	sigaddset(&c->sigs, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &c->sigs, NULL);

	/* One batch waiting per worker keeps every worker fed. */
	c->tasks = bqueue_new(threads < 64 ? 64 : threads);
	c->results_q = bqueue_new(RESULTS_QUEUE_CAPACITY);
	if (plan->reverse_dns)
		c->ptr = rdns_cache_new(plan->ptr_timeout_ms);
	c->rate = plan->max_rate > 0 ? ratelimit_new((double)plan->max_rate) : NULL;
	if (plan->discovery && open_discovery(c, err) != 0)
		return 0;
	return threads;
}

/* Starts the results thread (which writes the headers) and the signal
 * thread. Returns 0, or -1 with *err set and nothing left running. */
static int start_collector(struct scan_ctl *c, struct scan_plan *plan, unsigned threads,
			   GError **err)
{
	struct scan_meta meta = {
		.version = PORTOLAN_VERSION,
		.start = time(NULL),
		.targets = (const char *const *)plan->target_specs,
		.ports = plan->ports_text,
		.threads = threads,
		.timeout_ms = plan->timeout_ms,
		.retries = plan->retries,
		.states = plan->states_text,
		.argv = plan->argv,
		.proto = !plan_scans(plan, PROTO_UDP) ? "tcp" : plan_scans(plan, PROTO_TCP) ?
			 "tcp,udp" : "udp",
	};

	plan_order(plan, &meta.order);
	c->t0_ns = mono_ns();
	c->results = collector_start(plan, c->outputs, c->results_q, c->metrics, c->progress,
				     &meta, on_output_failure, c, err);
	if (c->results == NULL) {
		/* A header could not be written: nothing was probed, so leave no
		 * half-made file behind (a resumed file was not created by us). */
		plan_discard_outputs(plan, c->outputs);
		c->outputs = NULL;
		return -1;
	}
	if (pthread_create(&c->sig_thread, NULL, signal_main, c) != 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot start the signal thread");
		bqueue_close(c->results_q);
		collector_join(c->results);
		(void)collector_close(c->results, NULL, NULL);
		collector_free(c->results);
		c->results = NULL;
		return -1;
	}
	return 0;
}

/* An asynchronous method's results go through the enrichment stage, its
 * threads as many as a connect scan's workers: each holds one detection
 * connection, as a connect worker does. */
static int start_enrich(struct scan_ctl *c, unsigned threads, GError **err)
{
	const struct scan_plan *plan = c->plan;
	struct enrich_config ec = {
		.detect = plan->probes != NULL ? &plan->detect : NULL,
		.ptr = c->ptr,
		.threads = threads,
		.max_pending = plan->method->max_pending,
		.workers = plan->method->max_workers > 0 ? plan->method->max_workers : threads,
		.out = c->results_q,
		.metrics = c->metrics,
		.stopping = &c->stopping,
	};

	if ((c->enrich = enrich_start(&ec, err)) == NULL)
		return -1;
	c->pctx->results = enrich_input(c->enrich);
	c->pctx->ptr = NULL;
	c->pctx->enrich = c->enrich;
	return 0;
}

/* Starts the workers and feeds them every window, until the last task is
 * queued or the scan stops. False when no worker could be started. */
static bool run_workers(struct scan_ctl *c, unsigned threads, GError **err)
{
	const struct scan_plan *plan = c->plan;
	const struct resume_state *rs = &plan->resume;

	*c->pctx = (struct pool_ctx){
		.plan = plan, .targets = c->win.targets, .tg = c->tg, .tasks = c->tasks,
		.results = c->results_q, .metrics = c->metrics, .ptr = c->ptr,
		.timing = timing_new(plan->timeout_ms, plan->min_timeout_ms, plan->max_timeout_ms),
		.rate = c->rate, .stopping = &c->stopping,
	};
	if (enrich_wanted(plan) && start_enrich(c, threads, err) != 0)
		return false;
	if (c->disco != NULL) {
		collector_set_host_rows(c->results, up_row, c);
		discovery_window(c->disco, c->win.targets, c->tg, c->progress);
	}
	c->pool = pool_start(c->pctx, threads, err);
	if (c->pool == NULL)
		return false;
	if (plan->discovery_only)
		g_info("discovering %" G_GUINT64_FORMAT " hosts, %u at a time%s", c->hosts,
		       c->disco_inflight, plan->windows != NULL ? " (first window)" : "");
	else
		g_info("scanning %" G_GUINT64_FORMAT " hosts x %" G_GUINT64_FORMAT
		       " ports with %u threads%s%s", c->hosts, plan->nports, pool_size(c->pool),
		       plan->discovery ? ", hosts found up only" : "",
		       plan->windows != NULL ? " (first window)" : "");
	if (log_verbosity() >= 0)
		c->status = statusline_start(c->metrics, c->total,
					     plan->resuming ? rs->counts.probes : 0, stderr);
	collector_set_statusline(c->results, c->status);
	if (plan->windows != NULL) {
		/* A resumed window had low + ndone done before. */
		uint64_t before = plan->resuming ? rs->low + rs->ndone : 0;
		uint64_t probes = atomic_load(&c->metrics->probes);

		statusline_window(c->status, c->win.index, target_windows_count(plan->windows),
				  c->total, probes >= before ? probes - before : 0);
	}
	produce(c, pool_size(c->pool), plan->resuming ? rs->low : 0, plan->resuming);
	if (plan->windows != NULL)
		scan_windows(c, pool_size(c->pool), c->status);
	return true;
}

/* The exit code of a scan whose every thread has finished and whose
 * outputs closed (closed: collector_close's answer). */
static int scan_outcome(struct scan_ctl *c, int closed, GError **err)
{
	const struct scan_plan *plan = c->plan;
	int sig;

	if (closed != 0 || c->pool == NULL)
		return PL_EXIT_RUNTIME;
	if ((sig = atomic_load(&c->stop_signal)) != 0)
		return write_resume(c, true, err) == 0 ? 128 + sig : PL_EXIT_RUNTIME;
	if (c->window_error != NULL)
		return stop_at_window(c, err);
	if (plan->audit != NULL && audit_findings(plan->audit) > 0)
		return PL_EXIT_FINDINGS;   /* the network differs from the policy or baseline */
	return PL_EXIT_OK;
}

/* The manifests of a scan whose outputs are closed, rc its exit code so
 * far. A scan that ran to its end fails without them (exit 3): a merge
 * needs them. Any other keeps its own error. */
static int finish_manifests(struct scan_ctl *c, int rc, const struct metrics_snapshot *snap,
			    GError **err)
{
	bool complete = rc == PL_EXIT_OK || rc == PL_EXIT_FINDINGS;
	GError *e = NULL;

	if (write_manifests(c, complete, snap, &e) == 0)
		return rc;
	if (complete) {
		g_propagate_error(err, e);
		return PL_EXIT_RUNTIME;
	}
	g_warning("%s", e->message);
	g_error_free(e);
	return rc;
}

/* Waits for the workers and the results thread, closes every output with
 * the summary and prints it. Returns the exit code. */
static int scan_finish(struct scan_ctl *c, GError **err)
{
	const struct scan_plan *plan = c->plan;
	struct metrics_snapshot snap;
	int rc, closed;

	bqueue_close(c->tasks);
	pool_join(c->pool);
	/* Every result the method delivered is passed on, identified. */
	enrich_join(c->enrich);
	c->enrich = NULL;
	bqueue_close(c->results_q);

	collector_join(c->results);
	if (c->disco != NULL) {
		discovery_cancel(c->disco);
		discovery_window_end(c->disco);
		if (discovery_local_errors(c->disco) > 0)
			g_warning("discovery: %" G_GUINT64_FORMAT " hosts could not be asked (local "
				  "errors) and were scanned as up", discovery_local_errors(c->disco));
		g_info("discovery: %" G_GUINT64_FORMAT " hosts up, %" G_GUINT64_FORMAT " down; %"
		       G_GUINT64_FORMAT " attempts more for answers lost locally",
		       discovery_up(c->disco), discovery_down(c->disco),
		       discovery_drop_retries(c->disco));
	}
	/* Only now: the results thread wrote its last row around the line. */
	statusline_stop(c->status);
	snapshot(c, &snap);
	/* The signal thread stays: a trailer to a stream whose reader stopped
	 * blocks, and the second signal must still end the scan. A checkpoint
	 * meanwhile finds every file with its trailer or without. */
	closed = collector_close(c->results, &snap, c->pool == NULL ? NULL : err);
	/* It must not checkpoint once results are gone. */
	atomic_store(&c->finished, true);
	pthread_kill(c->sig_thread, SIGUSR2);
	pthread_join(c->sig_thread, NULL);
	collector_free(c->results);
	c->results = NULL;
	/* As if SIGPIPE had ended us, without dying of it mid-write. */
	rc = closed == COLLECTOR_READER_GONE ? 128 + SIGPIPE : scan_outcome(c, closed, err);
	rc = finish_manifests(c, rc, &snap, err);
	if (closed == COLLECTOR_READER_GONE)
		return rc;
	/* The scan it records is complete: nothing is left to resume. (A copy
	 * left elsewhere is refused by its outputs record.) */
	if (rc == PL_EXIT_OK && plan->resuming && unlink(plan->settings->resume_from) != 0 &&
	    errno != ENOENT)
		g_warning("cannot remove the resume file '%s': %s", plan->settings->resume_from,
			  g_strerror(errno));
	if (log_verbosity() >= 0) {
		metrics_print_summary(&snap, stderr);
		if (plan->audit != NULL)
			audit_print_summary(plan->audit, stderr);
	}
	return rc;
}

int scan_run(struct scan_plan *plan, GError **err)
{
	struct scan_ctl ctl;
	struct metrics metrics;
	struct taskgen tg;
	struct pool_ctx pctx;
	unsigned threads;
	int rc = PL_EXIT_RUNTIME;
	struct outputs *outs = plan_open_outputs(plan, err);

	if (outs == NULL)
		return PL_EXIT_RUNTIME;
	memset(&ctl, 0, sizeof(ctl));
	memset(&pctx, 0, sizeof(pctx));
	pthread_mutex_init(&ctl.win_lock, NULL);
	metrics_init(&metrics);
	ctl.outputs = outs;
	ctl.metrics = &metrics;
	ctl.tg = &tg;
	ctl.pctx = &pctx;
	threads = scan_setup(&ctl, plan, err);
	if (threads == 0 || start_collector(&ctl, plan, threads, err) != 0)
		goto out;
	(void)run_workers(&ctl, threads, err);
	rc = scan_finish(&ctl, err);
out:
	if (ctl.window_error != NULL)
		g_error_free(ctl.window_error);
	pthread_mutex_destroy(&ctl.win_lock);
	window_clear(&ctl.win);
	progress_free(ctl.progress);
	ratelimit_free(ctl.rate);
	timing_free(pctx.timing);
	if (ctl.disco != NULL)
		discovery_window_end(ctl.disco);
	discovery_close(ctl.disco);
	rdns_cache_free(ctl.ptr);
	bqueue_free(ctl.results_q);
	bqueue_free(ctl.tasks);
	outputs_free(ctl.outputs);
	/* SIGINT and SIGTERM stay blocked: the process only has its exit left,
	 * and a late signal must not turn that exit into a death by signal. */
	return rc;
}

int scan_dry_run(struct scan_plan *plan, GError **err)
{
	struct scan_window w;
	struct taskgen tg;
	uint64_t index, host, port_index;
	int rc = PL_EXIT_USAGE;

	if (window_first(&w, plan, err) != 0)
		goto out;
	for (;;) {
		window_taskgen(plan, &w, &tg);
		while (taskgen_next(&tg, &index)) {
			struct pl_addr a;
			const char *name;
			char ip[PL_ADDRSTRLEN];
			enum pl_proto proto = PROTO_TCP;
			uint16_t port = 0;

			taskgen_decode(&tg, index, &host, &port_index);
			target_set_get(w.targets, host, &a, &name);
			pl_addr_format(&a, ip, sizeof(ip));
			if (!plan->discovery_only)
				port = plan_port_at(plan, port_index, &proto);
			/* -sn: the hosts discovery would ask, no port. A mixed
			 * scan says which protocol ("53/udp"). */
			if ((plan->discovery_only ? printf("%s\n", ip) :
			     plan_scans(plan, PROTO_TCP) && plan_scans(plan, PROTO_UDP) ?
			     printf("%s %u/%s\n", ip, port, proto == PROTO_UDP ? "udp" : "tcp") :
			     printf("%s %u\n", ip, port)) < 0) {
				rc = PL_EXIT_RUNTIME;
				goto out;
			}
		}
		if (plan->windows == NULL || w.index + 1 >= target_windows_count(plan->windows))
			break;
		/* The next window replaces this one, as in a scan. */
		target_set_free(window_leave(&w, w.index + 1));
		if (target_windows_load(plan->windows, w.index, &w.owned, NULL, err) != 0) {
			fflush(stdout);
			goto out;
		}
		w.targets = w.owned;
	}
	rc = fflush(stdout) == 0 ? PL_EXIT_OK : PL_EXIT_RUNTIME;
out:
	window_clear(&w);
	return rc;
}
