/* ptr.h: reverse DNS (PTR) names for hosts with open ports.
 *
 * Lookups run on a small pool of their own threads, once per address, and a
 * caller waits for one at most timeout_ms: getnameinfo() has no timeout of
 * its own, and a slow resolver must not stall a scan. */
#ifndef PORTOLAN_PTR_H
#define PORTOLAN_PTR_H

#include "addr.h"

struct ptr_cache;

struct ptr_cache *ptr_cache_new(unsigned timeout_ms);
/* Waits for lookups still running (each is bounded by the resolver). */
void ptr_cache_free(struct ptr_cache *pc);

/* The PTR name of a, or NULL when there is none or it did not come in time.
 * Returns a new string (g_free). Thread-safe. */
char *ptr_cache_lookup(struct ptr_cache *pc, const struct pl_addr *a);

#endif
