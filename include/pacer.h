/* pacer.h: the SYN scan's own brake on its send rate.
 *
 * --max-rate is the user's ceiling; the pacer is the scan's reaction to its
 * own capture dropping answers (the kernel buffer the receiver reads from
 * overflowed). Each interval in which the capture dropped halves the rate
 * the scan sends at (from what it actually sent in that interval), and each
 * quiet interval raises it again by a thirty-second, up to the rate at which
 * the last drop happened; that ceiling itself creeps up while all is quiet,
 * so a scan that dropped once in a burst is not slow for ever.
 *
 * Until the first drop there is no limit and pacer_wait returns at once.
 * The slots are kept by a ratelimit (include/ratelimit.h) whose rate the
 * pacer moves. pacer_update, pacer_rate and pacer_lowest belong to one
 * thread (the receiver; pacer_lowest also to whoever joined it);
 * pacer_wait and pacer_close may be called from any. */
#ifndef PORTOLAN_PACER_H
#define PORTOLAN_PACER_H

#include <stdbool.h>
#include <stdint.h>

/* The lowest rate a drop can bring the scan to (packets/s). */
#define PACER_MIN_RATE 100.0

struct pacer;

struct pacer *pacer_new(void);
void pacer_free(struct pacer *p);

/* One interval's account: packets sent and capture drops seen in it. */
void pacer_update(struct pacer *p, uint64_t sent, uint64_t drops, int64_t interval_ns);

/* The rate the scan may send at now (packets/s), 0 for no limit. */
double pacer_rate(const struct pacer *p);
/* The lowest rate it was brought to, 0 if never. */
double pacer_lowest(const struct pacer *p);

/* Blocks until the caller may send one packet: true, or false at once
 * when the pacer was closed (the scan is stopping: send nothing more). */
bool pacer_wait(struct pacer *p);
/* Wakes every waiter for good. Safe more than once, from any thread. */
void pacer_close(struct pacer *p);
/* The clock-free core: the time from which a caller arriving at now_ns may
 * send (<= now_ns: at once); reserves that slot. */
int64_t pacer_reserve_at(struct pacer *p, int64_t now_ns);

#endif
