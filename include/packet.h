/* packet.h: the SYN probe as bytes, and the answers to it read back.
 *
 * The SYN method (src/methods/syn.c) builds every probe from a fixed
 * template (IPv4 or IPv6 header, then a TCP header with the options MSS,
 * SACK-permitted, timestamps, NOP, window scale: a peer answers only what
 * it is offered, and its answer is the OS hint's evidence),
 * patches in addresses, ports and the sequence number, and sets the
 * checksums (RFC 1071 one's complement sum; TCP over the RFC 793 / RFC 8200
 * pseudo-header). The receiver hands each captured frame to packet_parse(),
 * which reads only what validation needs. It reads untrusted bytes: it
 * never reads past len, whatever the headers claim (tests/fuzz/fuzz_packet.c). */
#ifndef PORTOLAN_PACKET_H
#define PORTOLAN_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "result.h"

/* The longest probe: IPv6 header (40) + TCP header with options (40). */
#define PACKET_SYN_MAX 80

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

/* What one probe carries. src and dst have the same family. */
struct packet_syn {
	struct pl_addr src, dst;
	uint16_t sport, dport;
	uint32_t seq;
	uint8_t ttl;
	uint16_t ip_id;          /* IPv4 only */
};

/* Writes the IP datagram (IP header included) into buf, which holds at least
 * PACKET_SYN_MAX bytes; returns its length, 0 for an unknown family. */
size_t packet_build_syn(uint8_t *buf, const struct packet_syn *s);

/* The same probe with the ACK flag alone and acknowledgement number ack
 * (host discovery's tcp-ack probe); the length, or 0. */
size_t packet_build_ack(uint8_t *buf, const struct packet_syn *s, uint32_t ack);

/* An address's bytes as they go on the wire (4 or 16; returns how many),
 * and back. */
size_t packet_addr_bytes(const struct pl_addr *a, uint8_t *out);
void packet_addr_read(int family, const uint8_t *p, struct pl_addr *a);

/* The RFC 1071 sum of len bytes added to sum (not folded, not inverted):
 * chain calls, then packet_fold(). */
uint32_t packet_sum(const void *data, size_t len, uint32_t sum);
/* Folds a sum into 16 bits and inverts it: the checksum field's value, in
 * network byte order when stored with memcpy of the big-endian halves. */
uint16_t packet_fold(uint32_t sum);

/* The TCP checksum of segment (len bytes, its checksum field as it is) over
 * the pseudo-header of src and dst. A segment whose field is right gives 0. */
uint16_t packet_tcp_checksum(const struct pl_addr *src, const struct pl_addr *dst,
			     const uint8_t *segment, size_t len);

enum packet_kind {
	PACKET_OTHER,            /* not an answer to a SYN: ignore it */
	PACKET_TCP,              /* a TCP segment: flags, seq, ack */
	PACKET_ICMP,             /* an ICMP or ICMPv6 error quoting a TCP segment */
};

/* An answer as the receiver sees it. For PACKET_TCP src/sport are the
 * target's, dst/dport ours. For PACKET_ICMP the quoted segment's fields are
 * given as the probe had them (src/sport ours, dst/dport the target's), seq
 * is the quoted sequence number, and icmp_type/icmp_code say what the
 * router or host said; family tells ICMP from ICMPv6. */
struct packet_answer {
	enum packet_kind kind;
	struct pl_addr src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint8_t icmp_type, icmp_code;
	uint8_t ttl;             /* of the answer's IP header */
	/* A SYN-ACK's OS evidence (has_ev): TTL, window, options, DF. */
	bool has_ev;
	struct os_evidence ev;
};

/* Link-layer types packet_parse understands (the values of pcap's DLT_*). */
enum {
	PACKET_DLT_NULL = 0,         /* BSD loopback: 4-byte host-order family */
	PACKET_DLT_EN10MB = 1,       /* Ethernet, one optional 802.1Q tag */
	PACKET_DLT_RAW = 12,         /* bare IP (also 14 and 101 on some systems) */
	PACKET_DLT_RAW_ALT = 14,
	PACKET_DLT_LOOP = 108,       /* OpenBSD loopback: 4-byte network-order family */
	PACKET_DLT_LINUX_SLL = 113,  /* Linux "any": 16-byte cooked header */
	PACKET_DLT_RAW_101 = 101,    /* LINKTYPE_RAW */
	PACKET_DLT_LINUX_SLL2 = 276, /* Linux "any", newer: 20-byte cooked header */
};

/* Reads one captured frame of link type dlt. Returns the kind (and fills *a
 * for TCP and ICMP); PACKET_OTHER for anything else, malformed or cut short
 * included. */
enum packet_kind packet_parse(int dlt, const uint8_t *frame, size_t len,
			      struct packet_answer *a);

/* The OS evidence in len bytes of TCP options at p: the kinds in order
 * (short names, unknown kinds as their number), MSS, window scale and
 * whether timestamps were there. Reads untrusted bytes and never past len:
 * EOL, or a length that is missing, below 2 or past the end, ends the list.
 * Sets only options, mss/has_mss, wscale/has_wscale and timestamps. */
void packet_tcp_options(const uint8_t *p, size_t len, struct os_evidence *ev);

/* A received TTL rounded up to the initial TTL a stack starts from: 32, 64,
 * 128 or 255. */
uint8_t packet_initial_ttl(uint8_t ttl);

/* The state and reason an ICMP destination unreachable (IPv4 type 3 or
 * ICMPv6 type 1, by family) gives the TCP port it quotes: port unreachable
 * is closed (as connect's ECONNREFUSED), the rest filtered with the word
 * for the code. */
void packet_icmp_reason(int family, uint8_t type, uint8_t code, enum port_state *s,
			enum reason *why);

#endif
