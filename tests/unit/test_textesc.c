/* test_textesc.c: escaping of hostile bytes for JSON, CSV, XML, the banner
 * field and the terminal.
 *
 * Exact expected output for each class of input (controls, NUL, invalid and
 * valid UTF-8, formula prefixes), then a deterministic fuzz run checking the
 * invariants on arbitrary bytes: valid UTF-8 out, no raw controls, and a CSV
 * field that parses back as one field. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "textesc.h"

#define FFFD "\xEF\xBF\xBD"

enum esc_kind { ESC_JSON, ESC_CSV, ESC_CSV_NUM };

/* Runs one escaper into a memory stream; returns the bytes (free) and their
 * length in *outlen. */
static char *escape(enum esc_kind kind, const char *s, size_t len, size_t *outlen)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *fp = open_memstream(&buf, &size);
	int rc;

	assert_non_null(fp);
	if (kind == ESC_JSON)
		rc = json_write_string(fp, s, len);
	else
		rc = csv_write_field(fp, s, len, kind == ESC_CSV);
	assert_int_equal(rc, 0);
	assert_int_equal(fclose(fp), 0);
	*outlen = size;
	return buf;
}

/* Compares escaped output with the expected text (which holds no NUL). */
#define CHECK(kind, in, inlen, want)                                        \
	do {                                                                \
		size_t n_;                                                  \
		char *got_ = escape(kind, in, inlen, &n_);                  \
		assert_int_equal(n_, strlen(want));                         \
		assert_memory_equal(got_, want, n_);                        \
		free(got_);                                                 \
	} while (0)
#define JSON(lit, want) CHECK(ESC_JSON, lit, sizeof(lit) - 1, want)
#define CSV(lit, want) CHECK(ESC_CSV, lit, sizeof(lit) - 1, want)
#define CSVNUM(lit, want) CHECK(ESC_CSV_NUM, lit, sizeof(lit) - 1, want)

static void printable_is(const char *in, size_t len, const char *want)
{
	char *got = text_printable(in, len);

	assert_non_null(got);
	assert_string_equal(got, want);
	g_free(got);
}
#define PRINTABLE(lit, want) printable_is(lit, sizeof(lit) - 1, want)

/* Invalid UTF-8 that every escaper must replace byte by byte: the input and
 * how many replacement characters it becomes. */
static const struct {
	const char *bytes;
	size_t n;
} invalid_utf8[] = {
	{ "\x80", 1 },                  /* lone continuation */
	{ "\xBF", 1 },
	{ "\xC3", 1 },                  /* truncated 2-byte */
	{ "\xE2\x82", 2 },              /* truncated 3-byte */
	{ "\xF0\x9F\x98", 3 },          /* truncated 4-byte */
	{ "\xC0\xAF", 2 },              /* overlong '/' */
	{ "\xC1\xBF", 2 },              /* overlong */
	{ "\xE0\x80\xAF", 3 },          /* overlong 3-byte */
	{ "\xF0\x80\x80\xAF", 4 },      /* overlong 4-byte */
	{ "\xED\xA0\x80", 3 },          /* surrogate U+D800 */
	{ "\xED\xBF\xBF", 3 },          /* surrogate U+DFFF */
	{ "\xF4\x90\x80\x80", 4 },      /* U+110000 */
	{ "\xF5\x80\x80\x80", 4 },      /* beyond any plane */
	{ "\xF8\x88\x80\x80\x80", 5 },  /* old 5-byte form */
	{ "\xFE", 1 },
	{ "\xFF", 1 },
	{ "\xC0\x80", 2 },              /* overlong NUL (modified UTF-8) */
	{ "\xE0\x9F\xBF", 3 },          /* overlong: the last 3-byte one */
	{ "\xF0\x8F\xBF\xBF", 4 },      /* overlong: the last 4-byte one */
	{ "\xED\xB0\x80", 3 },          /* low surrogate U+DC00 */
	{ "\xF4\x8F\xBF", 3 },          /* U+10FFFF cut short */
	{ "\xEF\xBF", 2 },              /* U+FFFD cut short */
	{ "\xFC\x84\x80\x80\x80\x80", 6 }, /* old 6-byte form */
};

/* Valid multi-byte UTF-8 that must pass through untouched. */
static const char *const valid_utf8[] = {
	"\xC3\xA9",             /* é */
	"\xE2\x82\xAC",         /* € */
	"\xED\x9F\xBF",         /* U+D7FF, just below the surrogates */
	"\xEE\x80\x80",         /* U+E000, just above them */
	"\xEF\xBF\xBD",         /* U+FFFD itself */
	"\xF0\x9F\x98\x80",     /* 😀 */
	"\xF4\x8F\xBF\xBF",     /* U+10FFFF, the last code point */
	"\xE6\x97\xA5\xE6\x9C\xAC", /* 日本 */
	"\xEF\xB7\x90",         /* U+FDD0, a noncharacter but well formed */
	"\xF0\x90\x80\x80",     /* U+10000, the first 4-byte one */
};

static char *repeat(const char *s, size_t n)
{
	GString *g = g_string_new(NULL);

	for (size_t i = 0; i < n; i++)
		g_string_append(g, s);
	return g_string_free(g, FALSE);
}

/* ---- JSON ---- */

static void test_json_plain(void **state)
{
	JSON("", "\"\"");
	JSON("abc", "\"abc\"");
	JSON("a,b;c", "\"a,b;c\"");
	CHECK(ESC_JSON, NULL, 0, "\"\"");
}

static void test_json_quotes_backslash(void **state)
{
	JSON("a\"b\\c", "\"a\\\"b\\\\c\"");
	JSON("\\u0041", "\"\\\\u0041\"");
	JSON("/", "\"/\"");
}

static void test_json_controls(void **state)
{
	for (unsigned c = 0; c < 0x20; c++) {
		char in[3] = { 'a', (char)c, 'b' };
		char want[16];
		const char *esc = NULL;

		switch (c) {
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		}
		if (esc != NULL)
			snprintf(want, sizeof want, "\"a%sb\"", esc);
		else
			snprintf(want, sizeof want, "\"a\\u%04xb\"", c);
		CHECK(ESC_JSON, in, 3, want);
	}
	JSON("\x7f", "\"\\u007f\"");
	JSON("\xC2\x85\xC2\x9B", "\"\\u0085\\u009b\"");    /* C1 controls */
	JSON("a\xE2\x80\xA8" "b\xE2\x80\xA9", "\"a\\u2028b\\u2029\"");
}

static void test_json_nul(void **state)
{
	JSON("a\0b", "\"a\\u0000b\"");
	JSON("\0\0", "\"\\u0000\\u0000\"");
}

static void test_json_invalid_utf8(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(invalid_utf8); i++) {
		const char *in = invalid_utf8[i].bytes;
		char *reps = repeat("\\ufffd", invalid_utf8[i].n);
		char *want = g_strdup_printf("\"x%sy\"", reps);
		char *full = g_strdup_printf("x%sy", in);

		CHECK(ESC_JSON, full, strlen(full), want);
		g_free(reps);
		g_free(want);
		g_free(full);
	}
	/* Decoding resumes at the byte after a bad one: the 'A' survives. */
	JSON("\xC3" "A", "\"\\ufffdA\"");
	JSON("\xE2\x82" "\xE2\x82\xAC", "\"\\ufffd\\ufffd\xE2\x82\xAC\"");
}

static void test_json_valid_utf8(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(valid_utf8); i++) {
		char *want = g_strdup_printf("\"%s\"", valid_utf8[i]);

		CHECK(ESC_JSON, valid_utf8[i], strlen(valid_utf8[i]), want);
		g_free(want);
	}
}

/* ---- CSV ---- */

static void test_csv_plain(void **state)
{
	CSV("", "");
	CHECK(ESC_CSV, NULL, 0, "");
	CSV("abc", "abc");
	CSV("a b", "a b");
	CSV("a\tb", "a\tb");
	CSV("a'b", "a'b");
}

static void test_csv_quoting(void **state)
{
	CSV("a,b", "\"a,b\"");
	CSV("a\"b", "\"a\"\"b\"");
	CSV("\"", "\"\"\"\"");
	CSV("a\rb", "\"a\rb\"");
	CSV("a\nb", "\"a\nb\"");
	CSV("a\r\nb", "\"a\r\nb\"");
	CSV(" a", "\" a\"");
	CSV("a ", "\"a \"");
	CSV("a\t", "\"a\t\"");
}

static void test_csv_controls(void **state)
{
	for (unsigned c = 0; c < 0x20; c++) {
		char in[3] = { 'a', (char)c, 'b' };
		char want[16];

		if (c == '\t')
			snprintf(want, sizeof want, "a\tb");
		else if (c == '\r' || c == '\n')
			snprintf(want, sizeof want, "\"a%cb\"", c);
		else
			snprintf(want, sizeof want, "a" FFFD "b");
		CHECK(ESC_CSV, in, 3, want);
	}
	CSV("a\x7f" "b", "a" FFFD "b");
	CSV("a\xC2\x85" "b", "a" FFFD "b");     /* C1 control */
}

static void test_csv_nul(void **state)
{
	CSV("a\0b", "a" FFFD "b");
	CSV("\0", FFFD);
	/* A NUL hides nothing: what follows is still quoted as needed. */
	CSV("\0,", "\"" FFFD ",\"");
}

static void test_csv_invalid_utf8(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(invalid_utf8); i++) {
		char *reps = repeat(FFFD, invalid_utf8[i].n);
		char *want = g_strdup_printf("x%sy", reps);
		char *full = g_strdup_printf("x%sy", invalid_utf8[i].bytes);

		CHECK(ESC_CSV, full, strlen(full), want);
		g_free(reps);
		g_free(want);
		g_free(full);
	}
}

static void test_csv_valid_utf8(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(valid_utf8); i++)
		CHECK(ESC_CSV, valid_utf8[i], strlen(valid_utf8[i]),
		      valid_utf8[i]);
}

static void test_csv_formula(void **state)
{
	CSV("=1+1", "\"'=1+1\"");
	CSV("+1", "\"'+1\"");
	CSV("-1", "\"'-1\"");
	CSV("@SUM(A1)", "\"'@SUM(A1)\"");
	CSV("\t=1", "\"'\t=1\"");
	CSV("\r=1", "\"'\r=1\"");
	CSV("\n=1", "\"'\n=1\"");
	CSV("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"");
	CSV("\xEF\xBC\x9D" "1", "\"'\xEF\xBC\x9D" "1\"");   /* fullwidth = */
	CSV("\xEF\xBC\xA0" "x", "\"'\xEF\xBC\xA0" "x\"");   /* fullwidth @ */
	/* Not at the start: nothing to neutralise. */
	CSV("1=1", "1=1");
	CSV("a-b", "a-b");
	CSV("a@b.example", "a@b.example");
	CSV("x+", "x+");
	/* A leading invalid byte becomes U+FFFD, which no spreadsheet runs. */
	CSV("\xFF=1", FFFD "=1");
}

static void test_csv_numeric_not_prefixed(void **state)
{
	CSVNUM("-1", "-1");
	CSVNUM("-0.500", "-0.500");
	CSVNUM("+3", "+3");
	CSVNUM("1024", "1024");
	/* Still sanitised even as a number. */
	CSVNUM("1,5", "\"1,5\"");
}

/* ---- terminal ---- */

static void test_printable(void **state)
{
	PRINTABLE("", "");
	PRINTABLE("host.example", "host.example");
	PRINTABLE("a\\b", "a\\\\b");
	PRINTABLE("\x1b[31mred", "\\x1b[31mred");
	PRINTABLE("a\0b", "a\\x00b");
	PRINTABLE("a\nb\r\t", "a\\x0ab\\x0d\\x09");
	PRINTABLE("\x7f", "\\x7f");
	PRINTABLE("\xff\xC3", "\\xff\\xc3");
	PRINTABLE("\xED\xA0\x80", "\\xed\\xa0\\x80");
	PRINTABLE("\xC2\x9B" "2J", "\\xc2\\x9b2J");                /* C1 CSI */
	PRINTABLE("abc\xE2\x80\xAEgpj.exe", "abc\\xe2\\x80\\xaegpj.exe"); /* RLO */
	PRINTABLE("a\xE2\x80\xA8" "b", "a\\xe2\\x80\\xa8b");        /* LINE SEP */
	PRINTABLE("caf\xC3\xA9 \xE6\x97\xA5", "caf\xC3\xA9 \xE6\x97\xA5");
	PRINTABLE("\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80");
	char *p = text_printable(NULL, 0);
	assert_non_null(p);
	assert_string_equal(p, "");
	g_free(p);
}

/* Invalid UTF-8 is shown byte for byte, and decoding resumes right after
 * each bad byte, as in the other forms. */
static void test_printable_invalid_utf8(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(invalid_utf8); i++) {
		const char *in = invalid_utf8[i].bytes;
		GString *want = g_string_new("x");
		char *full = g_strdup_printf("x%sy", in);

		for (const unsigned char *b = (const unsigned char *)in; *b != '\0'; b++)
			g_string_append_printf(want, "\\x%02x", *b);
		g_string_append_c(want, 'y');
		printable_is(full, strlen(full), want->str);
		g_string_free(want, TRUE);
		g_free(full);
	}
	PRINTABLE("\xC3" "A", "\\xc3A");
	PRINTABLE("\xC3\0" "A", "\\xc3\\x00A");         /* NUL inside a sequence */
	PRINTABLE("\xE2\x82" "\xE2\x82\xAC", "\\xe2\\x82\xE2\x82\xAC");
	PRINTABLE("\xF0\x90\x80\x80\xF4\x8F\xBF", "\xF0\x90\x80\x80\\xf4\\x8f\\xbf");
}

/* ---- banner ---- */

static void banner_is(const char *in, size_t len, size_t max, const char *want)
{
	char *got = text_banner(in, len, max);

	assert_non_null(got);
	assert_string_equal(got, want);
	g_free(got);
}
#define BANNER(lit, want) banner_is(lit, sizeof(lit) - 1, 256, want)

/* The banner field is plain ASCII: C's short escapes for CR, LF, TAB and
 * backslash, \xNN for every other byte, valid UTF-8 included. */
static void test_banner(void **state)
{
	char big[300];
	char *got;

	BANNER("", "");
	BANNER("SSH-2.0-OpenSSH_9.6\r\n", "SSH-2.0-OpenSSH_9.6\\r\\n");
	BANNER("a\tb\\c", "a\\tb\\\\c");
	BANNER("\0\x01\x1b[2J\x7f", "\\x00\\x01\\x1b[2J\\x7f");
	BANNER("caf\xC3\xA9", "caf\\xc3\\xa9");
	BANNER("\xFF\xC3", "\\xff\\xc3");
	BANNER("\x0b\x0c", "\\x0b\\x0c");
	/* At most max_bytes input bytes, cut anywhere, even inside UTF-8. */
	memset(big, 'A', sizeof big);
	got = text_banner(big, sizeof big, 256);
	assert_int_equal(strlen(got), 256);
	g_free(got);
	banner_is("ab\xC3\xA9", 4, 3, "ab\\xc3");
	banner_is("\r\n", 2, 0, "");
	got = text_banner(NULL, 0, 256);
	assert_string_equal(got, "");
	g_free(got);
}

/* ---- XML ---- */

static char *xml_escape(const char *s, size_t len, size_t *outlen)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *fp = open_memstream(&buf, &size);

	assert_non_null(fp);
	assert_int_equal(xml_write_text(fp, s, len), 0);
	assert_int_equal(fclose(fp), 0);
	*outlen = size;
	return buf;
}

static void xml_is(const char *in, size_t len, const char *want)
{
	size_t n;
	char *got = xml_escape(in, len, &n);

	assert_int_equal(n, strlen(want));
	assert_memory_equal(got, want, n);
	free(got);
}
#define XML(lit, want) xml_is(lit, sizeof(lit) - 1, want)

static void test_xml_markup(void **state)
{
	XML("", "");
	XML("plain host-1.example", "plain host-1.example");
	XML("<a href=\"x\">&'</a>", "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
	/* Attribute normalisation would turn these into spaces. */
	XML("a\tb\nc\rd", "a&#9;b&#10;c&#13;d");
	xml_is(NULL, 0, "");
}

/* What XML 1.0 cannot carry, and DEL and C1, become U+FFFD: one per
 * character when it is well formed, one per byte when it is not. */
static void test_xml_replaced(void **state)
{
	XML("a\0b", "a" FFFD "b");
	XML("\x01\x1b\x1f\x7f", FFFD FFFD FFFD FFFD);
	XML("\xC2\x80\xC2\x85\xC2\x9F", FFFD FFFD FFFD);       /* C1 */
	XML("\xEF\xBF\xBE\xEF\xBF\xBF", FFFD FFFD);             /* U+FFFE, U+FFFF */
	XML("\xC2\xA0\xEF\xBF\xBD", "\xC2\xA0\xEF\xBF\xBD");   /* NBSP, U+FFFD kept */
	XML("\xC3" "<", FFFD "&lt;");
	for (size_t i = 0; i < G_N_ELEMENTS(invalid_utf8); i++) {
		const char *in = invalid_utf8[i].bytes;
		char *reps = repeat(FFFD, invalid_utf8[i].n);
		char *want = g_strdup_printf("x%sy", reps);
		char *full = g_strdup_printf("x%sy", in);

		xml_is(full, strlen(full), want);
		g_free(reps);
		g_free(want);
		g_free(full);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(valid_utf8); i++)
		xml_is(valid_utf8[i], strlen(valid_utf8[i]), valid_utf8[i]);
}

/* Error messages quote at most TEXT_QUOTE_MAX bytes of user input and mark
 * the cut with the whole length. */
static void test_quote_cut(void **state)
{
	char buf[TEXT_QUOTE_SIZE], want[TEXT_QUOTE_SIZE];
	GString *big = g_string_new(NULL);

	assert_string_equal(text_quote(buf, "22,80"), "22,80");
	assert_string_equal(text_quote(buf, NULL), "");
	assert_string_equal(text_quote(buf, "a\nb\\"), "a\\x0ab\\\\");
	while (big->len < 120000)
		g_string_append(big, "1234,");
	text_quote(buf, big->str);
	g_snprintf(want, sizeof(want), "%.80s...(%zu bytes)", big->str, big->len);
	assert_string_equal(buf, want);
	/* Exactly the limit is not cut; one more byte is. */
	g_string_truncate(big, TEXT_QUOTE_MAX);
	assert_string_equal(text_quote(buf, big->str), big->str);
	g_string_append_c(big, '9');
	assert_non_null(strstr(text_quote(buf, big->str), "...(81 bytes)"));
	/* Never in the middle of an escape or a UTF-8 sequence. */
	g_string_assign(big, "");
	for (int i = 0; i < 30; i++)
		g_string_append(big, "\x01\xC3\xA9");
	text_quote(buf, big->str);
	assert_true(g_utf8_validate(buf, -1, NULL));
	assert_true(strlen(buf) <= TEXT_QUOTE_MAX + strlen("...(90 bytes)"));
	assert_non_null(strstr(buf, "\\x01\xC3\xA9..."));
	g_string_free(big, TRUE);
}

/* ---- invariants on arbitrary bytes ---- */

/* A deterministic generator, so a failure reproduces. */
static uint32_t rng_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Bytes biased towards the interesting ones: controls, quotes, separators
 * and UTF-8 lead and continuation bytes. */
static void random_bytes(uint32_t *seed, char *buf, size_t len)
{
	static const unsigned char pool[] = {
		0x00, 0x01, 0x07, 0x09, 0x0a, 0x0d, 0x1b, 0x1f, ' ', '"', ',',
		'=', '+', '-', '@', '\\', 'a', 0x7f, 0x80, 0x9b, 0xbf, 0xc0,
		0xc2, 0xc3, 0xdf, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff,
	};

	for (size_t i = 0; i < len; i++) {
		uint32_t r = rng_next(seed);

		buf[i] = (r & 0x100) ? (char)(r & 0xff)
				     : (char)pool[(r >> 9) % sizeof pool];
	}
}

/* A JSON string literal: valid UTF-8, no raw control or DEL, only the escapes
 * the writer uses. */
static void check_json_literal(const char *s, size_t n)
{
	assert_true(n >= 2);
	assert_true(g_utf8_validate(s, (gssize)n, NULL));
	assert_int_equal(s[0], '"');
	assert_int_equal(s[n - 1], '"');
	for (size_t i = 1; i < n - 1; i++) {
		unsigned char c = (unsigned char)s[i];

		assert_true(c >= 0x20 && c != 0x7f);
		assert_true(c != '"');
		if (c == '\\') {
			i++;
			assert_true(i < n - 1);
			if (s[i] == 'u') {
				assert_true(i + 4 < n - 1);
				for (int k = 1; k <= 4; k++)
					assert_true(g_ascii_isxdigit(s[i + k]));
				i += 4;
			} else {
				assert_non_null(strchr("\"\\/bfnrt", s[i]));
			}
		}
	}
}

/* A CSV field: valid UTF-8, only TAB/CR/LF among controls, and when quoted
 * its inner quotes all doubled; unquoted it holds no separator. */
static void check_csv_field(const char *s, size_t n)
{
	assert_true(g_utf8_validate(s, (gssize)n, NULL));
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		assert_true(c >= 0x20 || c == '\t' || c == '\r' || c == '\n');
		assert_true(c != 0x7f);
	}
	if (n > 0 && s[0] == '"') {
		assert_true(n >= 2 && s[n - 1] == '"');
		for (size_t i = 1; i < n - 1; i++) {
			if (s[i] == '"') {
				assert_true(i + 1 < n - 1 && s[i + 1] == '"');
				i++;
			}
		}
		/* A formula start is only ever behind the quote prefix. */
		if (n > 2)
			assert_true(strchr("=+-@\t\r\n", s[1]) == NULL);
	} else {
		for (size_t i = 0; i < n; i++)
			assert_true(s[i] != ',' && s[i] != '"' && s[i] != '\r' &&
				    s[i] != '\n');
		if (n > 0)
			assert_true(strchr("=+-@\t", s[0]) == NULL);
	}
}

static void test_fuzz_invariants(void **state)
{
	uint32_t seed = 0x9e3779b9u;
	char in[64];

	for (int round = 0; round < 20000; round++) {
		size_t len = rng_next(&seed) % sizeof in;
		size_t n;
		char *out;

		random_bytes(&seed, in, len);

		out = escape(ESC_JSON, in, len, &n);
		check_json_literal(out, n);
		free(out);

		out = escape(ESC_CSV, in, len, &n);
		check_csv_field(out, n);
		free(out);

		out = xml_escape(in, len, &n);
		assert_true(g_utf8_validate(out, (gssize)n, NULL));
		for (size_t i = 0; i < n; i++)
			assert_true((unsigned char)out[i] >= 0x20 && out[i] != 0x7f &&
				    strchr("<>\"'", out[i]) == NULL);
		free(out);

		out = text_banner(in, len, 256);
		assert_non_null(out);
		for (const char *p = out; *p != '\0'; p++)
			assert_true(*p >= 0x20 && *p < 0x7f);
		g_free(out);

		out = text_printable(in, len);
		assert_non_null(out);
		assert_true(g_utf8_validate(out, -1, NULL));
		for (const char *p = out; *p != '\0'; p++)
			assert_true((unsigned char)*p >= 0x20 &&
				    (unsigned char)*p != 0x7f);
		g_free(out);
	}
}

/* Every well-formed code point survives JSON and CSV untouched, apart from
 * the ones they escape on purpose (controls, U+2028, U+2029). Code points go
 * through in blocks to keep the run short. */
static void test_all_code_points_roundtrip(void **state)
{
	GString *in = g_string_new(NULL);

	for (gunichar c = 0xA0; c <= 0x10FFFF; c++) {
		size_t n;
		char *out;

		if (!(c >= 0xD800 && c <= 0xDFFF) && c != 0x2028 && c != 0x2029)
			g_string_append_unichar(in, c);
		if (in->len < 8192 && c != 0x10FFFF)
			continue;
		out = escape(ESC_JSON, in->str, in->len, &n);
		assert_int_equal(n, in->len + 2);
		assert_memory_equal(out + 1, in->str, in->len);
		free(out);
		out = escape(ESC_CSV, in->str, in->len, &n);
		assert_int_equal(n, in->len);
		assert_memory_equal(out, in->str, in->len);
		free(out);
		g_string_truncate(in, 0);
	}
	g_string_free(in, TRUE);
}

/* The same for XML, whose only exceptions above U+009F are U+FFFE and
 * U+FFFF. */
static void test_xml_all_code_points(void **state)
{
	GString *in = g_string_new(NULL);

	for (gunichar c = 0xA0; c <= 0x10FFFF; c++) {
		size_t n;
		char *out;

		if (!(c >= 0xD800 && c <= 0xDFFF) && c != 0xFFFE && c != 0xFFFF)
			g_string_append_unichar(in, c);
		if (in->len < 8192 && c != 0x10FFFF)
			continue;
		out = xml_escape(in->str, in->len, &n);
		assert_int_equal(n, in->len);
		assert_memory_equal(out, in->str, in->len);
		free(out);
		g_string_truncate(in, 0);
	}
	g_string_free(in, TRUE);
}

/* A stream that fails makes each escaper report it. */
static void test_stream_error(void **state)
{
	FILE *fp = fopen("/dev/full", "w");

	assert_non_null(fp);
	setvbuf(fp, NULL, _IONBF, 0);
	assert_int_equal(json_write_string(fp, "abc", 3), -1);
	assert_int_equal(csv_write_field(fp, "a,b", 3, 1), -1);
	assert_int_equal(csv_write_field(fp, "abc", 3, 1), -1);
	assert_int_equal(xml_write_text(fp, "a<b", 3), -1);
	assert_int_equal(xml_write_text(fp, "abc", 3), -1);
	fclose(fp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_plain),
		cmocka_unit_test(test_json_quotes_backslash),
		cmocka_unit_test(test_json_controls),
		cmocka_unit_test(test_json_nul),
		cmocka_unit_test(test_json_invalid_utf8),
		cmocka_unit_test(test_json_valid_utf8),
		cmocka_unit_test(test_csv_plain),
		cmocka_unit_test(test_csv_quoting),
		cmocka_unit_test(test_csv_controls),
		cmocka_unit_test(test_csv_nul),
		cmocka_unit_test(test_csv_invalid_utf8),
		cmocka_unit_test(test_csv_valid_utf8),
		cmocka_unit_test(test_csv_formula),
		cmocka_unit_test(test_csv_numeric_not_prefixed),
		cmocka_unit_test(test_printable),
		cmocka_unit_test(test_printable_invalid_utf8),
		cmocka_unit_test(test_banner),
		cmocka_unit_test(test_xml_markup),
		cmocka_unit_test(test_xml_replaced),
		cmocka_unit_test(test_quote_cut),
		cmocka_unit_test(test_fuzz_invariants),
		cmocka_unit_test(test_all_code_points_roundtrip),
		cmocka_unit_test(test_xml_all_code_points),
		cmocka_unit_test(test_stream_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) != 0;
}
