/* probe_icmp.c: the privileged ICMP discovery probers, icmp-echo (IPv4
 * echo, ICMPv6 echo) and icmp-timestamp (IPv4 only), over raw ICMP
 * sockets: the kernel writes the IP header and, for ICMPv6, the checksum;
 * every ICMP message the host receives is copied to the socket, so each
 * reply is checked against the identifier and keyed cookie it must carry
 * (disco_pkt.h) before it proves anything. Raw ICMP sockets behave the
 * same on Linux, the BSDs and macOS: no capture is needed. */
#include <stdatomic.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "disco_pkt.h"
#include "disco_rx.h"
#include "errors.h"
#include "probe_raw.h"
#include "ratelimit.h"

/* Replies read per wake-up and socket, so that one busy family cannot
 * starve the other. */
#define READ_BURST 64
#define RECV_BUFFER (4 << 20)

struct icmp_state {
	const struct disco_env *env;
	const char *name;
	bool tstamp;
	struct disco_key key;
	int fd[2];                    /* IPv4, IPv6 (-1: not open) */
	struct disco_rx rx;
	_Atomic uint32_t drops[2];    /* each socket's overflows so far (the reader's,
					 read by the engine's drops()) */
};

static int raw_icmp(int family)
{
	int fd = socket(family, SOCK_RAW, family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	int buf = RECV_BUFFER;

	if (fd < 0)
		return -errno;
	/* Every ICMP message the host receives queues here, not only our
	 * replies: a sweep's answers must not overflow the default buffer
	 * (an overflow would lose proofs of life). As root, past rmem_max. */
#ifdef SO_RCVBUFFORCE
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) != 0)
#endif
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
#ifdef SO_RXQ_OVFL
	/* Each message then says how many the socket has dropped so far. */
	buf = 1;
	(void)setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &buf, sizeof(buf));
#endif
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static int on_readable(void *ctx, size_t i)
{
	struct icmp_state *st = ctx;
	int family = i == 0 && st->fd[0] >= 0 ? AF_INET : AF_INET6;
	int fd = st->fd[family == AF_INET ? 0 : 1];

	for (int n = 0; n < READ_BURST; n++) {
		uint8_t buf[1500];
		struct sockaddr_storage ss;
		union {
			struct cmsghdr h;
			uint8_t b[CMSG_SPACE(sizeof(uint32_t))];
		} ctl;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = { .msg_name = &ss, .msg_namelen = sizeof(ss), .msg_iov = &iov,
				     .msg_iovlen = 1, .msg_control = &ctl, .msg_controllen = sizeof(ctl) };
		ssize_t got = recvmsg(fd, &mh, 0);
		struct disco_icmp m;
		struct pl_addr from;
		enum reason why;

		if (got < 0)
			return 0;              /* EAGAIN: all read */
#ifdef SO_RXQ_OVFL
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
				uint32_t n;

				memcpy(&n, CMSG_DATA(c), sizeof(n));
				atomic_store(&st->drops[family == AF_INET ? 0 : 1], n);
			}
#endif
		if (!pl_addr_from_sockaddr((struct sockaddr *)&ss, &from) || from.family != family)
			continue;
		if (!disco_parse_icmp(family, buf, (size_t)got, &m) ||
		    !disco_icmp_answers(&st->key, &from, &m, &why))
			continue;
		if (st->tstamp != (why == REASON_TIMESTAMP_REPLY))
			continue;
		st->env->alive(st->env->ctx, &from, why, m.ttl);
	}
	return 0;
}

static uint64_t icmp_drops(void *state)
{
	struct icmp_state *st = state;

	return atomic_load(&st->drops[0]) + (uint64_t)atomic_load(&st->drops[1]);
}

static void icmp_close(void *state)
{
	struct icmp_state *st = state;

	if (st == NULL)
		return;
	disco_rx_stop(&st->rx);
	/* The engine gave the hosts waiting meanwhile more attempts (at
	 * most DISCO_DROP_BONUS_MAX): still say that answers were lost. */
	if (icmp_drops(st) > 0)
		g_warning("%s: the raw ICMP sockets dropped %" G_GUINT64_FORMAT " messages: hosts "
			  "waiting meanwhile were asked again (a lower --max-rate loses fewer)",
			  st->name, icmp_drops(st));
	for (int i = 0; i < 2; i++)
		if (st->fd[i] >= 0)
			close(st->fd[i]);
	g_free(st);
}

static int icmp_open(const struct disco_env *env, void **state, bool tstamp, GError **err)
{
	struct icmp_state *st = g_new0(struct icmp_state, 1);
	int e4, e6 = -EAFNOSUPPORT;

	st->env = env;
	st->tstamp = tstamp;
	st->name = tstamp ? "icmp-timestamp" : "icmp-echo";
	disco_key_init(&st->key);
	disco_rx_init(&st->rx, on_readable, st);
	e4 = st->fd[0] = raw_icmp(AF_INET);
	/* IPv6 has no timestamp message. */
	st->fd[1] = -1;
	if (!tstamp)
		e6 = st->fd[1] = raw_icmp(AF_INET6);
	/* A system without one family still probes the other; sending to
	 * the missing one is then a local error. */
	if (st->fd[0] < 0 && st->fd[1] < 0) {
		int e = e4 == -EAFNOSUPPORT ? e6 : e4;

		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME,
			    "%s: cannot open a raw ICMP socket: %s%s", st->name, strerror(-e),
			    e == -EPERM || e == -EACCES ? " (needs root or CAP_NET_RAW)" : "");
		goto fail;
	}
	for (int i = 0; i < 2; i++)
		if (st->fd[i] >= 0)
			(void)disco_rx_add(&st->rx, st->fd[i]);
	if (disco_rx_start(&st->rx, st->name, err) < 0)
		goto fail;
	*state = st;
	return 0;
fail:
	icmp_close(st);
	return -1;
}

static int echo_open(const struct disco_env *env, void **state, GError **err)
{
	return icmp_open(env, state, false, err);
}

static int tstamp_open(const struct disco_env *env, void **state, GError **err)
{
	return icmp_open(env, state, true, err);
}

static int icmp_send(void *state, const struct pl_addr *addr, unsigned attempt)
{
	struct icmp_state *st = state;
	uint8_t buf[DISCO_ICMP_TSTAMP_LEN > DISCO_ICMP_ECHO_LEN ? DISCO_ICMP_TSTAMP_LEN
							       : DISCO_ICMP_ECHO_LEN];
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t len;
	int fd;

	if (addr->family != AF_INET && addr->family != AF_INET6)
		return DISCO_SKIP;
	if (st->tstamp && addr->family != AF_INET)
		return DISCO_SKIP;
	fd = st->fd[addr->family == AF_INET ? 0 : 1];
	if (fd < 0)
		return -EAFNOSUPPORT;
	if (!ratelimit_take(st->env->rate))
		return -ECANCELED;
	len = st->tstamp ? disco_build_tstamp(buf, &st->key, addr)
			 : disco_build_echo(buf, &st->key, addr, (uint16_t)attempt);
	sl = pl_addr_sockaddr(addr, 0, &ss);
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl) != (ssize_t)len)
		return -errno;
	return DISCO_SENT;
}

const struct disco_prober disco_icmp_echo_raw = {
	.name = "icmp-echo",
	.summary = "ICMP echo request (IPv4 type 8, ICMPv6 128) over a raw socket; an echo reply proves life",
	.privileged = true,
	.open = echo_open,
	.send = icmp_send,
	.drops = icmp_drops,
	.close = icmp_close,
};

const struct disco_prober disco_icmp_timestamp = {
	.name = "icmp-timestamp",
	.summary = "ICMP timestamp request (IPv4 type 13; IPv6 has none); a timestamp reply proves life",
	.privileged = true,
	.open = tstamp_open,
	.send = icmp_send,
	.drops = icmp_drops,
	.close = icmp_close,
};
