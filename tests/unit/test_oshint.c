/* test_oshint.c: OS families from SYN-ACK evidence (oshint_classify) and
 * the verdict merged with a banner's hint (oshint_finish): one case per
 * family, TTL alone (a low claim or none), option orders alone, evidence
 * that contradicts itself or the banner (a lower claim that says so), and
 * no evidence at all. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <glib.h>

#include "oshint.h"

static struct os_evidence ev(uint8_t initial, const char *options)
{
	struct os_evidence e = { .ttl = (uint8_t)(initial - 3), .initial_ttl = initial, .df = 1 };

	g_strlcpy(e.options, options, sizeof e.options);
	return e;
}

static void expect(uint8_t initial, const char *options, const char *family, unsigned accuracy,
		   const char *reason)
{
	struct os_evidence e = ev(initial, options);
	struct os_guess g;

	assert_true(oshint_classify(&e, &g));
	assert_string_equal(g.family, family);
	assert_int_equal(g.accuracy, accuracy);
	assert_string_equal(g.reason, reason);
}

static void test_families(void **state)
{
	expect(64, "MSS,SACK,TS,NOP,WS", "Linux", 85,
	       "TTL 64, options MSS,SACK,TS,NOP,WS: Linux family");
	expect(64, "MSS,NOP,NOP,SACK,NOP,WS", "Linux", 85,
	       "TTL 64, options MSS,NOP,NOP,SACK,NOP,WS: Linux family");
	expect(128, "MSS,NOP,WS,NOP,NOP,SACK", "Windows", 85,
	       "TTL 128, options MSS,NOP,WS,NOP,NOP,SACK: Windows family");
	/* One order, two stacks: the TTL tells them apart. */
	expect(128, "MSS,NOP,WS,SACK,TS", "Windows", 85,
	       "TTL 128, options MSS,NOP,WS,SACK,TS: Windows family");
	expect(64, "MSS,NOP,WS,SACK,TS", "FreeBSD", 85,
	       "TTL 64, options MSS,NOP,WS,SACK,TS: FreeBSD family");
	expect(64, "MSS,NOP,WS,NOP,NOP,TS,SACK,EOL", "macOS", 85,
	       "TTL 64, options MSS,NOP,WS,NOP,NOP,TS,SACK,EOL: macOS family");
	expect(64, "MSS,NOP,NOP,SACK,NOP,WS,NOP,NOP,TS", "OpenBSD", 85,
	       "TTL 64, options MSS,NOP,NOP,SACK,NOP,WS,NOP,NOP,TS: OpenBSD family");
}

/* TTL alone: at most a low claim, and TTL 32 none. */
static void test_ttl_alone(void **state)
{
	struct os_evidence e = ev(32, "MSS");
	struct os_guess g;

	expect(64, "MSS,NOP,WS", "Unix-like", 30,
	       "TTL 64: Unix-like family (options MSS,NOP,WS say nothing more)");
	expect(128, "MSS", "Windows", 30, "TTL 128: Windows family (options MSS say nothing more)");
	expect(255, "", "Solaris or network device", 20,
	       "TTL 255: Solaris or network device family (options none say nothing more)");
	assert_false(oshint_classify(&e, &g));
}

static void test_options_alone(void **state)
{
	expect(32, "MSS,SACK,TS,NOP,WS", "Linux", 60,
	       "options MSS,SACK,TS,NOP,WS: Linux family (TTL 32 says nothing)");
	expect(32, "MSS,NOP,WS,SACK,TS", "Windows or FreeBSD", 60,
	       "options MSS,NOP,WS,SACK,TS: Windows or FreeBSD family (TTL 32 says nothing)");
}

/* TTL and option order disagree: the order wins, lower, and says so. */
static void test_conflict(void **state)
{
	expect(128, "MSS,SACK,TS,NOP,WS", "Linux", 45,
	       "options MSS,SACK,TS,NOP,WS: Linux family, but TTL 128 suggests Windows "
	       "(conflicting evidence)");
	expect(64, "MSS,NOP,WS,NOP,NOP,SACK", "Windows", 45,
	       "options MSS,NOP,WS,NOP,NOP,SACK: Windows family, but TTL 64 suggests Unix-like "
	       "(conflicting evidence)");
	expect(255, "MSS,NOP,WS,SACK,TS", "Windows or FreeBSD", 45,
	       "options MSS,NOP,WS,SACK,TS: Windows or FreeBSD family, but TTL 255 suggests "
	       "Solaris or network device (conflicting evidence)");
}

/* The verdict on a result, from the evidence and the banner's hint. */
static void finish(const struct os_evidence *e, const char *hint, const char *family,
		   unsigned accuracy, const char *reason)
{
	struct result *r = result_new();

	if (e != NULL) {
		r->os_ev = g_new(struct os_evidence, 1);
		*r->os_ev = *e;
	}
	r->os_hint = g_strdup(hint);
	oshint_finish(r);
	if (family == NULL) {
		assert_null(r->os_family);
		assert_null(r->os_reason);
		assert_int_equal(r->os_accuracy, 0);
	} else {
		assert_string_equal(r->os_family, family);
		assert_int_equal(r->os_accuracy, accuracy);
		assert_string_equal(r->os_reason, reason);
	}
	result_free(r);
}

static void test_merge(void **state)
{
	struct os_evidence lin = ev(64, "MSS,SACK,TS,NOP,WS"), unix64 = ev(64, "MSS"),
		win = ev(128, "MSS,NOP,WS,NOP,NOP,SACK"), w128 = ev(128, "MSS");

	/* Nothing at all; a banner alone (a connect scan). */
	finish(NULL, NULL, NULL, 0, NULL);
	finish(NULL, "", NULL, 0, NULL);
	finish(NULL, "Linux 6.1.0-18-amd64 x86_64", "Linux", 60,
	       "banner says Linux 6.1.0-18-amd64 x86_64");
	finish(NULL, "Plan 9", "Plan 9", 60, "banner says Plan 9");
	/* The SYN-ACK alone. */
	finish(&lin, NULL, "Linux", 85, "TTL 64, options MSS,SACK,TS,NOP,WS: Linux family");
	/* Agreement raises the claim and names both; the banner narrows a
	 * "Unix-like". */
	finish(&lin, "Ubuntu", "Linux", 95,
	       "TTL 64, options MSS,SACK,TS,NOP,WS: Linux family; banner says Ubuntu: they agree");
	finish(&unix64, "linux", "Linux", 70,
	       "TTL 64: Unix-like family (options MSS say nothing more); banner says linux: they agree");
	/* Conflict lowers the stronger one and says so. */
	finish(&win, "Linux", "Windows", 60,
	       "TTL 128, options MSS,NOP,WS,NOP,NOP,SACK: Windows family; but banner says Linux "
	       "(conflicting evidence)");
	finish(&w128, "FreeBSD", "FreeBSD", 35,
	       "banner says FreeBSD; but TTL 128: Windows family (options MSS say nothing more) "
	       "(conflicting evidence)");
	/* Words nobody can place neither confirm nor contradict. */
	finish(&lin, "Plan 9", "Linux", 85,
	       "TTL 64, options MSS,SACK,TS,NOP,WS: Linux family; banner says Plan 9");
	/* Evidence that says nothing, with and without a banner. */
	finish(&(struct os_evidence){ .initial_ttl = 32, .options = "MSS" }, NULL, NULL, 0, NULL);
	finish(&(struct os_evidence){ .initial_ttl = 32, .options = "MSS" }, "Windows", "Windows", 60,
	       "banner says Windows");
}

/* A row read back keeps the verdict it had. */
static void test_finish_keeps_a_verdict(void **state)
{
	struct result *r = result_new();

	r->os_family = g_strdup("Linux");
	r->os_reason = g_strdup("as written");
	r->os_accuracy = 42;
	r->os_hint = g_strdup("Windows");
	oshint_finish(r);
	assert_string_equal(r->os_family, "Linux");
	assert_string_equal(r->os_reason, "as written");
	assert_int_equal(r->os_accuracy, 42);
	result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_ttl_alone),
		cmocka_unit_test(test_options_alone),
		cmocka_unit_test(test_conflict),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_finish_keeps_a_verdict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
