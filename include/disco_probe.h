/* disco_probe.h: one kind of host-discovery probe, as a table of operations.
 *
 * Host discovery (discovery.h) asks "is this address alive?" with one or
 * more probers: TCP connect to a few ports and ICMP echo through ping
 * sockets without privileges; raw ICMP echo and timestamp, TCP SYN and
 * ACK, ARP and neighbour discovery with them. The engine decides which
 * hosts to probe, when, how often and how long to wait; a prober only sends
 * its packets for one host and reports the proofs of life it reads back.
 *
 * Threads: open() and close() run on the thread that starts and ends the
 * discovery; send() and forget() on the engine's sending thread, one call
 * at a time. A prober reads answers wherever it likes (its own thread, a
 * capture, non-blocking sockets it polls) and calls env->alive from that
 * thread: alive() is thread-safe, and ignores an address the engine is not
 * waiting for (a late answer, a host already resolved, an unsolicited
 * packet). A prober credits an address only with a packet that answers its
 * own probe (matching identifiers, quoted headers, the cookie of a SYN):
 * a hostile or stray packet must never bring a host up. */
#ifndef PORTOLAN_DISCO_PROBE_H
#define PORTOLAN_DISCO_PROBE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "addr.h"
#include "result.h"

struct ratelimit;
struct scan_plan;

/* A proof of life: addr answered with `why` (REASON_ECHO_REPLY,
 * REASON_SYN_ACK, REASON_RESET, REASON_CONN_REFUSED, REASON_ARP_RESPONSE,
 * ...). ttl is the answer's IP TTL or hop limit, 0 when unknown. */
typedef void disco_alive_fn(void *ctx, const struct pl_addr *addr, enum reason why,
			    uint8_t ttl);

/* What the engine lends a prober; it outlives the prober. */
struct disco_env {
	const struct scan_plan *plan;
	/* The ports a TCP prober probes: its entry's own list in
	 * discovery.probes ("tcp-syn:443,8443"), else its default: tcp-connect
	 * discovery.ports (80,443,22,445,3389), tcp-syn 443, tcp-ack 80. */
	const uint16_t *tcp_ports;
	size_t ntcp_ports;
	/* One token per packet or connect() sent (ratelimit_take; false: the
	 * scan is stopping, send nothing more). NULL: no limit. */
	struct ratelimit *rate;
	disco_alive_fn *alive;
	void *ctx;                    /* alive's first argument */
	const atomic_bool *stopping;
};

/* Extra attempts a host may get for answers lost locally (drops()). */
#define DISCO_DROP_BONUS_MAX 3u

/* What send() did. */
enum disco_sent {
	DISCO_SENT = 0,    /* at least one probe left: wait for an answer */
	DISCO_SKIP = 1,    /* this prober does not apply to the address (another
			      family, not on a local link): nothing was sent */
	/* A negative errno: a local failure (EMFILE, ENOBUFS, EADDRNOTAVAIL,
	 * ...). Never a sign that the host is down: the engine tries again
	 * and, failing, scans the host rather than call it down. */
};

struct disco_prober {
	const char *name;       /* as discovery.probes names it: "icmp-echo" */
	const char *summary;    /* one line, for --help and the docs */
	bool privileged;        /* needs raw sockets or a capture */
	/* An on-link prober (ARP, ND): when it sends to a host, its answer or
	 * its silence is the truth, and the other probers are not used for
	 * that host. */
	bool exclusive;

	/* Acquires sockets, captures and threads (before privileges drop).
	 * A failure is a runtime error (exit 3, *err set) unless it means the
	 * prober cannot run here (ping sockets not allowed by
	 * net.ipv4.ping_group_range): then it returns 1, *err set to say why,
	 * and the engine goes on without it. */
	int (*open)(const struct disco_env *env, void **state, GError **err);
	/* Sends attempt `attempt` (0-based) of this prober's probes to addr.
	 * Returns an enum disco_sent or a negative errno. */
	int (*send)(void *state, const struct pl_addr *addr, unsigned attempt);
	/* The engine has decided about addr (up, or down after the last
	 * attempt's timeout): drop what is kept for it (open connects). May
	 * be NULL. */
	void (*forget)(void *state, const struct pl_addr *addr);
	/* Answers lost locally so far (a capture's or a socket's drops),
	 * never decreasing; called from the engine's thread at any time. An
	 * attempt that saw it grow proves nothing by its silence: the engine
	 * tries again (at most DISCO_DROP_BONUS_MAX times a host) rather than
	 * call the host down. May be NULL: the prober loses nothing it can
	 * count. */
	uint64_t (*drops)(void *state);
	/* Stops its threads and frees everything. */
	void (*close)(void *state);
};

/* The prober called name: its privileged implementation when privileged
 * is true and there is one (icmp-echo: a raw socket), else its
 * unprivileged one (icmp-echo: a Linux ping socket), else NULL. */
const struct disco_prober *disco_prober_find(const char *name, bool privileged);
/* The i-th prober of the table, or NULL past the last. */
const struct disco_prober *disco_prober_at(size_t i);

#endif
