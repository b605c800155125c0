/* probe_ping.h: the icmp-echo prober's packets, apart from its sockets.
 *
 * A request carries, after the 8-byte ICMP or ICMPv6 echo header, a
 * 16-byte cookie: a keyed hash of the address it goes to. A reply counts
 * only as an echo reply of the right family whose payload starts with the
 * cookie of the address it came from. The prober itself
 * (disco_icmp_echo_dgram) is in probers.c's table; this is what its tests
 * and fuzz target see. */
#ifndef PORTOLAN_PROBE_PING_H
#define PORTOLAN_PROBE_PING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define PING_COOKIE_LEN 16
#define PING_PACKET_LEN (8 + PING_COOKIE_LEN)

/* Writes the echo request for `to` (identifier and checksum 0: the ping
 * socket fills them) into out; returns its length, PING_PACKET_LEN. */
size_t ping_request_build(const uint64_t key[2], const struct pl_addr *to, uint16_t seq,
			  uint8_t out[PING_PACKET_LEN]);

/* Whether buf (len bytes, an ICMP message without its IP header, as a ping
 * socket reads it) is an echo reply to our request to `from`. Reads no
 * byte past len. */
bool ping_reply_check(const uint64_t key[2], const struct pl_addr *from, const uint8_t *buf,
		      size_t len);

#endif
