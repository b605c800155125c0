/* baseline.c: loading a previous JSON document and comparing results to it.
 *
 * The document is read by jsonread.c's strict streaming reader rather than
 * a tree-building library: a baseline written with --states all can hold
 * millions of rows, and a tree of them all would cost far more memory than
 * the open ports we keep. The reader validates the whole document; this file
 * walks it and keeps only open rows, so memory is bounded by the baseline's
 * open ports. Errors name the file, line and column. */
#include "baseline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "jsonread.h"
#include "ports.h"
#include "tls_facts.h"

struct entry {
	struct pl_addr addr;
	uint16_t port;
	enum pl_proto proto;     /* a row without "proto" (older files): TCP */
	const char *service;     /* in baseline.strings; "" when not detected */
	const char *product;
	const char *version;
	const char *tls_sha256;  /* the certificate's fingerprint; "" without TLS */
};

/* A host's status in the baseline: up or down by its host row (in
 * "results" or the "hosts" block), or up because a port of it was open. */
struct host_status {
	struct pl_addr addr;
	enum port_state state;   /* STATE_UP or STATE_DOWN */
};

struct baseline {
	GHashTable *open;        /* struct entry *, key and value */
	GHashTable *hosts;       /* struct host_status *, key and value */
	GStringChunk *strings;   /* service, product and version texts, interned */
	/* The baseline's port lists by protocol (PROTO_TCP, PROTO_UDP), when
	 * it has one: a mixed scan's "T:...,U:...", or one protocol's list,
	 * whose unprefixed items count for both (a UDP scan's JSON names no
	 * protocol beside its ports). */
	struct port_list ports[2];
	bool have_ports;
};

/* ---- the document ---- */

struct record {
	bool have_ip, have_port, have_state;
	struct pl_addr addr;
	gint64 port;
	enum pl_proto proto;
	int state;
	char *service, *product, *version;
	char *tls_sha256;                 /* "tls": {"sha256": ...} */
	struct json_pos start;            /* where the record starts */
};

struct doc {
	struct baseline *b;
	bool have_results;
	bool have_states;
	bool states_open;
	struct json_pos states_at;
};

/* A string or null (as empty) member; *out gets a copy. */
static bool read_text(struct json_reader *rd, const char *key, char **out)
{
	struct json_pos at = json_here(rd);
	const char *s;
	size_t len;

	if (json_peek(rd) == 'n') {
		if (!json_read_literal(rd, "null"))
			return false;
		g_free(*out);
		*out = g_strdup("");
		return true;
	}
	if (json_peek(rd) != '"') {
		json_fail_at(rd, at, "\"%s\": expected a string", key);
		return false;
	}
	if (!json_read_string(rd, &s, &len))
		return false;
	g_free(*out);
	*out = g_strndup(s, len);
	return true;
}

/* A string member's value; NULL after a failure, reported as "expected a
 * string" when the value is no string at all. */
static const char *member_string(struct json_reader *rd, const char *key, size_t *len)
{
	struct json_pos at = json_here(rd);
	const char *s;

	if (json_peek(rd) != '"') {
		json_fail_at(rd, at, "\"%s\": expected a string", key);
		return NULL;
	}
	return json_read_string(rd, &s, len) ? s : NULL;
}

/* A number member's value that must be an integer. */
static bool member_integer(struct json_reader *rd, const char *key, gint64 *v, bool *integer)
{
	int c = json_peek(rd);

	if (c != '-' && (c < '0' || c > '9')) {
		json_fail(rd, "\"%s\": expected a number", key);
		return false;
	}
	return json_read_number(rd, integer, v);
}

/* The nested "tls" object: only the certificate's fingerprint is kept. */
static bool tls_member(struct json_reader *rd, const char *key, void *ud)
{
	struct record *rec = ud;

	if (strcmp(key, "sha256") == 0)
		return read_text(rd, key, &rec->tls_sha256);
	return json_skip_value(rd);
}

static bool read_tls(struct json_reader *rd, struct record *rec)
{
	if (json_peek(rd) == 'n')
		return json_read_literal(rd, "null");
	if (json_peek(rd) != '{') {
		json_fail(rd, "\"tls\": expected an object or null");
		return false;
	}
	return json_read_object(rd, tls_member, rec);
}

static bool record_member(struct json_reader *rd, const char *key, void *ud)
{
	struct record *rec = ud;
	struct json_pos at = json_here(rd);
	const char *s;
	size_t len;
	bool integer;

	if (strcmp(key, "ip") == 0) {
		if ((s = member_string(rd, key, &len)) == NULL)
			return false;
		if (!pl_addr_parse(s, &rec->addr) || strlen(s) != len) {
			json_fail_at(rd, at, "\"ip\": not an address");
			return false;
		}
		rec->have_ip = true;
		return true;
	}
	if (strcmp(key, "port") == 0) {
		/* null: a host row's (checked once the state is known). */
		if (json_peek(rd) == 'n')
			return json_read_literal(rd, "null");
		if (!member_integer(rd, key, &rec->port, &integer))
			return false;
		if (!integer || rec->port < 1 || rec->port > 65535) {
			json_fail_at(rd, at, "\"port\": expected a port number from 1 to 65535");
			return false;
		}
		rec->have_port = true;
		return true;
	}
	if (strcmp(key, "state") == 0) {
		if ((s = member_string(rd, key, NULL)) == NULL)
			return false;
		rec->state = port_state_parse(s);
		if (rec->state < 0) {
			json_fail_at(rd, at, "\"state\": unknown state '%s'", s);
			return false;
		}
		rec->have_state = true;
		return true;
	}
	if (strcmp(key, "proto") == 0) {
		if (json_peek(rd) == 'n')
			return json_read_literal(rd, "null");
		if (json_peek(rd) != '"' || !json_read_string(rd, &s, NULL)) {
			json_fail_at(rd, at, "\"proto\": expected a string");
			return false;
		}
		if (strcmp(s, "tcp") != 0 && strcmp(s, "udp") != 0) {
			json_fail_at(rd, at, "\"proto\": expected tcp or udp");
			return false;
		}
		rec->proto = strcmp(s, "udp") == 0 ? PROTO_UDP : PROTO_TCP;
		return true;
	}
	if (strcmp(key, "service") == 0)
		return read_text(rd, key, &rec->service);
	if (strcmp(key, "product") == 0)
		return read_text(rd, key, &rec->product);
	if (strcmp(key, "version") == 0)
		return read_text(rd, key, &rec->version);
	if (strcmp(key, "tls") == 0)
		return read_tls(rd, rec);
	return json_skip_value(rd);
}

static guint entry_hash(gconstpointer p)
{
	const struct entry *e = p;
	guint64 h = e->addr.v.lo * UINT64_C(0x9E3779B97F4A7C15) ^ e->addr.v.hi;

	h ^= (guint64)e->port << 17 ^ (guint64)e->proto << 33 ^ (guint64)e->addr.family;
	h *= UINT64_C(0xBF58476D1CE4E5B9);
	return (guint)(h ^ (h >> 31));
}

static gboolean entry_equal(gconstpointer a, gconstpointer b)
{
	const struct entry *x = a, *y = b;

	return x->port == y->port && x->proto == y->proto && pl_addr_equal(&x->addr, &y->addr);
}

static guint status_hash(gconstpointer p)
{
	const struct host_status *h = p;
	guint64 v = h->addr.v.lo * UINT64_C(0x9E3779B97F4A7C15) ^ h->addr.v.hi;

	v ^= (guint64)h->addr.family;
	v *= UINT64_C(0xBF58476D1CE4E5B9);
	return (guint)(v ^ (v >> 31));
}

static gboolean status_equal(gconstpointer a, gconstpointer b)
{
	return pl_addr_equal(&((const struct host_status *)a)->addr,
			     &((const struct host_status *)b)->addr);
}

/* Records addr's status. A host row is the truth; an open port says up
 * only where no host row said anything (weak). */
static void status_set(struct baseline *b, const struct pl_addr *addr, enum port_state state,
		       bool weak)
{
	struct host_status key = { .addr = *addr }, *h = g_hash_table_lookup(b->hosts, &key);

	if (h != NULL) {
		if (!weak)
			h->state = state;
		return;
	}
	h = g_new(struct host_status, 1);
	h->addr = *addr;
	h->state = state;
	g_hash_table_add(b->hosts, h);
}

static const char *intern(struct baseline *b, const char *s)
{
	return g_string_chunk_insert_const(b->strings, s != NULL ? s : "");
}

static bool result_element(struct json_reader *rd, void *ud)
{
	struct doc *doc = ud;
	struct record rec = { .start = json_here(rd) };
	bool ok = false;

	if (json_peek(rd) != '{') {
		json_fail(rd, "\"results\": expected an object for each result");
		return false;
	}
	if (!json_read_object(rd, record_member, &rec))
		goto out;
	if (!rec.have_ip || !rec.have_state ||
	    (!rec.have_port && rec.state != STATE_UP && rec.state != STATE_DOWN)) {
		json_fail_at(rd, rec.start, "result without %s", !rec.have_ip ? "\"ip\"" :
			     !rec.have_state ? "\"state\"" : "\"port\"");
		goto out;
	}
	if (rec.state == STATE_UP || rec.state == STATE_DOWN) {
		status_set(doc->b, &rec.addr, (enum port_state)rec.state, false);
	} else if (rec.state == STATE_OPEN) {
		status_set(doc->b, &rec.addr, STATE_UP, true);
		struct entry key = { .addr = rec.addr, .port = (uint16_t)rec.port,
				     .proto = rec.proto };

		/* A port listed twice (two runs concatenated by hand) keeps
		 * its first row. */
		if (!g_hash_table_contains(doc->b->open, &key)) {
			struct entry *e = g_new(struct entry, 1);

			*e = key;
			e->service = intern(doc->b, rec.service);
			e->product = intern(doc->b, rec.product);
			e->version = intern(doc->b, rec.version);
			e->tls_sha256 = intern(doc->b, rec.tls_sha256);
			g_hash_table_add(doc->b->open, e);
		}
	}
	ok = true;
out:
	g_free(rec.service);
	g_free(rec.product);
	g_free(rec.version);
	g_free(rec.tls_sha256);
	return ok;
}

static bool scan_member(struct json_reader *rd, const char *key, void *ud)
{
	struct doc *doc = ud;
	struct json_pos at = json_here(rd);
	const char *s;
	GError *e = NULL;

	if (strcmp(key, "ports") == 0) {
		if (json_peek(rd) != '"' || !json_read_string(rd, &s, NULL)) {
			json_fail_at(rd, at, "\"ports\": expected a string");
			return false;
		}
		ports_free(&doc->b->ports[PROTO_TCP]);
		ports_free(&doc->b->ports[PROTO_UDP]);
		if (ports_parse_proto(s, PORTS_TCP, &doc->b->ports[PROTO_TCP], NULL, &e) != 0 ||
		    ports_parse_proto(s, PORTS_UDP, &doc->b->ports[PROTO_UDP], NULL, &e) != 0) {
			json_fail_at(rd, at, "\"ports\": %s", e->message);
			g_error_free(e);
			return false;
		}
		doc->b->have_ports = true;
		return true;
	}
	if (strcmp(key, "states") == 0) {
		char **items;

		if (json_peek(rd) != '"' || !json_read_string(rd, &s, NULL)) {
			json_fail_at(rd, at, "\"states\": expected a string");
			return false;
		}
		items = g_strsplit(s, ",", -1);
		doc->have_states = true;
		doc->states_at = at;
		doc->states_open = false;
		for (char **it = items; *it != NULL; it++)
			if (strcmp(g_strstrip(*it), "open") == 0 || strcmp(*it, "all") == 0)
				doc->states_open = true;
		g_strfreev(items);
		return true;
	}
	return json_skip_value(rd);
}

static bool portolan_member(struct json_reader *rd, const char *key, void *ud)
{
	struct json_pos at = json_here(rd);
	bool integer;
	gint64 v;

	if (strcmp(key, "format") != 0)
		return json_skip_value(rd);
	if (!member_integer(rd, key, &v, &integer))
		return false;
	if (!integer || v != 1) {
		json_fail_at(rd, at, "unsupported document format (this portolan reads format 1)");
		return false;
	}
	return true;
}

static bool top_member(struct json_reader *rd, const char *key, void *ud)
{
	struct doc *doc = ud;

	if (strcmp(key, "results") == 0) {
		if (json_peek(rd) != '[') {
			json_fail(rd, "\"results\": expected an array");
			return false;
		}
		doc->have_results = true;
		return json_read_array(rd, result_element, doc);
	}
	/* Host discovery's block: every host's status, with a host row's
	 * keys. */
	if (strcmp(key, "hosts") == 0 && json_peek(rd) == '[')
		return json_read_array(rd, result_element, doc);
	if (strcmp(key, "scan") == 0 && json_peek(rd) == '{')
		return json_read_object(rd, scan_member, doc);
	if (strcmp(key, "portolan") == 0 && json_peek(rd) == '{')
		return json_read_object(rd, portolan_member, doc);
	return json_skip_value(rd);
}

static bool read_document(struct json_reader *rd, struct doc *doc)
{
	json_skip_ws(rd);
	if (json_peek(rd) != '{') {
		char b[16];

		json_fail(rd, "expected a JSON object (a portolan .json output), found %s",
			  json_describe(json_peek(rd), b, sizeof b));
		return false;
	}
	if (!json_read_object(rd, top_member, doc))
		return false;
	if (!doc->have_results) {
		json_fail(rd, "no \"results\" array: not a portolan JSON document (give the .json output, "
			  "not .jsonl or .csv)");
		return false;
	}
	json_skip_ws(rd);
	if (json_peek(rd) >= 0) {
		json_fail(rd, "trailing data after the document");
		return false;
	}
	if (doc->have_states && !doc->states_open) {
		json_fail_at(rd, doc->states_at, "the baseline does not record open ports (its states leave out open)");
		return false;
	}
	return !json_failed(rd);
}

static struct baseline *baseline_new(void)
{
	struct baseline *b = g_new0(struct baseline, 1);

	b->open = g_hash_table_new_full(entry_hash, entry_equal, g_free, NULL);
	b->hosts = g_hash_table_new_full(status_hash, status_equal, g_free, NULL);
	b->strings = g_string_chunk_new(4096);
	return b;
}

struct baseline *baseline_load(const char *path, GError **err)
{
	struct baseline *b;
	struct json_reader *rd;
	struct doc doc = { 0 };
	FILE *fp;
	bool ok;

	fp = fopen(path, "rb");
	if (fp == NULL) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "cannot read baseline '%s': %s", path,
			    g_strerror(errno));
		return NULL;
	}
	b = baseline_new();
	rd = json_reader_new(fp, path, err);
	doc.b = b;
	ok = read_document(rd, &doc);
	json_reader_free(rd);
	fclose(fp);
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
	g_hash_table_destroy(b->hosts);
	g_string_chunk_free(b->strings);
	ports_free(&b->ports[PROTO_TCP]);
	ports_free(&b->ports[PROTO_UDP]);
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

/* A certificate seen on the port then and now, by its SHA-256. A port
 * that has no TLS facts now (TLS not reached this time) says nothing about
 * the certificate: no finding. */
static void compare_cert(const struct entry *e, const struct result *r, baseline_emit_fn emit,
			 void *ud)
{
	if (e->tls_sha256[0] == '\0' || r->tls == NULL || r->tls->sha256 == NULL)
		return;
	if (g_ascii_strcasecmp(e->tls_sha256, r->tls->sha256) != 0)
		emit(ud, FINDING_CERT_CHANGED, e->tls_sha256, r->tls->sha256);
}

/* A host row against the host's status in the baseline: a host the
 * baseline says nothing about (not scanned then, or no discovery and no
 * open port) is no change. */
static void compare_host(const struct baseline *b, const struct result *r,
			 baseline_emit_fn emit, void *ud)
{
	struct host_status key = { .addr = r->addr };
	const struct host_status *h = g_hash_table_lookup(b->hosts, &key);
	char found[64];

	if (h == NULL || h->state == r->state)
		return;
	snprintf(found, sizeof found, "%s (%s)", port_state_name(r->state), reason_name(r->reason));
	emit(ud, r->state == STATE_UP ? FINDING_NEWLY_UP : FINDING_NEWLY_DOWN,
	     port_state_name(h->state), found);
}

void baseline_compare(const struct baseline *b, const struct result *r, bool detection,
		      baseline_emit_fn emit, void *ud)
{
	struct entry key = { .addr = r->addr, .port = r->port, .proto = r->proto };
	const struct entry *e;

	if (result_is_host_row(r)) {
		compare_host(b, r, emit, ud);
		return;
	}
	e = g_hash_table_lookup(b->open, &key);

	switch (r->state) {
	case STATE_OPEN:
		if (e == NULL) {
			if (!b->have_ports ||
			    ports_contains(&b->ports[r->proto == PROTO_UDP], r->port))
				emit(ud, FINDING_NEWLY_OPEN, "not open", "open");
			return;
		}
		if (!detection)
			return;
		compare_text(e->service, r->service, FINDING_CHANGED_SERVICE, emit, ud);
		compare_text(e->product, r->product, FINDING_CHANGED_PRODUCT, emit, ud);
		compare_text(e->version, r->version, FINDING_CHANGED_VERSION, emit, ud);
		compare_cert(e, r, emit, ud);
		return;
	case STATE_CLOSED:
		if (e != NULL)
			emit(ud, FINDING_NEWLY_CLOSED, "open", "closed");
		return;
	case STATE_FILTERED:
		if (e != NULL)
			emit(ud, FINDING_NEWLY_FILTERED, "open", "filtered");
		return;
	case STATE_OPEN_FILTERED:
		/* A UDP port that answered then and is silent now: no longer
		 * shown open, though not shown closed either. */
		if (e != NULL)
			emit(ud, FINDING_NEWLY_FILTERED, "open", "open|filtered");
		return;
	case STATE_ERROR:
	case STATE_UP:
	case STATE_DOWN:
	case STATE_COUNT:
	default:
		return;
	}
}
