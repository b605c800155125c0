/* unit.h: what every unit test binary shares; the Makefile puts it in front
 * of each tests/unit/test_*.c with -include, so no test file names it.
 *
 * UNIT_FILTER=GLOB runs only the tests whose names match GLOB, a shell
 * pattern (fnmatch(3): '*', '?', '[...]'):
 *
 *     UNIT_FILTER='test_env*' build/tests/test_settings
 *     make unit UNIT=test_settings UNIT_FILTER='test_env*'
 *
 * Unset or empty: every test runs. A pattern that matches no test in the
 * binary is a failure, so a mistyped name never passes as "0 tests, OK".
 *
 * cmocka 1.1.5 (Debian 12) has cmocka_set_test_filter() but reads no
 * environment variable, and it runs zero tests without complaint; so
 * cmocka_run_group_tests(), which every main() already calls, is wrapped
 * here to hand cmocka only the matching tests. Group setup and teardown
 * still run once around them. */
#ifndef PORTOLAN_TESTS_UNIT_H
#define PORTOLAN_TESTS_UNIT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

static inline int unit_run_group(const char *group, const struct CMUnitTest *tests, size_t n,
				 CMFixtureFunction setup, CMFixtureFunction teardown)
{
	const char *glob = getenv("UNIT_FILTER");
	struct CMUnitTest *some;
	size_t k = 0;
	int rc;

	if (glob == NULL || glob[0] == '\0')
		return _cmocka_run_group_tests(group, tests, n, setup, teardown);
	some = calloc(n, sizeof(*some));
	if (some == NULL) {
		fprintf(stderr, "unit: UNIT_FILTER: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		if (fnmatch(glob, tests[i].name, 0) == 0)
			some[k++] = tests[i];
	if (k == 0) {
		fprintf(stderr, "unit: UNIT_FILTER='%s' matches none of the %zu tests here\n", glob, n);
		rc = 1;
	} else {
		rc = _cmocka_run_group_tests(group, some, k, setup, teardown);
	}
	free(some);
	return rc;
}

#undef cmocka_run_group_tests
#define cmocka_run_group_tests(group_tests, group_setup, group_teardown) \
	unit_run_group(#group_tests, group_tests, sizeof(group_tests) / sizeof((group_tests)[0]), \
		       group_setup, group_teardown)

#endif
