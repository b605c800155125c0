/* test_resolve.c: unit tests for resolve.c, the pool of forward lookups.
 * Only numeric names are looked up here: getaddrinfo answers them without a
 * resolver, so the tests need no hosts file and send nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <netdb.h>
#include <sys/socket.h>

#include "resolve.h"

static void test_no_jobs(void **state)
{
	resolve_run(NULL, 0);
}

/* More jobs than threads: every job is run once, and each keeps its own
 * result. */
static void test_many_jobs(void **state)
{
	enum { N = 100 };
	struct name_lookup jobs[N];
	char names[N][32];

	for (int i = 0; i < N; i++) {
		g_snprintf(names[i], sizeof(names[i]), "127.0.%d.%d", i / 256, i % 256);
		jobs[i] = (struct name_lookup){ .name = names[i], .family = AF_INET };
		jobs[i].addrs = g_array_new(FALSE, FALSE, sizeof(struct pl_addr));
	}
	resolve_run(jobs, N);
	for (int i = 0; i < N; i++) {
		const struct pl_addr *a = &g_array_index(jobs[i].addrs, struct pl_addr, 0);

		assert_int_equal(jobs[i].rc, 0);
		assert_int_equal(jobs[i].addrs->len, 1);
		assert_int_equal(a->family, AF_INET);
		assert_int_equal(a->v.lo, 0x7f000000u + (unsigned)i);
		g_array_free(jobs[i].addrs, TRUE);
	}
}

/* A failed lookup keeps getaddrinfo's code and no address; the family of a
 * job is the family asked for. */
static void test_failure_and_family(void **state)
{
	struct name_lookup jobs[2] = {
		{ .name = "::1", .family = AF_INET },
		{ .name = "::1", .family = AF_UNSPEC },
	};

	for (int i = 0; i < 2; i++)
		jobs[i].addrs = g_array_new(FALSE, FALSE, sizeof(struct pl_addr));
	resolve_run(jobs, 2);
	assert_int_not_equal(jobs[0].rc, 0);
	assert_int_equal(jobs[0].addrs->len, 0);
	assert_int_equal(jobs[1].rc, 0);
	assert_true(jobs[1].addrs->len >= 1);
	assert_int_equal(g_array_index(jobs[1].addrs, struct pl_addr, 0).family, AF_INET6);
	for (int i = 0; i < 2; i++)
		g_array_free(jobs[i].addrs, TRUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_jobs),
		cmocka_unit_test(test_many_jobs),
		cmocka_unit_test(test_failure_and_family),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
