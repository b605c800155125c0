/* synkey.h: the SYN scan's keyed validation of answers.
 *
 * Each probe's source port and sequence number come from a keyed hash of
 * (our address, the target's address, the target's port) under a key drawn
 * per scan, so an answer is checked without any per-probe state: a SYN-ACK
 * or RST must come to the right source port and acknowledge seq + 1, an
 * ICMP error must quote that port and seq. A forged or stale answer
 * (another scan's, another key's) fails the check. The hash is SipHash-2-4
 * (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012),
 * written from the paper. */
#ifndef PORTOLAN_SYNKEY_H
#define PORTOLAN_SYNKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* Source ports come from [SYNKEY_PORT_BASE, SYNKEY_PORT_BASE +
 * SYNKEY_PORT_COUNT): above Linux's ephemeral range (32768-60999), so the
 * capture filter does not also take in the answers to every local
 * connect(), and no local socket owns the port a SYN-ACK comes to. */
#define SYNKEY_PORT_BASE 61000u
#define SYNKEY_PORT_COUNT 4536u

struct synkey {
	uint64_t k0, k1;
};

/* SipHash-2-4 of len bytes under the 128-bit key (k0, k1). */
uint64_t siphash24(uint64_t k0, uint64_t k1, const void *data, size_t len);

/* A fresh random key (GLib's random source, seeded from the system's). */
void synkey_init(struct synkey *k);

/* The cookie of a probe from src to (dst, dport): its source port and
 * sequence number. */
void synkey_cookie(const struct synkey *k, const struct pl_addr *src, const struct pl_addr *dst,
		   uint16_t dport, uint16_t *sport, uint32_t *seq);

/* Whether a TCP answer from (target, tport) to (us, our_port) acknowledges
 * a probe of ours: our_port and ack must be the cookie's port and seq + 1. */
bool synkey_check_ack(const struct synkey *k, const struct pl_addr *us, uint16_t our_port,
		      const struct pl_addr *target, uint16_t tport, uint32_t ack);

/* Whether an ICMP error's quoted segment (us:our_port -> target:tport, seq)
 * is a probe of ours. */
bool synkey_check_quote(const struct synkey *k, const struct pl_addr *us, uint16_t our_port,
			const struct pl_addr *target, uint16_t tport, uint32_t seq);

#endif
