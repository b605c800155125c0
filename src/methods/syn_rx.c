/* syn_rx.c: the SYN method's receiver thread.
 *
 * It reads the captures (st->cap: one on Linux's raw-socket path, one per
 * interface on the pcap_inject path, each parsed by its own link type;
 * non-blocking, woken by poll() so that finish() can stop it within
 * POLL_MS), checks every answer against the keyed cookie
 * first (synkey.h: a forged or stale answer is counted as rejected and costs
 * no lookup), then finds the probe it answers, takes it out of flight and
 * delivers its result. It also watches the capture's drop counter: a drop
 * may have been an answer, so the probes in flight at that moment get
 * another attempt before they can be called filtered (syn.c's timer). */
#include "pcap_visible.h"   /* first: see there */

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include "clock.h"
#include "syn_int.h"
#include "timing.h"

#define POLL_MS 20
#define STATS_EVERY_MS 50
#define RX_NAP_NS 200000

static void count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* Takes the probe for (dst, port) out of flight, if our address matches. */
static struct syn_entry *claim(struct syn_state *st, const struct pl_addr *us,
			       const struct pl_addr *dst, uint16_t port)
{
	struct syn_entry *e;

	pthread_mutex_lock(&st->lock);
	e = syn_table_find(st, dst, port);
	if (e != NULL && pl_addr_equal(&e->src, us)) {
		syn_table_remove(st, e);
		pthread_cond_broadcast(&st->room);
	} else {
		e = NULL;
	}
	pthread_mutex_unlock(&st->lock);
	return e;
}

static void answered(struct syn_state *st, struct syn_entry *e, enum port_state s,
		     enum reason why)
{
	double rtt = (double)(mono_ns() - e->sent_ns) / 1e6;

	e->r->latency_ms = rtt;
	/* Only an answer to the one attempt made is an unambiguous sample
	 * (Karn): after a retransmission it may answer either. */
	if (e->retry == 0 && e->bonus == 0)
		timing_sample(e->timing, e->host, rtt);
	count(&st->count.received);
	syn_deliver(st, &st->rx_chain, e, s, why);
}

static void on_tcp(struct syn_state *st, const struct packet_answer *a)
{
	struct syn_entry *e;

	/* Our own SYNs (seen on loopback) and the kernel's RST after a
	 * SYN-ACK carry no ACK: not answers. */
	if (!(a->flags & TCP_FLAG_ACK) || !(a->flags & (TCP_FLAG_SYN | TCP_FLAG_RST)))
		return;
	if (!synkey_check_ack(&st->key, &a->dst, a->dport, &a->src, a->sport, a->ack)) {
		count(&st->count.rejected);
		return;
	}
	if ((e = claim(st, &a->dst, &a->src, a->sport)) == NULL) {
		count(&st->count.stale);       /* a duplicate or a late answer */
		return;
	}
	if (a->flags & TCP_FLAG_RST) {
		answered(st, e, STATE_CLOSED, REASON_CONN_REFUSED);
		return;
	}
	/* The SYN-ACK's evidence goes with the result; the results thread
	 * judges it (oshint.h), off this hot path. */
	if (a->has_ev) {
		g_free(e->r->os_ev);
		e->r->os_ev = g_new(struct os_evidence, 1);
		*e->r->os_ev = a->ev;
	}
	answered(st, e, STATE_OPEN, REASON_SYN_ACK);
}

static void on_icmp(struct syn_state *st, const struct packet_answer *a)
{
	struct syn_entry *e;
	enum port_state s;
	enum reason why;

	if (!synkey_check_quote(&st->key, &a->src, a->sport, &a->dst, a->dport, a->seq)) {
		count(&st->count.rejected);
		return;
	}
	if ((e = claim(st, &a->src, &a->dst, a->dport)) == NULL) {
		count(&st->count.stale);
		return;
	}
	packet_icmp_reason(a->src.family, a->icmp_type, a->icmp_code, &s, &why);
	answered(st, e, s, why);
}

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	const struct syn_capture *c = (const struct syn_capture *)user;
	struct syn_state *st = c->st;
	struct packet_answer a;

	switch (packet_parse(c->dlt, bytes, h->caplen, &a)) {
	case PACKET_TCP:
		on_tcp(st, &a);
		break;
	case PACKET_ICMP:
		on_icmp(st, &a);
		break;
	default:
		break;
	}
}

/* The capture's account at the last look. */
struct rx_watch {
	uint64_t new_drops;           /* since the pacer's last interval */
	uint64_t sent;
	int64_t at_ns, next_ns;       /* the pacer's interval */
};

/* A new drop in the capture: every probe in flight may have lost its
 * answer, and gets another attempt at its deadline (syn.c). Looked at
 * before every "caught up to t": a drop before t is then known to the
 * timer before it may expire a probe for silence up to t. */
static void watch_drops(struct syn_state *st, struct rx_watch *w)
{
	struct pcap_stat ps;
	unsigned n = 0;

	for (size_t i = 0; i < atomic_load(&st->ncap); i++) {
		struct syn_capture *c = &st->cap[i];

		if (pcap_stats(c->p, &ps) != 0 || ps.ps_drop == c->drops)
			continue;
		n += ps.ps_drop - c->drops;
		c->drops = ps.ps_drop;
	}
	if (n == 0)
		return;
	atomic_fetch_add_explicit(&st->count.dropped, n, memory_order_relaxed);
	w->new_drops += n;
	pthread_mutex_lock(&st->lock);
	st->drop_gen++;
	pthread_mutex_unlock(&st->lock);
}

/* Every STATS_EVERY_MS, the pacer learns what the interval sent and
 * whether the capture dropped. */
static void pace(struct syn_state *st, struct rx_watch *w)
{
	uint64_t sent = atomic_load(&st->count.sent);
	int64_t now = mono_ns();

	if (now < w->next_ns)
		return;
	pacer_update(st->pacer, sent - w->sent, w->new_drops, now - w->at_ns);
	w->sent = sent;
	w->new_drops = 0;
	w->at_ns = now;
	w->next_ns = now + STATS_EVERY_MS * INT64_C(1000000);
}

/* Frames captured before t have all been read (and their drops counted). */
static void caught_up(struct syn_state *st, struct rx_watch *w, int64_t t)
{
	watch_drops(st, w);
	atomic_store(&st->rx_caught_up_ns, t);
}

/* Reads what the first n captures hold; how many frames that was. */
static int read_captures(struct syn_state *st, size_t n)
{
	int got = 0;

	for (size_t i = 0; i < n; i++) {
		int r = pcap_dispatch(st->cap[i].p, -1, on_frame, (u_char *)&st->cap[i]);

		if (r > 0)
			got += r;
	}
	return got;
}

/* Waits up to wait_ms for a frame on any of the first n captures; true
 * when none came (a capture without a selectable descriptor is looked at
 * again after 1 ms, and never counts as quiet). */
static bool quiet(struct syn_state *st, size_t n, int wait_ms)
{
	struct pollfd pfd[SYN_CAPTURES_MAX];
	nfds_t k = 0;

	for (size_t i = 0; i < n; i++) {
		pfd[k].fd = pcap_get_selectable_fd(st->cap[i].p);
		pfd[k].events = POLLIN;
		if (pfd[k].fd >= 0)
			k++;
	}
	if (k < n) {
		(void)poll(NULL, 0, 1);
		return false;
	}
	return poll(pfd, k, wait_ms) == 0;
}

/* While answers flow, the receiver sleeps RX_NAP_NS between reads instead
 * of waiting in poll(): in immediate mode poll() wakes it for every frame,
 * and a wake-up (a context switch) per answer cost more than reading it.
 * The ring holds the answers meanwhile (--capture-buffer: 16 MiB are
 * tens of thousands of answers, RX_NAP_NS is a few dozen at 100k/s); the
 * timer never expires a probe before a read that began after its deadline
 * found nothing (caught_up), so a nap only delays answers, never loses
 * one. */
static void nap(void)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = RX_NAP_NS };

	(void)nanosleep(&ts, NULL);
}

void *syn_rx_main(void *arg)
{
	struct syn_state *st = arg;
	struct rx_watch watch = { .at_ns = mono_ns(), .next_ns = mono_ns() };

	while (!atomic_load(&st->rx_quit)) {
		int64_t t, due;
		int wait_ms, r, got = 0;
		size_t n;

		/* Caught up to t once a read that began at t found nothing. A
		 * capture added after t serves only probes sent after t. */
		do {
			t = mono_ns();
			n = atomic_load(&st->ncap);
			r = read_captures(st, n);
			got += r;
		} while (r > 0);
		caught_up(st, &watch, t);
		t = mono_ns();
		n = atomic_load(&st->ncap);
		/* Held results wait for their chain's time, not POLL_MS. */
		due = syn_chain_due(&st->rx_chain);
		if (due <= t) {
			syn_chain_flush(st, &st->rx_chain);
			wait_ms = POLL_MS;
		} else {
			wait_ms = due == INT64_MAX ? POLL_MS : (int)((due - t + 999999) / 1000000);
		}
		if (got > 0)
			nap();                      /* answers are flowing: let a few gather */
		else if (quiet(st, n, wait_ms))
			caught_up(st, &watch, t);   /* nothing came since t */
		pace(st, &watch);
		/* The sender may be waiting for a slow slot: stopping must not. */
		if (atomic_load(st->stopping))
			pacer_close(st->pacer);
	}
	/* What came in before the stop was asked for is still read. */
	while (read_captures(st, atomic_load(&st->ncap)) > 0)
		;
	syn_chain_flush(st, &st->rx_chain);
	return NULL;
}
