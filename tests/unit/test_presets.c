/* test_presets.c: every preset has the documented values, the table is
 * ordered from careful to aggressive and self-consistent, and lookups and the
 * name list behave at their edges. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "presets.h"

static void expect(const char *name, unsigned threads, unsigned initial, unsigned min,
		   unsigned max, unsigned retries, uint64_t rate, unsigned disco_ms,
		   unsigned disco_retries)
{
	const struct preset *p = preset_find(name);

	assert_non_null(p);
	assert_string_equal(p->name, name);
	assert_int_equal(p->threads, threads);
	assert_int_equal(p->initial_timeout_ms, initial);
	assert_int_equal(p->min_timeout_ms, min);
	assert_int_equal(p->max_timeout_ms, max);
	assert_int_equal(p->retries, retries);
	assert_int_equal(p->max_rate, rate);
	assert_int_equal(p->discovery_timeout_ms, disco_ms);
	assert_int_equal(p->discovery_retries, disco_retries);
}

static void test_exact_values(void **state)
{
	expect("paranoid", 1, 5000, 1000, 10000, 3, 1, 5000, 3);
	expect("polite", 16, 2000, 300, 5000, 2, 50, 2000, 2);
	expect("normal", 256, 1000, 100, 3000, 1, 0, 1000, 1);
	expect("aggressive", 512, 500, 50, 1250, 1, 0, 500, 1);
	expect("insane", 1024, 250, 50, 300, 0, 0, 250, 0);
	assert_int_equal(preset_count(), 5);
	assert_non_null(preset_find(PRESET_DEFAULT));
}

static void test_order_and_consistency(void **state)
{
	const struct preset *prev = NULL, *p;
	size_t i;

	for (i = 0; (p = preset_at(i)) != NULL; i++) {
		assert_non_null(p->summary);
		assert_true(p->threads >= 1);
		assert_true(p->min_timeout_ms >= 1);
		assert_true(p->min_timeout_ms <= p->initial_timeout_ms);
		assert_true(p->initial_timeout_ms <= p->max_timeout_ms);
		assert_ptr_equal(preset_find(p->name), p);
		if (prev != NULL) {
			/* Each step is at least as bold as the one before. */
			assert_true(p->threads >= prev->threads);
			assert_true(p->initial_timeout_ms <= prev->initial_timeout_ms);
			assert_true(p->max_timeout_ms <= prev->max_timeout_ms);
			assert_true(p->retries <= prev->retries);
			assert_true(p->discovery_timeout_ms <= prev->discovery_timeout_ms);
			assert_true(p->discovery_retries <= prev->discovery_retries);
			assert_true(p->max_rate == 0 ||
				    (prev->max_rate != 0 && p->max_rate >= prev->max_rate));
		}
		prev = p;
	}
	assert_int_equal(i, preset_count());
}

static void test_lookup_edges(void **state)
{
	assert_null(preset_find(NULL));
	assert_null(preset_find(""));
	assert_null(preset_find("Normal"));
	assert_null(preset_find("norm"));
	assert_null(preset_find("normal "));
	assert_null(preset_at(preset_count()));
}

static void test_names_text(void **state)
{
	const char *all = "paranoid, polite, normal, aggressive, insane";
	char buf[64], small[10];

	assert_int_equal(preset_names(buf, sizeof(buf)), strlen(all));
	assert_string_equal(buf, all);
	/* Truncated but terminated, and the full length still reported. */
	assert_int_equal(preset_names(small, sizeof(small)), strlen(all));
	assert_string_equal(small, "paranoid,");
	assert_int_equal(preset_names(NULL, 0), strlen(all));
}

static void test_nmap_levels(void **state)
{
	static const char *const want[] = {
		"paranoid", "paranoid", "polite", "normal", "aggressive", "insane",
	};
	char level[2] = { 0, 0 };

	for (int i = 0; i <= 5; i++) {
		level[0] = (char)('0' + i);
		assert_non_null(preset_find_level(level));
		assert_string_equal(preset_find_level(level)->name, want[i]);
	}
	assert_null(preset_find_level("6"));
	assert_null(preset_find_level("44"));
	assert_null(preset_find_level("+4"));
	assert_null(preset_find_level(""));
	assert_null(preset_find_level(NULL));
	assert_null(preset_find_level("normal"));
	/* Levels are not names: preset_find stays exact. */
	assert_null(preset_find("4"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_values),
		cmocka_unit_test(test_order_and_consistency),
		cmocka_unit_test(test_lookup_edges),
		cmocka_unit_test(test_names_text),
		cmocka_unit_test(test_nmap_levels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
