/* fuzz_json.c: libFuzzer target for the streaming JSON reader (jsonread.h).
 *
 * The input is a JSON text, read as one document of any value by a generic
 * walk that uses every reading function (objects and arrays through their
 * callbacks, strings, numbers, literals), and also read once more skipping
 * every value.
 *
 * Properties:
 *  - the reader accepts exactly what an independent RFC 8259 validator in
 *    this file accepts (with the reader's documented limits: depth, number
 *    length, \u surrogates in pairs, a leading BOM skipped);
 *  - a failure sets one line "fuzz.json:LINE:COL: ..." whose line exists in
 *    the input; a success leaves no container open;
 *  - skipping every value agrees with the walk;
 *  - every decoded string is valid UTF-8 (NULs from \u0000 aside) and
 *    within JSON_STRING_MAX;
 *  - written back (strings through json_write_string, integers as read),
 *    the document reads again into exactly the same text. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "jsonread.h"
#include "textesc.h"
#include "fuzz_common.h"

#define FUZZ_MAX_INPUT 65536
#define NAME "fuzz.json"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_glib();
	return 0;
}

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_json: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

/* ------------------------------------------------------------------ */
/* The reference: a plain recursive validator over the bytes            */

struct ref {
	const unsigned char *p;
	size_t n, i;
};

static void ref_ws(struct ref *r)
{
	while (r->i < r->n && (r->p[r->i] == ' ' || r->p[r->i] == '\t' ||
			       r->p[r->i] == '\n' || r->p[r->i] == '\r'))
		r->i++;
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629's table), 0 if
 * there is none. */
static size_t ref_utf8(const unsigned char *p, size_t n)
{
	unsigned char b = p[0], lo = 0x80, hi = 0xBF;
	size_t len;

	if (b >= 0xC2 && b <= 0xDF)
		len = 2;
	else if (b >= 0xE0 && b <= 0xEF)
		len = 3;
	else if (b >= 0xF0 && b <= 0xF4)
		len = 4;
	else
		return 0;
	if (b == 0xE0)
		lo = 0xA0;
	else if (b == 0xED)
		hi = 0x9F;
	else if (b == 0xF0)
		lo = 0x90;
	else if (b == 0xF4)
		hi = 0x8F;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if ((p[k] & 0xC0) != 0x80)
			return 0;
	return len;
}

static long ref_hex4(struct ref *r)
{
	long v = 0;

	if (r->n - r->i < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		int d = g_ascii_xdigit_value((char)r->p[r->i++]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static bool ref_escape(struct ref *r)
{
	long hi, lo;

	if (r->i >= r->n)
		return false;
	switch (r->p[r->i++]) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
		return true;
	case 'u':
		hi = ref_hex4(r);
		if (hi < 0 || (hi >= 0xDC00 && hi <= 0xDFFF))
			return false;
		if (hi < 0xD800 || hi > 0xDBFF)
			return true;
		if (r->n - r->i < 2 || r->p[r->i] != '\\' || r->p[r->i + 1] != 'u')
			return false;
		r->i += 2;
		lo = ref_hex4(r);
		return lo >= 0xDC00 && lo <= 0xDFFF;
	default:
		return false;
	}
}

static bool ref_string(struct ref *r)
{
	r->i++;
	while (r->i < r->n) {
		unsigned char c = r->p[r->i];
		size_t len;

		if (c == '"') {
			r->i++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			r->i++;
			if (!ref_escape(r))
				return false;
			continue;
		}
		if (c < 0x80) {
			r->i++;
			continue;
		}
		len = ref_utf8(r->p + r->i, r->n - r->i);
		if (len == 0)
			return false;
		r->i += len;
	}
	return false;
}

static bool ref_digits(struct ref *r)
{
	size_t start = r->i;

	while (r->i < r->n && g_ascii_isdigit(r->p[r->i]))
		r->i++;
	return r->i > start;
}

static bool ref_number(struct ref *r)
{
	size_t start = r->i;

	if (r->p[r->i] == '-')
		r->i++;
	if (r->i < r->n && r->p[r->i] == '0')
		r->i++;
	else if (!ref_digits(r))
		return false;
	if (r->i < r->n && r->p[r->i] == '.') {
		r->i++;
		if (!ref_digits(r))
			return false;
	}
	if (r->i < r->n && (r->p[r->i] == 'e' || r->p[r->i] == 'E')) {
		r->i++;
		if (r->i < r->n && (r->p[r->i] == '+' || r->p[r->i] == '-'))
			r->i++;
		if (!ref_digits(r))
			return false;
	}
	return r->i - start <= JSON_NUMBER_MAX;
}

static bool ref_value(struct ref *r, int depth);

static bool ref_container(struct ref *r, int depth, bool object)
{
	char close = object ? '}' : ']';

	if (depth + 1 > JSON_DEPTH_MAX)
		return false;
	r->i++;
	ref_ws(r);
	if (r->i < r->n && r->p[r->i] == close) {
		r->i++;
		return true;
	}
	for (;;) {
		ref_ws(r);
		if (object) {
			if (r->i >= r->n || r->p[r->i] != '"' || !ref_string(r))
				return false;
			ref_ws(r);
			if (r->i >= r->n || r->p[r->i++] != ':')
				return false;
		}
		if (!ref_value(r, depth + 1))
			return false;
		ref_ws(r);
		if (r->i >= r->n)
			return false;
		if (r->p[r->i] == close) {
			r->i++;
			return true;
		}
		if (r->p[r->i++] != ',')
			return false;
	}
}

static bool ref_literal(struct ref *r, const char *lit)
{
	size_t len = strlen(lit);

	if (r->n - r->i < len || memcmp(r->p + r->i, lit, len) != 0)
		return false;
	r->i += len;
	return true;
}

static bool ref_value(struct ref *r, int depth)
{
	ref_ws(r);
	if (r->i >= r->n)
		return false;
	switch (r->p[r->i]) {
	case '{':
		return ref_container(r, depth, true);
	case '[':
		return ref_container(r, depth, false);
	case '"':
		return ref_string(r);
	case 't':
		return ref_literal(r, "true");
	case 'f':
		return ref_literal(r, "false");
	case 'n':
		return ref_literal(r, "null");
	default:
		return (r->p[r->i] == '-' || g_ascii_isdigit(r->p[r->i])) && ref_number(r);
	}
}

static bool ref_document(const uint8_t *data, size_t size)
{
	struct ref r = { .p = data, .n = size };

	if (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		r.i = 3;
	if (!ref_value(&r, 0))
		return false;
	ref_ws(&r);
	return r.i == r.n;
}

/* ------------------------------------------------------------------ */
/* The walk: the document written back as JSON                         */

static bool walk_value(struct json_reader *rd, FILE *out);

static bool walk_member(struct json_reader *rd, const char *key, void *ud)
{
	FILE *out = ud;

	fputc(',', out);
	json_write_string(out, key, strlen(key));
	fputc(':', out);
	return walk_value(rd, out);
}

static bool walk_element(struct json_reader *rd, void *ud)
{
	FILE *out = ud;

	fputc(',', out);
	return walk_value(rd, out);
}

static void check_string(const char *s, size_t len)
{
	const char *end = s + len;

	if (len > JSON_STRING_MAX)
		fail("string longer than the limit", NULL);
	if (s[len] != '\0')
		fail("string not NUL-terminated", NULL);
	/* NULs come from \u0000; each piece between them is valid UTF-8. */
	for (const char *p = s; p <= end; p += strlen(p) + 1)
		if (!g_utf8_validate(p, -1, NULL))
			fail("string read is not valid UTF-8", NULL);
}

/* Containers are written with a leading ',' before every item ("[,1,2]"),
 * mended by the caller: it keeps the walk free of state. */
static bool walk_value(struct json_reader *rd, FILE *out)
{
	const char *s;
	size_t len;
	bool integer;
	gint64 v;

	json_skip_ws(rd);
	switch (json_peek(rd)) {
	case '{':
		fputc('{', out);
		if (!json_read_object(rd, walk_member, out))
			return false;
		fputc('}', out);
		return true;
	case '[':
		fputc('[', out);
		if (!json_read_array(rd, walk_element, out))
			return false;
		fputc(']', out);
		return true;
	case '"':
		if (!json_read_string(rd, &s, &len))
			return false;
		check_string(s, len);
		json_write_string(out, s, len);
		return true;
	case 't':
		fputs("true", out);
		return json_read_literal(rd, "true");
	case 'f':
		fputs("false", out);
		return json_read_literal(rd, "false");
	case 'n':
		fputs("null", out);
		return json_read_literal(rd, "null");
	default:
		if (!json_read_number(rd, &integer, &v))
			return false;
		if (integer)
			fprintf(out, "%" G_GINT64_FORMAT, v);
		else
			fputs("0.5", out);
		return true;
	}
}

/* Drops the ',' right after each '[' or '{' outside strings. */
static void mend_commas(char *text)
{
	bool in_string = false;
	char *o = text;

	for (char *p = text; *p != '\0'; p++) {
		if (in_string) {
			if (*p == '\\')
				*o++ = *p++;
			else if (*p == '"')
				in_string = false;
		} else if (*p == '"') {
			in_string = true;
		} else if (*p == ',' && o > text && (o[-1] == '[' || o[-1] == '{')) {
			continue;
		}
		*o++ = *p;
	}
	*o = '\0';
}

static void check_error(const GError *err, const uint8_t *data, size_t size)
{
	unsigned long line, col, lines = 1;
	int used = 0;

	if (err == NULL || err->message == NULL)
		fail("failed without an error", NULL);
	if (strchr(err->message, '\n') != NULL)
		fail("error spans more than one line", err->message);
	if (sscanf(err->message, NAME ":%lu:%lu: %n", &line, &col, &used) < 2 || used == 0)
		fail("error does not name the place", err->message);
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (line < 1 || line > lines || col < 1 || col > size + 1)
		fail("error names a place outside the input", err->message);
}

/* Reads data as one document: its text written back (g_free), or NULL
 * with *err. */
static char *read_back(const uint8_t *data, size_t size, GError **err)
{
	FILE *in = fmemopen((void *)data, size, "r");
	char *text = NULL;
	size_t text_len = 0;
	FILE *out = open_memstream(&text, &text_len);
	struct json_reader *rd;
	bool ok;

	if (in == NULL || out == NULL)
		fail("fmemopen or open_memstream failed", NULL);
	rd = json_reader_new(in, NAME, err);
	ok = walk_value(rd, out);
	if (ok) {
		json_skip_ws(rd);
		if (json_peek(rd) >= 0) {
			json_fail(rd, "trailing data");
			ok = false;
		}
	}
	if (ok != !json_failed(rd))
		fail("json_failed disagrees with the result", NULL);
	if (ok && json_depth(rd) != 0)
		fail("a container is still open after the document", NULL);
	json_reader_free(rd);
	fclose(in);
	fclose(out);
	if (!ok) {
		free(text);
		return NULL;
	}
	mend_commas(text);
	return text;
}

/* The same document with every value skipped. */
static bool skips(const uint8_t *data, size_t size)
{
	FILE *in = fmemopen((void *)data, size, "r");
	GError *err = NULL;
	struct json_reader *rd = json_reader_new(in, NAME, &err);
	bool ok = json_skip_value(rd);

	if (ok) {
		json_skip_ws(rd);
		ok = json_peek(rd) < 0;
	}
	json_reader_free(rd);
	fclose(in);
	g_clear_error(&err);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GError *err = NULL;
	char *first, *second;
	bool valid;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	valid = ref_document(data, size);
	first = read_back(data, size, &err);
	if ((first != NULL) != valid)
		fail(valid ? "valid JSON refused" : "invalid JSON accepted",
		     err ? err->message : NULL);
	if (skips(data, size) != valid)
		fail("skipping every value disagrees with the walk", NULL);
	if (first == NULL) {
		check_error(err, data, size);
		g_clear_error(&err);
		return 0;
	}
	if (!ref_document((const uint8_t *)first, strlen(first)))
		fail("the document written back is no valid JSON", first);
	second = read_back((const uint8_t *)first, strlen(first), &err);
	if (second == NULL)
		fail("the document written back does not read", err ? err->message : NULL);
	if (strcmp(first, second) != 0)
		fail("the document written back reads differently", second);
	free(first);
	free(second);
	return 0;
}
