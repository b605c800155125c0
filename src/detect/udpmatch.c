/* udpmatch.c: a UDP reply's service from the UDP probes' match rules (see
 * udpmatch.h). A hard match wins at once; a soft one is kept while the
 * other probes' rules may still give a version. */
#include "udpmatch.h"

#include <glib.h>

#include "textesc.h"

#define BANNER_FIELD_MAX 256     /* raw bytes kept in the banner field, as TCP's */

static void take(char **dst, char **src)
{
	if (*dst == NULL && *src != NULL && (*src)[0] != '\0') {
		*dst = *src;
		*src = NULL;
	}
}

void udp_match_move(struct result *to, struct result *from)
{
	char **t[] = { &to->service, &to->product, &to->version, &to->info, &to->os_hint };
	char **f[] = { &from->service, &from->product, &from->version, &from->info,
		       &from->os_hint };

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		g_free(*t[i]);
		*t[i] = *f[i];
		*f[i] = NULL;
	}
}

bool udp_reply_credited(const struct probe *sent, const uint8_t *reply, size_t len)
{
	struct service_match m = { 0 };

	if (sent == NULL || !probe_reply_any_port(sent) || !probe_match(sent, reply, len, &m))
		return false;
	service_match_clear(&m);
	return true;
}

enum udp_match udp_match_reply(const struct probe_db *db, uint16_t port,
			       const struct probe *sent, const uint8_t *reply, size_t len,
			       struct result *r)
{
	enum udp_match got;
	const struct probe *list[UDP_PROBES_MAX + 1];
	struct service_match best = { 0 }, m = { 0 };
	bool found = false;
	size_t n = 0;

	if (r->banner == NULL && len > 0)
		r->banner = text_banner(reply, len, BANNER_FIELD_MAX);
	if (sent != NULL)
		list[n++] = sent;
	{
		const struct probe *more[UDP_PROBES_MAX];
		size_t k = probe_db_udp(db, port, more, UDP_PROBES_MAX);

		for (size_t i = 0; i < k; i++)
			if (more[i] != sent)
				list[n++] = more[i];
	}
	for (size_t i = 0; i < n; i++) {
		if (!probe_match(list[i], reply, len, &m))
			continue;
		if (!found || (best.soft && !m.soft)) {
			service_match_clear(&best);
			best = m;
			m = (struct service_match){ 0 };
			found = true;
		} else {
			service_match_clear(&m);
		}
		if (!best.soft)
			break;
	}
	if (!found)
		return UDP_MATCH_NONE;
	got = best.soft ? UDP_MATCH_SOFT : UDP_MATCH_HARD;
	take(&r->service, &best.service);
	take(&r->product, &best.product);
	take(&r->version, &best.version);
	take(&r->info, &best.info);
	take(&r->os_hint, &best.os_hint);
	service_match_clear(&best);
	return got;
}
