/* syn_int.h: what the SYN method's files (syn.c, syn_rx.c, syn_table.c,
 * syn_inject.c) share; nothing outside src/methods/syn*.c includes it. */
#ifndef PORTOLAN_SYN_INT_H
#define PORTOLAN_SYN_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <pcap/pcap.h>
#include <glib.h>

#include "method.h"
#include "packet.h"
#include "pacer.h"
#include "synkey.h"

/* How many probes may wait for an answer at once: the method's bound, as
 * the task queue is the engine's (a /16 at 100k/s with a 1 s timeout). */
#define SYN_INFLIGHT_MAX 131072u
/* Extra attempts a probe may get, beyond --retries, when the capture
 * dropped packets while it was waiting: its answer may have been lost. */
#define SYN_DROP_BONUS_MAX 3u
/* Captures the receiver reads: Linux's raw-socket path has one ("any"),
 * the pcap_inject path one per interface the scan sends on. */
#define SYN_CAPTURES_MAX 32u

/* Which sender: raw IP sockets and Linux's "any" capture, or whole frames
 * with pcap_inject and a capture per interface (syn_inject.c), which the
 * BSDs and macOS need and Linux builds with -DPORTOLAN_FORCE_PCAP_INJECT. */
#if !defined(__linux__) || defined(PORTOLAN_FORCE_PCAP_INJECT)
#define SYN_PCAP_INJECT 1
#else
#define SYN_PCAP_INJECT 0
#endif

struct syn_state;
struct syn_inject;

/* One capture the receiver reads, with its own link type. */
struct syn_capture {
	struct syn_state *st;
	pcap_t *p;
	int dlt;
	unsigned drops;               /* pcap's counter at the last look (receiver's) */
};

/* One probe waiting for its answer. The table (by target address and port)
 * and the deadline heap both point to it; it lives until it is answered,
 * expires for good, or the scan stops. */
struct syn_entry {
	struct pl_addr dst;           /* the key, with port */
	uint16_t port;
	struct pl_addr src;           /* our address towards dst */
	uint16_t sport;
	uint32_t seq;
	uint64_t host;                /* timing key */
	struct timing *timing;        /* valid while any entry of the window lives */
	struct result *r;
	int64_t sent_ns, deadline_ns;
	unsigned retry;               /* attempts made - 1 */
	unsigned bonus;               /* attempts granted for capture drops */
	uint64_t drop_gen;            /* state->drop_gen when last sent */
	size_t heap_idx;
	uint64_t id;                  /* unique in the scan: an entry found
					 under a key is this one, not a later
					 one at the same address */
};

/* Results on their way to the results queue, pushed as one chain: each
 * push may wake the results thread, and one wake-up per answer was most of
 * the scan's futex traffic. A chain goes out when full or SYN_CHAIN_HOLD_NS
 * after its first result (nothing waits for a result sooner: the timer and
 * finish() go by the in-flight table). Each delivering thread has its own. */
#define SYN_CHAIN_MAX 256u
#define SYN_CHAIN_HOLD_NS (5 * INT64_C(1000000))
struct syn_chain {
	struct result *head, *tail;
	unsigned n;
	int64_t first_ns;             /* mono_ns() of its first result */
};

struct syn_counters {
	_Atomic uint64_t sent, received, rejected, stale, retransmitted,
		dropped, send_waits;
};

struct syn_state {
	int fd4, fd6;                 /* raw sockets (-1: family not used) */
	struct syn_inject *inject;    /* the pcap_inject sender, or NULL */
	/* Filled in order, then published by ncap: the receiver reads
	 * cap[0..ncap) while the sender may add one (added from one thread
	 * at a time; closed only after the receiver stopped). */
	struct syn_capture cap[SYN_CAPTURES_MAX];
	_Atomic size_t ncap;
	_Atomic uint64_t next_id;     /* syn_entry.id */
	struct synkey key;
	const struct scan_plan *plan;
	struct bqueue *results;
	struct metrics *metrics;
	struct ratelimit *rate;
	struct pacer *pacer;          /* our brake on capture drops */
	const atomic_bool *stopping;

	pthread_mutex_t lock;         /* table, heap, drop_gen, quit */
	pthread_cond_t room;          /* an entry left: the sender may add */
	pthread_cond_t changed;       /* the heap's top changed: the timer looks */
	GHashTable *table;            /* struct syn_entry * -> itself */
	struct syn_entry **heap;
	size_t heap_len, heap_cap;
	uint64_t drop_gen;
	/* When the waiting timer wakes by itself (INT64_MAX: never; INT64_MIN:
	 * it is not waiting and looks at the heap before it does). The sender
	 * wakes it only for an earlier deadline: a wake-up per probe was a
	 * futex call per probe. */
	int64_t timer_wakes_ns;
	bool quit;

	pthread_t rx, timer;
	bool rx_started, timer_started;
	atomic_bool rx_quit;
	/* The receiver has read every frame captured before this time
	 * (mono_ns): a probe expires only once its deadline is behind it, so a
	 * receiver that lags under load never turns an answer into filtered. */
	_Atomic int64_t rx_caught_up_ns;
	struct syn_chain rx_chain;    /* the receiver's own */
	struct syn_chain timer_chain; /* the timer's own */
	struct syn_counters count;
};

/* syn_table.c: the in-flight table and deadline heap; call with lock held. */
void syn_table_init(struct syn_state *st);
void syn_table_free(struct syn_state *st);
void syn_table_add(struct syn_state *st, struct syn_entry *e);
struct syn_entry *syn_table_find(struct syn_state *st, const struct pl_addr *dst, uint16_t port);
void syn_table_remove(struct syn_state *st, struct syn_entry *e);
void syn_heap_push(struct syn_state *st, struct syn_entry *e);
struct syn_entry *syn_heap_top(const struct syn_state *st);
void syn_heap_pop(struct syn_state *st);

/* syn.c: sends e's probe (built afresh: same cookie). 0, or an errno. */
int syn_send(struct syn_state *st, const struct syn_entry *e);
/* Fills e->r from an answer or an expiry and adds it to the caller's
 * chain c, which goes out once full; frees e. Without the lock. */
void syn_deliver(struct syn_state *st, struct syn_chain *c, struct syn_entry *e,
		 enum port_state s, enum reason why);
/* Pushes c's results (if any) to the results queue. Without the lock. */
void syn_chain_flush(struct syn_state *st, struct syn_chain *c);
/* When c is due to go out (mono_ns; INT64_MAX: empty). */
int64_t syn_chain_due(const struct syn_chain *c);

/* syn.c: opens a capture on device for the receiver, with the answers'
 * filter, and adds it to st->cap. 0, or -1 with *err set. */
int syn_capture_add(struct syn_state *st, const char *device, GError **err);

/* syn_inject.c: the pcap_inject sender. */
struct syn_inject *syn_inject_new(struct syn_state *st, GError **err);
void syn_inject_free(struct syn_inject *in);
/* Before dst's first probe, on the sender thread: the interface towards it
 * (its handles and capture opened on first use) and its link header
 * (learnt and cached). 0, or an errno that makes the probe a local error
 * (ETIMEDOUT: the next hop could not be learnt) or, from the kernel's
 * send, the reason it gives. */
int syn_inject_prepare(struct syn_inject *in, const struct pl_addr *src, const struct pl_addr *dst);
/* Sends the IP datagram (len bytes, at most PACKET_SYN_MAX) framed for
 * dst's interface; any thread. 0, or an errno (ENOBUFS: a shortage). */
int syn_inject_send(struct syn_inject *in, const struct pl_addr *dst, const uint8_t *dgram,
		    size_t len);

/* syn_rx.c: the receiver thread. */
void *syn_rx_main(void *arg);

#endif
