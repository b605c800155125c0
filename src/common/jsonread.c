/* jsonread.c: a strict streaming JSON reader (see jsonread.h).
 *
 * Bytes come through a fixed buffer one at a time (json_peek, next), so a
 * document of any size costs the same memory and nothing depends on where
 * the buffer boundaries fall. Lines and columns are counted as bytes go by:
 * a column counts characters (every byte but a UTF-8 continuation byte). */
#include "jsonread.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "errors.h"

#define BUF_SIZE 65536

struct json_reader {
	FILE *fp;
	const char *name;
	unsigned char buf[BUF_SIZE];
	size_t len, pos;
	bool started;            /* the first read happened (the BOM check) */
	bool eof;
	bool failed;
	int depth;
	unsigned long line, col;
	GString *str;            /* the last string read, decoded */
	GError **err;
};

struct json_reader *json_reader_new(FILE *fp, const char *name, GError **err)
{
	struct json_reader *rd = g_new0(struct json_reader, 1);

	rd->fp = fp;
	rd->name = name;
	rd->err = err;
	rd->line = rd->col = 1;
	rd->str = g_string_new(NULL);
	return rd;
}

void json_reader_free(struct json_reader *rd)
{
	if (rd == NULL)
		return;
	g_string_free(rd->str, TRUE);
	g_free(rd);
}

bool json_failed(const struct json_reader *rd)
{
	return rd->failed;
}

int json_depth(const struct json_reader *rd)
{
	return rd->depth;
}

struct json_pos json_here(const struct json_reader *rd)
{
	return (struct json_pos){ rd->line, rd->col };
}

static void vfail_at(struct json_reader *rd, struct json_pos at, const char *fmt, va_list ap)
	G_GNUC_PRINTF(3, 0);

static void vfail_at(struct json_reader *rd, struct json_pos at, const char *fmt, va_list ap)
{
	char *msg;

	if (rd->failed)
		return;
	rd->failed = true;
	msg = g_strdup_vprintf(fmt, ap);
	g_set_error(rd->err, PL_ERROR, PL_ERROR_USAGE, "%s:%lu:%lu: %s", rd->name, at.line,
		    at.col, msg);
	g_free(msg);
}

void json_fail_at(struct json_reader *rd, struct json_pos at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(rd, at, fmt, ap);
	va_end(ap);
}

void json_fail(struct json_reader *rd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(rd, json_here(rd), fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Bytes                                                               */

/* Refills the buffer; false at the end of the input or on a read error,
 * which it reports. */
static bool refill(struct json_reader *rd)
{
	rd->len = fread(rd->buf, 1, sizeof rd->buf, rd->fp);
	rd->pos = 0;
	if (rd->len == 0) {
		rd->eof = true;
		if (ferror(rd->fp)) {
			int e = errno;

			rd->failed = true;
			g_set_error(rd->err, PL_ERROR, PL_ERROR_USAGE, "%s: cannot read: %s",
				    rd->name, g_strerror(e ? e : EIO));
		}
		return false;
	}
	/* A UTF-8 byte-order mark, as a file saved by some Windows editors
	 * starts with, is no part of the JSON (RFC 8259, 8.1 lets a parser
	 * ignore it). fread fills the buffer unless the input ends first. */
	if (!rd->started && rd->len >= 3 && memcmp(rd->buf, "\xEF\xBB\xBF", 3) == 0)
		rd->pos = 3;
	rd->started = true;
	return rd->pos < rd->len || refill(rd);
}

int json_peek(struct json_reader *rd)
{
	/* Failed first: once stopped, nothing more is read, whatever is
	 * still in the buffer. */
	if (rd->failed)
		return -1;
	if (rd->pos < rd->len)
		return rd->buf[rd->pos];
	if (rd->eof || !refill(rd))
		return -1;
	return rd->buf[rd->pos];
}

static int next(struct json_reader *rd)
{
	int c = json_peek(rd);

	if (c < 0)
		return c;
	rd->pos++;
	if (c == '\n') {
		rd->line++;
		rd->col = 1;
	} else if ((c & 0xC0) != 0x80) {
		rd->col++;       /* columns count characters, not bytes */
	}
	return c;
}

void json_skip_ws(struct json_reader *rd)
{
	int c;

	while ((c = json_peek(rd)) == ' ' || c == '\t' || c == '\n' || c == '\r')
		next(rd);
}

const char *json_describe(int c, char *buf, size_t len)
{
	if (c < 0)
		return "end of file";
	if (c >= 0x21 && c < 0x7F)
		g_snprintf(buf, len, "'%c'", c);
	else
		g_snprintf(buf, len, "byte 0x%02x", (unsigned)c);
	return buf;
}

/* Consumes c after white space, or fails naming what came instead. */
static bool expect(struct json_reader *rd, int c, const char *what)
{
	char b[16];
	int got;

	json_skip_ws(rd);
	got = json_peek(rd);
	if (got == c) {
		next(rd);
		return true;
	}
	json_fail(rd, "expected %s, found %s", what, json_describe(got, b, sizeof b));
	return false;
}

/* ------------------------------------------------------------------ */
/* Strings                                                             */

static int hex4(struct json_reader *rd, struct json_pos at)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int c = next(rd), d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else {
			json_fail_at(rd, at, "bad \\u escape: expected 4 hex digits");
			return -1;
		}
		v = v * 16 + d;
	}
	return v;
}

static bool add_char(struct json_reader *rd, gunichar cp)
{
	if (rd->str->len + 4 > JSON_STRING_MAX) {
		json_fail(rd, "string longer than %d bytes", JSON_STRING_MAX);
		return false;
	}
	g_string_append_unichar(rd->str, cp);
	return true;
}

/* A \u escape, the "\u" read; a surrogate must be the high half of a pair
 * whose low half follows as a second \u escape. */
static bool read_unicode_escape(struct json_reader *rd, struct json_pos at)
{
	int hi, lo;

	if ((hi = hex4(rd, at)) < 0)
		return false;
	if (hi >= 0xDC00 && hi <= 0xDFFF) {
		json_fail_at(rd, at, "bad \\u escape: lone low surrogate");
		return false;
	}
	if (hi < 0xD800 || hi > 0xDBFF)
		return add_char(rd, (gunichar)hi);
	if (next(rd) != '\\' || next(rd) != 'u' || (lo = hex4(rd, at)) < 0 ||
	    lo < 0xDC00 || lo > 0xDFFF) {
		json_fail_at(rd, at, "bad \\u escape: high surrogate without its low half");
		return false;
	}
	return add_char(rd, 0x10000 + (((gunichar)hi - 0xD800) << 10) + ((gunichar)lo - 0xDC00));
}

/* One escape sequence after the backslash, which is at `at`. */
static bool read_escape(struct json_reader *rd, struct json_pos at)
{
	int c = next(rd);

	switch (c) {
	case '"': case '\\': case '/':
		return add_char(rd, (gunichar)c);
	case 'b': return add_char(rd, '\b');
	case 'f': return add_char(rd, '\f');
	case 'n': return add_char(rd, '\n');
	case 'r': return add_char(rd, '\r');
	case 't': return add_char(rd, '\t');
	case 'u': return read_unicode_escape(rd, at);
	default:
		json_fail_at(rd, at, "bad escape in string");
		return false;
	}
}

/* A multi-byte UTF-8 sequence whose lead byte c (at `at`) was read: its
 * length from the lead byte, then GLib's strict check of the whole
 * sequence (no overlongs, surrogates or code points above U+10FFFF). */
static bool read_utf8(struct json_reader *rd, int c, struct json_pos at)
{
	char seq[4];
	size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1, got = 1;

	seq[0] = (char)c;
	while (got < n) {
		int d = json_peek(rd);

		if (d < 0 || (d & 0xC0) != 0x80)
			break;
		seq[got++] = (char)next(rd);
	}
	if (n == 1 || got < n || c > 0xF4 || !g_utf8_validate(seq, (gssize)n, NULL)) {
		json_fail_at(rd, at, "invalid UTF-8 in string");
		return false;
	}
	g_string_append_len(rd->str, seq, (gssize)n);
	return true;
}

bool json_read_string(struct json_reader *rd, const char **s, size_t *len)
{
	struct json_pos start, at;

	g_string_truncate(rd->str, 0);
	json_skip_ws(rd);
	start = json_here(rd);
	if (!expect(rd, '"', "a string"))
		return false;
	for (;;) {
		int c;

		at = json_here(rd);
		c = next(rd);
		if (c < 0) {
			json_fail_at(rd, start, "unterminated string");
			return false;
		}
		if (c == '"')
			break;
		if (c == '\\') {
			if (!read_escape(rd, at))
				return false;
			continue;
		}
		if (c < 0x20) {
			json_fail_at(rd, at, "control character in string (must be escaped)");
			return false;
		}
		if (rd->str->len + 4 > JSON_STRING_MAX) {
			json_fail(rd, "string longer than %d bytes", JSON_STRING_MAX);
			return false;
		}
		if (c < 0x80)
			g_string_append_c(rd->str, (char)c);
		else if (!read_utf8(rd, c, at))
			return false;
	}
	if (s != NULL)
		*s = rd->str->str;
	if (len != NULL)
		*len = rd->str->len;
	return true;
}

/* ------------------------------------------------------------------ */
/* Numbers and literals                                                */

struct number {
	char text[JSON_NUMBER_MAX + 1];
	size_t n;
	struct json_pos start;
};

static bool take(struct json_reader *rd, struct number *num)
{
	if (num->n + 1 >= sizeof num->text) {
		json_fail_at(rd, num->start, "number too long");
		return false;
	}
	num->text[num->n++] = (char)next(rd);
	return true;
}

/* Takes a run of digits; false on a failure. *digits tells whether there
 * was one at least. */
static bool take_digits(struct json_reader *rd, struct number *num, bool *digits)
{
	int c;

	*digits = false;
	while ((c = json_peek(rd)) >= '0' && c <= '9') {
		if (!take(rd, num))
			return false;
		*digits = true;
	}
	return true;
}

/* The fraction and exponent of a number, after its integer part. */
static bool read_number_tail(struct json_reader *rd, struct number *num, bool *integer)
{
	bool digits;
	int c;

	if (json_peek(rd) == '.') {
		*integer = false;
		if (!take(rd, num) || !take_digits(rd, num, &digits))
			return false;
		if (!digits) {
			json_fail_at(rd, num->start, "bad number: no digit after '.'");
			return false;
		}
	}
	if ((c = json_peek(rd)) == 'e' || c == 'E') {
		*integer = false;
		if (!take(rd, num))
			return false;
		if (((c = json_peek(rd)) == '+' || c == '-') && !take(rd, num))
			return false;
		if (!take_digits(rd, num, &digits))
			return false;
		if (!digits) {
			json_fail_at(rd, num->start, "bad number: no digit in the exponent");
			return false;
		}
	}
	return true;
}

/* The number at the next byte into num->text; *integer as json_read_number. */
static bool read_number(struct json_reader *rd, struct number *num, bool *integer)
{
	bool digits;
	int c;

	num->n = 0;
	num->start = json_here(rd);
	*integer = true;
	if (json_peek(rd) == '-' && !take(rd, num))
		return false;
	c = json_peek(rd);
	if (c == '0') {
		if (!take(rd, num))
			return false;
	} else if (c >= '1' && c <= '9') {
		if (!take_digits(rd, num, &digits))
			return false;
	} else {
		json_fail_at(rd, num->start, "bad number");
		return false;
	}
	if (!read_number_tail(rd, num, integer))
		return false;
	num->text[num->n] = '\0';
	return true;
}

bool json_read_number(struct json_reader *rd, bool *integer, gint64 *value)
{
	struct number num;

	if (!read_number(rd, &num, integer))
		return false;
	if (*integer) {
		errno = 0;
		*value = g_ascii_strtoll(num.text, NULL, 10);
		if (errno == ERANGE)
			*integer = false;
	}
	return true;
}

bool json_read_real(struct json_reader *rd, double *value)
{
	struct number num;
	bool integer;

	if (!read_number(rd, &num, &integer))
		return false;
	/* g_ascii_strtod: a '.' whatever the locale, as the writers put it. */
	*value = g_ascii_strtod(num.text, NULL);
	return true;
}

bool json_read_literal(struct json_reader *rd, const char *lit)
{
	struct json_pos start = json_here(rd);

	for (const char *p = lit; *p != '\0'; p++)
		if (next(rd) != *p) {
			json_fail_at(rd, start, "bad literal: expected '%s'", lit);
			return false;
		}
	return true;
}

/* ------------------------------------------------------------------ */
/* Containers                                                          */

/* Opens a container after its first byte was read. */
static bool enter(struct json_reader *rd)
{
	if (++rd->depth > JSON_DEPTH_MAX) {
		json_fail(rd, "nested deeper than %d levels", JSON_DEPTH_MAX);
		return false;
	}
	return true;
}

/* One member: its key, the ':', its value. */
static bool read_member(struct json_reader *rd, json_member_fn member, void *ud)
{
	const char *s;
	size_t len;
	char *key;
	bool ok;

	if (!json_read_string(rd, &s, &len))
		return false;
	key = g_strndup(s, len);
	ok = expect(rd, ':', "':'");
	if (ok) {
		json_skip_ws(rd);
		ok = member != NULL ? member(rd, key, ud) : json_skip_value(rd);
	}
	g_free(key);
	return ok;
}

static bool read_members(struct json_reader *rd, json_member_fn member, void *ud)
{
	char b[16];
	int c;

	json_skip_ws(rd);
	if (json_peek(rd) == '}') {
		next(rd);
		return true;
	}
	for (;;) {
		if (!read_member(rd, member, ud))
			return false;
		json_skip_ws(rd);
		c = json_peek(rd);
		if (c != ',' && c != '}') {
			json_fail(rd, "expected ',' or '}', found %s", json_describe(c, b, sizeof b));
			return false;
		}
		next(rd);
		if (c == '}')
			return true;
		json_skip_ws(rd);
	}
}

bool json_read_object(struct json_reader *rd, json_member_fn member, void *ud)
{
	bool ok;

	if (!expect(rd, '{', "'{'") || !enter(rd))
		return false;
	ok = read_members(rd, member, ud);
	rd->depth--;
	return ok;
}

static bool read_elements(struct json_reader *rd, json_element_fn element, void *ud)
{
	char b[16];
	int c;

	json_skip_ws(rd);
	if (json_peek(rd) == ']') {
		next(rd);
		return true;
	}
	for (;;) {
		json_skip_ws(rd);
		if (!(element != NULL ? element(rd, ud) : json_skip_value(rd)))
			return false;
		json_skip_ws(rd);
		c = json_peek(rd);
		if (c != ',' && c != ']') {
			json_fail(rd, "expected ',' or ']', found %s", json_describe(c, b, sizeof b));
			return false;
		}
		next(rd);
		if (c == ']')
			return true;
	}
}

bool json_read_array(struct json_reader *rd, json_element_fn element, void *ud)
{
	bool ok;

	if (!expect(rd, '[', "'['") || !enter(rd))
		return false;
	ok = read_elements(rd, element, ud);
	rd->depth--;
	return ok;
}

bool json_skip_value(struct json_reader *rd)
{
	char b[16];
	bool integer;
	gint64 v;
	int c;

	json_skip_ws(rd);
	c = json_peek(rd);
	switch (c) {
	case '{':
		return json_read_object(rd, NULL, NULL);
	case '[':
		return json_read_array(rd, NULL, NULL);
	case '"':
		return json_read_string(rd, NULL, NULL);
	case 't':
		return json_read_literal(rd, "true");
	case 'f':
		return json_read_literal(rd, "false");
	case 'n':
		return json_read_literal(rd, "null");
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return json_read_number(rd, &integer, &v);
		json_fail(rd, "expected a value, found %s", json_describe(c, b, sizeof b));
		return false;
	}
}
