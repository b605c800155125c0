/* detect.c: the detection engine: connections, bounded reads, probe order.
 *
 * Reads are matched as they arrive, so a service that answers at once is
 * identified at once: waiting out a probe's full wait time happens only for
 * services that stay silent or say nothing we recognise. After the first
 * bytes of a reply, a short quiet gap ends the read: a server that drips one
 * byte a second costs one gap, not the probe's whole wait. */
#include "detect.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "clock.h"
#include "netconn.h"
#include "textesc.h"

#define REPLY_MAX 16384          /* bytes read per probe */
#define BANNER_FIELD_MAX 256     /* raw bytes kept in the banner field */
#define QUIET_GAP_MS 300         /* silence that ends a reply once data came */
#define MAX_PROBES 128

struct session {
	const struct detect_config *dc;
	const struct sockaddr *sa;
	socklen_t salen;
	int64_t deadline;
	struct result *r;
	struct service_match best;   /* best match so far (soft or hard) */
	bool have_match;
	const struct probe *banner_probe;
};

static unsigned left_ms(const struct session *s)
{
	int64_t left = s->deadline - mono_ms();

	return left > 0 ? (unsigned)left : 0;
}

static int reconnect(struct session *s)
{
	unsigned t = left_ms(s);
	int fd = -1, err;

	if (t == 0)
		return -1;
	if (t > s->dc->connect_timeout_ms)
		t = s->dc->connect_timeout_ms;
	if (netconn_attempt(s->sa, s->salen, t, NULL, &fd, &err) != ATTEMPT_OPEN)
		return -1;
	return fd;
}

static bool send_all(int fd, const uint8_t *buf, size_t len, const struct session *s)
{
	while (len > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		ssize_t n;
		unsigned t = left_ms(s);

		if (t == 0 || poll(&pfd, 1, (int)t) <= 0)
			return false;
		n = send(fd, buf, len, 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return false;
		}
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* Tries p's matches, then the banner probe's (a server that speaks first
 * says its banner whatever we sent). A hard match ends detection. */
static bool try_match(struct session *s, const struct probe *p, const uint8_t *buf, size_t len)
{
	struct service_match m = { 0 };

	if (!probe_match(p, buf, len, &m) &&
	    (s->banner_probe == NULL || p == s->banner_probe ||
	     !probe_match(s->banner_probe, buf, len, &m)))
		return false;
	if (!m.soft || !s->have_match) {
		service_match_clear(&s->best);
		s->best = m;
		s->have_match = true;
	} else {
		service_match_clear(&m);
	}
	return !s->best.soft;
}

/* Reads a reply for up to wait_ms, matching as bytes arrive. Returns true
 * when a hard match was found. */
static bool read_reply(struct session *s, int fd, const struct probe *p, unsigned wait_ms,
		       uint8_t *buf, size_t *len)
{
	int64_t end = mono_ms() + wait_ms;

	*len = 0;
	if (end > s->deadline)
		end = s->deadline;
	while (*len < REPLY_MAX) {
		int64_t now = mono_ms(), limit = end;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int rc;

		if (*len > 0 && now + QUIET_GAP_MS < limit)
			limit = now + QUIET_GAP_MS;
		if (now >= limit)
			break;
		rc = poll(&pfd, 1, (int)(limit - now));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;
		n = recv(fd, buf + *len, REPLY_MAX - *len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;                  /* EOF or reset: match what we have */
		*len += (size_t)n;
		if (try_match(s, p, buf, *len))
			return true;
	}
	return false;
}

static void keep_banner(struct session *s, const uint8_t *buf, size_t len)
{
	if (s->r->banner == NULL && len > 0)
		s->r->banner = text_banner(buf, len, BANNER_FIELD_MAX);
}

void detect_service(const struct detect_config *dc, int fd, const struct sockaddr *sa,
		    socklen_t salen, struct result *r)
{
	struct session s = {
		.dc = dc, .sa = sa, .salen = salen, .r = r,
		.deadline = mono_ms() + dc->budget_ms,
	};
	const struct probe *list[MAX_PROBES], *tried[MAX_PROBES];
	size_t n, ntried = 0, len;
	uint8_t *buf = g_malloc(REPLY_MAX);
	bool done = false, fd_fresh = fd != -1;
	const char *soft = NULL;

	n = probe_db_order(dc->db, r->port, NULL, list, MAX_PROBES);
	if (n > 0) {
		(void)probe_payload(list[0], &len);
		if (len == 0)
			s.banner_probe = list[0];
	}

	/* 1. The banner: on the port-scan connection, before sending anything.
	 * A port another probe lists skips the wait: a server that speaks first
	 * still shows its banner in the reply to that probe, and the banner
	 * matches are tried on every reply. */
	if (s.banner_probe != NULL) {
		unsigned wait = dc->banner_wait_ms;

		if (probe_lists_port(s.banner_probe, r->port))
			wait = probe_wait_ms(s.banner_probe);
		else if (n > 1 && probe_lists_port(list[1], r->port))
			wait = 0;
		if (wait > 0 && fd == -1)
			fd = reconnect(&s);
		if (wait > 0 && fd != -1) {
			done = read_reply(&s, fd, s.banner_probe, wait, buf, &len);
			keep_banner(&s, buf, len);
			fd_fresh = len == 0;
		}
		tried[ntried++] = s.banner_probe;
	}

	/* 2. Probes, those listing the port first; after a soft match only
	 * those that can name a version of that service. */
	while (!done && left_ms(&s) > 0) {
		const struct probe *p = NULL;
		const uint8_t *payload;
		size_t plen;

		soft = s.have_match && s.best.soft ? s.best.service : NULL;
		n = probe_db_order(dc->db, r->port, soft, list, MAX_PROBES);
		for (size_t i = 0; i < n && p == NULL; i++) {
			bool seen = false;

			for (size_t j = 0; j < ntried && !seen; j++)
				seen = tried[j] == list[i];
			if (!seen)
				p = list[i];
		}
		if (p == NULL || ntried == MAX_PROBES)
			break;
		tried[ntried++] = p;
		payload = probe_payload(p, &plen);
		if (plen == 0)
			continue;
		if (fd != -1 && (!fd_fresh || probe_needs_fresh_connection(p))) {
			netconn_abort(fd);
			fd = -1;
		}
		if (fd == -1 && (fd = reconnect(&s)) == -1)
			break;
		fd_fresh = false;
		if (!send_all(fd, payload, plen, &s))
			continue;
		done = read_reply(&s, fd, p, probe_wait_ms(p), buf, &len);
		keep_banner(&s, buf, len);
	}
	if (fd != -1)
		netconn_abort(fd);
	if (s.have_match) {
		r->service = s.best.service;
		r->product = s.best.product;
		r->version = s.best.version;
		r->info = s.best.info;
		r->os_hint = s.best.os_hint;
		g_free(s.best.hostname);
	}
	g_free(buf);
}
