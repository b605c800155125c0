/* srccache.h: our source address towards each destination, remembered.
 *
 * The SYN sender needs the address the routing table picks for a target
 * (the IP header, the TCP checksum and the cookie all hold it). Asking the
 * kernel costs several system calls; asking once per probe made them most
 * of the sender's work on a one-host scan. A host's source cannot change
 * during a scan unless the routes or the addresses change, so an answer is
 * kept for SRCCACHE_TTL_MS and then asked again: a routing change mid-scan
 * takes effect within that time. Probes sent meanwhile with the old source
 * are still matched to their answers (by the source they carried) or
 * expire and are retried with the new one.
 *
 * Direct-mapped, of fixed size: no allocation per host, and memory stays
 * flat however many hosts a scan has (a collision only asks again). A
 * failed look-up (no route) is not kept. Not thread-safe: one per thread. */
#ifndef PORTOLAN_SRCCACHE_H
#define PORTOLAN_SRCCACHE_H

#include <stdint.h>

#include "addr.h"

#define SRCCACHE_TTL_MS 1000
#define SRCCACHE_SLOTS 4096

/* Asks where the cache has no fresh answer: 0 and *src set, or an errno. */
typedef int (*srccache_lookup_fn)(const struct pl_addr *dst, struct pl_addr *src, void *ud);

struct srccache;

/* lookup NULL: the routing table's answer (srccache_route_source). */
struct srccache *srccache_new(srccache_lookup_fn lookup, void *ud);
void srccache_free(struct srccache *c);

/* Our address towards dst at time now_ns (mono_ns): 0 and *src set, or
 * the look-up's errno (ENETUNREACH: no route). */
int srccache_get(struct srccache *c, const struct pl_addr *dst, int64_t now_ns,
		 struct pl_addr *src);

/* The kernel's choice: a UDP socket's connect() sends nothing but picks
 * the route and the source. c's sockets are reused from call to call. */
int srccache_route_source(const struct pl_addr *dst, struct pl_addr *src, void *c);

#endif
