/* test_ratelimit.c: the token bucket on a simulated clock grants exactly
 * burst + T / interval tokens in T, however many takers compete (simulated
 * takers, and real threads in ratelimit_take on a clock the test moves);
 * idle time refills at most the burst; close releases blocked takers. No
 * assertion here depends on wall-clock speed (bench/ratecheck.c measures
 * real rates). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "ratelimit.h"

#define SEC INT64_C(1000000000)

/* One taker that probes the moment it gets a token. Returns the number of
 * tokens usable at or before end_ns. */
static uint64_t simulate_one(struct ratelimit *rl, int64_t from_ns, int64_t end_ns)
{
	int64_t t = from_ns;
	uint64_t n = 0;

	for (;;) {
		int64_t s = ratelimit_reserve_at(rl, t);

		if (s > t)
			t = s;
		if (t > end_ns)
			return n;
		n++;
	}
}

static void test_single_taker_count(void **state)
{
	struct ratelimit *rl = ratelimit_new_burst(1000, 10);

	/* 10 at once, then one every millisecond: 10 + 10000 in 10 s. */
	assert_int_equal(simulate_one(rl, 0, 10 * SEC), 10010);
	ratelimit_free(rl);

	rl = ratelimit_new(1000);
	assert_int_equal(ratelimit_burst(rl), 10);
	assert_int_equal(simulate_one(rl, 5 * SEC, 15 * SEC), 10010);
	ratelimit_free(rl);

	/* Fractional and non-dividing rates. */
	rl = ratelimit_new(0.5);
	assert_int_equal(simulate_one(rl, 0, 10 * SEC), 1 + 5);
	ratelimit_free(rl);
	rl = ratelimit_new(3);
	assert_int_equal(simulate_one(rl, 0, 10 * SEC), 1 + 30);
	ratelimit_free(rl);
	rl = ratelimit_new(200000);
	assert_int_equal(ratelimit_burst(rl), 2000);
	assert_int_equal(simulate_one(rl, 0, 10 * SEC), 2000 + 2000000);
	ratelimit_free(rl);
}

#define TAKERS 300

/* TAKERS simulated workers, each spending busy_ns on a probe after its token;
 * the earliest free worker always moves next, as the scheduler would let it. */
static uint64_t simulate_many(struct ratelimit *rl, int64_t busy_ns, int64_t end_ns)
{
	int64_t free_at[TAKERS] = { 0 };
	uint64_t n = 0;

	for (;;) {
		int w = 0;
		int64_t s;

		for (int i = 1; i < TAKERS; i++)
			if (free_at[i] < free_at[w])
				w = i;
		if (free_at[w] > end_ns)
			return n;
		s = ratelimit_reserve_at(rl, free_at[w]);
		if (s < free_at[w])
			s = free_at[w];
		if (s <= end_ns)
			n++;
		free_at[w] = s + busy_ns;
	}
}

static void test_many_takers_same_count(void **state)
{
	struct ratelimit *rl = ratelimit_new_burst(5000, 50);

	/* Instant probes and 300 workers: still 50 + 5000 * 10. */
	assert_int_equal(simulate_many(rl, 0, 10 * SEC), 50 + 50000);
	ratelimit_free(rl);

	/* Slow probes (20 ms each) with enough workers to keep up. */
	rl = ratelimit_new_burst(5000, 50);
	assert_int_equal(simulate_many(rl, 20000000, 10 * SEC), 50 + 50000);
	ratelimit_free(rl);
}

static void test_idle_refills_at_most_burst(void **state)
{
	struct ratelimit *rl = ratelimit_new_burst(10, 10);   /* interval 100 ms */
	int64_t t = 100 * SEC;

	/* After a long idle spell: burst tokens at once, the next one interval on. */
	for (int i = 0; i < 10; i++)
		assert_true(ratelimit_reserve_at(rl, t) <= t);
	assert_true(ratelimit_reserve_at(rl, t) == t + SEC / 10);

	/* Drained at t (the next free slot is t + 200 ms); at t + 350 ms the
	 * slots at +200 and +300 ms are due and the one at +400 ms is not. */
	t += 350 * (SEC / 1000);
	assert_true(ratelimit_reserve_at(rl, t) <= t);
	assert_true(ratelimit_reserve_at(rl, t) <= t);
	assert_true(ratelimit_reserve_at(rl, t) > t);
	ratelimit_free(rl);
}

/* set_rate moves the grid from the next take on; 0 lifts the limit and
 * a rate set again limits anew, with the same burst. */
static void test_set_rate(void **state)
{
	struct ratelimit *rl = ratelimit_new_burst(10, 1);    /* 100 ms */
	int64_t t = 100 * SEC;

	assert_true(ratelimit_reserve_at(rl, t) == t);
	assert_true(ratelimit_reserve_at(rl, t) == t + SEC / 10);
	ratelimit_set_rate(rl, 1000);                         /* 1 ms */
	/* The take at +100 ms freed the next slot at +200 ms on the old grid;
	 * from there the slots are 1 ms apart. */
	assert_true(ratelimit_reserve_at(rl, t) == t + 2 * (SEC / 10));
	assert_true(ratelimit_reserve_at(rl, t) == t + 2 * (SEC / 10) + SEC / 1000);
	ratelimit_set_rate(rl, 0);
	for (int i = 0; i < 1000; i++)
		assert_true(ratelimit_reserve_at(rl, t) == t);
	ratelimit_set_rate(rl, -3);
	assert_true(ratelimit_reserve_at(rl, t) == t);
	ratelimit_set_rate(rl, 2);                            /* 500 ms */
	t += 10 * SEC;
	assert_true(ratelimit_reserve_at(rl, t) == t);
	assert_true(ratelimit_reserve_at(rl, t) == t + SEC / 2);
	assert_int_equal(ratelimit_burst(rl), 1);
	ratelimit_free(rl);
}

static void test_unset_and_bad_rates(void **state)
{
	assert_null(ratelimit_new(0));
	assert_null(ratelimit_new(-5));
	assert_null(ratelimit_new(NAN));
	assert_null(ratelimit_new_burst(10, 0));
	/* No limiter: every take is allowed; close and free accept NULL. */
	for (int i = 0; i < 1000; i++)
		assert_true(ratelimit_take(NULL));
	ratelimit_close(NULL);
	ratelimit_free(NULL);

	struct ratelimit *rl = ratelimit_new(250);

	assert_int_equal(ratelimit_burst(rl), 2);
	ratelimit_free(rl);
	rl = ratelimit_new(1);
	assert_int_equal(ratelimit_burst(rl), 1);
	ratelimit_free(rl);
}

#define THREADS 16
#define TAKES 2000

struct taker {
	struct ratelimit *rl;
	atomic_int granted, refused;
	int n;
};

static void *take_main(void *arg)
{
	struct taker *k = arg;

	for (int i = 0; i < k->n; i++) {
		if (ratelimit_take(k->rl))
			atomic_fetch_add(&k->granted, 1);
		else
			atomic_fetch_add(&k->refused, 1);
	}
	return NULL;
}

/* Real threads and the real clock at a high rate: every take is granted. */
static void test_threads_all_granted(void **state)
{
	struct taker k = { .rl = ratelimit_new(2000000), .n = TAKES };
	pthread_t th[THREADS];

	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, take_main, &k), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(atomic_load(&k.granted), THREADS * TAKES);
	assert_int_equal(atomic_load(&k.refused), 0);
	ratelimit_free(k.rl);
}

/* ---- real threads on a simulated clock ---- */

#define SIM_THREADS 16
#define SIM_MAX_TAKES 5000   /* a limiter that never waits ends, and fails */
#define SIM_FREE INT64_MIN

/* The test's clock: time moves only when the test says so. Takers block in
 * wait_until, each in a slot holding its deadline; the test reads a count
 * only once every taker is blocked on a deadline still ahead, or done, so
 * the count is settled. */
struct sim_clock {
	pthread_mutex_t lock;
	pthread_cond_t moved;       /* time moved, or wake */
	pthread_cond_t settled;     /* a taker blocked or finished */
	int64_t now;
	int64_t deadline[SIM_THREADS];
	unsigned done;
	bool woken;
};

static int64_t sim_now(void *ctx)
{
	struct sim_clock *c = ctx;
	int64_t t;

	pthread_mutex_lock(&c->lock);
	t = c->now;
	pthread_mutex_unlock(&c->lock);
	return t;
}

static void sim_wait_until(void *ctx, int64_t deadline)
{
	struct sim_clock *c = ctx;
	unsigned slot = 0;

	pthread_mutex_lock(&c->lock);
	while (c->deadline[slot] != SIM_FREE)
		slot++;             /* at most SIM_THREADS takers wait */
	c->deadline[slot] = deadline;
	pthread_cond_broadcast(&c->settled);
	while (c->now < deadline && !c->woken)
		pthread_cond_wait(&c->moved, &c->lock);
	c->deadline[slot] = SIM_FREE;
	pthread_mutex_unlock(&c->lock);
}

static void sim_wake(void *ctx)
{
	struct sim_clock *c = ctx;

	pthread_mutex_lock(&c->lock);
	c->woken = true;
	pthread_cond_broadcast(&c->moved);
	pthread_mutex_unlock(&c->lock);
}

/* Called with the lock held. A taker whose deadline has come is about to
 * take (and count) a token, so it is not settled yet. */
static bool sim_settled(const struct sim_clock *c)
{
	unsigned ahead = 0;

	for (unsigned i = 0; i < SIM_THREADS; i++)
		if (c->deadline[i] != SIM_FREE && c->deadline[i] > c->now)
			ahead++;
	return ahead + c->done == SIM_THREADS;
}

struct sim_taker {
	struct ratelimit *rl;
	struct sim_clock *clock;
	atomic_uint granted;
};

static void *sim_take_main(void *arg)
{
	struct sim_taker *k = arg;

	for (int i = 0; i < SIM_MAX_TAKES && ratelimit_take(k->rl); i++)
		atomic_fetch_add(&k->granted, 1);
	pthread_mutex_lock(&k->clock->lock);
	k->clock->done++;
	pthread_cond_broadcast(&k->clock->settled);
	pthread_mutex_unlock(&k->clock->lock);
	return NULL;
}

/* Moves the clock to t and returns the tokens granted once every taker has
 * settled. */
static unsigned sim_advance(struct sim_taker *k, int64_t t)
{
	struct sim_clock *c = k->clock;

	pthread_mutex_lock(&c->lock);
	c->now = t;
	pthread_cond_broadcast(&c->moved);
	while (!sim_settled(c))
		pthread_cond_wait(&c->settled, &c->lock);
	pthread_mutex_unlock(&c->lock);
	return atomic_load(&k->granted);
}

/* SIM_THREADS threads race in ratelimit_take (the CAS, the wait, the
 * wake-ups) while the test moves the clock by uneven steps: at every time t
 * exactly burst + floor(t / interval) tokens have been granted, never one
 * more. A limiter that grants too many, loses a token to a race, or does not
 * wait fails here; the all-granted test above passes at any rate. */
static void test_threads_simulated_clock_exact(void **state)
{
	struct sim_clock c = { .now = 0 };
	struct sim_taker k = { .rl = ratelimit_new_burst(1000, 10), .clock = &c };
	struct ratelimit_clock rc = { sim_now, sim_wait_until, sim_wake, &c };
	const int64_t ms = SEC / 1000;
	pthread_t th[SIM_THREADS];
	int64_t t = 0;

	for (int i = 0; i < SIM_THREADS; i++)
		c.deadline[i] = SIM_FREE;
	pthread_mutex_init(&c.lock, NULL);
	pthread_cond_init(&c.moved, NULL);
	pthread_cond_init(&c.settled, NULL);
	ratelimit_set_clock(k.rl, &rc);
	for (int i = 0; i < SIM_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, sim_take_main, &k), 0);
	assert_int_equal(sim_advance(&k, 0), 10);          /* the burst */
	for (int step = 0; step < 400; step++) {
		/* 0.37 ms steps, and a 20 ms jump now and then. The takers are
		 * never idle: 16 of them hold the next 16 slots, so a jump of up to
		 * 16 + 9 (the burst's window) intervals loses no slot, and the
		 * count stays exact. (Idle time refilling at most the burst is
		 * test_idle_refills_at_most_burst.) */
		t += step % 97 == 96 ? 20 * ms : 370 * (ms / 1000);
		assert_int_equal(sim_advance(&k, t), 10 + t / ms);
	}
	ratelimit_close(k.rl);
	for (int i = 0; i < SIM_THREADS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(atomic_load(&k.granted), 10 + t / ms);
	assert_false(ratelimit_take(k.rl));
	ratelimit_free(k.rl);
	pthread_cond_destroy(&c.settled);
	pthread_cond_destroy(&c.moved);
	pthread_mutex_destroy(&c.lock);
}

/* One token per 1000 s: after the first, takers would sleep for an hour or
 * more; close must release them all with a refusal. */
static void test_close_releases_waiters(void **state)
{
	struct taker k = { .rl = ratelimit_new_burst(0.001, 1), .n = 1 };
	struct timespec pause = { 0, 50 * 1000000L };
	pthread_t th[4];

	assert_true(ratelimit_take(k.rl));
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, take_main, &k), 0);
	nanosleep(&pause, NULL);
	ratelimit_close(k.rl);
	ratelimit_close(k.rl);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(atomic_load(&k.granted), 0);
	assert_int_equal(atomic_load(&k.refused), 4);
	assert_false(ratelimit_take(k.rl));
	ratelimit_free(k.rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_taker_count),
		cmocka_unit_test(test_many_takers_same_count),
		cmocka_unit_test(test_idle_refills_at_most_burst),
		cmocka_unit_test(test_set_rate),
		cmocka_unit_test(test_unset_and_bad_rates),
		cmocka_unit_test(test_threads_all_granted),
		cmocka_unit_test(test_threads_simulated_clock_exact),
		cmocka_unit_test(test_close_releases_waiters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
