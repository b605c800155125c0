/* fuzz_packet.c: libFuzzer target for the SYN receiver's frame parser.
 *
 * Input: the first byte picks the link type (one of those packet_parse
 * knows, or one it does not), the rest is the captured frame, copied into a
 * buffer of exactly its size so that ASan sees any read past it. Whatever
 * the parser accepts must make sense: a TCP answer or an ICMP quote has
 * addresses of one family, and a SYN built from its fields (packet.c's
 * template) parses back to the same addresses, ports and sequence number,
 * with checksums that verify; an ICMP answer's code maps to a state and a
 * reason a SYN scan may report. A SYN-ACK's OS evidence is consistent (an
 * initial TTL of 32, 64, 128 or 255 not below the TTL, DF only for IPv4,
 * an option order of known names or numbers, terminated within its
 * buffer) and the classifier gives a family with an accuracy of at most
 * 100 or nothing. The rest of the input is also read as a bare option list
 * (packet_tcp_options) of exactly its size. Any violation aborts. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <glib.h>

#include "oshint.h"
#include "packet.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int dlts[] = {
	PACKET_DLT_NULL, PACKET_DLT_EN10MB, PACKET_DLT_RAW, PACKET_DLT_RAW_ALT, PACKET_DLT_LOOP,
	PACKET_DLT_LINUX_SLL, PACKET_DLT_RAW_101, PACKET_DLT_LINUX_SLL2, 9999,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_glib();
	return 0;
}

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_packet: %s\n", what);
	abort();
}

/* A SYN from the answer's fields parses back to the same fields. */
static void round_trip(const struct packet_answer *a)
{
	struct packet_syn s = {
		.src = a->src, .dst = a->dst, .sport = a->sport, .dport = a->dport,
		.seq = a->seq, .ttl = 64,
	};
	uint8_t buf[PACKET_SYN_MAX];
	size_t n = packet_build_syn(buf, &s), ip = a->src.family == AF_INET ? 20 : 40;
	struct packet_answer b;

	if (n == 0)
		fail("no SYN built from a parsed answer");
	if (a->src.family == AF_INET && packet_fold(packet_sum(buf, 20, 0)) != 0)
		fail("IPv4 header checksum does not verify");
	if (packet_tcp_checksum(&s.src, &s.dst, buf + ip, n - ip) != 0)
		fail("TCP checksum does not verify");
	if (packet_parse(PACKET_DLT_RAW, buf, n, &b) != PACKET_TCP)
		fail("a built SYN does not parse");
	if (!pl_addr_equal(&a->src, &b.src) || !pl_addr_equal(&a->dst, &b.dst) ||
	    a->sport != b.sport || a->dport != b.dport || a->seq != b.seq ||
	    b.flags != TCP_FLAG_SYN || b.ack != 0)
		fail("a built SYN parses to other fields");
}

/* The order string: NUL-terminated in its buffer, comma-separated names
 * or numbers (0-255), no empty item. */
static void check_order(const struct os_evidence *ev)
{
	static const char *const names[] = { "EOL", "NOP", "MSS", "WS", "SACK", "TS" };
	const char *end = memchr(ev->options, '\0', sizeof ev->options);
	char *copy, **items;

	if (end == NULL)
		fail("option order not terminated in its buffer");
	if (ev->options[0] == '\0')
		return;
	copy = g_strdup(ev->options);
	items = g_strsplit(copy, ",", -1);
	for (char **it = items; *it != NULL; it++) {
		bool known = false;

		for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
			known = known || strcmp(*it, names[i]) == 0;
		if (!known) {
			char *e;
			unsigned long v = strtoul(*it, &e, 10);

			if (**it == '\0' || *e != '\0' || v > 255 || v < 5 || v == 8)
				fail("option order with an item that is no option kind");
		}
	}
	g_strfreev(items);
	g_free(copy);
}

static void check_evidence(const struct packet_answer *a)
{
	struct os_guess g;

	if ((a->flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) != (TCP_FLAG_SYN | TCP_FLAG_ACK))
		fail("evidence from a segment that is no SYN-ACK");
	if (a->ev.ttl != a->ttl || a->ev.initial_ttl < a->ev.ttl ||
	    (a->ev.initial_ttl != 32 && a->ev.initial_ttl != 64 && a->ev.initial_ttl != 128 &&
	     a->ev.initial_ttl != 255))
		fail("initial TTL not one of 32, 64, 128, 255 at or above the TTL");
	if (a->src.family == AF_INET ? a->ev.df != 0 && a->ev.df != 1 : a->ev.df != -1)
		fail("DF neither 0 nor 1 for IPv4, or set for IPv6");
	check_order(&a->ev);
	if (oshint_classify(&a->ev, &g) &&
	    (g.family == NULL || g.accuracy > 100 || memchr(g.reason, '\0', sizeof g.reason) == NULL))
		fail("a verdict without a family, above 100 or unterminated");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct os_evidence ev;
	struct packet_answer a;
	enum packet_kind k;
	enum port_state st;
	enum reason why;
	uint8_t *frame;

	if (size < 1)
		return 0;
	frame = g_memdup2(data + 1, size - 1);
	k = packet_parse(dlts[data[0] % G_N_ELEMENTS(dlts)], frame, size - 1, &a);
	if (k == PACKET_TCP || k == PACKET_ICMP) {
		if (a.src.family != a.dst.family ||
		    (a.src.family != AF_INET && a.src.family != AF_INET6))
			fail("answer with mixed or unknown address families");
		round_trip(&a);
	}
	if (a.has_ev) {
		if (k != PACKET_TCP)
			fail("evidence on an answer that is no TCP segment");
		check_evidence(&a);
	}
	/* The same bytes as a bare option list, of exactly their size. */
	memset(&ev, 0, sizeof ev);
	packet_tcp_options(frame, size - 1, &ev);
	check_order(&ev);
	if (k == PACKET_ICMP) {
		packet_icmp_reason(a.src.family, a.icmp_type, a.icmp_code, &st, &why);
		if (st != STATE_CLOSED && st != STATE_FILTERED)
			fail("ICMP answer neither closed nor filtered");
		if (why >= REASON_COUNT || why == REASON_SYN_ACK || why == REASON_LOCAL_ERROR)
			fail("ICMP answer with a reason no ICMP error gives");
	} else if (k != PACKET_TCP && k != PACKET_OTHER) {
		fail("unknown kind");
	}
	g_free(frame);
	return 0;
}
