/* test_disco_pkt.c: the privileged discovery probes' bytes and the checks
 * of their answers (disco_pkt.h). Each probe is built, an answer is made
 * from it the way the peer's stack would (RFC 792, 826, 4443, 4861,
 * 9293), and that answer must prove life with the right reason; the same
 * answer with a wrong identifier, cookie, address, port, flag or hop
 * limit, or cut short at any length, must not. */
#include <string.h>
#include <sys/socket.h>
#include <glib.h>

#include "addr.h"
#include "disco_pkt.h"
#include "packet.h"

static struct pl_addr addr(const char *text)
{
	struct pl_addr a;

	assert_true(pl_addr_parse(text, &a));
	return a;
}

static struct disco_key key(uint16_t id)
{
	struct disco_key k = { .k = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL }, .id = id };

	return k;
}

/* An IPv4 datagram around an ICMP message, as a raw socket reads it. */
static size_t ip4_wrap(uint8_t *out, const uint8_t *icmp, size_t len, const char *from)
{
	struct pl_addr src = addr(from), dst = addr("198.18.0.1");

	memset(out, 0, 20);
	out[0] = 0x45;
	out[2] = (uint8_t)((20 + len) >> 8);
	out[3] = (uint8_t)(20 + len);
	out[8] = 61;
	out[9] = 1;
	packet_addr_bytes(&src, out + 12);
	packet_addr_bytes(&dst, out + 16);
	memcpy(out + 20, icmp, len);
	return 20 + len;
}

static void icmp_checksum(uint8_t *icmp, size_t len)
{
	uint16_t c;

	icmp[2] = icmp[3] = 0;
	c = packet_fold(packet_sum(icmp, len, 0));
	icmp[2] = (uint8_t)(c >> 8);
	icmp[3] = (uint8_t)c;
}

static void test_echo_v4(void **state)
{
	struct disco_key k = key(0x1234), other = key(0x1235);
	struct pl_addr dst = addr("198.19.50.1"), elsewhere = addr("198.19.50.2");
	uint8_t req[DISCO_ICMP_ECHO_LEN], dgram[64];
	struct disco_icmp m;
	enum reason why = REASON_COUNT;
	size_t n;

	assert_int_equal(disco_build_echo(req, &k, &dst, 3), DISCO_ICMP_ECHO_LEN);
	assert_int_equal(req[0], 8);
	assert_int_equal(req[4] << 8 | req[5], 0x1234);
	assert_int_equal(req[6] << 8 | req[7], 3);
	assert_int_equal(packet_fold(packet_sum(req, sizeof(req), 0)), 0);
	/* The reply: type 0, the rest echoed, checksum redone. */
	req[0] = 0;
	icmp_checksum(req, sizeof(req));
	n = ip4_wrap(dgram, req, sizeof(req), "198.19.50.1");
	assert_true(disco_parse_icmp(AF_INET, dgram, n, &m));
	assert_int_equal(m.ttl, 61);
	assert_true(disco_icmp_answers(&k, &dst, &m, &why));
	assert_int_equal(why, REASON_ECHO_REPLY);
	/* From another address (its cookie differs), or for another key. */
	assert_false(disco_icmp_answers(&k, &elsewhere, &m, &why));
	assert_false(disco_icmp_answers(&other, &dst, &m, &why));
	/* Cut short: never accepted with a cookie. */
	for (size_t cut = 0; cut < n; cut++) {
		dgram[2] = (uint8_t)(cut >> 8);
		dgram[3] = (uint8_t)cut;
		if (disco_parse_icmp(AF_INET, dgram, cut, &m))
			assert_false(disco_icmp_answers(&k, &dst, &m, &why));
	}
	/* A checksum that does not verify. */
	n = ip4_wrap(dgram, req, sizeof(req), "198.19.50.1");
	dgram[30] ^= 1;
	assert_false(disco_parse_icmp(AF_INET, dgram, n, &m));
	/* Our own request, seen on loopback, proves nothing. */
	req[0] = 8;
	icmp_checksum(req, sizeof(req));
	n = ip4_wrap(dgram, req, sizeof(req), "198.19.50.1");
	assert_true(disco_parse_icmp(AF_INET, dgram, n, &m));
	assert_false(disco_icmp_answers(&k, &dst, &m, &why));
}

static void test_echo_v6(void **state)
{
	struct disco_key k = key(7);
	struct pl_addr dst = addr("2001:db8:1::50:1"), v4 = addr("198.19.50.1");
	uint8_t req[DISCO_ICMP_ECHO_LEN];
	struct disco_icmp m;
	enum reason why;

	disco_build_echo(req, &k, &dst, 0);
	assert_int_equal(req[0], 128);
	assert_int_equal(req[2] | req[3], 0);     /* the kernel's to fill */
	req[0] = 129;
	assert_true(disco_parse_icmp(AF_INET6, req, sizeof(req), &m));
	assert_true(disco_icmp_answers(&k, &dst, &m, &why));
	assert_int_equal(why, REASON_ECHO_REPLY);
	/* The IPv4 address with the same cookie input bytes is not it. */
	assert_false(disco_icmp_answers(&k, &v4, &m, &why));
	req[9] ^= 0x80;
	assert_true(disco_parse_icmp(AF_INET6, req, sizeof(req), &m));
	assert_false(disco_icmp_answers(&k, &dst, &m, &why));
	/* An IPv4 type over ICMPv6 is not an echo reply. */
	req[0] = 0;
	assert_false(disco_parse_icmp(AF_INET6, req, sizeof(req), &m));
	for (size_t cut = 0; cut < 8; cut++)
		assert_false(disco_parse_icmp(AF_INET6, req, cut, &m));
}

static void test_timestamp(void **state)
{
	struct disco_key k = key(0xbeef);
	struct pl_addr dst = addr("198.19.50.1");
	uint8_t req[DISCO_ICMP_TSTAMP_LEN], dgram[64];
	struct disco_icmp m;
	enum reason why = REASON_COUNT;
	size_t n;

	assert_int_equal(disco_build_tstamp(req, &k, &dst), DISCO_ICMP_TSTAMP_LEN);
	assert_int_equal(req[0], 13);
	assert_int_equal(packet_fold(packet_sum(req, sizeof(req), 0)), 0);
	/* The reply: type 14, receive and transmit times filled in. */
	req[0] = 14;
	memset(req + 12, 0x5a, 8);
	icmp_checksum(req, sizeof(req));
	n = ip4_wrap(dgram, req, sizeof(req), "198.19.50.1");
	assert_true(disco_parse_icmp(AF_INET, dgram, n, &m));
	assert_true(disco_icmp_answers(&k, &dst, &m, &why));
	assert_int_equal(why, REASON_TIMESTAMP_REPLY);
	/* A wrong originate time (the cookie's tail). */
	req[10] ^= 1;
	icmp_checksum(req, sizeof(req));
	n = ip4_wrap(dgram, req, sizeof(req), "198.19.50.1");
	assert_true(disco_parse_icmp(AF_INET, dgram, n, &m));
	assert_false(disco_icmp_answers(&k, &dst, &m, &why));
	/* Shorter than a timestamp message. */
	n = ip4_wrap(dgram, req, 16, "198.19.50.1");
	assert_false(disco_parse_icmp(AF_INET, dgram, n, &m));
}

static void test_tcp_syn_answers(void **state)
{
	struct synkey k = { 1, 2 }, other = { 1, 3 };
	struct pl_addr us = addr("198.18.0.1"), them = addr("198.19.50.3");
	struct packet_answer a = { .kind = PACKET_TCP };
	enum reason why = REASON_COUNT;
	uint16_t sport;
	uint32_t seq;

	synkey_cookie(&k, &us, &them, 443, &sport, &seq);
	a.src = them;
	a.dst = us;
	a.sport = 443;
	a.dport = sport;
	a.ack = seq + 1;
	a.flags = TCP_FLAG_SYN | TCP_FLAG_ACK;
	assert_true(disco_tcp_answers(&k, false, &a, &why));
	assert_int_equal(why, REASON_SYN_ACK);
	a.flags = TCP_FLAG_RST | TCP_FLAG_ACK;
	assert_true(disco_tcp_answers(&k, false, &a, &why));
	assert_int_equal(why, REASON_RESET);
	assert_false(disco_tcp_answers(&other, false, &a, &why));
	a.flags = TCP_FLAG_SYN;               /* our own SYN, seen going out */
	assert_false(disco_tcp_answers(&k, false, &a, &why));
	a.flags = TCP_FLAG_SYN | TCP_FLAG_ACK;
	a.ack = seq;
	assert_false(disco_tcp_answers(&k, false, &a, &why));
	a.ack = seq + 1;
	a.sport = 444;                        /* another port than probed */
	assert_false(disco_tcp_answers(&k, false, &a, &why));
	a.sport = 443;
	a.src = addr("198.19.50.4");          /* another host */
	assert_false(disco_tcp_answers(&k, false, &a, &why));
	a.src = them;
	a.kind = PACKET_ICMP;
	assert_false(disco_tcp_answers(&k, false, &a, &why));
}

static void test_tcp_ack_probe(void **state)
{
	struct synkey k = { 9, 9 };
	struct pl_addr us = addr("2001:db8:ff::1"), them = addr("2001:db8:1::50:2");
	struct packet_syn s = { .src = us, .dst = them, .dport = 80, .ttl = 64 };
	struct packet_answer a;
	uint8_t buf[PACKET_SYN_MAX];
	enum reason why = REASON_COUNT;
	uint32_t cookie;
	size_t n;

	synkey_cookie(&k, &us, &them, 80, &s.sport, &cookie);
	s.seq = ~cookie;
	n = packet_build_ack(buf, &s, cookie);
	assert_int_equal(n, 80);
	/* It parses back as an ACK acknowledging the cookie, checksum right. */
	assert_int_equal(packet_parse(PACKET_DLT_RAW, buf, n, &a), PACKET_TCP);
	assert_int_equal(a.flags, TCP_FLAG_ACK);
	assert_int_equal(a.ack, cookie);
	assert_int_equal(a.seq, ~cookie);
	assert_int_equal(packet_tcp_checksum(&us, &them, buf + 40, 40), 0);
	/* Our ACK itself is no answer. */
	assert_false(disco_tcp_answers(&k, true, &a, &why));
	/* The RST it draws: from them, seq = our ack, to our port. */
	a = (struct packet_answer){ .kind = PACKET_TCP, .src = them, .dst = us, .sport = 80,
				    .dport = s.sport, .seq = cookie, .flags = TCP_FLAG_RST };
	assert_true(disco_tcp_answers(&k, true, &a, &why));
	assert_int_equal(why, REASON_RESET);
	a.seq = cookie + 1;
	assert_false(disco_tcp_answers(&k, true, &a, &why));
	a.seq = cookie;
	a.dport = (uint16_t)(s.sport + 1);
	assert_false(disco_tcp_answers(&k, true, &a, &why));
	a.dport = s.sport;
	a.flags = TCP_FLAG_RST | TCP_FLAG_SYN;
	assert_false(disco_tcp_answers(&k, true, &a, &why));
}

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 1 };
static const uint8_t their_mac[6] = { 0x02, 0, 0, 0, 0, 2 };

static void test_arp(void **state)
{
	uint8_t f[DISCO_ARP_FRAME_LEN + 4], tagged[DISCO_ARP_FRAME_LEN + 4];
	struct disco_arp r;
	const uint32_t us = 0xc6120001, them = 0xc6120002;

	assert_int_equal(disco_build_arp(f, our_mac, us, them), DISCO_ARP_FRAME_LEN);
	for (int i = 0; i < 6; i++)
		assert_int_equal(f[i], 0xff);
	assert_memory_equal(f + 6, our_mac, 6);
	assert_true(disco_parse_arp(f, DISCO_ARP_FRAME_LEN, &r));
	assert_int_equal(r.op, 1);
	assert_int_equal(r.spa, us);
	assert_int_equal(r.tpa, them);
	assert_false(disco_arp_answers(&r, our_mac, us));     /* a request */
	/* The reply, as a stack writes it. */
	memcpy(f, our_mac, 6);
	memcpy(f + 6, their_mac, 6);
	f[21] = 2;
	memcpy(f + 22, their_mac, 6);
	f[28] = 0xc6, f[29] = 0x12, f[30] = 0, f[31] = 2;
	memcpy(f + 32, our_mac, 6);
	f[38] = 0xc6, f[39] = 0x12, f[40] = 0, f[41] = 1;
	assert_true(disco_parse_arp(f, 42, &r));
	assert_int_equal(r.spa, them);
	assert_true(disco_arp_answers(&r, our_mac, us));
	assert_false(disco_arp_answers(&r, their_mac, us));  /* not to our MAC */
	assert_false(disco_arp_answers(&r, our_mac, us + 1)); /* not to our address */
	for (size_t cut = 0; cut < 42; cut++)
		assert_false(disco_parse_arp(f, cut, &r));
	/* Behind an 802.1Q tag. */
	memcpy(tagged, f, 12);
	tagged[12] = 0x81, tagged[13] = 0x00, tagged[14] = 0, tagged[15] = 5;
	memcpy(tagged + 16, f + 12, 30);
	assert_true(disco_parse_arp(tagged, 46, &r));
	assert_true(disco_arp_answers(&r, our_mac, us));
	assert_false(disco_parse_arp(tagged, 45, &r));
	/* Not ARP over Ethernet/IPv4. */
	f[17] = 0xdd;
	assert_false(disco_parse_arp(f, 42, &r));
}

static uint16_t icmp6_sum(const uint8_t *ip6, size_t plen)
{
	uint8_t pseudo[8] = { 0, 0, (uint8_t)(plen >> 8), (uint8_t)plen, 0, 0, 0, 58 };
	uint32_t sum = packet_sum(ip6 + 8, 32, 0);

	sum = packet_sum(pseudo, 8, sum);
	return packet_fold(packet_sum(ip6 + 40, plen, sum));
}

static void test_nd(void **state)
{
	struct pl_addr us = addr("2001:db8:ff::1"), them = addr("2001:db8:ff::2abc:def2");
	struct pl_addr group = addr("ff02::1:ffbc:def2");
	uint8_t f[DISCO_NS_FRAME_LEN], g[16], *ip = f + 14, *m = f + 54;
	struct disco_na na;
	uint16_t c;

	assert_int_equal(disco_build_ns(f, our_mac, &us, &them), DISCO_NS_FRAME_LEN);
	assert_int_equal(f[0], 0x33);
	assert_int_equal(f[1], 0x33);
	assert_int_equal(f[2], 0xff);
	assert_int_equal(f[3], 0xbc);
	assert_int_equal(f[5], 0xf2);
	packet_addr_bytes(&group, g);
	assert_memory_equal(ip + 24, g, 16);
	assert_int_equal(ip[7], 255);
	assert_int_equal(m[0], 135);
	assert_int_equal(icmp6_sum(ip, 32), 0);
	/* A solicitation is not an advertisement. */
	assert_false(disco_parse_na(f, sizeof(f), &na));
	/* The advertisement: from them to us, S and O set, target them,
	 * their MAC as the target link-layer option. */
	memcpy(f, our_mac, 6);
	memcpy(f + 6, their_mac, 6);
	packet_addr_bytes(&them, ip + 8);
	packet_addr_bytes(&us, ip + 24);
	m[0] = 136;
	m[4] = 0x60;
	m[24] = 2;
	memcpy(m + 26, their_mac, 6);
	m[2] = m[3] = 0;
	c = icmp6_sum(ip, 32);
	m[2] = (uint8_t)(c >> 8);
	m[3] = (uint8_t)c;
	assert_true(disco_parse_na(f, sizeof(f), &na));
	assert_true(na.solicited);
	assert_true(pl_addr_equal(&na.target, &them));
	assert_true(pl_addr_equal(&na.src, &them));
	for (size_t cut = 0; cut < 14 + 40 + 24; cut++)
		assert_false(disco_parse_na(f, cut, &na));
	/* Routed here (hop limit below 255): RFC 4861 says discard. */
	ip[7] = 254;
	assert_false(disco_parse_na(f, sizeof(f), &na));
	ip[7] = 255;
	/* A checksum that does not verify. */
	m[20] ^= 1;
	assert_false(disco_parse_na(f, sizeof(f), &na));
	m[20] ^= 1;
	/* A payload length past the frame. */
	ip[5] = 33;
	assert_false(disco_parse_na(f, sizeof(f), &na));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_v4),
		cmocka_unit_test(test_echo_v6),
		cmocka_unit_test(test_timestamp),
		cmocka_unit_test(test_tcp_syn_answers),
		cmocka_unit_test(test_tcp_ack_probe),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_nd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
