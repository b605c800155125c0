/* syn.c: the SYN scan method, asynchronous (docs/methods.md).
 *
 * The pool's workers are the senders (two on the raw-socket path, one on
 * the pcap_inject path; see method_syn): probe() takes a rate token, builds
 * the SYN from the template (packet.c) with the keyed cookie (synkey.c) as
 * its source port and sequence number, records it in flight
 * (syn_table.c) and sends it on a raw socket, then returns METHOD_PENDING.
 * Two threads of the method's own finish the work: the receiver
 * (syn_rx.c) reads answers from a libpcap capture, and the timer (here)
 * retransmits a probe whose host's timeout (the shared RTT estimate, doubled
 * per retry) ran out, up to --retries, then reports it filtered/no-response.
 *
 * What is never a port's answer: a capture drop (the probes in flight then
 * get up to SYN_DROP_BONUS_MAX more attempts, the pacer halves the send
 * rate, and a probe still unanswered after its last attempt while drops
 * went on is an error, not filtered), and ENOBUFS on send (the sender waits
 * and sends again; neither an attempt nor a result).
 *
 * Sending, two ways (SYN_PCAP_INJECT in syn_int.h): on Linux a raw IPv4
 * socket and a raw IPv6 socket with the IP header included (IPPROTO_RAW),
 * answers captured on the "any" device; on the BSDs and macOS, whose raw
 * sockets differ in the byte order of ip_len/ip_off, whole frames written
 * with pcap_inject and a capture per interface (syn_inject.c).
 *
 * The kernel answers every SYN-ACK with a RST (it has no socket for our
 * source port): the target sees the half-open connection closed, as with
 * nmap. README.md says how to suppress those RSTs with a firewall rule. */
#include "pcap_visible.h"   /* first: see there */

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "errors.h"
#include "metrics.h"
#include "plan.h"
#include "queue.h"
#include "ratelimit.h"
#include "srccache.h"
#include "syn_int.h"
#include "timing.h"

#define SYN_TTL 64
#define SEND_BACKOFF_MAX_MS 100
#define SEND_GIVE_UP_MS 60000
#define CAPTURE_SNAPLEN 256
#define RX_LAG_POLL_NS 2000000

static void count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* ------------------------------------------------------------ privileges */

/* Whether this process may open raw sockets: CAP_NET_RAW in its effective
 * set on Linux (root without it cannot, a binary with setcap can), else
 * euid 0. */
static bool may_open_raw(void)
{
#ifdef __linux__
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long eff = 0;
	bool found = false;

	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "CapEff: %llx", &eff) == 1) {
				found = true;
				break;
			}
		fclose(f);
	}
	if (found)
		return (eff >> 13) & 1;     /* CAP_NET_RAW is capability 13 */
#endif
	return geteuid() == 0;
}

static int syn_check(const struct scan_plan *plan, GError **err)
{
	if (!plan->dry_run && !may_open_raw()) {
#ifdef __linux__
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "the SYN scan (-sS) needs raw sockets: run it as root, or give the binary "
			    "CAP_NET_RAW (setcap cap_net_raw,cap_net_admin+ep /path/to/portolan)");
#else
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "the SYN scan (-sS) needs to send and capture through BPF (/dev/bpf*): "
			    "run it as root");
#endif
		return -1;
	}
	return 0;
}

/* --------------------------------------------------------------- sending */

int syn_send(struct syn_state *st, const struct syn_entry *e)
{
	struct packet_syn s = {
		.src = e->src, .dst = e->dst, .sport = e->sport, .dport = e->port,
		.seq = e->seq, .ttl = SYN_TTL, .ip_id = (uint16_t)(e->seq >> 16),
	};
	uint8_t buf[PACKET_SYN_MAX];
	size_t len = packet_build_syn(buf, &s);
	struct sockaddr_storage ss;
	socklen_t sl = pl_addr_sockaddr(&e->dst, 0, &ss);
	int fd = e->dst.family == AF_INET ? st->fd4 : st->fd6, rc;

	if (st->inject != NULL)
		rc = syn_inject_send(st->inject, &e->dst, buf, len);
	else if (fd < 0)
		rc = EAFNOSUPPORT;
	else
		rc = sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl) == (ssize_t)len ? 0 : errno;
	if (rc == 0) {
		count(&st->count.sent);
		count(&st->metrics->attempts);
	}
	return rc;
}

/* A local shortage of buffers says nothing about the port. */
static bool send_shortage(int e)
{
	return e == ENOBUFS || e == EAGAIN || e == ENOMEM;
}

/* The local meaning of a send error, as connect's (netconn_classify). */
static void send_error_reason(int e, enum port_state *s, enum reason *why)
{
	*s = STATE_FILTERED;
	if (e == ENETUNREACH || e == ENETDOWN)
		*why = REASON_NET_UNREACH;
	else if (e == EHOSTUNREACH || e == EHOSTDOWN)
		*why = REASON_HOST_UNREACH;
	else if (e == EACCES || e == EPERM)
		*why = REASON_ADMIN_PROHIBITED;
	else {
		*s = STATE_ERROR;
		*why = REASON_LOCAL_ERROR;
	}
}

void syn_chain_flush(struct syn_state *st, struct syn_chain *c)
{
	/* The results queue is closed only after finish(). */
	if (c->head != NULL)
		(void)bqueue_push(st->results, c->head);
	*c = (struct syn_chain){ 0 };
}

int64_t syn_chain_due(const struct syn_chain *c)
{
	return c->head == NULL ? INT64_MAX : c->first_ns + SYN_CHAIN_HOLD_NS;
}

void syn_deliver(struct syn_state *st, struct syn_chain *c, struct syn_entry *e,
		 enum port_state s, enum reason why)
{
	struct result *r = e->r;

	r->state = s;
	r->reason = why;
	r->attempts = e->retry + e->bonus + 1;
	r->next = NULL;
	if (c->head == NULL) {
		c->head = r;
		c->first_ns = mono_ns();
	} else {
		c->tail->next = r;
	}
	c->tail = r;
	g_free(e);
	if (++c->n >= SYN_CHAIN_MAX)
		syn_chain_flush(st, c);
}

/* Sends the probe in flight at e (copy holds its fields: e itself may be
 * answered and freed meanwhile) until a packet left or a lasting error:
 * ENOBUFS waits and tries again. On a lasting error the probe is taken out
 * of flight (unless an answer already did) and reported. Another sender may
 * meanwhile have put a probe of the same port (a target listed twice) in
 * flight, even at e's freed address: the id tells them apart. */
static void send_in_flight(struct syn_state *st, struct syn_entry *e,
			   const struct syn_entry *copy)
{
	unsigned backoff = 1, waited = 0;
	struct syn_chain c = { 0 };
	enum port_state s;
	enum reason why;
	int rc;

	while ((rc = syn_send(st, copy)) != 0 && send_shortage(rc) && waited < SEND_GIVE_UP_MS) {
		count(&st->count.send_waits);
		count(&st->metrics->resource_waits);
		sleep_ms(backoff);
		waited += backoff;
		backoff = backoff * 2 > SEND_BACKOFF_MAX_MS ? SEND_BACKOFF_MAX_MS : backoff * 2;
	}
	if (rc == 0)
		return;
	pthread_mutex_lock(&st->lock);
	if (syn_table_find(st, &copy->dst, copy->port) != e || e->id != copy->id) {
		pthread_mutex_unlock(&st->lock);
		return;
	}
	syn_table_remove(st, e);
	pthread_cond_broadcast(&st->room);
	pthread_mutex_unlock(&st->lock);
	send_error_reason(rc, &s, &why);
	e->r->err = s == STATE_ERROR ? rc : 0;
	syn_deliver(st, &c, e, s, why);
	syn_chain_flush(st, &c);
}

/* Waits on cond for at most 50 ms: a stop is noticed even when nothing
 * signals it (the stop flag is the engine's, set without our lock). */
static void wait_a_little(struct syn_state *st, pthread_cond_t *cond)
{
	int64_t t = mono_ns() + 50 * 1000000LL;
	struct timespec ts = { .tv_sec = t / 1000000000, .tv_nsec = t % 1000000000 };

	pthread_cond_timedwait(cond, &st->lock, &ts);
}

/* Waits for room in flight and for no other probe of the same port (a
 * target listed twice), then adds e. False when the scan is stopping. */
static bool enter_flight(struct syn_state *st, struct syn_entry *e)
{
	pthread_mutex_lock(&st->lock);
	while (!st->quit && !atomic_load(st->stopping) &&
	       (g_hash_table_size(st->table) >= SYN_INFLIGHT_MAX ||
		syn_table_find(st, &e->dst, e->port) != NULL))
		wait_a_little(st, &st->room);
	if (st->quit || atomic_load(st->stopping)) {
		pthread_mutex_unlock(&st->lock);
		return false;
	}
	e->sent_ns = mono_ns();
	e->drop_gen = st->drop_gen;
	syn_table_add(st, e);
	if (e->deadline_ns < st->timer_wakes_ns)
		pthread_cond_signal(&st->changed);
	pthread_mutex_unlock(&st->lock);
	return true;
}

/* The sender's own: its cache of source addresses. */
struct syn_worker {
	struct srccache *src;
};

static void syn_worker_start(void *state, void *worker)
{
	struct syn_worker *w = worker;

	w->src = srccache_new(NULL, NULL);
}

static void syn_worker_stop(void *state, void *worker)
{
	struct syn_worker *w = worker;

	srccache_free(w->src);
}

static enum method_status syn_probe(const struct method_env *env, void *state, void *worker,
				    struct method_task *t)
{
	struct syn_state *st = state;
	struct syn_worker *w = worker;
	struct syn_entry *e, copy;
	enum port_state s;
	enum reason why;
	int rc;

	if (!ratelimit_take(env->rate) || !pacer_wait(st->pacer))
		return METHOD_STOPPED;
	e = g_new0(struct syn_entry, 1);
	e->dst = t->r->addr;
	e->port = t->r->port;
	e->host = t->host;
	e->timing = env->timing;
	e->r = t->r;
	e->heap_idx = SIZE_MAX;
	e->id = atomic_fetch_add_explicit(&st->next_id, 1, memory_order_relaxed);
	rc = srccache_get(w->src, &e->dst, mono_ns(), &e->src);
	if (rc == 0 && st->inject != NULL)
		rc = syn_inject_prepare(st->inject, &e->src, &e->dst);
	if (rc != 0) {
		/* No route (or, on the pcap_inject path, no next hop): the
		 * local answer, as connect gets it. */
		send_error_reason(rc, &s, &why);
		t->r->state = s;
		t->r->reason = why;
		t->r->err = s == STATE_ERROR ? rc : 0;
		t->r->attempts = 1;
		count(&env->metrics->attempts);
		g_free(e);
		return METHOD_DONE;
	}
	synkey_cookie(&st->key, &e->src, &e->dst, e->port, &e->sport, &e->seq);
	e->deadline_ns = mono_ns() + (int64_t)timing_attempt_timeout_ms(env->timing, t->host, 0) * 1000000;
	copy = *e;
	if (!enter_flight(st, e)) {
		g_free(e);
		return METHOD_STOPPED;
	}
	/* From here the receiver may answer and free e at any moment: only
	 * the copy is read. */
	send_in_flight(st, e, &copy);
	return METHOD_PENDING;
}

/* ----------------------------------------------------------------- timer */

/* Whether an expired probe gets another attempt; *bonus: one granted for
 * capture drops, not counted against --retries. */
static bool another_attempt(struct syn_state *st, struct syn_entry *e, bool *bonus)
{
	*bonus = false;
	if (e->retry < st->plan->retries)
		return true;
	/* Its answer may have been one the capture dropped. */
	if (e->drop_gen != st->drop_gen && e->bonus < SYN_DROP_BONUS_MAX) {
		*bonus = true;
		return true;
	}
	return false;
}

/* Sends the expired e again, under the lock (the receiver cannot free e
 * meanwhile). A local shortage is no attempt: the next try comes in 1 ms. */
static void resend(struct syn_state *st, struct syn_entry *e, bool bonus)
{
	int64_t now = mono_ns();
	unsigned n = e->retry + e->bonus + 1;

	if (syn_send(st, e) != 0) {
		count(&st->count.send_waits);
		count(&st->metrics->resource_waits);
		e->deadline_ns = now + 1000000;
		syn_heap_push(st, e);
		return;
	}
	if (bonus)
		e->bonus++;
	else
		e->retry++;
	count(&st->count.retransmitted);
	count(&st->metrics->retries);
	e->sent_ns = now;
	e->drop_gen = st->drop_gen;
	e->deadline_ns = now + (int64_t)timing_attempt_timeout_ms(e->timing, e->host, n) * 1000000;
	syn_heap_push(st, e);
}

/* The top of the heap has expired: resend it (a rate token first, taken
 * without the lock) or report it. Called and returns with the lock held. */
static void expire_top(struct syn_state *st, struct syn_entry *e)
{
	bool bonus;

	if (!another_attempt(st, e, &bonus)) {
		/* The capture dropped while its last attempt waited: its answer
		 * may be among the drops, so silence proves nothing. */
		bool lost = e->drop_gen != st->drop_gen;

		syn_table_remove(st, e);
		pthread_cond_broadcast(&st->room);
		pthread_mutex_unlock(&st->lock);
		e->r->latency_ms = (double)(mono_ns() - e->sent_ns) / 1e6;
		e->r->err = lost ? ENOBUFS : 0;
		syn_deliver(st, &st->timer_chain, e, lost ? STATE_ERROR : STATE_FILTERED,
			    lost ? REASON_LOCAL_ERROR : REASON_NO_RESPONSE);
		pthread_mutex_lock(&st->lock);
		return;
	}
	/* Out of the heap while the token is awaited, so nobody else times it;
	 * the receiver may still answer it meanwhile (it stays in the table). */
	syn_heap_pop(st);
	pthread_mutex_unlock(&st->lock);
	if (!ratelimit_take(st->rate) || !pacer_wait(st->pacer)) {
		pthread_mutex_lock(&st->lock);
		return;          /* stopping: finish() drops what is in flight */
	}
	pthread_mutex_lock(&st->lock);
	/* Answered while we waited: the receiver freed it. A new probe of the
	 * same port (a target listed twice) may sit at the same address, but
	 * it is in the heap, and e was not. */
	if (syn_table_find(st, &e->dst, e->port) != e || e->heap_idx != SIZE_MAX)
		return;
	resend(st, e, bonus);
}

static void wait_until(struct syn_state *st, int64_t deadline_ns)
{
	struct timespec ts = { .tv_sec = deadline_ns / 1000000000,
			       .tv_nsec = deadline_ns % 1000000000 };

	st->timer_wakes_ns = deadline_ns;
	pthread_cond_timedwait(&st->changed, &st->lock, &ts);
	st->timer_wakes_ns = INT64_MIN;
}

static void wait_for_change(struct syn_state *st)
{
	st->timer_wakes_ns = INT64_MAX;
	pthread_cond_wait(&st->changed, &st->lock);
	st->timer_wakes_ns = INT64_MIN;
}

/* Waits until t (INT64_MAX: until something changes), or until the
 * timer's chain of results is due, whichever comes first. */
static void timer_wait(struct syn_state *st, int64_t t)
{
	int64_t due = syn_chain_due(&st->timer_chain);

	if (due < t)
		t = due;
	if (t == INT64_MAX)
		wait_for_change(st);
	else
		wait_until(st, t);
}

static void *timer_main(void *arg)
{
	struct syn_state *st = arg;
	struct syn_entry *e;

	pthread_mutex_lock(&st->lock);
	while (!st->quit) {
		int64_t now = mono_ns();

		e = syn_heap_top(st);
		if (syn_chain_due(&st->timer_chain) <= now) {
			/* Without the lock: the push may wait for room. */
			pthread_mutex_unlock(&st->lock);
			syn_chain_flush(st, &st->timer_chain);
			pthread_mutex_lock(&st->lock);
		} else if (e == NULL)
			timer_wait(st, INT64_MAX);
		else if (e->deadline_ns > now)
			timer_wait(st, e->deadline_ns);
		else if (e->deadline_ns > atomic_load(&st->rx_caught_up_ns) &&
			 !atomic_load(&st->rx_quit))
			timer_wait(st, now + RX_LAG_POLL_NS);   /* its answer may be queued */
		else if (atomic_load(st->stopping))
			timer_wait(st, INT64_MAX);
		else
			expire_top(st, e);
	}
	pthread_mutex_unlock(&st->lock);
	syn_chain_flush(st, &st->timer_chain);
	return NULL;
}

/* ------------------------------------------------------------ start/finish */

int syn_capture_add(struct syn_state *st, const char *device, GError **err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "", filter[256];
	struct bpf_program prog;
	size_t n = atomic_load(&st->ncap);
	pcap_t *p = NULL;

	if (n == SYN_CAPTURES_MAX) {
		g_strlcpy(ebuf, "too many interfaces", sizeof(ebuf));
		goto fail;
	}
	if ((p = pcap_create(device, ebuf)) == NULL)
		goto fail;
	(void)pcap_set_snaplen(p, CAPTURE_SNAPLEN);
	(void)pcap_set_buffer_size(p, (int)st->plan->capture_buffer);
	(void)pcap_set_immediate_mode(p, 1);
	if (pcap_activate(p) < 0) {
		g_strlcpy(ebuf, pcap_geterr(p), sizeof(ebuf));
		goto fail;
	}
	/* Answers to our source ports, and destination unreachables (the
	 * IPv6 one's type is the byte after a bare header). */
	snprintf(filter, sizeof(filter),
		 "(tcp dst portrange %u-%u) or (icmp and icmp[0] == 3) or "
		 "(icmp6 and ip6[6] == 58 and ip6[40] == 1)",
		 SYNKEY_PORT_BASE, SYNKEY_PORT_BASE + SYNKEY_PORT_COUNT - 1);
	if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
	    pcap_setfilter(p, &prog) != 0) {
		g_strlcpy(ebuf, pcap_geterr(p), sizeof(ebuf));
		goto fail;
	}
	pcap_freecode(&prog);
	if (pcap_setnonblock(p, 1, ebuf) != 0)
		goto fail;
	st->cap[n] = (struct syn_capture){ .st = st, .p = p, .dlt = pcap_datalink(p) };
	atomic_store(&st->ncap, n + 1);
	return 0;
fail:
	g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "SYN scan: cannot open the capture on %s: %s",
		    device, ebuf);
	if (p != NULL)
		pcap_close(p);
	return -1;
}

static int open_raw(int family)
{
	int fd = socket(family, SOCK_RAW, IPPROTO_RAW), buf = 4 << 20;

	if (fd >= 0) {
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	return fd;
}

static void state_free(struct syn_state *st)
{
	syn_inject_free(st->inject);
	for (size_t i = 0; i < atomic_load(&st->ncap); i++)
		pcap_close(st->cap[i].p);
	if (st->fd4 >= 0)
		close(st->fd4);
	if (st->fd6 >= 0)
		close(st->fd6);
	syn_table_free(st);
	pacer_free(st->pacer);
	pthread_mutex_destroy(&st->lock);
	pthread_cond_destroy(&st->room);
	pthread_cond_destroy(&st->changed);
	g_free(st);
}

static struct syn_state *state_new(const struct method_env *env)
{
	struct syn_state *st = g_new0(struct syn_state, 1);
	pthread_condattr_t ca;

	st->plan = env->plan;
	st->results = env->results;
	st->metrics = env->metrics;
	st->rate = env->rate;
	st->pacer = pacer_new();
	st->stopping = env->stopping;
	st->fd4 = st->fd6 = -1;
	st->timer_wakes_ns = INT64_MIN;
	synkey_init(&st->key);
	pthread_mutex_init(&st->lock, NULL);
	pthread_condattr_init(&ca);
	/* Deadlines are on the monotonic clock (mono_ns). */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&st->room, &ca);
	pthread_cond_init(&st->changed, &ca);
	pthread_condattr_destroy(&ca);
	syn_table_init(st);
	return st;
}

/* The sending path: raw sockets and the "any" capture, or the pcap_inject
 * sender, whose interfaces and captures open as targets need them. */
static int open_path(struct syn_state *st, GError **err)
{
	int e4, e6;

	if (SYN_PCAP_INJECT)
		return (st->inject = syn_inject_new(st, err)) != NULL ? 0 : -1;
	st->fd4 = open_raw(AF_INET);
	e4 = errno;
	st->fd6 = open_raw(AF_INET6);
	e6 = errno;
	if (st->fd4 < 0 && st->fd6 < 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "SYN scan: cannot open a raw socket: %s",
			    g_strerror(st->fd4 < 0 ? e4 : e6));
		return -1;
	}
	return syn_capture_add(st, "any", err);
}

static int syn_start(const struct method_env *env, void **state, GError **err)
{
	struct syn_state *st = state_new(env);

	if (open_path(st, err) != 0)
		goto fail;
	if (pthread_create(&st->rx, NULL, syn_rx_main, st) != 0)
		goto threads;
	st->rx_started = true;
	if (pthread_create(&st->timer, NULL, timer_main, st) != 0)
		goto threads;
	st->timer_started = true;
	*state = st;
	return 0;
threads:
	g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "SYN scan: cannot start its threads");
	if (st->rx_started) {
		atomic_store(&st->rx_quit, true);
		pthread_join(st->rx, NULL);
	}
fail:
	state_free(st);
	return -1;
}

/* The scan stopped early: what is in flight yields no result (a resume
 * probes it), as connect's unprobed tasks. */
static void drop_in_flight(struct syn_state *st)
{
	GHashTableIter it;
	gpointer k;

	g_hash_table_iter_init(&it, st->table);
	while (g_hash_table_iter_next(&it, &k, NULL)) {
		struct syn_entry *e = k;

		result_free(e->r);
		g_free(e);
	}
	g_hash_table_remove_all(st->table);
	st->heap_len = 0;
}

static void print_counters(const struct syn_state *st)
{
	const struct syn_counters *c = &st->count;

	g_message("SYN scan: %" G_GUINT64_FORMAT " packets sent, %" G_GUINT64_FORMAT
		  " answers, %" G_GUINT64_FORMAT " retransmitted, %" G_GUINT64_FORMAT
		  " rejected by validation, %" G_GUINT64_FORMAT " duplicate or late, %"
		  G_GUINT64_FORMAT " capture drops, %" G_GUINT64_FORMAT " send waits",
		  (guint64)c->sent, (guint64)c->received, (guint64)c->retransmitted,
		  (guint64)c->rejected, (guint64)c->stale, (guint64)c->dropped,
		  (guint64)c->send_waits);
	if (pacer_lowest(st->pacer) > 0)
		g_message("SYN scan: capture drops slowed the scan to %.0f packets/s at the lowest",
			  pacer_lowest(st->pacer));
}

/* Into the scan's metrics, for the summary and the JSON output. */
static void publish_counters(const struct syn_state *st, struct metrics *m)
{
	const struct syn_counters *c = &st->count;

	atomic_fetch_add(&m->packets.sent, atomic_load(&c->sent));
	atomic_fetch_add(&m->packets.received, atomic_load(&c->received));
	atomic_fetch_add(&m->packets.retransmitted, atomic_load(&c->retransmitted));
	atomic_fetch_add(&m->packets.rejected, atomic_load(&c->rejected));
	atomic_fetch_add(&m->packets.dropped, atomic_load(&c->dropped));
}

static void syn_finish(const struct method_env *env, void *state)
{
	struct syn_state *st = state;

	pthread_mutex_lock(&st->lock);
	/* The timer and the receiver deliver the last answers and expiries;
	 * each probe's wait is bounded by its timeout and retries. */
	while (g_hash_table_size(st->table) > 0 && !atomic_load(st->stopping))
		wait_a_little(st, &st->room);
	st->quit = true;
	pthread_cond_broadcast(&st->changed);
	pthread_mutex_unlock(&st->lock);
	pacer_close(st->pacer);
	pthread_join(st->timer, NULL);
	atomic_store(&st->rx_quit, true);
	pthread_join(st->rx, NULL);
	drop_in_flight(st);
	print_counters(st);
	publish_counters(st, env->metrics);
	state_free(st);
}

static const enum reason syn_reasons[] = {
	REASON_SYN_ACK, REASON_CONN_REFUSED, REASON_NO_RESPONSE, REASON_HOST_UNREACH,
	REASON_NET_UNREACH, REASON_ADMIN_PROHIBITED, REASON_PROTO_UNREACH,
	REASON_LOCAL_ERROR, REASON_COUNT
};

const struct scan_method method_syn = {
	.name = "syn",
	.summary = "TCP SYN: raw packets and a capture, no handshake completed (root or CAP_NET_RAW)",
	.caps = METHOD_CAP_PRIVILEGED | METHOD_CAP_CAPTURE | METHOD_CAP_ASYNC,
	.reasons = syn_reasons,
	/* Two senders: on a one-host scan the sender is the bottleneck (a
	 * sendto that also runs the veth peer's stack, a route lookup per new
	 * destination), and a second one cut the lab's workload 4 from 1.36-1.56
	 * to 1.11-1.15 s and workload 2 from 1.05 to 0.8 s. The pcap_inject
	 * sender learns next hops on the sender thread: one there. */
	.max_workers = SYN_PCAP_INJECT ? 1 : 2,
	.worker_size = sizeof(struct syn_worker),
	.max_pending = SYN_INFLIGHT_MAX,
	.check = syn_check,
	.start = syn_start,
	.worker_start = syn_worker_start,
	.worker_stop = syn_worker_stop,
	.probe = syn_probe,
	.finish = syn_finish,
};
