/* test_jsonread.c: the streaming JSON reader on its own: values read back
 * through a generic walk (nesting, escapes, \u surrogates, numbers), and
 * every way of failing (truncated input, depth and length limits, garbage),
 * each with one "name:line:col: what" message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "errors.h"
#include "jsonread.h"

/* ---- a generic walk: the document as a short canonical text ---- */

static bool walk_value(struct json_reader *rd, GString *out);

static bool walk_member(struct json_reader *rd, const char *key, void *ud)
{
	GString *out = ud;

	if (out->str[out->len - 1] != '{')
		g_string_append_c(out, ',');
	g_string_append_printf(out, "%s:", key);
	return walk_value(rd, out);
}

static bool walk_element(struct json_reader *rd, void *ud)
{
	GString *out = ud;

	if (out->str[out->len - 1] != '[')
		g_string_append_c(out, ',');
	return walk_value(rd, out);
}

/* Strings show as <bytes>, with bytes outside printable ASCII as %XX;
 * integers as iN, other numbers as r; literals as t, f and n. */
static bool walk_value(struct json_reader *rd, GString *out)
{
	const char *s;
	size_t len;
	bool integer;
	gint64 v;

	json_skip_ws(rd);
	switch (json_peek(rd)) {
	case '{':
		g_string_append_c(out, '{');
		if (!json_read_object(rd, walk_member, out))
			return false;
		g_string_append_c(out, '}');
		return true;
	case '[':
		g_string_append_c(out, '[');
		if (!json_read_array(rd, walk_element, out))
			return false;
		g_string_append_c(out, ']');
		return true;
	case '"':
		if (!json_read_string(rd, &s, &len))
			return false;
		g_string_append_c(out, '<');
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c >= 0x20 && c < 0x7f && c != '%')
				g_string_append_c(out, (char)c);
			else
				g_string_append_printf(out, "%%%02X", c);
		}
		g_string_append_c(out, '>');
		return true;
	case 't':
		g_string_append_c(out, 't');
		return json_read_literal(rd, "true");
	case 'f':
		g_string_append_c(out, 'f');
		return json_read_literal(rd, "false");
	case 'n':
		g_string_append_c(out, 'n');
		return json_read_literal(rd, "null");
	default:
		if (!json_read_number(rd, &integer, &v))
			return false;
		if (integer)
			g_string_append_printf(out, "i%" G_GINT64_FORMAT, v);
		else
			g_string_append_c(out, 'r');
		return true;
	}
}

/* Reads text (len bytes) as one document; returns the walk, or NULL with
 * *err. */
static char *walk_len(const char *text, size_t len, GError **err)
{
	FILE *fp = fmemopen((void *)text, len, "r");
	struct json_reader *rd;
	GString *out = g_string_new(NULL);
	bool ok;

	assert_non_null(fp);
	rd = json_reader_new(fp, "t.json", err);
	ok = walk_value(rd, out);
	if (ok) {
		json_skip_ws(rd);
		if (json_peek(rd) >= 0) {
			json_fail(rd, "trailing data");
			ok = false;
		}
	}
	assert_int_equal(json_failed(rd), !ok);
	if (ok)
		assert_int_equal(json_depth(rd), 0);
	json_reader_free(rd);
	fclose(fp);
	if (!ok) {
		assert_non_null(err == NULL || *err != NULL);
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

static char *walk(const char *text, GError **err)
{
	return walk_len(text, strlen(text), err);
}

static void want_walk(const char *text, const char *want)
{
	GError *err = NULL;
	char *got = walk(text, &err);

	if (got == NULL)
		fail_msg("%s: %s", text, err->message);
	assert_string_equal(got, want);
	g_free(got);
}

static void want_error_len(const char *text, size_t len, const char *want)
{
	GError *err = NULL;
	char *got = walk_len(text, len, &err);

	if (got != NULL)
		fail_msg("accepted: %s -> %s", text, got);
	assert_non_null(err);
	assert_int_equal(err->domain, PL_ERROR);
	assert_int_equal(err->code, PL_ERROR_USAGE);
	assert_string_equal(err->message, want);
	g_error_free(err);
}

static void want_error(const char *text, const char *want)
{
	want_error_len(text, strlen(text), want);
}

/* ---- values ---- */

static void test_nesting(void **state)
{
	want_walk("{}", "{}");
	want_walk("[]", "[]");
	want_walk(" \t\r\n[ ] ", "[]");
	want_walk("{\"a\":[1,{\"b\":null,\"c\":[true,false]}],\"d\":{}}",
		  "{a:[i1,{b:n,c:[t,f]}],d:{}}");
	want_walk("[[[[]],[]],{\"\":{\"\":[]}}]", "[[[[]],[]],{:{:[]}}]");
	want_walk("[ 1 , \"x\" ,\n{ \"k\" : \"v\" } ]", "[i1,<x>,{k:<v>}]");
	/* A duplicate key is passed on as it is: the caller decides. */
	want_walk("{\"a\":1,\"a\":2}", "{a:i1,a:i2}");
}

static void test_escapes(void **state)
{
	want_walk("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"", "<\" \\ / %08 %0C %0A %0D %09>");
	want_walk("\"\\u0041\\u00e9\\u20AC\"", "<A%C3%A9%E2%82%AC>");
	/* \u0000 puts a NUL inside the string: the length says so. */
	want_walk("\"a\\u0000b\"", "<a%00b>");
	/* Raw UTF-8 passes as it is. */
	want_walk("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", "<%C3%A9%E2%82%AC%F0%9F%98%80>");
	want_error("\"\\x\"", "t.json:1:2: bad escape in string");
	want_error("\"\\'\"", "t.json:1:2: bad escape in string");
	want_error("\"\\u12g4\"", "t.json:1:2: bad \\u escape: expected 4 hex digits");
	want_error("\"\\u12\"", "t.json:1:2: bad \\u escape: expected 4 hex digits");
	want_error("\"a\tb\"", "t.json:1:3: control character in string (must be escaped)");
	want_error_len("\"a\0b\"", 5, "t.json:1:3: control character in string (must be escaped)");
	want_error("\"\xc0\xaf\"", "t.json:1:2: invalid UTF-8 in string");
	want_error("\"\xed\xa0\x80\"", "t.json:1:2: invalid UTF-8 in string");
	want_error("\"\xf4\x90\x80\x80\"", "t.json:1:2: invalid UTF-8 in string");
	want_error("\"\xe2\x82\"", "t.json:1:2: invalid UTF-8 in string");
	want_error("\"\x80\"", "t.json:1:2: invalid UTF-8 in string");
	want_error("\"\xff\"", "t.json:1:2: invalid UTF-8 in string");
	want_error("\"abc", "t.json:1:1: unterminated string");
}

static void test_surrogates(void **state)
{
	want_walk("\"\\ud83d\\ude00\"", "<%F0%9F%98%80>");
	want_walk("\"\\uDBFF\\uDFFF\"", "<%F4%8F%BF%BF>");
	want_walk("\"x\\uD800\\uDC00y\"", "<x%F0%90%80%80y>");
	want_error("\"\\ud800\"", "t.json:1:2: bad \\u escape: high surrogate without its low half");
	want_error("\"\\ud800x\"", "t.json:1:2: bad \\u escape: high surrogate without its low half");
	want_error("\"\\ud800\\n\"", "t.json:1:2: bad \\u escape: high surrogate without its low half");
	want_error("\"\\ud800\\u0041\"",
		   "t.json:1:2: bad \\u escape: high surrogate without its low half");
	want_error("\"\\ud800\\ud800\"",
		   "t.json:1:2: bad \\u escape: high surrogate without its low half");
	want_error("\"\\udc00\"", "t.json:1:2: bad \\u escape: lone low surrogate");
	want_error("\"\\udfff\\ud800\"", "t.json:1:2: bad \\u escape: lone low surrogate");
}

/* "[1.000...]" with a number of `chars` characters. */
static void want_number_length(int chars, bool ok)
{
	GString *doc = g_string_new("[1.");

	for (int i = 2; i < chars; i++)
		g_string_append_c(doc, '0');
	g_string_append_c(doc, ']');
	if (ok)
		want_walk(doc->str, "[r]");
	else
		want_error(doc->str, "t.json:1:2: number too long");
	g_string_free(doc, TRUE);
}

static void test_numbers(void **state)
{
	want_walk("[0,-0,7,-12,1234567890]", "[i0,i0,i7,i-12,i1234567890]");
	want_walk("[9223372036854775807,-9223372036854775808]",
		  "[i9223372036854775807,i-9223372036854775808]");
	/* Out of gint64's range: a number, but no integer. */
	want_walk("[9223372036854775808,-9223372036854775809]", "[r,r]");
	want_walk("[1.5,-0.0,1e3,1E+3,1e-3,2.5E10]", "[r,r,r,r,r,r]");
	want_walk("7", "i7");
	want_error("[01]", "t.json:1:3: expected ',' or ']', found '1'");
	want_error("[-]", "t.json:1:2: bad number");
	want_error("[-a]", "t.json:1:2: bad number");
	want_error("[1.]", "t.json:1:2: bad number: no digit after '.'");
	want_error("[1.e5]", "t.json:1:2: bad number: no digit after '.'");
	want_error("[1e]", "t.json:1:2: bad number: no digit in the exponent");
	want_error("[1e+]", "t.json:1:2: bad number: no digit in the exponent");
	want_error("[.5]", "t.json:1:2: bad number");
	want_error("[+1]", "t.json:1:2: bad number");
	want_error("[0x10]", "t.json:1:3: expected ',' or ']', found 'x'");
	/* 63 characters are a number; 64 are too long. */
	want_number_length(JSON_NUMBER_MAX, true);
	want_number_length(JSON_NUMBER_MAX + 1, false);
}

static void test_literals_and_values(void **state)
{
	want_walk("[true,false,null]", "[t,f,n]");
	want_error("[tru]", "t.json:1:2: bad literal: expected 'true'");
	want_error("[nul", "t.json:1:2: bad literal: expected 'null'");
	want_error("[True]", "t.json:1:2: bad number");
	want_error("{\"a\" 1}", "t.json:1:6: expected ':', found '1'");
	want_error("{'a':1}", "t.json:1:2: expected a string, found '''");
	want_error("{\"a\":1,}", "t.json:1:8: expected a string, found '}'");
	want_error("[1,]", "t.json:1:4: bad number");
	want_error("[1 2]", "t.json:1:4: expected ',' or ']', found '2'");
	want_error("{\"a\":1 \"b\":2}", "t.json:1:8: expected ',' or '}', found '\"'");
	want_error("{\"a\":}", "t.json:1:6: bad number");
}

/* ---- failures ---- */

/* Every proper prefix of a document fails, with one line naming the place. */
static void test_truncated_input(void **state)
{
	static const char doc[] =
		"\xEF\xBB\xBF{\"results\": [ {\"ip\": \"192.0.2.1\", \"port\": 22, \"n\": -1.5e+3,\n"
		"  \"s\": \"\\u00e9\\ud83d\\ude00 \xc3\xa9\", \"t\": [true, false, null]} ]}";
	size_t len = strlen(doc);
	char *full;

	full = walk(doc, NULL);
	assert_non_null(full);
	g_free(full);
	for (size_t n = 0; n < len; n++) {
		GError *err = NULL;
		char *got = walk_len(doc, n, &err);

		if (got != NULL)
			fail_msg("prefix of %zu bytes accepted: %s", n, got);
		assert_non_null(err);
		assert_true(g_str_has_prefix(err->message, "t.json:"));
		assert_null(strchr(err->message, '\n'));
		g_error_free(err);
	}
	want_error("", "t.json:1:1: bad number");
	want_error("{\"a\":[1,", "t.json:1:9: bad number");
	want_error("{\"a\":[1", "t.json:1:8: expected ',' or ']', found end of file");
	want_error("{\"a\"", "t.json:1:5: expected ':', found end of file");
	want_error("{\"a\":\"\\u12", "t.json:1:7: bad \\u escape: expected 4 hex digits");
}

static void test_depth_limit(void **state)
{
	GString *doc = g_string_new(NULL);
	GString *want = g_string_new(NULL);
	char *msg;

	for (int i = 0; i < JSON_DEPTH_MAX; i++)
		g_string_append_c(doc, '[');
	g_string_append(want, doc->str);
	g_string_append(doc, "1");
	g_string_append(want, "i1");
	for (int i = 0; i < JSON_DEPTH_MAX; i++) {
		g_string_append_c(doc, ']');
		g_string_append_c(want, ']');
	}
	want_walk(doc->str, want->str);

	/* One more level is refused, at the byte after the opening one. */
	g_string_prepend_c(doc, '[');
	g_string_append_c(doc, ']');
	msg = g_strdup_printf("t.json:1:%d: nested deeper than %d levels", JSON_DEPTH_MAX + 2,
			      JSON_DEPTH_MAX);
	want_error(doc->str, msg);
	g_free(msg);

	/* Objects count as arrays do; depth comes back down between siblings. */
	g_string_truncate(doc, 0);
	for (int i = 0; i < 40; i++)
		g_string_append(doc, "{\"a\":");
	g_string_append(doc, "1");
	for (int i = 0; i < 40; i++)
		g_string_append_c(doc, '}');
	g_string_prepend(doc, "[");
	g_string_append_c(doc, ',');
	g_string_append_len(doc, doc->str + 1, doc->len - 2);
	g_string_append_c(doc, ']');
	msg = walk(doc->str, NULL);
	assert_non_null(msg);
	g_free(msg);
	g_string_free(doc, TRUE);
	g_string_free(want, TRUE);
}

static void test_string_limit(void **state)
{
	GString *doc = g_string_new("\"");
	char *got, *msg;

	/* Room for one more character of up to 4 bytes is checked before
	 * each: JSON_STRING_MAX - 3 bytes pass, one more does not. */
	for (int i = 0; i < JSON_STRING_MAX - 3; i++)
		g_string_append_c(doc, 'x');
	g_string_append_c(doc, '"');
	got = walk(doc->str, NULL);
	assert_non_null(got);
	assert_int_equal(strlen(got), JSON_STRING_MAX - 3 + 2);
	g_free(got);

	g_string_insert_c(doc, 1, 'x');
	msg = g_strdup_printf("t.json:1:%d: string longer than %d bytes", JSON_STRING_MAX,
			      JSON_STRING_MAX);
	want_error(doc->str, msg);
	g_free(msg);
	g_string_free(doc, TRUE);
}

/* Places count lines, and columns in characters, not bytes; a BOM is no
 * character. */
static void test_positions_and_bom(void **state)
{
	want_error("[\n  \"\xc3\xa9\xc3\xa9\",\n  \"\xe2\x82\xac\" x]",
		   "t.json:3:7: expected ',' or ']', found 'x'");
	want_walk("\xEF\xBB\xBF[1]", "[i1]");
	want_error("\xEF\xBB\xBF[1}", "t.json:1:3: expected ',' or ']', found '}'");
	want_error("\xEF\xBB\xBF", "t.json:1:1: bad number");
	/* Only at the very start. */
	want_error(" \xEF\xBB\xBF[1]", "t.json:1:2: bad number");
	want_error("\xEF\xBB[1]", "t.json:1:1: bad number");
}

/* Seeded random bytes, and random cuts of JSON-ish text: no crash, and each
 * failure is one line starting with the name. */
static void test_garbage(void **state)
{
	static const char alphabet[] = "{}[]\":,\\u0123456789abcdefABCDEF.eE+-tfnrl \n\t\xc3\xa9\xed\xf0";
	GRand *rnd = g_rand_new_with_seed(1313);

	for (int round = 0; round < 20000; round++) {
		char buf[64];
		size_t len = (size_t)g_rand_int_range(rnd, 0, sizeof buf);
		bool raw = round % 4 == 0;
		GError *err = NULL;
		char *got;

		for (size_t i = 0; i < len; i++)
			buf[i] = raw ? (char)g_rand_int_range(rnd, 0, 256)
				     : alphabet[g_rand_int_range(rnd, 0, sizeof alphabet - 1)];
		got = walk_len(buf, len, &err);
		if (got == NULL) {
			assert_non_null(err);
			assert_true(g_str_has_prefix(err->message, "t.json:"));
			assert_null(strchr(err->message, '\n'));
		}
		g_free(got);
		g_clear_error(&err);
	}
	g_rand_free(rnd);
}

/* A read error is reported as such, once; the reader stays failed. */
static void test_read_error_and_first_failure_only(void **state)
{
	FILE *fp = fopen("/dev/null", "w");
	struct json_reader *rd;
	GError *err = NULL;
	const char *s;
	char *want;

	assert_non_null(fp);
	rd = json_reader_new(fp, "w.json", &err);
	assert_int_equal(json_peek(rd), -1);
	assert_true(json_failed(rd));
	assert_non_null(err);
	want = g_strdup_printf("w.json: cannot read: %s", g_strerror(EBADF));
	assert_string_equal(err->message, want);
	g_free(want);
	assert_false(json_skip_value(rd));
	json_fail(rd, "a second problem");
	assert_string_equal(err->message + strlen("w.json: "), "cannot read: Bad file descriptor");
	json_reader_free(rd);
	fclose(fp);
	g_clear_error(&err);

	fp = fmemopen((void *)"[1] \"s\"", 7, "r");
	rd = json_reader_new(fp, "m.json", &err);
	assert_true(json_skip_value(rd));
	json_fail_at(rd, (struct json_pos){ 4, 2 }, "custom %d", 7);
	json_fail(rd, "later");
	assert_false(json_read_string(rd, &s, NULL));
	assert_string_equal(err->message, "m.json:4:2: custom 7");
	json_reader_free(rd);
	fclose(fp);
	g_clear_error(&err);
}

static bool stop_at_b(struct json_reader *rd, const char *key, void *ud)
{
	int *seen = ud;

	(*seen)++;
	if (strcmp(key, "b") == 0) {
		json_fail(rd, "no b here");
		return false;
	}
	return json_skip_value(rd);
}

/* A callback that returns false stops the walk at once. */
static void test_callback_stops(void **state)
{
	static const char doc[] = "{\"a\":[1,2],\"b\":3,\"c\":4}";
	FILE *fp = fmemopen((void *)doc, strlen(doc), "r");
	GError *err = NULL;
	struct json_reader *rd = json_reader_new(fp, "c.json", &err);
	int seen = 0;

	assert_false(json_read_object(rd, stop_at_b, &seen));
	assert_int_equal(seen, 2);
	assert_string_equal(err->message, "c.json:1:16: no b here");
	json_reader_free(rd);
	fclose(fp);
	g_clear_error(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_surrogates),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_literals_and_values),
		cmocka_unit_test(test_truncated_input),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_string_limit),
		cmocka_unit_test(test_positions_and_bom),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_read_error_and_first_failure_only),
		cmocka_unit_test(test_callback_stops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
