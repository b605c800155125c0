/* detect.c: the detection engine: connections, bounded reads, probe order.
 *
 * Reads are matched as they arrive, so a service that answers at once is
 * identified at once: waiting out a probe's full wait time happens only for
 * services that stay silent or say nothing we recognise. After the first
 * bytes of a reply, a short quiet gap ends the read: a server that drips one
 * byte a second costs one gap, not the probe's whole wait.
 *
 * TLS is found by a handshake (the tls-client-hello probe's ServerHello, or
 * a port that probe lists): detection then opens a TLS session (tls.h),
 * reads the certificate, tries each version pinned, and runs the probes
 * again inside the session. A plain-text service with a STARTTLS dialogue
 * (starttls.h) is upgraded on a fresh connection for the same facts. Every
 * step shares the port's one budget. */
#include "detect.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <glib.h>

#include "addr.h"
#include "clock.h"
#include "netconn.h"
#include "starttls.h"
#include "textesc.h"
#include "tls.h"

#define REPLY_MAX 16384          /* bytes read per probe */
#define BANNER_FIELD_MAX 256     /* raw bytes kept in the banner field */
#define QUIET_GAP_MS 300         /* silence that ends a reply once data came */
#define MAX_PROBES 128
#define TLS_PROBE "tls-client-hello"

/* Where probes go: a plain socket, or a TLS session on it. */
struct chan {
	int fd;
	struct tls_conn *tls;
};

struct session {
	const struct detect_config *dc;
	const struct sockaddr *sa;
	socklen_t salen;
	int64_t deadline;
	struct result *r;
	struct service_match best;   /* best match so far (soft or hard) */
	bool have_match;
	const struct probe *banner_probe;
	/* Inside TLS: every connection is wrapped (after `starttls`'s
	 * dialogue when set), with `sni`. */
	bool wrap;
	const char *starttls;
	const char *sni;
	const char *host;            /* for STARTTLS greetings: name or address */
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

static void chan_close(struct chan *ch)
{
	tls_conn_free(ch->tls);
	ch->tls = NULL;
	if (ch->fd != -1)
		netconn_abort(ch->fd);
	ch->fd = -1;
}

/* A fresh connection, with its STARTTLS dialogue and its handshake (pin)
 * when the session is wrapped. *st says how the handshake went. */
static bool chan_open(struct session *s, struct chan *ch, bool wrap, int pin, int64_t until,
		      enum tls_status *st)
{
	enum tls_status dummy;

	if (st == NULL)
		st = &dummy;
	*st = TLS_FAILED;
	ch->tls = NULL;
	if ((ch->fd = reconnect(s)) == -1)
		return false;
	if (!wrap)
		return true;
	if (until > s->deadline)
		until = s->deadline;
	if (s->starttls != NULL &&
	    starttls_upgrade(ch->fd, s->starttls, s->host, until) != STARTTLS_OK) {
		*st = mono_ms() >= until ? TLS_TIMEOUT : TLS_FAILED;
		chan_close(ch);
		return false;
	}
	*st = tls_handshake(ch->fd, s->sni, pin, until, &ch->tls);
	if (*st != TLS_DONE) {
		chan_close(ch);
		return false;
	}
	return true;
}

static bool send_all(const struct chan *ch, const uint8_t *buf, size_t len,
		     const struct session *s)
{
	if (ch->tls != NULL)
		return tls_send_all(ch->tls, buf, len, s->deadline);
	while (len > 0) {
		struct pollfd pfd = { .fd = ch->fd, .events = POLLOUT };
		ssize_t n;
		unsigned t = left_ms(s);

		if (t == 0 || poll(&pfd, 1, (int)t) <= 0)
			return false;
		n = send(ch->fd, buf, len, 0);
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

/* > 0 bytes, 0 end, -1 error, -2 nothing before `until`. */
static ssize_t chan_recv(const struct chan *ch, uint8_t *buf, size_t len, int64_t until)
{
	for (;;) {
		struct pollfd pfd = { .fd = ch->fd, .events = POLLIN };
		int64_t now = mono_ms();
		ssize_t n;
		int rc;

		if (ch->tls != NULL)
			return tls_recv(ch->tls, buf, len, until);
		if (now >= until)
			return -2;
		rc = poll(&pfd, 1, (int)(until - now));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc == 0)
			return -2;
		if (rc < 0)
			return -1;
		n = recv(ch->fd, buf, len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		return n < 0 ? -1 : n;
	}
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
static bool read_reply(struct session *s, const struct chan *ch, const struct probe *p,
		       unsigned wait_ms, uint8_t *buf, size_t *len)
{
	int64_t end = mono_ms() + wait_ms;

	*len = 0;
	if (end > s->deadline)
		end = s->deadline;
	while (*len < REPLY_MAX) {
		int64_t now = mono_ms(), limit = end;
		ssize_t n;

		if (*len > 0 && now + QUIET_GAP_MS < limit)
			limit = now + QUIET_GAP_MS;
		if (now >= limit)
			break;
		n = chan_recv(ch, buf + *len, REPLY_MAX - *len, limit);
		if (n <= 0)
			break;                  /* end, error or quiet: match what we have */
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

/* The banner, then the probes, on ch (taken over and closed here; fd -1:
 * none yet). skip: a probe not to send. Leaves the best match in s. */
static void identify(struct session *s, struct chan *ch, bool fd_fresh, const struct probe *skip,
		     uint8_t *buf)
{
	const struct probe *list[MAX_PROBES], *tried[MAX_PROBES];
	size_t n, ntried = 0, len;
	bool done = false;
	const char *soft = NULL;

	s->banner_probe = NULL;
	if (skip != NULL)
		tried[ntried++] = skip;
	n = probe_db_order(s->dc->db, s->r->port, NULL, list, MAX_PROBES);
	if (n > 0) {
		(void)probe_payload(list[0], &len);
		if (len == 0)
			s->banner_probe = list[0];
	}

	/* 1. The banner: on the port-scan connection, before sending anything.
	 * A port another probe lists skips the wait: a server that speaks first
	 * still shows its banner in the reply to that probe, and the banner
	 * matches are tried on every reply. */
	if (s->banner_probe != NULL) {
		unsigned wait = s->dc->banner_wait_ms;
		size_t next = 1;

		while (next < n && list[next] == skip)
			next++;
		if (probe_lists_port(s->banner_probe, s->r->port))
			wait = probe_wait_ms(s->banner_probe);
		else if (next < n && probe_lists_port(list[next], s->r->port))
			wait = 0;
		if (wait > 0 && ch->fd == -1)
			(void)chan_open(s, ch, s->wrap, TLS_ANY_VERSION, s->deadline, NULL);
		if (wait > 0 && ch->fd != -1) {
			done = read_reply(s, ch, s->banner_probe, wait, buf, &len);
			keep_banner(s, buf, len);
			fd_fresh = len == 0;
		}
		tried[ntried++] = s->banner_probe;
	}

	/* 2. Probes, those listing the port first; after a soft match only
	 * those that can name a version of that service. */
	while (!done && left_ms(s) > 0) {
		const struct probe *p = NULL;
		const uint8_t *payload;
		size_t plen;

		soft = s->have_match && s->best.soft ? s->best.service : NULL;
		n = probe_db_order(s->dc->db, s->r->port, soft, list, MAX_PROBES);
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
		if (ch->fd != -1 && (!fd_fresh || probe_needs_fresh_connection(p)))
			chan_close(ch);
		if (ch->fd == -1 &&
		    !chan_open(s, ch, s->wrap, TLS_ANY_VERSION, s->deadline, NULL))
			break;
		fd_fresh = false;
		if (!send_all(ch, payload, plen, s))
			continue;
		done = read_reply(s, ch, p, probe_wait_ms(p), buf, &len);
		keep_banner(s, buf, len);
	}
	chan_close(ch);
}

/* Each version pinned, one fresh connection each. An attempt may use a
 * share of what is left, so a server that stalls leaves time for the rest. */
static void enumerate_versions(struct session *s, struct tls_facts *f)
{
	bool complete = true;

	for (int v = 0; v < TLS_VERSION_COUNT; v++) {
		struct chan ch = { .fd = -1 };
		enum tls_status st;
		unsigned left = left_ms(s);

		if (left == 0) {
			complete = false;
			break;
		}
		if (chan_open(s, &ch, true, v, mono_ms() + left / 2 + 1, &st)) {
			f->accepted |= (uint8_t)(1u << v);
			f->version_cipher[v] = g_strdup(tls_conn_cipher(ch.tls));
			chan_close(&ch);
		} else if (st == TLS_TIMEOUT || left_ms(s) == 0) {
			complete = false;
		}
	}
	f->versions_tested = complete;
}

/* The TLS part: a handshake with SNI, the facts, the versions. Returns the
 * facts, or NULL when no handshake completed. */
static struct tls_facts *tls_facts_of(struct session *s)
{
	struct chan ch = { .fd = -1 };
	struct tls_facts *f;

	if (!chan_open(s, &ch, true, TLS_ANY_VERSION, s->deadline, NULL))
		return NULL;
	f = tls_facts_new();
	tls_conn_facts(ch.tls, (int64_t)time(NULL), f);
	chan_close(&ch);
	f->sni = g_strdup(s->sni);
	f->starttls = g_strdup(s->starttls);
	enumerate_versions(s, f);
	return f;
}

static const struct probe *find_probe(const struct probe_db *db, const char *name)
{
	for (size_t i = 0; i < probe_db_count(db); i++) {
		const struct probe *p = probe_db_get(db, i);

		if (p != NULL && strcmp(probe_name(p), name) == 0)
			return p;
	}
	return NULL;
}

static void take_match(struct session *s, struct result *r)
{
	if (!s->have_match)
		return;
	r->service = s->best.service;
	r->product = s->best.product;
	r->version = s->best.version;
	r->info = s->best.info;
	r->os_hint = s->best.os_hint;
	g_free(s->best.hostname);
	memset(&s->best, 0, sizeof s->best);
	s->have_match = false;
}

/* TLS from the first byte: facts, then the probes inside the session. The
 * plain answer ("tls") stays when nothing inside matches. */
static void detect_inside_tls(struct session *s, const struct probe *tls_probe, uint8_t *buf)
{
	struct service_match plain = s->best;
	bool had_plain = s->have_match;
	char *plain_banner = s->r->banner;
	struct chan ch = { .fd = -1 };

	s->wrap = true;
	s->r->tls = tls_facts_of(s);
	if (s->r->tls == NULL) {
		s->wrap = false;
		return;
	}
	memset(&s->best, 0, sizeof s->best);
	s->have_match = false;
	s->r->banner = NULL;
	identify(s, &ch, false, tls_probe, buf);
	if (s->have_match) {
		service_match_clear(&plain);
	} else {
		s->best = plain;
		s->have_match = had_plain;
		if (!had_plain) {
			s->best.service = g_strdup("tls");
			s->have_match = true;
		}
	}
	if (s->r->banner == NULL)
		s->r->banner = plain_banner;
	else
		g_free(plain_banner);
	s->wrap = false;
}

void detect_service(const struct detect_config *dc, int fd, const struct sockaddr *sa,
		    socklen_t salen, struct result *r)
{
	struct session s = {
		.dc = dc, .sa = sa, .salen = salen, .r = r,
		.deadline = mono_ms() + dc->budget_ms,
	};
	struct chan ch = { .fd = fd };
	uint8_t *buf = g_malloc(REPLY_MAX);
	const struct probe *tls_probe = find_probe(dc->db, TLS_PROBE);
	char addr[PL_ADDRSTRLEN];
	bool is_tls;
	const char *dialogue;

	pl_addr_format(&r->addr, addr, sizeof addr);
	s.sni = tls_sni_usable(r->host) ? r->host : NULL;
	s.host = s.sni != NULL ? s.sni : addr;

	identify(&s, &ch, fd != -1, NULL, buf);

	/* TLS by its ServerHello (or alert), by a server's complaint of plain
	 * text on its TLS port ("https"), or on a port the TLS probe lists
	 * when nothing else answered there. */
	is_tls = s.have_match ? strcmp(s.best.service, "tls") == 0 ||
				strcmp(s.best.service, "https") == 0
			      : tls_probe != NULL && probe_lists_port(tls_probe, r->port);
	dialogue = s.have_match ? starttls_dialogue(s.best.service) : NULL;
	if (is_tls && left_ms(&s) > 0) {
		detect_inside_tls(&s, tls_probe, buf);
	} else if (dialogue != NULL && left_ms(&s) > 0) {
		s.wrap = true;
		s.starttls = dialogue;
		r->tls = tls_facts_of(&s);
		s.wrap = false;
	}
	take_match(&s, r);
	g_free(buf);
}
