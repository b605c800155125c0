/* fuzz_disco.c: libFuzzer target for the privileged discovery probers'
 * answer parsers (src/discovery/disco_pkt.c).
 *
 * Input: the captured bytes, copied into a buffer of exactly their size so
 * that ASan sees any read past it, and read by every parser: as what a
 * raw ICMP socket returns (an IPv4 datagram; an ICMPv6 message), as an
 * Ethernet frame carrying ARP, and as one carrying a neighbour
 * advertisement; also by packet_parse (bare IP) with the TCP answer then
 * checked as the tcp-syn and tcp-ack probers check it. Whatever a parser
 * accepts must make sense: ICMP types are the ones it reads (echo, echo
 * reply, timestamp reply; an IPv4 datagram's checksum verifies); an ARP
 * packet's addresses are the bytes where the frame holds them, and a
 * request built from them reads back the same; a neighbour advertisement
 * has hop limit 255 and its target where the message holds it, and the
 * solicitation built from its addresses is not read as one. An answer
 * accepted under the fixed key must carry that key's cookie (the same
 * check recomputed another way). Any violation aborts. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <glib.h>

#include "disco_pkt.h"
#include "packet.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_glib();
	return 0;
}

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_disco: %s\n", what);
	abort();
}

static void icmp(int family, const uint8_t *p, size_t n)
{
	struct disco_key k = { .k = { 1, 2 }, .id = 0x4242 };
	struct disco_icmp m;
	struct pl_addr from = { .family = family, .v = { 0, 0xc6130001 } };
	enum reason why;

	if (!disco_parse_icmp(family, p, n, &m))
		return;
	if (family == AF_INET) {
		if (m.type != 0 && m.type != 8 && m.type != 14)
			fail("IPv4: an ICMP type it does not read");
		if (m.ttl != p[8])
			fail("IPv4: TTL not the header's");
	} else if (m.type != 128 && m.type != 129) {
		fail("IPv6: an ICMPv6 type it does not read");
	}
	if (disco_icmp_answers(&k, &from, &m, &why)) {
		uint8_t c[8];

		disco_cookie(&k, &from, c);
		if (m.id != k.id || memcmp(c, m.cookie, why == REASON_ECHO_REPLY ? 8 : 6) != 0)
			fail("an answer without our identifier and cookie");
	}
}

static void arp(const uint8_t *f, size_t n)
{
	struct disco_arp a, b;
	uint8_t req[DISCO_ARP_FRAME_LEN];
	size_t off;

	if (!disco_parse_arp(f, n, &a))
		return;
	off = f[12] == 0x81 && f[13] == 0x00 ? 18 : 14;
	if (off + 28 > n || memcmp(a.sha, f + off + 8, 6) != 0 || memcmp(a.tha, f + off + 18, 6) != 0 ||
	    a.spa != ((uint32_t)f[off + 14] << 24 | (uint32_t)f[off + 15] << 16 |
		      (uint32_t)f[off + 16] << 8 | f[off + 17]))
		fail("ARP: fields not where the frame holds them");
	disco_build_arp(req, a.sha, a.spa, a.tpa);
	if (!disco_parse_arp(req, sizeof(req), &b) || b.op != 1 || b.spa != a.spa || b.tpa != a.tpa ||
	    memcmp(b.sha, a.sha, 6) != 0)
		fail("ARP: a request built from an answer does not read back");
	if (disco_arp_answers(&a, a.tha, a.tpa) && a.op != 2)
		fail("ARP: a request taken for a reply");
}

static void na(const uint8_t *f, size_t n)
{
	struct disco_na x, y;
	struct pl_addr t;
	uint8_t ns[DISCO_NS_FRAME_LEN];
	size_t off;

	if (!disco_parse_na(f, n, &x))
		return;
	off = f[12] == 0x81 && f[13] == 0x00 ? 18 : 14;
	if (off + 64 > n || f[off + 7] != 255 || f[off + 40] != 136)
		fail("ND: hop limit or type wrong");
	packet_addr_read(AF_INET6, f + off + 48, &t);
	if (!pl_addr_equal(&t, &x.target))
		fail("ND: target not where the message holds it");
	disco_build_ns(ns, f + 6, &x.dst, &x.target);
	if (disco_parse_na(ns, sizeof(ns), &y))
		fail("ND: a solicitation read as an advertisement");
}

static void tcp(const uint8_t *p, size_t n)
{
	struct synkey k = { 3, 4 };
	struct packet_answer a;
	enum reason why;

	if (packet_parse(PACKET_DLT_RAW, p, n, &a) != PACKET_TCP)
		return;
	for (int ack = 0; ack < 2; ack++) {
		uint16_t sport;
		uint32_t seq;

		if (!disco_tcp_answers(&k, ack, &a, &why))
			continue;
		synkey_cookie(&k, &a.dst, &a.src, a.sport, &sport, &seq);
		if (a.dport != sport || (ack ? a.seq != seq : a.ack != seq + 1))
			fail("TCP: an answer without our cookie");
		if (why != REASON_RESET && why != REASON_SYN_ACK)
			fail("TCP: a reason other than reset or syn-ack");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	icmp(AF_INET, buf, size);
	icmp(AF_INET6, buf, size);
	arp(buf, size);
	na(buf, size);
	tcp(buf, size);
	free(buf);
	return 0;
}
