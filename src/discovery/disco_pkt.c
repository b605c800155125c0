/* disco_pkt.c: the privileged discovery probes as bytes and their answers
 * checked (disco_pkt.h says what proves what). Builders write only into
 * the caller's buffer; parsers read untrusted bytes and never past len. */
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <glib.h>

#include "disco_pkt.h"

#define ETH_HDR 14
#define ETHERTYPE_IP6 0x86dd
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_IP4 0x0800
#define ETHERTYPE_VLAN 0x8100
#define IP6_HDR 40
#define PROTO_ICMP6 58
#define ARP_LEN 28
#define NA_MIN 24

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

void disco_key_init(struct disco_key *k)
{
	synkey_init(&k->k);
	k->id = (uint16_t)g_random_int_range(1, 65536);
}

void disco_cookie(const struct disco_key *k, const struct pl_addr *dst, uint8_t out[8])
{
	uint8_t in[17];
	size_t n;
	uint64_t h;

	/* The family first: an IPv4 address and the IPv6 one with the same
	 * low bytes hash apart. */
	in[0] = dst->family == AF_INET ? 4 : 6;
	n = packet_addr_bytes(dst, in + 1);
	h = siphash24(k->k.k0, k->k.k1, in, n + 1);
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(h >> (56 - 8 * i));
}

size_t disco_build_echo(uint8_t *buf, const struct disco_key *k, const struct pl_addr *dst,
			uint16_t attempt)
{
	memset(buf, 0, DISCO_ICMP_ECHO_LEN);
	buf[0] = dst->family == AF_INET ? DISCO_ICMP4_ECHO : DISCO_ICMP6_ECHO;
	put16(buf + 4, k->id);
	put16(buf + 6, attempt);
	disco_cookie(k, dst, buf + 8);
	if (dst->family == AF_INET)
		put16(buf + 2, packet_fold(packet_sum(buf, DISCO_ICMP_ECHO_LEN, 0)));
	return DISCO_ICMP_ECHO_LEN;
}

size_t disco_build_tstamp(uint8_t *buf, const struct disco_key *k, const struct pl_addr *dst)
{
	uint8_t c[8];

	memset(buf, 0, DISCO_ICMP_TSTAMP_LEN);
	disco_cookie(k, dst, c);
	buf[0] = DISCO_ICMP4_TSTAMP;
	put16(buf + 4, k->id);
	/* The sequence number and the originate timestamp carry 48 bits of
	 * the cookie: the reply must copy both (RFC 792). */
	memcpy(buf + 6, c, 6);
	put16(buf + 2, packet_fold(packet_sum(buf, DISCO_ICMP_TSTAMP_LEN, 0)));
	return DISCO_ICMP_TSTAMP_LEN;
}

bool disco_parse_icmp(int family, const uint8_t *p, size_t len, struct disco_icmp *m)
{
	memset(m, 0, sizeof(*m));
	if (family == AF_INET) {
		size_t hl, total;

		if (len < 20 || p[0] >> 4 != 4 || p[9] != IPPROTO_ICMP)
			return false;
		hl = (size_t)(p[0] & 0x0f) * 4;
		total = get16(p + 2);
		/* Some systems hand raw sockets the length in host order, or
		 * without the header: trust only what we hold. */
		if (hl < 20 || hl > len)
			return false;
		if (total < hl || total > len)
			total = len;
		m->ttl = p[8];
		p += hl;
		len = total - hl;
		if (len < 8 || packet_fold(packet_sum(p, len, 0)) != 0)
			return false;
	} else if (family == AF_INET6) {
		if (len < 8)
			return false;
	} else {
		return false;
	}
	m->type = p[0];
	m->code = p[1];
	m->id = get16(p + 4);
	m->seq = get16(p + 6);
	switch (m->type) {
	case DISCO_ICMP4_ECHO_REPLY:
	case DISCO_ICMP4_ECHO:
	case DISCO_ICMP6_ECHO_REPLY:
	case DISCO_ICMP6_ECHO:
		if ((family == AF_INET) != (m->type == DISCO_ICMP4_ECHO_REPLY ||
					    m->type == DISCO_ICMP4_ECHO))
			return false;
		if (len >= 16) {
			memcpy(m->cookie, p + 8, 8);
			m->has_cookie = true;
		}
		return true;
	case DISCO_ICMP4_TSTAMP_REPLY:
		if (family != AF_INET || len < DISCO_ICMP_TSTAMP_LEN)
			return false;
		memcpy(m->cookie, p + 6, 6);
		m->has_cookie = true;
		return true;
	default:
		return false;
	}
}

bool disco_icmp_answers(const struct disco_key *k, const struct pl_addr *from,
			const struct disco_icmp *m, enum reason *why)
{
	uint8_t c[8];

	if (m->code != 0 || m->id != k->id || !m->has_cookie)
		return false;
	disco_cookie(k, from, c);
	if (m->type == DISCO_ICMP4_ECHO_REPLY || m->type == DISCO_ICMP6_ECHO_REPLY) {
		if (memcmp(c, m->cookie, 8) != 0)
			return false;
		*why = REASON_ECHO_REPLY;
		return true;
	}
	if (m->type == DISCO_ICMP4_TSTAMP_REPLY && from->family == AF_INET) {
		if (memcmp(c, m->cookie, 6) != 0)
			return false;
		*why = REASON_TIMESTAMP_REPLY;
		return true;
	}
	return false;
}

bool disco_tcp_answers(const struct synkey *k, bool ack_probe, const struct packet_answer *a,
		       enum reason *why)
{
	uint16_t sport;
	uint32_t seq;

	if (a->kind != PACKET_TCP)
		return false;
	if (!ack_probe) {
		/* Our own SYNs seen on the way out carry no ACK. */
		if (!(a->flags & TCP_FLAG_ACK) || !(a->flags & (TCP_FLAG_SYN | TCP_FLAG_RST)))
			return false;
		if (!synkey_check_ack(k, &a->dst, a->dport, &a->src, a->sport, a->ack))
			return false;
		*why = (a->flags & TCP_FLAG_RST) ? REASON_RESET : REASON_SYN_ACK;
		return true;
	}
	if (!(a->flags & TCP_FLAG_RST) || (a->flags & TCP_FLAG_SYN))
		return false;
	synkey_cookie(k, &a->dst, &a->src, a->sport, &sport, &seq);
	if (a->dport != sport || a->seq != seq)
		return false;
	*why = REASON_RESET;
	return true;
}

/* The offset of the payload after an Ethernet header with at most one
 * 802.1Q tag, and its EtherType; 0 when the frame is too short. */
static size_t eth_payload(const uint8_t *f, size_t len, uint16_t *type)
{
	if (len < ETH_HDR)
		return 0;
	*type = get16(f + 12);
	if (*type != ETHERTYPE_VLAN)
		return ETH_HDR;
	if (len < ETH_HDR + 4)
		return 0;
	*type = get16(f + 16);
	return ETH_HDR + 4;
}

size_t disco_build_arp(uint8_t *frame, const uint8_t mac[6], uint32_t spa, uint32_t tpa)
{
	uint8_t *a = frame + ETH_HDR;

	memset(frame, 0, DISCO_ARP_FRAME_LEN);
	memset(frame, 0xff, 6);
	memcpy(frame + 6, mac, 6);
	put16(frame + 12, ETHERTYPE_ARP);
	put16(a, 1);                  /* hardware: Ethernet */
	put16(a + 2, ETHERTYPE_IP4);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);              /* request */
	memcpy(a + 8, mac, 6);
	put32(a + 14, spa);
	put32(a + 24, tpa);           /* target MAC (18..23) stays zero */
	return DISCO_ARP_FRAME_LEN;
}

bool disco_parse_arp(const uint8_t *frame, size_t len, struct disco_arp *r)
{
	uint16_t type = 0;
	size_t off = eth_payload(frame, len, &type);
	const uint8_t *a = frame + off;

	if (off == 0 || type != ETHERTYPE_ARP || len - off < ARP_LEN)
		return false;
	if (get16(a) != 1 || get16(a + 2) != ETHERTYPE_IP4 || a[4] != 6 || a[5] != 4)
		return false;
	r->op = get16(a + 6);
	memcpy(r->sha, a + 8, 6);
	r->spa = get32(a + 14);
	memcpy(r->tha, a + 18, 6);
	r->tpa = get32(a + 24);
	return true;
}

bool disco_arp_answers(const struct disco_arp *a, const uint8_t mac[6], uint32_t our_ip)
{
	static const uint8_t zero[6];

	/* A reply names the requester as its target; a sender MAC of zero
	 * or broadcast is no host's. */
	return a->op == 2 && a->tpa == our_ip && memcmp(a->tha, mac, 6) == 0 &&
	       memcmp(a->sha, zero, 6) != 0 && !(a->sha[0] & 1);
}

/* The ICMPv6 checksum of msg over the pseudo-header of src and dst. */
static uint16_t icmp6_sum(const struct pl_addr *src, const struct pl_addr *dst,
			  const uint8_t *msg, size_t len)
{
	uint8_t b[16], pseudo[8] = { 0 };
	uint32_t sum;

	packet_addr_bytes(src, b);
	sum = packet_sum(b, 16, 0);
	packet_addr_bytes(dst, b);
	sum = packet_sum(b, 16, sum);
	put32(pseudo, (uint32_t)len);
	pseudo[7] = PROTO_ICMP6;
	sum = packet_sum(pseudo, sizeof(pseudo), sum);
	return packet_fold(packet_sum(msg, len, sum));
}

size_t disco_build_ns(uint8_t *frame, const uint8_t mac[6], const struct pl_addr *src,
		      const struct pl_addr *target)
{
	uint8_t *ip = frame + ETH_HDR, *ns = ip + IP6_HDR, t[16];
	struct pl_addr group = { .family = AF_INET6 };

	packet_addr_bytes(target, t);
	/* ff02::1:ffXX:XXXX, the target's low 24 bits (RFC 4291 2.7.1). */
	group.v.hi = UINT64_C(0xff02000000000000);
	group.v.lo = UINT64_C(0x00000001ff000000) | (target->v.lo & 0xffffff);
	memset(frame, 0, DISCO_NS_FRAME_LEN);
	/* Its MAC: 33:33 and the group's low 32 bits (RFC 2464 7). */
	frame[0] = 0x33;
	frame[1] = 0x33;
	frame[2] = 0xff;
	memcpy(frame + 3, t + 13, 3);
	memcpy(frame + 6, mac, 6);
	put16(frame + 12, ETHERTYPE_IP6);
	ip[0] = 0x60;
	put16(ip + 4, 32);
	ip[6] = PROTO_ICMP6;
	ip[7] = 255;                  /* RFC 4861 7.1.1: else discarded */
	packet_addr_bytes(src, ip + 8);
	packet_addr_bytes(&group, ip + 24);
	ns[0] = DISCO_ICMP6_NS;
	memcpy(ns + 8, t, 16);
	ns[24] = 1;                   /* source link-layer address, 8 bytes */
	ns[25] = 1;
	memcpy(ns + 26, mac, 6);
	put16(ns + 2, icmp6_sum(src, &group, ns, 32));
	return DISCO_NS_FRAME_LEN;
}

bool disco_parse_na(const uint8_t *frame, size_t len, struct disco_na *na)
{
	uint16_t type = 0;
	size_t off = eth_payload(frame, len, &type), plen;
	const uint8_t *ip = frame + off, *m;

	if (off == 0 || type != ETHERTYPE_IP6 || len - off < IP6_HDR + NA_MIN)
		return false;
	if (ip[0] >> 4 != 6 || ip[6] != PROTO_ICMP6 || ip[7] != 255)
		return false;
	plen = get16(ip + 4);
	if (plen < NA_MIN || plen > len - off - IP6_HDR)
		return false;
	m = ip + IP6_HDR;
	if (m[0] != DISCO_ICMP6_NA || m[1] != 0)
		return false;
	packet_addr_read(AF_INET6, ip + 8, &na->src);
	packet_addr_read(AF_INET6, ip + 24, &na->dst);
	if (icmp6_sum(&na->src, &na->dst, m, plen) != 0)
		return false;
	packet_addr_read(AF_INET6, m + 8, &na->target);
	na->solicited = (m[4] & 0x40) != 0;
	return true;
}
