/* udpmatch.h: a UDP reply's service, from the UDP probes' match rules.
 *
 * The UDP scan (src/methods/udp.c) sends a port the payload of a UDP probe
 * that lists it (a probe file's `protocol: udp`), and with service
 * detection on, matches the reply here, as TCP detection matches a TCP
 * reply: the rules of the probe sent first, then those of every other UDP
 * probe listing the port. Bytes from the network: fuzzed
 * (tests/fuzz/fuzz_udp_match.c). */
#ifndef PORTOLAN_UDPMATCH_H
#define PORTOLAN_UDPMATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe_db.h"
#include "result.h"

/* The most UDP probes one port has (the payloads a scan rotates through). */
#define UDP_PROBES_MAX 8

/* What a reply matched. */
enum udp_match { UDP_MATCH_NONE, UDP_MATCH_SOFT, UDP_MATCH_HARD };

/* Matches reply (len bytes, any content) against the rules of sent (may be
 * NULL) and then of every other UDP probe of db listing port; a hard match
 * ends the search, a soft one (the service, no version: `soft: true`) is
 * kept while a later rule may say more. On a match fills r's service,
 * product, version, info and os_hint (replacing none already set). Always
 * sets r->banner (when not yet set) to the reply's first bytes, escaped. */
enum udp_match udp_match_reply(const struct probe_db *db, uint16_t port,
			       const struct probe *sent, const uint8_t *reply, size_t len,
			       struct result *r);

/* Whether a datagram from another port of the probed address is the
 * reply to sent: only when sent says its protocol answers from a port of
 * its own (`reply_from: any_port`, TFTP) and one of sent's own rules
 * matches it. Anything else from another port is not the port's reply
 * (src/methods/udp.c ignores it). sent may be NULL (false). */
bool udp_reply_credited(const struct probe *sent, const uint8_t *reply, size_t len);

/* Moves the service fields (service, product, version, info, os_hint) of
 * from to to, replacing to's. */
void udp_match_move(struct result *to, struct result *from);

#endif
