/* probe_tcp.c: the privileged TCP discovery probers, tcp-syn (a SYN to
 * each of env->tcp_ports, default 443: a SYN-ACK or a RST proves life)
 * and tcp-ack (an ACK to each port, default 80: the RST any stack sends
 * for a segment of no connection proves life, even through a stateless
 * filter that passes only established traffic).
 *
 * It sends as the SYN scan's raw-socket path does (src/methods/syn.c):
 * whole IP datagrams on IPPROTO_RAW sockets, built by packet.c's template
 * from our source towards the target (srccache.h), with the SYN scan's
 * keyed cookie (synkey.h) under this prober's own key as source port and
 * sequence number; and it reads answers from Linux's "any" capture,
 * parsed by packet_parse and checked by disco_tcp_answers. Linux's own
 * stack answers a SYN-ACK to a raw SYN with a RST: the host is proven up
 * by then. Other systems would need the SYN scan's pcap_inject path and a
 * capture per interface, which this prober does not have yet: there it
 * reports that it cannot run, and discovery goes on without it. */
#include "../methods/pcap_visible.h"   /* first: see there */

#include <stdatomic.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pcap/pcap.h>

#include "clock.h"
#include "disco_pkt.h"
#include "disco_rx.h"
#include "errors.h"
#include "plan.h"
#include "probe_raw.h"
#include "ratelimit.h"
#include "srccache.h"

#define SNAPLEN 256
#define READ_BURST 64
#define CAPTURE_BUFFER_DEFAULT (4u << 20)
#define PROBE_TTL 64

struct tcp_state {
	const struct disco_env *env;
	const char *name;
	bool ack;                      /* tcp-ack, else tcp-syn */
	struct synkey key;
	int fd[2];                     /* raw IPv4, IPv6 (-1: not open) */
	pcap_t *cap;
	int dlt;
	struct srccache *src;          /* sender thread's */
	uint16_t ports[1];             /* the default when env has none */
	const uint16_t *port;
	size_t nports;
	uint16_t ip_id;
	struct disco_rx rx;
	_Atomic unsigned drops;        /* the capture's, as last read (the reader's,
					  read by the engine's drops()) */
};

#if defined(__linux__)
static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct tcp_state *st = (struct tcp_state *)user;
	struct packet_answer a;
	enum reason why;

	if (packet_parse(st->dlt, bytes, h->caplen, &a) != PACKET_TCP)
		return;
	if (!disco_tcp_answers(&st->key, st->ack, &a, &why))
		return;
	st->env->alive(st->env->ctx, &a.src, why, a.ttl);
}

static int on_readable(void *ctx, size_t i)
{
	struct tcp_state *st = ctx;
	struct pcap_stat ps;

	if (pcap_dispatch(st->cap, READ_BURST, on_frame, (u_char *)st) == PCAP_ERROR) {
		g_warning("%s: the capture failed: %s", st->name, pcap_geterr(st->cap));
		return -1;
	}
	if (pcap_stats(st->cap, &ps) == 0)
		atomic_store(&st->drops, ps.ps_drop);
	return 0;
}

#endif

static uint64_t tcp_drops(void *state)
{
	struct tcp_state *st = state;

	return atomic_load(&st->drops);
}

static void tcp_close(void *state)
{
	struct tcp_state *st = state;

	if (st == NULL)
		return;
	disco_rx_stop(&st->rx);
	/* The engine gave the hosts waiting meanwhile more attempts (at
	 * most DISCO_DROP_BONUS_MAX): still say that answers were lost. */
	if (tcp_drops(st) > 0)
		g_warning("%s: the capture dropped %" G_GUINT64_FORMAT " packets: hosts waiting "
			  "meanwhile were asked again (a larger --capture-buffer, a lower --max-rate "
			  "lose fewer)", st->name, tcp_drops(st));
	for (int i = 0; i < 2; i++)
		if (st->fd[i] >= 0)
			close(st->fd[i]);
	if (st->cap != NULL)
		pcap_close(st->cap);
	srccache_free(st->src);
	g_free(st);
}

#if defined(__linux__)
static int raw_ip(int family)
{
	int fd = socket(family, SOCK_RAW, IPPROTO_RAW), buf = 1 << 20;

	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

/* Linux's "any" capture of the answers to our source ports. */
static int open_capture(struct tcp_state *st, GError **err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "", filter[96];
	struct bpf_program prog;
	const struct scan_plan *plan = st->env->plan;
	uint64_t buffer = plan != NULL && plan->capture_buffer > 0 ? plan->capture_buffer
								   : CAPTURE_BUFFER_DEFAULT;

	if ((st->cap = pcap_create("any", ebuf)) == NULL)
		goto fail;
	(void)pcap_set_snaplen(st->cap, SNAPLEN);
	(void)pcap_set_buffer_size(st->cap, buffer > INT32_MAX ? INT32_MAX : (int)buffer);
	(void)pcap_set_immediate_mode(st->cap, 1);
	if (pcap_activate(st->cap) < 0) {
		g_strlcpy(ebuf, pcap_geterr(st->cap), sizeof(ebuf));
		goto fail;
	}
	snprintf(filter, sizeof(filter), "tcp dst portrange %u-%u", SYNKEY_PORT_BASE,
		 SYNKEY_PORT_BASE + SYNKEY_PORT_COUNT - 1);
	if (pcap_compile(st->cap, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		g_strlcpy(ebuf, pcap_geterr(st->cap), sizeof(ebuf));
		goto fail;
	}
	if (pcap_setfilter(st->cap, &prog) != 0) {
		g_strlcpy(ebuf, pcap_geterr(st->cap), sizeof(ebuf));
		pcap_freecode(&prog);
		goto fail;
	}
	pcap_freecode(&prog);
	if (pcap_setnonblock(st->cap, 1, ebuf) != 0)
		goto fail;
	st->dlt = pcap_datalink(st->cap);
	return 0;
fail:
	g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "%s: cannot open the capture: %s", st->name,
		    ebuf);
	return -1;
}

static int tcp_open(const struct disco_env *env, void **state, bool ack, GError **err)
{
	struct tcp_state *st = g_new0(struct tcp_state, 1);
	int e4;

	st->env = env;
	st->ack = ack;
	st->name = ack ? "tcp-ack" : "tcp-syn";
	synkey_init(&st->key);
	st->ip_id = (uint16_t)g_random_int();
	st->ports[0] = ack ? 80 : 443;
	st->port = env->ntcp_ports > 0 ? env->tcp_ports : st->ports;
	st->nports = env->ntcp_ports > 0 ? env->ntcp_ports : 1;
	disco_rx_init(&st->rx, on_readable, st);
	e4 = st->fd[0] = raw_ip(AF_INET);
	st->fd[1] = raw_ip(AF_INET6);
	if (st->fd[0] < 0 && st->fd[1] < 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "%s: cannot open a raw socket: %s%s",
			    st->name, strerror(-e4),
			    e4 == -EPERM || e4 == -EACCES ? " (needs root or CAP_NET_RAW)" : "");
		goto fail;
	}
	if (open_capture(st, err) < 0)
		goto fail;
	if ((st->src = srccache_new(NULL, NULL)) == NULL) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "%s: out of memory", st->name);
		goto fail;
	}
	if (disco_rx_add(&st->rx, pcap_get_selectable_fd(st->cap)) < 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "%s: the capture cannot be polled",
			    st->name);
		goto fail;
	}
	if (disco_rx_start(&st->rx, st->name, err) < 0)
		goto fail;
	*state = st;
	return 0;
fail:
	tcp_close(st);
	return -1;
}
#else
static int tcp_open(const struct disco_env *env, void **state, bool ack, GError **err)
{
	g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME,
		    "%s: not available on this system yet (it needs Linux's raw IP sockets and "
		    "\"any\" capture)", ack ? "tcp-ack" : "tcp-syn");
	return 1;
}
#endif

static int syn_open(const struct disco_env *env, void **state, GError **err)
{
	return tcp_open(env, state, false, err);
}

static int ack_open(const struct disco_env *env, void **state, GError **err)
{
	return tcp_open(env, state, true, err);
}

static int tcp_send(void *state, const struct pl_addr *addr, unsigned attempt)
{
	struct tcp_state *st = state;
	uint8_t buf[PACKET_SYN_MAX];
	struct packet_syn s = { .dst = *addr, .ttl = PROBE_TTL };
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, rc;

	if (addr->family != AF_INET && addr->family != AF_INET6)
		return DISCO_SKIP;
	fd = st->fd[addr->family == AF_INET ? 0 : 1];
	if (fd < 0)
		return -EAFNOSUPPORT;
	if ((rc = srccache_get(st->src, addr, mono_ns(), &s.src)) != 0)
		return -rc;
	sl = pl_addr_sockaddr(addr, 0, &ss);
	for (size_t i = 0; i < st->nports; i++) {
		size_t len;

		if (!ratelimit_take(st->env->rate))
			return -ECANCELED;
		s.dport = st->port[i];
		s.ip_id = st->ip_id++;
		synkey_cookie(&st->key, &s.src, addr, s.dport, &s.sport, &s.seq);
		if (st->ack) {
			/* Our acknowledgement number is the cookie; the
			 * sequence number means nothing to the target. */
			uint32_t cookie = s.seq;

			s.seq = ~cookie;
			len = packet_build_ack(buf, &s, cookie);
		} else {
			len = packet_build_syn(buf, &s);
		}
		if (len == 0)
			return -EAFNOSUPPORT;
		if (sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl) != (ssize_t)len)
			return -errno;
	}
	return DISCO_SENT;
}

const struct disco_prober disco_tcp_syn = {
	.name = "tcp-syn",
	.summary = "TCP SYN to each discovery port (default 443); a SYN-ACK or a RST proves life",
	.privileged = true,
	.open = syn_open,
	.send = tcp_send,
	.drops = tcp_drops,
	.close = tcp_close,
};

const struct disco_prober disco_tcp_ack = {
	.name = "tcp-ack",
	.summary = "TCP ACK to each discovery port (default 80); the RST it draws proves life",
	.privileged = true,
	.open = ack_open,
	.send = tcp_send,
	.drops = tcp_drops,
	.close = tcp_close,
};
