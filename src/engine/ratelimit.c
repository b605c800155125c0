/* ratelimit.c: a shared token bucket as one atomic "next token time".
 *
 * Reserving a token is a compare-and-swap on `tat` (the theoretical arrival
 * time of the next token, in CLOCK_MONOTONIC nanoseconds): a taker gets
 * max(tat, now - window) as its send time and moves tat one interval on.
 * The window bounds the credit an idle spell can build up to `burst` tokens.
 * Reservation takes no lock; only a caller that has to wait touches the
 * mutex, and it sleeps on a condition with an absolute deadline so that
 * ratelimit_close can wake it (a plain clock_nanosleep could not be cut
 * short, and at low rates hundreds of workers may hold reservations minutes
 * ahead).
 *
 * The interval is whole nanoseconds; the rounding error is below 0.01% at
 * 200000/s.
 *
 * Tests may swap the clock (ratelimit_set_clock) to count the tokens that
 * real, competing threads get on simulated time; the monotonic path stays
 * as it was, behind one branch. */
#include "ratelimit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define NS_PER_S INT64_C(1000000000)

/* Where a condition can wait on the monotonic clock; macOS cannot, so there
 * the deadline is carried over to the realtime clock just before waiting. */
#if defined(_POSIX_CLOCK_SELECTION) && _POSIX_CLOCK_SELECTION > 0
#define WAIT_ON_MONOTONIC 1
#else
#define WAIT_ON_MONOTONIC 0
#endif

struct ratelimit {
	_Atomic int64_t tat;         /* send time of the next token */
	_Atomic int64_t interval_ns; /* 1 / rate; 0: no limit (set_rate) */
	_Atomic int64_t window_ns;   /* (burst - 1) intervals of credit */
	uint64_t burst;
	atomic_bool closed;          /* written under lock, read anywhere */
	pthread_mutex_t lock;
	pthread_cond_t wake;         /* broadcast only by ratelimit_close */
	struct ratelimit_clock clock; /* tests only; now_ns NULL: CLOCK_MONOTONIC */
};

static struct timespec deadline_ts(int64_t mono_deadline)
{
	struct timespec ts;
	int64_t d = mono_deadline;

	if (!WAIT_ON_MONOTONIC) {
		struct timespec rt;

		clock_gettime(CLOCK_REALTIME, &rt);
		d = (int64_t)rt.tv_sec * NS_PER_S + rt.tv_nsec + (mono_deadline - mono_ns());
	}
	ts.tv_sec = (time_t)(d / NS_PER_S);
	ts.tv_nsec = (long)(d % NS_PER_S);
	return ts;
}

struct ratelimit *ratelimit_new_burst(double per_second, uint64_t burst)
{
	struct ratelimit *rl;
	pthread_condattr_t ca;

	/* The negated test also turns NaN away. */
	if (!(per_second > 0.0) || burst == 0)
		return NULL;
	rl = malloc(sizeof(*rl));
	if (rl == NULL)
		return NULL;
	if (burst > 1000000000u)
		burst = 1000000000u;
	rl->burst = burst;
	atomic_init(&rl->interval_ns, 0);
	atomic_init(&rl->window_ns, 0);
	ratelimit_set_rate(rl, per_second);
	/* Far in the past but clear of overflow: the bucket starts full. */
	atomic_init(&rl->tat, INT64_MIN / 4);
	atomic_init(&rl->closed, false);
	rl->clock = (struct ratelimit_clock){ 0 };
	pthread_mutex_init(&rl->lock, NULL);
	pthread_condattr_init(&ca);
#if WAIT_ON_MONOTONIC
	(void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
#endif
	pthread_cond_init(&rl->wake, &ca);
	pthread_condattr_destroy(&ca);
	return rl;
}

struct ratelimit *ratelimit_new(double per_second)
{
	double b = per_second / 100.0;

	/* A hundredth of a second of tokens, at least one. */
	return ratelimit_new_burst(per_second, b < 1.0 ? 1 : (uint64_t)b);
}

void ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_cond_destroy(&rl->wake);
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

/* The interval on the whole-nanosecond grid; 0 for no limit. */
static int64_t interval_for(double per_second)
{
	double interval;

	if (!(per_second > 0.0))
		return 0;
	interval = (double)NS_PER_S / per_second;
	/* Beyond a billion per second the grid is 1 ns; beyond a year per token
	 * the limit means "never", which nobody asks for: cap it. */
	if (interval < 1.0)
		interval = 1.0;
	if (interval > 365.0 * 86400.0 * (double)NS_PER_S)
		interval = 365.0 * 86400.0 * (double)NS_PER_S;
	return (int64_t)(interval + 0.5);
}

void ratelimit_set_rate(struct ratelimit *rl, double per_second)
{
	int64_t interval = interval_for(per_second);

	/* A taker between the two stores sees the old window with the new
	 * interval: one token's credit off for one take, no more. */
	atomic_store_explicit(&rl->window_ns, (int64_t)(rl->burst - 1) * interval,
			      memory_order_relaxed);
	atomic_store_explicit(&rl->interval_ns, interval, memory_order_relaxed);
}

uint64_t ratelimit_burst(const struct ratelimit *rl)
{
	return rl->burst;
}

int64_t ratelimit_reserve_at(struct ratelimit *rl, int64_t now_ns)
{
	int64_t interval = atomic_load_explicit(&rl->interval_ns, memory_order_relaxed);
	int64_t floor_ns = now_ns - atomic_load_explicit(&rl->window_ns, memory_order_relaxed);
	int64_t old, start;

	if (interval == 0)
		return now_ns;          /* no limit (ratelimit_set_rate 0) */
	old = atomic_load_explicit(&rl->tat, memory_order_relaxed);
	do {
		start = old > floor_ns ? old : floor_ns;
	} while (!atomic_compare_exchange_weak_explicit(&rl->tat, &old, start + interval,
							memory_order_relaxed,
							memory_order_relaxed));
	return start;
}

void ratelimit_set_clock(struct ratelimit *rl, const struct ratelimit_clock *clock)
{
	rl->clock = clock != NULL ? *clock : (struct ratelimit_clock){ 0 };
}

/* ratelimit_take_wait on a test's clock: the same reservation, the test's
 * wait. */
static bool take_on_test_clock(struct ratelimit *rl)
{
	const struct ratelimit_clock *c = &rl->clock;
	int64_t start = ratelimit_reserve_at(rl, c->now_ns(c->ctx));

	while (!atomic_load(&rl->closed) && c->now_ns(c->ctx) < start)
		c->wait_until(c->ctx, start);
	return !atomic_load(&rl->closed);
}

bool ratelimit_take_wait(struct ratelimit *rl)
{
	struct timespec ts;
	int64_t now, start;
	int rc = 0;
	bool ok;

	if (atomic_load(&rl->closed))
		return false;
	if (rl->clock.now_ns != NULL)
		return take_on_test_clock(rl);
	now = mono_ns();
	start = ratelimit_reserve_at(rl, now);
	if (start <= now)
		return true;
	ts = deadline_ts(start);
	pthread_mutex_lock(&rl->lock);
	/* Only close broadcasts, so a return of 0 before then is spurious;
	 * ETIMEDOUT (or any error) ends the wait. */
	while (!atomic_load(&rl->closed) && rc == 0)
		rc = pthread_cond_timedwait(&rl->wake, &rl->lock, &ts);
	ok = !atomic_load(&rl->closed);
	pthread_mutex_unlock(&rl->lock);
	return ok;
}

void ratelimit_close(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_lock(&rl->lock);
	atomic_store(&rl->closed, true);
	pthread_cond_broadcast(&rl->wake);
	pthread_mutex_unlock(&rl->lock);
	if (rl->clock.wake != NULL)
		rl->clock.wake(rl->clock.ctx);
}
