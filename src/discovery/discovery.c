/* discovery.c: the discovery thread of a window: walks the order, asks each
 * host once through every prober, resolves it in the hostmap. */
#include "discovery.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "errors.h"
#include "timing.h"

struct prober_run {
	const struct disco_prober *p;
	void *state;
	struct disco_env env;
};

/* A host being asked. */
struct slot {
	bool used;
	bool answered;           /* alive() credited it: finish it */
	bool sent;               /* some probe of some attempt left */
	bool local_fail;         /* some probe failed locally */
	uint64_t host;
	struct pl_addr addr;
	unsigned attempt;        /* the attempt under way, 0-based */
	int64_t sent_ns;         /* when the attempt under way was sent */
	uint64_t drops_at_send;  /* the probers' drops before it was sent */
	unsigned bonus;          /* attempts granted for drops */
	bool waits;              /* something left: wait out the attempt's timeout */
	int64_t waits_from_ns;   /* from when: once its probes are out (a rate
				    limit may have held them) */
};

struct discovery {
	struct discovery_config cfg;
	struct prober_run *runs;
	size_t nruns;

	pthread_mutex_t lock;
	pthread_cond_t wake;     /* an answer came, or the scan stops */
	struct slot *slots;      /* cfg.max_inflight of them */
	unsigned inflight;
	GHashTable *by_addr;     /* struct pl_addr * (a slot's) -> struct slot * */
	GHashTable *rtts;        /* host (uint64_t *) -> RTT in µs, until taken */
	struct rtt_estimate est;

	/* The window. */
	const struct target_set *ts;
	struct taskgen tg;
	struct progress *done;
	struct hostmap *hm;
	pthread_t thread;
	bool running;
	atomic_bool cancelled;   /* the scan stops: every window */
	atomic_bool window_over; /* this window is over: its thread ends */

	_Atomic uint64_t local_errors, up, down, drop_retries;
};

/* What the probers lost locally so far (disco_prober.drops). */
static uint64_t total_drops(const struct discovery *d)
{
	uint64_t n = 0;

	for (size_t i = 0; i < d->nruns; i++)
		if (d->runs[i].p->drops != NULL)
			n += d->runs[i].p->drops(d->runs[i].state);
	return n;
}

static guint addr_hash(gconstpointer k)
{
	const struct pl_addr *a = k;
	uint64_t h = a->v.lo ^ (a->v.hi * UINT64_C(0x9e3779b97f4a7c15)) ^ (uint64_t)a->family;

	h ^= h >> 29;
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	return (guint)(h ^ (h >> 32));
}

static gboolean addr_eq(gconstpointer a, gconstpointer b)
{
	return pl_addr_equal(a, b);
}

static bool stopping(struct discovery *d)
{
	return atomic_load(&d->cancelled) || atomic_load(&d->window_over) ||
	       (d->cfg.stopping != NULL && atomic_load(d->cfg.stopping));
}

/* A proof of life, from any prober's thread. */
static void on_alive(void *ctx, const struct pl_addr *addr, enum reason why, uint8_t ttl)
{
	struct discovery *d = ctx;
	struct slot *s;

	(void)ttl;
	pthread_mutex_lock(&d->lock);
	s = g_hash_table_lookup(d->by_addr, addr);
	if (s != NULL && !s->answered) {
		int64_t now = mono_ns();
		/* The latency of the attempt that was answered (an answer to
		 * the attempt before it would read short). */
		double rtt_ms = (double)(now - s->sent_ns) / 1e6;

		s->answered = true;
		/* Only a first attempt's answer is a clean sample: a retry's
		 * may answer the attempt before it. */
		if (s->attempt == 0)
			timing_rtt_update(&d->est, rtt_ms);
		if (hostmap_resolve(d->hm, s->host, true, why)) {
			uint64_t *key = g_new(uint64_t, 1);

			*key = s->host;
			g_hash_table_replace(d->rtts, key,
					     GUINT_TO_POINTER((guint)CLAMP(rtt_ms * 1000.0, 0,
									   G_MAXUINT)));
			atomic_fetch_add(&d->up, 1);
		}
		pthread_cond_signal(&d->wake);
	}
	pthread_mutex_unlock(&d->lock);
}

/* The timeout of an attempt, under lock: the RTO of every answer so far
 * (the initial timeout before the first), doubled per retry, clamped. */
static int64_t attempt_timeout_ns(const struct discovery *d, unsigned attempt)
{
	double ms = d->cfg.timeout_ms;

	if (d->est.valid)
		ms = (double)(d->est.srtt_us + 4 * d->est.rttvar_us) / 1000.0;
	for (unsigned i = 0; i < attempt && ms < d->cfg.max_timeout_ms; i++)
		ms *= 2;
	ms = CLAMP(ms, (double)d->cfg.min_timeout_ms, (double)d->cfg.max_timeout_ms);
	return (int64_t)(ms * 1e6);
}

/* Sends one attempt to the slot's host, outside the lock. On-link probers
 * come first: when one sends, its answer or silence is the truth. */
static void send_attempt(struct discovery *d, struct slot *s)
{
	bool sent = false, failed = false, exclusive = false;

	unsigned attempt;

	uint64_t drops = total_drops(d);

	/* Before the first send: loopback answers before send returns. */
	pthread_mutex_lock(&d->lock);
	s->sent_ns = mono_ns();
	s->drops_at_send = drops;
	attempt = s->attempt;
	pthread_mutex_unlock(&d->lock);
	for (int pass = 0; pass < 2 && !exclusive; pass++) {
		for (size_t i = 0; i < d->nruns; i++) {
			struct prober_run *r = &d->runs[i];
			int rc;

			if (r->p->exclusive != (pass == 0))
				continue;
			rc = r->p->send(r->state, &s->addr, attempt);
			if (rc == DISCO_SENT) {
				sent = true;
				exclusive = exclusive || r->p->exclusive;
			} else if (rc < 0) {
				failed = true;
			}
		}
	}
	pthread_mutex_lock(&d->lock);
	s->sent = s->sent || sent;
	s->local_fail = s->local_fail || failed;
	/* Nothing left: no answer can come, so do not wait a whole timeout
	 * on it (a local failure retries after a short pause). */
	s->waits = sent || failed;
	s->waits_from_ns = mono_ns();
	pthread_mutex_unlock(&d->lock);
}

static void forget(struct discovery *d, struct slot *s)
{
	for (size_t i = 0; i < d->nruns; i++)
		if (d->runs[i].p->forget != NULL)
			d->runs[i].p->forget(d->runs[i].state, &s->addr);
}

/* The host of s is decided (or the scan stops): resolves it unless an
 * answer did, and frees the slot. */
static void finish(struct discovery *d, struct slot *s, bool stop)
{
	forget(d, s);
	pthread_mutex_lock(&d->lock);
	if (!s->answered && !stop) {
		if (s->sent) {
			if (hostmap_resolve(d->hm, s->host, false, REASON_NO_RESPONSE))
				atomic_fetch_add(&d->down, 1);
		} else if (s->local_fail) {
			/* Not down: nothing ever left. Scan it. */
			if (hostmap_resolve(d->hm, s->host, true, REASON_LOCAL_ERROR))
				atomic_fetch_add(&d->local_errors, 1);
		} else {
			(void)hostmap_resolve(d->hm, s->host, true, REASON_USER_SET);
		}
	}
	if (g_hash_table_lookup(d->by_addr, &s->addr) == s)
		g_hash_table_remove(d->by_addr, &s->addr);
	s->used = false;
	d->inflight--;
	pthread_mutex_unlock(&d->lock);
}

/* Claims the next host of the walk into a free slot; false when the walk
 * is over. *pos moves on. */
static bool next_host(struct discovery *d, uint64_t *pos, uint64_t *claimed, struct slot **out)
{
	uint64_t nhosts = hostmap_hosts(d->hm);

	*out = NULL;
	while (*pos < d->tg.count && *claimed < nhosts) {
		uint64_t p = (*pos)++, host, port_index;

		if (d->done != NULL && progress_is_done(d->done, p))
			continue;
		taskgen_decode(&d->tg, taskgen_index_at(&d->tg, p), &host, &port_index);
		if (!hostmap_claim(d->hm, host))
			continue;
		(*claimed)++;
		pthread_mutex_lock(&d->lock);
		for (unsigned i = 0; i < d->cfg.max_inflight; i++) {
			struct slot *s = &d->slots[i];

			if (s->used)
				continue;
			memset(s, 0, sizeof(*s));
			s->used = true;
			s->host = host;
			target_set_get(d->ts, host, &s->addr, NULL);
			/* Another host of the window with the same address
			 * (a name and its literal) is asked once. */
			g_hash_table_replace(d->by_addr, &s->addr, s);
			d->inflight++;
			*out = s;
			break;
		}
		pthread_mutex_unlock(&d->lock);
		return true;
	}
	return false;
}

static void *discovery_main(void *arg)
{
	struct discovery *d = arg;
	uint64_t pos = 0, claimed = 0;
	bool walking = true;

	for (;;) {
		struct slot *act[64];
		bool done[64];           /* decided: finish it, else retry it */
		unsigned nact = 0;
		int64_t now, next = INT64_MAX;
		uint64_t drops;
		bool stop = stopping(d);

		/* Fill the free slots first: hosts start as soon as there is
		 * room. */
		while (walking && !stop && d->inflight < d->cfg.max_inflight) {
			struct slot *s;

			walking = next_host(d, &pos, &claimed, &s);
			if (s != NULL)
				send_attempt(d, s);
			stop = stopping(d);
		}

		drops = total_drops(d);
		pthread_mutex_lock(&d->lock);
		now = mono_ns();
		for (unsigned i = 0; i < d->cfg.max_inflight && nact < G_N_ELEMENTS(act); i++) {
			struct slot *s = &d->slots[i];

			if (!s->used)
				continue;
			/* From the estimate as it is now, not as it was at
			 * the send: the first hosts go out before any answer,
			 * with the initial timeout, and a sweep's first dead
			 * hosts need not wait it out once the live ones have
			 * shown the path's RTT. */
			int64_t deadline = s->waits ?
					   s->waits_from_ns + attempt_timeout_ns(d, s->attempt) : 0;

			if (stop || s->answered || deadline <= now) {
				/* A silence while answers were lost here says
				 * nothing of the host: one more attempt. */
				if (!stop && !s->answered && s->sent && drops > s->drops_at_send &&
				    s->bonus < DISCO_DROP_BONUS_MAX) {
					s->bonus++;
					atomic_fetch_add(&d->drop_retries, 1);
				}
				/* Decided under the lock: alive() writes answered. */
				done[nact] = stop || s->answered ||
					     s->attempt >= d->cfg.retries + s->bonus;
				if (!done[nact])
					s->attempt++;
				act[nact++] = s;
			} else if (deadline < next)
				next = deadline;
		}
		if (nact == 0) {
			if (stop || (!walking && d->inflight == 0)) {
				pthread_mutex_unlock(&d->lock);
				break;
			}
			if (!walking || d->inflight >= d->cfg.max_inflight) {
				struct timespec ts = {
					.tv_sec = next / 1000000000, .tv_nsec = next % 1000000000,
				};

				/* The slots' deadlines are on the monotonic clock. */
				pthread_cond_timedwait(&d->wake, &d->lock, &ts);
			}
			pthread_mutex_unlock(&d->lock);
			continue;
		}
		pthread_mutex_unlock(&d->lock);

		/* An answer that comes meanwhile is seen on the next round. */
		for (unsigned i = 0; i < nact; i++) {
			if (done[i])
				finish(d, act[i], stop);
			else
				send_attempt(d, act[i]);
		}
	}
	return NULL;
}

struct discovery *discovery_open(const struct discovery_config *cfg, GError **err)
{
	struct discovery *d = g_new0(struct discovery, 1);
	pthread_condattr_t ca;

	d->cfg = *cfg;
	if (d->cfg.max_inflight == 0)
		d->cfg.max_inflight = 1;
	if (d->cfg.max_timeout_ms < d->cfg.min_timeout_ms)
		d->cfg.max_timeout_ms = d->cfg.min_timeout_ms;
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->wake, &ca);
	pthread_condattr_destroy(&ca);
	d->slots = g_new0(struct slot, d->cfg.max_inflight);
	d->by_addr = g_hash_table_new(addr_hash, addr_eq);
	d->rtts = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	d->runs = g_new0(struct prober_run, cfg->nuses);
	for (size_t i = 0; i < cfg->nuses; i++) {
		const struct disco_use *u = &cfg->uses[i];
		struct prober_run *r = &d->runs[d->nruns];
		GError *e = NULL;
		int rc;

		r->p = u->prober;
		r->env = (struct disco_env){
			.plan = cfg->plan, .tcp_ports = u->ports, .ntcp_ports = u->nports,
			.rate = cfg->rate, .alive = on_alive, .ctx = d, .stopping = cfg->stopping,
		};
		rc = r->p->open(&r->env, &r->state, &e);
		if (rc == 1) {
			/* A default probe that cannot run here is no news. */
			if (u->optional)
				g_info("discovery: %s left out: %s", r->p->name, e->message);
			else
				g_warning("discovery: %s left out: %s", r->p->name, e->message);
			g_error_free(e);
			continue;
		}
		if (rc != 0) {
			g_propagate_prefixed_error(err, e, "discovery: %s: ", r->p->name);
			goto fail;
		}
		d->nruns++;
	}
	if (d->nruns == 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME,
			    "discovery: no probe can run here (-Pn scans without discovery)");
		goto fail;
	}
	return d;
fail:
	discovery_close(d);
	return NULL;
}

void discovery_window(struct discovery *d, const struct target_set *ts,
		      const struct taskgen *tg, struct progress *done)
{
	d->ts = ts;
	d->tg = *tg;
	d->done = done;
	atomic_store(&d->window_over, false);
	pthread_mutex_lock(&d->lock);
	d->hm = hostmap_new(target_set_count(ts));
	/* A stop that came between windows holds for this one too. */
	if (atomic_load(&d->cancelled))
		hostmap_cancel(d->hm);
	g_hash_table_remove_all(d->rtts);
	pthread_mutex_unlock(&d->lock);
	d->running = pthread_create(&d->thread, NULL, discovery_main, d) == 0;
	if (!d->running) {
		/* No thread: nobody will ask, so every host is scanned. */
		g_warning("discovery: cannot start its thread: every host is scanned");
		for (uint64_t h = 0; h < hostmap_hosts(d->hm); h++)
			(void)hostmap_resolve(d->hm, h, true, REASON_USER_SET);
	}
}

struct hostmap *discovery_hostmap(struct discovery *d)
{
	return d->hm;
}

void discovery_window_end(struct discovery *d)
{
	if (d == NULL || d->hm == NULL)
		return;
	/* Every position of the window is done: whatever the thread still
	 * walks (hosts of positions an earlier run did) is not needed. */
	atomic_store(&d->window_over, true);
	pthread_mutex_lock(&d->lock);
	pthread_cond_broadcast(&d->wake);
	pthread_mutex_unlock(&d->lock);
	if (d->running)
		pthread_join(d->thread, NULL);
	d->running = false;
	/* Under the lock: a stop on the signal thread may be cancelling it. */
	pthread_mutex_lock(&d->lock);
	hostmap_free(d->hm);
	d->hm = NULL;
	g_hash_table_remove_all(d->rtts);
	pthread_mutex_unlock(&d->lock);
}

bool discovery_take_rtt(struct discovery *d, uint64_t host, double *ms)
{
	gpointer v;
	bool found;

	pthread_mutex_lock(&d->lock);
	found = g_hash_table_lookup_extended(d->rtts, &host, NULL, &v);
	if (found) {
		*ms = GPOINTER_TO_UINT(v) / 1000.0;
		g_hash_table_remove(d->rtts, &host);
	}
	pthread_mutex_unlock(&d->lock);
	return found;
}

void discovery_cancel(struct discovery *d)
{
	if (d == NULL)
		return;
	atomic_store(&d->cancelled, true);
	pthread_mutex_lock(&d->lock);
	pthread_cond_broadcast(&d->wake);
	if (d->hm != NULL)
		hostmap_cancel(d->hm);
	pthread_mutex_unlock(&d->lock);
}

uint64_t discovery_local_errors(const struct discovery *d)
{
	return atomic_load(&((struct discovery *)d)->local_errors);
}

uint64_t discovery_up(const struct discovery *d)
{
	return atomic_load(&((struct discovery *)d)->up);
}

uint64_t discovery_down(const struct discovery *d)
{
	return atomic_load(&((struct discovery *)d)->down);
}

uint64_t discovery_drop_retries(const struct discovery *d)
{
	return atomic_load(&((struct discovery *)d)->drop_retries);
}

void discovery_close(struct discovery *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->nruns; i++)
		d->runs[i].p->close(d->runs[i].state);
	g_free(d->runs);
	g_hash_table_destroy(d->by_addr);
	g_hash_table_destroy(d->rtts);
	g_free(d->slots);
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->lock);
	g_free(d);
}
