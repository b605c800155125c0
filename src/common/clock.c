/* clock.c: the monotonic clock (clock.h).
 *
 * CLOCK_MONOTONIC is in POSIX and on every system portolan builds for;
 * clock_gettime cannot fail with a valid clock id and a valid pointer, so
 * there is no error to report. */
#include "clock.h"

#include <time.h>

#define NS_PER_S INT64_C(1000000000)

int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

int64_t mono_ms(void)
{
	return mono_ns() / 1000000;
}
