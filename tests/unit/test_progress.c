/* test_progress.c: the done tracker is exact whatever the completion order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <glib.h>

#include "progress.h"

static void test_in_order_and_gaps(void **state)
{
	struct progress *p = progress_new(0, NULL, 0);
	uint64_t *done, low;
	size_t n;

	progress_mark(p, 0);
	progress_mark(p, 1);
	progress_mark(p, 3);
	progress_mark(p, 5);
	low = progress_snapshot(p, &done, &n);
	assert_int_equal(low, 2);
	assert_int_equal(n, 2);
	assert_int_equal(done[0], 3);
	assert_int_equal(done[1], 5);
	g_free(done);
	assert_true(progress_is_done(p, 1));
	assert_false(progress_is_done(p, 2));
	assert_true(progress_is_done(p, 3));
	assert_false(progress_is_done(p, 4));

	progress_mark(p, 2);     /* closes the gap up to 4 */
	low = progress_snapshot(p, &done, &n);
	assert_int_equal(low, 4);
	assert_int_equal(n, 1);
	g_free(done);
	progress_free(p);
}

static void test_restore_round_trip(void **state)
{
	const uint64_t saved[] = { 12, 10, 15 };
	struct progress *p = progress_new(10, saved, 3);
	uint64_t *done, low;
	size_t n;

	/* 10 joins the watermark at once. */
	low = progress_snapshot(p, &done, &n);
	assert_int_equal(low, 11);
	assert_int_equal(n, 2);
	assert_int_equal(done[0], 12);
	assert_int_equal(done[1], 15);
	g_free(done);
	assert_true(progress_is_done(p, 9));
	assert_false(progress_is_done(p, 11));
	progress_free(p);
}

static void test_random_order_exact(void **state)
{
	enum { N = 5000 };
	uint64_t order[N], *done, low;
	size_t n;
	struct progress *p = progress_new(0, NULL, 0);

	for (uint64_t i = 0; i < N; i++)
		order[i] = i;
	srand(7);
	/* Shuffle within blocks of 64, as a bounded queue would reorder. */
	for (size_t b = 0; b < N; b += 64) {
		size_t len = N - b < 64 ? N - b : 64;

		for (size_t i = len - 1; i > 0; i--) {
			size_t j = (size_t)rand() % (i + 1);
			uint64_t t = order[b + i];

			order[b + i] = order[b + j];
			order[b + j] = t;
		}
	}
	for (size_t i = 0; i < N / 2; i++)
		progress_mark(p, order[i]);
	low = progress_snapshot(p, &done, &n);
	for (uint64_t pos = 0; pos < N; pos++) {
		bool marked = false;

		for (size_t i = 0; i < N / 2 && !marked; i++)
			marked = order[i] == pos;
		assert_int_equal(progress_is_done(p, pos), marked);
	}
	assert_true(n < 64);
	assert_true(low + 64 >= N / 2);
	g_free(done);
	for (size_t i = N / 2; i < N; i++)
		progress_mark(p, order[i]);
	low = progress_snapshot(p, &done, &n);
	assert_int_equal(low, N);
	assert_int_equal(n, 0);
	g_free(done);
	progress_free(p);
}

/* One straggler holds low back while the others finish far above it (a
 * filtered port among thousands of closed ones), with a restore from a
 * snapshot taken in the middle; every answer is checked against a plain
 * array, including the snapshot's order, across word boundaries and the
 * bitmap's growth and compaction. */
static void test_straggler_wide_spread(void **state)
{
	enum { N = 100000, STRAGGLER = 70 };
	bool *ref = calloc(N, sizeof(*ref));
	struct progress *p = progress_new(0, NULL, 0), *q;
	uint64_t *done, low;
	size_t n, want;

	assert_non_null(ref);
	srand(11);
	for (uint64_t pos = 0; pos < N; pos++) {
		if (pos == STRAGGLER || (pos > 60000 && rand() % 3 == 0))
			continue;
		progress_mark(p, pos);
		ref[pos] = true;
	}
	low = progress_snapshot(p, &done, &n);
	assert_int_equal(low, STRAGGLER);
	want = 0;
	for (uint64_t pos = low; pos < N; pos++)
		if (ref[pos])
			assert_int_equal(done[want++], pos);
	assert_int_equal(n, want);
	for (uint64_t pos = 0; pos < N; pos++)
		assert_int_equal(progress_is_done(p, pos), ref[pos]);

	/* What a resume file holds, restored, is the same state. */
	q = progress_new(low, done, n);
	for (uint64_t pos = 0; pos < N; pos++)
		assert_int_equal(progress_is_done(q, pos), ref[pos]);
	g_free(done);

	/* The straggler ends: low runs up to the first gap above 60000. */
	progress_mark(q, STRAGGLER);
	ref[STRAGGLER] = true;
	low = progress_snapshot(q, &done, &n);
	for (want = 0; want < N && ref[want]; want++)
		;
	assert_int_equal(low, want);
	assert_true(low > 60000);
	g_free(done);
	for (uint64_t pos = 0; pos < N; pos++)
		progress_mark(q, pos);
	low = progress_snapshot(q, &done, &n);
	assert_int_equal(low, N);
	assert_int_equal(n, 0);
	g_free(done);
	progress_free(q);
	progress_free(p);
	free(ref);
}

/* A thread that marks positions 0 .. n-1 in reverse, slowly enough that the
 * waiter really waits. */
struct marker {
	struct progress *p;
	uint64_t n;
};

static void *mark_reverse(void *arg)
{
	struct marker *m = arg;

	for (uint64_t i = m->n; i-- > 0;) {
		if (i % 64 == 0)
			g_usleep(1000);
		progress_mark(m->p, i);
	}
	return NULL;
}

static void *cancel_soon(void *arg)
{
	g_usleep(20000);
	progress_cancel(arg);
	return NULL;
}

/* The next target window: wait for every position of this one, start
 * over from 0; a cancel wakes the waiter for good. */
static void test_wait_restart_cancel(void **state)
{
	struct progress *p = progress_new(0, NULL, 0);
	struct marker m = { p, 1000 };
	pthread_t t;
	uint64_t *done, low;
	size_t n;

	assert_true(progress_wait(p, 0));
	assert_int_equal(pthread_create(&t, NULL, mark_reverse, &m), 0);
	assert_true(progress_wait(p, 1000));
	pthread_join(t, NULL);
	assert_true(progress_is_done(p, 999));

	progress_restart(p, 0, NULL, 0);
	assert_false(progress_is_done(p, 0));
	progress_mark(p, 1);
	low = progress_snapshot(p, &done, &n);
	assert_int_equal(low, 0);
	assert_int_equal(n, 1);
	g_free(done);

	/* A restart from a saved state, as a resumed window begins. */
	{
		const uint64_t saved[] = { 7, 9 };

		progress_restart(p, 5, saved, 2);
		assert_true(progress_is_done(p, 4));
		assert_false(progress_is_done(p, 5));
		assert_true(progress_is_done(p, 7));
	}

	assert_int_equal(pthread_create(&t, NULL, cancel_soon, p), 0);
	assert_false(progress_wait(p, 100));
	pthread_join(t, NULL);
	/* Cancelled for good; a goal already reached is still reached. */
	assert_false(progress_wait(p, 100));
	assert_true(progress_wait(p, 5));
	progress_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order_and_gaps),
		cmocka_unit_test(test_restore_round_trip),
		cmocka_unit_test(test_random_order_exact),
		cmocka_unit_test(test_straggler_wide_spread),
		cmocka_unit_test(test_wait_restart_cancel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
