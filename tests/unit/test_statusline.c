/* test_statusline.c: the progress line's text fits the terminal, and its ETA
 * counts service detection still in flight. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "metrics.h"
#include "statusline.h"

static const struct statusline_view mid_scan = {
	.done = 12345, .total = 65535, .open = 7, .rate = 2000.0,
};

static void test_full_width_has_every_field(void **state)
{
	char buf[256];
	size_t n = statusline_format(buf, sizeof buf, &mid_scan, 200);

	assert_string_equal(buf, "12345/65535 (18.8%)  2000/s  ETA 0:27  open 7");
	assert_int_equal(n, strlen(buf));
	n = statusline_format(buf, sizeof buf, &mid_scan, 0);
	assert_string_equal(buf, "12345/65535 (18.8%)  2000/s  ETA 0:27  open 7");
}

static void test_narrow_drops_fields_then_cuts(void **state)
{
	struct statusline_view win = mid_scan;
	char buf[256];

	/* The last column stays free: a character there makes some terminals
	 * wrap, and a wrapped line cannot be erased in place. */
	for (unsigned w = 1; w <= 60; w++) {
		size_t n = statusline_format(buf, sizeof buf, &mid_scan, w);

		assert_int_equal(n, strlen(buf));
		assert_true(n <= w - 1);
	}
	statusline_format(buf, sizeof buf, &mid_scan, 30);
	assert_string_equal(buf, "12345/65535 (18.8%)  ETA 0:27");   /* rate, open left out */
	statusline_format(buf, sizeof buf, &mid_scan, 22);
	assert_string_equal(buf, "12345/65535  ETA 0:27");
	statusline_format(buf, sizeof buf, &mid_scan, 21);
	assert_string_equal(buf, "12345/65535");
	statusline_format(buf, sizeof buf, &mid_scan, 8);
	assert_string_equal(buf, "12345/6");                          /* cut: nothing else fits */
	win.windows = 16;
	win.window = 2;
	statusline_format(buf, sizeof buf, &win, 200);
	assert_string_equal(buf, "window 3/16  12345/65535 (18.8%)  2000/s  ETA 0:27 (window)  open 7");
	statusline_format(buf, sizeof buf, &win, 55);
	assert_string_equal(buf, "window 3/16  12345/65535 (18.8%)  ETA 0:27 (window)");
	statusline_format(buf, sizeof buf, &win, 45);
	assert_string_equal(buf, "12345/65535 (18.8%)  ETA 0:27 (window)");
}

static void test_eta_counts_detection_in_flight(void **state)
{
	/* 30 of 31 tasks done in a quarter second; the last in detection. */
	struct statusline_view v = { .done = 30, .total = 31, .rate = 120.0 };
	char buf[256];

	assert_int_equal(statusline_eta_s(&v), 1);           /* rounded up, never 0 with work left */
	v.detecting = 1;
	v.detect_left_ms = 7000;
	assert_int_equal(statusline_eta_s(&v), 7);
	statusline_format(buf, sizeof buf, &v, 0);
	assert_non_null(strstr(buf, "ETA 0:07"));
	v.detect_left_ms = 6001;
	assert_int_equal(statusline_eta_s(&v), 7);
	/* The tasks left take longer than the detection: they decide. */
	v.done = 1;
	v.total = 10000;
	assert_int_equal(statusline_eta_s(&v), 84);
	/* No rate yet: only known when every task left is in detection. */
	v = (struct statusline_view){ .done = 0, .total = 1, .detecting = 1, .detect_left_ms = 3000 };
	assert_int_equal(statusline_eta_s(&v), 3);
	v.total = 5;
	assert_int_equal(statusline_eta_s(&v), -1);
	statusline_format(buf, sizeof buf, &v, 0);
	assert_non_null(strstr(buf, "ETA --:--"));
	/* Done: 0, whatever the rate. */
	v = (struct statusline_view){ .done = 5, .total = 5, .rate = 0 };
	assert_int_equal(statusline_eta_s(&v), 0);
	v = (struct statusline_view){ .done = 1, .total = 4000, .rate = 0.25 };
	assert_int_equal(statusline_eta_s(&v), 15996);
	statusline_format(buf, sizeof buf, &v, 0);
	assert_non_null(strstr(buf, "ETA 4:26:36"));
}

static void test_metrics_track_detection_bounds(void **state)
{
	struct metrics m;
	int64_t left;

	metrics_init(&m);
	assert_int_equal(metrics_detect_left_ms(&m), 0);
	metrics_detect_begin(&m, 5000);
	left = metrics_detect_left_ms(&m);
	assert_true(left > 0 && left <= 5000);
	metrics_detect_begin(&m, 100);                  /* a shorter bound does not shorten it */
	assert_true(metrics_detect_left_ms(&m) > 100);
	metrics_detect_end(&m);
	assert_true(metrics_detect_left_ms(&m) > 0);    /* one is still in flight */
	metrics_detect_end(&m);
	assert_int_equal(metrics_detect_left_ms(&m), 0);
	/* Past its bound but not yet counted: still not 0. */
	metrics_detect_begin(&m, 0);
	assert_true(metrics_detect_left_ms(&m) >= 1);
	metrics_detect_end(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_width_has_every_field),
		cmocka_unit_test(test_narrow_drops_fields_then_cuts),
		cmocka_unit_test(test_eta_counts_detection_in_flight),
		cmocka_unit_test(test_metrics_track_detection_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
