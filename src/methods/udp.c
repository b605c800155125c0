/* udp.c: the UDP method, one blocking probe per worker.
 *
 * A worker probes one (host, port) with a connected UDP socket: send the
 * port's payload (an empty datagram without one), then wait for a reply or
 * an ICMP error with the attempt's timeout. What comes back decides:
 *  - a datagram: open, udp-response. The socket is connected, so the kernel
 *    delivers only datagrams from the probed address and port: a reply from
 *    anywhere else is never credited to the port (it is not even read).
 *    The exception is a port whose probe says its protocol answers from a
 *    port of its own (`reply_from: any_port`: TFTP's new TID, RFC 1350
 *    section 4). On Linux its socket stays unconnected and every datagram
 *    is sorted here: from another address, never the port's; from the
 *    probed port, the reply; from another port of the probed address, the
 *    reply only when the probe's own rules match it (udp_reply_credited).
 *    IP_RECVERR still brings the ICMP errors, each checked against the
 *    probed address and port it quotes. Elsewhere such a port keeps the
 *    connected socket (an ICMP error is an unconnected socket's only by
 *    IP_RECVERR), and the other port's reply is missed, as before;
 *  - ICMP port unreachable from the probed host: closed, port-unreach;
 *  - any other ICMP unreachable (or port unreachable sent by another host,
 *    a router on the way): filtered, the ICMP named (udp_classify_icmp);
 *  - nothing after the retries: open|filtered, no-response.
 * On Linux IP_RECVERR / IPV6_RECVERR queue the ICMP message itself (type,
 * code, who sent it) on the socket: errno alone cannot tell an
 * administratively prohibited network (ECONNREFUSED, like a closed port)
 * from a closed port. Elsewhere the errno is all there is.
 *
 * ICMP rate limiting. Linux answers at most one closed port per second per
 * scanner after a burst of 6 (net.ipv4.icmp_ratelimit, icmp_msgs_burst);
 * other systems limit too. A closed port whose ICMP was suppressed looks
 * exactly like a silent one. Each host's limit is learnt (udprate.c): a
 * host that answers every probe is never paced; one that drops answers
 * (a port answered only on a retry, or silent after its retries although
 * the host sends ICMP errors) is probed fast for a moment to measure the
 * spacing of its errors, then paced at that interval, and its silent ports
 * get UDP_LIMITED_EXTRA more tries on the learnt pace before they are
 * called open|filtered. docs/udp.md says what this can and cannot tell.
 */
#if defined(__linux__)
#define _GNU_SOURCE 1   /* IP_RECVERR, MSG_ERRQUEUE, SOCK_NONBLOCK */
#endif
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "clock.h"
#include "method.h"
#include "metrics.h"
#include "netconn.h"
#include "plan.h"
#include "ratelimit.h"
#include "timing.h"
#include "udp.h"
#include "udprate.h"
#include "udpmatch.h"

#if defined(__linux__)
#include <linux/errqueue.h>
#endif

#define RESOURCE_BACKOFF_MAX_MS 500
#define RESOURCE_GIVE_UP_MS 60000
/* A reply is read into this much; the rest of a bigger datagram is cut
 * (MSG_TRUNC), and only the first reply is read at all: a flood or a huge
 * datagram costs one bounded read, and the kernel drops the rest with the
 * socket. */
#define UDP_REPLY_MAX 2048
/* Datagrams and ICMP errors an unconnected socket may read and set aside
 * (another address's, or not its probe's reply) in one attempt before the
 * attempt ends as a silence: a flood costs bounded reads, not a busy wait
 * until the timeout. */
#define UDP_STRAYS_MAX 64
/* Linux's MSG_TRUNC asks recv() for a datagram's real length; elsewhere
 * the flag is only reported in msg_flags, so it is not passed. */
#if defined(__linux__)
#define RECV_TRUNC MSG_TRUNC
#else
#define RECV_TRUNC 0
#endif
/* Tries a silent port of a limited host gets on the host's learnt pace
 * beyond its retries, and the bound on those it gets while the pace is
 * still being learnt (each waits its timeout: at most UDPRATE_LEARN_MAX_MS
 * of them in practice; the bound only guarantees an end). */
#define UDP_LIMITED_EXTRA 2
#define UDP_LEARNING_TRIES_MAX 64
/* How long after a host's first probe a silence waits for the host's first
 * ICMP error before judging it: a new peer's bucket may start empty. */
#define UDP_ICMP_WAIT_MS (3 * (UDPRATE_DEFAULT_MS + 100))
#define UDP_HOSTS_LOGGED 32
#define UDP_ICMP_POLL_MS 20
#define UDP_HOST_BUCKETS 4096
/* Hosts remembered at most (by address; about 80 bytes each) before those
 * idle for UDP_HOST_IDLE_NS are forgotten, swept at most once a second. */
#define UDP_HOSTS_MAX 65536
#define UDP_HOST_IDLE_NS (30 * 1000000000LL)

/* What the scan learned about one host's ICMP (the rate limit). */
struct udp_host {
	struct pl_addr addr;     /* the key: a host index is only a window's */
	int64_t last_ns;         /* last use, for the sweep */
	uint64_t icmp_answers;   /* ICMP errors seen (closed or filtered ports) */
	int64_t first_send_ns;   /* the host's first probe (CLOCK_MONOTONIC) */
	struct udprate rate;     /* its ICMP limit, learnt; its pace */
	struct udp_host *next;
};

struct udp_state {
	pthread_mutex_t lock;
	size_t nhosts;
	int64_t last_sweep_ns;
	struct udp_host *buckets[UDP_HOST_BUCKETS];
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void count(_Atomic uint64_t *counter)
{
	atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

static bool is_stopping(const struct method_env *env)
{
	return env->stopping != NULL && atomic_load_explicit(env->stopping, memory_order_relaxed);
}

static int udp_start(const struct method_env *env, void **state, GError **err)
{
	struct udp_state *st = g_new0(struct udp_state, 1);

	pthread_mutex_init(&st->lock, NULL);
	*state = st;
	return 0;
}

static void udp_finish(const struct method_env *env, void *state)
{
	struct udp_state *st = state;

	unsigned logged = 0, paced = 0;
	uint64_t waits = 0;

	if (st == NULL)
		return;
	for (size_t i = 0; i < UDP_HOST_BUCKETS; i++) {
		struct udp_host *h = st->buckets[i], *n;

		for (; h != NULL; h = n) {
			n = h->next;
			waits += h->rate.paced_waits;
			if (h->rate.phase == UDPRATE_PACED) {
				char a[PL_ADDRSTRLEN];

				paced++;
				pl_addr_format(&h->addr, a, sizeof(a));
				if (logged++ < UDP_HOSTS_LOGGED)
					g_info("udp: %s: ICMP errors limited to one per %u ms: "
					       "paced at %u ms, %" PRIu64 " paced waits", a,
					       udprate_interval_ms(&h->rate),
					       (unsigned)(h->rate.pace_ns / 1000000),
					       h->rate.paced_waits);
			}
			g_free(h);
		}
	}
	g_info("udp: %u hosts paced for their ICMP rate limit, %" PRIu64 " paced waits",
	       paced, waits);
	pthread_mutex_destroy(&st->lock);
	g_free(st);
}

static size_t host_bucket(const struct pl_addr *a)
{
	uint64_t x = a->v.lo ^ (a->v.hi * 0x9e3779b97f4a7c15ULL);

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 32;
	return (size_t)(x % UDP_HOST_BUCKETS);
}

/* Forgets the hosts idle for UDP_HOST_IDLE_NS: a long scan's memory stays
 * bounded by the hosts in flight, not the hosts scanned. */
static void host_sweep(struct udp_state *st, int64_t now)
{
	st->last_sweep_ns = now;
	for (size_t i = 0; i < UDP_HOST_BUCKETS; i++) {
		struct udp_host **p = &st->buckets[i];

		while (*p != NULL) {
			struct udp_host *h = *p;

			if (now - h->last_ns > UDP_HOST_IDLE_NS) {
				*p = h->next;
				g_free(h);
				st->nhosts--;
			} else {
				p = &h->next;
			}
		}
	}
}

/* The host's record, made on first use; call with the lock held. */
static struct udp_host *host_get(struct udp_state *st, const struct pl_addr *addr)
{
	struct udp_host **b = &st->buckets[host_bucket(addr)], *h;
	int64_t now = mono_ns();

	for (h = *b; h != NULL; h = h->next)
		if (pl_addr_equal(&h->addr, addr)) {
			h->last_ns = now;
			return h;
		}
	if (st->nhosts >= UDP_HOSTS_MAX && now - st->last_sweep_ns > 1000000000LL)
		host_sweep(st, now);
	h = g_new0(struct udp_host, 1);
	udprate_init(&h->rate);
	h->addr = *addr;
	h->last_ns = now;
	h->next = *b;
	*b = h;
	st->nhosts++;
	return h;
}

/* Waits for the host's next slot when it is paced (learning its limit or
 * paced at it). *learnt: the send goes on a learnt pace. Returns false when
 * the scan stopped while waiting. */
static bool pace_host(const struct method_env *env, struct udp_state *st,
		      const struct pl_addr *host, bool *learnt)
{
	int64_t slot, now;

	pthread_mutex_lock(&st->lock);
	{
		struct udp_host *h = host_get(st, host);

		now = mono_ns();
		if (h->first_send_ns == 0)
			h->first_send_ns = now;
		slot = udprate_slot(&h->rate, now, learnt);
	}
	pthread_mutex_unlock(&st->lock);
	/* In slices, so that a stopping scan does not wait out a long queue. */
	while ((now = mono_ns()) < slot) {
		int64_t left = (slot - now) / 1000000 + 1;

		if (is_stopping(env))
			return false;
		sleep_ms(left > 100 ? 100 : (unsigned)left);
	}
	return true;
}

/* Records an ICMP answer: a closed port's, or a firewall's REJECT (whose
 * ICMP draws on the same budget). late: the port was silent before;
 * paced_loss: on a try sent on the learnt pace. */
static void host_saw_icmp(struct udp_state *st, const struct pl_addr *host, bool late,
			  bool paced_loss)
{
	struct udp_host *h;

	pthread_mutex_lock(&st->lock);
	h = host_get(st, host);
	h->icmp_answers++;
	if (udprate_answer(&h->rate, mono_ns(), late, paced_loss)) {
		char a[PL_ADDRSTRLEN];

		pl_addr_format(host, a, sizeof(a));
		g_info("udp: %s limits its ICMP errors to one per %u ms: paced at %u ms", a,
		       udprate_interval_ms(&h->rate), (unsigned)(h->rate.pace_ns / 1000000));
	}
	pthread_mutex_unlock(&st->lock);
}

/* Whether a port of this host silent after its retries is suspect (the
 * host sends ICMP errors and is not known to answer every probe, so a
 * closed port may have lost its answer to a limit); starts learning the
 * host's limit if so. */
static bool host_suspect_silence(const struct method_env *env, struct udp_state *st,
				 const struct pl_addr *host)
{
	bool suspect;

	pthread_mutex_lock(&st->lock);
	for (;;) {
		struct udp_host *h = host_get(st, host);
		int64_t since = mono_ns() - h->first_send_ns;

		/* Early in a host's scan its first ICMP error may not have come
		 * yet: a limited host can be out of tokens for a whole interval
		 * (Linux starts a new peer's bucket empty or full by version).
		 * Wait three default intervals after its first probe before
		 * saying the host sends none. */
		if (h->icmp_answers > 0 || since >= (int64_t)UDP_ICMP_WAIT_MS * 1000000 ||
		    is_stopping(env))
			break;
		pthread_mutex_unlock(&st->lock);
		sleep_ms(UDP_ICMP_POLL_MS);
		pthread_mutex_lock(&st->lock);
	}
	{
		struct udp_host *h = host_get(st, host);

		suspect = udprate_suspect(&h->rate, mono_ns(), h->icmp_answers > 0);
	}
	pthread_mutex_unlock(&st->lock);
	return suspect;
}

void udp_classify_icmp(const struct udp_icmp *ic, bool from_target, enum port_state *state,
		       enum reason *reason)
{
	*state = STATE_FILTERED;
	*reason = REASON_HOST_UNREACH;
	if (ic->v6) {
		/* RFC 4443 3.1: destination unreachable; 4: parameter problem. */
		if (ic->type == 1) {
			switch (ic->code) {
			case 0: *reason = REASON_NET_UNREACH; break;    /* no route */
			case 1:                                          /* prohibited */
			case 5:                                          /* source policy */
			case 6: *reason = REASON_ADMIN_PROHIBITED; break; /* reject route */
			case 4: *reason = REASON_PORT_UNREACH; break;
			default: *reason = REASON_HOST_UNREACH; break;   /* address unreachable ... */
			}
		} else if (ic->type == 4 && ic->code == 1) {
			*reason = REASON_PROTO_UNREACH;
		}
	} else if (ic->type == 3) {
		/* RFC 792, RFC 1812 5.2.7.1. */
		switch (ic->code) {
		case 0:                                   /* net unreachable */
		case 6:                                   /* net unknown */
		case 11: *reason = REASON_NET_UNREACH; break;  /* net for TOS */
		case 2: *reason = REASON_PROTO_UNREACH; break;
		case 3: *reason = REASON_PORT_UNREACH; break;
		case 9:                                   /* net prohibited */
		case 10:                                  /* host prohibited */
		case 13: *reason = REASON_ADMIN_PROHIBITED; break; /* communication prohibited */
		default: *reason = REASON_HOST_UNREACH; break;
		}
	}
	/* Only the probed host can say its port is closed; a router's port
	 * unreachable says the path is blocked. */
	if (*reason == REASON_PORT_UNREACH && from_target)
		*state = STATE_CLOSED;
}

void udp_classify_errno(int e, enum port_state *state, enum reason *reason)
{
	*state = STATE_FILTERED;
	switch (e) {
	case ECONNREFUSED:
		*state = STATE_CLOSED;
		*reason = REASON_PORT_UNREACH;
		return;
	case ENETUNREACH:
	case ENETDOWN:
		*reason = REASON_NET_UNREACH;
		return;
	case EACCES:
	case EPERM:          /* a local firewall refused the datagram */
		*reason = REASON_ADMIN_PROHIBITED;
		return;
	case ENOPROTOOPT:
		*reason = REASON_PROTO_UNREACH;
		return;
	default:
		*reason = REASON_HOST_UNREACH;
		return;
	}
}

/* The errnos an ICMP error or a route turns into (the port's answer). */
static bool is_answer_errno(int e)
{
	switch (e) {
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ENETDOWN:
	case EACCES:
	case EPERM:
	case ENOPROTOOPT:
#if defined(EHOSTDOWN)
	case EHOSTDOWN:
#endif
#if defined(ENONET)
	case ENONET:
#endif
#if defined(EPROTO)
	case EPROTO:
#endif
		return true;
	default:
		return false;
	}
}

/* A port's socket. Connected (the kernel delivers only the probed address
 * and port), or for a port whose probe may be answered from another port,
 * unconnected: then sendto() and recvfrom(), and the sorting is ours. */
struct usock {
	int fd;
	bool any_port;                  /* unconnected: see the top of the file */
	const struct sockaddr *sa;      /* the probed address and port */
	socklen_t salen;
	struct pl_addr addr;            /* the same, to compare with */
	uint16_t port;
};

/* The address and port of sa; false for a family other than IPv4, IPv6 or
 * for a length too short to hold it. */
static bool sockaddr_split(const struct sockaddr *sa, socklen_t len, struct pl_addr *a,
			   uint16_t *port)
{
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in))
		*port = ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6))
		*port = ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
	else
		return false;
	return pl_addr_from_sockaddr(sa, a);
}

/* Whether the port's socket must hear other ports of the target: one of
 * the port's UDP probes says its protocol answers from a port of its own.
 * Only on Linux, where IP_RECVERR still tells a closed port on an
 * unconnected socket; elsewhere an unconnected socket hears no ICMP error
 * at all, and every closed port 69 would look open|filtered. */
static bool port_any_port(const struct scan_plan *plan, uint16_t port)
{
#if defined(__linux__)
	const struct probe *list[UDP_PROBES_MAX];
	size_t n = probe_db_udp(plan->udp_payloads, port, list, UDP_PROBES_MAX);

	for (size_t i = 0; i < n; i++)
		if (probe_reply_any_port(list[i]))
			return true;
#else
	(void)plan;
	(void)port;
#endif
	return false;
}

static int new_socket(int family, bool *recverr)
{
	int s;

#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
	s = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
	s = socket(family, SOCK_DGRAM, 0);
	if (s != -1) {
		(void)fcntl(s, F_SETFD, FD_CLOEXEC);
		(void)fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
	}
#endif
	*recverr = false;
#if defined(__linux__)
	if (s != -1) {
		int on = 1;

		if (family == AF_INET)
			*recverr = setsockopt(s, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)) == 0;
		else
			*recverr = setsockopt(s, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on)) == 0;
	}
#endif
	return s;
}

/* Opens us->fd for the probed address: unconnected when us->any_port asks
 * and IP_RECVERR is on (else us->any_port is cleared: without it an
 * unconnected socket hears no ICMP error), connected otherwise. Returns 0;
 * -1 with errno when no socket could be made; 1 with errno when connect()
 * failed (no route: the network's answer, when is_answer_errno). */
static int open_socket(struct usock *us)
{
	bool recverr;
	int e;

	us->fd = new_socket(us->sa->sa_family, &recverr);
	if (us->fd == -1)
		return -1;
	us->any_port = us->any_port && recverr;
	if (us->any_port || connect(us->fd, us->sa, us->salen) == 0)
		return 0;
	e = errno;
	(void)close(us->fd);
	us->fd = -1;
	errno = e;
	return 1;
}

/* Linux: the ICMP message queued on the socket, if any (the last one, which
 * also clears the socket's pending error). Returns true with *ic filled and
 * *from_target saying whether the probed host sent it. On an unconnected
 * socket an ICMP error about a datagram to anywhere but the probed address
 * and port (the original destination, in msg_name) is not the port's: it
 * is skipped, and *stray says one was. */
static bool read_icmp(const struct usock *us, struct udp_icmp *ic, bool *from_target,
		      bool *stray)
{
#if defined(__linux__)
	char cbuf[512], data[64];
	struct sockaddr_storage dst;
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_name = &dst, .msg_namelen = sizeof(dst),
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	bool found = false;

	*stray = false;
	memset(&dst, 0, sizeof(dst));
	while (recvmsg(us->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0) {
		struct pl_addr da;
		uint16_t dport;
		bool ours = !us->any_port ||
			    (sockaddr_split((struct sockaddr *)&dst, msg.msg_namelen, &da, &dport) &&
			     pl_addr_equal(&da, &us->addr) && dport == us->port);

		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
			struct sock_extended_err ee;
			struct sockaddr_storage off;
			struct pl_addr oa;
			size_t offlen;

			if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
			      (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)))
				continue;
			if (c->cmsg_len < CMSG_LEN(sizeof(ee)))
				continue;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			if (ee.ee_origin != SO_EE_ORIGIN_ICMP && ee.ee_origin != SO_EE_ORIGIN_ICMP6)
				continue;
			if (!ours) {
				*stray = true;
				continue;
			}
			ic->v6 = ee.ee_origin == SO_EE_ORIGIN_ICMP6;
			ic->type = ee.ee_type;
			ic->code = ee.ee_code;
			found = true;
			/* The offender (who sent the ICMP) follows the struct. */
			*from_target = true;
			offlen = c->cmsg_len - CMSG_LEN(sizeof(ee));
			if (offlen > sizeof(off))
				offlen = sizeof(off);
			memset(&off, 0, sizeof(off));
			memcpy(&off, CMSG_DATA(c) + sizeof(ee), offlen);
			if (offlen >= sizeof(sa_family_t) && off.ss_family != AF_UNSPEC &&
			    pl_addr_from_sockaddr((struct sockaddr *)&off, &oa))
				*from_target = pl_addr_equal(&oa, &us->addr);
		}
		msg.msg_controllen = sizeof(cbuf);
		msg.msg_namelen = sizeof(dst);
		memset(&dst, 0, sizeof(dst));
	}
	return found;
#else
	(void)us;
	(void)ic;
	(void)from_target;
	*stray = false;
	return false;
#endif
}

enum udp_outcome {
	UDP_REPLY,        /* a datagram came back */
	UDP_ANSWER,       /* an ICMP error (or a route's): *state, *reason set */
	UDP_SILENT,       /* nothing before the timeout */
	UDP_RESOURCE,     /* a local shortage: nothing was learnt */
	UDP_ERROR,        /* any other local failure */
	UDP_SENT,         /* within an attempt: the datagram went */
	UDP_STRAY,        /* within an attempt: read, not the port's: wait on */
};

/* Whether a datagram from `from` is the port's reply to sent, on an
 * unconnected socket (a connected one only ever reads the probed port's). */
static bool is_reply(const struct usock *us, const struct sockaddr *from, socklen_t flen,
		     const struct probe *sent, const uint8_t *buf, size_t len)
{
	struct pl_addr fa;
	uint16_t fport;

	if (!us->any_port)
		return true;
	/* Another address is never the port's, whatever it says. */
	if (!sockaddr_split(from, flen, &fa, &fport) || !pl_addr_equal(&fa, &us->addr))
		return false;
	return fport == us->port || udp_reply_credited(sent, buf, len);
}

/* After poll() said the socket has something: the reply or the error. */
static enum udp_outcome read_answer(const struct usock *us, const struct probe *sent,
				    uint8_t *buf, size_t *len, int *err,
				    enum port_state *state, enum reason *reason)
{
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	struct udp_icmp ic;
	bool from_target = true, stray;
	ssize_t n;

	memset(&from, 0, sizeof(from));
	n = recvfrom(us->fd, buf, UDP_REPLY_MAX, MSG_DONTWAIT | RECV_TRUNC,
		     (struct sockaddr *)&from, &flen);
	if (n >= 0) {
		*len = (size_t)n > UDP_REPLY_MAX ? UDP_REPLY_MAX : (size_t)n;
		return is_reply(us, (struct sockaddr *)&from, flen, sent, buf, *len) ?
			       UDP_REPLY : UDP_STRAY;
	}
	*err = errno;
	if (*err == EAGAIN || *err == EWOULDBLOCK || *err == EINTR)
		return us->any_port ? UDP_STRAY : UDP_SILENT;
	if (read_icmp(us, &ic, &from_target, &stray)) {
		udp_classify_icmp(&ic, from_target, state, reason);
		return UDP_ANSWER;
	}
	if (stray)
		return UDP_STRAY;
	if (is_answer_errno(*err)) {
		udp_classify_errno(*err, state, reason);
		return UDP_ANSWER;
	}
	return netconn_is_resource_errno(*err) ? UDP_RESOURCE : UDP_ERROR;
}

/* Sends the payload: UDP_SENT, or the port's answer when the send reports
 * an ICMP error of the last attempt (Linux) or the route refuses it. */
static enum udp_outcome send_probe(const struct usock *us, const uint8_t *payload, size_t plen,
				   int *err, enum port_state *state, enum reason *reason)
{
	/* An ICMP error about another destination may be reported on a send
	 * of an unconnected socket and fail it: send again, a few times. */
	for (int tries = 0; tries < 4; tries++) {
		struct udp_icmp ic;
		bool from_target = true, stray;
		ssize_t n;

		if (us->any_port)
			n = sendto(us->fd, payload, plen, 0, us->sa, us->salen);
		else
			n = send(us->fd, payload, plen, 0);
		if (n != -1)
			return UDP_SENT;
		*err = errno;
		if (!is_answer_errno(*err))
			return netconn_is_resource_errno(*err) ? UDP_RESOURCE : UDP_ERROR;
		/* An ICMP error from the last attempt is reported on this send
		 * (Linux): it is the port's answer all the same. */
		if (read_icmp(us, &ic, &from_target, &stray)) {
			udp_classify_icmp(&ic, from_target, state, reason);
			return UDP_ANSWER;
		}
		if (!stray) {
			udp_classify_errno(*err, state, reason);
			return UDP_ANSWER;
		}
	}
	return UDP_RESOURCE;
}

/* One attempt on the port's socket: send sent's payload (sent may be NULL:
 * the empty datagram), wait up to timeout_ms. */
static enum udp_outcome attempt(const struct usock *us, const struct probe *sent,
				const uint8_t *payload, size_t plen, unsigned timeout_ms,
				uint8_t *buf, size_t *len, int *err, enum port_state *state,
				enum reason *reason)
{
	struct pollfd pfd = { .fd = us->fd, .events = POLLIN };
	int64_t start = mono_ms();
	int left = (int)timeout_ms, rc;
	unsigned strays = 0;
	enum udp_outcome o;

	o = send_probe(us, payload, plen, err, state, reason);
	if (o != UDP_SENT)
		return o;
	for (;;) {
		rc = poll(&pfd, 1, left);
		if (rc > 0) {
			o = read_answer(us, sent, buf, len, err, state, reason);
			if (o != UDP_STRAY)
				return o;
			if (++strays >= UDP_STRAYS_MAX)
				return UDP_SILENT;
		} else if (rc == 0) {
			return UDP_SILENT;
		} else if (errno != EINTR) {
			*err = errno;
			return UDP_ERROR;
		}
		left = (int)timeout_ms - (int)(mono_ms() - start);
		if (left <= 0)
			return UDP_SILENT;
	}
}

/* The payload of attempt `attempt` at a port: the port's UDP probes in
 * turn (a probe file's `protocol: udp`), so a retry asks in the protocol's
 * other way (DNS: version.bind, then a plain query); the empty datagram,
 * nmap's choice, for a port without one. *sent: the probe, or NULL. */
static const uint8_t *payload_for(const struct scan_plan *plan, uint16_t port,
				  unsigned attempt, const struct probe **sent, size_t *len)
{
	static const uint8_t empty[1];
	const struct probe *list[UDP_PROBES_MAX];
	size_t n = probe_db_udp(plan->udp_payloads, port, list, UDP_PROBES_MAX);

	*sent = NULL;
	*len = 0;
	if (n == 0)
		return empty;
	*sent = list[attempt % n];
	return probe_payload(*sent, len);
}

/* Service detection on an open port whose reply said too little (no match,
 * or a soft one): the port's other UDP probes, one after the other on the
 * same socket, each waiting up to timeout_ms, until a hard match. Not
 * attempts at the port: its state is known. */
static void detect_more(const struct method_env *env, const struct usock *us,
			const struct probe *sent, enum udp_match got, unsigned timeout_ms,
			uint8_t *buf, struct result *r)
{
	const struct probe *list[UDP_PROBES_MAX];
	size_t n = probe_db_udp(env->plan->probes, r->port, list, UDP_PROBES_MAX);

	for (size_t i = 0; i < n && got != UDP_MATCH_HARD; i++) {
		struct result *tmp;
		enum port_state st;
		enum reason why;
		enum udp_match m;
		const uint8_t *p;
		size_t plen, len = 0;
		int err = 0;

		if (list[i] == sent || is_stopping(env) || !ratelimit_take(env->rate))
			continue;
		p = probe_payload(list[i], &plen);
		if (attempt(us, list[i], p, plen, timeout_ms, buf, &len, &err, &st, &why) !=
		    UDP_REPLY)
			continue;
		tmp = result_new();
		tmp->port = r->port;
		m = udp_match_reply(env->plan->probes, r->port, list[i], buf, len, tmp);
		if (m > got) {
			udp_match_move(r, tmp);
			got = m;
		}
		result_free(tmp);
	}
}

static enum method_status udp_probe(const struct method_env *env, void *state, void *worker,
				    struct method_task *t)
{
	struct udp_state *st = state;
	struct result *r = t->r;
	uint8_t buf[UDP_REPLY_MAX];
	const uint8_t *payload;
	const struct probe *sent = NULL;
	size_t plen, len = 0;
	unsigned timeouts = 0, extra = 0, learning = 0, backoff = 1, waited = 0;
	bool learnt = false, paced_loss = false;
	enum udp_outcome o = UDP_SILENT;
	struct usock us = { .fd = -1, .sa = t->sa, .salen = t->salen };
	int err = 0;
	int64_t t0;

	(void)worker;
	r->proto = PROTO_UDP;
	us.any_port = sockaddr_split(t->sa, t->salen, &us.addr, &us.port) &&
		      port_any_port(env->plan, r->port);
	for (;;) {
		if (us.fd == -1) {
			int rc = open_socket(&us);

			if (rc != 0) {
				err = errno;
				if (rc == 1 && is_answer_errno(err)) {
					/* No route: the network's answer. */
					udp_classify_errno(err, &r->state, &r->reason);
					r->attempts++;
					count(&env->metrics->attempts);
					o = UDP_ANSWER;
					break;
				}
				o = netconn_is_resource_errno(err) ? UDP_RESOURCE : UDP_ERROR;
				goto local;
			}
		}
		if (!pace_host(env, st, &r->addr, &learnt) || !ratelimit_take(env->rate)) {
			/* Stopping before the port's last word: no result, a
			 * resume probes it again. */
			(void)close(us.fd);
			return METHOD_STOPPED;
		}
		payload = payload_for(env->plan, r->port, r->attempts, &sent, &plen);
		t0 = mono_ns();
		o = attempt(&us, sent, payload, plen,
			    timing_attempt_timeout_ms(env->timing, t->host, timeouts), buf, &len,
			    &err, &r->state, &r->reason);
		r->latency_ms = (double)(mono_ns() - t0) / 1e6;
local:
		if (o == UDP_RESOURCE) {
			/* Nothing left this host: not an attempt at the port. */
			count(&env->metrics->resource_waits);
			if (waited >= RESOURCE_GIVE_UP_MS)
				break;
			sleep_ms(backoff);
			waited += backoff;
			backoff = backoff * 2 > RESOURCE_BACKOFF_MAX_MS ? RESOURCE_BACKOFF_MAX_MS :
									 backoff * 2;
			continue;
		}
		r->attempts++;
		count(&env->metrics->attempts);
		if (r->attempts > 1)
			count(&env->metrics->retries);
		if (o == UDP_REPLY || o == UDP_ANSWER)
			timing_sample(env->timing, t->host, r->latency_ms);
		if (o != UDP_SILENT)
			break;
		paced_loss = paced_loss || learnt;
		if (timeouts++ < env->plan->retries)
			continue;
		/* Silent after the retries. A host that sends port
		 * unreachables and stays silent here may have used up its
		 * ICMP budget: try again on its pace, UDP_LIMITED_EXTRA times
		 * once the pace is learnt (tries while it is being learnt do
		 * not count: they go faster than the limit on purpose). */
		if (extra < UDP_LIMITED_EXTRA && learning < UDP_LEARNING_TRIES_MAX &&
		    host_suspect_silence(env, st, &r->addr)) {
			if (learnt)
				extra++;
			else
				learning++;
			continue;
		}
		break;
	}
	switch (o) {
	case UDP_REPLY:
		r->state = STATE_OPEN;
		r->reason = REASON_UDP_RESPONSE;
		/* Service detection: the reply against the port's UDP rules,
		 * and the port's other payloads while they may say more. */
		if (env->plan->probes != NULL) {
			enum udp_match got = udp_match_reply(env->plan->probes, r->port, sent,
							     buf, len, r);

			if (got != UDP_MATCH_HARD)
				detect_more(env, &us, sent, got,
					    timing_attempt_timeout_ms(env->timing, t->host, 0),
					    buf, r);
		}
		break;
	case UDP_ANSWER:
		/* The attempt that answered was not the first: an ICMP error
		 * the host did not send (or that was lost) before. A connect
		 * refused by the route never reached the host. */
		if (us.fd != -1)
			host_saw_icmp(st, &r->addr, r->attempts > 1, paced_loss);
		break;
	case UDP_SILENT:
		r->state = STATE_OPEN_FILTERED;
		r->reason = REASON_NO_RESPONSE;
		break;
	case UDP_RESOURCE:
	case UDP_ERROR:
	default:
		r->state = STATE_ERROR;
		r->reason = REASON_LOCAL_ERROR;
		r->err = err;
		break;
	}
	if (us.fd != -1)
		(void)close(us.fd);
	return METHOD_DONE;
}

static const enum reason udp_reasons[] = {
	REASON_UDP_RESPONSE, REASON_PORT_UNREACH, REASON_NO_RESPONSE, REASON_HOST_UNREACH,
	REASON_NET_UNREACH, REASON_ADMIN_PROHIBITED, REASON_PROTO_UNREACH, REASON_LOCAL_ERROR,
	REASON_COUNT
};

const struct scan_method method_udp = {
	.name = "udp",
	.summary = "UDP: a datagram per port; replies, ICMP unreachables and silence",
	.proto = PROTO_UDP,
	.reasons = udp_reasons,
	.start = udp_start,
	.probe = udp_probe,
	.finish = udp_finish,
};
