/* test_srccache.c: the SYN sender's source addresses per destination. A
 * scripted look-up counts how often the cache asks: once per host while the
 * answer is fresh, again after SRCCACHE_TTL_MS (a routing change is seen),
 * never a wrong host's answer (colliding slots ask again), failures never
 * kept; and the kernel's look-up on loopback (127.0.0.1 and ::1 are their
 * own sources), asked twice in a row through its reused sockets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "srccache.h"

#define MS INT64_C(1000000)

struct script {
	unsigned calls;
	uint64_t base;        /* the source given is base + the host's low bits */
	int fail;             /* errno to return, or 0 */
};

static int scripted(const struct pl_addr *dst, struct pl_addr *src, void *ud)
{
	struct script *s = ud;

	s->calls++;
	if (s->fail != 0)
		return s->fail;
	*src = (struct pl_addr){ .family = dst->family, .v = { 0, s->base + (dst->v.lo & 0xffff) } };
	return 0;
}

static struct pl_addr v4(uint32_t a)
{
	return (struct pl_addr){ .family = AF_INET, .v = { 0, a } };
}

static void test_one_lookup_per_host_while_fresh(void **unused)
{
	struct script s = { .base = 0x0a000000 };
	struct srccache *c = srccache_new(scripted, &s);
	struct pl_addr dst = v4(0xc6130001), src;

	for (int i = 0; i < 1000; i++) {
		assert_int_equal(srccache_get(c, &dst, 5 * MS + i * MS / 10, &src), 0);
		assert_true(src.v.lo == 0x0a000001);
	}
	assert_int_equal(s.calls, 1);
	srccache_free(c);
}

static void test_asks_again_after_the_ttl(void **unused)
{
	struct script s = { .base = 0x0a000000 };
	struct srccache *c = srccache_new(scripted, &s);
	struct pl_addr dst = v4(0xc6130002), src;

	assert_int_equal(srccache_get(c, &dst, 0, &src), 0);
	assert_int_equal(srccache_get(c, &dst, SRCCACHE_TTL_MS * MS - 1, &src), 0);
	assert_int_equal(s.calls, 1);
	/* The route changed meanwhile: the new source is used from then on. */
	s.base = 0x0b000000;
	assert_int_equal(srccache_get(c, &dst, SRCCACHE_TTL_MS * MS, &src), 0);
	assert_int_equal(s.calls, 2);
	assert_true(src.v.lo == 0x0b000002);
	srccache_free(c);
}

static void test_every_host_gets_its_own(void **unused)
{
	struct script s = { .base = 0x0a000000 };
	struct srccache *c = srccache_new(scripted, &s);
	struct pl_addr dst, src;

	/* More hosts than slots, twice over: collisions ask again, and no host
	 * ever gets another's source. */
	for (int round = 0; round < 2; round++)
		for (uint32_t h = 0; h < 3 * SRCCACHE_SLOTS; h++) {
			dst = v4(0xc6120000 + h);
			assert_int_equal(srccache_get(c, &dst, 1, &src), 0);
			assert_true(src.v.lo == 0x0a000000 + ((0xc6120000 + h) & 0xffff));
		}
	assert_true(s.calls > 3 * SRCCACHE_SLOTS);
	/* Same value, other family: not the same destination. */
	s.calls = 0;
	dst = v4(0xc6130003);
	assert_int_equal(srccache_get(c, &dst, 1, &src), 0);
	dst.family = AF_INET6;
	assert_int_equal(srccache_get(c, &dst, 1, &src), 0);
	assert_int_equal(src.family, AF_INET6);
	assert_int_equal(s.calls, 2);
	srccache_free(c);
}

static void test_failures_not_kept(void **unused)
{
	struct script s = { .base = 0x0a000000, .fail = ENETUNREACH };
	struct srccache *c = srccache_new(scripted, &s);
	struct pl_addr dst = v4(0xc6130004), src;

	assert_int_equal(srccache_get(c, &dst, 1, &src), ENETUNREACH);
	s.fail = 0;
	assert_int_equal(srccache_get(c, &dst, 2, &src), 0);
	assert_int_equal(s.calls, 2);
	srccache_free(c);
}

static void test_kernel_lookup_on_loopback(void **unused)
{
	struct srccache *c = srccache_new(NULL, NULL);
	struct pl_addr lo4, lo6, src;

	assert_true(pl_addr_parse("127.0.0.1", &lo4));
	assert_true(pl_addr_parse("::1", &lo6));
	/* Asked directly, twice each: the reused sockets answer anew. */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(srccache_route_source(&lo4, &src, c), 0);
		assert_true(pl_addr_equal(&src, &lo4));
		if (srccache_route_source(&lo6, &src, c) == 0)   /* no IPv6 here: skip */
			assert_true(pl_addr_equal(&src, &lo6));
	}
	assert_int_equal(srccache_get(c, &lo4, 1, &src), 0);
	assert_true(pl_addr_equal(&src, &lo4));
	srccache_free(c);
}

/* A socket once connected keeps its first source unless disconnected: after
 * 127.0.0.1, a host reached by another route must get that route's source,
 * as a fresh socket sees it. Connecting a UDP socket sends nothing. Skipped
 * where nothing but loopback is routed. */
static void test_kernel_lookup_follows_the_route(void **unused)
{
	struct srccache *c = srccache_new(NULL, NULL), *fresh = srccache_new(NULL, NULL);
	struct pl_addr lo4, far, src, want;

	assert_true(pl_addr_parse("127.0.0.1", &lo4));
	assert_true(pl_addr_parse("192.0.2.1", &far));     /* TEST-NET-1 */
	if (srccache_route_source(&far, &want, fresh) != 0 || pl_addr_equal(&want, &lo4)) {
		srccache_free(c);
		srccache_free(fresh);
		skip();
	}
	assert_int_equal(srccache_route_source(&lo4, &src, c), 0);
	assert_int_equal(srccache_route_source(&far, &src, c), 0);
	assert_true(pl_addr_equal(&src, &want));
	srccache_free(c);
	srccache_free(fresh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_lookup_per_host_while_fresh),
		cmocka_unit_test(test_asks_again_after_the_ttl),
		cmocka_unit_test(test_every_host_gets_its_own),
		cmocka_unit_test(test_failures_not_kept),
		cmocka_unit_test(test_kernel_lookup_on_loopback),
		cmocka_unit_test(test_kernel_lookup_follows_the_route),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
