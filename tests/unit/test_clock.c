/* test_clock.c: the monotonic clock never goes back, its two units agree,
 * and it counts a sleep in full. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>

#include "clock.h"

static void test_never_goes_back(void **state)
{
	int64_t prev = mono_ns();

	for (int i = 0; i < 100000; i++) {
		int64_t now = mono_ns();

		assert_true(now >= prev);
		prev = now;
	}
}

/* mono_ms is mono_ns in whole milliseconds, truncated. */
static void test_units_agree(void **state)
{
	for (int i = 0; i < 1000; i++) {
		int64_t before = mono_ns(), ms = mono_ms(), after = mono_ns();

		assert_true(ms >= before / 1000000);
		assert_true(ms <= after / 1000000);
	}
}

static void test_counts_a_sleep(void **state)
{
	struct timespec ts = { 0, 20 * 1000000L };
	int64_t t0 = mono_ns(), m0 = mono_ms();

	while (nanosleep(&ts, &ts) != 0)
		;
	assert_true(mono_ns() - t0 >= 20 * INT64_C(1000000));
	assert_true(mono_ms() - m0 >= 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_never_goes_back),
		cmocka_unit_test(test_units_agree),
		cmocka_unit_test(test_counts_a_sleep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
