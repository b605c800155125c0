/* starttls.c: the STARTTLS dialogues (starttls.h).
 *
 * Each dialogue is a short list of steps: an optional command, then the
 * server's reply, judged by a pure parser over the bytes read so far. The
 * driver reads with poll() against the caller's deadline, at most
 * REPLY_MAX bytes a reply, and refuses bytes after the last reply: a server
 * (or a man in the middle) that sends them before our ClientHello would
 * have them read as TLS (the STARTTLS command-injection family of bugs). */
#include "starttls.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"

/* A few KiB: a long EHLO or CAPABILITY list fits many times over. */
#define REPLY_MAX 4096

static const struct {
	const char *service;
	const char *dialogue;
} services[] = {
	{ "smtp", "smtp" },
	{ "submission", "smtp" },
	{ "imap", "imap" },
	{ "imap2", "imap" },
	{ "imap4", "imap" },
	{ "pop3", "pop3" },
	{ "ftp", "ftp" },
	{ "ldap", "ldap" },
	{ "postgresql", "postgresql" },
	{ "xmpp", "xmpp" },
	{ "xmpp-client", "xmpp" },
};

const char *starttls_dialogue(const char *service)
{
	if (service == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
		if (strcmp(service, services[i].service) == 0)
			return services[i].dialogue;
	return NULL;
}

/* ---- lines ---- */

/* The end of the line starting at buf[off] (the index of its '\n'), or -1
 * while it is incomplete. A lone LF ends a line too: servers send them. */
static long line_end(const uint8_t *buf, size_t len, size_t off)
{
	const void *nl = memchr(buf + off, '\n', len - off);

	return nl == NULL ? -1 : (long)((const uint8_t *)nl - buf);
}

/* The line's length without its CR LF. */
static size_t line_len(const uint8_t *buf, size_t off, long end)
{
	size_t n = (size_t)end - off;

	if (n > 0 && buf[off + n - 1] == '\r')
		n--;
	return n;
}

static bool ascii_ieq(const uint8_t *a, size_t n, const char *word)
{
	size_t k = strlen(word);

	if (n != k)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = a[i];

		if (c >= 'a' && c <= 'z')
			c = (uint8_t)(c - 'a' + 'A');
		if (c != (uint8_t)word[i])
			return false;
	}
	return true;
}

/* Whether the text holds `word` (upper case) as a space-separated atom. */
static bool has_atom(const uint8_t *t, size_t n, const char *word)
{
	size_t i = 0;

	while (i < n) {
		size_t j;

		while (i < n && (t[i] == ' ' || t[i] == '\t'))
			i++;
		j = i;
		while (j < n && t[j] != ' ' && t[j] != '\t')
			j++;
		if (j > i && ascii_ieq(t + i, j - i, word))
			return true;
		i = j;
	}
	return false;
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* An SMTP or FTP reply (RFC 5321 4.2, RFC 959 4.2): "ddd-text" lines, then
 * "ddd text" (or a bare "ddd") with the same code. FTP lets the lines
 * between carry any text; SMTP (`strict`) gives each the code. `seen`
 * reports whether a line's text holds `word` (EHLO's keywords). */
static enum starttls_verdict coded_reply(const uint8_t *buf, size_t len, size_t *used, int *code,
					 bool strict, const char *word, bool *seen)
{
	size_t off = 0;

	for (;;) {
		long end = line_end(buf, len, off);
		size_t n;
		bool coded;

		if (end < 0)
			return STARTTLS_MORE;
		n = line_len(buf, off, end);
		if (off == 0) {
			if (n < 3 || !is_digit(buf[0]) || !is_digit(buf[1]) || !is_digit(buf[2]) ||
			    buf[0] < '1' || buf[0] > '5')
				return STARTTLS_BAD;
			*code = (buf[0] - '0') * 100 + (buf[1] - '0') * 10 + (buf[2] - '0');
		}
		coded = n >= 3 && memcmp(buf + off, buf, 3) == 0 &&
			(n == 3 || buf[off + 3] == ' ' || buf[off + 3] == '-');
		if (!coded) {
			if (off == 0 || strict)
				return STARTTLS_BAD;
		} else {
			if (word != NULL && n > 4 && has_atom(buf + off + 4, n - 4, word))
				*seen = true;
			if (n == 3 || buf[off + 3] == ' ') {
				*used = (size_t)end + 1;
				return STARTTLS_YES;
			}
		}
		off = (size_t)end + 1;
	}
}

static enum starttls_verdict smtp_reply(int step, const uint8_t *buf, size_t len, size_t *used)
{
	int code = 0;
	bool seen = false;
	enum starttls_verdict v = coded_reply(buf, len, used, &code, true,
					      step == 1 ? "STARTTLS" : NULL, &seen);

	if (v != STARTTLS_YES)
		return v;
	switch (step) {
	case 0:
		return code == 220 ? STARTTLS_YES : STARTTLS_NO;
	case 1:
		return code == 250 && seen ? STARTTLS_YES : STARTTLS_NO;
	default:
		return code == 220 ? STARTTLS_YES : STARTTLS_NO;
	}
}

static enum starttls_verdict ftp_reply(int step, const uint8_t *buf, size_t len, size_t *used)
{
	int code = 0;
	enum starttls_verdict v = coded_reply(buf, len, used, &code, false, NULL, NULL);

	if (v != STARTTLS_YES)
		return v;
	/* A 1xx greeting ("ready in n minutes") is followed by the 220. */
	if (step == 0 && code >= 100 && code < 200)
		return STARTTLS_NO;
	return code == (step == 0 ? 220 : 234) ? STARTTLS_YES : STARTTLS_NO;
}

/* IMAP (RFC 9051): untagged "* ..." lines, then the tagged status of our
 * command. The greeting is one untagged line. Literals ({n}) do not occur
 * in the replies asked for here; a line of one is just read as a line. */
static enum starttls_verdict imap_reply(int step, const uint8_t *buf, size_t len, size_t *used)
{
	static const char *const tags[] = { "", "a1 ", "a2 " };
	const char *tag = tags[step];
	size_t tl = strlen(tag), off = 0;
	bool seen = false;

	for (;;) {
		long end = line_end(buf, len, off);
		const uint8_t *t = buf + off;
		size_t n;

		if (end < 0)
			return STARTTLS_MORE;
		n = line_len(buf, off, end);
		if (n >= 2 && t[0] == '*' && t[1] == ' ') {
			if (step == 0) {
				*used = (size_t)end + 1;
				/* PREAUTH: already authenticated, where STARTTLS
				 * is not allowed; BYE: go away. */
				if (n >= 4 && ascii_ieq(t + 2, 2, "OK") && (n == 4 || t[4] == ' '))
					return STARTTLS_YES;
				if ((n >= 9 && ascii_ieq(t + 2, 7, "PREAUTH")) ||
				    (n >= 5 && ascii_ieq(t + 2, 3, "BYE")))
					return STARTTLS_NO;
				return STARTTLS_BAD;
			}
			if (step == 1 && n > 13 && ascii_ieq(t + 2, 10, "CAPABILITY") &&
			    t[12] == ' ' && has_atom(t + 13, n - 13, "STARTTLS"))
				seen = true;
		} else if (step > 0 && n >= tl && memcmp(t, tag, tl) == 0) {
			const uint8_t *st = t + tl;
			size_t sn = n - tl;

			*used = (size_t)end + 1;
			if (sn >= 2 && ascii_ieq(st, 2, "OK") && (sn == 2 || st[2] == ' '))
				return step == 1 && !seen ? STARTTLS_NO : STARTTLS_YES;
			if ((sn >= 2 && ascii_ieq(st, 2, "NO") && (sn == 2 || st[2] == ' ')) ||
			    (sn >= 3 && ascii_ieq(st, 3, "BAD") && (sn == 3 || st[3] == ' ')))
				return STARTTLS_NO;
			return STARTTLS_BAD;
		} else {
			return STARTTLS_BAD;
		}
		off = (size_t)end + 1;
	}
}

/* POP3 (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS): "+OK" or "-ERR"; CAPA's
 * answer goes on to a line holding only ".", lines dot-stuffed. */
static enum starttls_verdict pop3_reply(int step, const uint8_t *buf, size_t len, size_t *used)
{
	long end = line_end(buf, len, 0);
	size_t n, off;
	bool seen = false;

	if (end < 0)
		return STARTTLS_MORE;
	n = line_len(buf, 0, end);
	if (n >= 4 && ascii_ieq(buf, 4, "-ERR") && (n == 4 || buf[4] == ' ')) {
		*used = (size_t)end + 1;
		return STARTTLS_NO;
	}
	if (!(n >= 3 && ascii_ieq(buf, 3, "+OK") && (n == 3 || buf[3] == ' ')))
		return STARTTLS_BAD;
	if (step != 1) {
		*used = (size_t)end + 1;
		return STARTTLS_YES;
	}
	off = (size_t)end + 1;
	for (;;) {
		end = line_end(buf, len, off);
		if (end < 0)
			return STARTTLS_MORE;
		n = line_len(buf, off, end);
		if (n == 1 && buf[off] == '.') {
			*used = (size_t)end + 1;
			return seen ? STARTTLS_YES : STARTTLS_NO;
		}
		/* The capability is the line's first word. */
		if (n >= 4 && ascii_ieq(buf + off, 4, "STLS") && (n == 4 || buf[off + 4] == ' '))
			seen = true;
		off = (size_t)end + 1;
	}
}

/* ---- BER, for LDAP ---- */

/* Reads a tag and length at buf[*off]. MORE while they are incomplete;
 * BAD for indefinite or over-long lengths (LDAP uses definite ones). */
static enum starttls_verdict ber_head(const uint8_t *buf, size_t len, size_t *off, uint8_t *tag,
				      size_t *clen)
{
	size_t o = *off;
	uint8_t b;

	if (o + 2 > len)
		return STARTTLS_MORE;
	*tag = buf[o];
	if ((*tag & 0x1f) == 0x1f)
		return STARTTLS_BAD; /* multi-byte tags: not in LDAP */
	b = buf[o + 1];
	o += 2;
	if (b < 0x80) {
		*clen = b;
	} else {
		size_t k = b & 0x7f;

		if (k == 0 || k > 2)
			return STARTTLS_BAD; /* indefinite, or more than 64 KiB */
		if (o + k > len)
			return STARTTLS_MORE;
		*clen = 0;
		for (size_t i = 0; i < k; i++)
			*clen = *clen << 8 | buf[o + i];
		o += k;
	}
	*off = o;
	return STARTTLS_YES;
}

/* The ExtendedResponse (RFC 4511 4.12, 4.14.2) to our message 1: the
 * LDAPMessage's messageID, [APPLICATION 24], resultCode 0 for success. A
 * Notice of Disconnection (messageID 0) is a refusal too. */
static enum starttls_verdict ldap_reply(int step, const uint8_t *buf, size_t len, size_t *used)
{
	size_t off = 0, msg_len, l, id_end;
	uint8_t tag;
	enum starttls_verdict v;
	unsigned long id = 0;
	unsigned code;

	v = ber_head(buf, len, &off, &tag, &msg_len);
	if (v != STARTTLS_YES)
		return v;
	if (tag != 0x30 || msg_len > REPLY_MAX)
		return STARTTLS_BAD;
	if (len - off < msg_len)
		return STARTTLS_MORE;
	len = off + msg_len; /* parse inside the message only */
	*used = len;

	v = ber_head(buf, len, &off, &tag, &l);
	if (v != STARTTLS_YES || tag != 0x02 || l == 0 || l > 4 || len - off < l)
		return STARTTLS_BAD;
	for (size_t i = 0; i < l; i++)
		id = id << 8 | buf[off + i];
	id_end = off + l;
	off = id_end;
	if (id != 1 && id != 0)
		return STARTTLS_BAD;

	v = ber_head(buf, len, &off, &tag, &l);
	if (v != STARTTLS_YES || tag != 0x78 || len - off < l)
		return STARTTLS_BAD;
	len = off + l;
	v = ber_head(buf, len, &off, &tag, &l);
	if (v != STARTTLS_YES || tag != 0x0a || l != 1 || len - off < l)
		return STARTTLS_BAD;
	code = buf[off];
	return id == 1 && code == 0 ? STARTTLS_YES : STARTTLS_NO;
}

/* PostgreSQL's answer to SSLRequest: one byte, 'S' or 'N'; a server too old
 * to know the request answers with an ErrorResponse ('E'). */
static enum starttls_verdict pg_reply(int step, const uint8_t *buf, size_t len, size_t *used)
{
	if (len == 0)
		return STARTTLS_MORE;
	*used = 1;
	switch (buf[0]) {
	case 'S':
		return STARTTLS_YES;
	case 'N':
	case 'E':
		return STARTTLS_NO;
	default:
		return STARTTLS_BAD;
	}
}

/* ---- XMPP ---- */

static const uint8_t *find(const uint8_t *buf, size_t len, const char *s)
{
	size_t k = strlen(s);

	if (len < k)
		return NULL;
	for (size_t i = 0; i + k <= len; i++)
		if (buf[i] == (uint8_t)s[0] && memcmp(buf + i, s, k) == 0)
			return buf + i;
	return NULL;
}

/* A <stream:error> (RFC 6120 4.9): a refusal once it is complete. */
static enum starttls_verdict stream_error(const uint8_t *buf, size_t len, const uint8_t *err,
					  size_t *used)
{
	static const char end[] = "</stream:error>";
	const uint8_t *e = find(err, len - (size_t)(err - buf), end);

	if (e == NULL)
		return STARTTLS_MORE;
	*used = (size_t)(e - buf) + sizeof end - 1;
	return STARTTLS_NO;
}

/* XMPP (RFC 6120 4.3, 5.4.2): our stream header draws the server's and its
 * <stream:features>; a <starttls/> among them is the offer. Then
 * <proceed/> or <failure/>. No full XML parser: a server is judged by the
 * elements that matter, in order; the stream prefix is the usual
 * "stream:" (every server we know of writes it so). */
static enum starttls_verdict xmpp_reply(int step, const uint8_t *buf, size_t len, size_t *used)
{
	size_t i = 0;

	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	if (i == len)
		return STARTTLS_MORE;
	if (buf[i] != '<')
		return STARTTLS_BAD;
	if (step == 0) {
		const uint8_t *err = find(buf, len, "<stream:error");
		const uint8_t *f = find(buf, len, "<stream:features");
		const uint8_t *close, *tls, *gt;

		if (err != NULL && (f == NULL || err < f))
			return stream_error(buf, len, err, used);
		if (f == NULL) {
			/* The server's stream header comes first, perhaps
			 * after an XML declaration. */
			size_t n = len - i < 8 ? len - i : 8;

			if (memcmp(buf + i, "<?xml", n < 5 ? n : 5) == 0 ||
			    memcmp(buf + i, "<stream:", n) == 0)
				return STARTTLS_MORE;
			return STARTTLS_BAD;
		}
		/* The features' start tag decides: "<stream:features/>" is
		 * empty, else the content runs to the end tag. */
		gt = memchr(f, '>', len - (size_t)(f - buf));
		if (gt == NULL)
			return STARTTLS_MORE;
		if (gt[-1] == '/') {
			*used = (size_t)(gt - buf) + 1;
			return STARTTLS_NO;
		}
		close = find(gt, len - (size_t)(gt - buf), "</stream:features>");
		if (close == NULL)
			return STARTTLS_MORE;
		*used = (size_t)(close - buf) + strlen("</stream:features>");
		tls = find(gt, (size_t)(close - gt), "<starttls");
		return tls != NULL && (tls[9] == ' ' || tls[9] == '>' || tls[9] == '/') ?
			       STARTTLS_YES :
			       STARTTLS_NO;
	}
	{
		const uint8_t *t = buf + i;
		size_t n = len - i;
		bool proceed = n >= 8 && memcmp(t, "<proceed", 8) == 0;
		bool failure = n >= 8 && memcmp(t, "<failure", 8) == 0;
		const uint8_t *gt;

		if (n < 8)
			return memcmp(t, "<proceed", n) == 0 || memcmp(t, "<failure", n) == 0 ||
					       memcmp(t, "<stream:error", n) == 0 ?
				       STARTTLS_MORE :
				       STARTTLS_BAD;
		if (!proceed && !failure) {
			/* A stream error ends it all. */
			if (n >= 13 && memcmp(t, "<stream:error", 13) == 0)
				return stream_error(buf, len, t, used);
			return memcmp(t, "<stream:error", n < 13 ? n : 13) == 0 ? STARTTLS_MORE :
										  STARTTLS_BAD;
		}
		if (n == 8)
			return STARTTLS_MORE;
		if (t[8] != ' ' && t[8] != '/' && t[8] != '>')
			return STARTTLS_BAD;
		gt = memchr(t, '>', n);
		if (gt == NULL)
			return STARTTLS_MORE;
		if (gt[-1] != '/') {
			/* <proceed ...></proceed> */
			const char *end = proceed ? "</proceed>" : "</failure>";
			const uint8_t *e = find(gt, n - (size_t)(gt - t), end);

			if (e == NULL)
				return STARTTLS_MORE;
			gt = e + strlen(end) - 1;
		}
		*used = (size_t)(gt - buf) + 1;
		return proceed ? STARTTLS_YES : STARTTLS_NO;
	}
}

/* ---- the dialogues ---- */

/* LDAPMessage { messageID 1, [APPLICATION 23] ExtendedRequest {
 * requestName [0] "1.3.6.1.4.1.1466.20037" } } (RFC 4511 4.14.1). */
static const char ldap_request[] = "\x30\x1d\x02\x01\x01\x77\x18\x80\x16"
				   "1.3.6.1.4.1.1466.20037";
/* Length 8, code 80877103 (1234 << 16 | 5679). */
static const char pg_request[] = "\x00\x00\x00\x08\x04\xd2\x16\x2f";

struct step {
	const char *command;  /* text with one "%s" for the host, or bytes; NULL: none */
	size_t command_len;   /* for bytes; 0: text */
};

static const struct dialogue {
	const char *name;
	enum starttls_verdict (*reply)(int step, const uint8_t *buf, size_t len, size_t *used);
	int steps;
	struct step step[3];
} dialogues[] = {
	{ "smtp", smtp_reply, 3, { { NULL, 0 }, { "EHLO %s\r\n", 0 }, { "STARTTLS\r\n", 0 } } },
	{ "imap", imap_reply, 3, { { NULL, 0 }, { "a1 CAPABILITY\r\n", 0 }, { "a2 STARTTLS\r\n", 0 } } },
	{ "pop3", pop3_reply, 3, { { NULL, 0 }, { "CAPA\r\n", 0 }, { "STLS\r\n", 0 } } },
	{ "ftp", ftp_reply, 2, { { NULL, 0 }, { "AUTH TLS\r\n", 0 } } },
	{ "ldap", ldap_reply, 1, { { ldap_request, sizeof ldap_request - 1 } } },
	{ "postgresql", pg_reply, 1, { { pg_request, sizeof pg_request - 1 } } },
	{ "xmpp", xmpp_reply, 2,
	  { { "<?xml version='1.0'?><stream:stream to='%s' version='1.0' xmlns='jabber:client' "
	      "xmlns:stream='http://etherx.jabber.org/streams'>",
	      0 },
	    { "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", 0 } } },
};

static const struct dialogue *find_dialogue(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof dialogues / sizeof dialogues[0]; i++)
		if (strcmp(name, dialogues[i].name) == 0)
			return &dialogues[i];
	return NULL;
}

int starttls_steps(const char *dialogue)
{
	const struct dialogue *d = find_dialogue(dialogue);

	return d == NULL ? 0 : d->steps;
}

enum starttls_verdict starttls_reply(const char *dialogue, int step, const uint8_t *buf,
				     size_t len, size_t *used)
{
	const struct dialogue *d = find_dialogue(dialogue);
	size_t dummy;

	if (used == NULL)
		used = &dummy;
	*used = 0;
	if (d == NULL || step < 0 || step >= d->steps)
		return STARTTLS_BAD;
	return d->reply(step, buf, len, used);
}

/* ---- I/O ---- */

/* Waits for `events` on fd until the deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int64_t left = deadline - mono_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static bool send_all(int fd, const char *data, size_t len, int64_t deadline)
{
	while (len > 0) {
		ssize_t w;

		if (wait_fd(fd, POLLOUT, deadline) <= 0)
			return false;
		w = send(fd, data, len, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return false;
		}
		data += w;
		len -= (size_t)w;
	}
	return true;
}

/* A host name safe inside a command line and an XML attribute. */
static bool host_ok(const char *host)
{
	if (host == NULL || host[0] == '\0' || strlen(host) > 253)
		return false;
	for (const char *c = host; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' || *c == ':' || *c == '_' ||
		      *c == '[' || *c == ']'))
			return false;
	return true;
}

static enum starttls_status run(int fd, const struct dialogue *d, const char *host,
				int64_t deadline)
{
	uint8_t buf[REPLY_MAX];

	for (int s = 0; s < d->steps; s++) {
		const struct step *st = &d->step[s];
		size_t len = 0, used = 0;
		enum starttls_verdict v = STARTTLS_MORE;

		if (st->command != NULL) {
			char line[512];
			const char *out = st->command;
			size_t n = st->command_len;

			if (n == 0) {
				const char *hole = strstr(st->command, "%s");
				size_t h = hole == NULL ? 0 : strlen(host);

				n = strlen(st->command);
				if (hole != NULL) {
					size_t pre = (size_t)(hole - st->command);

					/* host_ok bounds the host to 253 bytes. */
					memcpy(line, st->command, pre);
					memcpy(line + pre, host, h);
					memcpy(line + pre + h, hole + 2, n - pre - 2);
					n = n - 2 + h;
					out = line;
				}
			}
			if (!send_all(fd, out, n, deadline))
				return STARTTLS_FAILED;
		}
		while (v == STARTTLS_MORE) {
			ssize_t r;

			if (len == sizeof buf)
				return STARTTLS_FAILED; /* a reply past the bound */
			if (wait_fd(fd, POLLIN, deadline) <= 0)
				return STARTTLS_FAILED;
			r = recv(fd, buf + len, sizeof buf - len, 0);
			if (r < 0) {
				if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
					continue;
				return STARTTLS_FAILED;
			}
			if (r == 0)
				return STARTTLS_FAILED; /* EOF inside a reply */
			len += (size_t)r;
			v = starttls_reply(d->name, s, buf, len, &used);
		}
		if (v == STARTTLS_BAD)
			return STARTTLS_FAILED;
		if (v == STARTTLS_NO)
			return STARTTLS_REFUSED;
		/* Nothing may follow a reply before our next command. */
		if (used != len)
			return STARTTLS_FAILED;
	}
	return STARTTLS_OK;
}

enum starttls_status starttls_upgrade(int fd, const char *service, const char *host,
				      int64_t deadline)
{
	const struct dialogue *d = find_dialogue(starttls_dialogue(service));
	enum starttls_status st;
	int flags;

	if (d == NULL)
		return STARTTLS_UNSUPPORTED;
	if (!host_ok(host))
		host = "localhost";
	/* Non-blocking inside, so a poll that said "ready" never turns into
	 * a read that blocks past the deadline; restored after. */
	flags = fcntl(fd, F_GETFL);
	if (flags == -1 || (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1))
		return STARTTLS_FAILED;
	st = run(fd, d, host, deadline);
	if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags) == -1)
		st = STARTTLS_FAILED;
	return st;
}
