/* test_addr.c: unit tests for addr.c (parsing, formatting, sockaddrs and the
 * 128-bit arithmetic that target ranges rely on). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "addr.h"

static void test_parse_v4(void **state)
{
	struct pl_addr a;

	assert_true(pl_addr_parse("192.0.2.1", &a));
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.v.hi, 0);
	assert_int_equal(a.v.lo, 0xc0000201);
	assert_true(pl_addr_parse("255.255.255.255", &a));
	assert_int_equal(a.v.lo, 0xffffffffu);
	assert_true(pl_addr_parse("0.0.0.0", &a));
	assert_int_equal(a.v.lo, 0);
}

static void test_parse_v6(void **state)
{
	struct pl_addr a;

	assert_true(pl_addr_parse("2001:db8::1", &a));
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(a.v.hi, 0x20010db800000000ULL);
	assert_int_equal(a.v.lo, 1);
	assert_true(pl_addr_parse("::", &a));
	assert_int_equal(a.v.hi, 0);
	assert_int_equal(a.v.lo, 0);
	assert_true(pl_addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &a));
	assert_int_equal(a.v.hi, UINT64_MAX);
	assert_int_equal(a.v.lo, UINT64_MAX);
	assert_true(pl_addr_parse("::ffff:192.0.2.1", &a));
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(a.v.lo, 0x0000ffffc0000201ULL);
}

static void test_parse_invalid(void **state)
{
	static const char *bad[] = {
		"", "1.2.3", "256.1.1.1", "300.1.1.1", "1.2.3.4.5", "1.2.3.4 ",
		" 1.2.3.4", "localhost", "::g", "1:2:3:4:5:6:7:8:9", "2001:db8::/64",
		"192.0.2.0/24", "0x7f000001", "-1.2.3.4",
	};
	struct pl_addr a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pl_addr_parse(bad[i], &a))
			fail_msg("'%s' parsed as an address", bad[i]);
	}
}

static void test_format_round_trip(void **state)
{
	static const char *good[] = {
		"192.0.2.1", "0.0.0.0", "255.255.255.255", "10.0.0.1",
		"2001:db8::1", "::", "::1", "fe80::1:2:3:4",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff:192.0.2.1",
	};
	char buf[PL_ADDRSTRLEN];
	struct pl_addr a;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_true(pl_addr_parse(good[i], &a));
		pl_addr_format(&a, buf, sizeof(buf));
		assert_string_equal(buf, good[i]);
	}

	/* Non-canonical input comes out canonical. */
	assert_true(pl_addr_parse("2001:0DB8:0:0:0:0:0:0001", &a));
	pl_addr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::1");

	/* A buffer too small gives an empty string, not garbage. */
	char small[4] = "xyz";

	pl_addr_format(&a, small, sizeof(small));
	assert_string_equal(small, "");
}

static void test_sockaddr_v4(void **state)
{
	struct sockaddr_storage ss;
	struct pl_addr a, b;
	socklen_t len;

	assert_true(pl_addr_parse("192.0.2.1", &a));
	len = pl_addr_sockaddr(&a, 8080, &ss);
	assert_int_equal(len, sizeof(struct sockaddr_in));

	const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;

	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(sin->sin_port, htons(8080));
	assert_int_equal(sin->sin_addr.s_addr, htonl(0xc0000201));

	assert_true(pl_addr_from_sockaddr((const struct sockaddr *)&ss, &b));
	assert_true(pl_addr_equal(&a, &b));
}

static void test_sockaddr_v6(void **state)
{
	static const unsigned char want[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34,
	};
	struct sockaddr_storage ss;
	struct pl_addr a, b;
	socklen_t len;

	assert_true(pl_addr_parse("2001:db8::1234", &a));
	len = pl_addr_sockaddr(&a, 443, &ss);
	assert_int_equal(len, sizeof(struct sockaddr_in6));

	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;

	assert_int_equal(sin6->sin6_family, AF_INET6);
	assert_int_equal(sin6->sin6_port, htons(443));
	assert_memory_equal(sin6->sin6_addr.s6_addr, want, 16);

	assert_true(pl_addr_from_sockaddr((const struct sockaddr *)&ss, &b));
	assert_true(pl_addr_equal(&a, &b));

	/* Other families are refused. */
	struct sockaddr_storage other;

	memset(&other, 0, sizeof(other));
	other.ss_family = AF_UNIX;
	assert_false(pl_addr_from_sockaddr((const struct sockaddr *)&other, &b));
}

static void test_equal(void **state)
{
	struct pl_addr a, b;

	/* Same 32-bit value, different families: not equal. */
	assert_true(pl_addr_parse("0.0.0.1", &a));
	assert_true(pl_addr_parse("::1", &b));
	assert_int_equal(a.v.lo, b.v.lo);
	assert_false(pl_addr_equal(&a, &b));
	assert_true(pl_addr_parse("::1", &a));
	assert_true(pl_addr_equal(&a, &b));
}

static void test_u128(void **state)
{
	struct pl_u128 a = { 0, UINT64_MAX }, b = { 1, 0 }, r;

	assert_int_equal(pl_u128_cmp(a, b), -1);
	assert_int_equal(pl_u128_cmp(b, a), 1);
	assert_int_equal(pl_u128_cmp(a, a), 0);
	assert_int_equal(pl_u128_cmp((struct pl_u128){ 1, 5 },
				     (struct pl_u128){ 1, 6 }), -1);

	/* Carry into hi. */
	r = pl_u128_add64(a, 1);
	assert_int_equal(r.hi, 1);
	assert_int_equal(r.lo, 0);
	r = pl_u128_add64((struct pl_u128){ 7, 10 }, 5);
	assert_int_equal(r.hi, 7);
	assert_int_equal(r.lo, 15);

	/* Borrow from hi. */
	r = pl_u128_sub(b, (struct pl_u128){ 0, 1 });
	assert_int_equal(r.hi, 0);
	assert_int_equal(r.lo, UINT64_MAX);
	r = pl_u128_sub((struct pl_u128){ UINT64_MAX, UINT64_MAX },
			(struct pl_u128){ 0, 0 });
	assert_int_equal(r.hi, UINT64_MAX);
	assert_int_equal(r.lo, UINT64_MAX);
	r = pl_u128_sub((struct pl_u128){ 5, 3 }, (struct pl_u128){ 2, 7 });
	assert_int_equal(r.hi, 2);
	assert_int_equal(r.lo, UINT64_MAX - 3);
}

/* The range arithmetic targets.c counts and splits ranges with. */
static void test_u128_add(void **state)
{
	struct pl_u128 r = pl_u128_add((struct pl_u128){ 1, UINT64_MAX }, (struct pl_u128){ 2, 1 });

	assert_int_equal(r.hi, 4);
	assert_int_equal(r.lo, 0);
	r = pl_u128_add((struct pl_u128){ UINT64_MAX, UINT64_MAX }, (struct pl_u128){ 0, 1 });
	assert_int_equal(r.hi, 0);
	assert_int_equal(r.lo, 0);
}

static void test_u128_decimal(void **state)
{
	char buf[48], small[4];

	pl_u128_to_decimal((struct pl_u128){ 0, 0 }, buf, sizeof(buf));
	assert_string_equal(buf, "0");
	pl_u128_to_decimal((struct pl_u128){ 0, 4294967296ULL }, buf, sizeof(buf));
	assert_string_equal(buf, "4294967296");
	pl_u128_to_decimal((struct pl_u128){ 1, 0 }, buf, sizeof(buf));
	assert_string_equal(buf, "18446744073709551616");
	pl_u128_to_decimal((struct pl_u128){ UINT64_MAX, UINT64_MAX }, buf, sizeof(buf));
	assert_string_equal(buf, "340282366920938463463374607431768211455");
	/* Cut to the buffer, most significant digits first. */
	pl_u128_to_decimal((struct pl_u128){ 0, 123456 }, small, sizeof(small));
	assert_string_equal(small, "123");
}

static void test_u128_add_span(void **state)
{
	struct pl_u128 total = { 0, 0 };
	const struct pl_u128 max = { UINT64_MAX, UINT64_MAX };

	/* A /24 and one host. */
	assert_true(pl_u128_add_span(&total, (struct pl_u128){ 0, 0xc0000200 },
				     (struct pl_u128){ 0, 0xc00002ff }));
	assert_true(pl_u128_add_span(&total, (struct pl_u128){ 0, 7 }, (struct pl_u128){ 0, 7 }));
	assert_int_equal(total.hi, 0);
	assert_int_equal(total.lo, 257);
	/* A /64 carries into hi. */
	total = (struct pl_u128){ 0, 1 };
	assert_true(pl_u128_add_span(&total, (struct pl_u128){ 5, 0 }, (struct pl_u128){ 5, UINT64_MAX }));
	assert_int_equal(total.hi, 1);
	assert_int_equal(total.lo, 1);
	/* The whole IPv6 space is one more than fits: saturate. */
	total = (struct pl_u128){ 0, 0 };
	assert_false(pl_u128_add_span(&total, (struct pl_u128){ 0, 0 }, max));
	assert_int_equal(total.hi, UINT64_MAX);
	assert_int_equal(total.lo, UINT64_MAX);
	/* Exactly 2^128 - 1 fits. */
	total = (struct pl_u128){ 0, 1 };
	assert_true(pl_u128_add_span(&total, (struct pl_u128){ 0, 2 }, max));
	assert_int_equal(total.hi, UINT64_MAX);
	assert_int_equal(total.lo, UINT64_MAX);
	assert_false(pl_u128_add_span(&total, (struct pl_u128){ 0, 1 }, (struct pl_u128){ 0, 1 }));
}

static void test_prefix_block(void **state)
{
	struct pl_u128 first, last;

	pl_u128_prefix_block((struct pl_u128){ 0, 0xc0000207 }, 32, 24, &first, &last);
	assert_int_equal(first.lo, 0xc0000200);
	assert_int_equal(last.lo, 0xc00002ff);
	pl_u128_prefix_block((struct pl_u128){ 0, 0xc0000207 }, 32, 32, &first, &last);
	assert_int_equal(first.lo, 0xc0000207);
	assert_int_equal(last.lo, 0xc0000207);
	pl_u128_prefix_block((struct pl_u128){ 0, 0xc0000207 }, 32, 0, &first, &last);
	assert_int_equal(first.lo, 0);
	assert_int_equal(last.lo, 0xffffffffu);
	pl_u128_prefix_block((struct pl_u128){ 0x20010db800000000ULL, 42 }, 128, 64, &first, &last);
	assert_int_equal(first.hi, 0x20010db800000000ULL);
	assert_int_equal(first.lo, 0);
	assert_int_equal(last.hi, 0x20010db800000000ULL);
	assert_int_equal(last.lo, UINT64_MAX);
	pl_u128_prefix_block((struct pl_u128){ 3, 42 }, 128, 0, &first, &last);
	assert_int_equal(first.hi, 0);
	assert_int_equal(last.hi, UINT64_MAX);
	assert_int_equal(last.lo, UINT64_MAX);
}

static void test_addr_order(void **state)
{
	struct pl_u128 small = { 0, 1 }, big = { UINT64_MAX, 0 };

	/* Every IPv4 address before every IPv6 one, whatever the values. */
	assert_true(pl_addr_order(AF_INET, big, AF_INET6, small) < 0);
	assert_true(pl_addr_order(AF_INET6, small, AF_INET, big) > 0);
	assert_true(pl_addr_order(AF_INET, small, AF_INET, big) < 0);
	assert_true(pl_addr_order(AF_INET6, big, AF_INET6, small) > 0);
	assert_int_equal(pl_addr_order(AF_INET6, big, AF_INET6, big), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v4),
		cmocka_unit_test(test_parse_v6),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_sockaddr_v4),
		cmocka_unit_test(test_sockaddr_v6),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_u128),
		cmocka_unit_test(test_u128_add),
		cmocka_unit_test(test_u128_decimal),
		cmocka_unit_test(test_u128_add_span),
		cmocka_unit_test(test_prefix_block),
		cmocka_unit_test(test_addr_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
