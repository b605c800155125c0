/* baseline.c: loading a previous JSON document and comparing results to it.
 *
 * The document is read by a small strict streaming parser (RFC 8259) rather
 * than a tree-building library: a baseline written with --states all can hold
 * millions of rows, and a tree of them all would cost far more memory than the
 * open ports we keep. The parser reads through a fixed buffer, validates the
 * whole document (syntax, UTF-8, escapes, nesting depth, string length) and
 * keeps only open rows, so memory is bounded by the baseline's open ports.
 * Errors name the file, line and column. */
#include "baseline.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "ports.h"

/* A string longer than this is no field portolan writes (banners are at most
 * a few KiB): refusing it bounds the parser's memory. */
#define MAX_STRING (1024 * 1024)
/* Nesting deeper than this is no portolan document. */
#define MAX_DEPTH 64
#define BUF_SIZE 65536

struct entry {
	struct pl_addr addr;
	uint16_t port;
	const char *service;     /* in baseline.strings; "" when not detected */
	const char *product;
	const char *version;
};

struct baseline {
	GHashTable *open;        /* struct entry *, key and value */
	GStringChunk *strings;   /* service, product and version texts, interned */
	struct port_list ports;  /* the baseline's port list, when it has one */
	bool have_ports;
};

/* ---- the reader ---- */

struct reader {
	FILE *fp;
	const char *path;
	unsigned char buf[BUF_SIZE];
	size_t len, pos;
	bool eof;
	unsigned long line, col;
	GString *str;            /* the last string read, decoded */
	GError **err;
	bool failed;
};

/* A place in the file, for messages. */
struct pos {
	unsigned long line, col;
};

static void vfail_at(struct reader *rd, struct pos at, const char *fmt, va_list ap)
	G_GNUC_PRINTF(3, 0);

static void vfail_at(struct reader *rd, struct pos at, const char *fmt, va_list ap)
{
	char *msg;

	if (rd->failed)
		return;
	rd->failed = true;
	msg = g_strdup_vprintf(fmt, ap);
	g_set_error(rd->err, PL_ERROR, PL_ERROR_USAGE, "%s:%lu:%lu: %s", rd->path, at.line,
		    at.col, msg);
	g_free(msg);
}

/* Reports a problem at `at` (the first one only: parsing stops there). */
static void fail_at(struct reader *rd, struct pos at, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void fail_at(struct reader *rd, struct pos at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(rd, at, fmt, ap);
	va_end(ap);
}

static struct pos here(const struct reader *rd)
{
	return (struct pos){ rd->line, rd->col };
}

/* Reports a problem at the next unread byte. */
static void fail(struct reader *rd, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void fail(struct reader *rd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(rd, here(rd), fmt, ap);
	va_end(ap);
}

/* The next byte without consuming it, or -1 at the end (or on a read error,
 * which fail() reports). */
static int peek(struct reader *rd)
{
	if (rd->pos < rd->len)
		return rd->buf[rd->pos];
	if (rd->eof || rd->failed)
		return -1;
	rd->len = fread(rd->buf, 1, sizeof rd->buf, rd->fp);
	rd->pos = 0;
	if (rd->len == 0) {
		rd->eof = true;
		if (ferror(rd->fp)) {
			int e = errno;

			rd->failed = true;
			g_set_error(rd->err, PL_ERROR, PL_ERROR_USAGE, "%s: cannot read: %s",
				    rd->path, g_strerror(e ? e : EIO));
		}
		return -1;
	}
	return rd->buf[0];
}

static int next(struct reader *rd)
{
	int c = peek(rd);

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

static void skip_ws(struct reader *rd)
{
	int c;

	while ((c = peek(rd)) == ' ' || c == '\t' || c == '\n' || c == '\r')
		next(rd);
}

static const char *describe(int c, char *buf, size_t len)
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
static bool expect(struct reader *rd, int c, const char *what)
{
	char b[16];
	int got;

	skip_ws(rd);
	got = peek(rd);
	if (got == c) {
		next(rd);
		return true;
	}
	fail(rd, "expected %s, found %s", what, describe(got, b, sizeof b));
	return false;
}

static int hex4(struct reader *rd, struct pos at)
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
			fail_at(rd, at, "bad \\u escape: expected 4 hex digits");
			return -1;
		}
		v = v * 16 + d;
	}
	return v;
}

static bool add_char(struct reader *rd, gunichar cp)
{
	if (rd->str->len + 4 > MAX_STRING) {
		fail(rd, "string longer than %d bytes", MAX_STRING);
		return false;
	}
	g_string_append_unichar(rd->str, cp);
	return true;
}

/* One escape sequence after the backslash, which is at `at`. */
static bool read_escape(struct reader *rd, struct pos at)
{
	int c = next(rd), hi, lo;

	switch (c) {
	case '"': case '\\': case '/':
		return add_char(rd, (gunichar)c);
	case 'b': return add_char(rd, '\b');
	case 'f': return add_char(rd, '\f');
	case 'n': return add_char(rd, '\n');
	case 'r': return add_char(rd, '\r');
	case 't': return add_char(rd, '\t');
	case 'u':
		if ((hi = hex4(rd, at)) < 0)
			return false;
		if (hi >= 0xDC00 && hi <= 0xDFFF) {
			fail_at(rd, at, "bad \\u escape: lone low surrogate");
			return false;
		}
		if (hi < 0xD800 || hi > 0xDBFF)
			return add_char(rd, (gunichar)hi);
		if (next(rd) != '\\' || next(rd) != 'u' || (lo = hex4(rd, at)) < 0 ||
		    lo < 0xDC00 || lo > 0xDFFF) {
			fail_at(rd, at, "bad \\u escape: high surrogate without its low half");
			return false;
		}
		return add_char(rd, 0x10000 + (((gunichar)hi - 0xD800) << 10) + ((gunichar)lo - 0xDC00));
	default:
		fail_at(rd, at, "bad escape in string");
		return false;
	}
}

/* A string (the opening quote not yet read) into rd->str. Raw bytes must be
 * well-formed UTF-8 and no control characters. */
static bool read_string(struct reader *rd)
{
	struct pos start, at;

	g_string_truncate(rd->str, 0);
	skip_ws(rd);
	start = here(rd);
	if (!expect(rd, '"', "a string"))
		return false;
	for (;;) {
		int c;

		at = here(rd);
		c = next(rd);
		if (c < 0) {
			fail_at(rd, start, "unterminated string");
			return false;
		}
		if (c == '"')
			return true;
		if (c == '\\') {
			if (!read_escape(rd, at))
				return false;
			continue;
		}
		if (c < 0x20) {
			fail_at(rd, at, "control character in string (must be escaped)");
			return false;
		}
		if (rd->str->len + 4 > MAX_STRING) {
			fail(rd, "string longer than %d bytes", MAX_STRING);
			return false;
		}
		if (c < 0x80) {
			g_string_append_c(rd->str, (char)c);
			continue;
		}
		{
			/* A multi-byte sequence: its length from the lead byte,
			 * then GLib's strict check of the whole sequence. */
			char seq[4];
			size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1, got = 1;

			seq[0] = (char)c;
			while (got < n) {
				int d = peek(rd);

				if (d < 0 || (d & 0xC0) != 0x80)
					break;
				seq[got++] = (char)next(rd);
			}
			if (n == 1 || got < n || c > 0xF4 ||
			    !g_utf8_validate(seq, (gssize)n, NULL)) {
				fail_at(rd, at, "invalid UTF-8 in string");
				return false;
			}
			g_string_append_len(rd->str, seq, (gssize)n);
		}
	}
}

/* A number per the JSON grammar. *integer tells whether it had neither
 * fraction nor exponent; *value holds it when it did and fits. */
static bool read_number(struct reader *rd, bool *integer, gint64 *value)
{
	char text[64];
	size_t n = 0;
	int c;
	bool digits;
	struct pos start = here(rd);

#define TAKE() do {                                                      \
		if (n + 1 >= sizeof text) {                              \
			fail_at(rd, start, "number too long");                     \
			return false;                                    \
		}                                                        \
		text[n++] = (char)next(rd);                              \
	} while (0)

	*integer = true;
	if (peek(rd) == '-')
		TAKE();
	c = peek(rd);
	if (c == '0') {
		TAKE();
	} else if (c >= '1' && c <= '9') {
		while ((c = peek(rd)) >= '0' && c <= '9')
			TAKE();
	} else {
		fail_at(rd, start, "bad number");
		return false;
	}
	if (peek(rd) == '.') {
		*integer = false;
		TAKE();
		digits = false;
		while ((c = peek(rd)) >= '0' && c <= '9') {
			TAKE();
			digits = true;
		}
		if (!digits) {
			fail_at(rd, start, "bad number: no digit after '.'");
			return false;
		}
	}
	if ((c = peek(rd)) == 'e' || c == 'E') {
		*integer = false;
		TAKE();
		if ((c = peek(rd)) == '+' || c == '-')
			TAKE();
		digits = false;
		while ((c = peek(rd)) >= '0' && c <= '9') {
			TAKE();
			digits = true;
		}
		if (!digits) {
			fail_at(rd, start, "bad number: no digit in the exponent");
			return false;
		}
	}
#undef TAKE
	text[n] = '\0';
	if (*integer) {
		errno = 0;
		*value = g_ascii_strtoll(text, NULL, 10);
		if (errno == ERANGE)
			*integer = false;
	}
	return true;
}

static bool read_literal(struct reader *rd, const char *lit)
{
	struct pos start = here(rd);

	for (const char *p = lit; *p != '\0'; p++)
		if (next(rd) != *p) {
			fail_at(rd, start, "bad literal: expected '%s'", lit);
			return false;
		}
	return true;
}

static bool skip_value(struct reader *rd, int depth);

/* An object's members, the '{' already read: for each key, member() is
 * called to read its value (or skip_value when member is NULL). */
typedef bool (*member_fn)(struct reader *rd, const char *key, void *ud, int depth);

static bool read_members(struct reader *rd, member_fn member, void *ud, int depth)
{
	char b[16];
	int c;

	if (depth > MAX_DEPTH) {
		fail(rd, "nested deeper than %d levels", MAX_DEPTH);
		return false;
	}
	skip_ws(rd);
	if (peek(rd) == '}') {
		next(rd);
		return true;
	}
	for (;;) {
		char *key;
		bool ok;

		if (!read_string(rd))
			return false;
		key = g_strndup(rd->str->str, rd->str->len);
		ok = expect(rd, ':', "':'");
		if (ok) {
			skip_ws(rd);
			ok = member != NULL ? member(rd, key, ud, depth) : skip_value(rd, depth);
		}
		g_free(key);
		if (!ok)
			return false;
		skip_ws(rd);
		c = peek(rd);
		if (c != ',' && c != '}') {
			fail(rd, "expected ',' or '}', found %s", describe(c, b, sizeof b));
			return false;
		}
		next(rd);
		if (c == '}')
			return true;
		skip_ws(rd);
	}
}

/* An array's elements, the '[' already read. */
typedef bool (*element_fn)(struct reader *rd, void *ud, int depth);

static bool read_elements(struct reader *rd, element_fn element, void *ud, int depth)
{
	char b[16];
	int c;

	if (depth > MAX_DEPTH) {
		fail(rd, "nested deeper than %d levels", MAX_DEPTH);
		return false;
	}
	skip_ws(rd);
	if (peek(rd) == ']') {
		next(rd);
		return true;
	}
	for (;;) {
		skip_ws(rd);
		if (!(element != NULL ? element(rd, ud, depth) : skip_value(rd, depth)))
			return false;
		skip_ws(rd);
		c = peek(rd);
		if (c != ',' && c != ']') {
			fail(rd, "expected ',' or ']', found %s", describe(c, b, sizeof b));
			return false;
		}
		next(rd);
		if (c == ']')
			return true;
	}
}

static bool skip_value(struct reader *rd, int depth)
{
	char b[16];
	bool integer;
	gint64 v;
	int c;

	skip_ws(rd);
	c = peek(rd);
	switch (c) {
	case '{':
		next(rd);
		return read_members(rd, NULL, NULL, depth + 1);
	case '[':
		next(rd);
		return read_elements(rd, NULL, NULL, depth + 1);
	case '"':
		return read_string(rd);
	case 't':
		return read_literal(rd, "true");
	case 'f':
		return read_literal(rd, "false");
	case 'n':
		return read_literal(rd, "null");
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return read_number(rd, &integer, &v);
		fail(rd, "expected a value, found %s", describe(c, b, sizeof b));
		return false;
	}
}

/* ---- the document ---- */

struct record {
	bool have_ip, have_port, have_state;
	struct pl_addr addr;
	gint64 port;
	int state;
	char *service, *product, *version;
	struct pos start;                 /* where the record starts */
};

struct doc {
	struct baseline *b;
	bool have_results;
	bool have_states;
	bool states_open;
	struct pos states_at;
};

/* A string or null (as empty) member; *out gets a copy. */
static bool read_text(struct reader *rd, const char *key, char **out)
{
	struct pos at = here(rd);

	if (peek(rd) == 'n') {
		if (!read_literal(rd, "null"))
			return false;
		g_free(*out);
		*out = g_strdup("");
		return true;
	}
	if (peek(rd) != '"') {
		fail_at(rd, at, "\"%s\": expected a string", key);
		return false;
	}
	if (!read_string(rd))
		return false;
	g_free(*out);
	*out = g_strndup(rd->str->str, rd->str->len);
	return true;
}

static bool record_member(struct reader *rd, const char *key, void *ud, int depth)
{
	struct record *rec = ud;
	struct pos at = here(rd);
	bool integer;

	if (strcmp(key, "ip") == 0) {
		if (peek(rd) != '"') {
			fail_at(rd, at, "\"ip\": expected a string");
			return false;
		}
		if (!read_string(rd))
			return false;
		if (!pl_addr_parse(rd->str->str, &rec->addr) || strlen(rd->str->str) != rd->str->len) {
			fail_at(rd, at, "\"ip\": not an address");
			return false;
		}
		rec->have_ip = true;
		return true;
	}
	if (strcmp(key, "port") == 0) {
		int c = peek(rd);

		if (c != '-' && (c < '0' || c > '9')) {
			fail_at(rd, at, "\"port\": expected a number");
			return false;
		}
		if (!read_number(rd, &integer, &rec->port))
			return false;
		if (!integer || rec->port < 1 || rec->port > 65535) {
			fail_at(rd, at, "\"port\": expected a port number from 1 to 65535");
			return false;
		}
		rec->have_port = true;
		return true;
	}
	if (strcmp(key, "state") == 0) {
		if (peek(rd) != '"') {
			fail_at(rd, at, "\"state\": expected a string");
			return false;
		}
		if (!read_string(rd))
			return false;
		rec->state = port_state_parse(rd->str->str);
		if (rec->state < 0) {
			fail_at(rd, at, "\"state\": unknown state '%s'", rd->str->str);
			return false;
		}
		rec->have_state = true;
		return true;
	}
	if (strcmp(key, "proto") == 0) {
		if (peek(rd) != '"' || !read_string(rd)) {
			fail_at(rd, at, "\"proto\": expected a string");
			return false;
		}
		if (strcmp(rd->str->str, "tcp") != 0) {
			fail_at(rd, at, "\"proto\": only tcp results can be compared");
			return false;
		}
		return true;
	}
	if (strcmp(key, "service") == 0)
		return read_text(rd, key, &rec->service);
	if (strcmp(key, "product") == 0)
		return read_text(rd, key, &rec->product);
	if (strcmp(key, "version") == 0)
		return read_text(rd, key, &rec->version);
	return skip_value(rd, depth);
}

static guint entry_hash(gconstpointer p)
{
	const struct entry *e = p;
	guint64 h = e->addr.v.lo * UINT64_C(0x9E3779B97F4A7C15) ^ e->addr.v.hi;

	h ^= (guint64)e->port << 17 ^ (guint64)e->addr.family;
	h *= UINT64_C(0xBF58476D1CE4E5B9);
	return (guint)(h ^ (h >> 31));
}

static gboolean entry_equal(gconstpointer a, gconstpointer b)
{
	const struct entry *x = a, *y = b;

	return x->port == y->port && pl_addr_equal(&x->addr, &y->addr);
}

static const char *intern(struct baseline *b, const char *s)
{
	return g_string_chunk_insert_const(b->strings, s != NULL ? s : "");
}

static bool result_element(struct reader *rd, void *ud, int depth)
{
	struct doc *doc = ud;
	struct record rec = { .start = here(rd) };
	bool ok = false;

	if (peek(rd) != '{') {
		fail(rd, "\"results\": expected an object for each result");
		return false;
	}
	next(rd);
	if (!read_members(rd, record_member, &rec, depth + 1))
		goto out;
	if (!rec.have_ip || !rec.have_port || !rec.have_state) {
		fail_at(rd, rec.start, "result without %s", !rec.have_ip ? "\"ip\"" :
		     !rec.have_port ? "\"port\"" : "\"state\"");
		goto out;
	}
	if (rec.state == STATE_OPEN) {
		struct entry key = { .addr = rec.addr, .port = (uint16_t)rec.port };

		/* A port listed twice (two runs concatenated by hand) keeps
		 * its first row. */
		if (!g_hash_table_contains(doc->b->open, &key)) {
			struct entry *e = g_new(struct entry, 1);

			*e = key;
			e->service = intern(doc->b, rec.service);
			e->product = intern(doc->b, rec.product);
			e->version = intern(doc->b, rec.version);
			g_hash_table_add(doc->b->open, e);
		}
	}
	ok = true;
out:
	g_free(rec.service);
	g_free(rec.product);
	g_free(rec.version);
	return ok;
}

static bool scan_member(struct reader *rd, const char *key, void *ud, int depth)
{
	struct doc *doc = ud;
	struct pos at = here(rd);
	GError *e = NULL;

	if (strcmp(key, "ports") == 0) {
		if (peek(rd) != '"' || !read_string(rd)) {
			fail_at(rd, at, "\"ports\": expected a string");
			return false;
		}
		ports_free(&doc->b->ports);
		if (ports_parse(rd->str->str, &doc->b->ports, &e) != 0) {
			fail_at(rd, at, "\"ports\": %s", e->message);
			g_error_free(e);
			return false;
		}
		doc->b->have_ports = true;
		return true;
	}
	if (strcmp(key, "states") == 0) {
		char **items;

		if (peek(rd) != '"' || !read_string(rd)) {
			fail_at(rd, at, "\"states\": expected a string");
			return false;
		}
		items = g_strsplit(rd->str->str, ",", -1);
		doc->have_states = true;
		doc->states_at = at;
		doc->states_open = false;
		for (char **it = items; *it != NULL; it++)
			if (strcmp(g_strstrip(*it), "open") == 0 || strcmp(*it, "all") == 0)
				doc->states_open = true;
		g_strfreev(items);
		return true;
	}
	return skip_value(rd, depth);
}

static bool portolan_member(struct reader *rd, const char *key, void *ud, int depth)
{
	struct pos at = here(rd);
	bool integer;
	gint64 v;
	int c = peek(rd);

	if (strcmp(key, "format") != 0)
		return skip_value(rd, depth);
	if (c != '-' && (c < '0' || c > '9')) {
		fail_at(rd, at, "\"format\": expected a number");
		return false;
	}
	if (!read_number(rd, &integer, &v))
		return false;
	if (!integer || v != 1) {
		fail_at(rd, at, "unsupported document format (this portolan reads format 1)");
		return false;
	}
	return true;
}

static bool top_member(struct reader *rd, const char *key, void *ud, int depth)
{
	struct doc *doc = ud;

	if (depth != 1)
		return skip_value(rd, depth);
	if (strcmp(key, "results") == 0) {
		if (peek(rd) != '[') {
			fail(rd, "\"results\": expected an array");
			return false;
		}
		next(rd);
		doc->have_results = true;
		return read_elements(rd, result_element, doc, depth + 1);
	}
	if (strcmp(key, "scan") == 0 && peek(rd) == '{') {
		next(rd);
		return read_members(rd, scan_member, doc, depth + 1);
	}
	if (strcmp(key, "portolan") == 0 && peek(rd) == '{') {
		next(rd);
		return read_members(rd, portolan_member, doc, depth + 1);
	}
	return skip_value(rd, depth);
}

static bool read_document(struct reader *rd, struct doc *doc)
{
	char b[16];

	skip_ws(rd);
	if (peek(rd) != '{') {
		fail(rd, "expected a JSON object (a portolan .json output), found %s",
		     describe(peek(rd), b, sizeof b));
		return false;
	}
	next(rd);
	if (!read_members(rd, top_member, doc, 1))
		return false;
	if (!doc->have_results) {
		fail(rd, "no \"results\" array: not a portolan JSON document (give the .json output, "
		     "not .jsonl or .csv)");
		return false;
	}
	skip_ws(rd);
	if (peek(rd) >= 0) {
		fail(rd, "trailing data after the document");
		return false;
	}
	if (doc->have_states && !doc->states_open) {
		fail_at(rd, doc->states_at, "the baseline does not record open ports (its states leave out open)");
		return false;
	}
	return !rd->failed;
}

static struct baseline *baseline_new(void)
{
	struct baseline *b = g_new0(struct baseline, 1);

	b->open = g_hash_table_new_full(entry_hash, entry_equal, g_free, NULL);
	b->strings = g_string_chunk_new(4096);
	return b;
}

struct baseline *baseline_load(const char *path, GError **err)
{
	struct baseline *b;
	struct reader *rd;
	struct doc doc = { 0 };
	bool ok;

	rd = g_new0(struct reader, 1);
	rd->fp = fopen(path, "rb");
	if (rd->fp == NULL) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "cannot read baseline '%s': %s", path,
			    g_strerror(errno));
		g_free(rd);
		return NULL;
	}
	b = baseline_new();
	rd->path = path;
	rd->line = rd->col = 1;
	rd->str = g_string_new(NULL);
	rd->err = err;
	doc.b = b;
	/* A UTF-8 byte-order mark, as a file saved by some Windows editors
	 * starts with, is no part of the JSON (RFC 8259, 8.1 lets a parser
	 * ignore it). The first read fills the buffer with far more than 3. */
	if (peek(rd) == 0xEF && rd->len >= 3 && memcmp(rd->buf, "\xEF\xBB\xBF", 3) == 0)
		rd->pos = 3;
	ok = read_document(rd, &doc);
	fclose(rd->fp);
	g_string_free(rd->str, TRUE);
	g_free(rd);
	if (!ok) {
		baseline_free(b);
		return NULL;
	}
	return b;
}

void baseline_free(struct baseline *b)
{
	if (b == NULL)
		return;
	g_hash_table_destroy(b->open);
	g_string_chunk_free(b->strings);
	ports_free(&b->ports);
	g_free(b);
}

size_t baseline_open_count(const struct baseline *b)
{
	return g_hash_table_size(b->open);
}

/* ---- comparison ---- */

/* The baseline holds what its writer made of the value: invalid UTF-8 came
 * out as U+FFFD. The current value is put through the same repair before
 * comparing, so bytes off the network do not count as a change. An empty
 * baseline value (not detected, or no detection then) is not compared. */
static void compare_text(const char *before, const char *now, enum finding_kind kind,
			 baseline_emit_fn emit, void *ud)
{
	char *valid;

	if (before[0] == '\0')
		return;
	valid = g_utf8_make_valid(now != NULL ? now : "", -1);
	if (strcmp(before, valid) != 0)
		emit(ud, kind, before, valid);
	g_free(valid);
}

void baseline_compare(const struct baseline *b, const struct result *r, bool detection,
		      baseline_emit_fn emit, void *ud)
{
	struct entry key = { .addr = r->addr, .port = r->port };
	const struct entry *e = g_hash_table_lookup(b->open, &key);

	switch (r->state) {
	case STATE_OPEN:
		if (e == NULL) {
			if (!b->have_ports || ports_contains(&b->ports, r->port))
				emit(ud, FINDING_NEWLY_OPEN, "not open", "open");
			return;
		}
		if (!detection)
			return;
		compare_text(e->service, r->service, FINDING_CHANGED_SERVICE, emit, ud);
		compare_text(e->product, r->product, FINDING_CHANGED_PRODUCT, emit, ud);
		compare_text(e->version, r->version, FINDING_CHANGED_VERSION, emit, ud);
		return;
	case STATE_CLOSED:
		if (e != NULL)
			emit(ud, FINDING_NEWLY_CLOSED, "open", "closed");
		return;
	case STATE_FILTERED:
		if (e != NULL)
			emit(ud, FINDING_NEWLY_FILTERED, "open", "filtered");
		return;
	case STATE_ERROR:
	case STATE_COUNT:
	default:
		return;
	}
}
