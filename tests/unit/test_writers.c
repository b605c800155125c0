/* test_writers.c: each output format end to end.
 *
 * A full round per format (open, three results of which one carries hostile
 * host and reverse-DNS bytes, close) is read back with strict parsers written
 * here: an RFC 8259 JSON validator and an RFC 4180 CSV reader. The JSON
 * document must be valid after close and a valid prefix after every record;
 * a stream that fails must turn into -1 with errno set. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "writer.h"

#define FFFD "\xEF\xBF\xBD"

/* ---- a strict JSON validator (RFC 8259) ---- */

struct jp {
	const char *s;
	size_t n, i;
	int depth;
};

static bool jp_value(struct jp *p);

static void jp_ws(struct jp *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
			       p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static bool jp_lit(struct jp *p, const char *lit)
{
	size_t len = strlen(lit);

	if (p->n - p->i < len || memcmp(p->s + p->i, lit, len) != 0)
		return false;
	p->i += len;
	return true;
}

static int jp_hex4(struct jp *p)
{
	int v = 0;

	if (p->n - p->i < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		int d = g_ascii_xdigit_value(p->s[p->i + k]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	p->i += 4;
	return v;
}

/* A string; raw bytes must be strict UTF-8 with no controls, \u escapes must
 * pair surrogates correctly. */
static bool jp_string(struct jp *p)
{
	if (p->i >= p->n || p->s[p->i] != '"')
		return false;
	p->i++;
	while (p->i < p->n) {
		unsigned char c = (unsigned char)p->s[p->i];

		if (c == '"') {
			p->i++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			int u;

			if (++p->i >= p->n)
				return false;
			c = (unsigned char)p->s[p->i++];
			if (strchr("\"\\/bfnrt", c) != NULL && c != '\0')
				continue;
			if (c != 'u' || (u = jp_hex4(p)) < 0)
				return false;
			if (u >= 0xDC00 && u <= 0xDFFF)
				return false;           /* lone low surrogate */
			if (u >= 0xD800 && u <= 0xDBFF) {
				int lo;

				if (!jp_lit(p, "\\u") || (lo = jp_hex4(p)) < 0 ||
				    lo < 0xDC00 || lo > 0xDFFF)
					return false;
			}
			continue;
		}
		if (c >= 0x80) {
			const char *end;
			gunichar uc = g_utf8_get_char_validated(p->s + p->i,
							       (gssize)(p->n - p->i));

			if (uc == (gunichar)-1 || uc == (gunichar)-2)
				return false;
			end = g_utf8_next_char(p->s + p->i);
			p->i = (size_t)(end - p->s);
			continue;
		}
		p->i++;
	}
	return false;
}

static bool jp_digits(struct jp *p)
{
	size_t start = p->i;

	while (p->i < p->n && g_ascii_isdigit(p->s[p->i]))
		p->i++;
	return p->i > start;
}

static bool jp_number(struct jp *p)
{
	if (p->i < p->n && p->s[p->i] == '-')
		p->i++;
	if (p->i < p->n && p->s[p->i] == '0')
		p->i++;
	else if (!jp_digits(p))
		return false;
	if (p->i < p->n && p->s[p->i] == '.') {
		p->i++;
		if (!jp_digits(p))
			return false;
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		if (!jp_digits(p))
			return false;
	}
	return true;
}

static bool jp_container(struct jp *p, char open, char close)
{
	bool first = true;

	if (++p->depth > 64)
		return false;
	p->i++;   /* the opening bracket */
	jp_ws(p);
	if (p->i < p->n && p->s[p->i] == close) {
		p->i++;
		p->depth--;
		return true;
	}
	for (;;) {
		if (!first) {
			jp_ws(p);
			if (p->i >= p->n)
				return false;
			if (p->s[p->i] == close) {
				p->i++;
				p->depth--;
				return true;
			}
			if (p->s[p->i] != ',')
				return false;
			p->i++;
		}
		first = false;
		jp_ws(p);
		if (open == '{') {
			if (!jp_string(p))
				return false;
			jp_ws(p);
			if (p->i >= p->n || p->s[p->i] != ':')
				return false;
			p->i++;
			jp_ws(p);
		}
		if (!jp_value(p))
			return false;
	}
}

static bool jp_value(struct jp *p)
{
	if (p->i >= p->n)
		return false;
	switch (p->s[p->i]) {
	case '{':
		return jp_container(p, '{', '}');
	case '[':
		return jp_container(p, '[', ']');
	case '"':
		return jp_string(p);
	case 't':
		return jp_lit(p, "true");
	case 'f':
		return jp_lit(p, "false");
	case 'n':
		return jp_lit(p, "null");
	default:
		return jp_number(p);
	}
}

/* Is s[0..n) exactly one valid JSON text? */
static bool json_valid(const char *s, size_t n)
{
	struct jp p = { .s = s, .n = n };

	jp_ws(&p);
	if (!jp_value(&p))
		return false;
	jp_ws(&p);
	return p.i == n;
}

static void test_json_validator_itself(void **state)
{
	static const char *const good[] = {
		"{}", "[]", "0", "-0.5e+3", "\"a\\u00e9\\ud83d\\ude00\"",
		" {\"a\":[1,2,{\"b\":null}],\"c\":true} ", "\"\xC3\xA9\"",
	};
	static const char *const bad[] = {
		"", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "\"\x01\"",
		"\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "\"\xC0\xAF\"",
		"\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"", "\"\xC3\"", "nul",
		"{} {}", "{'a':1}", "[1 2]", "NaN", "\"a",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(good); i++)
		assert_true(json_valid(good[i], strlen(good[i])));
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		assert_false(json_valid(bad[i], strlen(bad[i])));
	assert_false(json_valid("\"a\0b\"", 5));
}

/* ---- a strict CSV reader (RFC 4180, CRLF record ends) ---- */

static void gstring_free(gpointer p)
{
	g_string_free(p, TRUE);
}

static void row_free(gpointer p)
{
	g_ptr_array_unref(p);
}

/* Returns the records as arrays of GString fields, or NULL when the text is
 * not well-formed CSV. */
static GPtrArray *csv_parse(const char *s, size_t n)
{
	GPtrArray *rows = g_ptr_array_new_with_free_func(row_free);
	GPtrArray *row = NULL;
	size_t i = 0;

	while (i < n) {
		GString *f = g_string_new(NULL);

		if (row == NULL) {
			row = g_ptr_array_new_with_free_func(gstring_free);
			g_ptr_array_add(rows, row);
		}
		g_ptr_array_add(row, f);
		if (s[i] == '"') {
			for (i++;; i++) {
				if (i >= n)
					goto bad;
				if (s[i] == '"') {
					if (i + 1 < n && s[i + 1] == '"') {
						g_string_append_c(f, '"');
						i++;
						continue;
					}
					i++;
					break;
				}
				g_string_append_c(f, s[i]);
			}
		} else {
			for (; i < n && s[i] != ',' && s[i] != '\r'; i++) {
				if (s[i] == '"' || s[i] == '\n')
					goto bad;
				g_string_append_c(f, s[i]);
			}
		}
		if (i >= n)
			goto bad;                   /* last record lacks CRLF */
		if (s[i] == ',') {
			i++;
			if (i >= n)
				goto bad;
			continue;
		}
		if (s[i] != '\r' || i + 1 >= n || s[i + 1] != '\n')
			goto bad;
		i += 2;
		row = NULL;
	}
	return rows;
bad:
	g_ptr_array_unref(rows);
	return NULL;
}

static const char *csv_cell(GPtrArray *rows, size_t r, size_t c)
{
	GPtrArray *row = g_ptr_array_index(rows, r);

	return ((GString *)g_ptr_array_index(row, c))->str;
}

/* ---- fixtures ---- */

#define START 1795262400   /* 2026-11-21T12:00:00Z */

#define HOSTILE_HOST "=cmd|' /C calc'!A0,\"x\"\r\n\x01\x1b[31m" \
		     "\xff\xed\xa0\x80\x7f\xc3\xa9"
#define HOSTILE_PTR "\x1b]0;pwned\x07@evil.example\xc0\xaf"

static const char *const targets[] = {
	"192.0.2.0/24", "example.org", "\"],\"x\":1", NULL
};

static const struct scan_meta meta = {
	.version = "0.1.0",
	.start = START,
	.targets = targets,
	.ports = "1-1024",
	.threads = 256,
	.timeout_ms = 1000,
	.retries = 1,
	.states = "open",
	.order = { .seed = 8821000111222333444u, .derived = true, .shard = 1, .nshards = 4,
		   .sharded = true, .scan_id = "0123456789abcdef0123456789abcdef" },
};

static const struct metrics_snapshot summary = {
	.hosts = 3, .total = 3072, .probes = 3, .attempts = 4, .retries = 1,
	.state = { 1, 1, 0, 1 }, .elapsed_s = 1.5, .rate = 2.0,
};

struct fixture {
	struct result r[3];
};

static void make_results(struct result r[3])
{
	memset(r, 0, 3 * sizeof r[0]);

	r[0].addr.family = AF_INET;
	r[0].addr.v.lo = 0xC0000201;            /* 192.0.2.1 */
	r[0].port = 22;
	r[0].state = STATE_OPEN;
	r[0].reason = REASON_SYN_ACK;
	r[0].latency_ms = 0.5;
	r[0].attempts = 1;

	r[1].addr.family = AF_INET6;
	r[1].addr.v.hi = 0x20010db800000000ULL; /* 2001:db8::1 */
	r[1].addr.v.lo = 1;
	r[1].host = "example.org";
	r[1].port = 443;
	r[1].state = STATE_CLOSED;
	r[1].reason = REASON_CONN_REFUSED;
	r[1].latency_ms = 12.25;
	r[1].attempts = 2;
	r[1].ptr = g_strdup("ptr.example.org");

	r[2].addr.family = AF_INET;
	r[2].addr.v.lo = 0xC6336409;            /* 198.51.100.9 */
	r[2].host = HOSTILE_HOST;
	r[2].port = 8080;
	r[2].state = STATE_ERROR;
	r[2].reason = REASON_LOCAL_ERROR;
	r[2].err = EMFILE;
	r[2].latency_ms = 0;
	r[2].attempts = 1;
	r[2].ptr = g_strdup(HOSTILE_PTR);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);

	if (fx == NULL)
		return -1;
	make_results(fx->r);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	for (int i = 0; i < 3; i++)
		g_free(fx->r[i].ptr);
	free(fx);
	return 0;
}

/* A memory stream and its buffer; the buffer is current after each flush,
 * which every writer call ends with. */
struct mem {
	FILE *fp;
	char *buf;
	size_t size;
};

static void mem_open(struct mem *m)
{
	m->buf = NULL;
	m->size = 0;
	m->fp = open_memstream(&m->buf, &m->size);
	assert_non_null(m->fp);
}

static void mem_close(struct mem *m)
{
	assert_int_equal(fclose(m->fp), 0);
	m->fp = NULL;
}

/* Runs a writer over the fixture; returns the whole output (free). */
static char *run_writer(const struct writer_ops *w, const struct result *r,
			size_t count, size_t *len)
{
	struct mem m;
	void *st;

	mem_open(&m);
	st = w->open(m.fp, &meta);
	assert_non_null(st);
	for (size_t i = 0; i < count; i++)
		assert_int_equal(w->write(st, m.fp, &r[i]), 0);
	assert_int_equal(w->close(st, m.fp, &summary, START + 2), 0);
	mem_close(&m);
	*len = m.size;
	return m.buf;
}

static size_t count_str(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p != NULL;
	     p = strstr(p + 1, needle))
		n++;
	return n;
}

/* ---- lookup ---- */

static void test_lookup(void **state)
{
	assert_ptr_equal(writer_find("csv"), &writer_csv);
	assert_ptr_equal(writer_find("json"), &writer_json);
	assert_ptr_equal(writer_find("jsonl"), &writer_jsonl);
	assert_ptr_equal(writer_find("table"), &writer_table);
	assert_ptr_equal(writer_find("JSON"), &writer_json);
	assert_ptr_equal(writer_find("xml"), &writer_xml);
	assert_null(writer_find("yaml"));
	assert_null(writer_find(""));
	assert_null(writer_find(NULL));

	assert_ptr_equal(writer_for_filename("out.csv"), &writer_csv);
	assert_ptr_equal(writer_for_filename("/tmp/x/OUT.CSV"), &writer_csv);
	assert_ptr_equal(writer_for_filename("scan.json"), &writer_json);
	assert_ptr_equal(writer_for_filename("scan.Json"), &writer_json);
	assert_ptr_equal(writer_for_filename("scan.jsonl"), &writer_jsonl);
	assert_ptr_equal(writer_for_filename("a.b.ndjson"), &writer_jsonl);
	assert_null(writer_for_filename("scan"));
	assert_null(writer_for_filename("scan.txt"));
	assert_null(writer_for_filename("scan.table"));
	assert_null(writer_for_filename("dir.csv/scan"));
	assert_null(writer_for_filename(".csv"));
	assert_null(writer_for_filename("scan.csv.gz"));
	assert_null(writer_for_filename(NULL));
}

/* writer_names() lists exactly the formats that own a file extension. */
static void test_names_match_table(void **state)
{
	static const struct writer_ops *const all[] = {
		&writer_csv, &writer_json, &writer_jsonl, &writer_table, &writer_xml,
	};
	gchar **names = g_strsplit(writer_names(), ", ", -1);
	size_t with_ext = 0;

	assert_string_equal(writer_names(), "csv, json, jsonl, xml");
	for (size_t i = 0; i < G_N_ELEMENTS(all); i++) {
		bool listed = g_strv_contains((const gchar *const *)names,
					      all[i]->name);
		bool has_ext = all[i]->extensions != NULL &&
			       all[i]->extensions[0] != NULL;

		assert_ptr_equal(writer_find(all[i]->name), all[i]);
		assert_int_equal(listed, has_ext);
		with_ext += has_ext;
		for (size_t e = 0; has_ext && all[i]->extensions[e] != NULL; e++) {
			char *file = g_strconcat("x", all[i]->extensions[e], NULL);

			assert_ptr_equal(writer_for_filename(file), all[i]);
			g_free(file);
		}
	}
	assert_int_equal(g_strv_length(names), with_ext);
	g_strfreev(names);
}

/* Every list of formats comes from the table: the file formats, the
 * extensions messages offer, the formats that write findings, the help
 * texts and -oA's files. */
static void test_format_lists_from_table(void **state)
{
	const char *const *names = writer_file_formats();
	char *text;

	assert_string_equal(names[0], "csv");
	assert_string_equal(names[1], "json");
	assert_string_equal(names[2], "jsonl");
	assert_string_equal(names[3], "xml");
	assert_null(names[4]);
	for (size_t i = 0; names[i] != NULL; i++)
		assert_non_null(writer_find(names[i]));

	text = writer_extension_choice(false);
	assert_string_equal(text, ".csv, .json, .jsonl or .xml");
	g_free(text);
	/* Findings: the formats whose writers take other records. */
	text = writer_extension_choice(true);
	assert_string_equal(text, ".csv, .json or .jsonl");
	g_free(text);
	assert_non_null(writer_csv.records);
	assert_non_null(writer_json.records);
	assert_non_null(writer_jsonl.records);
	assert_null(writer_xml.records);
	assert_null(writer_table.records);

	text = writer_help("format: {formats}; -oA: {base-files} ({base-list}); "
			   "findings: {findings-files}; {other}");
	assert_string_equal(text, "format: csv, json, jsonl or xml; -oA: BASE.csv, BASE.json, "
			    "BASE.jsonl and BASE.xml (BASE.csv, BASE.json, BASE.jsonl, BASE.xml); "
			    "findings: .csv, .json or .jsonl; {other}");
	g_free(text);
}

/* Records of another kind go through the same writers: a CSV header and
 * rows, JSON Lines, a JSON document with the kind's array and summary; a
 * field without a value is empty in CSV and null in JSON. */
struct pair {
	const char *name;
	int64_t n;               /* 0: no value */
};

static size_t pair_count(void)
{
	return 2;
}

static const char *pair_name(size_t i)
{
	return i == 0 ? "name" : "n";
}

static void pair_get(const void *rec, size_t i, struct field_value *v, char *scratch,
		     size_t len)
{
	const struct pair *p = rec;

	if (i == 0)
		*v = (struct field_value){ .kind = FIELD_STR, .str = p->name,
					   .len = strlen(p->name) };
	else
		*v = (struct field_value){ .kind = p->n != 0 ? FIELD_INT : FIELD_NULL, .i = p->n };
}

static int pair_summary(FILE *fp, const void *ctx)
{
	return fprintf(fp, "{\"total\":%d}", *(const int *)ctx) < 0 ? -1 : 0;
}

static char *write_pairs(const struct writer_ops *w)
{
	static const struct field_set pairs = {
		.count = pair_count, .name = pair_name, .get = pair_get,
	};
	static const struct record_kind kind = {
		.array = "pairs", .format = 7, .fields = &pairs, .summary = pair_summary,
	};
	const struct pair a = { "=x", 5 }, b = { "y", 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	void *st;
	int total = 2;

	assert_non_null(fp);
	st = w->records->open(fp, &kind);
	assert_non_null(st);
	assert_int_equal(w->records->write(st, fp, &a), 0);
	assert_int_equal(w->records->write(st, fp, &b), 0);
	assert_int_equal(w->records->close(st, fp, &total), 0);
	fclose(fp);
	return buf;
}

static void test_other_records(void **state)
{
	char *text = write_pairs(&writer_csv);

	assert_string_equal(text, "name,n\r\n\"'=x\",5\r\ny,\r\n");
	free(text);
	text = write_pairs(&writer_jsonl);
	assert_string_equal(text, "{\"name\":\"=x\",\"n\":5}\n{\"name\":\"y\",\"n\":null}\n");
	free(text);
	text = write_pairs(&writer_json);
	assert_string_equal(text, "{\"portolan\":{\"version\":\"" PORTOLAN_VERSION "\",\"format\":7},\n"
			    " \"pairs\":[\n  {\"name\":\"=x\",\"n\":5},\n  {\"name\":\"y\",\"n\":null}\n"
			    " ],\n \"summary\":{\"total\":2}}\n");
	free(text);
}

/* ---- JSON document ---- */

static const char json_head[] =
	"{\"portolan\":{\"version\":\"0.1.0\",\"format\":1},\n"
	" \"scan\":{\"start\":\"2026-11-21T12:00:00Z\","
	"\"targets\":[\"192.0.2.0/24\",\"example.org\",\"\\\"],\\\"x\\\":1\"],"
	"\"ports\":\"1-1024\",\"threads\":256,\"timeout_ms\":1000,"
	"\"retries\":1,\"states\":\"open\",\"seed\":\"8821000111222333444\","
	"\"seed_derived\":true,\"shard\":\"2/4\","
	"\"scan_id\":\"0123456789abcdef0123456789abcdef\",\"shard_index\":2,\"shard_count\":4},\n"
	" \"results\":[";

static const char rec0[] =
	"{\"ip\":\"192.0.2.1\",\"host\":\"\",\"port\":22,\"proto\":\"tcp\","
	"\"state\":\"open\",\"reason\":\"syn-ack\",\"latency_ms\":0.500,"
	"\"attempts\":1,\"ptr\":\"\",\"error\":\"\","
	"\"service\":\"\",\"product\":\"\",\"version\":\"\",\"info\":\"\",\"os_hint\":\"\",\"banner\":\"\","
	"\"os\":null,\"tls\":null}";
static const char rec1[] =
	"{\"ip\":\"2001:db8::1\",\"host\":\"example.org\",\"port\":443,"
	"\"proto\":\"tcp\",\"state\":\"closed\",\"reason\":\"conn-refused\","
	"\"latency_ms\":12.250,\"attempts\":2,\"ptr\":\"ptr.example.org\","
	"\"error\":\"\","
	"\"service\":\"\",\"product\":\"\",\"version\":\"\",\"info\":\"\",\"os_hint\":\"\",\"banner\":\"\","
	"\"os\":null,\"tls\":null}";
static const char hostile_host_json[] =
	"\"host\":\"=cmd|' /C calc'!A0,\\\"x\\\"\\r\\n\\u0001\\u001b[31m"
	"\\ufffd\\ufffd\\ufffd\\ufffd\\u007f\xc3\xa9\"";
static const char hostile_ptr_json[] =
	"\"ptr\":\"\\u001b]0;pwned\\u0007@evil.example\\ufffd\\ufffd\"";
static const char json_summary[] =
	"\"summary\":{\"end\":\"2026-11-21T12:00:02Z\",\"elapsed_s\":1.500,"
	"\"hosts\":3,\"total\":3072,\"probes\":3,\"open\":1,\"closed\":1,"
	"\"filtered\":0,\"error\":1,\"attempts\":4,\"retries\":1,"
	"\"rate\":2.0}}\n";

/* The document so far, closed by hand, must parse: the file is valid up to
 * its last complete record. */
static void assert_valid_prefix(const struct mem *m)
{
	char *doc = g_strdup_printf("%.*s\n]}", (int)m->size, m->buf);

	assert_true(json_valid(doc, strlen(doc)));
	g_free(doc);
}

static void test_json_round(void **state)
{
	struct fixture *fx = *state;
	struct mem m;
	void *st;
	char *want_tail;

	mem_open(&m);
	st = writer_json.open(m.fp, &meta);
	assert_non_null(st);
	assert_int_equal(m.size, strlen(json_head));
	assert_memory_equal(m.buf, json_head, m.size);
	assert_valid_prefix(&m);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(writer_json.write(st, m.fp, &fx->r[i]), 0);
		assert_valid_prefix(&m);
	}
	assert_int_equal(writer_json.close(st, m.fp, &summary, START + 2), 0);
	mem_close(&m);

	assert_true(json_valid(m.buf, m.size));
	assert_int_equal(strlen(m.buf), m.size);
	assert_true(g_str_has_prefix(m.buf, json_head));
	assert_non_null(strstr(m.buf, "\"results\":[\n  {\"ip\""));
	assert_non_null(strstr(m.buf, rec0));
	assert_non_null(strstr(m.buf, rec1));
	assert_non_null(strstr(m.buf, hostile_host_json));
	assert_non_null(strstr(m.buf, hostile_ptr_json));
	assert_non_null(strstr(m.buf, "\"error\":\"Too many open files\"") ||
			strstr(m.buf, strerror(EMFILE)));
	assert_int_equal(count_str(m.buf, "{\"ip\":"), 3);
	want_tail = g_strconcat("}\n ],\n ", json_summary, NULL);
	assert_true(g_str_has_suffix(m.buf, want_tail));
	g_free(want_tail);
	free(m.buf);
}

static void test_json_empty(void **state)
{
	size_t len;
	char *doc = run_writer(&writer_json, NULL, 0, &len);

	assert_true(json_valid(doc, len));
	assert_non_null(strstr(doc, "\"results\":[],\n \"summary\":{"));
	free(doc);

	/* No metadata and no summary (an aborted scan) still make a document. */
	struct mem m;
	void *st;

	mem_open(&m);
	st = writer_json.open(m.fp, NULL);
	assert_non_null(st);
	assert_int_equal(writer_json.close(st, m.fp, NULL, START), 0);
	mem_close(&m);
	assert_true(json_valid(m.buf, m.size));
	assert_non_null(strstr(m.buf, "\"summary\":null}"));
	free(m.buf);
}

/* ---- JSON Lines ---- */

static void test_jsonl_round(void **state)
{
	struct fixture *fx = *state;
	size_t len;
	char *out = run_writer(&writer_jsonl, fx->r, 3, &len);
	gchar **lines;

	assert_int_equal(strlen(out), len);
	assert_int_equal(count_str(out, "\n"), 3);
	assert_true(g_str_has_suffix(out, "\n"));
	lines = g_strsplit(out, "\n", -1);
	assert_int_equal(g_strv_length(lines), 4);   /* 3 lines and "" */
	for (int i = 0; i < 3; i++) {
		assert_true(json_valid(lines[i], strlen(lines[i])));
		assert_true(g_str_has_prefix(lines[i], "{\"ip\":"));
	}
	assert_string_equal(lines[3], "");
	assert_string_equal(lines[0], rec0);
	assert_string_equal(lines[1], rec1);
	assert_non_null(strstr(lines[2], hostile_host_json));
	assert_non_null(strstr(lines[2], hostile_ptr_json));
	g_strfreev(lines);
	free(out);
}

/* ---- CSV ---- */

static void test_csv_round(void **state)
{
	struct fixture *fx = *state;
	size_t len;
	char *out = run_writer(&writer_csv, fx->r, 3, &len);
	GPtrArray *rows;

	assert_true(g_utf8_validate(out, (gssize)len, NULL));
	assert_true(g_str_has_prefix(out,
		"ip,host,port,proto,state,reason,latency_ms,attempts,ptr,error,"
		"service,product,version,info,os_hint,banner,os_family,os_accuracy,"
		"os_reason,os_ttl,os_initial_ttl,os_window,os_mss,os_options,os_wscale,"
		"os_df,os_timestamps,tls_version,tls_cipher,tls_starttls,tls_sni,tls_subject,tls_subject_cn,tls_issuer,"
		"tls_issuer_cn,tls_sans,tls_not_before,tls_not_after,tls_days_left,tls_self_signed,"
		"tls_key_type,tls_key_bits,tls_key_curve,tls_sig_alg,tls_sha256,tls_sha1,tls_verify,"
		"tls_versions,tls_cipher_v1_0,tls_cipher_v1_1,tls_cipher_v1_2,tls_cipher_v1_3\r\n"
		"192.0.2.1,,22,tcp,open,syn-ack,0.500,1,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n"
		"2001:db8::1,example.org,443,tcp,closed,conn-refused,12.250,2,"
		"ptr.example.org,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n"));
	rows = csv_parse(out, len);
	assert_non_null(rows);
	assert_int_equal(rows->len, 4);
	for (size_t r = 0; r < rows->len; r++)
		assert_int_equal(((GPtrArray *)g_ptr_array_index(rows, r))->len,
				 result_field_count());
	for (size_t c = 0; c < result_field_count(); c++)
		assert_string_equal(csv_cell(rows, 0, c), result_field_name(c));

	assert_string_equal(csv_cell(rows, 3, 0), "198.51.100.9");
	assert_string_equal(csv_cell(rows, 3, 1),
		"'=cmd|' /C calc'!A0,\"x\"\r\n" FFFD FFFD "[31m"
		FFFD FFFD FFFD FFFD FFFD "\xc3\xa9");
	assert_string_equal(csv_cell(rows, 3, 2), "8080");
	assert_string_equal(csv_cell(rows, 3, 4), "error");
	assert_string_equal(csv_cell(rows, 3, 5), "local-error");
	assert_string_equal(csv_cell(rows, 3, 6), "0.000");
	assert_string_equal(csv_cell(rows, 3, 8),
		FFFD "]0;pwned" FFFD "@evil.example" FFFD FFFD);
	assert_string_equal(csv_cell(rows, 3, 9), strerror(EMFILE));
	g_ptr_array_unref(rows);
	free(out);
}

/* ---- table ---- */

static void test_table_round(void **state)
{
	struct fixture *fx = *state;
	size_t len;
	char *out = run_writer(&writer_table, fx->r, 3, &len);
	char want[256];
	gchar **lines;

	assert_true(g_utf8_validate(out, (gssize)len, NULL));
	assert_int_equal(count_str(out, "\n"), 4);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)out[i];

		assert_true(c == '\n' || (c >= 0x20 && c != 0x7f));
	}
	lines = g_strsplit(out, "\n", -1);
	snprintf(want, sizeof want, "%-39s  %-9s  %-8s  %-16s  %s", "HOST",
		 "PORT", "STATE", "REASON", "SERVICE");
	assert_string_equal(lines[0], want);
	/* No detection ran: the service column is empty. */
	snprintf(want, sizeof want, "%-39s  %-9s  %-8s  %-16s  %s", "192.0.2.1",
		 "22/tcp", "open", "syn-ack", "");
	assert_string_equal(lines[1], want);
	snprintf(want, sizeof want, "%-39s  %-9s  %-8s  %-16s  %s",
		 "2001:db8::1 (example.org)", "443/tcp", "closed",
		 "conn-refused", "");
	assert_string_equal(lines[2], want);
	assert_true(g_str_has_prefix(lines[3],
		"198.51.100.9 (=cmd|' /C calc'!A0,\"x\"\\x0d\\x0a\\x01\\x1b[31m"
		"\\xff\\xed\\xa0\\x80\\x7f\xc3\xa9)  8080/tcp   error     "
		"local-error       "));
	g_strfreev(lines);
	free(out);
}

/* Wide characters count two columns, so the next column still lines up. */
static void test_table_wide_name(void **state)
{
	struct result r[3];
	size_t len;
	char *out;
	gchar **lines;

	make_results(r);
	g_free(r[1].ptr);
	g_free(r[2].ptr);
	r[0].host = "\xE6\x97\xA5\xE6\x9C\xAC";          /* 日本: 4 columns */
	out = run_writer(&writer_table, r, 1, &len);
	lines = g_strsplit(out, "\n", -1);
	/* "192.0.2.1 (日本)" is 16 columns: 23 spaces pad it to 39. */
	assert_true(g_str_has_prefix(lines[1],
		"192.0.2.1 (\xE6\x97\xA5\xE6\x9C\xAC)"
		"                         22/tcp"));
	g_strfreev(lines);
	free(out);
}

/* ---- numbers ---- */

static void test_nonfinite_latency(void **state)
{
	struct result r[3];
	size_t len;
	char *out;

	make_results(r);
	r[0].latency_ms = NAN;
	r[1].latency_ms = INFINITY;
	out = run_writer(&writer_jsonl, r, 2, &len);
	assert_int_equal(count_str(out, "\"latency_ms\":null,"), 2);
	free(out);

	out = run_writer(&writer_json, r, 2, &len);
	assert_true(json_valid(out, len));
	free(out);

	out = run_writer(&writer_csv, r, 1, &len);
	assert_non_null(strstr(out, "\r\n192.0.2.1,,22,tcp,open,syn-ack,,1,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n"));
	free(out);

	out = run_writer(&writer_table, r, 1, &len);
	assert_non_null(strstr(out, "syn-ack           \n"));
	free(out);
	for (int i = 0; i < 3; i++)
		g_free(r[i].ptr);
}

/* A locale with a decimal comma must not leak into the data formats. */
static void test_locale_independent(void **state)
{
	static const char *const locales[] = {
		"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8",
		"nl_NL.UTF-8", "ru_RU.UTF-8",
	};
	struct fixture *fx = *state;
	const char *set = NULL;
	size_t len;
	char *out;

	for (size_t i = 0; i < G_N_ELEMENTS(locales) && set == NULL; i++)
		set = setlocale(LC_NUMERIC, locales[i]);
	if (set == NULL) {
		print_message("SKIP: no decimal-comma locale here (de_DE.UTF-8 and others): "
			      "contrib/install-deps.sh --test generates one\n");
		skip();
	}
	out = run_writer(&writer_json, fx->r, 3, &len);
	assert_true(json_valid(out, len));
	assert_non_null(strstr(out, "\"latency_ms\":12.250,"));
	free(out);
	out = run_writer(&writer_csv, fx->r, 3, &len);
	assert_non_null(strstr(out, ",12.250,"));
	free(out);
	setlocale(LC_NUMERIC, "C");
}

/* ---- failing streams ---- */

static FILE *open_full(bool unbuffered)
{
	FILE *fp = fopen("/dev/full", "w");

	assert_non_null(fp);
	if (unbuffered)
		assert_int_equal(setvbuf(fp, NULL, _IONBF, 0), 0);
	return fp;
}

static void test_dev_full(void **state)
{
	static const struct writer_ops *const all[] = {
		&writer_csv, &writer_json, &writer_jsonl, &writer_table,
	};
	struct fixture *fx = *state;

	for (size_t w = 0; w < G_N_ELEMENTS(all); w++) {
		for (int unbuffered = 0; unbuffered <= 1; unbuffered++) {
			FILE *full = open_full(unbuffered);
			struct mem m;
			void *st;

			/* A header that cannot be written fails open. */
			errno = 0;
			st = all[w]->open(full, &meta);
			if (all[w] == &writer_jsonl) {
				assert_non_null(st);    /* no header to write */
				assert_int_equal(all[w]->close(st, full,
						 &summary, START), 0);
			} else {
				assert_null(st);
				assert_int_equal(errno, ENOSPC);
			}

			/* A record that cannot be written fails its write;
			 * close still frees the state (the leak checker
			 * would see it otherwise). */
			mem_open(&m);
			st = all[w]->open(m.fp, &meta);
			assert_non_null(st);
			errno = 0;
			assert_int_equal(all[w]->write(st, full, &fx->r[2]), -1);
			assert_int_equal(errno, ENOSPC);
			clearerr(full);
			errno = 0;
			if (all[w] == &writer_json) {
				assert_int_equal(all[w]->close(st, full, &summary,
							       START), -1);
				assert_int_equal(errno, ENOSPC);
			} else {
				all[w]->close(st, full, &summary, START);
			}
			mem_close(&m);
			free(m.buf);
			fclose(full);
		}
	}
}

/* ---- OS hints ---- */

static void os_results(struct result r[3], struct os_evidence *ev4, struct os_evidence *ev6)
{
	make_results(r);
	*ev4 = (struct os_evidence){
		.ttl = 57, .initial_ttl = 64, .window = 65160, .mss = 1460, .has_mss = true,
		.wscale = 7, .has_wscale = true, .timestamps = true, .df = 1,
		.options = "MSS,SACK,TS,NOP,WS",
	};
	*ev6 = (struct os_evidence){ .ttl = 128, .initial_ttl = 128, .window = 8192, .df = -1 };
	r[0].os_ev = ev4;
	r[0].os_family = (char *)"Linux";
	r[0].os_accuracy = 85;
	r[0].os_reason = (char *)"TTL 64, options MSS,SACK,TS,NOP,WS: Linux family";
	r[1].os_ev = ev6;
	r[1].os_family = (char *)"Windows";
	r[1].os_accuracy = 30;
	r[1].os_reason = (char *)"TTL 128: Windows family (options none say nothing more)";
}

/* The verdict and the evidence: JSON nests them as "os" (null without),
 * CSV appends them as columns (empty without); IPv6 has no DF. */
static void test_os_fields(void **state)
{
	struct result r[3];
	struct os_evidence ev4, ev6;
	size_t len;
	char *out;

	os_results(r, &ev4, &ev6);
	out = run_writer(&writer_jsonl, r, 3, &len);
	assert_non_null(strstr(out,
		"\"banner\":\"\",\"os\":{\"family\":\"Linux\",\"accuracy\":85,"
		"\"reason\":\"TTL 64, options MSS,SACK,TS,NOP,WS: Linux family\",\"ttl\":57,"
		"\"initial_ttl\":64,\"window\":65160,\"mss\":1460,\"options\":\"MSS,SACK,TS,NOP,WS\","
		"\"wscale\":7,\"df\":1,\"timestamps\":1},\"tls\":null}\n"));
	assert_non_null(strstr(out,
		"\"os\":{\"family\":\"Windows\",\"accuracy\":30,\"reason\":\"TTL 128: Windows family "
		"(options none say nothing more)\",\"ttl\":128,\"initial_ttl\":128,\"window\":8192,"
		"\"mss\":null,\"options\":\"\",\"wscale\":null,\"df\":null,\"timestamps\":0},\"tls\":null}\n"));
	assert_int_equal(count_str(out, "\"os\":null,\"tls\":null}\n"), 1);
	free(out);
	out = run_writer(&writer_json, r, 3, &len);
	assert_true(json_valid(out, len));
	free(out);
	out = run_writer(&writer_csv, r, 3, &len);
	assert_non_null(strstr(out, ",,Linux,85,\"TTL 64, options MSS,SACK,TS,NOP,WS: Linux family\","
				    "57,64,65160,1460,\"MSS,SACK,TS,NOP,WS\",7,1,1"
				    ",,,,,,,,,,,,,,,,,,,,,,,,,\r\n" /* the tls_* columns, empty */));
	assert_non_null(strstr(out, ",,Windows,30,TTL 128: Windows family (options none say nothing "
				    "more),128,128,8192,,,,,0"
				    ",,,,,,,,,,,,,,,,,,,,,,,,,\r\n" /* the tls_* columns, empty */));
	free(out);
	g_free(r[1].ptr);
	g_free(r[2].ptr);
}

/* POSIX (XSI) terminal calls that _POSIX_C_SOURCE alone hides; unit.h is
 * included first, so _XOPEN_SOURCE cannot be set here. */
int posix_openpt(int flags);
int grantpt(int fd);
int unlockpt(int fd);
char *ptsname(int fd);

/* On a terminal the table puts a host's best OS verdict under its line. */
static void test_table_os_line(void **state)
{
	struct result r[3];
	struct os_evidence ev4, ev6;
	char buf[8192], *name;
	size_t got = 0;
	ssize_t n;
	int master, slave;
	FILE *fp;
	void *st;

	os_results(r, &ev4, &ev6);
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0)
		skip();
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	name = ptsname(master);
	assert_non_null(name);
	slave = open(name, O_RDWR | O_NOCTTY);
	assert_true(slave >= 0);
	fp = fdopen(slave, "w");
	assert_non_null(fp);
	st = writer_table.open(fp, &meta);
	assert_non_null(st);
	for (int i = 0; i < 3; i++)
		assert_int_equal(writer_table.write(st, fp, &r[i]), 0);
	assert_int_equal(writer_table.close(st, fp, &summary, START + 2), 0);
	fclose(fp);
	/* What the terminal got, all of it (the slave is closed: EIO ends). */
	while (got < sizeof buf - 1 && (n = read(master, buf + got, sizeof buf - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(master);
	assert_non_null(strstr(buf, "192.0.2.1\r\n  OS: Linux (85%): TTL 64, options "
				    "MSS,SACK,TS,NOP,WS: Linux family\r\n  PORT"));
	assert_non_null(strstr(buf, "2001:db8::1 (example.org)\r\n  OS: Windows (30%): TTL 128"));
	assert_null(strstr(buf, "198.51.100.9 (=cmd|' /C calc'!A0,\"x\"\r\n  OS"));
	assert_int_equal(count_str(buf, "  OS: "), 2);
	g_free(r[1].ptr);
	g_free(r[2].ptr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_validator_itself),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_names_match_table),
		cmocka_unit_test_setup_teardown(test_json_round, setup, teardown),
		cmocka_unit_test(test_json_empty),
		cmocka_unit_test(test_os_fields),
		cmocka_unit_test(test_table_os_line),
		cmocka_unit_test_setup_teardown(test_jsonl_round, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv_round, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_round, setup, teardown),
		cmocka_unit_test(test_table_wide_name),
		cmocka_unit_test(test_nonfinite_latency),
		cmocka_unit_test_setup_teardown(test_locale_independent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dev_full, setup, teardown),
		cmocka_unit_test(test_format_lists_from_table),
		cmocka_unit_test(test_other_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) != 0;
}
