/* test_packet.c: the SYN method's bytes, cookie and answer parser.
 *
 * Checksums are checked against vectors computed apart from this code: the
 * RFC 1071 section 3 example, the IPv4 header example every textbook uses,
 * and a whole IPv4 SYN and an IPv6 TCP checksum worked out by hand (a
 * few lines of Python's struct, recorded here as bytes). SipHash-2-4 is
 * checked against the paper's own test vectors (appendix A). The cookie
 * must accept exactly the acknowledgement seq + 1 to the right port under
 * the scan's key, and nothing else. */
#include <string.h>
#include <sys/socket.h>
#include <glib.h>

#include "addr.h"
#include "packet.h"
#include "synkey.h"

static struct pl_addr addr(const char *text)
{
	struct pl_addr a;

	assert_true(pl_addr_parse(text, &a));
	return a;
}

static void test_rfc1071_sum(void **state)
{
	/* RFC 1071, 3: these bytes sum to ddf2; the checksum is its inverse. */
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	static const uint8_t ip[] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
	};

	assert_int_equal(packet_fold(packet_sum(b, sizeof(b), 0)), (uint16_t)~0xddf2);
	/* Odd length: the last byte is padded with a zero on the right. */
	/* 0001 + f203 + f4f5 + f600 = 2dcf9, folded dcfb. */
	assert_int_equal(packet_fold(packet_sum(b, 7, 0)), (uint16_t)~0xdcfb);
	assert_int_equal(packet_fold(packet_sum(ip, sizeof(ip), 0)), 0xb861);
}

static void test_syn_ipv4_bytes(void **state)
{
	static const uint8_t want[] = {
		/* Checksums computed apart (Python, RFC 1071); the options are
		 * MSS 1460, SACK-permitted, TS (0x00f1c0de, 0), NOP, WS 7. */
		0x45, 0x00, 0x00, 0x3c, 0x01, 0x02, 0x00, 0x00, 0x40, 0x06, 0xf5, 0xb6,
		0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02, 0xee, 0x48, 0x00, 0x50,
		0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0x04, 0x00,
		0x0b, 0x8e, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
		0x00, 0xf1, 0xc0, 0xde, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
	};
	struct packet_syn s = {
		.src = addr("192.0.2.1"), .dst = addr("192.0.2.2"), .sport = 61000, .dport = 80,
		.seq = 0x01020304, .ttl = 64, .ip_id = 0x0102,
	};
	uint8_t buf[PACKET_SYN_MAX];
	size_t n = packet_build_syn(buf, &s);

	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	/* A correct packet sums to zero with its checksum in place. */
	assert_int_equal(packet_fold(packet_sum(buf, 20, 0)), 0);
	assert_int_equal(packet_tcp_checksum(&s.src, &s.dst, buf + 20, n - 20), 0);
}

static void test_syn_ipv6_checksum(void **state)
{
	struct packet_syn s = {
		.src = addr("2001:db8::1"), .dst = addr("2001:db8::2"), .sport = 61001,
		.dport = 443, .seq = 0xdeadbeef, .ttl = 64,
	};
	uint8_t buf[PACKET_SYN_MAX];
	size_t n = packet_build_syn(buf, &s);

	assert_int_equal(n, 80);
	assert_int_equal(buf[0] >> 4, 6);
	assert_int_equal(buf[6], 6);                   /* next header: TCP */
	assert_int_equal(buf[40 + 16] << 8 | buf[40 + 17], 0x9919);
	assert_int_equal(packet_tcp_checksum(&s.src, &s.dst, buf + 40, 40), 0);
	/* Mixed families are refused, not written half. */
	s.dst = addr("192.0.2.2");
	assert_int_equal(packet_build_syn(buf, &s), 0);
}

static void test_siphash_vectors(void **state)
{
	uint8_t key[16], msg[64];
	uint64_t k0 = 0, k1 = 0;

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (int i = 7; i >= 0; i--) {
		k0 = k0 << 8 | key[i];
		k1 = k1 << 8 | key[8 + i];
	}
	/* The paper's appendix A: 15 bytes 00..0e. */
	assert_true(siphash24(k0, k1, msg, 15) == 0xa129ca6149be45e5ULL);
	/* The reference implementation's vectors for 0 and 8 bytes. */
	assert_true(siphash24(k0, k1, msg, 0) == 0x726fdb47dd0e0e31ULL);
	assert_true(siphash24(k0, k1, msg, 8) == 0x93f5f5799a932462ULL);
}

static void test_cookie_validation(void **state)
{
	struct synkey k = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL }, other = k;
	struct pl_addr us = addr("198.18.0.1"), t = addr("198.19.0.1");
	uint16_t sport;
	uint32_t seq;

	synkey_cookie(&k, &us, &t, 80, &sport, &seq);
	assert_true(sport >= SYNKEY_PORT_BASE && (unsigned)sport - SYNKEY_PORT_BASE < SYNKEY_PORT_COUNT);
	assert_true(synkey_check_ack(&k, &us, sport, &t, 80, seq + 1));
	/* A wrong acknowledgement (the seq itself, off by one, a forged 0). */
	assert_false(synkey_check_ack(&k, &us, sport, &t, 80, seq));
	assert_false(synkey_check_ack(&k, &us, sport, &t, 80, seq + 2));
	assert_false(synkey_check_ack(&k, &us, sport, &t, 80, 0));
	/* The right ack to another port, from another port or host. */
	assert_false(synkey_check_ack(&k, &us, (uint16_t)(sport + 1), &t, 80, seq + 1));
	assert_false(synkey_check_ack(&k, &us, sport, &t, 81, seq + 1));
	assert_false(synkey_check_ack(&k, &us, sport, &us, 80, seq + 1));
	/* Another scan's key. */
	other.k1 ^= 1;
	assert_false(synkey_check_ack(&other, &us, sport, &t, 80, seq + 1));
	/* ICMP quotes the seq itself. */
	assert_true(synkey_check_quote(&k, &us, sport, &t, 80, seq));
	assert_false(synkey_check_quote(&k, &us, sport, &t, 80, seq + 1));
	/* Same inputs, same cookie: a retransmission is answered alike. */
	{
		uint16_t s2;
		uint32_t q2;

		synkey_cookie(&k, &us, &t, 80, &s2, &q2);
		assert_int_equal(s2, sport);
		assert_true(q2 == seq);
	}
}

/* A SYN-ACK from 192.0.2.2:80 to 192.0.2.1:61000 acknowledging 0x01020305,
 * behind a link header of hdr bytes. */
static size_t synack_frame(uint8_t *f, const uint8_t *hdr, size_t hdr_len)
{
	struct packet_syn s = {
		.src = addr("192.0.2.2"), .dst = addr("192.0.2.1"), .sport = 80, .dport = 61000,
		.seq = 0x11111111, .ttl = 57, .ip_id = 7,
	};
	size_t n;

	memcpy(f, hdr, hdr_len);
	n = packet_build_syn(f + hdr_len, &s);
	f[hdr_len + 20 + 8] = 0x01;             /* ack = 0x01020305 */
	f[hdr_len + 20 + 9] = 0x02;
	f[hdr_len + 20 + 10] = 0x03;
	f[hdr_len + 20 + 11] = 0x05;
	f[hdr_len + 20 + 13] = TCP_FLAG_SYN | TCP_FLAG_ACK;
	return hdr_len + n;
}

static void test_parse_tcp(void **state)
{
	static const uint8_t eth[14] = { [12] = 0x08, [13] = 0x00 };
	static const uint8_t sll[16] = { [14] = 0x08, [15] = 0x00 };
	uint8_t f[128];
	struct packet_answer a;
	size_t n = synack_frame(f, eth, sizeof(eth));

	assert_int_equal(packet_parse(PACKET_DLT_EN10MB, f, n, &a), PACKET_TCP);
	assert_true(pl_addr_equal(&a.src, &(struct pl_addr){ 0 }) == false);
	assert_int_equal(a.sport, 80);
	assert_int_equal(a.dport, 61000);
	assert_true(a.ack == 0x01020305);
	assert_int_equal(a.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	assert_int_equal(a.ttl, 57);
	/* Every cut-short frame is no answer, and nothing past it is read
	 * (the fuzz target checks that under ASan). */
	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(packet_parse(PACKET_DLT_EN10MB, f, cut, &a), PACKET_OTHER);
	n = synack_frame(f, sll, sizeof(sll));
	assert_int_equal(packet_parse(PACKET_DLT_LINUX_SLL, f, n, &a), PACKET_TCP);
	assert_int_equal(packet_parse(PACKET_DLT_RAW, f + 16, n - 16, &a), PACKET_TCP);
	/* An unknown link type is no answer. */
	assert_int_equal(packet_parse(9999, f, n, &a), PACKET_OTHER);
}

/* A SYN-ACK carries its stack's evidence: TTL (rounded up), window, the
 * options in order, MSS, window scale, timestamps, DF. Our own SYN's
 * options, echoed by a Linux-like peer, read back as such. */
static void test_parse_evidence(void **state)
{
	static const uint8_t none[1];
	uint8_t f[128];
	struct packet_answer a;
	size_t n = synack_frame(f, none, 0);

	f[6] = 0x40;                            /* DF */
	f[20 + 14] = 0xfe;                      /* window 65160 */
	f[20 + 15] = 0x88;
	assert_int_equal(packet_parse(PACKET_DLT_RAW, f, n, &a), PACKET_TCP);
	assert_true(a.has_ev);
	assert_int_equal(a.ev.ttl, 57);
	assert_int_equal(a.ev.initial_ttl, 64);
	assert_int_equal(a.ev.window, 65160);
	assert_string_equal(a.ev.options, "MSS,SACK,TS,NOP,WS");
	assert_true(a.ev.has_mss);
	assert_int_equal(a.ev.mss, 1460);
	assert_true(a.ev.has_wscale);
	assert_int_equal(a.ev.wscale, 7);
	assert_true(a.ev.timestamps);
	assert_int_equal(a.ev.df, 1);
	f[6] = 0;
	assert_int_equal(packet_parse(PACKET_DLT_RAW, f, n, &a), PACKET_TCP);
	assert_int_equal(a.ev.df, 0);
	/* A RST is no SYN-ACK: no evidence. */
	f[20 + 13] = TCP_FLAG_RST | TCP_FLAG_ACK;
	assert_int_equal(packet_parse(PACKET_DLT_RAW, f, n, &a), PACKET_TCP);
	assert_false(a.has_ev);
}

static void test_initial_ttl(void **state)
{
	static const uint8_t in[] = { 1, 32, 33, 63, 64, 65, 127, 128, 129, 254, 255 };
	static const uint8_t want[] = { 32, 32, 64, 64, 64, 128, 128, 128, 255, 255, 255 };

	for (size_t i = 0; i < sizeof in; i++)
		assert_int_equal(packet_initial_ttl(in[i]), want[i]);
}

/* Options as hostile peers send them: never read past len, stop at EOL, at
 * a length that is zero, one, or runs past the end. */
static void test_tcp_options(void **state)
{
	static const struct {
		uint8_t bytes[40];
		size_t len;
		const char *order;
		int mss, wscale, ts;         /* -1: absent */
	} cases[] = {
		{ { 2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2 }, 12, "MSS,NOP,WS,NOP,NOP,SACK", 1460, 8, 0 },
		{ { 2, 4, 5, 0xb4, 1, 3, 3, 6, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 4, 2, 0, 0 }, 24,
		  "MSS,NOP,WS,NOP,NOP,TS,SACK,EOL", 1460, 6, 1 },
		{ { 1, 1, 0, 2, 4, 5, 0xb4 }, 7, "NOP,NOP,EOL", -1, -1, 0 },   /* EOL ends */
		{ { 2, 0, 5, 0xb4 }, 4, "", -1, -1, 0 },                       /* zero length */
		{ { 2, 1, 5, 0xb4 }, 4, "", -1, -1, 0 },                       /* length 1 */
		{ { 1, 2, 4, 5 }, 3, "NOP", -1, -1, 0 },                       /* past the end */
		{ { 1, 2 }, 2, "NOP", -1, -1, 0 },                             /* no length byte */
		{ { 2, 3, 5, 3, 3, 7 }, 6, "MSS,WS", -1, 7, 0 },               /* MSS of a wrong length */
		{ { 253, 4, 1, 2, 30, 2, 4, 2 }, 8, "253,30,SACK", -1, -1, 0 },/* unknown kinds */
		{ { 0 }, 0, "", -1, -1, 0 },
	};
	uint8_t nops[40];
	struct os_evidence ev;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		/* Exactly len bytes, so ASan would see a read past them. */
		uint8_t *p = g_memdup2(cases[i].bytes, cases[i].len > 0 ? cases[i].len : 1);

		memset(&ev, 0x55, sizeof ev);
		packet_tcp_options(p, cases[i].len, &ev);
		assert_string_equal(ev.options, cases[i].order);
		assert_int_equal(ev.has_mss, cases[i].mss >= 0);
		if (cases[i].mss >= 0)
			assert_int_equal(ev.mss, cases[i].mss);
		assert_int_equal(ev.has_wscale, cases[i].wscale >= 0);
		if (cases[i].wscale >= 0)
			assert_int_equal(ev.wscale, cases[i].wscale);
		assert_int_equal(ev.timestamps, cases[i].ts);
		g_free(p);
	}
	/* The longest order (40 NOPs) fits whole. */
	memset(nops, 1, sizeof nops);
	packet_tcp_options(nops, sizeof nops, &ev);
	assert_int_equal(strlen(ev.options), 40 * 4 - 1);
}

static void test_parse_icmp_quote(void **state)
{
	struct packet_syn probe = {
		.src = addr("198.18.0.1"), .dst = addr("198.19.254.9"), .sport = 61234,
		.dport = 22, .seq = 0xcafef00d, .ttl = 64,
	};
	uint8_t f[128] = { 0 };
	struct packet_answer a;
	size_t n;

	/* An IPv4 header from a router, ICMP 3/13, the probe quoted whole. */
	f[0] = 0x45;
	f[3] = 20 + 8 + 60;
	f[8] = 60;
	f[9] = 1;
	f[20] = 3;
	f[21] = 13;
	n = 28 + packet_build_syn(f + 28, &probe);
	assert_int_equal(packet_parse(PACKET_DLT_RAW, f, n, &a), PACKET_ICMP);
	assert_true(pl_addr_equal(&a.src, &probe.src));
	assert_true(pl_addr_equal(&a.dst, &probe.dst));
	assert_int_equal(a.sport, 61234);
	assert_int_equal(a.dport, 22);
	assert_true(a.seq == 0xcafef00d);
	assert_int_equal(a.icmp_type, 3);
	assert_int_equal(a.icmp_code, 13);
	/* Only 8 bytes of the TCP header need be quoted (RFC 792). */
	f[3] = 28 + 20 + 8;
	assert_int_equal(packet_parse(PACKET_DLT_RAW, f, 28 + 20 + 8, &a), PACKET_ICMP);
	f[3] = 28 + 20 + 7;
	assert_int_equal(packet_parse(PACKET_DLT_RAW, f, 28 + 20 + 7, &a), PACKET_OTHER);
	/* The capture cut the datagram short of its own length: no answer. */
	f[3] = 28 + 60;
	assert_int_equal(packet_parse(PACKET_DLT_RAW, f, n - 1, &a), PACKET_OTHER);
	/* An echo reply (type 0) is no answer to a SYN. */
	f[20] = 0;
	assert_int_equal(packet_parse(PACKET_DLT_RAW, f, n, &a), PACKET_OTHER);
}

static void test_icmp_reasons(void **state)
{
	static const struct {
		int family;
		uint8_t code;
		enum port_state s;
		enum reason r;
	} cases[] = {
		{ AF_INET, 0, STATE_FILTERED, REASON_NET_UNREACH },
		{ AF_INET, 1, STATE_FILTERED, REASON_HOST_UNREACH },
		{ AF_INET, 2, STATE_FILTERED, REASON_PROTO_UNREACH },
		{ AF_INET, 3, STATE_CLOSED, REASON_CONN_REFUSED },
		{ AF_INET, 10, STATE_FILTERED, REASON_ADMIN_PROHIBITED },
		{ AF_INET, 13, STATE_FILTERED, REASON_ADMIN_PROHIBITED },
		{ AF_INET6, 0, STATE_FILTERED, REASON_NET_UNREACH },
		{ AF_INET6, 1, STATE_FILTERED, REASON_ADMIN_PROHIBITED },
		{ AF_INET6, 3, STATE_FILTERED, REASON_HOST_UNREACH },
		{ AF_INET6, 4, STATE_CLOSED, REASON_CONN_REFUSED },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		enum port_state s;
		enum reason r;

		packet_icmp_reason(cases[i].family, cases[i].family == AF_INET ? 3 : 1, cases[i].code,
				&s, &r);
		assert_int_equal(s, cases[i].s);
		assert_int_equal(r, cases[i].r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_sum),
		cmocka_unit_test(test_syn_ipv4_bytes),
		cmocka_unit_test(test_syn_ipv6_checksum),
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_cookie_validation),
		cmocka_unit_test(test_parse_tcp),
		cmocka_unit_test(test_parse_evidence),
		cmocka_unit_test(test_initial_ttl),
		cmocka_unit_test(test_tcp_options),
		cmocka_unit_test(test_parse_icmp_quote),
		cmocka_unit_test(test_icmp_reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
