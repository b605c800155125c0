/* manifest_read.c: reading a shard's manifest and checking its output against
 * it (see manifest_read.h). The manifest is a small JSON document, read with the
 * streaming reader like every other document portolan takes in. */
#include "manifest_read.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "jsonread.h"

struct mctx {
	struct manifest *m;
	bool have_id, have_index, have_count, have_seed, have_complete, have_size, have_sha;
	bool have_version;
};

static bool read_u64(struct json_reader *rd, const char *key, uint64_t *out)
{
	struct json_pos at = json_here(rd);
	bool integer;
	gint64 v;

	if (json_peek(rd) == '-' || !g_ascii_isdigit(json_peek(rd)) ||
	    !json_read_number(rd, &integer, &v) || !integer || v < 0) {
		if (!json_failed(rd))
			json_fail_at(rd, at, "\"%s\": expected a whole number", key);
		return false;
	}
	*out = (uint64_t)v;
	return true;
}

static bool read_str(struct json_reader *rd, const char *key, const char **s)
{
	size_t len;

	if (json_peek(rd) != '"') {
		json_fail(rd, "\"%s\": expected a string", key);
		return false;
	}
	if (!json_read_string(rd, s, &len))
		return false;
	if (strlen(*s) != len) {
		json_fail(rd, "\"%s\": contains a NUL", key);
		return false;
	}
	return true;
}

/* lowercase hex of exactly len digits */
static bool is_hex(const char *s, size_t len)
{
	if (strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!g_ascii_isdigit(s[i]) && (s[i] < 'a' || s[i] > 'f'))
			return false;
	return true;
}

static bool version_member(struct json_reader *rd, const char *key, void *ud)
{
	struct mctx *c = ud;
	struct json_pos at = json_here(rd);
	uint64_t v;

	if (strcmp(key, "manifest") != 0)
		return json_skip_value(rd);
	if (!read_u64(rd, key, &v))
		return false;
	if (v != MANIFEST_VERSION) {
		json_fail_at(rd, at, "manifest version %" PRIu64 " (this portolan reads %d)", v,
			     MANIFEST_VERSION);
		return false;
	}
	c->have_version = true;
	return true;
}

static bool shard_member(struct json_reader *rd, const char *key, void *ud)
{
	struct mctx *c = ud;

	if (strcmp(key, "index") == 0)
		return (c->have_index = read_u64(rd, key, &c->m->index));
	if (strcmp(key, "count") == 0)
		return (c->have_count = read_u64(rd, key, &c->m->count));
	return json_skip_value(rd);
}

static bool output_member(struct json_reader *rd, const char *key, void *ud)
{
	struct mctx *c = ud;
	const char *s;

	if (strcmp(key, "name") == 0) {
		if (!read_str(rd, key, &s))
			return false;
		g_free(c->m->name);
		c->m->name = g_strdup(s);
		return true;
	}
	if (strcmp(key, "size") == 0)
		return (c->have_size = read_u64(rd, key, &c->m->size));
	if (strcmp(key, "sha256") == 0) {
		struct json_pos at = json_here(rd);

		if (!read_str(rd, key, &s))
			return false;
		if (!is_hex(s, 64)) {
			json_fail_at(rd, at, "\"sha256\": expected 64 lowercase hex digits");
			return false;
		}
		memcpy(c->m->sha256, s, 65);
		c->have_sha = true;
		return true;
	}
	return json_skip_value(rd);
}

/* The summary's counts by their JSON keys; others are skipped. */
static bool summary_member(struct json_reader *rd, const char *key, void *ud)
{
	struct metrics_snapshot *s = &((struct mctx *)ud)->m->summary;
	const struct { const char *key; uint64_t *slot; } counts[] = {
		{ "hosts", &s->hosts }, { "total", &s->total }, { "probes", &s->probes },
		{ "attempts", &s->attempts }, { "retries", &s->retries },
		{ "resource_waits", &s->resource_waits }, { "self_connects", &s->self_connects },
	};
	int st;

	for (size_t i = 0; i < G_N_ELEMENTS(counts); i++)
		if (strcmp(key, counts[i].key) == 0)
			return read_u64(rd, key, counts[i].slot);
	if ((st = port_state_parse(key)) >= 0)
		return read_u64(rd, key, &s->state[st]);
	if (strcmp(key, "elapsed_s") == 0 && json_peek(rd) != 'n')
		return json_read_real(rd, &s->elapsed_s);
	if (strcmp(key, "end") == 0 && json_peek(rd) == '"') {
		struct manifest *m = ((struct mctx *)ud)->m;
		const char *t;
		GDateTime *dt;

		if (!json_read_string(rd, &t, NULL))
			return false;
		if ((dt = g_date_time_new_from_iso8601(t, NULL)) != NULL) {
			m->end = (time_t)g_date_time_to_unix(dt);
			g_date_time_unref(dt);
		}
		return true;
	}
	return json_skip_value(rd);
}

static bool object(struct json_reader *rd, const char *key, json_member_fn fn, void *ud)
{
	if (json_peek(rd) != '{') {
		json_fail(rd, "\"%s\": expected an object", key);
		return false;
	}
	return json_read_object(rd, fn, ud);
}

static bool top_member(struct json_reader *rd, const char *key, void *ud)
{
	struct mctx *c = ud;
	struct json_pos at = json_here(rd);
	const char *s;

	if (strcmp(key, "portolan") == 0)
		return object(rd, key, version_member, c);
	if (strcmp(key, "shard") == 0)
		return object(rd, key, shard_member, c);
	if (strcmp(key, "output") == 0)
		return object(rd, key, output_member, c);
	if (strcmp(key, "summary") == 0)
		return object(rd, key, summary_member, c);
	if (strcmp(key, "scan_id") == 0) {
		if (!read_str(rd, key, &s))
			return false;
		if (!is_hex(s, SCAN_ID_LEN)) {
			json_fail_at(rd, at, "\"scan_id\": expected %d lowercase hex digits",
				     SCAN_ID_LEN);
			return false;
		}
		memcpy(c->m->scan_id, s, SCAN_ID_LEN + 1);
		c->have_id = true;
		return true;
	}
	if (strcmp(key, "seed") == 0) {
		char *end;

		if (!read_str(rd, key, &s))
			return false;
		errno = 0;
		c->m->seed = g_ascii_strtoull(s, &end, 10);
		if (!g_ascii_isdigit(s[0]) || *end != '\0' || errno != 0) {
			json_fail_at(rd, at, "\"seed\": expected a decimal number in a string");
			return false;
		}
		c->have_seed = true;
		return true;
	}
	if (strcmp(key, "format") == 0) {
		if (!read_str(rd, key, &s))
			return false;
		g_free(c->m->format);
		c->m->format = g_strdup(s);
		return true;
	}
	if (strcmp(key, "complete") == 0) {
		if (json_peek(rd) != 't' && json_peek(rd) != 'f') {
			json_fail(rd, "\"complete\": expected true or false");
			return false;
		}
		c->m->complete = json_peek(rd) == 't';
		c->have_complete = true;
		return json_read_literal(rd, c->m->complete ? "true" : "false");
	}
	return json_skip_value(rd);
}

/* The first key a manifest lacks, or NULL. */
static const char *missing(const struct mctx *c)
{
	if (!c->have_version)
		return "\"portolan\":{\"manifest\"}";
	if (!c->have_id)
		return "\"scan_id\"";
	if (!c->have_index || !c->have_count)
		return "\"shard\":{\"index\",\"count\"}";
	if (c->m->format == NULL)
		return "\"format\"";
	if (!c->have_complete)
		return "\"complete\"";
	if (!c->have_size || !c->have_sha)
		return "\"output\":{\"size\",\"sha256\"}";
	return NULL;
}

static bool read_manifest(struct json_reader *rd, struct mctx *c)
{
	const char *what;

	json_skip_ws(rd);
	if (json_peek(rd) != '{') {
		json_fail(rd, "expected a JSON object (a shard manifest)");
		return false;
	}
	if (!json_read_object(rd, top_member, c))
		return false;
	json_skip_ws(rd);
	if (json_peek(rd) >= 0) {
		json_fail(rd, "trailing data after the manifest");
		return false;
	}
	if ((what = missing(c)) != NULL) {
		json_fail(rd, "not a shard manifest: no %s", what);
		return false;
	}
	if (c->m->count == 0 || c->m->index == 0 || c->m->index > c->m->count) {
		json_fail(rd, "shard %" PRIu64 "/%" PRIu64 " is not a shard (1 <= index <= count)",
			  c->m->index, c->m->count);
		return false;
	}
	return true;
}

int manifest_read(const char *path, struct manifest *m, GError **err)
{
	struct mctx c = { .m = m };
	struct json_reader *rd;
	FILE *fp;
	bool ok;

	memset(m, 0, sizeof *m);
	if ((fp = fopen(path, "rb")) == NULL) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "cannot read manifest '%s': %s", path,
			    g_strerror(errno));
		return -1;
	}
	rd = json_reader_new(fp, path, err);
	ok = read_manifest(rd, &c);
	json_reader_free(rd);
	fclose(fp);
	if (!ok)
		manifest_clear(m);
	return ok ? 0 : -1;
}

void manifest_clear(struct manifest *m)
{
	g_free(m->format);
	g_free(m->name);
	memset(m, 0, sizeof *m);
}

int manifest_check_output(const struct manifest *m, const char *path, char **why)
{
	GChecksum *sum;
	unsigned char buf[65536];
	uint64_t size = 0;
	size_t n;
	FILE *fp;
	int rc = 0;

	if ((fp = fopen(path, "rb")) == NULL) {
		*why = g_strdup_printf("cannot read it: %s", g_strerror(errno));
		return -1;
	}
	sum = g_checksum_new(G_CHECKSUM_SHA256);
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0) {
		g_checksum_update(sum, buf, n);
		size += n;
	}
	if (ferror(fp)) {
		*why = g_strdup_printf("cannot read it: %s", g_strerror(errno));
		rc = -1;
	} else if (size != m->size) {
		*why = g_strdup_printf("%" PRIu64 " bytes, its manifest says %" PRIu64, size, m->size);
		rc = 1;
	} else if (strcmp(g_checksum_get_string(sum), m->sha256) != 0) {
		*why = g_strdup("its SHA-256 differs from its manifest's");
		rc = 1;
	}
	g_checksum_free(sum);
	fclose(fp);
	return rc;
}
