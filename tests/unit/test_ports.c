/* test_ports.c: unit tests for ports.c (port specs, their errors, the
 * default set and the compact format). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "ports.h"
#include "probe_db.h"

/* Parses spec, which must succeed, and returns its compact form (g_free). */
static char *parse_fmt(const char *spec, size_t *count)
{
	struct port_list pl;
	GError *err = NULL;
	char *s;

	if (ports_parse(spec, &pl, &err) != 0)
		fail_msg("'%s' rejected: %s", spec, err->message);
	assert_null(err);
	s = ports_format(&pl);
	if (count != NULL)
		*count = pl.count;
	ports_free(&pl);
	return s;
}

static void expect_ok(const char *spec, const char *want, size_t want_count)
{
	size_t n;
	char *s = parse_fmt(spec, &n);

	assert_string_equal(s, want);
	assert_int_equal(n, want_count);
	g_free(s);
}

static void expect_error(const char *spec, const char *message)
{
	struct port_list pl = { (uint16_t *)&pl, 99 };
	GError *err = NULL;

	if (ports_parse(spec, &pl, &err) != -1)
		fail_msg("'%s' accepted", spec);
	assert_non_null(err);
	assert_true(g_error_matches(err, PL_ERROR, PL_ERROR_USAGE));
	assert_string_equal(err->message, message);
	/* The list is left empty on failure. */
	assert_null(pl.ports);
	assert_int_equal(pl.count, 0);
	g_error_free(err);
}

static void test_single_and_list(void **state)
{
	expect_ok("22", "22", 1);
	expect_ok("1", "1", 1);
	expect_ok("65535", "65535", 1);
	expect_ok("443,22,80", "22,80,443", 3);
	expect_ok(" 22 , 80\t,443 ", "22,80,443", 3);
}

static void test_sorted_unique(void **state)
{
	struct port_list pl;
	GError *err = NULL;

	assert_int_equal(ports_parse("80,22,80,22,1-3,2", &pl, &err), 0);
	assert_int_equal(pl.count, 5);
	assert_int_equal(pl.ports[0], 1);
	assert_int_equal(pl.ports[1], 2);
	assert_int_equal(pl.ports[2], 3);
	assert_int_equal(pl.ports[3], 22);
	assert_int_equal(pl.ports[4], 80);
	ports_free(&pl);
	assert_null(pl.ports);
	assert_int_equal(pl.count, 0);
}

static void test_ranges(void **state)
{
	expect_ok("8000-8100", "8000-8100", 101);
	expect_ok("5-5", "5", 1);
	expect_ok("8000-8100,22,8050-8200", "22,8000-8200", 202);
	expect_ok("-1024", "1-1024", 1024);
	expect_ok("60000-", "60000-65535", 5536);
	expect_ok("-", "1-65535", 65535);
	expect_ok(" - ", "1-65535", 65535);
	expect_ok("1-65535", "1-65535", 65535);
	/* Adjacent items collapse in the compact form. */
	expect_ok("1-10,11,12-20", "1-20", 20);
}

static void test_service_names(void **state)
{
	expect_ok("ssh", "22", 1);
	expect_ok("http", "80", 1);
	expect_ok("ssh,http,22", "22,80", 2);
	expect_ok(" https , 1-3", "1-3,443", 4);
}

static void test_errors(void **state)
{
	expect_error("70000", "invalid port '70000': out of range 1-65535");
	expect_error("0", "invalid port '0': out of range 1-65535");
	expect_error("65536", "invalid port '65536': out of range 1-65535");
	expect_error("99999999999999999999999",
		     "invalid port '99999999999999999999999': out of range 1-65535");
	expect_error("10-5", "invalid port range '10-5': start above end");
	expect_error("1-70000",
		     "invalid port range '1-70000': '70000' out of range 1-65535");
	expect_error("0-10", "invalid port range '0-10': '0' out of range 1-65535");
	expect_error("abc", "invalid port 'abc': unknown service name");
	expect_error("22,no-such-service-xyz",
		     "invalid port 'no-such-service-xyz': unknown service name");
	expect_error("22,,80", "invalid port list '22,,80': empty item");
	expect_error("22,", "invalid port list '22,': empty item");
	expect_error(",22", "invalid port list ',22': empty item");
	expect_error("22, ,80", "invalid port list '22, ,80': empty item");
	expect_error("", "invalid port list '': empty");
	expect_error("   ", "invalid port list '   ': empty");
	expect_error("22x", "invalid port '22x': not a number or range");
	expect_error("22 80", "invalid port '22 80': not a number or range");
	expect_error("1-2-3", "invalid port range '1-2-3': not a number or range");
	expect_error("--5", "invalid port range '--5': not a number or range");
	expect_error("5-x", "invalid port range '5-x': not a number or range");
	expect_error("+22", "invalid port '+22': unknown service name");
	{
		/* A pasted 120 KB list quotes 80 bytes of itself, not all of it. */
		GString *big = g_string_new(NULL);
		struct port_list pl;
		GError *err = NULL;
		char want[160];

		while (big->len < 120000)
			g_string_append(big, "8080,");
		g_string_append_c(big, ',');
		assert_int_equal(ports_parse(big->str, &pl, &err), -1);
		g_snprintf(want, sizeof(want), "invalid port list '%.80s...(%zu bytes)': empty item",
			   big->str, big->len);
		assert_string_equal(err->message, want);
		g_clear_error(&err);
		g_string_free(big, TRUE);
	}
	expect_error("0x16", "invalid port '0x16': not a number or range");
}

/* nmap's protocol prefixes: which ports each protocol keeps. */
static void expect_proto(const char *spec, int want, const char *ports, unsigned named)
{
	struct port_list pl;
	GError *err = NULL;
	unsigned got_named = 99;
	char *s;

	if (ports_parse_proto(spec, want, &pl, &got_named, &err) != 0)
		fail_msg("'%s': %s", spec, err->message);
	s = ports_format(&pl);
	if (strcmp(s, ports) != 0)
		fail_msg("'%s' for %d: '%s', want '%s'", spec, want, s, ports);
	assert_int_equal(got_named, named);
	g_free(s);
	ports_free(&pl);
}

static void test_protocol_prefixes(void **state)
{
	const unsigned T = 1u << PORTS_TCP, U = 1u << PORTS_UDP;
	struct port_list pl;
	GError *err = NULL;

	expect_proto("T:22,80,U:53,161", PORTS_TCP, "22,80", T | U);
	expect_proto("T:22,80,U:53,161", PORTS_UDP, "53,161", T | U);
	expect_proto("u:53,t:22", PORTS_UDP, "53", T | U);
	/* Before any prefix: every protocol's. */
	expect_proto("7,U:53", PORTS_TCP, "7", U);
	expect_proto("7,U:53", PORTS_UDP, "7,53", U);
	expect_proto("U:1-3,5", PORTS_UDP, "1-3,5", U);
	expect_proto("U: 53", PORTS_UDP, "53", U);
	expect_proto("22,80", PORTS_UDP, "22,80", 0);
	expect_proto("U:53", PORTS_TCP, "", U);
	/* Service names in the protocol's own table. */
	expect_proto("U:domain", PORTS_UDP, "53", U);
	/* Other letters are not protocols; a bare prefix is an empty item. */
	assert_int_equal(ports_parse_proto("S:22", PORTS_UDP, &pl, NULL, &err), -1);
	assert_string_equal(err->message, "invalid port list 'S:22': 'S:' is not a protocol (T: TCP, U: UDP)");
	g_clear_error(&err);
	assert_int_equal(ports_parse_proto("U:", PORTS_UDP, &pl, NULL, &err), -1);
	assert_string_equal(err->message, "invalid port list 'U:': empty item");
	g_clear_error(&err);
	/* Plain ports_parse knows no prefix. */
	expect_error("U:53", "invalid port 'U:53': unknown service name");
}

static void test_format(void **state)
{
	struct port_list empty = { NULL, 0 };
	uint16_t v[] = { 1, 2, 3, 5, 7, 8, 65535 };
	struct port_list pl = { v, sizeof(v) / sizeof(v[0]) };
	char *s;

	s = ports_format(&empty);
	assert_string_equal(s, "");
	g_free(s);
	s = ports_format(&pl);
	assert_string_equal(s, "1-3,5,7-8,65535");
	g_free(s);
}

/* Formatting and parsing again gives the same list. */
static void test_round_trip(void **state)
{
	static const char *specs[] = {
		"22", "1-3,5,7-8,65535", "-", "ssh,http,8000-8100,8443",
		"-1024,60000-",
	};

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		char *once = parse_fmt(specs[i], NULL);
		char *twice = parse_fmt(once, NULL);

		assert_string_equal(once, twice);
		g_free(once);
		g_free(twice);
	}
}

static void test_default_spec(void **state)
{
	struct port_list pl;
	GError *err = NULL;
	static const uint16_t must[] = {
		21, 22, 23, 25, 53, 80, 88, 110, 111, 119, 139, 143, 389, 443,
		445, 465, 587, 631, 636, 873, 993, 995, 1883, 2049, 2181, 2375,
		2376, 3128, 3306, 3389, 5060, 5222, 5432, 5672, 5900, 6000, 6379,
		6443, 6667, 8000, 8008, 8080, 8443, 8883, 8888, 9200, 9418, 10250,
		11211, 27017,
	};

	assert_int_equal(ports_parse(ports_default_spec(), &pl, &err), 0);
	assert_in_range(pl.count, 80, 120);
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++) {
		bool found = false;

		for (size_t k = 0; k < pl.count; k++)
			found = found || pl.ports[k] == must[i];
		if (!found)
			fail_msg("port %u missing from the default set",
				 (unsigned)must[i]);
	}
	/* Written as single ports, sorted and unique: every item survives,
	 * in the order written. */
	char **items = g_strsplit(ports_default_spec(), ",", -1);

	assert_int_equal(g_strv_length(items), pl.count);
	for (size_t k = 0; k < pl.count; k++)
		assert_int_equal(strtoul(items[k], NULL, 10), pl.ports[k]);
	g_strfreev(items);
	ports_free(&pl);
}

/* The ranking is every port at most once; its head is the default set, the
 * rest exactly the other ports the shipped probe files list. */
static void test_ranking_sources(void **state)
{
	const uint16_t *r;
	size_t n = ports_ranked(&r), ndef;
	struct port_list def;
	GError *err = NULL;
	struct probe_db *db;
	const struct probe *all[256];
	size_t nprobes;
	bool seen[65536] = { false };

	assert_int_equal(ports_parse(ports_default_spec(), &def, &err), 0);
	ndef = def.count;
	assert_true(n > ndef);
	for (size_t i = 0; i < n; i++) {
		assert_false(seen[r[i]]);
		seen[r[i]] = true;
		assert_true(ports_contains(&def, r[i]) == (i < ndef));
	}
	db = probe_db_load_dir("probes", &err);
	assert_non_null(db);
	/* The ranking is TCP's: the probes detection may send, not the
	 * UDP scan's payloads. */
	nprobes = probe_db_order(db, 1, NULL, all, 256);
	{
		size_t udp = 0;

		for (size_t k = 0; k < probe_db_count(db); k++)
			udp += probe_is_udp(probe_db_get(db, k));
		assert_true(udp > 0);
		assert_int_equal(nprobes + udp, probe_db_count(db));
	}
	for (unsigned p = 1; p <= 65535; p++) {
		bool listed = false;

		for (size_t k = 0; k < nprobes && !listed; k++)
			listed = probe_lists_port(all[k], (uint16_t)p);
		if (!ports_contains(&def, (uint16_t)p) && listed != seen[p])
			fail_msg("port %u: listed by a probe %d, in the ranking %d", p, listed, seen[p]);
	}
	probe_db_free(db);
	ports_free(&def);
}

static void test_top_spec(void **state)
{
	struct port_list pl, def;
	GError *err = NULL;
	const uint16_t *r;
	size_t n = ports_ranked(&r);
	char *spec;

	spec = ports_top_spec(1);
	assert_string_equal(spec, "22");
	g_free(spec);
	/* The default set is the top 98; -F (100) adds the next two. */
	assert_int_equal(ports_parse(ports_default_spec(), &def, &err), 0);
	spec = ports_top_spec((unsigned)def.count);
	assert_int_equal(ports_parse(spec, &pl, &err), 0);
	assert_int_equal(pl.count, def.count);
	assert_memory_equal(pl.ports, def.ports, def.count * sizeof(def.ports[0]));
	ports_free(&pl);
	g_free(spec);
	spec = ports_top_spec(100);
	assert_int_equal(ports_parse(spec, &pl, &err), 0);
	assert_int_equal(pl.count, 100);
	assert_true(ports_contains(&pl, r[98]) && ports_contains(&pl, r[99]));
	ports_free(&pl);
	g_free(spec);
	/* Past the ranking: the lowest ports not yet taken, in numeric order. */
	spec = ports_top_spec((unsigned)n + 2);
	assert_int_equal(ports_parse(spec, &pl, &err), 0);
	assert_int_equal(pl.count, n + 2);
	assert_true(ports_contains(&pl, 1) && ports_contains(&pl, 2) && !ports_contains(&pl, 3));
	ports_free(&pl);
	g_free(spec);
	spec = ports_top_spec(65535);
	assert_string_equal(spec, "1-65535");
	g_free(spec);
	ports_free(&def);
}

/* The UDP ranking: every port once; every port a UDP probe of the probe
 * files lists is in it (a UDP payload written is a service worth ranking);
 * its head is DNS, NTP; --top-ports per protocol; past the ranking the
 * lowest ports in numeric order; TCP's ranking is ports_ranked's. */
static void test_udp_ranking(void **state)
{
	const uint16_t *r, *t, *t2;
	size_t n = ports_ranked_proto(PORTS_UDP, &r);
	GError *err = NULL;
	struct probe_db *db;
	struct port_list pl;
	bool seen[65536] = { false };
	char *spec;

	assert_true(n >= 50);
	for (size_t i = 0; i < n; i++) {
		assert_true(r[i] != 0);
		assert_false(seen[r[i]]);
		seen[r[i]] = true;
	}
	db = probe_db_load_dir("probes", &err);
	assert_non_null(db);
	{
		size_t udp = 0;

		for (size_t k = 0; k < probe_db_count(db); k++) {
			const struct probe *p = probe_db_get(db, k);

			if (!probe_is_udp(p))
				continue;
			udp++;
			for (unsigned port = 1; port <= 65535; port++)
				if (probe_lists_port(p, (uint16_t)port) && !seen[port])
					fail_msg("UDP port %u has a payload but no rank", port);
		}
		assert_true(udp > 0);
	}
	probe_db_free(db);
	assert_int_equal(ports_ranked_proto(PORTS_TCP, &t), ports_ranked(&t2));
	assert_ptr_equal(t, t2);

	spec = ports_top_spec_proto(1, PORTS_UDP);
	assert_string_equal(spec, "53");
	g_free(spec);
	spec = ports_top_spec_proto(2, PORTS_UDP);
	assert_string_equal(spec, "53,123");
	g_free(spec);
	spec = ports_top_spec_proto(1, PORTS_TCP);
	assert_string_equal(spec, "22");
	g_free(spec);
	spec = ports_top_spec_proto((unsigned)n, PORTS_UDP);
	assert_int_equal(ports_parse(spec, &pl, &err), 0);
	assert_int_equal(pl.count, n);
	for (size_t i = 0; i < n; i++)
		assert_true(ports_contains(&pl, r[i]));
	ports_free(&pl);
	g_free(spec);
	/* Past the ranking: the lowest ports not ranked, in numeric order
	 * (7 and 9 are ranked: 1-6 and 8 come next). */
	spec = ports_top_spec_proto((unsigned)n + 7, PORTS_UDP);
	assert_int_equal(ports_parse(spec, &pl, &err), 0);
	assert_int_equal(pl.count, n + 7);
	for (unsigned p = 1; p <= 8; p++)
		assert_true(ports_contains(&pl, (uint16_t)p));
	assert_false(ports_contains(&pl, 10));
	ports_free(&pl);
	g_free(spec);
	spec = ports_top_spec_proto(65535, PORTS_UDP);
	assert_string_equal(spec, "1-65535");
	g_free(spec);
}

static void test_subtract(void **state)
{
	struct port_list pl, ex;
	GError *err = NULL;
	char *text;

	assert_int_equal(ports_parse("1-10,22,80", &pl, &err), 0);
	assert_int_equal(ports_parse("2-9,80,443", &ex, &err), 0);
	ports_subtract(&pl, &ex);
	text = ports_format(&pl);
	assert_string_equal(text, "1,10,22");
	g_free(text);
	ports_free(&pl);
	ports_free(&ex);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_and_list),
		cmocka_unit_test(test_sorted_unique),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_service_names),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_protocol_prefixes),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_default_spec),
		cmocka_unit_test(test_ranking_sources),
		cmocka_unit_test(test_top_spec),
		cmocka_unit_test(test_udp_ranking),
		cmocka_unit_test(test_subtract),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
