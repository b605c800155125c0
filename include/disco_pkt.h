/* disco_pkt.h: the privileged discovery probes as bytes, and the answers
 * to them read back and checked.
 *
 * What each probe carries so that its answer proves itself (a stray or
 * forged packet must never bring a host up):
 *   ICMP echo (IPv4 type 8, ICMPv6 128): our identifier, and 8 payload
 *     bytes that are a keyed hash (SipHash, synkey.h) of the target's
 *     address; the reply echoes both, from that address.
 *   ICMP timestamp (IPv4 type 13, RFC 792): our identifier, and the
 *     sequence number and originate timestamp taken from the same hash;
 *     the reply (type 14) echoes the three.
 *   TCP SYN and ACK: the SYN scan's cookie (synkey.h) under our own key:
 *     a SYN's SYN-ACK or RST acknowledges the cookie's seq + 1; an ACK's
 *     RST carries as its sequence number our acknowledgement number, which
 *     is the cookie's seq. Both come to the cookie's source port.
 *   ARP (RFC 826): a request; the reply must be a reply (op 2) to our
 *     address and MAC for the address asked.
 *   Neighbour solicitation (RFC 4861 7.2): to the target's solicited-node
 *     multicast group; the advertisement must come with hop limit 255,
 *     a valid checksum and the solicited flag, for the address asked.
 * The parsers read untrusted bytes and never read past len
 * (tests/fuzz/fuzz_disco.c). */
#ifndef PORTOLAN_DISCO_PKT_H
#define PORTOLAN_DISCO_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "packet.h"
#include "result.h"
#include "synkey.h"

#define DISCO_ICMP_ECHO_LEN 16       /* header 8 + cookie 8 */
#define DISCO_ICMP_TSTAMP_LEN 20     /* header 8 + three timestamps */
#define DISCO_ARP_FRAME_LEN 60       /* Ethernet's minimum, padded */
#define DISCO_NS_FRAME_LEN 86        /* Ethernet 14 + IPv6 40 + NS 24 + option 8 */

/* ICMP types (RFC 792, RFC 4443, RFC 4861). */
enum {
	DISCO_ICMP4_ECHO_REPLY = 0,
	DISCO_ICMP4_ECHO = 8,
	DISCO_ICMP4_TSTAMP = 13,
	DISCO_ICMP4_TSTAMP_REPLY = 14,
	DISCO_ICMP6_ECHO = 128,
	DISCO_ICMP6_ECHO_REPLY = 129,
	DISCO_ICMP6_NS = 135,
	DISCO_ICMP6_NA = 136,
};

/* A discovery prober's secret: the key of its hashes and its ICMP
 * identifier. */
struct disco_key {
	struct synkey k;
	uint16_t id;
};

/* A fresh random key and identifier. */
void disco_key_init(struct disco_key *k);

/* The 8 cookie bytes of a probe to dst. */
void disco_cookie(const struct disco_key *k, const struct pl_addr *dst, uint8_t out[8]);

/* An ICMP echo request of family's ICMP (AF_INET: ICMP, checksum set;
 * AF_INET6: ICMPv6, checksum left 0: the kernel computes it over the
 * pseudo-header it alone knows) to dst, attempt as its sequence number.
 * buf holds DISCO_ICMP_ECHO_LEN bytes; returns the length. */
size_t disco_build_echo(uint8_t *buf, const struct disco_key *k, const struct pl_addr *dst,
			uint16_t attempt);
/* An ICMP timestamp request to dst (IPv4 only), DISCO_ICMP_TSTAMP_LEN bytes. */
size_t disco_build_tstamp(uint8_t *buf, const struct disco_key *k, const struct pl_addr *dst);

/* An ICMP message read back. */
struct disco_icmp {
	uint8_t type, code;
	uint16_t id, seq;
	uint8_t cookie[8];        /* echo: the payload's first 8 bytes;
				     timestamp: seq, then the originate time */
	bool has_cookie;
	uint8_t ttl;              /* IPv4: the IP header's; IPv6: 0 */
};

/* Reads what a raw ICMP socket returns: for AF_INET the IP datagram (IP
 * header first), for AF_INET6 the ICMPv6 message alone. False for what is
 * not a whole echo reply, echo request or timestamp reply (an IPv4
 * checksum that does not verify included). */
bool disco_parse_icmp(int family, const uint8_t *p, size_t len, struct disco_icmp *m);

/* Whether m, from `from`, answers one of our probes: an echo reply or a
 * timestamp reply with our identifier and from's cookie. *why is the
 * reason it proves. */
bool disco_icmp_answers(const struct disco_key *k, const struct pl_addr *from,
			const struct disco_icmp *m, enum reason *why);

/* Whether a TCP answer (packet_parse) answers our SYN (ack_probe false:
 * SYN-ACK, or RST with ACK, acknowledging the cookie's seq + 1) or our ACK
 * (ack_probe true: RST with the cookie's seq as its sequence number), to
 * the cookie's source port; *why is REASON_SYN_ACK or REASON_RESET. */
bool disco_tcp_answers(const struct synkey *k, bool ack_probe, const struct packet_answer *a,
		       enum reason *why);

/* An ARP request (Ethernet broadcast) from mac/spa for tpa, padded to
 * DISCO_ARP_FRAME_LEN bytes; returns the length. */
size_t disco_build_arp(uint8_t *frame, const uint8_t mac[6], uint32_t spa, uint32_t tpa);

struct disco_arp {
	uint16_t op;
	uint8_t sha[6], tha[6];
	uint32_t spa, tpa;
};

/* Reads an Ethernet frame (with or without one 802.1Q tag) that carries an
 * Ethernet/IPv4 ARP packet. */
bool disco_parse_arp(const uint8_t *frame, size_t len, struct disco_arp *a);

/* Whether a is a reply to a request of ours (our MAC and address). */
bool disco_arp_answers(const struct disco_arp *a, const uint8_t mac[6], uint32_t our_ip);

/* A neighbour solicitation for target from src (an address of ours on
 * the link, the IPv6 source) and mac, to the solicited-node group, with
 * our link-layer address as its option; DISCO_NS_FRAME_LEN bytes. */
size_t disco_build_ns(uint8_t *frame, const uint8_t mac[6], const struct pl_addr *src,
		      const struct pl_addr *target);

struct disco_na {
	struct pl_addr src, dst, target;
	bool solicited;
};

/* Reads an Ethernet frame (one optional 802.1Q tag) that carries a valid
 * neighbour advertisement: IPv6 without extension headers, hop limit 255,
 * ICMPv6 type 136 code 0, checksum right, at least 24 bytes. */
bool disco_parse_na(const uint8_t *frame, size_t len, struct disco_na *na);

#endif
