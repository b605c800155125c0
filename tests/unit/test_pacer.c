/* test_pacer.c: the SYN scan's brake: no limit until a drop; a drop halves
 * what was really sent; quiet intervals raise the rate back towards the
 * rate of the last drop, then lift that ceiling slowly; reserved slots are
 * spaced by the gap, whatever the callers' arrival times. All on simulated
 * time: nothing here depends on the machine's speed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pacer.h"

#define MS INT64_C(1000000)
#define SEC INT64_C(1000000000)

static void test_no_limit_until_a_drop(void **unused)
{
	struct pacer *p = pacer_new();

	assert_true(pacer_rate(p) == 0);
	pacer_update(p, 50000, 0, 50 * MS);
	assert_true(pacer_rate(p) == 0);
	assert_true(pacer_lowest(p) == 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(pacer_reserve_at(p, 7), 7);
	pacer_free(p);
}

static void test_drop_halves_what_was_sent(void **unused)
{
	struct pacer *p = pacer_new();

	/* 20,000 sent in 50 ms: 400k/s; a drop brings it to 200k/s. */
	pacer_update(p, 20000, 3, 50 * MS);
	assert_float_equal(pacer_rate(p), 200000, 1);
	/* Another drop, though the scan sent less than allowed (the queue ran
	 * dry): halve what it sent, not the unused allowance. */
	pacer_update(p, 5000, 1, 50 * MS);
	assert_float_equal(pacer_rate(p), 50000, 1);
	assert_float_equal(pacer_lowest(p), 50000, 1);
	pacer_free(p);
}

/* Drops counted in an interval in which the scan sent nothing (the sender
 * waited on its queue, or the capture's counter lagged) belong to the last
 * interval that did send: halve that one's rate, not the floor's. */
static void test_drop_after_an_idle_interval(void **unused)
{
	struct pacer *p = pacer_new();

	pacer_update(p, 10000, 0, 50 * MS);          /* 200k/s, no drop */
	pacer_update(p, 0, 4, 50 * MS);              /* idle, then drops */
	assert_float_equal(pacer_rate(p), 100000, 1);
	pacer_update(p, 0, 1, 50 * MS);              /* again: halve the limit */
	assert_float_equal(pacer_rate(p), 50000, 1);
	pacer_free(p);
}

/* Closing wakes a sender waiting for a slow slot and refuses the rest. */
static void test_close_refuses(void **unused)
{
	struct pacer *p = pacer_new();

	assert_true(pacer_wait(p));                  /* no limit yet */
	pacer_update(p, 1, 1, SEC);                  /* the floor: 100/s */
	pacer_close(p);
	pacer_close(p);
	assert_false(pacer_wait(p));
	pacer_free(p);
}

static void test_floor(void **unused)
{
	struct pacer *p = pacer_new();

	for (int i = 0; i < 40; i++)
		pacer_update(p, 1, 1, 50 * MS);
	assert_float_equal(pacer_rate(p), PACER_MIN_RATE, 0.01);
	pacer_free(p);
}

static void test_quiet_raises_to_the_ceiling_then_beyond_slowly(void **unused)
{
	struct pacer *p = pacer_new();
	double r, prev;
	int n;

	pacer_update(p, 5000, 1, 50 * MS);          /* 100k/s: now 50k/s */
	assert_float_equal(pacer_rate(p), 50000, 1);
	prev = pacer_rate(p);
	for (n = 0; pacer_rate(p) < 100000 - 1; n++) {
		pacer_update(p, 2500, 0, 50 * MS);
		r = pacer_rate(p);
		assert_true(r > prev);
		assert_true(r <= prev * (1 + 1.0 / 32) * 1.001); /* gap in whole ns */
		prev = r;
	}
	/* Back to the ceiling in about ln 2 / ln(33/32) intervals, not at once. */
	assert_in_range(n, 20, 24);
	/* Then the ceiling itself creeps up by a sixty-fourth per interval. */
	pacer_update(p, 5000, 0, 50 * MS);
	r = pacer_rate(p);
	assert_true(r > 100000);
	assert_true(r <= 100000 * (1 + 1.0 / 64) * 1.001);
	pacer_free(p);
}

static void test_slots_spaced_by_the_gap(void **unused)
{
	struct pacer *p = pacer_new();
	int64_t t, prev = -1;

	pacer_update(p, 2000, 1, SEC);               /* 2,000/s: now 1,000/s */
	assert_float_equal(pacer_rate(p), 1000, 0.01);
	/* 100 callers arriving at once get slots 1 ms apart. */
	for (int i = 0; i < 100; i++) {
		t = pacer_reserve_at(p, 10 * SEC);
		if (prev >= 0)
			assert_int_equal(t - prev, MS);
		prev = t;
	}
	assert_int_equal(prev, 10 * SEC + 99 * MS);
	/* A caller arriving after a pause goes at once: no burst is saved up
	 * beyond the one slot. */
	assert_int_equal(pacer_reserve_at(p, 20 * SEC), 20 * SEC);
	assert_int_equal(pacer_reserve_at(p, 20 * SEC), 20 * SEC + MS);
	pacer_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_limit_until_a_drop),
		cmocka_unit_test(test_drop_halves_what_was_sent),
		cmocka_unit_test(test_drop_after_an_idle_interval),
		cmocka_unit_test(test_close_refuses),
		cmocka_unit_test(test_floor),
		cmocka_unit_test(test_quiet_raises_to_the_ceiling_then_beyond_slowly),
		cmocka_unit_test(test_slots_spaced_by_the_gap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
