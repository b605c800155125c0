/* test_udprate.c: learning a host's ICMP rate limit from arrival times.
 *
 * Times are fed by hand (ns), as a token bucket would grant them: a burst,
 * then one error per interval while learning probes every 50 ms, with the
 * jitter of that step. Checked: a host that answers every probe at once is
 * never paced; a limit of 1000 ms and one of 250 ms are learnt within a
 * step and paced with a margin; learning gives up on Linux's default when
 * too few errors come; a loss on the learnt pace widens it, up to a bound;
 * silences of a host that never sent ICMP are not suspect; slots are
 * spaced by the pace. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "udprate.h"

#define MS 1000000LL

/* A limited host: a burst of 6 first-try answers at t0, a silence after
 * retries at t0 + 300 ms (learning starts), then errors at the given
 * spacings (ms) from t0 + 1000 ms, each on a port that was silent before. */
static bool feed(struct udprate *r, const int *spacing, size_t n, int64_t *t_end)
{
	int64_t t = 1000 * MS;
	bool done = false;

	udprate_init(r);
	for (int i = 0; i < 6; i++)
		assert_false(udprate_answer(r, t + i * 100000, false, false));
	assert_int_equal(r->phase, UDPRATE_UNKNOWN);
	assert_true(udprate_suspect(r, t + 300 * MS, true));
	assert_int_equal(r->phase, UDPRATE_LEARNING);
	t += 1000 * MS;
	for (size_t i = 0; i < n; i++) {
		t += spacing[i] * MS;
		done = udprate_answer(r, t, true, false);
		if (done)
			break;
	}
	*t_end = t;
	return done;
}

static void test_unlimited_never_paced(void **state)
{
	struct udprate r;
	bool learnt = true;

	(void)state;
	udprate_init(&r);
	for (int i = 0; i <= UDPRATE_BURST_MAX; i++)
		(void)udprate_answer(&r, 1000 * MS + i * 1000, false, false);
	assert_int_equal(r.phase, UDPRATE_UNLIMITED);
	/* A silent port (a DROP) on such a host is not a lost ICMP error. */
	assert_false(udprate_suspect(&r, 2000 * MS, true));
	for (int i = 0; i < 5; i++)
		assert_int_equal(udprate_slot(&r, 3000 * MS, &learnt), 3000 * MS);
	assert_false(learnt);
	assert_int_equal(r.paced_waits, 0);
	assert_int_equal(udprate_interval_ms(&r), 0);
}

static void test_no_icmp_no_suspect(void **state)
{
	struct udprate r;

	(void)state;
	udprate_init(&r);
	assert_false(udprate_suspect(&r, 5000 * MS, false));
	assert_int_equal(r.phase, UDPRATE_UNKNOWN);
}

static void test_learn_1000(void **state)
{
	static const int spacing[] = { 0, 1000, 1050, 1000, 1000 };
	struct udprate r;
	int64_t t;
	bool learnt = false;

	(void)state;
	assert_true(feed(&r, spacing, 5, &t));
	assert_int_equal(r.phase, UDPRATE_PACED);
	assert_in_range(udprate_interval_ms(&r), 1000, 1050);
	/* The margin: a tenth. */
	assert_in_range(r.pace_ns / MS, 1100, 1160);
	{
		int64_t s1 = udprate_slot(&r, t, &learnt), s2 = udprate_slot(&r, t, &learnt);

		assert_true(learnt);
		assert_int_equal(s2 - s1, r.pace_ns);
	}
}

static void test_learn_250(void **state)
{
	/* 250 ms on a 50 ms grid: 250 or 300, and the first error right away
	 * (a token left over). */
	static const int spacing[] = { 0, 250, 300, 250, 250 };
	struct udprate r;
	int64_t t;

	(void)state;
	assert_true(feed(&r, spacing, 5, &t));
	assert_int_equal(udprate_interval_ms(&r), 250);
	/* At least a step of margin: 300 ms, far from the fixed 1100. */
	assert_int_equal(r.pace_ns / MS, 300);
}

static void test_learning_bursts_ignored(void **state)
{
	/* Answers to sends made before learning come all at once: gaps under
	 * half a step say nothing of the refill. */
	static const int spacing[] = { 0, 1, 2, 1, 500, 500, 500 };
	struct udprate r;
	int64_t t;

	(void)state;
	assert_true(feed(&r, spacing, 7, &t));
	assert_int_equal(udprate_interval_ms(&r), 500);
}

static void test_learning_finds_no_limit(void **state)
{
	/* Every learning step answered: the silences were not the limit. */
	static const int spacing[] = { 50, 50, 50, 50 };
	struct udprate r;
	int64_t t;
	bool learnt;

	(void)state;
	assert_false(feed(&r, spacing, 4, &t));
	assert_int_equal(r.phase, UDPRATE_UNLIMITED);
	assert_int_equal(udprate_slot(&r, t, &learnt), t);
	assert_false(udprate_suspect(&r, t, true));
}

static void test_learning_gives_up(void **state)
{
	static const int spacing[] = { 0, 2000 };
	struct udprate r;
	int64_t t;
	bool learnt = false;

	(void)state;
	assert_false(feed(&r, spacing, 2, &t));
	assert_int_equal(r.phase, UDPRATE_LEARNING);
	(void)udprate_slot(&r, r.learn_since_ns + (UDPRATE_LEARN_MAX_MS - 1) * MS, &learnt);
	assert_false(learnt);
	(void)udprate_slot(&r, r.learn_since_ns + UDPRATE_LEARN_MAX_MS * MS, &learnt);
	assert_true(learnt);
	assert_int_equal(udprate_interval_ms(&r), UDPRATE_DEFAULT_MS);
}

static void test_paced_loss_widens(void **state)
{
	static const int spacing[] = { 0, 1000, 1000, 1000 };
	struct udprate r;
	int64_t t, pace;

	(void)state;
	assert_true(feed(&r, spacing, 4, &t));
	pace = r.pace_ns;
	/* Late, but lost while learning: not the pace's fault. */
	(void)udprate_answer(&r, t + 10 * MS, true, false);
	assert_int_equal(r.pace_ns, pace);
	(void)udprate_answer(&r, t + 20 * MS, true, true);
	assert_int_equal(r.pace_ns, pace + pace / 4);
	for (int i = 0; i < 50; i++)
		(void)udprate_answer(&r, t + (30 + i) * MS, true, true);
	assert_int_equal(r.pace_ns, UDPRATE_MAX_MS * MS);
}

static void test_late_answer_starts_learning(void **state)
{
	struct udprate r;
	bool learnt;

	(void)state;
	udprate_init(&r);
	(void)udprate_answer(&r, 10 * MS, false, false);
	(void)udprate_answer(&r, 20 * MS, true, false);
	assert_int_equal(r.phase, UDPRATE_LEARNING);
	/* Learning sends one per step. */
	assert_int_equal(udprate_slot(&r, 30 * MS, &learnt), 30 * MS);
	assert_int_equal(udprate_slot(&r, 30 * MS, &learnt), 30 * MS + UDPRATE_LEARN_STEP_MS * MS);
	assert_false(learnt);
	assert_int_equal(r.paced_waits, 1);
}

static void test_median(void **state)
{
	int64_t a[] = { 5, 1, 3 }, b[] = { 4, 1, 3, 2 }, c[] = { 7 };

	(void)state;
	assert_int_equal(udprate_median(a, 3), 3);
	assert_int_equal(udprate_median(b, 4), 2);   /* (2 + 3) / 2 */
	assert_int_equal(udprate_median(c, 1), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unlimited_never_paced),
		cmocka_unit_test(test_no_icmp_no_suspect),
		cmocka_unit_test(test_learn_1000),
		cmocka_unit_test(test_learn_250),
		cmocka_unit_test(test_learning_bursts_ignored),
		cmocka_unit_test(test_learning_finds_no_limit),
		cmocka_unit_test(test_learning_gives_up),
		cmocka_unit_test(test_paced_loss_widens),
		cmocka_unit_test(test_late_answer_starts_learning),
		cmocka_unit_test(test_median),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
