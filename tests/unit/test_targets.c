/* test_targets.c: unit tests for targets.c: spec syntax and its errors, range
 * merging, exclusions, the max-hosts cap, index order, name resolution and
 * the file reader. The name tests resolve names from tests/helpers/hosts
 * alone (localhost is 127.0.0.1 and ::1 there, as on Debian): `make unit`
 * runs this binary under tests/helpers/hosts-ns, which puts that file over
 * /etc/hosts in a private mount namespace. Run alone without it, they SKIP,
 * saying so: the machine's resolver must never decide a result. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "targets.h"

/* ---- warning capture ---- */

/* g_warning output is recorded here instead of printed, so the tests can
 * check what was warned about. Only the main thread logs. */
static GString *warnings;

static GLogWriterOutput capture_writer(GLogLevelFlags level,
				       const GLogField *fields, gsize n_fields,
				       gpointer user_data)
{
	for (gsize i = 0; i < n_fields; i++) {
		if (strcmp(fields[i].key, "MESSAGE") == 0) {
			g_string_append(warnings, (const char *)fields[i].value);
			g_string_append_c(warnings, '\n');
		}
	}
	return G_LOG_WRITER_HANDLED;
}

static int reset_warnings(void **state)
{
	g_string_truncate(warnings, 0);
	return 0;
}

/* ---- helpers ---- */

static struct target_set *set_of(const char *const *specs, const char *const *excl)
{
	struct target_set *ts = target_set_new();
	GError *err = NULL;

	for (size_t i = 0; specs != NULL && specs[i] != NULL; i++)
		if (target_set_add(ts, specs[i], &err) != 0)
			fail_msg("'%s' rejected: %s", specs[i], err->message);
	for (size_t i = 0; excl != NULL && excl[i] != NULL; i++)
		if (target_set_exclude(ts, excl[i], &err) != 0)
			fail_msg("exclusion '%s' rejected: %s", excl[i], err->message);
	return ts;
}

/* Builds and finalizes a set that must succeed. */
static struct target_set *finalized(const char *const *specs,
				    const char *const *excl,
				    enum target_family fam, uint64_t max)
{
	struct target_set *ts = set_of(specs, excl);
	GError *err = NULL;

	if (target_set_finalize(ts, fam, max, &err) != 0)
		fail_msg("finalize failed: %s", err->message);
	return ts;
}

/* Finalize must fail with exactly this message. */
static void expect_finalize_error(const char *const *specs,
				  const char *const *excl, uint64_t max,
				  const char *message)
{
	struct target_set *ts = set_of(specs, excl);
	GError *err = NULL;

	assert_int_equal(target_set_finalize(ts, TARGET_FAMILY_ANY, max, &err), -1);
	assert_non_null(err);
	assert_true(g_error_matches(err, PL_ERROR, PL_ERROR_USAGE));
	assert_string_equal(err->message, message);
	g_error_free(err);
	target_set_free(ts);
}

static void expect_add_error(const char *spec, const char *message)
{
	struct target_set *ts = target_set_new();
	GError *err = NULL;

	if (target_set_add(ts, spec, &err) != -1)
		fail_msg("'%s' accepted", spec);
	assert_non_null(err);
	assert_true(g_error_matches(err, PL_ERROR, PL_ERROR_USAGE));
	assert_string_equal(err->message, message);
	g_clear_error(&err);
	/* Exclusions share the syntax. */
	assert_int_equal(target_set_exclude(ts, spec, &err), -1);
	assert_string_equal(err->message, message);
	g_error_free(err);
	target_set_free(ts);
}

/* The host at index, as text, and its name. */
static void expect_host(const struct target_set *ts, uint64_t index,
			const char *want_addr, const char *want_name)
{
	struct pl_addr a;
	const char *name = "unset";
	char buf[PL_ADDRSTRLEN];

	target_set_get(ts, index, &a, &name);
	pl_addr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, want_addr);
	if (want_name == NULL)
		assert_null(name);
	else
		assert_string_equal(name, want_name);
}

#define SPECS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* ---- syntax ---- */

static void test_single_addresses(void **state)
{
	struct target_set *ts = finalized(SPECS("192.0.2.5", "2001:db8::7"), NULL,
					  TARGET_FAMILY_ANY, 100);

	assert_int_equal(target_set_count(ts), 2);
	expect_host(ts, 0, "192.0.2.5", NULL);
	expect_host(ts, 1, "2001:db8::7", NULL);
	target_set_free(ts);
}

static void test_invalid_specs(void **state)
{
	expect_add_error("300.1.1.1", "invalid target '300.1.1.1'");
	expect_add_error("1.2.3", "invalid target '1.2.3'");
	expect_add_error("10", "invalid target '10'");
	expect_add_error("0x7f000001", "invalid target '0x7f000001'");
	expect_add_error("", "invalid target '': empty");
	expect_add_error("foo bar", "invalid target 'foo bar'");
	expect_add_error("-foo", "invalid target '-foo'");
	expect_add_error("a..b", "invalid target 'a..b'");
	expect_add_error("host!", "invalid target 'host!'");
	expect_add_error("fe80::1%eth0", "invalid target 'fe80::1%eth0'");
	expect_add_error("10.0.0.0/33",
			 "invalid target '10.0.0.0/33': prefix length out of range");
	expect_add_error("10.0.0.0/99999999999999999999999",
			 "invalid target '10.0.0.0/99999999999999999999999': prefix length out of range");
	expect_add_error("2001:db8::/129",
			 "invalid target '2001:db8::/129': prefix length out of range");
	expect_add_error("10.0.0.0/", "invalid target '10.0.0.0/': bad prefix length");
	expect_add_error("10.0.0.0/-1", "invalid target '10.0.0.0/-1': bad prefix length");
	expect_add_error("10.0.0.0/8x", "invalid target '10.0.0.0/8x': bad prefix length");
	expect_add_error("300.0.0.0/8", "invalid target '300.0.0.0/8': bad address");
	expect_add_error("host/24", "invalid target 'host/24': bad address");
	expect_add_error("192.0.2.20-1",
			 "invalid target '192.0.2.20-1': range start above end");
	expect_add_error("192.0.2.20-192.0.2.1",
			 "invalid target '192.0.2.20-192.0.2.1': range start above end");
	expect_add_error("2001:db8::ff-2001:db8::1",
			 "invalid target '2001:db8::ff-2001:db8::1': range start above end");
	expect_add_error("192.0.2.1-256",
			 "invalid target '192.0.2.1-256': last octet out of range 0-255");
	expect_add_error("192.0.2.1-foo",
			 "invalid target '192.0.2.1-foo': bad range end");
	expect_add_error("192.0.2.1-", "invalid target '192.0.2.1-': bad range end");
	expect_add_error("2001:db8::1-ff",
			 "invalid target '2001:db8::1-ff': bad range end");
	expect_add_error("192.0.2.1-::1",
			 "invalid target '192.0.2.1-::1': range mixes IPv4 and IPv6");
}

static void test_valid_names_syntax(void **state)
{
	static const char *names[] = {
		"localhost", "my-host.example.com", "a_b.example", "example.com.",
		"x1", "1a.example", "host-1",
	};
	struct target_set *ts = target_set_new();
	GError *err = NULL;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (target_set_add(ts, names[i], &err) != 0)
			fail_msg("'%s' rejected: %s", names[i], err->message);
	target_set_free(ts);
}

static void test_cidr_v4(void **state)
{
	struct target_set *ts = finalized(SPECS("192.0.2.77/24"), NULL,
					  TARGET_FAMILY_ANY, 1000);

	/* Host bits in the base are masked off. */
	assert_int_equal(target_set_count(ts), 256);
	expect_host(ts, 0, "192.0.2.0", NULL);
	expect_host(ts, 77, "192.0.2.77", NULL);
	expect_host(ts, 255, "192.0.2.255", NULL);
	target_set_free(ts);

	ts = finalized(SPECS("192.0.2.9/32"), NULL, TARGET_FAMILY_ANY, 1);
	assert_int_equal(target_set_count(ts), 1);
	expect_host(ts, 0, "192.0.2.9", NULL);
	target_set_free(ts);

	ts = finalized(SPECS("0.0.0.0/0"), NULL, TARGET_FAMILY_ANY,
		       TARGET_LIMIT_MAX_HOSTS);
	assert_int_equal(target_set_count(ts), UINT64_C(4294967296));
	expect_host(ts, 0, "0.0.0.0", NULL);
	expect_host(ts, UINT64_C(4294967295), "255.255.255.255", NULL);
	target_set_free(ts);
}

static void test_slash8(void **state)
{
	struct target_set *ts = finalized(SPECS("10.0.0.0/8"), NULL,
					  TARGET_FAMILY_ANY,
					  TARGET_DEFAULT_MAX_HOSTS);

	assert_int_equal(target_set_count(ts), 16777216);
	expect_host(ts, 0, "10.0.0.0", NULL);
	expect_host(ts, 8388608, "10.128.0.0", NULL);
	expect_host(ts, 65536 + 256 + 1, "10.1.1.1", NULL);
	expect_host(ts, 16777215, "10.255.255.255", NULL);
	target_set_free(ts);
}

static void test_cidr_v6(void **state)
{
	struct target_set *ts = finalized(SPECS("2001:db8::1234/120"), NULL,
					  TARGET_FAMILY_ANY, 1000);

	assert_int_equal(target_set_count(ts), 256);
	expect_host(ts, 0, "2001:db8::1200", NULL);
	expect_host(ts, 255, "2001:db8::12ff", NULL);
	target_set_free(ts);

	ts = finalized(SPECS("2001:db8::/104"), NULL, TARGET_FAMILY_ANY,
		       TARGET_DEFAULT_MAX_HOSTS);
	assert_int_equal(target_set_count(ts), 16777216);
	expect_host(ts, 16777215, "2001:db8::ff:ffff", NULL);
	target_set_free(ts);

	/* A /96 crosses no 64-bit boundary but a /64 fills the low word. */
	ts = finalized(SPECS("2001:db8::/96"), NULL, TARGET_FAMILY_ANY,
		       TARGET_LIMIT_MAX_HOSTS);
	assert_int_equal(target_set_count(ts), UINT64_C(4294967296));
	expect_host(ts, UINT64_C(4294967295), "2001:db8::ffff:ffff", NULL);
	target_set_free(ts);

	ts = finalized(SPECS("2001:db8::5/128"), NULL, TARGET_FAMILY_ANY, 1);
	assert_int_equal(target_set_count(ts), 1);
	target_set_free(ts);
}

static void test_ranges(void **state)
{
	struct target_set *ts = finalized(SPECS("192.0.2.1-20"), NULL,
					  TARGET_FAMILY_ANY, 1000);

	assert_int_equal(target_set_count(ts), 20);
	expect_host(ts, 0, "192.0.2.1", NULL);
	expect_host(ts, 19, "192.0.2.20", NULL);
	target_set_free(ts);

	ts = finalized(SPECS("192.0.2.1-192.0.2.40"), NULL, TARGET_FAMILY_ANY, 1000);
	assert_int_equal(target_set_count(ts), 40);
	target_set_free(ts);

	ts = finalized(SPECS("10.0.0.250-10.0.1.5"), NULL, TARGET_FAMILY_ANY, 1000);
	assert_int_equal(target_set_count(ts), 12);
	expect_host(ts, 6, "10.0.1.0", NULL);
	target_set_free(ts);

	ts = finalized(SPECS("2001:db8::1-2001:db8::ff"), NULL, TARGET_FAMILY_ANY,
		       1000);
	assert_int_equal(target_set_count(ts), 255);
	expect_host(ts, 0, "2001:db8::1", NULL);
	expect_host(ts, 254, "2001:db8::ff", NULL);
	target_set_free(ts);

	/* Across the 64-bit boundary of the IPv6 value. */
	ts = finalized(SPECS("2001:db8::ffff:ffff:ffff:fffe-2001:db8:0:1::1"), NULL,
		       TARGET_FAMILY_ANY, 1000);
	assert_int_equal(target_set_count(ts), 4);
	expect_host(ts, 2, "2001:db8:0:1::", NULL);
	target_set_free(ts);

	ts = finalized(SPECS("192.0.2.7-7"), NULL, TARGET_FAMILY_ANY, 1);
	assert_int_equal(target_set_count(ts), 1);
	target_set_free(ts);
}

/* ---- merging and order ---- */

static void test_dedup_overlap(void **state)
{
	struct target_set *ts = finalized(
		SPECS("192.0.2.0/24", "192.0.2.10-192.0.3.5", "192.0.2.5",
		      "192.0.2.0/24", "192.0.3.6", "192.0.3.8"),
		NULL, TARGET_FAMILY_ANY, 1000);

	/* 256 + 6 (192.0.3.0-5) + 192.0.3.6 adjacent + 192.0.3.8 apart. */
	assert_int_equal(target_set_count(ts), 256 + 6 + 1 + 1);
	expect_host(ts, 255, "192.0.2.255", NULL);
	expect_host(ts, 256, "192.0.3.0", NULL);
	expect_host(ts, 262, "192.0.3.6", NULL);
	expect_host(ts, 263, "192.0.3.8", NULL);
	target_set_free(ts);

	ts = finalized(SPECS("2001:db8::/120", "2001:db8::10-2001:db8::1:0",
			     "2001:db8::ff"), NULL, TARGET_FAMILY_ANY, 100000);
	assert_int_equal(target_set_count(ts), 65537);
	target_set_free(ts);
}

static void test_order(void **state)
{
	/* Given v6 first and v4 out of order: v4 ascending, then v6. */
	struct target_set *ts = finalized(
		SPECS("2001:db8::2", "192.0.2.9", "::1", "10.0.0.1", "192.0.2.1"),
		NULL, TARGET_FAMILY_ANY, 100);

	assert_int_equal(target_set_count(ts), 5);
	expect_host(ts, 0, "10.0.0.1", NULL);
	expect_host(ts, 1, "192.0.2.1", NULL);
	expect_host(ts, 2, "192.0.2.9", NULL);
	expect_host(ts, 3, "::1", NULL);
	expect_host(ts, 4, "2001:db8::2", NULL);
	target_set_free(ts);
}

/* ---- exclusions ---- */

static void test_exclusions(void **state)
{
	/* An exclusion splits a range. */
	struct target_set *ts = finalized(SPECS("192.0.2.0/24"),
					  SPECS("192.0.2.10-19"),
					  TARGET_FAMILY_ANY, 1000);

	assert_int_equal(target_set_count(ts), 246);
	expect_host(ts, 9, "192.0.2.9", NULL);
	expect_host(ts, 10, "192.0.2.20", NULL);
	expect_host(ts, 245, "192.0.2.255", NULL);
	target_set_free(ts);

	/* Several exclusions, overlapping each other and the range ends, and
	 * one of another family that must not touch the IPv4 range. */
	ts = finalized(SPECS("192.0.2.0/24", "2001:db8::/126"),
		       SPECS("192.0.2.250-192.0.3.9", "192.0.1.0-192.0.2.4",
			     "192.0.2.100/30", "192.0.2.101", "::/0"),
		       TARGET_FAMILY_ANY, 1000);
	assert_int_equal(target_set_count(ts), 256 - 6 - 5 - 4);
	expect_host(ts, 0, "192.0.2.5", NULL);
	expect_host(ts, 94, "192.0.2.99", NULL);
	expect_host(ts, 95, "192.0.2.104", NULL);
	expect_host(ts, 240, "192.0.2.249", NULL);
	target_set_free(ts);
}

/* Specs that leave no host are reported, in the order given, and only
 * those: a partly excluded range or a host given twice is scanned. */
static void test_unscanned_specs(void **state)
{
	struct target_set *ts = finalized(
		SPECS("192.0.2.0/24", "no-such-host.invalid", "198.51.100.1-4", "192.0.2.7",
		      "198.51.100.9", "2001:db8::/126"),
		SPECS("198.51.100.1-2", "198.51.100.3-4", "192.0.2.0/25", "2001:db8::1"),
		TARGET_FAMILY_ANY, 1000);
	const struct target_unscanned *u;

	assert_int_equal(target_set_count(ts), 128 + 1 + 3);
	assert_int_equal(target_set_unscanned_count(ts), 3);
	u = target_set_unscanned(ts, 0);
	assert_string_equal(u->spec, "no-such-host.invalid");
	assert_false(u->literal);
	assert_non_null(strstr(u->why, "not resolved"));
	/* Two adjacent exclusions cover it together. */
	u = target_set_unscanned(ts, 1);
	assert_string_equal(u->spec, "198.51.100.1-4");
	assert_true(u->literal);
	assert_string_equal(u->why, "excluded (every address)");
	{
		char ip[PL_ADDRSTRLEN];

		pl_addr_format(&u->first, ip, sizeof ip);
		assert_string_equal(ip, "198.51.100.1");
	}
	/* Inside an excluded block, though also inside a range left scanned. */
	u = target_set_unscanned(ts, 2);
	assert_string_equal(u->spec, "192.0.2.7");
	target_set_free(ts);
}

static void test_exclusion_order_independent(void **state)
{
	struct target_set *ts = target_set_new();
	GError *err = NULL;

	/* The exclusion comes before the target it cuts. */
	assert_int_equal(target_set_exclude(ts, "10.0.0.5", &err), 0);
	assert_int_equal(target_set_add(ts, "10.0.0.0/29", &err), 0);
	assert_int_equal(target_set_finalize(ts, TARGET_FAMILY_ANY, 100, &err), 0);
	assert_int_equal(target_set_count(ts), 7);
	expect_host(ts, 4, "10.0.0.4", NULL);
	expect_host(ts, 5, "10.0.0.6", NULL);
	target_set_free(ts);
}

static void test_nothing_left(void **state)
{
	expect_finalize_error(SPECS("192.0.2.0/24"), SPECS("192.0.0.0/16"), 1000,
			      "no targets to scan");
	expect_finalize_error(SPECS("192.0.2.1", "2001:db8::1"),
			      SPECS("192.0.2.1", "2001:db8::1"), 1000,
			      "no targets to scan");
	expect_finalize_error(NULL, NULL, 1000, "no targets to scan");
}

/* ---- max-hosts ---- */

static void test_max_hosts(void **state)
{
	struct target_set *ts = finalized(SPECS("192.0.2.0/24"), NULL,
					  TARGET_FAMILY_ANY, 256);

	assert_int_equal(target_set_count(ts), 256);
	target_set_free(ts);

	expect_finalize_error(SPECS("192.0.2.0/24"), NULL, 255,
			      "target space of 256 hosts exceeds max-hosts (255); "
			      "raise max-hosts to scan it");
	/* The cap applies after exclusions. */
	ts = finalized(SPECS("192.0.2.0/24"), SPECS("192.0.2.0/25"),
		       TARGET_FAMILY_ANY, 128);
	assert_int_equal(target_set_count(ts), 128);
	target_set_free(ts);

	expect_finalize_error(SPECS("10.0.0.0/7"), NULL, TARGET_DEFAULT_MAX_HOSTS,
			      "target space of 33554432 hosts exceeds max-hosts "
			      "(16777216); raise max-hosts to scan it");
}

static void test_max_hosts_v6(void **state)
{
	/* Far too large to enumerate: must be refused by counting ranges. */
	expect_finalize_error(SPECS("2001:db8::/32"), NULL,
			      TARGET_DEFAULT_MAX_HOSTS,
			      "target space of 79228162514264337593543950336 hosts "
			      "exceeds max-hosts (16777216); raise max-hosts to scan it");
	expect_finalize_error(SPECS("2001:db8::/64"), NULL, UINT64_MAX,
			      "target space of 18446744073709551616 hosts exceeds "
			      "max-hosts (18446744073709551615); raise max-hosts to scan it");
	expect_finalize_error(SPECS("::/0", "10.0.0.1"), NULL,
			      TARGET_DEFAULT_MAX_HOSTS,
			      "target space of more than "
			      "340282366920938463463374607431768211455 hosts exceeds "
			      "max-hosts (16777216); raise max-hosts to scan it");
	expect_finalize_error(SPECS("::/1", "8000::/1"), NULL,
			      TARGET_DEFAULT_MAX_HOSTS,
			      "target space of more than "
			      "340282366920938463463374607431768211455 hosts exceeds "
			      "max-hosts (16777216); raise max-hosts to scan it");
}

/* ---- names ---- */

/* hosts-ns sets PL_HOSTS_NS when tests/helpers/hosts is in place. */
static void need_test_hosts(void)
{
	if (getenv("PL_HOSTS_NS") == NULL) {
		print_message("SKIP: name tests need the tests' hosts file: "
			      "build/helpers/hosts-ns tests/helpers/hosts build/tests/test_targets\n");
		skip();
	}
}

/* Index of 127.0.0.1 in ts, or fails. */
static uint64_t find_loopback(const struct target_set *ts, const char **name)
{
	for (uint64_t i = 0; i < target_set_count(ts); i++) {
		struct pl_addr a;
		char buf[PL_ADDRSTRLEN];

		target_set_get(ts, i, &a, name);
		pl_addr_format(&a, buf, sizeof(buf));
		if (strcmp(buf, "127.0.0.1") == 0)
			return i;
	}
	fail_msg("127.0.0.1 not in the set: 'localhost' did not resolve to it");
	return 0;
}

static void test_localhost(void **state)
{
	need_test_hosts();
	struct target_set *ts = finalized(SPECS("localhost"), NULL,
					  TARGET_FAMILY_V4, 100);

	/* V4 only: of Debian's two addresses for localhost, 127.0.0.1 alone. */
	assert_int_equal(target_set_count(ts), 1);
	expect_host(ts, 0, "127.0.0.1", "localhost");
	assert_string_equal(warnings->str, "");
	target_set_free(ts);

	/* Any family: both, IPv4 first, each with the name. */
	ts = finalized(SPECS("localhost"), NULL, TARGET_FAMILY_ANY, 100);
	assert_int_equal(target_set_count(ts), 2);
	expect_host(ts, 0, "127.0.0.1", "localhost");
	expect_host(ts, 1, "::1", "localhost");
	target_set_free(ts);
}

static void test_family_keeps_literals(void **state)
{
	need_test_hosts();
	/* The family picks addresses of names only: a literal IPv6 target stays
	 * in a V4 scan. */
	struct target_set *ts = finalized(SPECS("::1", "localhost", "2001:db8::/126"),
					  NULL, TARGET_FAMILY_V4, 100);
	const char *name;

	expect_host(ts, target_set_count(ts) - 1, "2001:db8::3", NULL);
	expect_host(ts, target_set_count(ts) - 5, "::1", NULL);
	find_loopback(ts, &name);
	assert_string_equal(name, "localhost");
	target_set_free(ts);
}

static void test_name_inside_cidr(void **state)
{
	need_test_hosts();
	/* 127.0.0.1 is both in the CIDR and named: once, with the name, in
	 * address order. */
	struct target_set *ts = finalized(SPECS("127.0.0.0/30", "localhost"), NULL,
					  TARGET_FAMILY_V4, 100);

	assert_int_equal(target_set_count(ts), 4);
	expect_host(ts, 0, "127.0.0.0", NULL);
	expect_host(ts, 1, "127.0.0.1", "localhost");
	expect_host(ts, 2, "127.0.0.2", NULL);
	expect_host(ts, 3, "127.0.0.3", NULL);
	target_set_free(ts);

	/* The name at the end of the range, and given first. */
	ts = finalized(SPECS("localhost", "127.0.0.0-1"), NULL, TARGET_FAMILY_V4, 100);
	assert_int_equal(target_set_count(ts), 2);
	expect_host(ts, 0, "127.0.0.0", NULL);
	expect_host(ts, 1, "127.0.0.1", "localhost");
	target_set_free(ts);

	ts = finalized(SPECS("localhost", "127.0.0.1-2"), NULL, TARGET_FAMILY_V4, 100);
	assert_int_equal(target_set_count(ts), 2);
	expect_host(ts, 0, "127.0.0.1", "localhost");
	expect_host(ts, 1, "127.0.0.2", NULL);
	target_set_free(ts);
}

/* How many IPv4 hosts "localhost" alone gives. */
static uint64_t localhost_v4_count(void)
{
	struct target_set *ts = finalized(SPECS("localhost"), NULL,
					  TARGET_FAMILY_V4, 100);
	uint64_t n = target_set_count(ts);

	target_set_free(ts);
	return n;
}

static void test_two_names_same_address(void **state)
{
	need_test_hosts();
	uint64_t once = localhost_v4_count();

	/* Host lookups are case-insensitive, so these are two names for the
	 * same host: the first given wins. */
	struct target_set *ts = finalized(SPECS("LocalHost", "localhost", "LocalHost"),
					  NULL, TARGET_FAMILY_V4, 100);
	const char *name;

	/* Each address once, not once per name. */
	assert_int_equal(target_set_count(ts), once);
	find_loopback(ts, &name);
	assert_string_equal(name, "LocalHost");
	target_set_free(ts);

	ts = finalized(SPECS("localhost", "LocalHost"), NULL, TARGET_FAMILY_V4, 100);
	find_loopback(ts, &name);
	assert_string_equal(name, "localhost");
	target_set_free(ts);
}

static void test_many_names(void **state)
{
	need_test_hosts();
	/* 40 distinct spellings of localhost: more lookups than resolver
	 * threads, all of which must land, with the first spelling kept. */
	struct target_set *ts = target_set_new();
	GError *err = NULL;
	char first[16] = "";
	const char *name;

	for (unsigned i = 0; i < 40; i++) {
		char n[16];

		for (unsigned k = 0; k < 9; k++) {
			char c = "localhost"[k];

			n[k] = (i >> k) & 1 ? g_ascii_toupper(c) : c;
		}
		n[9] = '\0';
		if (i == 0)
			strcpy(first, n);
		assert_int_equal(target_set_add(ts, n, &err), 0);
	}
	assert_int_equal(target_set_finalize(ts, TARGET_FAMILY_V4, 100, &err), 0);
	assert_int_equal(target_set_count(ts), localhost_v4_count());
	find_loopback(ts, &name);
	assert_string_equal(name, first);
	assert_string_equal(warnings->str, "");
	target_set_free(ts);
}

static void test_unresolvable_name(void **state)
{
	need_test_hosts();
	struct target_set *ts = finalized(SPECS("no-such-host.invalid", "192.0.2.1"),
					  NULL, TARGET_FAMILY_ANY, 100);

	assert_int_equal(target_set_count(ts), 1);
	expect_host(ts, 0, "192.0.2.1", NULL);
	assert_non_null(strstr(warnings->str, "cannot resolve 'no-such-host.invalid': "));
	/* Once, though warned about from one lookup. */
	assert_null(strstr(strstr(warnings->str, "no-such-host") + 1, "no-such-host"));
	target_set_free(ts);

	/* Only unresolvable names: nothing to scan. */
	g_string_truncate(warnings, 0);
	expect_finalize_error(SPECS("no-such-host.invalid"), NULL, 100,
			      "no targets to scan");
	assert_non_null(strstr(warnings->str, "cannot resolve 'no-such-host.invalid'"));
}

static void test_exclude_name(void **state)
{
	need_test_hosts();
	struct target_set *ts = finalized(SPECS("127.0.0.0/30"),
					  SPECS("localhost", "no-such-host.invalid"),
					  TARGET_FAMILY_ANY, 100);

	assert_int_equal(target_set_count(ts), 3);
	expect_host(ts, 0, "127.0.0.0", NULL);
	expect_host(ts, 1, "127.0.0.2", NULL);
	assert_non_null(strstr(warnings->str, "cannot resolve 'no-such-host.invalid'"));
	target_set_free(ts);

	/* A name both scanned and excluded is excluded. */
	expect_finalize_error(SPECS("localhost"), SPECS("localhost"), 100,
			      "no targets to scan");
}

/* ---- concurrent readers ---- */

struct reader_arg {
	const struct target_set *ts;
	unsigned seed;
	bool ok;
};

static gpointer reader(gpointer p)
{
	struct reader_arg *ra = p;

	ra->ok = true;
	for (uint64_t i = ra->seed; i < target_set_count(ra->ts); i += 7) {
		struct pl_addr a;
		const char *name;

		target_set_get(ra->ts, i, &a, &name);
		/* 10.0.0.0/16 minus 10.0.1.0/24: index maps to address. */
		uint64_t want = 0x0a000000u + i + (i >= 256 ? 256 : 0);

		if (a.family != AF_INET || a.v.lo != want || name != NULL)
			ra->ok = false;
	}
	return NULL;
}

static void test_concurrent_get(void **state)
{
	struct target_set *ts = finalized(SPECS("10.0.0.0/16"), SPECS("10.0.1.0/24"),
					  TARGET_FAMILY_ANY, 100000);
	struct reader_arg args[4];
	GThread *th[4];

	for (unsigned i = 0; i < 4; i++) {
		args[i] = (struct reader_arg){ .ts = ts, .seed = i };
		th[i] = g_thread_new("reader", reader, &args[i]);
	}
	for (unsigned i = 0; i < 4; i++) {
		g_thread_join(th[i]);
		assert_true(args[i].ok);
	}
	target_set_free(ts);
}

/* ---- files ---- */

/* Writes text to a new temporary file; returns its path (g_free, unlink). */
static char *temp_file(const char *text, size_t len)
{
	GError *err = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("portolan-targets-XXXXXX", &path, &err);

	if (fd < 0)
		fail_msg("temp file: %s", err->message);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_file(void **state)
{
	static const char text[] =
		"# scan list\n"
		"\n"
		"192.0.2.1 192.0.2.2,192.0.2.3\t 192.0.2.10-12 # trailing comment\n"
		"   \r\n"
		"2001:db8::/126\r\n"
		"198.51.100.0/30,,\n";
	char *path = temp_file(text, strlen(text));
	struct target_set *ts = target_set_new();
	GError *err = NULL;

	assert_int_equal(target_set_add_file(ts, path, false, &err), 0);
	assert_null(err);
	assert_int_equal(target_set_finalize(ts, TARGET_FAMILY_ANY, 100, &err), 0);
	assert_int_equal(target_set_count(ts), 3 + 3 + 4 + 4);
	expect_host(ts, 5, "192.0.2.12", NULL);
	expect_host(ts, 6, "198.51.100.0", NULL);
	expect_host(ts, 13, "2001:db8::3", NULL);
	target_set_free(ts);
	unlink(path);
	g_free(path);
}

static void test_file_exclude(void **state)
{
	static const char text[] = "192.0.2.0/25 # first half\n192.0.2.200\n";
	char *path = temp_file(text, strlen(text));
	struct target_set *ts = target_set_new();
	GError *err = NULL;

	assert_int_equal(target_set_add_file(ts, path, true, &err), 0);
	assert_int_equal(target_set_add(ts, "192.0.2.0/24", &err), 0);
	assert_int_equal(target_set_finalize(ts, TARGET_FAMILY_ANY, 1000, &err), 0);
	assert_int_equal(target_set_count(ts), 127);
	expect_host(ts, 0, "192.0.2.128", NULL);
	target_set_free(ts);
	unlink(path);
	g_free(path);
}

static void expect_file_error(const char *text, size_t len, const char *suffix)
{
	char *path = temp_file(text, len);
	struct target_set *ts = target_set_new();
	GError *err = NULL;
	char *want = g_strconcat(path, suffix, NULL);

	assert_int_equal(target_set_add_file(ts, path, false, &err), -1);
	assert_non_null(err);
	assert_true(g_error_matches(err, PL_ERROR, PL_ERROR_USAGE));
	assert_string_equal(err->message, want);
	g_error_free(err);
	g_free(want);
	target_set_free(ts);
	unlink(path);
	g_free(path);
}

static void test_file_errors(void **state)
{
	static const char bad_line[] = "# ok\n192.0.2.1\n\n10.0.0.0/8 10.0.0.0/33\n";
	static const char nul_line[] = "192.0.2.1\n192.0\0.2.2\n";

	expect_file_error(bad_line, strlen(bad_line),
			  ":4: invalid target '10.0.0.0/33': prefix length out of range");
	expect_file_error("a\nb\nfoo!bar\n", 12, ":3: invalid target 'foo!bar'");
	expect_file_error("300.1.1.1", 9, ":1: invalid target '300.1.1.1'");
	expect_file_error(nul_line, sizeof(nul_line) - 1, ":2: line contains a NUL byte");

	/* Line 2 is over 1 MiB: refused with its number. */
	size_t big = 1024 * 1024 + 10;
	char *text = g_malloc(big + 20);
	size_t n = 0;

	memcpy(text, "192.0.2.1\n", 10);
	n = 10;
	memset(text + n, ' ', big);
	n += big;
	text[n++] = '\n';
	expect_file_error(text, n, ":2: line longer than 1048576 bytes");
	g_free(text);

	/* A line of exactly 1 MiB (newline included) is fine. */
	text = g_malloc(1024 * 1024);
	memset(text, ' ', 1024 * 1024 - 10);
	memcpy(text + 1024 * 1024 - 10, "192.0.2.1\n", 10);
	char *path = temp_file(text, 1024 * 1024);
	struct target_set *ts = target_set_new();
	GError *err = NULL;

	assert_int_equal(target_set_add_file(ts, path, false, &err), 0);
	target_set_free(ts);
	unlink(path);
	g_free(path);
	g_free(text);
}

/* Issue 12: a UTF-8 byte-order mark at the start of a targets or exclude
 * file is skipped, and the first line keeps its number. */
static void test_file_bom(void **state)
{
	static const char text[] = "\xEF\xBB\xBF" "192.0.2.1\n192.0.2.2\n";
	static const char excl[] = "\xEF\xBB\xBF" "192.0.2.2 # not this one\n";
	char *path = temp_file(text, strlen(text));
	char *xpath = temp_file(excl, strlen(excl));
	struct target_set *ts = target_set_new();
	GError *err = NULL;

	assert_int_equal(target_set_add_file(ts, path, false, &err), 0);
	assert_int_equal(target_set_add_file(ts, xpath, true, &err), 0);
	assert_int_equal(target_set_finalize(ts, TARGET_FAMILY_ANY, 100, &err), 0);
	assert_int_equal(target_set_count(ts), 1);
	expect_host(ts, 0, "192.0.2.1", NULL);
	target_set_free(ts);
	unlink(path);
	unlink(xpath);
	g_free(path);
	g_free(xpath);

	/* Only at the start of the file: elsewhere it is a bad target, shown
	 * escaped; a mark alone on line 1 is an empty line. */
	expect_file_error("\xEF\xBB\xBF" "\n192.0.2.1 \xEF\xBB\xBF" "192.0.2.2\n", 27,
			  ":2: invalid target '\\xef\\xbb\\xbf192.0.2.2'");
}

/* Control bytes from a file are escaped in messages: an ESC sequence or a
 * bell must not reach the terminal as it is. */
static void test_file_error_escaped(void **state)
{
	expect_file_error("foo\x1b[31mbar\n", 12, ":1: invalid target 'foo\\x1b[31mbar'");
	expect_file_error("192.0.2.0/9\x1b]0;x\x07\n", 18,
			  ":1: invalid target '192.0.2.0/9\\x1b]0;x\\x07': bad prefix length");
	expect_file_error("192.0.2.1-\x7f\n", 12, ":1: invalid target '192.0.2.1-\\x7f': bad range end");
	expect_add_error("a\rb", "invalid target 'a\\x0db'");
	expect_add_error("a\\b", "invalid target 'a\\\\b'");
}

static void test_file_missing(void **state)
{
	struct target_set *ts = target_set_new();
	GError *err = NULL;

	assert_int_equal(target_set_add_file(ts, "/nonexistent/hosts.txt", false,
					      &err), -1);
	assert_string_equal(err->message,
			    "cannot open '/nonexistent/hosts.txt': No such file or directory");
	g_error_free(err);
	target_set_free(ts);
}

static void test_file_stdin(void **state)
{
	static const char text[] = "192.0.2.1\n# c\n192.0.2.2, 192.0.2.3\n";
	char *path = temp_file(text, strlen(text));
	struct target_set *ts = target_set_new();
	GError *err = NULL;
	int saved = dup(0);
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fileno(f), 0), 0);
	fclose(f);
	clearerr(stdin);

	int rc = target_set_add_file(ts, "-", false, &err);

	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	clearerr(stdin);
	assert_int_equal(rc, 0);
	assert_int_equal(target_set_finalize(ts, TARGET_FAMILY_ANY, 100, &err), 0);
	assert_int_equal(target_set_count(ts), 3);
	target_set_free(ts);
	unlink(path);
	g_free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_single_addresses, reset_warnings),
		cmocka_unit_test_setup(test_invalid_specs, reset_warnings),
		cmocka_unit_test_setup(test_valid_names_syntax, reset_warnings),
		cmocka_unit_test_setup(test_cidr_v4, reset_warnings),
		cmocka_unit_test_setup(test_slash8, reset_warnings),
		cmocka_unit_test_setup(test_cidr_v6, reset_warnings),
		cmocka_unit_test_setup(test_ranges, reset_warnings),
		cmocka_unit_test_setup(test_dedup_overlap, reset_warnings),
		cmocka_unit_test_setup(test_order, reset_warnings),
		cmocka_unit_test_setup(test_exclusions, reset_warnings),
		cmocka_unit_test_setup(test_exclusion_order_independent, reset_warnings),
		cmocka_unit_test_setup(test_unscanned_specs, reset_warnings),
		cmocka_unit_test_setup(test_nothing_left, reset_warnings),
		cmocka_unit_test_setup(test_max_hosts, reset_warnings),
		cmocka_unit_test_setup(test_max_hosts_v6, reset_warnings),
		cmocka_unit_test_setup(test_localhost, reset_warnings),
		cmocka_unit_test_setup(test_family_keeps_literals, reset_warnings),
		cmocka_unit_test_setup(test_name_inside_cidr, reset_warnings),
		cmocka_unit_test_setup(test_two_names_same_address, reset_warnings),
		cmocka_unit_test_setup(test_many_names, reset_warnings),
		cmocka_unit_test_setup(test_unresolvable_name, reset_warnings),
		cmocka_unit_test_setup(test_exclude_name, reset_warnings),
		cmocka_unit_test_setup(test_concurrent_get, reset_warnings),
		cmocka_unit_test_setup(test_file, reset_warnings),
		cmocka_unit_test_setup(test_file_exclude, reset_warnings),
		cmocka_unit_test_setup(test_file_errors, reset_warnings),
		cmocka_unit_test_setup(test_file_bom, reset_warnings),
		cmocka_unit_test_setup(test_file_error_escaped, reset_warnings),
		cmocka_unit_test_setup(test_file_missing, reset_warnings),
		cmocka_unit_test_setup(test_file_stdin, reset_warnings),
	};
	int failed;

	warnings = g_string_new(NULL);
	g_log_set_writer_func(capture_writer, NULL, NULL);
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	g_string_free(warnings, TRUE);
	return failed != 0;
}
