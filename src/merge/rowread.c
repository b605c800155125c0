/* rowread.c: result rows read back from portolan's CSV, JSON and JSON Lines
 * outputs (see rowread.h).
 *
 * A row is built field by field (struct row), whatever the format: the JSON
 * readers hand over typed values, the CSV reader text, and both end in the
 * same setters, so a value is checked the same way in every format. */
#include "rowread.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "jsonread.h"
#include "tls_facts.h"

bool row_format_parse(const char *name, enum row_format *out)
{
	static const struct { const char *name; enum row_format fmt; } names[] = {
		{ "csv", ROW_CSV }, { "json", ROW_JSON }, { "jsonl", ROW_JSONL },
	};

	for (size_t i = 0; name != NULL && i < G_N_ELEMENTS(names); i++)
		if (strcmp(name, names[i].name) == 0) {
			*out = names[i].fmt;
			return true;
		}
	return false;
}

void row_meta_clear(struct row_meta *m)
{
	g_strfreev(m->targets);
	g_free(m->ports);
	g_free(m->states);
	memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------------------ */
/* One row, field by field                                              */

struct row {
	struct result r;
	char *host;
	bool have_ip, have_port, have_state, have_reason;
};

static void row_reset(struct row *w)
{
	g_free(w->host);
	g_free(w->r.ptr);
	g_free(w->r.service);
	g_free(w->r.product);
	g_free(w->r.version);
	g_free(w->r.info);
	g_free(w->r.os_hint);
	g_free(w->r.banner);
	g_free(w->r.os_family);
	g_free(w->r.os_reason);
	g_free(w->r.os_ev);
	tls_facts_free(w->r.tls);
	memset(w, 0, sizeof *w);
	w->r.latency_ms = NAN;
}

/* The errno whose strerror() text the error column holds: the writers put
 * the text, and writing it back needs the number. Text this C library does
 * not know (another machine's) comes back as "unknown error". */
static int errno_of(const char *text)
{
	if (text[0] == '\0')
		return 0;
	for (int e = 1; e < 4096; e++) {
		const char *s = strerror(e);

		if (s != NULL && strcmp(s, text) == 0)
			return e;
	}
	return 0;
}

/* The string fields a result owns, by column name. */
static char **text_slot(struct row *w, const char *key)
{
	static const struct { const char *key; size_t off; } slots[] = {
		{ "host", offsetof(struct row, host) },
		{ "ptr", offsetof(struct row, r.ptr) },
		{ "service", offsetof(struct row, r.service) },
		{ "product", offsetof(struct row, r.product) },
		{ "version", offsetof(struct row, r.version) },
		{ "info", offsetof(struct row, r.info) },
		{ "os_hint", offsetof(struct row, r.os_hint) },
		{ "banner", offsetof(struct row, r.banner) },
		{ "os_family", offsetof(struct row, r.os_family) },
		{ "os_reason", offsetof(struct row, r.os_reason) },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(slots); i++)
		if (strcmp(key, slots[i].key) == 0)
			return (char **)(void *)((char *)w + slots[i].off);
	return NULL;
}

/* The OS evidence, made on its first field (DF unknown until given). */
static struct os_evidence *row_ev(struct row *w)
{
	if (w->r.os_ev == NULL) {
		w->r.os_ev = g_new0(struct os_evidence, 1);
		w->r.os_ev->df = -1;
	}
	return w->r.os_ev;
}

/* The numeric OS columns: name, bound. */
static bool os_int_key(const char *key, int64_t *max)
{
	static const struct { const char *key; int64_t max; } keys[] = {
		{ "os_accuracy", 100 }, { "os_ttl", 255 }, { "os_initial_ttl", 255 },
		{ "os_window", 65535 }, { "os_mss", 65535 }, { "os_wscale", 255 },
		{ "os_df", 1 }, { "os_timestamps", 1 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
		if (strcmp(key, keys[i].key) == 0) {
			*max = keys[i].max;
			return true;
		}
	return false;
}

static const char *row_set_os_int(struct row *w, const char *key, int64_t v, int64_t max)
{
	struct os_evidence *ev;

	if (v < 0 || v > max)
		return "out of range";
	if (strcmp(key, "os_accuracy") == 0) {
		w->r.os_accuracy = (unsigned)v;
		return NULL;
	}
	ev = row_ev(w);
	if (strcmp(key, "os_ttl") == 0) {
		ev->ttl = (uint8_t)v;
	} else if (strcmp(key, "os_initial_ttl") == 0) {
		ev->initial_ttl = (uint8_t)v;
	} else if (strcmp(key, "os_window") == 0) {
		ev->window = (uint16_t)v;
	} else if (strcmp(key, "os_mss") == 0) {
		ev->mss = (uint16_t)v;
		ev->has_mss = true;
	} else if (strcmp(key, "os_wscale") == 0) {
		ev->wscale = (uint8_t)v;
		ev->has_wscale = true;
	} else if (strcmp(key, "os_df") == 0) {
		ev->df = (int8_t)v;
	} else {
		ev->timestamps = v != 0;
	}
	return NULL;
}

/* ---- the tls_* columns (CSV), the "tls" object (JSON) ---- */

static struct tls_facts *row_tls(struct row *w)
{
	if (w->r.tls == NULL)
		w->r.tls = tls_facts_new();
	return w->r.tls;
}

static bool tls_key(const char *key)
{
	return strncmp(key, "tls_", 4) == 0;
}

/* A text column's place in the facts (and whether it is the
 * certificate's); false for the other columns. */
static bool tls_text_field(const char *key, size_t *off, bool *cert)
{
	static const struct { const char *key; size_t off; bool cert; } slots[] = {
		{ "tls_version", offsetof(struct tls_facts, version), false },
		{ "tls_cipher", offsetof(struct tls_facts, cipher), false },
		{ "tls_starttls", offsetof(struct tls_facts, starttls), false },
		{ "tls_sni", offsetof(struct tls_facts, sni), false },
		{ "tls_verify", offsetof(struct tls_facts, verify), false },
		{ "tls_subject", offsetof(struct tls_facts, subject), true },
		{ "tls_subject_cn", offsetof(struct tls_facts, subject_cn), true },
		{ "tls_issuer", offsetof(struct tls_facts, issuer), true },
		{ "tls_issuer_cn", offsetof(struct tls_facts, issuer_cn), true },
		{ "tls_key_type", offsetof(struct tls_facts, key_type), true },
		{ "tls_key_curve", offsetof(struct tls_facts, key_curve), true },
		{ "tls_sig_alg", offsetof(struct tls_facts, sig_alg), true },
		{ "tls_sha256", offsetof(struct tls_facts, sha256), true },
		{ "tls_sha1", offsetof(struct tls_facts, sha1), true },
		{ "tls_cipher_v1_0", offsetof(struct tls_facts, version_cipher[TLS_V1_0]), false },
		{ "tls_cipher_v1_1", offsetof(struct tls_facts, version_cipher[TLS_V1_1]), false },
		{ "tls_cipher_v1_2", offsetof(struct tls_facts, version_cipher[TLS_V1_2]), false },
		{ "tls_cipher_v1_3", offsetof(struct tls_facts, version_cipher[TLS_V1_3]), false },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(slots); i++)
		if (strcmp(key, slots[i].key) == 0) {
			*off = slots[i].off;
			*cert = slots[i].cert;
			return true;
		}
	return false;
}

static bool tls_int_key(const char *key)
{
	return strcmp(key, "tls_days_left") == 0 || strcmp(key, "tls_self_signed") == 0 ||
	       strcmp(key, "tls_key_bits") == 0;
}

/* "2027-01-31T12:00:00Z", exactly as the writers put it. */
static bool parse_utc(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, sec;
	char z;
	GDateTime *dt;
	char *again;
	bool ok;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec, &z) != 7 || z != 'Z')
		return false;
	dt = g_date_time_new_utc(y, mo, d, h, mi, sec);
	if (dt == NULL)
		return false;
	again = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
	/* Only the canonical text: nothing else comes back the same. */
	ok = again != NULL && strcmp(again, s) == 0;
	*out = g_date_time_to_unix(dt);
	g_free(again);
	g_date_time_unref(dt);
	return ok;
}

/* A tls_* value: text (the CSV's, a JSON string) or an integer (a JSON
 * number: is_num). Empty text is no value, as everywhere in a row. */
static const char *row_set_tls(struct row *w, const char *key, const char *s, bool is_num,
			       int64_t v)
{
	struct tls_facts *t;
	bool cert = false;
	size_t off;

	if (!is_num && s[0] == '\0')
		return NULL;
	if (tls_int_key(key)) {
		if (!is_num) {
			char *end;

			errno = 0;
			v = g_ascii_strtoll(s, &end, 10);
			if (*end != '\0' || errno != 0 || !(g_ascii_isdigit(s[0]) || s[0] == '-'))
				return "not a whole number";
		}
		t = row_tls(w);
		t->have_cert = true;
		if (strcmp(key, "tls_days_left") == 0) {
			t->days_left = v;
		} else if (strcmp(key, "tls_self_signed") == 0) {
			if (v != 0 && v != 1)
				return "not 0 or 1";
			t->self_signed = v == 1;
		} else {
			if (v < 0 || v > UINT32_MAX)
				return "not a number of bits";
			t->key_bits = (unsigned)v;
		}
		return NULL;
	}
	if (is_num)
		return tls_text_field(key, &off, &cert) || strcmp(key, "tls_sans") == 0 ||
				       strcmp(key, "tls_versions") == 0 ||
				       strcmp(key, "tls_not_before") == 0 ||
				       strcmp(key, "tls_not_after") == 0 ?
			       "not a string" :
			       NULL;
	if (tls_text_field(key, &off, &cert)) {
		char **slot;

		t = row_tls(w);
		slot = (char **)(void *)((char *)t + off);
		g_free(*slot);
		*slot = g_strdup(s);
		t->have_cert |= cert;
		return NULL;
	}
	if (strcmp(key, "tls_sans") == 0) {
		t = row_tls(w);
		g_strfreev(t->sans);
		t->sans = g_strsplit(s, ", ", -1);
		t->have_cert = true;
		return NULL;
	}
	if (strcmp(key, "tls_not_before") == 0 || strcmp(key, "tls_not_after") == 0) {
		int64_t when;

		if (!parse_utc(s, &when))
			return "not a time as 2027-01-31T12:00:00Z";
		t = row_tls(w);
		*(strcmp(key, "tls_not_before") == 0 ? &t->not_before : &t->not_after) = when;
		t->have_cert = true;
		return NULL;
	}
	if (strcmp(key, "tls_versions") == 0) {
		char **words = g_strsplit(s, " ", -1);
		uint8_t accepted = 0;

		for (char **x = words; *x != NULL; x++) {
			int k = tls_version_parse(*x);

			if (k < 0) {
				g_strfreev(words);
				return "not a list of TLS versions";
			}
			accepted |= (uint8_t)(1u << k);
		}
		g_strfreev(words);
		t = row_tls(w);
		t->versions_tested = true;
		t->accepted = accepted;
		return NULL;
	}
	return NULL; /* a later portolan's column */
}

/* A text column. Returns NULL, or what is wrong (static text). Unknown
 * columns are ignored: a later portolan may add some at the end. */
static const char *row_set_text(struct row *w, const char *key, const char *s)
{
	char **slot = text_slot(w, key);
	int v;

	if (tls_key(key))
		return row_set_tls(w, key, s, false, 0);
	if (slot != NULL) {
		g_free(*slot);
		/* An empty column is what the writers put for "none". */
		*slot = s[0] != '\0' ? g_strdup(s) : NULL;
		return NULL;
	}
	if (strcmp(key, "ip") == 0) {
		w->have_ip = pl_addr_parse(s, &w->r.addr);
		return w->have_ip ? NULL : "not an IP address";
	}
	/* Empty for a host row (no port, no protocol). */
	if (strcmp(key, "proto") == 0) {
		if (strcmp(s, "udp") == 0)
			w->r.proto = PROTO_UDP;
		else if (strcmp(s, "tcp") == 0 || s[0] == '\0')
			w->r.proto = PROTO_TCP;
		else
			return "not tcp or udp";
		return NULL;
	}
	if (strcmp(key, "state") == 0) {
		if ((v = port_state_parse(s)) < 0)
			return "not a port state";
		w->r.state = (enum port_state)v;
		w->have_state = true;
		return NULL;
	}
	if (strcmp(key, "reason") == 0) {
		if ((v = reason_parse(s)) < 0)
			return "not a reason portolan gives";
		w->r.reason = (enum reason)v;
		w->have_reason = true;
		return NULL;
	}
	if (strcmp(key, "error") == 0) {
		w->r.err = errno_of(s);
		return NULL;
	}
	if (strcmp(key, "os_options") == 0) {
		/* Empty: no evidence (CSV) or a SYN-ACK without options, which
		 * the other evidence columns then carry. */
		if (s[0] == '\0')
			return NULL;
		/* What packet.c writes: kind names and numbers, commas. Nothing
		 * else, so no writer ever changes it on the way out. */
		if (strlen(s) >= OS_OPTIONS_LEN || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,") != strlen(s))
			return "not a TCP option order";
		memcpy(row_ev(w)->options, s, strlen(s) + 1);
		return NULL;
	}
	return NULL;
}

static const char *row_set_int(struct row *w, const char *key, int64_t v)
{
	int64_t max;

	if (tls_key(key))
		return row_set_tls(w, key, NULL, true, v);
	if (os_int_key(key, &max))
		return row_set_os_int(w, key, v, max);
	if (strcmp(key, "port") == 0) {
		if (v < 0 || v > 65535)
			return "not a port number";
		w->r.port = (uint16_t)v;
		w->have_port = true;
		return NULL;
	}
	if (strcmp(key, "attempts") == 0) {
		if (v < 0 || v > UINT32_MAX)
			return "not a count of attempts";
		w->r.attempts = (unsigned)v;
		return NULL;
	}
	if (strcmp(key, "latency_ms") == 0) {
		w->r.latency_ms = (double)v;
		return NULL;
	}
	return NULL;
}

static const char *row_set_real(struct row *w, const char *key, double d)
{
	if (strcmp(key, "latency_ms") == 0) {
		w->r.latency_ms = d;
		return NULL;
	}
	int64_t max;

	if (strcmp(key, "port") == 0 || strcmp(key, "attempts") == 0 || os_int_key(key, &max) ||
	    tls_int_key(key))
		return "not a whole number";
	if (tls_key(key))
		return row_set_tls(w, key, NULL, true, 0);
	return NULL;
}

/* A CSV column: its text, a number for the numeric ones. */
static const char *row_set_csv(struct row *w, const char *key, const char *s)
{
	char *end;
	int64_t max;

	/* TLS columns: text, their numbers too (days left may be negative). */
	if (tls_key(key))
		return row_set_tls(w, key, s, false, 0);
	/* An OS column is empty when there is no evidence; the port, for a
	 * host row (row_missing checks it is one). */
	if ((os_int_key(key, &max) || strcmp(key, "port") == 0) && s[0] == '\0')
		return NULL;
	if (strcmp(key, "port") == 0 || strcmp(key, "attempts") == 0 || os_int_key(key, &max)) {
		gint64 v;

		errno = 0;
		v = g_ascii_strtoll(s, &end, 10);
		if (s[0] == '\0' || *end != '\0' || errno != 0 || !g_ascii_isdigit(s[0]))
			return "not a whole number";
		return row_set_int(w, key, v);
	}
	if (strcmp(key, "latency_ms") == 0) {
		double d;

		if (s[0] == '\0')
			return NULL;   /* a value no number could carry */
		d = g_ascii_strtod(s, &end);
		return *end == '\0' ? row_set_real(w, key, d) : "not a number";
	}
	return row_set_text(w, key, s);
}

/* A complete row, or what it lacks. */
static const char *row_missing(const struct row *w)
{
	if (!w->have_ip)
		return "no \"ip\"";
	if (!w->have_state)
		return "no \"state\"";
	/* A host row (up or down) has none; a port's result must. */
	if (!w->have_port && !result_is_host_row(&w->r))
		return "no \"port\"";
	if (!w->have_reason)
		return "no \"reason\"";
	return NULL;
}

/* ------------------------------------------------------------------ */
/* JSON and JSON Lines                                                  */

struct jctx {
	struct row row;
	row_fn fn;
	void *ud;
	bool stopped;            /* fn said stop */
	struct row_meta *meta;
	bool have_results;
	bool hosts_only;         /* the "hosts" block's entries, not the results */
};

static bool json_row_member(struct json_reader *rd, const char *key, void *ud);

/* The "tls" object's members are the tls_* columns. */
static bool json_tls_member(struct json_reader *rd, const char *key, void *ud)
{
	char *name = g_strconcat("tls_", key, NULL);
	bool ok = json_row_member(rd, name, ud);

	g_free(name);
	return ok;
}

/* The "os" object's members are the os_* columns. */
static bool json_os_member(struct json_reader *rd, const char *key, void *ud)
{
	char *name = g_strconcat("os_", key, NULL);
	bool ok = json_row_member(rd, name, ud);

	g_free(name);
	return ok;
}

static bool json_row_member(struct json_reader *rd, const char *key, void *ud)
{
	struct jctx *c = ud;
	struct json_pos at = json_here(rd);
	const char *why = NULL, *s;
	size_t len;
	bool integer;
	gint64 v;
	double d;

	switch (json_peek(rd)) {
	case '"':
		if (!json_read_string(rd, &s, &len))
			return false;
		if (strlen(s) != len)
			why = "contains a NUL";
		else
			why = row_set_text(&c->row, key, s);
		break;
	case 'n':
		/* null: no value, as for a latency no number could carry. */
		return json_read_literal(rd, "null");
	case '{': case '[': case 't': case 'f':
		if (strcmp(key, "os") == 0 && json_peek(rd) == '{')
			return json_read_object(rd, json_os_member, c);
		/* An object, even of nulls, says the port spoke TLS. */
		if (strcmp(key, "tls") == 0 && json_peek(rd) == '{') {
			row_tls(&c->row);
			return json_read_object(rd, json_tls_member, c);
		}
		if (text_slot(&c->row, key) != NULL || strcmp(key, "port") == 0 ||
		    strcmp(key, "state") == 0 || strcmp(key, "ip") == 0)
			why = "not a string or number";
		else
			return json_skip_value(rd);
		break;
	default:
		if (strcmp(key, "latency_ms") == 0) {
			if (!json_read_real(rd, &d))
				return false;
			why = row_set_real(&c->row, key, d);
		} else {
			if (!json_read_number(rd, &integer, &v))
				return false;
			why = integer ? row_set_int(&c->row, key, v) : row_set_real(&c->row, key, 0.5);
		}
		break;
	}
	if (why != NULL) {
		json_fail_at(rd, at, "\"%s\": %s", key, why);
		return false;
	}
	return true;
}

/* One result object: read, checked and handed over. */
static bool json_row(struct json_reader *rd, void *ud)
{
	struct jctx *c = ud;
	struct json_pos at = json_here(rd);
	const char *why;
	bool go;

	if (json_peek(rd) != '{') {
		json_fail(rd, "expected an object for each result");
		return false;
	}
	row_reset(&c->row);
	if (!json_read_object(rd, json_row_member, c))
		return false;
	if ((why = row_missing(&c->row)) != NULL) {
		json_fail_at(rd, at, "result with %s", why);
		return false;
	}
	/* The hosts block lists hosts: a port's state there is no host's. */
	if (c->hosts_only && !result_is_host_row(&c->row.r)) {
		json_fail_at(rd, at, "a \"hosts\" entry whose state is not up or down");
		return false;
	}
	c->row.r.host = c->row.host;
	go = c->fn(c->ud, &c->row.r);
	c->stopped = !go;
	return go;
}

static bool meta_string(struct json_reader *rd, char **out)
{
	const char *s;

	if (json_peek(rd) != '"')
		return json_skip_value(rd);
	if (!json_read_string(rd, &s, NULL))
		return false;
	g_free(*out);
	*out = g_strdup(s);
	return true;
}

static bool meta_target(struct json_reader *rd, void *ud)
{
	GPtrArray *a = ud;
	char *s = NULL;

	if (!meta_string(rd, &s))
		return false;
	if (s != NULL)
		g_ptr_array_add(a, s);
	return true;
}

static bool meta_unsigned(struct json_reader *rd, unsigned *out)
{
	bool integer;
	gint64 v;

	if (json_peek(rd) == '-' || !g_ascii_isdigit(json_peek(rd)))
		return json_skip_value(rd);
	if (!json_read_number(rd, &integer, &v))
		return false;
	if (integer && v >= 0 && v <= UINT32_MAX)
		*out = (unsigned)v;
	return true;
}

static bool meta_start(struct json_reader *rd, time_t *out)
{
	char *s = NULL;
	GDateTime *dt;

	if (!meta_string(rd, &s))
		return false;
	dt = s != NULL ? g_date_time_new_from_iso8601(s, NULL) : NULL;
	if (dt != NULL) {
		*out = (time_t)g_date_time_to_unix(dt);
		g_date_time_unref(dt);
	}
	g_free(s);
	return true;
}

/* The scan block: what the merged outputs' headers repeat. */
static bool scan_member(struct json_reader *rd, const char *key, void *ud)
{
	struct row_meta *m = ud;

	if (strcmp(key, "targets") == 0 && json_peek(rd) == '[') {
		GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
		bool ok = json_read_array(rd, meta_target, a);

		g_ptr_array_add(a, NULL);
		g_strfreev(m->targets);
		m->targets = (char **)g_ptr_array_free(a, FALSE);
		return ok;
	}
	if (strcmp(key, "ports") == 0)
		return meta_string(rd, &m->ports);
	if (strcmp(key, "states") == 0)
		return meta_string(rd, &m->states);
	if (strcmp(key, "start") == 0)
		return meta_start(rd, &m->start);
	if (strcmp(key, "threads") == 0)
		return meta_unsigned(rd, &m->threads);
	if (strcmp(key, "timeout_ms") == 0)
		return meta_unsigned(rd, &m->timeout_ms);
	if (strcmp(key, "retries") == 0)
		return meta_unsigned(rd, &m->retries);
	return json_skip_value(rd);
}

static bool format_member(struct json_reader *rd, const char *key, void *ud)
{
	struct json_pos at = json_here(rd);
	bool integer;
	gint64 v;

	if (strcmp(key, "format") != 0)
		return json_skip_value(rd);
	if (json_peek(rd) == '"' || !json_read_number(rd, &integer, &v) || !integer || v != 1) {
		if (!json_failed(rd))
			json_fail_at(rd, at, "unsupported document format (this portolan reads format 1)");
		return false;
	}
	return true;
}

static bool top_member(struct json_reader *rd, const char *key, void *ud)
{
	struct jctx *c = ud;

	if (strcmp(key, "results") == 0) {
		if (json_peek(rd) != '[') {
			json_fail(rd, "\"results\": expected an array");
			return false;
		}
		c->have_results = true;
		return c->hosts_only ? json_skip_value(rd) : json_read_array(rd, json_row, c);
	}
	/* Its entries have a host row's keys, and are read as host rows. */
	if (strcmp(key, "hosts") == 0 && c->hosts_only) {
		if (json_peek(rd) != '[') {
			json_fail(rd, "\"hosts\": expected an array");
			return false;
		}
		return json_read_array(rd, json_row, c);
	}
	if (strcmp(key, "scan") == 0 && json_peek(rd) == '{' && c->meta != NULL) {
		c->meta->have = true;
		return json_read_object(rd, scan_member, c->meta);
	}
	if (strcmp(key, "portolan") == 0 && json_peek(rd) == '{')
		return json_read_object(rd, format_member, c);
	return json_skip_value(rd);
}

static bool read_document(struct json_reader *rd, struct jctx *c)
{
	char b[16];

	json_skip_ws(rd);
	if (json_peek(rd) != '{') {
		json_fail(rd, "expected a JSON object (a portolan .json output), found %s",
			  json_describe(json_peek(rd), b, sizeof b));
		return false;
	}
	if (!json_read_object(rd, top_member, c))
		return false;
	if (!c->have_results) {
		json_fail(rd, "no \"results\" array: not a portolan JSON document");
		return false;
	}
	json_skip_ws(rd);
	if (json_peek(rd) >= 0) {
		json_fail(rd, "trailing data after the document");
		return false;
	}
	return true;
}

static bool read_lines(struct json_reader *rd, struct jctx *c)
{
	for (;;) {
		json_skip_ws(rd);
		if (json_peek(rd) < 0)
			return !json_failed(rd);
		if (!json_row(rd, c))
			return false;
	}
}

static int read_json(FILE *fp, const char *name, bool lines, bool hosts_only, row_fn fn,
		     void *ud, struct row_meta *meta, GError **err)
{
	struct jctx c = { .fn = fn, .ud = ud, .meta = meta, .hosts_only = hosts_only };
	struct json_reader *rd = json_reader_new(fp, name, err);
	bool ok;
	int rc;

	row_reset(&c.row);
	ok = lines ? read_lines(rd, &c) : read_document(rd, &c);
	rc = c.stopped ? 1 : ok ? 0 : -1;
	if (rc < 0 && !json_failed(rd))
		json_fail(rd, "cannot be read");
	json_reader_free(rd);
	row_reset(&c.row);
	return rc;
}

/* ------------------------------------------------------------------ */
/* CSV (RFC 4180)                                                       */

struct csv_reader {
	FILE *fp;
	const char *name;
	unsigned long line;      /* of the next byte */
	unsigned long row_line;  /* where the current record began */
	GString *field;
	bool quoted;             /* the field read last was quoted */
	GError **err;
};

static int csv_fail(struct csv_reader *cr, unsigned long line, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);

static int csv_fail(struct csv_reader *cr, unsigned long line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(cr->err, PL_ERROR, PL_ERROR_USAGE, "%s:%lu: %s", cr->name, line, msg);
	g_free(msg);
	return -1;
}

static int csv_getc(struct csv_reader *cr)
{
	int c = getc(cr->fp);

	if (c == '\n')
		cr->line++;
	return c;
}

static int csv_append(struct csv_reader *cr, int c)
{
	if (cr->field->len >= ROWREAD_FIELD_MAX)
		return csv_fail(cr, cr->line, "field longer than %d bytes", ROWREAD_FIELD_MAX);
	g_string_append_c(cr->field, (char)c);
	return 0;
}

/* The rest of a quoted field, after its opening quote; *c is the byte after
 * the closing quote. */
static int csv_quoted(struct csv_reader *cr, int *c)
{
	unsigned long start = cr->line;

	for (;;) {
		int b = csv_getc(cr);

		if (b == EOF)
			return csv_fail(cr, start, "quoted field not closed before the end of the file");
		if (b == '"') {
			b = csv_getc(cr);
			if (b != '"') {
				*c = b;
				return 0;
			}
		}
		if (csv_append(cr, b) != 0)
			return -1;
	}
}

/* One field into cr->field. *end: what ended it: ',', '\n' (a CRLF or a
 * LF) or EOF. */
static int csv_field(struct csv_reader *cr, int *end)
{
	int c = csv_getc(cr);

	g_string_truncate(cr->field, 0);
	cr->quoted = c == '"';
	if (cr->quoted && csv_quoted(cr, &c) != 0)
		return -1;
	for (;; c = csv_getc(cr)) {
		if (c == ',' || c == '\n' || c == EOF) {
			*end = c;
			return ferror(cr->fp) ? csv_fail(cr, cr->line, "cannot read: %s",
							 g_strerror(errno)) : 0;
		}
		if (c == '\r') {
			c = csv_getc(cr);
			if (c == '\n' || c == EOF) {
				*end = c;
				return 0;
			}
			return csv_fail(cr, cr->line, "a CR not followed by LF outside quotes");
		}
		if (cr->quoted)
			return csv_fail(cr, cr->line, "data after a closing quote");
		if (c == '"')
			return csv_fail(cr, cr->line, "a quote inside an unquoted field");
		if (csv_append(cr, c) != 0)
			return -1;
	}
}

/* The writer neutralises a text field that a spreadsheet would take for a
 * formula with a leading ' inside quotes (textesc.c); the value is what
 * follows it. */
static const char *csv_value(const struct csv_reader *cr)
{
	const char *s = cr->field->str;

	if (cr->quoted && s[0] == '\'' &&
	    (strchr("=+-@\t\r\n", s[1]) != NULL && s[1] != '\0'))
		return s + 1;
	if (cr->quoted && s[0] == '\'' && (unsigned char)s[1] == 0xEF &&
	    (unsigned char)s[2] == 0xBC)
		return s + 1;
	return s;
}

static int csv_header(struct csv_reader *cr, GPtrArray *cols)
{
	int end;

	cr->row_line = cr->line;
	do {
		if (csv_field(cr, &end) != 0)
			return -1;
		if (cols->len >= ROWREAD_COLUMNS_MAX)
			return csv_fail(cr, cr->row_line, "more than %d columns",
					ROWREAD_COLUMNS_MAX);
		if (strlen(cr->field->str) != cr->field->len)
			return csv_fail(cr, cr->row_line, "a column name contains a NUL");
		g_ptr_array_add(cols, g_strdup(cr->field->str));
	} while (end == ',');
	if (cols->len == 1 && ((char *)cols->pdata[0])[0] == '\0')
		return csv_fail(cr, cr->row_line, "no header row (an empty file is no portolan CSV)");
	for (guint i = 0; i < cols->len; i++)
		if (strcmp(cols->pdata[i], "ip") == 0)
			return 0;
	return csv_fail(cr, cr->row_line, "the header names no \"ip\" column: not a portolan CSV");
}

/* One record into w. Returns 1 for a row, 0 at the end of the file, -1. */
static int csv_row(struct csv_reader *cr, const GPtrArray *cols, struct row *w)
{
	const char *why;
	guint n = 0;
	int end, c;

	if ((c = getc(cr->fp)) == EOF)
		return ferror(cr->fp) ? csv_fail(cr, cr->line, "cannot read: %s",
						 g_strerror(errno)) : 0;
	ungetc(c, cr->fp);
	cr->row_line = cr->line;
	row_reset(w);
	do {
		if (csv_field(cr, &end) != 0)
			return -1;
		if (n == 0 && end != ',' && cr->field->len == 0 && !cr->quoted)
			return csv_fail(cr, cr->row_line, "an empty line (portolan writes none)");
		if (n >= cols->len)
			return csv_fail(cr, cr->row_line, "more fields than the header has columns");
		if (strlen(cr->field->str) != cr->field->len)
			return csv_fail(cr, cr->row_line, "column \"%s\" contains a NUL",
					(const char *)cols->pdata[n]);
		why = row_set_csv(w, cols->pdata[n], csv_value(cr));
		if (why != NULL)
			return csv_fail(cr, cr->row_line, "column \"%s\": %s",
					(const char *)cols->pdata[n], why);
		n++;
	} while (end == ',');
	if (n != cols->len)
		return csv_fail(cr, cr->row_line, "%u fields where the header has %u columns",
				n, cols->len);
	if ((why = row_missing(w)) != NULL)
		return csv_fail(cr, cr->row_line, "result with %s", why);
	return 1;
}

static int read_csv(FILE *fp, const char *name, row_fn fn, void *ud, GError **err)
{
	struct csv_reader cr = { .fp = fp, .name = name, .line = 1, .err = err,
				 .field = g_string_new(NULL) };
	GPtrArray *cols = g_ptr_array_new_with_free_func(g_free);
	struct row w = { 0 };
	int rc, c;

	/* A UTF-8 byte-order mark, as a spreadsheet may leave, is skipped. */
	if ((c = getc(fp)) == 0xEF) {
		if (getc(fp) != 0xBB || getc(fp) != 0xBF) {
			rc = csv_fail(&cr, 1, "invalid bytes at the start");
			goto out;
		}
	} else if (c != EOF) {
		ungetc(c, fp);
	}
	if ((rc = csv_header(&cr, cols)) != 0)
		goto out;
	while ((rc = csv_row(&cr, cols, &w)) == 1) {
		w.r.host = w.host;
		if (!fn(ud, &w.r)) {
			rc = 1;
			break;
		}
	}
out:
	row_reset(&w);
	g_ptr_array_free(cols, TRUE);
	g_string_free(cr.field, TRUE);
	return rc;
}

int rows_read(FILE *fp, const char *name, enum row_format fmt, row_fn fn, void *ud,
	      struct row_meta *meta, GError **err)
{
	switch (fmt) {
	case ROW_CSV:
		return read_csv(fp, name, fn, ud, err);
	case ROW_JSON:
		return read_json(fp, name, false, false, fn, ud, meta, err);
	case ROW_JSONL:
		return read_json(fp, name, true, false, fn, ud, meta, err);
	}
	return -1;
}

int rows_read_hosts(FILE *fp, const char *name, row_fn fn, void *ud, GError **err)
{
	return read_json(fp, name, false, true, fn, ud, NULL, err);
}
