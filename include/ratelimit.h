/* ratelimit.h: one probe-rate limit (--max-rate) shared by every worker.
 *
 * A token bucket kept as a single "next token time" (virtual scheduling, the
 * GCRA form of a token bucket): each take reserves the next slot on a grid of
 * 1/rate seconds and sleeps until it with an absolute CLOCK_MONOTONIC
 * deadline, so sleeping late never makes the rate drift and no waiter is
 * woken for someone else's token. After an idle spell at most `burst` tokens
 * are available at once (max(1, rate/100): a hundredth of a second's worth),
 * which keeps the rate smooth.
 *
 * A NULL limiter means no limit: ratelimit_take(NULL) is one inline test. */
#ifndef PORTOLAN_RATELIMIT_H
#define PORTOLAN_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ratelimit;

/* per_second > 0 (fractions allowed, e.g. 0.5 for one probe every 2 s).
 * Returns NULL when per_second is not positive (no limit wanted) or on
 * allocation failure. */
struct ratelimit *ratelimit_new(double per_second);
/* As ratelimit_new, with an explicit bucket size (burst >= 1). */
struct ratelimit *ratelimit_new_burst(double per_second, uint64_t burst);
/* Accepts NULL. No thread may still be inside ratelimit_take. */
void ratelimit_free(struct ratelimit *rl);

/* Blocks until the caller may send one probe. Returns true when it may, false
 * when the limiter was closed (the scan is stopping): the caller should not
 * probe. Any number of threads may call it at once. */
bool ratelimit_take_wait(struct ratelimit *rl);

static inline bool ratelimit_take(struct ratelimit *rl)
{
	return rl == NULL || ratelimit_take_wait(rl);
}

/* Wakes every waiter; from now on every take returns false at once. Safe to
 * call more than once and from any thread. */
void ratelimit_close(struct ratelimit *rl);

/* The clock-free core, for tests and simulations: reserves one token for a
 * caller arriving at now_ns (any monotonic nanosecond clock) and returns the
 * time from which it may use it; a time <= now_ns means at once. */
int64_t ratelimit_reserve_at(struct ratelimit *rl, int64_t now_ns);

/* Changes the rate from the next take on (any thread, at any time); a
 * per_second that is not positive lifts the limit: takes then return at
 * once until a rate is set again. Tokens already reserved keep their time.
 * The SYN scan's pacer (src/methods/pacer.c) moves its rate this way. */
void ratelimit_set_rate(struct ratelimit *rl, double per_second);

/* The effective burst (tokens available at once after an idle spell). */
uint64_t ratelimit_burst(const struct ratelimit *rl);

/* A clock for tests, so that real threads can be run against simulated time
 * and the tokens they got counted exactly. now_ns gives the time; wait_until
 * blocks the calling taker until now_ns reaches deadline_ns, or earlier once
 * wake has been called (the limiter then looks at the time and at close
 * again); ratelimit_close calls wake. All three may be called from any
 * thread at once. */
struct ratelimit_clock {
	int64_t (*now_ns)(void *ctx);
	void (*wait_until)(void *ctx, int64_t deadline_ns);
	void (*wake)(void *ctx);
	void *ctx;
};

/* Replaces CLOCK_MONOTONIC with *clock (copied) for every later take; call it
 * before the first take, while no thread is inside the limiter. NULL goes
 * back to CLOCK_MONOTONIC. Production code never calls it: without it a take
 * costs one more predictable branch. */
void ratelimit_set_clock(struct ratelimit *rl, const struct ratelimit_clock *clock);

#endif
