/* packet.c: SYN probes built from a template, and answers parsed back.
 *
 * Byte order is explicit everywhere (put16/get16 and friends): the template
 * is written the same on every host, and the parser never casts a captured
 * buffer to a struct, so alignment and padding never matter. */
#include "packet.h"

#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#define IP4_HDR 20
#define IP6_HDR 40
#define TCP_HDR 40               /* 20 + MSS, SACK-permitted, TS, NOP, WS */
#define TCP_MIN 20
#define PROTO_TCP 6
#define PROTO_ICMP 1
#define PROTO_ICMP6 58
#define SYN_WINDOW 1024
#define SYN_MSS 1460
#define SYN_WSCALE 7
#define SYN_TSVAL 0x00f1c0deu    /* any value: the peer only echoes it */
#define IP4_DF 0x4000

/* TCP option kinds (IANA "TCP Option Kind Numbers"; RFC 793, 7323, 2018). */
#define OPT_EOL 0
#define OPT_NOP 1
#define OPT_MSS 2
#define OPT_WS 3
#define OPT_SACK_OK 4
#define OPT_TS 8

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* An address's bytes as they go on the wire: 4 or 16. */
size_t packet_addr_bytes(const struct pl_addr *a, uint8_t *out)
{
	if (a->family == AF_INET) {
		put32(out, (uint32_t)a->v.lo);
		return 4;
	}
	put32(out, (uint32_t)(a->v.hi >> 32));
	put32(out + 4, (uint32_t)a->v.hi);
	put32(out + 8, (uint32_t)(a->v.lo >> 32));
	put32(out + 12, (uint32_t)a->v.lo);
	return 16;
}

void packet_addr_read(int family, const uint8_t *p, struct pl_addr *a)
{
	a->family = family;
	if (family == AF_INET) {
		a->v.hi = 0;
		a->v.lo = get32(p);
		return;
	}
	a->v.hi = (uint64_t)get32(p) << 32 | get32(p + 4);
	a->v.lo = (uint64_t)get32(p + 8) << 32 | get32(p + 12);
}

uint32_t packet_sum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	for (; len >= 2; p += 2, len -= 2)
		sum += get16(p);
	if (len == 1)
		sum += (uint32_t)p[0] << 8;
	/* Fold early so a long chain of calls never overflows. */
	return (sum & 0xffff) + (sum >> 16);
}

uint16_t packet_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t packet_tcp_checksum(const struct pl_addr *src, const struct pl_addr *dst,
			     const uint8_t *segment, size_t len)
{
	uint8_t a[16], pseudo[8] = { 0 };
	size_t n;
	uint32_t sum = 0;

	n = packet_addr_bytes(src, a);
	sum = packet_sum(a, n, sum);
	n = packet_addr_bytes(dst, a);
	sum = packet_sum(a, n, sum);
	/* IPv4: zero, protocol, 16-bit length; IPv6: 32-bit length, three
	 * zero bytes, next header. Both sum the same. */
	put32(pseudo, (uint32_t)len);
	pseudo[7] = PROTO_TCP;
	sum = packet_sum(pseudo, sizeof(pseudo), sum);
	return packet_fold(packet_sum(segment, len, sum));
}

/* The TCP part of every probe; ports, sequence number and checksum are
 * patched in. Window and options are those of a common stack, so the probe
 * does not stand out; and a peer answers only the options it is offered
 * (RFC 7323: WS and TS only if the SYN had them; RFC 2018: SACK-permitted
 * likewise), so without them a SYN-ACK would tell little about its stack
 * (oshint.h). The layout is Linux's: MSS, SACK-permitted, TS, NOP, WS. */
static const uint8_t tcp_template[TCP_HDR] = {
	0, 0, 0, 0,                      /* ports */
	0, 0, 0, 0,                      /* seq */
	0, 0, 0, 0,                      /* ack */
	(TCP_HDR / 4) << 4, TCP_FLAG_SYN,
	SYN_WINDOW >> 8, SYN_WINDOW & 0xff,
	0, 0, 0, 0,                      /* checksum, urgent pointer */
	OPT_MSS, 4, SYN_MSS >> 8, SYN_MSS & 0xff,
	OPT_SACK_OK, 2,
	OPT_TS, 10, SYN_TSVAL >> 24, (SYN_TSVAL >> 16) & 0xff, (SYN_TSVAL >> 8) & 0xff,
	SYN_TSVAL & 0xff, 0, 0, 0, 0,    /* TSval, TSecr (0 in a SYN) */
	OPT_NOP,
	OPT_WS, 3, SYN_WSCALE,
};

static void build_tcp(uint8_t *tcp, const struct packet_syn *s)
{
	memcpy(tcp, tcp_template, TCP_HDR);
	put16(tcp, s->sport);
	put16(tcp + 2, s->dport);
	put32(tcp + 4, s->seq);
	put16(tcp + 16, packet_tcp_checksum(&s->src, &s->dst, tcp, TCP_HDR));
}

size_t packet_build_syn(uint8_t *buf, const struct packet_syn *s)
{
	if (s->src.family == AF_INET && s->dst.family == AF_INET) {
		memset(buf, 0, IP4_HDR);
		buf[0] = 0x45;
		put16(buf + 2, IP4_HDR + TCP_HDR);
		put16(buf + 4, s->ip_id);
		buf[8] = s->ttl;
		buf[9] = PROTO_TCP;
		packet_addr_bytes(&s->src, buf + 12);
		packet_addr_bytes(&s->dst, buf + 16);
		put16(buf + 10, packet_fold(packet_sum(buf, IP4_HDR, 0)));
		build_tcp(buf + IP4_HDR, s);
		return IP4_HDR + TCP_HDR;
	}
	if (s->src.family == AF_INET6 && s->dst.family == AF_INET6) {
		memset(buf, 0, IP6_HDR);
		buf[0] = 0x60;
		put16(buf + 4, TCP_HDR);
		buf[6] = PROTO_TCP;
		buf[7] = s->ttl;
		packet_addr_bytes(&s->src, buf + 8);
		packet_addr_bytes(&s->dst, buf + 24);
		build_tcp(buf + IP6_HDR, s);
		return IP6_HDR + TCP_HDR;
	}
	return 0;
}

size_t packet_build_ack(uint8_t *buf, const struct packet_syn *s, uint32_t ack)
{
	size_t n = packet_build_syn(buf, s), ip = s->dst.family == AF_INET ? IP4_HDR : IP6_HDR;
	uint8_t *tcp = buf + ip;

	if (n == 0)
		return 0;
	/* The same segment with ACK instead of SYN: a host answers an ACK
	 * that belongs to no connection with a RST whose sequence number is
	 * our acknowledgement number (RFC 9293 3.10.7.1). The SYN options
	 * stay: a receiver ignores them on a segment without SYN. */
	tcp[13] = TCP_FLAG_ACK;
	put32(tcp + 8, ack);
	put16(tcp + 16, 0);
	put16(tcp + 16, packet_tcp_checksum(&s->src, &s->dst, tcp, TCP_HDR));
	return n;
}

/* Codes as RFC 792 / RFC 1812 (IPv4, type 3) and RFC 4443 (IPv6, type 1)
 * name them; the words are connect's for the same errors. */
void packet_icmp_reason(int family, uint8_t type, uint8_t code, enum port_state *s,
			enum reason *why)
{
	*s = STATE_FILTERED;
	if (family == AF_INET) {
		switch (code) {
		case 0: case 6: case 11: *why = REASON_NET_UNREACH; return;
		case 2: *why = REASON_PROTO_UNREACH; return;
		case 3: *s = STATE_CLOSED; *why = REASON_CONN_REFUSED; return;
		case 9: case 10: case 13: *why = REASON_ADMIN_PROHIBITED; return;
		default: *why = REASON_HOST_UNREACH; return;
		}
	}
	switch (code) {
	case 0: case 2: *why = REASON_NET_UNREACH; return;
	case 1: case 5: case 6: *why = REASON_ADMIN_PROHIBITED; return;
	case 4: *s = STATE_CLOSED; *why = REASON_CONN_REFUSED; return;
	default: *why = REASON_HOST_UNREACH; return;
	}
}

/* ------------------------------------------------------------- parsing */

uint8_t packet_initial_ttl(uint8_t ttl)
{
	/* The defaults stacks start from (IANA's recommended 64, RFC 1700's
	 * older 32, Windows' 128, 255 for many routers and Solaris): the
	 * smallest one not below what arrived, since every hop takes one. */
	if (ttl <= 32)
		return 32;
	if (ttl <= 64)
		return 64;
	if (ttl <= 128)
		return 128;
	return 255;
}

/* Appends one kind's name to the order string; false when it would not fit
 * (it always fits for 40 bytes of options, see OS_OPTIONS_LEN). */
static bool opt_name(struct os_evidence *ev, size_t *at, uint8_t kind)
{
	static const char *const names[] = {
		[OPT_EOL] = "EOL", [OPT_NOP] = "NOP", [OPT_MSS] = "MSS", [OPT_WS] = "WS",
		[OPT_SACK_OK] = "SACK", [OPT_TS] = "TS",
	};
	char num[4];
	const char *name = kind < sizeof names / sizeof names[0] ? names[kind] : NULL;
	size_t n;

	if (name == NULL) {
		num[0] = (char)('0' + kind / 100);
		num[1] = (char)('0' + kind / 10 % 10);
		num[2] = (char)('0' + kind % 10);
		num[3] = '\0';
		name = num + (kind < 10 ? 2 : kind < 100 ? 1 : 0);
	}
	n = strlen(name);
	if (*at + (*at > 0) + n >= sizeof ev->options)
		return false;
	if (*at > 0)
		ev->options[(*at)++] = ',';
	memcpy(ev->options + *at, name, n + 1);
	*at += n;
	return true;
}

void packet_tcp_options(const uint8_t *p, size_t len, struct os_evidence *ev)
{
	size_t at = 0, i = 0;

	ev->options[0] = '\0';
	ev->has_mss = ev->has_wscale = ev->timestamps = false;
	while (i < len) {
		uint8_t kind = p[i], olen;

		if (kind == OPT_EOL || kind == OPT_NOP) {
			if (!opt_name(ev, &at, kind) || kind == OPT_EOL)
				return;
			i++;
			continue;
		}
		/* A length byte that is missing, below 2 or runs past the header
		 * ends the list: what follows cannot be told apart from junk. */
		if (i + 1 >= len || (olen = p[i + 1]) < 2 || olen > len - i)
			return;
		if (!opt_name(ev, &at, kind))
			return;
		if (kind == OPT_MSS && olen == 4) {
			ev->mss = get16(p + i + 2);
			ev->has_mss = true;
		} else if (kind == OPT_WS && olen == 3) {
			ev->wscale = p[i + 2];
			ev->has_wscale = true;
		} else if (kind == OPT_TS) {
			ev->timestamps = true;
		}
		i += olen;
	}
}

/* The first 8 bytes of a TCP header quoted in an ICMP error: ports, seq. */
static enum packet_kind quoted_tcp(const uint8_t *p, size_t len, struct packet_answer *a)
{
	if (len < 8)
		return PACKET_OTHER;
	a->sport = get16(p);
	a->dport = get16(p + 2);
	a->seq = get32(p + 4);
	a->kind = PACKET_ICMP;
	return PACKET_ICMP;
}

static enum packet_kind tcp_segment(const uint8_t *p, size_t len, struct packet_answer *a)
{
	/* The whole header, options included: a cut-short segment is none. */
	if (len < TCP_MIN || (p[12] >> 4) * 4u < TCP_MIN || (p[12] >> 4) * 4u > len)
		return PACKET_OTHER;
	a->sport = get16(p);
	a->dport = get16(p + 2);
	a->seq = get32(p + 4);
	a->ack = get32(p + 8);
	a->flags = p[13];
	a->kind = PACKET_TCP;
	/* Only a SYN-ACK says how its stack opens a connection. */
	if ((a->flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == (TCP_FLAG_SYN | TCP_FLAG_ACK)) {
		a->ev.window = get16(p + 14);
		packet_tcp_options(p + TCP_MIN, (p[12] >> 4) * 4u - TCP_MIN, &a->ev);
		a->ev.ttl = a->ttl;
		a->ev.initial_ttl = packet_initial_ttl(a->ttl);
		a->has_ev = true;
	}
	return PACKET_TCP;
}

/* An IPv4 header at p: its header length, or 0 when it is not one. Only
 * first fragments carry a transport header. */
static size_t ip4_header(const uint8_t *p, size_t len)
{
	size_t ihl;

	if (len < IP4_HDR || p[0] >> 4 != 4)
		return 0;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	if (ihl < IP4_HDR || ihl > len || (get16(p + 6) & 0x1fff) != 0)
		return 0;
	return ihl;
}

static enum packet_kind icmp4(const uint8_t *p, size_t len, struct packet_answer *a)
{
	size_t ihl;

	/* Destination unreachable (3) is the one error a SYN draws. */
	if (len < 8 || p[0] != 3)
		return PACKET_OTHER;
	a->icmp_type = p[0];
	a->icmp_code = p[1];
	p += 8;
	len -= 8;
	if ((ihl = ip4_header(p, len)) == 0 || p[9] != PROTO_TCP)
		return PACKET_OTHER;
	packet_addr_read(AF_INET, p + 12, &a->src);
	packet_addr_read(AF_INET, p + 16, &a->dst);
	return quoted_tcp(p + ihl, len - ihl, a);
}

static enum packet_kind ip4(const uint8_t *p, size_t len, struct packet_answer *a)
{
	size_t ihl = ip4_header(p, len), total;

	if (ihl == 0)
		return PACKET_OTHER;
	total = get16(p + 2);
	/* A datagram cut short by the capture is no answer; Ethernet pads
	 * short frames, so anything past total is ignored. */
	if (total < ihl || total > len)
		return PACKET_OTHER;
	len = total;
	a->ttl = p[8];
	a->ev.df = (get16(p + 6) & IP4_DF) != 0;
	if (p[9] == PROTO_TCP) {
		packet_addr_read(AF_INET, p + 12, &a->src);
		packet_addr_read(AF_INET, p + 16, &a->dst);
		return tcp_segment(p + ihl, len - ihl, a);
	}
	if (p[9] == PROTO_ICMP)
		return icmp4(p + ihl, len - ihl, a);
	return PACKET_OTHER;
}

static enum packet_kind icmp6(const uint8_t *p, size_t len, struct packet_answer *a)
{
	/* Destination unreachable (1); the quoted datagram follows 8 bytes. */
	if (len < 8 || p[0] != 1)
		return PACKET_OTHER;
	a->icmp_type = p[0];
	a->icmp_code = p[1];
	p += 8;
	len -= 8;
	if (len < IP6_HDR || p[0] >> 4 != 6 || p[6] != PROTO_TCP)
		return PACKET_OTHER;
	packet_addr_read(AF_INET6, p + 8, &a->src);
	packet_addr_read(AF_INET6, p + 24, &a->dst);
	return quoted_tcp(p + IP6_HDR, len - IP6_HDR, a);
}

/* Extension headers are not followed: a SYN's answers carry none. */
static enum packet_kind ip6(const uint8_t *p, size_t len, struct packet_answer *a)
{
	size_t payload;

	if (len < IP6_HDR || p[0] >> 4 != 6)
		return PACKET_OTHER;
	payload = get16(p + 4);
	if (payload > len - IP6_HDR)
		return PACKET_OTHER;
	len = IP6_HDR + payload;
	a->ttl = p[7];
	a->ev.df = -1;           /* IPv6 has no DF: routers never fragment */
	if (p[6] == PROTO_TCP) {
		packet_addr_read(AF_INET6, p + 8, &a->src);
		packet_addr_read(AF_INET6, p + 24, &a->dst);
		return tcp_segment(p + IP6_HDR, len - IP6_HDR, a);
	}
	if (p[6] == PROTO_ICMP6)
		return icmp6(p + IP6_HDR, len - IP6_HDR, a);
	return PACKET_OTHER;
}

/* The network layer's offset in a frame of type dlt, or -1. */
static long network_offset(int dlt, const uint8_t *f, size_t len)
{
	switch (dlt) {
	case PACKET_DLT_NULL:
	case PACKET_DLT_LOOP:
		return len >= 4 ? 4 : -1;
	case PACKET_DLT_RAW:
	case PACKET_DLT_RAW_ALT:
	case PACKET_DLT_RAW_101:
		return 0;
	case PACKET_DLT_EN10MB:
		if (len < 14)
			return -1;
		if (get16(f + 12) == 0x8100)
			return len >= 18 ? 18 : -1;
		return 14;
	case PACKET_DLT_LINUX_SLL:
		return len >= 16 ? 16 : -1;
	case PACKET_DLT_LINUX_SLL2:
		return len >= 20 ? 20 : -1;
	default:
		return -1;
	}
}

enum packet_kind packet_parse(int dlt, const uint8_t *frame, size_t len,
			      struct packet_answer *a)
{
	long off = network_offset(dlt, frame, len);

	memset(a, 0, sizeof(*a));
	if (off < 0 || (size_t)off >= len)
		return PACKET_OTHER;
	frame += off;
	len -= (size_t)off;
	/* The IP version nibble says which it is, whatever the link header's
	 * own type field (its encoding differs per link type). */
	if (frame[0] >> 4 == 4)
		return ip4(frame, len, a);
	if (frame[0] >> 4 == 6)
		return ip6(frame, len, a);
	return PACKET_OTHER;
}
