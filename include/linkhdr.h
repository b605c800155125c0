/* linkhdr.h: the link-layer header in front of an injected IP datagram, and
 * the MAC addresses read back from a frame we sent ourselves.
 *
 * The pcap_inject sender (src/methods/syn_inject.c) writes whole frames, so
 * it must put in front of each SYN what the interface's datalink expects
 * (pcap's DLT_* values, as packet.h names them):
 *   Ethernet (DLT_EN10MB)  destination MAC (the next hop's), source MAC (the
 *                          interface's), EtherType IPv4 or IPv6;
 *   DLT_NULL               the address family, 4 bytes in host order (the
 *                          BSDs' and macOS's lo0);
 *   DLT_LOOP               the same in network order (OpenBSD);
 *   DLT_RAW                nothing: the IP header starts the frame.
 * An Ethernet interface's MACs are learnt from a frame the kernel itself
 * sent to the same destination (syn_inject.c says why): linkhdr_learn()
 * reads that frame. It reads untrusted bytes and never reads past len
 * (tests/fuzz/fuzz_packet.c). */
#ifndef PORTOLAN_LINKHDR_H
#define PORTOLAN_LINKHDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* The longest header linkhdr_build writes (Ethernet). */
#define LINKHDR_MAX 14

struct linkhdr_macs {
	uint8_t src[6];          /* the interface's */
	uint8_t dst[6];          /* the next hop's */
};

/* Whether the sender can frame datagrams for link type dlt. */
bool linkhdr_supported(int dlt);
/* Whether its header carries MAC addresses (that must be learnt first). */
bool linkhdr_needs_macs(int dlt);

/* Writes the header for a datagram of family (AF_INET, AF_INET6) into out
 * (LINKHDR_MAX bytes); m is read for Ethernet only. Its length (0 for
 * DLT_RAW), or -1 for a link type or family it cannot frame. */
int linkhdr_build(int dlt, int family, const struct linkhdr_macs *m, uint8_t *out);

/* Whether frame (len bytes, link type dlt: Ethernet, with or without one
 * 802.1Q tag) carries a UDP datagram from src to dst; then *m holds its
 * MAC addresses. */
bool linkhdr_learn(int dlt, const uint8_t *frame, size_t len, const struct pl_addr *src,
		   const struct pl_addr *dst, struct linkhdr_macs *m);

#endif
