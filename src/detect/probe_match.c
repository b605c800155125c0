/* probe_match.c: running a probe's patterns over a server's reply.
 *
 * Rules are tried in file order and the first that matches wins; its
 * templates are expanded with the capture groups. GRegex objects are
 * immutable once compiled (probe_schema.c compiles them without
 * G_REGEX_OPTIMIZE) and every match uses its own GMatchInfo, so any number
 * of threads may match against one database at once without a lock. */

#include "probe_db.h"
#include "probe_schema.h"

#include <string.h>

enum {
	FIELD_MAX = 256,                  /* bytes in an expanded field */
	MATCH_INPUT_MAX = 16 * 1024 * 1024, /* GRegex offsets are gint */
};

void service_match_clear(struct service_match *m)
{
	if (!m)
		return;
	g_free(m->service);
	g_free(m->product);
	g_free(m->version);
	g_free(m->info);
	g_free(m->hostname);
	g_free(m->os_hint);
	memset(m, 0, sizeof(*m));
}

/* ------------------------------------------------------------------ */
/* Matching                                                            */

/* Appends bytes keeping printable ASCII only: tabs, CR and LF become one
 * space, other bytes are dropped, runs of spaces collapse, and the field
 * stops at FIELD_MAX bytes. This is not an escaper but the documented form
 * of a product or version field (probes/README.md; fuzz_match checks it):
 * each writer escapes the field for its format afterwards, and a version
 * column that compares equal across scans must not carry \xNN escapes of
 * whatever stray bytes a banner held, as text_printable() would write. */
static void append_clean(GString *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n && out->len < FIELD_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\t' || c == '\r' || c == '\n')
			c = ' ';
		if (c < 0x20 || c >= 0x7f)
			continue;
		if (c == ' ' && (out->len == 0 || out->str[out->len - 1] == ' '))
			continue;
		g_string_append_c(out, (char)c);
	}
}

static char *expand(const char *tmpl, const GMatchInfo *mi, const uint8_t *resp)
{
	GString *out;

	if (!tmpl)
		return NULL;
	out = g_string_sized_new(32);
	for (const char *t = tmpl; *t; t++) {
		if (t[0] == '$' && t[1] >= '1' && t[1] <= '9') {
			gint start = -1, end = -1;

			if (g_match_info_fetch_pos(mi, t[1] - '0', &start, &end) &&
			    start >= 0 && end > start)
				append_clean(out, (const char *)resp + start, (size_t)(end - start));
			t++;
		} else if (t[0] == '$' && t[1] == '$') {
			append_clean(out, "$", 1);
			t++;
		} else {
			append_clean(out, t, 1);
		}
	}
	while (out->len > 0 && out->str[out->len - 1] == ' ')
		g_string_truncate(out, out->len - 1);
	if (out->len == 0) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

bool probe_match(const struct probe *p, const uint8_t *resp, size_t len,
		 struct service_match *out)
{
	if (!p || !out)
		return false;
	if (!resp) {
		resp = (const uint8_t *)"";
		len = 0;
	}
	if (len > MATCH_INPUT_MAX)
		len = MATCH_INPUT_MAX;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct match_rule *r = &p->rules[i];
		GMatchInfo *mi = NULL;
		GError *gerr = NULL;
		gboolean hit;

		/* Errors (a hostile response hitting PCRE's match limit) count
		 * as no match. */
		hit = g_regex_match_full(r->re, (const gchar *)resp, (gssize)len, 0, 0,
					 &mi, &gerr);
		g_clear_error(&gerr);
		if (hit) {
			out->service = g_strdup(r->service);
			out->product = expand(r->product, mi, resp);
			out->version = expand(r->version, mi, resp);
			out->info = expand(r->info, mi, resp);
			out->hostname = expand(r->hostname, mi, resp);
			out->os_hint = expand(r->os, mi, resp);
			out->soft = r->soft;
			g_match_info_free(mi);
			return true;
		}
		g_match_info_free(mi);
	}
	return false;
}
