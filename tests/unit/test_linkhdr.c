/* test_linkhdr.c: the link-layer headers the pcap_inject sender writes, and
 * the MACs it learns from the kernel's own frame (src/methods/linkhdr.c).
 *
 * The expected bytes are written out by hand from the formats: Ethernet II
 * (destination, source, EtherType 0x0800 / 0x86dd), BSD loopback DLT_NULL
 * (the family as a host-order 32-bit word) and OpenBSD's DLT_LOOP (the same
 * in network order). Every header built, put in front of a SYN, must parse
 * back through the receiver's parser (packet.c) to the same fields. */
#include <string.h>
#include <sys/socket.h>
#include <glib.h>

#include "addr.h"
#include "linkhdr.h"
#include "packet.h"

static const struct linkhdr_macs macs = {
	.src = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 },
	.dst = { 0x0a, 0xbb, 0xcc, 0xdd, 0xee, 0xff },
};

static struct pl_addr addr(const char *text)
{
	struct pl_addr a;

	assert_true(pl_addr_parse(text, &a));
	return a;
}

static void test_ethernet_header(void **state)
{
	static const uint8_t v4[] = { 0x0a, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x02, 0x00, 0x5e,
				      0x10, 0x20, 0x30, 0x08, 0x00 };
	static const uint8_t v6[] = { 0x0a, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x02, 0x00, 0x5e,
				      0x10, 0x20, 0x30, 0x86, 0xdd };
	uint8_t h[LINKHDR_MAX];

	assert_true(linkhdr_supported(PACKET_DLT_EN10MB));
	assert_true(linkhdr_needs_macs(PACKET_DLT_EN10MB));
	assert_int_equal(linkhdr_build(PACKET_DLT_EN10MB, AF_INET, &macs, h), 14);
	assert_memory_equal(h, v4, sizeof(v4));
	assert_int_equal(linkhdr_build(PACKET_DLT_EN10MB, AF_INET6, &macs, h), 14);
	assert_memory_equal(h, v6, sizeof(v6));
}

static void test_loopback_headers(void **state)
{
	static const uint8_t loop4[] = { 0, 0, 0, 2 };   /* AF_INET is 2 everywhere */
	uint32_t af = AF_INET, af6 = AF_INET6;
	uint8_t h[LINKHDR_MAX], want[4];

	assert_int_equal(linkhdr_build(PACKET_DLT_NULL, AF_INET, NULL, h), 4);
	memcpy(want, &af, 4);
	assert_memory_equal(h, want, 4);
	assert_int_equal(linkhdr_build(PACKET_DLT_NULL, AF_INET6, NULL, h), 4);
	memcpy(want, &af6, 4);
	assert_memory_equal(h, want, 4);
	assert_int_equal(linkhdr_build(PACKET_DLT_LOOP, AF_INET, NULL, h), 4);
	assert_memory_equal(h, loop4, 4);
	assert_int_equal(linkhdr_build(PACKET_DLT_LOOP, AF_INET6, NULL, h), 4);
	assert_int_equal(h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3], AF_INET6);
	assert_false(linkhdr_needs_macs(PACKET_DLT_NULL));
	assert_false(linkhdr_needs_macs(PACKET_DLT_LOOP));
}

static void test_raw_and_unknown(void **state)
{
	uint8_t h[LINKHDR_MAX];

	assert_int_equal(linkhdr_build(PACKET_DLT_RAW, AF_INET, NULL, h), 0);
	assert_int_equal(linkhdr_build(PACKET_DLT_RAW_101, AF_INET6, NULL, h), 0);
	/* Linux's cooked headers are for reading only, and 9999 is nothing. */
	assert_false(linkhdr_supported(PACKET_DLT_LINUX_SLL));
	assert_false(linkhdr_supported(PACKET_DLT_LINUX_SLL2));
	assert_false(linkhdr_supported(9999));
	assert_int_equal(linkhdr_build(PACKET_DLT_LINUX_SLL, AF_INET, &macs, h), -1);
	assert_int_equal(linkhdr_build(9999, AF_INET, &macs, h), -1);
	assert_int_equal(linkhdr_build(PACKET_DLT_EN10MB, AF_UNIX, &macs, h), -1);
}

/* Every header the sender writes, in front of a SYN, reads back through
 * the receiver's parser with the same addresses, ports and sequence. */
static void test_frames_parse_back(void **state)
{
	static const int dlts[] = { PACKET_DLT_EN10MB, PACKET_DLT_NULL, PACKET_DLT_LOOP,
				    PACKET_DLT_RAW, PACKET_DLT_RAW_ALT, PACKET_DLT_RAW_101 };
	const char *pairs[][2] = { { "198.18.0.1", "198.19.0.7" }, { "2001:db8::1", "2001:db8:1::9" } };

	for (size_t d = 0; d < G_N_ELEMENTS(dlts); d++)
		for (size_t i = 0; i < G_N_ELEMENTS(pairs); i++) {
			struct packet_syn s = {
				.src = addr(pairs[i][0]), .dst = addr(pairs[i][1]),
				.sport = 61234, .dport = 443, .seq = 0xdeadbeef, .ttl = 64,
			};
			uint8_t frame[LINKHDR_MAX + PACKET_SYN_MAX];
			struct packet_answer a;
			int h = linkhdr_build(dlts[d], s.src.family, &macs, frame);
			size_t n;

			assert_true(h >= 0);
			n = packet_build_syn(frame + h, &s);
			assert_int_equal(packet_parse(dlts[d], frame, (size_t)h + n, &a), PACKET_TCP);
			assert_true(pl_addr_equal(&a.src, &s.src));
			assert_true(pl_addr_equal(&a.dst, &s.dst));
			assert_int_equal(a.sport, 61234);
			assert_int_equal(a.dport, 443);
			assert_int_equal(a.seq, 0xdeadbeef);
		}
}

/* An Ethernet frame carrying a UDP datagram src -> dst (optionally one
 * 802.1Q tag): the kernel's own, as the learning capture sees it. */
static size_t udp_frame(uint8_t *f, bool vlan, const char *src, const char *dst, uint8_t proto)
{
	struct pl_addr s = addr(src), d = addr(dst);
	struct packet_syn syn = { .src = s, .dst = d, .sport = 40000, .dport = 9, .ttl = 64 };
	size_t off = 14, n;

	memcpy(f, macs.dst, 6);
	memcpy(f + 6, macs.src, 6);
	if (vlan) {
		f[12] = 0x81; f[13] = 0x00; f[14] = 0x00; f[15] = 0x05;
		off = 18;
	}
	f[off - 2] = s.family == AF_INET ? 0x08 : 0x86;
	f[off - 1] = s.family == AF_INET ? 0x00 : 0xdd;
	/* The SYN template's IP header, with the protocol made UDP. */
	n = packet_build_syn(f + off, &syn);
	if (s.family == AF_INET)
		f[off + 9] = proto;
	else
		f[off + 6] = proto;
	return off + n;
}

static void test_learn(void **state)
{
	uint8_t f[128];
	struct linkhdr_macs m;
	struct pl_addr s4 = addr("198.18.0.1"), d4 = addr("198.19.0.7");
	struct pl_addr s6 = addr("2001:db8::1"), d6 = addr("2001:db8:1::9");
	size_t n;

	n = udp_frame(f, false, "198.18.0.1", "198.19.0.7", 17);
	memset(&m, 0, sizeof(m));
	assert_true(linkhdr_learn(PACKET_DLT_EN10MB, f, n, &s4, &d4, &m));
	assert_memory_equal(m.src, macs.src, 6);
	assert_memory_equal(m.dst, macs.dst, 6);
	/* Another destination's frame, or the reverse direction, is not it. */
	assert_false(linkhdr_learn(PACKET_DLT_EN10MB, f, n, &s4, &s4, &m));
	assert_false(linkhdr_learn(PACKET_DLT_EN10MB, f, n, &d4, &s4, &m));
	assert_false(linkhdr_learn(PACKET_DLT_EN10MB, f, n, &s6, &d6, &m));
	/* Not Ethernet, as the caller says. */
	assert_false(linkhdr_learn(PACKET_DLT_RAW, f, n, &s4, &d4, &m));
	/* Cut short anywhere before the addresses end. */
	for (size_t k = 0; k < 34; k++)
		assert_false(linkhdr_learn(PACKET_DLT_EN10MB, f, k, &s4, &d4, &m));
	/* A TCP segment between the same addresses is not our datagram. */
	n = udp_frame(f, false, "198.18.0.1", "198.19.0.7", 6);
	assert_false(linkhdr_learn(PACKET_DLT_EN10MB, f, n, &s4, &d4, &m));

	n = udp_frame(f, true, "198.18.0.1", "198.19.0.7", 17);
	assert_true(linkhdr_learn(PACKET_DLT_EN10MB, f, n, &s4, &d4, &m));
	n = udp_frame(f, false, "2001:db8::1", "2001:db8:1::9", 17);
	memset(&m, 0, sizeof(m));
	assert_true(linkhdr_learn(PACKET_DLT_EN10MB, f, n, &s6, &d6, &m));
	assert_memory_equal(m.dst, macs.dst, 6);
	for (size_t k = 0; k < 54; k++)
		assert_false(linkhdr_learn(PACKET_DLT_EN10MB, f, k, &s6, &d6, &m));
	/* An IPv6 frame labelled IPv4 is refused. */
	f[12] = 0x08;
	f[13] = 0x00;
	assert_false(linkhdr_learn(PACKET_DLT_EN10MB, f, n, &s6, &d6, &m));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet_header),
		cmocka_unit_test(test_loopback_headers),
		cmocka_unit_test(test_raw_and_unknown),
		cmocka_unit_test(test_frames_parse_back),
		cmocka_unit_test(test_learn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
