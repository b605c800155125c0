/* probe_ping.c: the unprivileged icmp-echo prober, through Linux ping
 * sockets (socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) and its ICMPv6 twin).
 *
 * The kernel picks the echo identifier and hands back only the replies to
 * this socket's identifier; each request also carries a cookie, a keyed
 * hash of the address it went to, so a reply is credited only to the
 * address it came from and only when it echoes what was sent there. Where
 * net.ipv4.ping_group_range leaves our group out, open() says so and the
 * scan goes on without this prober. */
#include "probe_ping.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "disco_probe.h"
#include "errors.h"

#define ECHO_REQUEST 8
#define ECHO_REPLY 0
#define ECHO6_REQUEST 128
#define ECHO6_REPLY 129
#define HDR_LEN 8                /* type, code, checksum, identifier, sequence */

/* The cookie of addr: a keyed mix, enough to make a stray reply, or one
 * forged for another address, fail. */
static void cookie(const uint64_t key[2], const struct pl_addr *a, uint8_t out[PING_COOKIE_LEN])
{
	uint64_t h[2] = { key[0] ^ a->v.hi, key[1] ^ a->v.lo ^ (uint64_t)a->family };

	for (int r = 0; r < 4; r++) {
		h[0] += h[1];
		h[1] = (h[1] << 13 | h[1] >> 51) ^ h[0];
		h[0] = (h[0] << 32 | h[0] >> 32) * UINT64_C(0x9e3779b97f4a7c15);
		h[1] *= UINT64_C(0xbf58476d1ce4e5b9);
	}
	memcpy(out, h, PING_COOKIE_LEN);
}

size_t ping_request_build(const uint64_t key[2], const struct pl_addr *to, uint16_t seq,
			  uint8_t out[PING_PACKET_LEN])
{
	memset(out, 0, HDR_LEN);
	out[0] = to->family == AF_INET ? ECHO_REQUEST : ECHO6_REQUEST;
	out[6] = (uint8_t)(seq >> 8);
	out[7] = (uint8_t)seq;
	cookie(key, to, out + HDR_LEN);
	return PING_PACKET_LEN;
}

bool ping_reply_check(const uint64_t key[2], const struct pl_addr *from, const uint8_t *buf,
		      size_t len)
{
	uint8_t want[PING_COOKIE_LEN];

	if (len < PING_PACKET_LEN)
		return false;
	if (buf[0] != (from->family == AF_INET ? ECHO_REPLY : ECHO6_REPLY) || buf[1] != 0)
		return false;
	cookie(key, from, want);
	return memcmp(buf + HDR_LEN, want, PING_COOKIE_LEN) == 0;
}

#ifdef __linux__
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include "ratelimit.h"

struct pstate {
	const struct disco_env *env;
	int fd4, fd6;            /* -1: that family cannot be pinged */
	uint64_t key[2];         /* the cookie's secret */
	pthread_t thread;
	atomic_bool quit;
};

static void read_replies(struct pstate *st, int fd)
{
	uint8_t buf[256];

	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		struct pl_addr a;

		if (n < 0)
			return;
		/* Credited to the address it came from, and only when it
		 * echoes that address's cookie. */
		if (!pl_addr_from_sockaddr((struct sockaddr *)&from, &a) ||
		    !ping_reply_check(st->key, &a, buf, (size_t)n))
			continue;
		st->env->alive(st->env->ctx, &a, REASON_ECHO_REPLY, 0);
	}
}

static void *ping_main(void *arg)
{
	struct pstate *st = arg;

	while (!atomic_load(&st->quit)) {
		struct pollfd p[2] = {
			{ .fd = st->fd4, .events = POLLIN },
			{ .fd = st->fd6, .events = POLLIN },
		};

		/* A negative fd is ignored by poll. */
		if (poll(p, 2, 200) <= 0)
			continue;
		if (p[0].revents & POLLIN)
			read_replies(st, st->fd4);
		if (p[1].revents & POLLIN)
			read_replies(st, st->fd6);
	}
	return NULL;
}

static int ping_open(const struct disco_env *env, void **state, GError **err)
{
	struct pstate *st = g_new0(struct pstate, 1);
	int e4, e6 = 0;

	st->env = env;
	st->fd4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
	e4 = errno;
	st->fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (st->fd6 == -1)
		e6 = errno;
	if (st->fd4 == -1 && st->fd6 == -1) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME,
			    "ping sockets not allowed here (%s; see sysctl net.ipv4.ping_group_range)",
			    g_strerror(e4 == EAFNOSUPPORT ? e6 : e4));
		g_free(st);
		return 1;
	}
	st->key[0] = ((uint64_t)g_random_int() << 32) | g_random_int();
	st->key[1] = ((uint64_t)g_random_int() << 32) | g_random_int();
	atomic_init(&st->quit, false);
	if (pthread_create(&st->thread, NULL, ping_main, st) != 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot start its thread");
		if (st->fd4 != -1)
			close(st->fd4);
		if (st->fd6 != -1)
			close(st->fd6);
		g_free(st);
		return -1;
	}
	*state = st;
	return 0;
}

static int ping_send(void *state, const struct pl_addr *addr, unsigned attempt)
{
	struct pstate *st = state;
	uint8_t pkt[PING_PACKET_LEN];
	struct sockaddr_storage ss;
	socklen_t len = pl_addr_sockaddr(addr, 0, &ss);
	int fd = addr->family == AF_INET ? st->fd4 : st->fd6;

	if (fd == -1)
		return DISCO_SKIP;
	(void)ping_request_build(st->key, addr, (uint16_t)attempt, pkt);
	if (!ratelimit_take(st->env->rate))
		return -ECANCELED;
	/* The kernel fills the identifier and the checksum. */
	if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&ss, len) < 0) {
		switch (errno) {
		case EHOSTUNREACH:
		case ENETUNREACH:
		case EACCES:     /* a broadcast address, or a local firewall */
			return DISCO_SENT;   /* proves nothing, as silence would */
		default:
			return -errno;
		}
	}
	return DISCO_SENT;
}

static void ping_close(void *state)
{
	struct pstate *st = state;

	atomic_store(&st->quit, true);
	pthread_join(st->thread, NULL);
	if (st->fd4 != -1)
		close(st->fd4);
	if (st->fd6 != -1)
		close(st->fd6);
	g_free(st);
}

#else  /* !__linux__ */

static int ping_open(const struct disco_env *env, void **state, GError **err)
{
	(void)env;
	(void)state;
	g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "ping sockets are Linux only");
	return 1;
}

static int ping_send(void *state, const struct pl_addr *addr, unsigned attempt)
{
	(void)state;
	(void)addr;
	(void)attempt;
	return DISCO_SKIP;
}

static void ping_close(void *state)
{
	(void)state;
}

#endif

const struct disco_prober disco_icmp_echo_dgram = {
	.name = "icmp-echo",
	.summary = "ICMP echo through a Linux ping socket (net.ipv4.ping_group_range)",
	.privileged = false,
	.exclusive = false,
	.open = ping_open,
	.send = ping_send,
	.forget = NULL,
	.close = ping_close,
};
