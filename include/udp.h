/* udp.h: what the UDP method (src/methods/udp.c) makes of an answer.
 *
 * The method itself is `method_udp` in the table of methods.c; these are
 * its pure parts, the meaning of an ICMP message and of an errno, for the
 * unit tests and for anything else that reads ICMP about a UDP probe. */
#ifndef PORTOLAN_UDP_H
#define PORTOLAN_UDP_H

#include <stdbool.h>
#include <stdint.h>

#include "result.h"

/* An ICMP or ICMPv6 error about a probe. */
struct udp_icmp {
	bool v6;         /* ICMPv6 (RFC 4443) rather than ICMP (RFC 792) */
	uint8_t type;
	uint8_t code;
};

/* The state and reason an ICMP error gives a UDP port: port unreachable
 * from the probed host (from_target) is closed, port-unreach; from anyone
 * else, and every other unreachable, filtered with the ICMP named
 * (net-unreach, host-unreach, proto-unreach, admin-prohibited). */
void udp_classify_icmp(const struct udp_icmp *ic, bool from_target, enum port_state *state,
		       enum reason *reason);

/* The same from an errno alone, where the system gives nothing more (not
 * Linux): ECONNREFUSED closed, port-unreach; EACCES/EPERM admin-prohibited;
 * ENETUNREACH net-unreach; the rest host-unreach. */
void udp_classify_errno(int e, enum port_state *state, enum reason *reason);

#endif
