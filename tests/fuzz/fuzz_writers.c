/* fuzz_writers.c: libFuzzer target for every writer's escaping.
 *
 * The input becomes two results and the scan's metadata: a fixed header of
 * numbers (flags, state, reason, port, attempts, errno, latency, address,
 * start time, summary figures), then strings separated by NUL bytes (see
 * enum str). The second result swaps host and ptr and has the next port.
 * Every writer in the table (the names writer_names() lists, plus "table")
 * writes both results into an open_memstream() buffer, which is then read
 * back with strict readers written here.
 *
 * Properties (any violation aborts):
 *  - json: one RFC 8259 document; jsonl: one RFC 8259 object a line. Valid
 *    UTF-8 without raw control characters (C0 but the newlines between
 *    records, DEL, C1, U+2028, U+2029). Every string the writer was given
 *    reads back as g_utf8_make_valid() of it.
 *  - csv: RFC 4180 with CRLF rows: the header, then one row per result, each
 *    with every field. No NUL, valid UTF-8. Each text field reads back as the
 *    input with invalid bytes and controls (but TAB, CR, LF) as U+FFFD, with
 *    a leading single quote when the input begins like a formula (= + - @
 *    TAB CR LF or their fullwidth forms); so no field as read begins like a
 *    formula.
 *  - table: valid UTF-8, nothing unprintable (no controls but the line
 *    ends, no format characters such as bidi overrides, no line or
 *    paragraph separators), the header and one line per result.
 *  - xml: well-formed (GMarkup), valid UTF-8, only characters XML 1.0
 *    allows and the writer keeps; every host name, PTR name and detected
 *    service field reads back from its attribute, and the OS verdict's
 *    family and reason from <osmatch name> and <osfingerprint>.
 *  The results carry an OS verdict made of the input's strings (family from
 *  the os_hint string, reason from the info string) and fixed evidence: in
 *  JSON the os_* fields read back under the "os" object.
 *  - any other writer: valid UTF-8 without NUL or raw controls but TAB, CR
 *    and LF.
 * Writers that can continue a file (writer_ops.append) are also resumed:
 * the first run's output goes into a temporary file, append, one more
 * result, close, and the csv, json and jsonl readers must then see all three
 * results. With flag bit 6 the "existing file" is instead arbitrary input
 * bytes, for robustness alone.
 * Writers that take other records (writer_ops.records: findings) also write
 * both results as such records, read back by the same readers (the JSON
 * document with the record kind's array instead of the scan block). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "addr.h"
#include "metrics.h"
#include "result.h"
#include "writer.h"
#include "fuzz_common.h"

#define FUZZ_MAX_INPUT 8192
#define MAX_TARGETS 4
#define JSON_DEPTH_MAX 32
#define MAX_RECORDS 3

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *resume_fp;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_glib();
	resume_fp = tmpfile();
	if (resume_fp == NULL) {
		perror("fuzz_writers: tmpfile");
		abort();
	}
	return 0;
}

static void G_GNUC_NORETURN fail(const char *writer, const char *what,
				 const char *out, size_t len)
{
	fprintf(stderr, "fuzz_writers: %s: %s\n--- output (%zu bytes) ---\n",
		writer, what, len);
	if (out != NULL)
		fwrite(out, 1, len < 4096 ? len : 4096, stderr);
	fprintf(stderr, "\n---\n");
	abort();
}

/* ---- the input ---- */

enum str {
	S_HOST, S_PTR, S_SERVICE, S_PRODUCT, S_VERSION, S_INFO, S_OS_HINT,
	S_BANNER, S_PORTS, S_STATES, S_META_VERSION, S_EXISTING, S_TARGETS,
	S_COUNT = S_TARGETS + MAX_TARGETS
};

enum {
	FL_V6 = 1, FL_NO_HOST = 2, FL_NO_PTR = 4, FL_NO_META = 8,
	FL_NO_TARGETS = 16, FL_NO_SUMMARY = 32, FL_EXISTING = 64,
	FL_NO_DETECT = 128,
};

struct input {
	const uint8_t *p;
	size_t n;
};

/* Copies len bytes (zeros once the input runs out). */
static void take(struct input *in, void *out, size_t len)
{
	size_t k = in->n < len ? in->n : len;

	memset(out, 0, len);
	memcpy(out, in->p, k);
	in->p += k;
	in->n -= k;
}

/* What the writers are given. The results borrow the strings. */
struct scenario {
	uint8_t flags;
	struct result r[2];
	struct scan_meta meta;
	struct metrics_snapshot summary;
	time_t end;
	char *s[S_COUNT];
	const char *targets[MAX_TARGETS + 1];
	struct os_evidence ev;
};

static void scenario_build(struct scenario *sc, const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	uint8_t state, reason;
	uint16_t port;
	uint32_t attempts;
	int32_t err;
	int64_t start;
	uint64_t figure;
	unsigned char addr[16];
	struct pl_u128 v = { 0, 0 };
	struct result *r = &sc->r[0];
	size_t ns = 0;

	memset(sc, 0, sizeof(*sc));
	take(&in, &sc->flags, 1);
	take(&in, &state, 1);
	take(&in, &reason, 1);
	take(&in, &port, 2);
	take(&in, &attempts, 4);
	take(&in, &err, 4);
	take(&in, &r->latency_ms, 8);
	take(&in, addr, 16);
	take(&in, &start, 8);
	take(&in, &sc->summary.elapsed_s, 8);
	take(&in, &sc->summary.rate, 8);
	take(&in, &figure, 8);

	/* The rest: NUL-separated strings. */
	while (in.n > 0 && ns < S_COUNT) {
		const uint8_t *nul = memchr(in.p, 0, in.n);
		size_t len = nul != NULL ? (size_t)(nul - in.p) : in.n;

		sc->s[ns++] = g_strndup((const char *)in.p, len);
		in.p += len;
		in.n -= len;
		if (nul != NULL) {
			in.p++;
			in.n--;
		}
	}

	for (int i = 0; i < 16; i++) {
		v.hi = (v.hi << 8) | (v.lo >> 56);
		v.lo = (v.lo << 8) | addr[i];
	}
	r->addr.family = sc->flags & FL_V6 ? AF_INET6 : AF_INET;
	if (!(sc->flags & FL_V6)) {
		v.hi = 0;
		v.lo &= UINT32_MAX;
	}
	r->addr.v = v;
	r->index = figure;
	r->port = port;
	/* One past the last name: writers must cope with a corrupt value. */
	r->state = (enum port_state)(state % (STATE_COUNT + 1));
	r->reason = (enum reason)(reason % (REASON_COUNT + 1));
	r->attempts = attempts;
	r->err = err;
	r->host = sc->flags & FL_NO_HOST ? NULL : sc->s[S_HOST];
	r->ptr = sc->flags & FL_NO_PTR ? NULL : sc->s[S_PTR];
	if (!(sc->flags & FL_NO_DETECT)) {
		r->service = sc->s[S_SERVICE];
		r->product = sc->s[S_PRODUCT];
		r->version = sc->s[S_VERSION];
		r->info = sc->s[S_INFO];
		r->os_hint = sc->s[S_OS_HINT];
		r->banner = sc->s[S_BANNER];
		/* An OS verdict from hostile words, as a banner's can be. */
		sc->ev = (struct os_evidence){
			.ttl = (uint8_t)port, .initial_ttl = 255, .window = port, .mss = port,
			.has_mss = (attempts & 1) != 0, .wscale = (uint8_t)attempts,
			.has_wscale = (attempts & 2) != 0, .timestamps = (attempts & 4) != 0,
			.df = (int8_t)(sc->flags & FL_V6 ? -1 : 1), .options = "MSS,NOP,WS,253",
		};
		r->os_ev = &sc->ev;
		r->os_family = sc->s[S_OS_HINT];
		r->os_reason = sc->s[S_INFO];
		r->os_accuracy = attempts % 101;
	}

	sc->r[1] = sc->r[0];
	sc->r[1].host = sc->r[0].ptr;
	sc->r[1].ptr = (char *)sc->r[0].host;
	sc->r[1].port = (uint16_t)(port + 1);

	sc->meta.ports = sc->s[S_PORTS];
	sc->meta.states = sc->s[S_STATES];
	sc->meta.version = sc->s[S_META_VERSION];
	for (size_t i = 0; i < MAX_TARGETS && sc->s[S_TARGETS + i] != NULL; i++)
		sc->targets[i] = sc->s[S_TARGETS + i];
	sc->meta.targets = sc->flags & FL_NO_TARGETS ? NULL : sc->targets;
	sc->meta.start = (time_t)start;
	sc->meta.threads = attempts;
	sc->meta.timeout_ms = (unsigned)err;
	sc->meta.retries = port;

	sc->summary.hosts = figure;
	sc->summary.total = ~figure;
	sc->summary.probes = figure >> 1;
	sc->summary.attempts = attempts;
	sc->summary.retries = port;
	for (int i = 0; i < STATE_COUNT; i++)
		sc->summary.state[i] = figure + (uint64_t)i;
	sc->end = (time_t)(start ^ (int64_t)figure);
}

static void scenario_clear(struct scenario *sc)
{
	for (size_t i = 0; i < S_COUNT; i++)
		g_free(sc->s[i]);
}

static const struct scan_meta *scenario_meta(const struct scenario *sc)
{
	return sc->flags & FL_NO_META ? NULL : &sc->meta;
}

static const struct metrics_snapshot *scenario_summary(const struct scenario *sc)
{
	return sc->flags & FL_NO_SUMMARY ? NULL : &sc->summary;
}

/* The records a reader should find, in order. */
struct records {
	const struct result *r[MAX_RECORDS];
	size_t n;
};

/* ---- shared checks ---- */

/* No C0 control but LF (and TAB and CR when allowed), no DEL, no C1, and
 * for JSON no raw U+2028 or U+2029. s is valid UTF-8 already. */
static void check_controls(const char *writer, const char *s, size_t len,
			   bool tab_cr_ok, bool json)
{
	for (const char *p = s; p < s + len; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c == '\n' || (tab_cr_ok && (c == '\r' || c == '\t')))
			continue;
		if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
			fail(writer, "raw control character in the output", s, len);
		if (json && (c == 0x2028 || c == 0x2029))
			fail(writer, "raw U+2028/U+2029 in the output", s, len);
	}
}

static void check_utf8(const char *writer, const char *s, size_t len)
{
	if (memchr(s, '\0', len) != NULL)
		fail(writer, "NUL byte in the output", s, len);
	if (!g_utf8_validate(s, (gssize)len, NULL))
		fail(writer, "output is not valid UTF-8", s, len);
}

/* ---- a strict JSON reader (RFC 8259) that collects every string ---- */

struct json {
	const char *s;
	size_t n, i;
	int depth;
	GPtrArray *seen;     /* "path=value" of every string value, in order */
};

static bool json_value(struct json *j, const char *path);

static void json_ws(struct json *j)
{
	while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' ||
			       j->s[j->i] == '\r' || j->s[j->i] == '\n'))
		j->i++;
}

static bool json_lit(struct json *j, const char *lit)
{
	size_t len = strlen(lit);

	if (j->n - j->i < len || memcmp(j->s + j->i, lit, len) != 0)
		return false;
	j->i += len;
	return true;
}

static int json_hex4(struct json *j)
{
	int v = 0;

	if (j->n - j->i < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		int d = g_ascii_xdigit_value(j->s[j->i + (size_t)k]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	j->i += 4;
	return v;
}

/* Reads a string literal, decoded into out. */
static bool json_string(struct json *j, GString *out)
{
	if (j->i >= j->n || j->s[j->i] != '"')
		return false;
	j->i++;
	while (j->i < j->n) {
		unsigned char c = (unsigned char)j->s[j->i];
		gunichar cp;
		int hi, lo;

		if (c == '"') {
			j->i++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c != '\\') {
			g_string_append_c(out, (char)c);
			j->i++;
			continue;
		}
		if (++j->i >= j->n)
			return false;
		c = (unsigned char)j->s[j->i++];
		switch (c) {
		case '"': case '\\': case '/':
			cp = c;
			break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			hi = json_hex4(j);
			if (hi < 0 || (hi >= 0xDC00 && hi <= 0xDFFF))
				return false;    /* a lone low surrogate */
			cp = (gunichar)hi;
			if (hi >= 0xD800 && hi <= 0xDBFF) {
				if (!json_lit(j, "\\u"))
					return false;
				lo = json_hex4(j);
				if (lo < 0xDC00 || lo > 0xDFFF)
					return false;
				cp = 0x10000 + (((gunichar)hi - 0xD800) << 10) +
				     ((gunichar)lo - 0xDC00);
			}
			break;
		default:
			return false;
		}
		g_string_append_unichar(out, cp);
	}
	return false;
}

static bool json_digits(struct json *j)
{
	size_t start = j->i;

	while (j->i < j->n && g_ascii_isdigit(j->s[j->i]))
		j->i++;
	return j->i > start;
}

static bool json_number(struct json *j)
{
	if (j->i < j->n && j->s[j->i] == '-')
		j->i++;
	if (j->i < j->n && j->s[j->i] == '0')
		j->i++;
	else if (!json_digits(j))
		return false;
	if (j->i < j->n && j->s[j->i] == '.') {
		j->i++;
		if (!json_digits(j))
			return false;
	}
	if (j->i < j->n && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
		j->i++;
		if (j->i < j->n && (j->s[j->i] == '+' || j->s[j->i] == '-'))
			j->i++;
		if (!json_digits(j))
			return false;
	}
	return true;
}

static bool json_object(struct json *j, const char *path)
{
	j->i++;
	json_ws(j);
	if (j->i < j->n && j->s[j->i] == '}') {
		j->i++;
		return true;
	}
	for (;;) {
		GString *key = g_string_new(NULL);
		char *child;
		bool ok;

		json_ws(j);
		ok = json_string(j, key);
		json_ws(j);
		ok = ok && j->i < j->n && j->s[j->i++] == ':';
		child = g_strdup_printf("%s/%s", path, key->str);
		ok = ok && json_value(j, child);
		g_free(child);
		g_string_free(key, TRUE);
		if (!ok)
			return false;
		json_ws(j);
		if (j->i < j->n && j->s[j->i] == ',') {
			j->i++;
			continue;
		}
		return j->i < j->n && j->s[j->i++] == '}';
	}
}

static bool json_array(struct json *j, const char *path)
{
	char *child = g_strdup_printf("%s[]", path);
	bool ok = false;

	j->i++;
	json_ws(j);
	if (j->i < j->n && j->s[j->i] == ']') {
		j->i++;
		ok = true;
	} else {
		while (json_value(j, child)) {
			json_ws(j);
			if (j->i < j->n && j->s[j->i] == ',') {
				j->i++;
				continue;
			}
			ok = j->i < j->n && j->s[j->i++] == ']';
			break;
		}
	}
	g_free(child);
	return ok;
}

static bool json_value(struct json *j, const char *path)
{
	bool ok = false;

	json_ws(j);
	if (j->i >= j->n || ++j->depth > JSON_DEPTH_MAX)
		return false;
	switch (j->s[j->i]) {
	case '{':
		ok = json_object(j, path);
		break;
	case '[':
		ok = json_array(j, path);
		break;
	case '"': {
		GString *v = g_string_new(NULL);

		ok = json_string(j, v);
		if (ok)
			g_ptr_array_add(j->seen, g_strdup_printf("%s=%s", path, v->str));
		g_string_free(v, TRUE);
		break;
	}
	case 't':
		ok = json_lit(j, "true");
		break;
	case 'f':
		ok = json_lit(j, "false");
		break;
	case 'n':
		ok = json_lit(j, "null");
		break;
	default:
		ok = json_number(j);
		break;
	}
	j->depth--;
	return ok;
}

/* One whole JSON text in s[0..len). */
static bool json_parse(const char *s, size_t len, GPtrArray *seen)
{
	struct json j = { s, len, 0, 0, seen };

	if (!json_value(&j, ""))
		return false;
	json_ws(&j);
	return j.i == len;
}

static void expect(GPtrArray *want, const char *path, const char *value, size_t len)
{
	char *valid = g_utf8_make_valid(value != NULL ? value : "", (gssize)len);

	g_ptr_array_add(want, g_strdup_printf("%s=%s", path, valid));
	g_free(valid);
}

/* Every text field of r, as "prefix/name=value". */
static void expect_record(GPtrArray *want, const char *prefix, const struct result *r)
{
	char scratch[PL_ADDRSTRLEN];

	for (size_t k = 0; k < result_field_count(); k++) {
		struct field_value v;
		char *path;

		result_field_get(r, k, &v, scratch, sizeof(scratch));
		if (v.kind != FIELD_STR)
			continue;
		/* A group's fields are one object in JSON: "os_family" is
		 * "os/family". */
		if (result_field_group(k) != NULL)
			path = g_strdup_printf("%s/%s/%s", prefix, result_field_group(k),
					       result_field_name(k) + strlen(result_field_group(k)) + 1);
		else
			path = g_strdup_printf("%s/%s", prefix, result_field_name(k));
		expect(want, path, v.str, v.len);
		g_free(path);
	}
}

/* Compares want with the entries of seen that start with one of `only`
 * (NULL: all of them). */
static void compare_seen(const char *writer, GPtrArray *want, GPtrArray *seen,
			 const char *const *only, const char *out, size_t len)
{
	guint k = 0;

	for (guint i = 0; i < seen->len; i++) {
		const char *s = g_ptr_array_index(seen, i);
		bool keep = only == NULL;

		for (size_t o = 0; only != NULL && only[o] != NULL; o++)
			keep = keep || g_str_has_prefix(s, only[o]);
		if (!keep)
			continue;
		if (k >= want->len)
			fail(writer, "more strings than written", out, len);
		if (strcmp(g_ptr_array_index(want, k), s) != 0) {
			fprintf(stderr, "fuzz_writers: %s: expected '%s', read '%s'\n",
				writer, (const char *)g_ptr_array_index(want, k), s);
			fail(writer, "a string does not read back", out, len);
		}
		k++;
	}
	if (k != want->len)
		fail(writer, "fewer strings than written", out, len);
}

static void check_json(const struct scenario *sc, const struct records *rec,
		       const char *out, size_t len)
{
	static const char *const only[] = {
		"/portolan/version=", "/scan/targets[]=", "/scan/ports=",
		"/scan/states=", "/results[]/", NULL,
	};
	const struct scan_meta *meta = scenario_meta(sc);
	GPtrArray *want = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *seen = g_ptr_array_new_with_free_func(g_free);

	check_utf8("json", out, len);
	check_controls("json", out, len, false, true);
	if (!json_parse(out, len, seen))
		fail("json", "not a valid JSON document", out, len);

	expect(want, "/portolan/version", meta ? meta->version : NULL, (size_t)-1);
	for (size_t i = 0; meta && meta->targets && meta->targets[i]; i++)
		expect(want, "/scan/targets[]", meta->targets[i], (size_t)-1);
	if (meta != NULL) {
		expect(want, "/scan/ports", meta->ports, (size_t)-1);
		expect(want, "/scan/states", meta->states, (size_t)-1);
	}
	for (size_t i = 0; i < rec->n; i++)
		expect_record(want, "/results[]", rec->r[i]);
	compare_seen("json", want, seen, only, out, len);
	g_ptr_array_free(want, TRUE);
	g_ptr_array_free(seen, TRUE);
}

static void check_jsonl(const struct scenario *sc, const struct records *rec,
			const char *out, size_t len)
{
	GPtrArray *want = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *seen = g_ptr_array_new_with_free_func(g_free);
	const char *line = out;

	check_utf8("jsonl", out, len);
	check_controls("jsonl", out, len, false, true);
	for (size_t i = 0; i < rec->n; i++) {
		const char *nl = memchr(line, '\n', len - (size_t)(line - out));

		if (nl == NULL)
			fail("jsonl", "a record does not end in a newline", out, len);
		if (line == nl || line[0] != '{' ||
		    !json_parse(line, (size_t)(nl - line), seen))
			fail("jsonl", "a line is not one JSON object", out, len);
		line = nl + 1;
		expect_record(want, "", rec->r[i]);
	}
	if (line != out + len)
		fail("jsonl", "more lines than records", out, len);
	compare_seen("jsonl", want, seen, NULL, out, len);
	g_ptr_array_free(want, TRUE);
	g_ptr_array_free(seen, TRUE);
}

/* ---- CSV (RFC 4180) ---- */

/* Reads one record of fields; *i moves past its CRLF. */
static bool csv_record(const char *s, size_t len, size_t *i, GPtrArray *fields)
{
	for (;;) {
		GString *f = g_string_new(NULL);
		bool ok = true;

		if (*i < len && s[*i] == '"') {
			(*i)++;
			for (;;) {
				if (*i >= len) {
					ok = false;
					break;
				}
				if (s[*i] == '"') {
					if (*i + 1 < len && s[*i + 1] == '"') {
						g_string_append_c(f, '"');
						*i += 2;
						continue;
					}
					(*i)++;
					break;
				}
				g_string_append_c(f, s[(*i)++]);
			}
		} else {
			while (ok && *i < len && s[*i] != ',' && s[*i] != '\r') {
				if (s[*i] == '"' || s[*i] == '\n')
					ok = false;
				else
					g_string_append_c(f, s[(*i)++]);
			}
		}
		if (!ok) {
			g_string_free(f, TRUE);
			return false;
		}
		g_ptr_array_add(fields, g_string_free(f, FALSE));
		if (*i < len && s[*i] == ',') {
			(*i)++;
			continue;
		}
		if (len - *i >= 2 && s[*i] == '\r' && s[*i + 1] == '\n') {
			*i += 2;
			return true;
		}
		return false;
	}
}

static bool formula_start(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	if (len == 0)
		return false;
	if (p[0] == '=' || p[0] == '+' || p[0] == '-' || p[0] == '@' ||
	    p[0] == '\t' || p[0] == '\r' || p[0] == '\n')
		return true;
	return len >= 3 && p[0] == 0xEF && p[1] == 0xBC &&
	       (p[2] == 0x9D || p[2] == 0x8B || p[2] == 0x8D || p[2] == 0xA0);
}

/* The text field as a reader should see it. */
static char *csv_expected(const char *s, size_t len)
{
	char *valid = g_utf8_make_valid(s, (gssize)len);
	GString *out = g_string_new(formula_start(s, len) ? "'" : "");

	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') ||
		    (c >= 0x7f && c <= 0x9f))
			g_string_append_unichar(out, 0xFFFD);
		else
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
	}
	g_free(valid);
	return g_string_free(out, FALSE);
}

static void check_csv(const struct scenario *sc, const struct records *rec,
		      const char *out, size_t len)
{
	size_t nf = result_field_count();
	size_t i = 0;

	check_utf8("csv", out, len);
	check_controls("csv", out, len, true, false);
	for (size_t row = 0; row <= rec->n; row++) {
		GPtrArray *fields = g_ptr_array_new_with_free_func(g_free);
		const struct result *r = row > 0 ? rec->r[row - 1] : NULL;
		char scratch[PL_ADDRSTRLEN];

		if (!csv_record(out, len, &i, fields))
			fail("csv", "not RFC 4180 with CRLF rows", out, len);
		if (fields->len != nf)
			fail("csv", "a row with the wrong number of fields", out, len);
		for (size_t k = 0; k < nf; k++) {
			const char *got = g_ptr_array_index(fields, k);
			struct field_value v;
			char *want;

			if (r == NULL) {
				if (strcmp(got, result_field_name(k)) != 0)
					fail("csv", "header is not the field names", out, len);
				continue;
			}
			result_field_get(r, k, &v, scratch, sizeof(scratch));
			if (v.kind != FIELD_STR)
				continue;
			if (formula_start(got, strlen(got)))
				fail("csv", "a text field reads as a formula", out, len);
			want = csv_expected(v.str, v.len);
			if (strcmp(got, want) != 0) {
				fprintf(stderr, "fuzz_writers: csv field %s: expected '%s', read '%s'\n",
					result_field_name(k), want, got);
				fail("csv", "a text field does not read back", out, len);
			}
			g_free(want);
		}
		g_ptr_array_free(fields, TRUE);
	}
	if (i != len)
		fail("csv", "more rows than records", out, len);
}

/* ---- table ---- */

static void check_table(const struct scenario *sc, const struct records *rec,
			const char *out, size_t len)
{
	size_t lines = 0;

	check_utf8("table", out, len);
	check_controls("table", out, len, false, false);
	for (const char *p = out; p < out + len; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		GUnicodeType t = g_unichar_type(c);

		if (c == '\n') {
			lines++;
			continue;
		}
		if (c >= 0x80 && (!g_unichar_isprint(c) || t == G_UNICODE_FORMAT ||
				  t == G_UNICODE_LINE_SEPARATOR ||
				  t == G_UNICODE_PARAGRAPH_SEPARATOR))
			fail("table", "unprintable character in the output", out, len);
	}
	if (lines != rec->n + 1 || len == 0 || out[len - 1] != '\n')
		fail("table", "not a header and one line per result", out, len);
}

/* ---- XML ---- */

struct xml_seen {
	GPtrArray *values;   /* "element/attribute=value" of the watched ones */
	size_t ports;
};

static void xml_start(GMarkupParseContext *ctx, const gchar *element,
		      const gchar **names, const gchar **values,
		      gpointer user_data, GError **error)
{
	struct xml_seen *xs = user_data;

	if (strcmp(element, "port") == 0)
		xs->ports++;
	if (strcmp(element, "hostname") != 0 && strcmp(element, "service") != 0 &&
	    strcmp(element, "osmatch") != 0 && strcmp(element, "osfingerprint") != 0)
		return;
	for (size_t i = 0; names[i] != NULL; i++)
		g_ptr_array_add(xs->values, g_strdup_printf("%s/%s=%s", element,
							    names[i], values[i]));
}

/* An attribute value as the writer promises it: controls but TAB, CR, LF,
 * DEL, C1, U+FFFE, U+FFFF and invalid bytes as U+FFFD. */
static char *xml_expected(const char *prefix, const char *s, size_t len)
{
	char *valid = g_utf8_make_valid(s, (gssize)len);
	GString *out = g_string_new(prefix);

	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') ||
		    (c >= 0x7f && c <= 0x9f) || c == 0xFFFE || c == 0xFFFF)
			g_string_append_unichar(out, 0xFFFD);
		else
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
	}
	g_free(valid);
	return g_string_free(out, FALSE);
}

static void xml_expect(const char *out, size_t len, const struct xml_seen *xs,
		       const char *prefix, const char *value)
{
	char *want;
	bool found = false;

	if (value == NULL || value[0] == '\0')
		return;
	want = xml_expected(prefix, value, strlen(value));
	for (guint i = 0; i < xs->values->len && !found; i++)
		found = strcmp(g_ptr_array_index(xs->values, i), want) == 0;
	if (!found) {
		fprintf(stderr, "fuzz_writers: xml: '%s' not found\n", want);
		fail("xml", "a string does not read back", out, len);
	}
	g_free(want);
}

static void check_xml(const struct scenario *sc, const struct records *rec,
		      const char *out, size_t len)
{
	static const GMarkupParser parser = { .start_element = xml_start };
	struct xml_seen xs = { g_ptr_array_new_with_free_func(g_free), 0 };
	GMarkupParseContext *ctx;
	GError *err = NULL;
	const char *c;

	check_utf8("xml", out, len);
	check_controls("xml", out, len, true, false);
	for (const char *p = out; p < out + len; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);

		if (ch == 0xFFFE || ch == 0xFFFF)
			fail("xml", "a non-character XML forbids", out, len);
	}
	/* "--" may not occur inside a comment. */
	for (c = out; (c = strstr(c, "<!--")) != NULL;) {
		const char *end = strstr(c + 4, "-->");
		const char *dash = strstr(c + 4, "--");

		if (end == NULL || dash != end)
			fail("xml", "a comment holds '--' or does not end", out, len);
		c = end + 3;
	}
	ctx = g_markup_parse_context_new(&parser, 0, &xs, NULL);
	if (!g_markup_parse_context_parse(ctx, out, (gssize)len, &err) ||
	    !g_markup_parse_context_end_parse(ctx, &err)) {
		fprintf(stderr, "fuzz_writers: xml: %s\n", err->message);
		fail("xml", "not well-formed", out, len);
	}
	g_markup_parse_context_free(ctx);
	/* A host row (up or down) is a host's status, no port. */
	size_t ports = 0;

	for (size_t i = 0; i < rec->n; i++)
		ports += !result_is_host_row(rec->r[i]);
	if (xs.ports != ports)
		fail("xml", "not one <port> per port result", out, len);
	for (size_t i = 0; i < rec->n; i++) {
		const struct result *r = rec->r[i];

		xml_expect(out, len, &xs, "hostname/name=", r->host);
		xml_expect(out, len, &xs, "hostname/name=", r->ptr);
		if (result_is_host_row(r))
			continue;
		xml_expect(out, len, &xs, "service/name=", r->service);
		xml_expect(out, len, &xs, "service/product=", r->product);
		xml_expect(out, len, &xs, "service/version=", r->version);
		xml_expect(out, len, &xs, "service/extrainfo=", r->info);
		xml_expect(out, len, &xs, "service/ostype=", r->os_hint);
		xml_expect(out, len, &xs, "osmatch/name=", r->os_family);
		if (r->os_family != NULL)
			xml_expect(out, len, &xs, "osfingerprint/fingerprint=", r->os_reason);
	}
	g_ptr_array_free(xs.values, TRUE);
}

static void check_other(const struct scenario *sc, const struct records *rec,
			const char *out, size_t len)
{
	check_utf8("other", out, len);
	check_controls("other", out, len, true, false);
}

/* ---- running the writers ---- */

typedef void check_fn(const struct scenario *, const struct records *,
		      const char *, size_t);

static const struct {
	const char *name;
	check_fn *check;
	bool resumable;      /* append continues the same document */
} checks[] = {
	{ "csv", check_csv, true },
	{ "json", check_json, true },
	{ "jsonl", check_jsonl, true },
	{ "table", check_table, false },
	{ "xml", check_xml, false },
};

static const struct writer_ops *writer_list[16];
static check_fn *check_list[16];
static bool resume_list[16];
static size_t nwriters;

/* The writers the table holds: writer_names() and the terminal table. */
static void find_writers(void)
{
	char *names = g_strdup_printf("%s, table", writer_names());
	char **v = g_strsplit(names, ",", -1);

	for (char **n = v; *n != NULL && nwriters < G_N_ELEMENTS(writer_list); n++) {
		const struct writer_ops *w = writer_find(g_strstrip(*n));

		if (w == NULL) {
			fprintf(stderr, "fuzz_writers: writer '%s' not found\n", *n);
			abort();
		}
		writer_list[nwriters] = w;
		check_list[nwriters] = check_other;
		for (size_t i = 0; i < G_N_ELEMENTS(checks); i++) {
			if (strcmp(checks[i].name, w->name) == 0) {
				check_list[nwriters] = checks[i].check;
				resume_list[nwriters] = checks[i].resumable;
			}
		}
		nwriters++;
	}
	g_strfreev(v);
	g_free(names);
}

static char *run_writer(const struct writer_ops *w, const struct scenario *sc,
			size_t *len)
{
	char *buf = NULL;
	FILE *fp = open_memstream(&buf, len);
	void *st;

	if (fp == NULL)
		abort();
	st = w->open(fp, scenario_meta(sc));
	if (st == NULL)
		fail(w->name, "open failed", NULL, 0);
	for (int i = 0; i < 2; i++)
		if (w->write(st, fp, &sc->r[i]) != 0)
			fail(w->name, "write failed", NULL, 0);
	if (w->close(st, fp, scenario_summary(sc), sc->end) != 0)
		fail(w->name, "close failed", NULL, 0);
	if (fclose(fp) != 0)
		abort();
	return buf;
}

/* Puts `old` in a temporary file, continues it with one more result and
 * returns the whole file, or NULL when append refused the file. */
static char *resume_writer(const struct writer_ops *w, const struct scenario *sc,
			   const char *old, size_t oldlen, size_t *len)
{
	FILE *fp = resume_fp;
	char *buf = NULL;
	long end;
	void *st;

	/* One file for the whole run: creating one per input costs more than
	 * the rest of the run. Writers never close fp. */
	clearerr(fp);
	if (fflush(fp) != 0 || ftruncate(fileno(fp), 0) != 0 ||
	    fseek(fp, 0, SEEK_SET) != 0 || fwrite(old, 1, oldlen, fp) != oldlen ||
	    fflush(fp) != 0)
		abort();
	errno = 0;
	st = w->append(fp, scenario_meta(sc));
	if (st == NULL) {
		if (errno == 0)
			fail(w->name, "append failed without errno", NULL, 0);
		return NULL;
	}
	if (w->write(st, fp, &sc->r[0]) != 0)
		fail(w->name, "write after append failed", NULL, 0);
	if (w->close(st, fp, scenario_summary(sc), sc->end) != 0)
		fail(w->name, "close after append failed", NULL, 0);
	if (fseek(fp, 0, SEEK_END) != 0 || (end = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0)
		abort();
	buf = g_malloc((size_t)end + 1);
	if (fread(buf, 1, (size_t)end, fp) != (size_t)end)
		abort();
	buf[end] = '\0';
	*len = (size_t)end;
	return buf;
}

/* ---- other records (findings) through the same writers ---- */

/* Results as a record kind of their own, so the readers above check what
 * the writers' record_ops write: CSV and JSON Lines read exactly as for
 * results, the JSON document has the kind's array and summary instead of
 * the scan block. */
static int empty_summary(FILE *fp, const void *ctx)
{
	return fputs("{\"total\":2}", fp) == EOF ? -1 : 0;
}

static const struct record_kind result_kind = {
	.array = "results", .format = 1, .fields = &result_fields, .summary = empty_summary,
};

static void check_json_records(const struct scenario *sc, const struct records *rec,
			       const char *out, size_t len)
{
	static const char *const only[] = { "/portolan/version=", "/results[]/", NULL };
	GPtrArray *want = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *seen = g_ptr_array_new_with_free_func(g_free);

	check_utf8("json records", out, len);
	check_controls("json records", out, len, false, true);
	if (!json_parse(out, len, seen))
		fail("json records", "not a valid JSON document", out, len);
	expect(want, "/portolan/version", PORTOLAN_VERSION, (size_t)-1);
	for (size_t i = 0; i < rec->n; i++)
		expect_record(want, "/results[]", rec->r[i]);
	compare_seen("json records", want, seen, only, out, len);
	g_ptr_array_free(want, TRUE);
	g_ptr_array_free(seen, TRUE);
}

static void run_records(const struct writer_ops *w, const struct scenario *sc,
			const struct records *two)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	void *st;

	if (fp == NULL)
		abort();
	st = w->records->open(fp, &result_kind);
	if (st == NULL)
		fail(w->name, "records open failed", NULL, 0);
	for (int i = 0; i < 2; i++)
		if (w->records->write(st, fp, &sc->r[i]) != 0)
			fail(w->name, "records write failed", NULL, 0);
	if (w->records->close(st, fp, NULL) != 0)
		fail(w->name, "records close failed", NULL, 0);
	if (fclose(fp) != 0)
		abort();
	if (strcmp(w->name, "json") == 0)
		check_json_records(sc, two, buf, len);
	else if (strcmp(w->name, "jsonl") == 0)
		check_jsonl(sc, two, buf, len);
	else if (strcmp(w->name, "csv") == 0)
		check_csv(sc, two, buf, len);
	else
		check_other(sc, two, buf, len);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scenario sc;
	struct records two, three;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (nwriters == 0)
		find_writers();
	scenario_build(&sc, data, size);
	two = (struct records){ { &sc.r[0], &sc.r[1] }, 2 };
	three = (struct records){ { &sc.r[0], &sc.r[1], &sc.r[0] }, 3 };

	for (size_t i = 0; i < nwriters; i++) {
		const struct writer_ops *w = writer_list[i];
		size_t len = 0, rlen = 0;
		char *out = run_writer(w, &sc, &len);
		char *again;

		check_list[i](&sc, &two, out, len);
		if (w->append != NULL && (sc.flags & FL_EXISTING)) {
			/* Whatever the file holds, append must not crash. */
			const char *old = sc.s[S_EXISTING] ? sc.s[S_EXISTING] : "";

			g_free(resume_writer(w, &sc, old, strlen(old), &rlen));
		} else if (w->append != NULL && resume_list[i]) {
			again = resume_writer(w, &sc, out, len, &rlen);
			if (again == NULL)
				fail(w->name, "append refused the writer's own file", out, len);
			check_list[i](&sc, &three, again, rlen);
			g_free(again);
		}
		free(out);
		if (w->records != NULL)
			run_records(w, &sc, &two);
	}
	scenario_clear(&sc);
	return 0;
}
