/* out_json.c: JSON Lines (one object per result per line) and one JSON
 * document with the scan's parameters, the results and a summary.
 *
 * Both stream. The document is written in pieces: open writes everything up
 * to "results":[, each write appends one object (a comma goes before every
 * object but the first, so no trailing comma is ever needed), and close
 * writes the closing bracket, the "hosts" block when host discovery sent
 * host rows (every host's status, gathered in xmlhosts.h's bounded buffer
 * whatever --states writes as rows), the summary and the final brace. Until close
 * the file is a prefix of a valid document ending in a complete object.
 * Numbers are formatted without the locale; times are UTC ISO 8601 with Z. */
#include "writer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "jsonread.h"
#include "textesc.h"
#include "xmlhosts.h"

/* The layout version of the document; bump it when a key changes meaning. */
#define JSON_FORMAT 1
/* Hosts the "hosts" block holds in memory before it spills to a run: an
 * xml_host is some 500 bytes, so about 32 MiB. */
#define JSON_MAX_HOSTS 65536

struct json_state {
	uint64_t count;   /* objects written, for the separating commas */
	bool udp;         /* a UDP scan: its summary counts open|filtered */
	/* The document's "hosts" block: every host row seen, written or
	 * not, gathered in bounded memory (xmlhosts.h spills to temporary
	 * files) and written at close. NULL until the first host row. */
	struct xml_hosts *hosts;
};

static bool meta_udp(const struct scan_meta *meta)
{
	return meta != NULL && meta->proto != NULL && strcmp(meta->proto, "udp") == 0;
}

static void json_state_free(struct json_state *st)
{
	if (st == NULL)
		return;
	xml_hosts_free(st->hosts);
	free(st);
}

/* A host row for the "hosts" block. Returns 0, or -1 with errno set when
 * the buffer could not spill. */
static int hosts_add(struct json_state *st, const struct result *r)
{
	if (!result_is_host_row(r))
		return 0;
	if (st->hosts == NULL)
		st->hosts = xml_hosts_new(JSON_MAX_HOSTS, 0);
	return xml_hosts_add(st->hosts, r, false, NULL, 0);
}

static int put_str(FILE *fp, const char *s)
{
	return json_write_string(fp, s, s != NULL ? strlen(s) : 0);
}

/* A number, or null when it cannot be one. */
static int put_real(FILE *fp, double d, int decimals)
{
	char num[WRITER_REAL_LEN];

	if (!writer_format_real(num, sizeof num, d, decimals))
		return fputs("null", fp) == EOF ? -1 : 0;
	return fputs(num, fp) == EOF ? -1 : 0;
}

static int put_u64(FILE *fp, const char *key, uint64_t v, const char *sep)
{
	if (put_str(fp, key) < 0)
		return -1;
	return fprintf(fp, ":%" PRIu64 "%s", v, sep) < 0 ? -1 : 0;
}

static int put_time(FILE *fp, time_t t)
{
	struct tm tm;
	char buf[32];

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return fputs("null", fp) == EOF ? -1 : 0;
	return put_str(fp, buf);
}

static int put_value(FILE *fp, const struct field_value *v)
{
	switch (v->kind) {
	case FIELD_STR:
		return json_write_string(fp, v->str, v->len);
	case FIELD_INT:
		return fprintf(fp, "%" PRId64, v->i) < 0 ? -1 : 0;
	case FIELD_REAL:
		return put_real(fp, v->d, 3);
	case FIELD_NULL:
		break;
	}
	return fputs("null", fp) == EOF ? -1 : 0;
}

static const char *group_of(const struct field_set *f, size_t i)
{
	return f->group != NULL ? f->group(i) : NULL;
}

/* The fields of group g from i on, as one object of their keys (the names
 * without "g_"), or null when none has a value; *next is the field after
 * the group. */
static int put_group(FILE *fp, const struct field_set *f, const void *rec, const char *g,
		     size_t i, size_t *next, char *scratch, size_t scratch_len)
{
	size_t n = f->count(), end = i, skip = strlen(g) + 1;
	bool any = false, first = true;
	struct field_value v;

	for (; end < n && group_of(f, end) != NULL && strcmp(group_of(f, end), g) == 0; end++) {
		f->get(rec, end, &v, scratch, scratch_len);
		any = any || v.kind != FIELD_NULL;
	}
	*next = end;
	if (put_str(fp, g) < 0 || fputc(':', fp) == EOF)
		return -1;
	if (!any)
		return fputs("null", fp) == EOF ? -1 : 0;
	if (fputc('{', fp) == EOF)
		return -1;
	for (; i < end; i++) {
		const char *name = f->name(i);

		f->get(rec, i, &v, scratch, scratch_len);
		if ((!first && fputc(',', fp) == EOF) ||
		    put_str(fp, strlen(name) > skip ? name + skip : name) < 0 ||
		    fputc(':', fp) == EOF || put_value(fp, &v) < 0)
			return -1;
		first = false;
	}
	return fputc('}', fp) == EOF ? -1 : 0;
}

/* Results and other records alike: their fields as one object, keys from
 * the field table in its order, a group's fields as one nested object. */
static int put_fields(FILE *fp, const struct field_set *f, const void *rec)
{
	char scratch[RESULT_SCRATCH_LEN];
	size_t n = f->count();

	if (fputc('{', fp) == EOF)
		return -1;
	for (size_t i = 0; i < n;) {
		struct field_value v;
		const char *g = group_of(f, i);

		if (i > 0 && fputc(',', fp) == EOF)
			return -1;
		if (g != NULL) {
			if (put_group(fp, f, rec, g, i, &i, scratch, sizeof scratch) < 0)
				return -1;
			continue;
		}
		f->get(rec, i, &v, scratch, sizeof scratch);
		if (put_str(fp, f->name(i)) < 0 || fputc(':', fp) == EOF ||
		    put_value(fp, &v) < 0)
			return -1;
		i++;
	}
	return fputc('}', fp) == EOF ? -1 : 0;
}

static int put_record(FILE *fp, const struct result *r)
{
	return put_fields(fp, &result_fields, r);
}

static void *jsonl_open(FILE *fp, const struct scan_meta *meta)
{
	/* JSON Lines has no header: every line stands alone. */
	return calloc(1, sizeof(struct json_state));
}

static void *jsonl_append(FILE *fp, const struct scan_meta *meta)
{
	if (fseeko(fp, 0, SEEK_END) != 0)
		return NULL;
	return jsonl_open(fp, meta);
}

static int jsonl_write(void *state, FILE *fp, const struct result *r)
{
	struct json_state *st = state;

	errno = 0;
	if (put_record(fp, r) < 0 || fputc('\n', fp) == EOF)
		return writer_failed();
	st->count++;
	return writer_end_record(fp);
}

static int jsonl_close(void *state, FILE *fp,
		       const struct metrics_snapshot *summary, time_t end)
{
	free(state);
	return writer_end_record(fp);
}

/* The order's seed ("0": index order), whether it was derived from the scan
 * (a shard without --seed), and the shard as "I/N" or null: with these and
 * the scan block's targets and ports, the run can be repeated. The seed is a
 * decimal string: it may exceed 2^53, which readers that hold numbers as
 * doubles (JavaScript, jq 1.6) would round. */
static int put_order(FILE *fp, const struct scan_order *o)
{
	if (fprintf(fp, ",\"seed\":\"%" PRIu64 "\",\"seed_derived\":%s,\"shard\":", o->seed,
		    o->derived ? "true" : "false") < 0)
		return -1;
	if (o->nshards <= 1 && !o->sharded) {
		if (fputs("null", fp) == EOF)
			return -1;
	} else if (fprintf(fp, "\"%" PRIu64 "/%" PRIu64 "\"", o->shard + 1, o->nshards) < 0) {
		return -1;
	}
	/* The identity the shards of one scan share, and the shard as numbers
	 * for a merge to check. */
	if (o->scan_id[0] != '\0' && fprintf(fp, ",\"scan_id\":\"%s\"", o->scan_id) < 0)
		return -1;
	if ((o->nshards > 1 || o->sharded) &&
	    fprintf(fp, ",\"shard_index\":%" PRIu64 ",\"shard_count\":%" PRIu64, o->shard + 1,
		    o->nshards) < 0)
		return -1;
	return 0;
}

static int put_meta(FILE *fp, const struct scan_meta *meta)
{
	if (fputs("{\"portolan\":{\"version\":", fp) == EOF ||
	    put_str(fp, meta != NULL ? meta->version : NULL) < 0 ||
	    fprintf(fp, ",\"format\":%d},\n \"scan\":", JSON_FORMAT) < 0)
		return -1;
	if (meta == NULL)
		return fputs("null,\n \"results\":[", fp) == EOF ? -1 : 0;

	if (fputs("{\"start\":", fp) == EOF || put_time(fp, meta->start) < 0 ||
	    fputs(",\"targets\":[", fp) == EOF)
		return -1;
	for (size_t i = 0; meta->targets != NULL && meta->targets[i] != NULL; i++)
		if ((i > 0 && fputc(',', fp) == EOF) ||
		    put_str(fp, meta->targets[i]) < 0)
			return -1;
	if (fputs("],\"ports\":", fp) == EOF || put_str(fp, meta->ports) < 0 ||
	    fprintf(fp, ",\"threads\":%u,\"timeout_ms\":%u,\"retries\":%u,"
		    "\"states\":", meta->threads, meta->timeout_ms,
		    meta->retries) < 0 ||
	    put_str(fp, meta->states) < 0 || put_order(fp, &meta->order) < 0 ||
	    fputs("},\n \"results\":[", fp) == EOF)
		return -1;
	return 0;
}

static void *json_open(FILE *fp, const struct scan_meta *meta)
{
	struct json_state *st = calloc(1, sizeof *st);

	if (st == NULL)
		return NULL;
	st->udp = meta_udp(meta);
	errno = 0;
	if (put_meta(fp, meta) < 0) {
		writer_failed();
		goto fail;
	}
	if (writer_end_record(fp) < 0)
		goto fail;
	return st;
fail:
	free(st);
	return NULL;
}

/* The trailer close writes, with and without records before it; both end
 * in SUMMARY_KEY. A summary is far shorter than TAIL_MAX. */
#define SUMMARY_KEY "\"summary\":"
#define TRAILER "\n ],\n \"summary\":"
#define TRAILER_EMPTY "],\n \"summary\":"
#define TAIL_MAX 65536
/* The "hosts" block's start: on a line of its own, as nothing inside a
 * record (one line each, newlines escaped) can be. */
#define HOSTS_KEY "\n \"hosts\":["

/* Whether the text before `key` (which starts at tail + at) is `marker`
 * minus its last strlen(SUMMARY_KEY) bytes; on a match *start is where the
 * marker begins. */
static bool marker_at(const char *tail, size_t at, const char *marker, size_t *start)
{
	size_t lead = strlen(marker) - strlen(SUMMARY_KEY);

	if (at < lead || strncmp(tail + at - lead, marker, lead) != 0)
		return false;
	*start = at - lead;
	return true;
}

/* ---- the "hosts" block of a document continued ---- */

struct host_entry {
	struct result r;
	char *name;
	bool have_ip, have_state;
};

static bool host_member(struct json_reader *rd, const char *key, void *ud)
{
	struct host_entry *e = ud;
	const char *s;
	int v;

	if (json_peek(rd) == 'n')
		return json_read_literal(rd, "null");
	if (strcmp(key, "latency_ms") == 0)
		return json_read_real(rd, &e->r.latency_ms);
	if (json_peek(rd) != '"')
		return json_skip_value(rd);
	if (!json_read_string(rd, &s, NULL))
		return false;
	if (strcmp(key, "ip") == 0) {
		e->have_ip = pl_addr_parse(s, &e->r.addr);
	} else if (strcmp(key, "host") == 0) {
		g_free(e->name);
		e->name = g_strdup(s);
	} else if (strcmp(key, "state") == 0) {
		v = port_state_parse(s);
		e->have_state = v == STATE_UP || v == STATE_DOWN;
		e->r.state = e->have_state ? (enum port_state)v : STATE_DOWN;
	} else if (strcmp(key, "reason") == 0) {
		v = reason_parse(s);
		e->r.reason = v >= 0 ? (enum reason)v : REASON_NO_RESPONSE;
	}
	return true;
}

static bool host_element(struct json_reader *rd, void *ud)
{
	struct json_state *st = ud;
	struct host_entry e;
	bool ok;

	memset(&e, 0, sizeof e);
	ok = json_read_object(rd, host_member, &e);
	if (ok && (!e.have_ip || !e.have_state)) {
		json_fail(rd, "a host without an \"ip\" or an up or down \"state\"");
		ok = false;
	}
	e.r.host = e.name;
	if (ok && hosts_add(st, &e.r) < 0) {
		json_fail(rd, "cannot keep the hosts: %s", g_strerror(errno));
		ok = false;
	}
	g_free(e.name);
	return ok;
}

/* The offset of HOSTS_KEY in fp, or -1 when the document has none. A
 * forward scan in blocks that overlap by the key's length less one. */
static off_t find_hosts_key(FILE *fp, off_t size)
{
	size_t klen = strlen(HOSTS_KEY);
	char *buf = malloc(TAIL_MAX + klen);
	off_t at = -1, pos = 0;
	size_t keep = 0;

	if (buf == NULL || fseeko(fp, 0, SEEK_SET) != 0)
		goto out;
	while (pos < size) {
		size_t n = fread(buf + keep, 1, TAIL_MAX, fp);
		char *hit;

		if (n == 0)
			break;
		n += keep;
		hit = g_strstr_len(buf, (gssize)n, HOSTS_KEY);
		if (hit != NULL) {
			at = pos - (off_t)keep + (hit - buf);
			break;
		}
		pos += (off_t)(n - keep);
		keep = n < klen - 1 ? n : klen - 1;
		memmove(buf, buf + n - keep, keep);
	}
out:
	free(buf);
	return at;
}

/* A document closed with a "hosts" block: its hosts back into st, since
 * close writes the block again with this run's hosts among them, and
 * *start where the results array's closing bracket begins. Returns 1 when
 * done, 0 when the document has no such block, -1 with errno set (EINVAL:
 * a block this writer did not write). */
static int hosts_resume(struct json_state *st, FILE *fp, off_t size, off_t *start)
{
	off_t at = find_hosts_key(fp, size);
	char before[4];
	struct json_reader *rd;
	GError *e = NULL;
	bool ok;

	if (at < 0)
		return 0;
	if (at < 4 || fseeko(fp, at - 4, SEEK_SET) != 0 ||
	    fread(before, 1, sizeof before, fp) != sizeof before)
		goto invalid;
	if (memcmp(before, "\n ],", 4) == 0) {
		*start = at - 4;
		st->count = 1;
	} else if (memcmp(before + 1, "[],", 3) == 0) {
		*start = at - 2;
		st->count = 0;
	} else {
		goto invalid;
	}
	if (fseeko(fp, at + (off_t)strlen(HOSTS_KEY) - 1, SEEK_SET) != 0)
		return -1;
	rd = json_reader_new(fp, "the JSON output", &e);
	ok = rd != NULL && json_read_array(rd, host_element, st);
	json_reader_free(rd);
	if (e != NULL)
		g_error_free(e);
	if (ok)
		return 1;
invalid:
	errno = EINVAL;
	return -1;
}

/* Finds where the next record goes in a document this writer wrote: before
 * its trailer, or after its last complete record when the scan that wrote
 * it stopped at once (second signal) and wrote no trailer. */
static void *json_append(FILE *fp, const struct scan_meta *meta)
{
	struct json_state *st;
	char *tail = NULL, *hit = NULL;
	off_t size, from;
	size_t n, start;
	int err;

	if (fseeko(fp, 0, SEEK_END) != 0 || (size = ftello(fp)) < 0)
		return NULL;
	if (size == 0)
		return json_open(fp, meta);
	st = calloc(1, sizeof *st);
	if (st == NULL)
		return NULL;
	st->udp = meta_udp(meta);
	switch (hosts_resume(st, fp, size, &from)) {
	case 1:
		start = 0;
		goto truncate;
	case 0:
		break;
	default:
		goto fail;
	}
	from = size > TAIL_MAX ? size - TAIL_MAX : 0;
	tail = malloc((size_t)(size - from) + 1);
	if (tail == NULL || fseeko(fp, from, SEEK_SET) != 0)
		goto fail;
	n = fread(tail, 1, (size_t)(size - from), fp);
	tail[n] = '\0';
	for (char *p = tail; (p = strstr(p, SUMMARY_KEY)) != NULL; p++)
		hit = p;
	if (hit != NULL && marker_at(tail, (size_t)(hit - tail), TRAILER, &start)) {
		st->count = 1;
	} else if (hit != NULL && marker_at(tail, (size_t)(hit - tail), TRAILER_EMPTY, &start)) {
		st->count = 0;
	} else {
		/* No trailer: the document ends after its last complete record. */
		while (n > 0 && (tail[n - 1] == '\n' || tail[n - 1] == ' '))
			n--;
		if (n == 0 || (tail[n - 1] != '}' && tail[n - 1] != '['))
			goto invalid;
		st->count = tail[n - 1] == '}';
		start = n;
	}
truncate:
	if (fflush(fp) != 0 || ftruncate(fileno(fp), from + (off_t)start) != 0 ||
	    fseeko(fp, from + (off_t)start, SEEK_SET) != 0)
		goto fail;
	free(tail);
	return st;
invalid:
	errno = EINVAL;
fail:
	err = errno;
	free(tail);
	json_state_free(st);
	errno = err;
	return NULL;
}

static int json_write(void *state, FILE *fp, const struct result *r)
{
	struct json_state *st = state;

	errno = 0;
	if (hosts_add(st, r) < 0)
		return -1;
	if (fputs(st->count > 0 ? ",\n  " : "\n  ", fp) == EOF ||
	    put_record(fp, r) < 0)
		return writer_failed();
	st->count++;
	return writer_end_record(fp);
}

/* A host row --states leaves out of "results": the "hosts" block still
 * lists its host. */
static int json_note(void *state, FILE *fp, const struct result *r)
{
	errno = 0;
	return hosts_add(state, r);
}

/* udp: the scan's ports are UDP; only then is there an "open|filtered"
 * count (a TCP scan's summary stays as it always was). */
static int put_summary(FILE *fp, const struct metrics_snapshot *s, time_t end, bool udp)
{
	if (s == NULL)
		return fputs("null", fp) == EOF ? -1 : 0;
	if (fputs("{\"end\":", fp) == EOF || put_time(fp, end) < 0 ||
	    fputs(",\"elapsed_s\":", fp) == EOF ||
	    put_real(fp, s->elapsed_s, 3) < 0 || fputc(',', fp) == EOF ||
	    put_u64(fp, "hosts", s->hosts, ",") < 0 ||
	    put_u64(fp, "total", s->total, ",") < 0 ||
	    put_u64(fp, "probes", s->probes, ",") < 0)
		return -1;
	/* The state counts use the state names, as the "state" field does;
	 * port states only (host rows are counted apart). */
	for (int i = 0; i < STATE_COUNT; i++)
		if (port_state_is_port((enum port_state)i) &&
		    (i != STATE_OPEN_FILTERED || udp) && put_u64(fp, port_state_name((enum port_state)i),
			    s->state[i], ",") < 0)
			return -1;
	/* Hosts up and down by their host rows: only when discovery ran, as
	 * "packets" only for a packet method. */
	if (metrics_discovered(s) &&
	    (put_u64(fp, "up", s->state[STATE_UP], ",") < 0 ||
	     put_u64(fp, "down", s->state[STATE_DOWN], ",") < 0))
		return -1;
	/* Only a packet method (SYN) has packets to count. */
	if (s->pkt_sent > 0 &&
	    (fputs("\"packets\":{", fp) == EOF || put_u64(fp, "sent", s->pkt_sent, ",") < 0 ||
	     put_u64(fp, "received", s->pkt_received, ",") < 0 ||
	     put_u64(fp, "retransmitted", s->pkt_retransmitted, ",") < 0 ||
	     put_u64(fp, "rejected", s->pkt_rejected, ",") < 0 ||
	     put_u64(fp, "dropped", s->pkt_dropped, "},") < 0))
		return -1;
	if (put_u64(fp, "attempts", s->attempts, ",") < 0 ||
	    put_u64(fp, "retries", s->retries, ",") < 0 ||
	    fputs("\"rate\":", fp) == EOF || put_real(fp, s->rate, 1) < 0 ||
	    fputc('}', fp) == EOF)
		return -1;
	return 0;
}

int writer_json_summary(FILE *fp, const struct metrics_snapshot *summary, time_t end)
{
	return put_summary(fp, summary, end,
			   summary != NULL && summary->state[STATE_OPEN_FILTERED] > 0);
}

struct hosts_drain {
	FILE *fp;
	uint64_t count;
};

/* One host of the "hosts" block: {"ip","host","state","reason","latency_ms"},
 * the keys and values of its host row. */
static int put_host(void *ud, struct xml_host *h)
{
	struct hosts_drain *d = ud;
	char ip[PL_ADDRSTRLEN];

	if (h->status == STATE_COUNT)
		return 0;
	pl_addr_format(&h->key.addr, ip, sizeof ip);
	ip[sizeof ip - 1] = '\0';
	if (fputs(d->count > 0 ? ",\n  {\"ip\":" : "\n  {\"ip\":", d->fp) == EOF ||
	    put_str(d->fp, ip) < 0 || fputs(",\"host\":", d->fp) == EOF ||
	    (h->key.name != NULL ? put_str(d->fp, h->key.name)
				 : fputs("null", d->fp) == EOF ? -1 : 0) < 0 ||
	    fputs(",\"state\":", d->fp) == EOF ||
	    put_str(d->fp, port_state_name((enum port_state)h->status)) < 0 ||
	    fputs(",\"reason\":", d->fp) == EOF ||
	    put_str(d->fp, reason_name((enum reason)h->status_reason)) < 0 ||
	    fputs(",\"latency_ms\":", d->fp) == EOF ||
	    put_real(d->fp, h->status_ms, 3) < 0 || fputc('}', d->fp) == EOF)
		return writer_failed();
	d->count++;
	return 0;
}

/* The "hosts" block, after "results" (whose closing bracket is written):
 * every host with a host row, once, in address order. */
static int put_hosts(struct json_state *st, FILE *fp)
{
	struct hosts_drain d = { .fp = fp };

	if (fputs(HOSTS_KEY, fp) == EOF)
		return writer_failed();
	errno = 0;
	if (xml_hosts_drain(st->hosts, put_host, &d) != 0)
		return -1;
	return fputs(d.count > 0 ? "\n ]," : "],", fp) == EOF ? writer_failed() : 0;
}

static int json_close(void *state, FILE *fp,
		      const struct metrics_snapshot *summary, time_t end)
{
	struct json_state *st = state;
	int rc;

	errno = 0;
	/* An empty array stays on one line; after objects, the bracket goes
	 * on its own line to match their indentation. The hosts block, when
	 * there were host rows, goes between the results and the summary. */
	if (st->hosts == NULL) {
		if (fputs(st->count > 0 ? TRAILER : TRAILER_EMPTY, fp) == EOF)
			goto failed;
	} else if (fputs(st->count > 0 ? "\n ]," : "],", fp) == EOF) {
		goto failed;
	} else if (put_hosts(st, fp) < 0 || fputs("\n " SUMMARY_KEY, fp) == EOF) {
		goto failed;
	}
	if (put_summary(fp, summary, end, st->udp) < 0 || fputs("}\n", fp) == EOF)
		goto failed;
	rc = writer_end_record(fp);
	json_state_free(st);
	return rc;
failed:
	rc = writer_failed();
	json_state_free(st);
	return rc;
}

/* ---- other records: JSON Lines, or a document of their own ---- */

struct json_records {
	const struct record_kind *kind;
	bool lines;              /* JSON Lines: no header, no trailer */
	uint64_t count;
};

static struct json_records *records_new(const struct record_kind *k, bool lines)
{
	struct json_records *st = calloc(1, sizeof *st);

	if (st == NULL)
		return NULL;
	st->kind = k;
	st->lines = lines;
	return st;
}

static void *jsonl_records_open(FILE *fp, const struct record_kind *k)
{
	return records_new(k, true);
}

static void *json_records_open(FILE *fp, const struct record_kind *k)
{
	struct json_records *st = records_new(k, false);

	if (st == NULL)
		return NULL;
	errno = 0;
	if (fputs("{\"portolan\":{\"version\":", fp) == EOF || put_str(fp, PORTOLAN_VERSION) < 0 ||
	    fprintf(fp, ",\"format\":%d},\n ", k->format) < 0 || put_str(fp, k->array) < 0 ||
	    fputs(":[", fp) == EOF) {
		writer_failed();
		goto fail;
	}
	if (writer_end_record(fp) < 0)
		goto fail;
	return st;
fail:
	free(st);
	return NULL;
}

static int json_records_write(void *state, FILE *fp, const void *rec)
{
	struct json_records *st = state;

	errno = 0;
	if (!st->lines && fputs(st->count > 0 ? ",\n  " : "\n  ", fp) == EOF)
		return writer_failed();
	if (put_fields(fp, st->kind->fields, rec) < 0 || (st->lines && fputc('\n', fp) == EOF))
		return writer_failed();
	st->count++;
	return writer_end_record(fp);
}

static int json_records_close(void *state, FILE *fp, const void *ctx)
{
	struct json_records *st = state;
	int rc;

	errno = 0;
	if (fp == NULL)
		rc = 0;
	/* As the results document ends: see json_close. */
	else if (!st->lines &&
	    (fputs(st->count > 0 ? TRAILER : TRAILER_EMPTY, fp) == EOF ||
	     st->kind->summary(fp, ctx) < 0 || fputs("}\n", fp) == EOF))
		rc = writer_failed();
	else
		rc = writer_end_record(fp);
	free(st);
	return rc;
}

static const struct record_ops json_records = {
	.open = json_records_open,
	.write = json_records_write,
	.close = json_records_close,
};

static const struct record_ops jsonl_records = {
	.open = jsonl_records_open,
	.write = json_records_write,
	.close = json_records_close,
};

static const char *const json_extensions[] = { ".json", NULL };
static const char *const jsonl_extensions[] = { ".jsonl", ".ndjson", NULL };

const struct writer_ops writer_json = {
	.name = "json",
	.extensions = json_extensions,
	.open = json_open,
	.append = json_append,
	.write = json_write,
	.note = json_note,
	.close = json_close,
	.records = &json_records,
};

const struct writer_ops writer_jsonl = {
	.name = "jsonl",
	.extensions = jsonl_extensions,
	.open = jsonl_open,
	.append = jsonl_append,
	.write = jsonl_write,
	.close = jsonl_close,
	.records = &jsonl_records,
};
