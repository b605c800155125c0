/* rdns.h: reverse DNS (PTR) names for hosts with open ports.
 *
 * Lookups run on a small pool of their own threads, once per address, and a
 * caller waits for one at most timeout_ms: getnameinfo() has no timeout of
 * its own, and a slow resolver must not stall a scan. */
#ifndef PORTOLAN_PTR_H
#define PORTOLAN_PTR_H

#include "addr.h"

struct rdns_cache;

struct rdns_cache *rdns_cache_new(unsigned timeout_ms);
/* Waits for lookups still running (each is bounded by the resolver). */
void rdns_cache_free(struct rdns_cache *pc);

/* The PTR name of a, or NULL when there is none or it did not come in time.
 * Returns a new string (g_free). Thread-safe. */
char *rdns_cache_lookup(struct rdns_cache *pc, const struct pl_addr *a);

#endif
