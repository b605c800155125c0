/* clock.h: the one monotonic clock every stage measures time with.
 *
 * Durations, deadlines and latencies are all taken on CLOCK_MONOTONIC, so a
 * change of the wall clock (NTP, an admin, a suspended VM) never stretches a
 * timeout or makes a latency negative. Safe from any thread. */
#ifndef PORTOLAN_CLOCK_H
#define PORTOLAN_CLOCK_H

#include <stdint.h>

/* Nanoseconds on the monotonic clock, from an unspecified origin. */
int64_t mono_ns(void);
/* The same in whole milliseconds (truncated). */
int64_t mono_ms(void);

#endif
