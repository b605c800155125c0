/* test_baseline.c: the baseline reader (a document from the real JSON writer
 * read back; strict rejection of malformed input with file:line:col) and the
 * ndiff-like comparison of current results with it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "audit.h"
#include "baseline.h"
#include "writer.h"

static char path[64];

static void write_file(const char *text, size_t len)
{
	FILE *fp;
	int fd;

	strcpy(path, "/tmp/portolan-baseline-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	fclose(fp);
}

static int teardown(void **state)
{
	if (path[0] != '\0')
		unlink(path);
	path[0] = '\0';
	return 0;
}

static struct baseline *load_text(const char *text, GError **err)
{
	teardown(NULL);
	write_file(text, strlen(text));
	return baseline_load(path, err);
}

static struct result res(const char *ip, uint16_t port, enum port_state st)
{
	struct result r;

	memset(&r, 0, sizeof r);
	assert_true(pl_addr_parse(ip, &r.addr));
	r.port = port;
	r.state = st;
	return r;
}

static void collect(void *ud, const struct finding *f)
{
	GString *out = ud;

	g_string_append_printf(out, "%s%s %u %s|%s", out->len ? "\n" : "",
			       finding_kind_name(f->kind), f->port, f->expected, f->found);
}

static void assert_compare(const struct baseline *b, bool detection, const struct result *r,
			   const char *want)
{
	GString *out = g_string_new(NULL);

	audit_check(NULL, b, detection, r, collect, out);
	assert_string_equal(out->str, want);
	g_string_free(out, TRUE);
}

/* ---- a document the JSON writer wrote ---- */

static void test_roundtrip_and_compare(void **state)
{
	static const char *const targets[] = { "192.0.2.0/24", NULL };
	const struct scan_meta meta = {
		.version = "0.1.0", .start = 1700000000, .targets = targets,
		.ports = "22,80,443,8000-8100", .threads = 8, .timeout_ms = 1000, .retries = 1,
		.states = "open,closed,filtered,error",
	};
	struct result rows[5];
	GError *err = NULL;
	struct baseline *b;
	struct result r;
	FILE *fp;
	void *st;
	int fd;

	rows[0] = res("192.0.2.7", 22, STATE_OPEN);
	rows[0].service = (char *)"ssh";
	rows[0].product = (char *)"OpenSSH";
	rows[0].version = (char *)"9.6p1";
	rows[0].banner = (char *)"SSH-2.0-OpenSSH_9.6p1\\r\\n\x01";
	rows[0].host = "gw \"one\"\n";
	rows[1] = res("192.0.2.7", 80, STATE_OPEN);
	rows[1].product = (char *)"nginx\xff";        /* written as U+FFFD */
	rows[2] = res("192.0.2.7", 443, STATE_CLOSED);
	rows[3] = res("192.0.2.8", 8080, STATE_OPEN);
	rows[4] = res("2001:db8::1", 443, STATE_OPEN);

	strcpy(path, "/tmp/portolan-baseline-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	st = writer_json.open(fp, &meta);
	assert_non_null(st);
	for (int i = 0; i < 5; i++)
		assert_int_equal(writer_json.write(st, fp, &rows[i]), 0);
	assert_int_equal(writer_json.close(st, fp, NULL, 1700000001), 0);
	fclose(fp);

	b = baseline_load(path, &err);
	assert_null(err);
	assert_non_null(b);
	assert_int_equal(baseline_open_count(b), 4);

	/* Same as before: nothing. */
	r = res("192.0.2.7", 22, STATE_OPEN);
	assert_compare(b, false, &r, "");
	/* Open now, closed or absent before (port in the baseline's list). */
	r = res("192.0.2.7", 443, STATE_OPEN);
	assert_compare(b, false, &r, "newly-open 443 not open|open");
	r = res("192.0.2.9", 8050, STATE_OPEN);
	assert_compare(b, false, &r, "newly-open 8050 not open|open");
	/* A port the baseline never scanned is no change. */
	r = res("192.0.2.9", 3306, STATE_OPEN);
	assert_compare(b, false, &r, "");
	/* Open before, and scanned now. */
	r = res("192.0.2.7", 22, STATE_CLOSED);
	assert_compare(b, false, &r, "newly-closed 22 open|closed");
	r = res("192.0.2.8", 8080, STATE_FILTERED);
	assert_compare(b, false, &r, "newly-filtered 8080 open|filtered");
	r = res("2001:db8::1", 443, STATE_ERROR);
	assert_compare(b, false, &r, "");
	r = res("192.0.2.7", 443, STATE_CLOSED);
	assert_compare(b, false, &r, "");

	/* Service changes only when detection ran now. */
	r = res("192.0.2.7", 22, STATE_OPEN);
	r.service = (char *)"ssh";
	r.product = (char *)"Dropbear sshd";
	r.version = (char *)"2022.83";
	assert_compare(b, false, &r, "");
	assert_compare(b, true, &r,
		       "changed-product 22 OpenSSH|Dropbear sshd\n"
		       "changed-version 22 9.6p1|2022.83");
	r.service = NULL;
	r.product = (char *)"OpenSSH";
	r.version = (char *)"9.6p1";
	assert_compare(b, true, &r, "changed-service 22 ssh|");
	/* The same invalid byte now as then is no change. */
	r = res("192.0.2.7", 80, STATE_OPEN);
	r.product = (char *)"nginx\xff";
	assert_compare(b, true, &r, "");
	/* An empty baseline value (not detected then) is not compared. */
	r.service = (char *)"http";
	assert_compare(b, true, &r, "");
	baseline_free(b);
}

static void test_escapes_and_no_port_list(void **state)
{
	GError *err = NULL;
	struct baseline *b = load_text(
		"{\"scan\":null,\"results\":[\n"
		"  {\"ip\":\"198.51.100.1\",\"port\":25,\"state\":\"open\",\"proto\":\"tcp\","
		"\"product\":\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\/ \\\\\",\"version\":null,"
		"\"extra\":[1,-2.5e3,true,false,null,{\"a\":[]}]}\n"
		"], \"summary\": null}\n", &err);
	struct result r;

	assert_null(err);
	assert_non_null(b);
	r = res("198.51.100.1", 25, STATE_OPEN);
	r.product = (char *)"caf\xC3\xA9 \xF0\x9F\x98\x80 \"q\" / \\";
	assert_compare(b, true, &r, "");
	/* No port list in the baseline: every open port it lacks is new. */
	r = res("198.51.100.1", 65000, STATE_OPEN);
	assert_compare(b, true, &r, "newly-open 65000 not open|open");
	baseline_free(b);

	b = load_text("{\"results\":[]}", &err);
	assert_non_null(b);
	assert_int_equal(baseline_open_count(b), 0);
	baseline_free(b);
}

/* Issue 16: the baseline keys on (address, proto, port): TCP 53 and UDP 53
 * are two entries; a row without "proto" (an older file) is TCP; a mixed
 * scan's port list "T:...,U:..." limits newly-open per protocol; a UDP port
 * open then and silent now is newly-filtered, found open|filtered. */
static void test_udp_rows_and_mixed_ports(void **state)
{
	GError *err = NULL;
	struct baseline *b = load_text(
		"{\"scan\":{\"ports\":\"T:22,53,U:53,161\"},\"results\":[\n"
		"  {\"ip\":\"198.51.100.1\",\"port\":53,\"state\":\"open\",\"proto\":\"udp\"},\n"
		"  {\"ip\":\"198.51.100.1\",\"port\":22,\"state\":\"open\"},\n"
		"  {\"ip\":\"198.51.100.1\",\"port\":161,\"state\":\"open|filtered\",\"proto\":\"udp\"}\n"
		"]}\n", &err);
	struct result r;

	assert_null(err);
	assert_non_null(b);
	assert_int_equal(baseline_open_count(b), 2);
	r = res("198.51.100.1", 53, STATE_OPEN);
	r.proto = PROTO_UDP;
	assert_compare(b, false, &r, "");
	r.proto = PROTO_TCP;                 /* TCP 53: not open in the baseline */
	assert_compare(b, false, &r, "newly-open 53 not open|open");
	r = res("198.51.100.1", 22, STATE_OPEN);   /* no proto then: TCP */
	assert_compare(b, false, &r, "");
	r.proto = PROTO_UDP;                 /* UDP 22 was not in its UDP list */
	assert_compare(b, false, &r, "");
	r = res("198.51.100.1", 161, STATE_OPEN);  /* open|filtered then: not open */
	r.proto = PROTO_UDP;
	assert_compare(b, false, &r, "newly-open 161 not open|open");
	r = res("198.51.100.1", 53, STATE_OPEN_FILTERED);
	r.proto = PROTO_UDP;
	assert_compare(b, false, &r, "newly-filtered 53 open|open|filtered");
	r = res("198.51.100.1", 53, STATE_CLOSED);
	r.proto = PROTO_UDP;
	assert_compare(b, false, &r, "newly-closed 53 open|closed");
	baseline_free(b);
}

/* Issue 12: a UTF-8 byte-order mark at the start is skipped; the places in
 * messages still count from the first character after it. */
static void test_bom(void **state)
{
	GError *err = NULL;
	struct baseline *b = load_text("\xEF\xBB\xBF{\"results\":[{\"ip\":\"198.51.100.1\",\"port\":22,"
				       "\"state\":\"open\"}]}\n", &err);
	char *want;

	assert_null(err);
	assert_non_null(b);
	assert_int_equal(baseline_open_count(b), 1);
	baseline_free(b);

	b = load_text("\xEF\xBB\xBF{\"results\":[}", &err);
	assert_null(b);
	want = g_strdup_printf("%s:1:13: ", path);
	assert_non_null(err);
	assert_true(g_str_has_prefix(err->message, want));
	g_free(want);
	g_clear_error(&err);
}

/* ---- strictness ---- */

static void test_errors_name_the_place(void **state)
{
	static const struct {
		const char *doc, *want;
	} cases[] = {
		{ "", "1:1: expected a JSON object (a portolan .json output), found end of file" },
		{ "[]", "1:1: expected a JSON object (a portolan .json output), found '['" },
		{ "{\"results\":[{\"ip\":\"192.0.2.1\",\"port\":1,\"state\":\"open\"}", "1:55: expected ',' or ']', found end of file" },
		{ "{\"results\":[]} x", "1:16: trailing data after the document" },
		{ "{\"results\":[],}", "1:15: expected a string, found '}'" },
		{ "{\"results\":[1]}", "1:13: \"results\": expected an object for each result" },
		{ "{\"results\":{}}", "1:12: \"results\": expected an array" },
		{ "{\"scan\":{}}", "1:12: no \"results\" array: not a portolan JSON document (give the .json "
		  "output, not .jsonl or .csv)" },
		{ "{\"ip\":\"192.0.2.1\",\"port\":1,\"state\":\"open\"}\n{}", "1:43: no \"results\" array: not a "
		  "portolan JSON document (give the .json output, not .jsonl or .csv)" },
		{ "{\"results\":[\n {\"ip\":\"192.0.2.1\",\"state\":\"open\"}]}", "2:2: result without \"port\"" },
		{ "{\"results\":[{\"ip\":\"host\",\"port\":1,\"state\":\"open\"}]}", "1:19: \"ip\": not an address" },
		{ "{\"results\":[{\"ip\":\"192.0.2.1\",\"port\":0,\"state\":\"open\"}]}", "1:38: \"port\": expected a port number from 1 to 65535" },
		{ "{\"results\":[{\"ip\":\"192.0.2.1\",\"port\":22.0,\"state\":\"open\"}]}", "1:38: \"port\": expected a port number from 1 to 65535" },
		{ "{\"a\":01}", "1:7: expected ',' or '}', found '1'" },
		{ "{\"results\":[{\"ip\":\"192.0.2.1\",\"port\":1,\"state\":\"shut\"}]}", "1:48: \"state\": unknown state 'shut'" },
		{ "{\"results\":[{\"ip\":\"192.0.2.1\",\"port\":1,\"state\":\"open\",\"proto\":\"sctp\"}]}", "1:63: \"proto\": expected tcp or udp" },
		{ "{\"portolan\":{\"format\":2},\"results\":[]}", "1:23: unsupported document format (this portolan reads format 1)" },
		{ "{\"scan\":{\"ports\":\"22\",\"states\":\"closed\"},\"results\":[]}", "1:32: the baseline does not record open ports (its states leave out open)" },
		{ "{\"scan\":{\"ports\":\"70000\"},\"results\":[]}", "1:18: \"ports\": invalid port '70000': out of range 1-65535" },
		{ "{\"a\":\"\\x\"}", "1:7: bad escape in string" },
		{ "{\"a\":\"\\ud800\"}", "1:7: bad \\u escape: high surrogate without its low half" },
		{ "{\"a\":\"\\udc00\"}", "1:7: bad \\u escape: lone low surrogate" },
		{ "{\"a\":\"\\u12g4\"}", "1:7: bad \\u escape: expected 4 hex digits" },
		{ "{\"a\":\"tab\there\"}", "1:10: control character in string (must be escaped)" },
		{ "{\"a\":\"\xc0\xaf\"}", "1:7: invalid UTF-8 in string" },
		{ "{\"a\":\"\xed\xa0\x80\"}", "1:7: invalid UTF-8 in string" },
		{ "{\"a\":\"\xe2\x82\"}", "1:7: invalid UTF-8 in string" },
		{ "{\"a\":\"unterminated", "1:6: unterminated string" },
		{ "{\"a\":tru}", "1:6: bad literal: expected 'true'" },
		{ "{\"a\":-}", "1:6: bad number" },
		{ "{\"a\":1.}", "1:6: bad number: no digit after '.'" },
		{ "{\"a\":1e+}", "1:6: bad number: no digit in the exponent" },
		{ "{\"a\":+1}", "1:6: expected a value, found '+'" },
		{ "{\"a\" 1}", "1:6: expected ':', found '1'" },
		{ "{'a':1}", "1:2: expected a string, found '''" },
	};

	int bad = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		GError *err = NULL;
		struct baseline *b = load_text(cases[i].doc, &err);
		char *want = g_strdup_printf("%s:%s", path, cases[i].want);

		if (b != NULL || err == NULL) {
			print_error("case %zu accepted: %s\n", i, cases[i].doc);
			baseline_free(b);
			bad++;
		} else if (strcmp(err->message, want) != 0) {
			print_error("case %zu: got '%s'\n        want '%s'\n", i, err->message, want);
			bad++;
		}
		g_free(want);
		g_clear_error(&err);
	}
	assert_int_equal(bad, 0);
}

static void test_limits(void **state)
{
	GError *err = NULL;
	GString *doc = g_string_new("{\"results\":[],\"deep\":");
	struct baseline *b;

	for (int i = 0; i < 100; i++)
		g_string_append_c(doc, '[');
	for (int i = 0; i < 100; i++)
		g_string_append_c(doc, ']');
	g_string_append_c(doc, '}');
	b = load_text(doc->str, &err);
	assert_null(b);
	assert_non_null(strstr(err->message, "nested deeper than 64 levels"));
	g_clear_error(&err);

	g_string_assign(doc, "{\"results\":[],\"big\":\"");
	for (int i = 0; i < 1100 * 1024; i++)
		g_string_append_c(doc, 'x');
	g_string_append(doc, "\"}");
	b = load_text(doc->str, &err);
	assert_null(b);
	assert_non_null(strstr(err->message, "string longer than 1048576 bytes"));
	g_clear_error(&err);

	/* Embedded NUL in the raw text is a control character. */
	teardown(NULL);
	write_file("{\"a\":\"\0\"}", 9);
	b = baseline_load(path, &err);
	assert_null(b);
	assert_non_null(strstr(err->message, "control character"));
	g_clear_error(&err);

	b = baseline_load("/nonexistent/base.json", &err);
	assert_null(b);
	assert_string_equal(err->message,
			    "cannot read baseline '/nonexistent/base.json': No such file or directory");
	g_clear_error(&err);
	g_string_free(doc, TRUE);
}

/* A big --states all baseline: only the open rows are kept. */
static void test_only_open_rows_kept(void **state)
{
	GString *doc = g_string_new("{\"results\":[");
	GError *err = NULL;
	struct baseline *b;

	for (int i = 0; i < 20000; i++)
		g_string_append_printf(doc, "%s{\"ip\":\"10.0.%d.%d\",\"port\":%d,\"state\":\"%s\","
				       "\"banner\":\"\\u0000\"}", i ? "," : "", i / 256, i % 256,
				       1 + i % 1000, i % 100 == 0 ? "open" : "closed");
	g_string_append(doc, "]}");
	b = load_text(doc->str, &err);
	assert_null(err);
	assert_int_equal(baseline_open_count(b), 200);
	baseline_free(b);
	g_string_free(doc, TRUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_roundtrip_and_compare, teardown),
		cmocka_unit_test_teardown(test_escapes_and_no_port_list, teardown),
		cmocka_unit_test_teardown(test_bom, teardown),
		cmocka_unit_test_teardown(test_udp_rows_and_mixed_ports, teardown),
		cmocka_unit_test_teardown(test_errors_name_the_place, teardown),
		cmocka_unit_test_teardown(test_limits, teardown),
		cmocka_unit_test_teardown(test_only_open_rows_kept, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
