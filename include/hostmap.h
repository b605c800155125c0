/* hostmap.h: what host discovery knows of each host of a target window.
 *
 * Four bits per host index: 0 unseen, 1 pending (discovery is asking), 2
 * down, 3 and above up, the code naming the reason it was found up. Eight
 * hosts share a 32-bit atomic word, so readers (the producer, the results
 * thread) read a host's state without a lock, and nothing else grows with
 * the address space: a /24 costs 128 bytes, a /16 32 KiB (65536 / 2), a /8
 * 8 MiB, allocated with the window and freed with it (test_hostmap checks
 * the size). A reader that needs a pending host's answer waits on a
 * condition the writer signals. Any number of threads may use it. */
#ifndef PORTOLAN_HOSTMAP_H
#define PORTOLAN_HOSTMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "result.h"

enum host_state {
	HOST_UNSEEN = 0,
	HOST_PENDING = 1,
	HOST_DOWN = 2,
	HOST_UP = 3,        /* hostmap_get's answer for every up code */
};

struct hostmap;

/* A map of nhosts hosts, all unseen. Never NULL (GLib aborts on OOM). */
struct hostmap *hostmap_new(uint64_t nhosts);
/* No thread may be using it any more. Accepts NULL. */
void hostmap_free(struct hostmap *hm);

/* Bytes the map holds for its hosts: (nhosts + 7) / 8 words of 4 bytes. */
size_t hostmap_bytes(const struct hostmap *hm);
uint64_t hostmap_hosts(const struct hostmap *hm);

/* The host's state; for HOST_UP, *why (when not NULL) is the reason. */
enum host_state hostmap_get(const struct hostmap *hm, uint64_t host, enum reason *why);

/* Marks an unseen host pending: true, or false (changing nothing) when
 * it was seen already. */
bool hostmap_claim(struct hostmap *hm, uint64_t host);
/* Resolves a host: down, or up for reason why (which must be one of the up
 * reasons in result.h). Only a pending or unseen host changes: the first
 * answer stands, and true says this call made it. Wakes waiters. */
bool hostmap_resolve(struct hostmap *hm, uint64_t host, bool up, enum reason why);

/* Waits while the host is pending (or unseen: discovery has not reached
 * it yet) and returns its state; HOST_PENDING once hostmap_cancel was
 * called. */
enum host_state hostmap_wait(struct hostmap *hm, uint64_t host, enum reason *why);

/* Wakes every waiter, now and later: the scan is stopping. */
void hostmap_cancel(struct hostmap *hm);

#endif
