/* test_starttls.c: the STARTTLS dialogues (src/tls/starttls.c).
 *
 * The reply parsers are checked as tables of replies and verdicts, each
 * also fed one byte at a time (every shorter prefix must say "more"). The
 * dialogues run against a scripted peer on a socketpair, in a thread: the
 * peer checks each command the client sends and answers as the script says
 * (at once, or dripping a byte at a time); agreement, refusal, garbage, a
 * huge line, EOF, silence until the deadline, and bytes injected after the
 * go-ahead. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "clock.h"
#include "starttls.h"

struct row {
	const char *dialogue;
	int step;
	const char *reply;
	enum starttls_verdict want;
	size_t used; /* for YES/NO: 0 means the whole reply */
};

static const struct row rows[] = {
	{ "smtp", 0, "220 mx.example.org ESMTP Postfix (Debian/GNU)\r\n", STARTTLS_YES, 0 },
	{ "smtp", 0, "220-mx.example.org hello\r\n220 more\r\n", STARTTLS_YES, 0 },
	{ "smtp", 0, "554 5.3.2 go away\r\n", STARTTLS_NO, 0 },
	{ "smtp", 0, "220", STARTTLS_MORE, 0 },
	{ "smtp", 0, "220-first\r\n", STARTTLS_MORE, 0 },
	{ "smtp", 0, "HTTP/1.1 400 Bad Request\r\n", STARTTLS_BAD, 0 },
	{ "smtp", 0, "220-a\r\n250 b\r\n", STARTTLS_BAD, 0 },
	{ "smtp", 0, "220-a\r\nfree text\r\n220 b\r\n", STARTTLS_BAD, 0 },
	{ "smtp", 1, "250-mx\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n", STARTTLS_YES, 0 },
	{ "smtp", 1, "250-mx\r\n250-SIZE 1000\r\n250 starttls\r\n", STARTTLS_YES, 0 },
	{ "smtp", 1, "250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n", STARTTLS_NO, 0 },
	{ "smtp", 1, "250-mx says STARTTLSX\r\n250 XSTARTTLS\r\n", STARTTLS_NO, 0 },
	{ "smtp", 1, "502 5.5.2 EHLO not understood\r\n", STARTTLS_NO, 0 },
	{ "smtp", 2, "220 2.0.0 Ready to start TLS\r\n", STARTTLS_YES, 0 },
	{ "smtp", 2, "220 2.0.0 Ready\r\nXXXX", STARTTLS_YES, 17 },
	{ "smtp", 2, "454 4.7.0 TLS not available\r\n", STARTTLS_NO, 0 },
	{ "ftp", 0, "220 (vsFTPd 3.0.3)\n", STARTTLS_YES, 0 },
	{ "ftp", 0, "220-Welcome\r\n to this\r\n220 server\r\n", STARTTLS_YES, 0 },
	{ "ftp", 0, "120 later\r\n", STARTTLS_NO, 0 },
	{ "ftp", 1, "234 AUTH TLS OK.\r\n", STARTTLS_YES, 0 },
	{ "ftp", 1, "500 AUTH not understood\r\n", STARTTLS_NO, 0 },
	{ "ftp", 1, "SSH-2.0-OpenSSH_9.2\r\n", STARTTLS_BAD, 0 },
	{ "imap", 0, "* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.\r\n", STARTTLS_YES, 0 },
	{ "imap", 0, "* PREAUTH logged in\r\n", STARTTLS_NO, 0 },
	{ "imap", 0, "* BYE too many\r\n", STARTTLS_NO, 0 },
	{ "imap", 0, "+OK POP3\r\n", STARTTLS_BAD, 0 },
	{ "imap", 1, "* CAPABILITY IMAP4rev1 SASL-IR STARTTLS AUTH=PLAIN\r\na1 OK done\r\n", STARTTLS_YES, 0 },
	{ "imap", 1, "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na1 OK done\r\n", STARTTLS_NO, 0 },
	{ "imap", 1, "* CAPABILITY IMAP4rev1 STARTTLS\r\n", STARTTLS_MORE, 0 },
	{ "imap", 1, "* CAPABILITY IMAP4rev1 STARTTLS\r\na1 BAD what\r\n", STARTTLS_NO, 0 },
	{ "imap", 1, "* CAPABILITY STARTTLS\r\nzz OK\r\n", STARTTLS_BAD, 0 },
	{ "imap", 2, "a2 OK Begin TLS negotiation now.\r\n", STARTTLS_YES, 0 },
	{ "imap", 2, "a2 NO not now\r\n", STARTTLS_NO, 0 },
	{ "pop3", 0, "+OK Dovecot ready.\r\n", STARTTLS_YES, 0 },
	{ "pop3", 0, "-ERR busy\r\n", STARTTLS_NO, 0 },
	{ "pop3", 0, "* OK IMAP\r\n", STARTTLS_BAD, 0 },
	{ "pop3", 1, "+OK\r\nCAPA\r\nTOP\r\nSTLS\r\nUIDL\r\n.\r\n", STARTTLS_YES, 0 },
	{ "pop3", 1, "+OK\r\nCAPA\r\n..STLS\r\n.\r\n", STARTTLS_NO, 0 },
	{ "pop3", 1, "+OK\r\nTOP\r\nSTLS\r\n", STARTTLS_MORE, 0 },
	{ "pop3", 1, "-ERR no CAPA\r\n", STARTTLS_NO, 0 },
	{ "pop3", 2, "+OK Begin TLS negotiation\r\n", STARTTLS_YES, 0 },
	{ "pop3", 2, "-ERR no\r\n", STARTTLS_NO, 0 },
	{ "xmpp", 0,
	  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
	  "xmlns:stream='http://etherx.jabber.org/streams' id='1' from='x' version='1.0'>"
	  "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
	  "</stream:features>",
	  STARTTLS_YES, 0 },
	{ "xmpp", 0,
	  "<stream:stream version='1.0'><stream:features><mechanisms/></stream:features>",
	  STARTTLS_NO, 0 },
	{ "xmpp", 0, "<stream:stream version='1.0'><stream:features/>", STARTTLS_NO, 0 },
	{ "xmpp", 0, "<stream:stream version='1.0'><stream:features><starttls", STARTTLS_MORE, 0 },
	{ "xmpp", 0, "<stream:stream><stream:error><host-unknown/></stream:error>", STARTTLS_NO, 0 },
	{ "xmpp", 0, "<html><body>", STARTTLS_BAD, 0 },
	{ "xmpp", 0, "220 smtp\r\n", STARTTLS_BAD, 0 },
	{ "xmpp", 1, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", STARTTLS_YES, 0 },
	{ "xmpp", 1, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'></proceed>", STARTTLS_YES, 0 },
	{ "xmpp", 1, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", STARTTLS_NO, 0 },
	{ "xmpp", 1, "<proceedings/>", STARTTLS_BAD, 0 },
	{ "postgresql", 0, "S", STARTTLS_YES, 0 },
	{ "postgresql", 0, "N", STARTTLS_NO, 0 },
	{ "postgresql", 0, "X", STARTTLS_BAD, 0 },
	{ "postgresql", 0, "SX", STARTTLS_YES, 1 },
	{ "nosuch", 0, "220 hi\r\n", STARTTLS_BAD, 0 },
	{ "smtp", 3, "220 hi\r\n", STARTTLS_BAD, 0 },
};

static void check_row(const char *d, int step, const uint8_t *buf, size_t len,
		      enum starttls_verdict want, size_t want_used, const char *what)
{
	size_t used = 99999;
	enum starttls_verdict v = starttls_reply(d, step, buf, len, &used);

	if (v != want)
		fail_msg("%s step %d: %s: verdict %d, want %d", d, step, what, v, want);
	if (v == STARTTLS_YES || v == STARTTLS_NO) {
		if (used != want_used)
			fail_msg("%s step %d: %s: used %zu, want %zu", d, step, what, used, want_used);
		/* Every shorter prefix of a complete reply is incomplete. */
		for (size_t k = 0; k < used; k++) {
			enum starttls_verdict p = starttls_reply(d, step, buf, k, NULL);

			if (p == STARTTLS_YES || p == STARTTLS_NO)
				fail_msg("%s step %d: %s: prefix %zu already says %d", d, step, what, k, p);
		}
	}
}

static void test_reply_table(void **state)
{
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *r = &rows[i];
		size_t len = strlen(r->reply);

		check_row(r->dialogue, r->step, (const uint8_t *)r->reply, len, r->want,
			  r->used != 0 ? r->used : len, r->reply);
	}
}

/* LDAP's ExtendedResponse in BER, built here field by field. */
static size_t ldap_response(uint8_t *out, unsigned id, unsigned code, bool long_len)
{
	static const char oid[] = "1.3.6.1.4.1.1466.20037";
	uint8_t op[64];
	size_t n = 0, k = 0;

	op[n++] = 0x0a, op[n++] = 1, op[n++] = (uint8_t)code; /* resultCode */
	op[n++] = 0x04, op[n++] = 0;                           /* matchedDN */
	op[n++] = 0x04, op[n++] = 0;                           /* diagnosticMessage */
	op[n++] = 0x8a, op[n++] = (uint8_t)strlen(oid);        /* responseName */
	memcpy(op + n, oid, strlen(oid));
	n += strlen(oid);
	out[k++] = 0x30;
	if (long_len)
		out[k++] = 0x81;
	out[k++] = (uint8_t)(3 + 2 + n);
	out[k++] = 0x02, out[k++] = 1, out[k++] = (uint8_t)id;
	out[k++] = 0x78, out[k++] = (uint8_t)n;
	memcpy(out + k, op, n);
	return k + n;
}

static void test_ldap_replies(void **state)
{
	uint8_t buf[128];
	size_t n;

	n = ldap_response(buf, 1, 0, false);
	check_row("ldap", 0, buf, n, STARTTLS_YES, n, "success");
	n = ldap_response(buf, 1, 0, true);
	check_row("ldap", 0, buf, n, STARTTLS_YES, n, "long-form length");
	n = ldap_response(buf, 1, 2, false);
	check_row("ldap", 0, buf, n, STARTTLS_NO, n, "protocolError");
	n = ldap_response(buf, 0, 0, false);
	check_row("ldap", 0, buf, n, STARTTLS_NO, n, "notice of disconnection");
	n = ldap_response(buf, 7, 0, false);
	check_row("ldap", 0, buf, n, STARTTLS_BAD, 0, "another message id");
	n = ldap_response(buf, 1, 0, false);
	check_row("ldap", 0, buf, n - 1, STARTTLS_MORE, 0, "cut short");
	buf[0] = 0x31;
	check_row("ldap", 0, buf, n, STARTTLS_BAD, 0, "a SET");
	check_row("ldap", 0, (const uint8_t *)"\x30\x80", 2, STARTTLS_BAD, 0, "indefinite");
	check_row("ldap", 0, (const uint8_t *)"\x30\x83\x01\x00\x00", 5, STARTTLS_BAD, 0,
		  "16 MiB");
}

/* ---- a scripted peer ---- */

struct turn {
	const char *expect; /* what the client must send first (exactly), or NULL */
	const char *reply;  /* sent after; NULL: nothing */
	size_t reply_len;   /* 0: strlen */
	bool drip;          /* a byte at a time */
};

struct peer {
	int fd;
	const struct turn *turns;
	size_t n;
	bool close_after; /* close when done, else wait for the client to go */
	char *error;      /* a mismatch, for the test to report */
};

static bool read_exact(int fd, const char *want, char **error)
{
	size_t n = strlen(want), got = 0;
	char buf[1024];

	if (n > sizeof buf)
		return false;
	while (got < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 5000) <= 0) {
			*error = g_strdup_printf("peer: timed out waiting for '%s'", want);
			return false;
		}
		r = read(fd, buf + got, n - got);
		if (r <= 0) {
			*error = g_strdup_printf("peer: EOF waiting for '%s'", want);
			return false;
		}
		got += (size_t)r;
	}
	if (memcmp(buf, want, n) != 0) {
		*error = g_strdup_printf("peer: got '%.*s', want '%s'", (int)n, buf, want);
		return false;
	}
	return true;
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;

	for (size_t i = 0; i < p->n; i++) {
		const struct turn *t = &p->turns[i];
		size_t len;

		if (t->expect != NULL && !read_exact(p->fd, t->expect, &p->error))
			goto out;
		if (t->reply == NULL)
			continue;
		len = t->reply_len != 0 ? t->reply_len : strlen(t->reply);
		if (t->drip) {
			for (size_t k = 0; k < len; k++) {
				struct timespec ms = { 0, 1000000 };

				if (send(p->fd, t->reply + k, 1, MSG_NOSIGNAL) != 1)
					goto out;
				nanosleep(&ms, NULL);
			}
		} else {
			size_t off = 0;

			while (off < len) {
				ssize_t w = send(p->fd, t->reply + off, len - off, MSG_NOSIGNAL);

				if (w <= 0)
					goto out;
				off += (size_t)w;
			}
		}
	}
	if (!p->close_after) {
		char c;
		struct pollfd pf = { .fd = p->fd, .events = POLLIN };

		/* Until the client closes (or 10 s): the silent server. */
		if (poll(&pf, 1, 10000) > 0)
			(void)read(p->fd, &c, 1);
	}
out:
	shutdown(p->fd, SHUT_RDWR);
	return NULL;
}

static enum starttls_status run_peer(const char *service, const char *host,
				     const struct turn *turns, size_t n, bool close_after,
				     int timeout_ms, int64_t *took)
{
	int sv[2];
	pthread_t th;
	struct peer p = { .turns = turns, .n = n, .close_after = close_after };
	enum starttls_status st;
	int64_t t0;
	int flags;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	p.fd = sv[1];
	assert_int_equal(pthread_create(&th, NULL, peer_main, &p), 0);
	t0 = mono_ms();
	flags = fcntl(sv[0], F_GETFL);
	st = starttls_upgrade(sv[0], service, host, t0 + timeout_ms);
	if (took != NULL)
		*took = mono_ms() - t0;
	/* The socket's flags are left as they were found. */
	assert_int_equal(fcntl(sv[0], F_GETFL), flags);
	close(sv[0]);
	pthread_join(th, NULL);
	close(sv[1]);
	if (p.error != NULL) {
		fail_msg("%s: %s", service, p.error);
	}
	return st;
}

#define RUN(service, host, turns, close_after) \
	run_peer(service, host, turns, sizeof turns / sizeof turns[0], close_after, 3000, NULL)

static void test_smtp(void **state)
{
	const struct turn ok[] = {
		{ NULL, "220 mx ESMTP\r\n", 0, false },
		{ "EHLO scan.example.org\r\n", "250-mx\r\n250-STARTTLS\r\n250 SIZE\r\n", 0, true },
		{ "STARTTLS\r\n", "220 go ahead\r\n", 0, false },
	};
	const struct turn no_offer[] = {
		{ NULL, "220 mx ESMTP\r\n", 0, false },
		{ "EHLO localhost\r\n", "250-mx\r\n250 SIZE\r\n", 0, false },
	};
	const struct turn refused[] = {
		{ NULL, "220 mx ESMTP\r\n", 0, false },
		{ "EHLO localhost\r\n", "250 STARTTLS\r\n", 0, false },
		{ "STARTTLS\r\n", "454 4.7.0 TLS not available\r\n", 0, false },
	};
	const struct turn injected[] = {
		{ NULL, "220 mx ESMTP\r\n", 0, false },
		{ "EHLO localhost\r\n", "250 STARTTLS\r\n", 0, false },
		{ "STARTTLS\r\n", "220 go ahead\r\n250 injected\r\n", 0, false },
	};

	assert_int_equal(RUN("smtp", "scan.example.org", ok, false), STARTTLS_OK);
	assert_int_equal(RUN("submission", NULL, no_offer, false), STARTTLS_REFUSED);
	assert_int_equal(RUN("smtp", NULL, refused, false), STARTTLS_REFUSED);
	assert_int_equal(RUN("smtp", NULL, injected, false), STARTTLS_FAILED);
}

static void test_host_not_injected(void **state)
{
	const struct turn t[] = {
		{ NULL, "220 mx ESMTP\r\n", 0, false },
		{ "EHLO localhost\r\n", "250 STARTTLS\r\n", 0, false },
		{ "STARTTLS\r\n", "220 go ahead\r\n", 0, false },
	};

	/* A name with CR LF would add a command of its own. */
	assert_int_equal(RUN("smtp", "evil\r\nRCPT TO:<x>", t, false), STARTTLS_OK);
}

static void test_imap(void **state)
{
	const struct turn ok[] = {
		{ NULL, "* OK [CAPABILITY IMAP4rev1] ready\r\n", 0, false },
		{ "a1 CAPABILITY\r\n", "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\na1 OK\r\n", 0, true },
		{ "a2 STARTTLS\r\n", "a2 OK Begin TLS\r\n", 0, false },
	};
	const struct turn no_offer[] = {
		{ NULL, "* OK ready\r\n", 0, false },
		{ "a1 CAPABILITY\r\n", "* CAPABILITY IMAP4rev1\r\na1 OK\r\n", 0, false },
	};

	assert_int_equal(RUN("imap", NULL, ok, false), STARTTLS_OK);
	assert_int_equal(RUN("imap", NULL, no_offer, false), STARTTLS_REFUSED);
}

static void test_pop3(void **state)
{
	const struct turn ok[] = {
		{ NULL, "+OK ready\r\n", 0, false },
		{ "CAPA\r\n", "+OK\r\nTOP\r\nSTLS\r\nUIDL\r\n.\r\n", 0, false },
		{ "STLS\r\n", "+OK Begin TLS\r\n", 0, true },
	};
	const struct turn refused[] = {
		{ NULL, "+OK ready\r\n", 0, false },
		{ "CAPA\r\n", "+OK\r\nSTLS\r\n.\r\n", 0, false },
		{ "STLS\r\n", "-ERR not now\r\n", 0, false },
	};

	assert_int_equal(RUN("pop3", NULL, ok, false), STARTTLS_OK);
	assert_int_equal(RUN("pop3", NULL, refused, false), STARTTLS_REFUSED);
}

static void test_ftp(void **state)
{
	const struct turn ok[] = {
		{ NULL, "220-Welcome\r\n to the test\r\n220 ready\r\n", 0, true },
		{ "AUTH TLS\r\n", "234 Proceed\r\n", 0, false },
	};
	const struct turn refused[] = {
		{ NULL, "220 ready\r\n", 0, false },
		{ "AUTH TLS\r\n", "530 no TLS here\r\n", 0, false },
	};

	assert_int_equal(RUN("ftp", NULL, ok, false), STARTTLS_OK);
	assert_int_equal(RUN("ftp", NULL, refused, false), STARTTLS_REFUSED);
}

static void test_ldap(void **state)
{
	static const char req[] = "\x30\x1d\x02\x01\x01\x77\x18\x80\x16"
				  "1.3.6.1.4.1.1466.20037";
	uint8_t ok[128], no[128];
	size_t okn = ldap_response(ok, 1, 0, false), non = ldap_response(no, 1, 53, false);
	const struct turn t_ok[] = { { req, (const char *)ok, okn, true } };
	const struct turn t_no[] = { { req, (const char *)no, non, false } };

	assert_int_equal(RUN("ldap", NULL, t_ok, false), STARTTLS_OK);
	assert_int_equal(RUN("ldap", NULL, t_no, false), STARTTLS_REFUSED);
}

static void test_postgresql(void **state)
{
	int sv[2];
	char req[8];
	enum starttls_status st;

	for (int i = 0; i < 2; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		/* The answer may be written before the request is read. */
		assert_int_equal(write(sv[1], i == 0 ? "S" : "N", 1), 1);
		st = starttls_upgrade(sv[0], "postgresql", NULL, mono_ms() + 3000);
		assert_int_equal(read(sv[1], req, sizeof req), 8);
		assert_memory_equal(req, "\x00\x00\x00\x08\x04\xd2\x16\x2f", 8);
		assert_int_equal(st, i == 0 ? STARTTLS_OK : STARTTLS_REFUSED);
		close(sv[0]);
		close(sv[1]);
	}
}

static void test_xmpp(void **state)
{
	const struct turn ok[] = {
		{ "<?xml version='1.0'?><stream:stream to='chat.example.org' version='1.0' "
		  "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
		  "<?xml version='1.0'?><stream:stream from='chat.example.org' id='x' version='1.0' "
		  "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
		  "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
		  "</stream:features>",
		  0, true },
		{ "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
		  "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", 0, false },
	};

	assert_int_equal(RUN("xmpp-client", "chat.example.org", ok, false), STARTTLS_OK);
}

static void test_garbage_eof_huge_silence(void **state)
{
	char *huge = g_malloc(64 * 1024 + 3);
	const struct turn garbage[] = { { NULL, "\x16\x03\x01\x02\x05garbage\r\n", 0, false } };
	const struct turn eof[] = { { NULL, "220-half a reply\r\n", 0, false } };
	const struct turn big[] = { { NULL, huge, 0, false } };
	const struct turn silent[] = { { NULL, NULL, 0, false } };
	int64_t took;

	memset(huge, 'A', 64 * 1024);
	memcpy(huge, "220-", 4);
	memcpy(huge + 64 * 1024, "\r\n", 3);

	assert_int_equal(RUN("smtp", NULL, garbage, false), STARTTLS_FAILED);
	assert_int_equal(RUN("smtp", NULL, eof, true), STARTTLS_FAILED);
	/* A reply past the bound is refused without reading all of it. */
	assert_int_equal(run_peer("smtp", NULL, big, 1, true, 3000, &took), STARTTLS_FAILED);
	/* Silence: the deadline ends it, not the peer. */
	assert_int_equal(run_peer("imap", NULL, silent, 1, false, 300, &took), STARTTLS_FAILED);
	assert_true(took >= 250 && took < 3000);
	g_free(huge);
}

/* The replies real daemons gave (tests/tls/starttls.sh's STARTTLS_CAPTURE,
 * kept as fuzz seeds): each a complete agreement, nothing left over. */
static void test_real_replies(void **state)
{
	static const char *const names[] = { "smtp", "imap", "pop3", "ftp", "ldap", "postgresql", "xmpp" };
	static const char dir[] = "tests/fuzz/corpus/starttls";
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *f;
	int n = 0;

	assert_non_null(d);
	while ((f = g_dir_read_name(d)) != NULL) {
		char *path, *data;
		gsize len;
		size_t used = 0;
		const char *dl;
		int step;

		if (!g_str_has_prefix(f, "real-"))
			continue;
		path = g_build_filename(dir, f, NULL);
		assert_true(g_file_get_contents(path, &data, &len, NULL));
		assert_true(len > 1);
		dl = names[(uint8_t)data[0] % 7];
		step = (uint8_t)data[0] / 7;
		if (starttls_reply(dl, step, (const uint8_t *)data + 1, len - 1, &used) != STARTTLS_YES ||
		    used != len - 1)
			fail_msg("%s: not a complete agreement (%s step %d, used %zu of %zu)", f, dl, step,
				 used, (size_t)(len - 1));
		n++;
		g_free(data);
		g_free(path);
	}
	g_dir_close(d);
	assert_true(n >= 11);
}

static void test_names(void **state)
{
	assert_string_equal(starttls_dialogue("submission"), "smtp");
	assert_string_equal(starttls_dialogue("xmpp-client"), "xmpp");
	assert_null(starttls_dialogue("http"));
	assert_null(starttls_dialogue(NULL));
	assert_int_equal(starttls_upgrade(-1, "http", NULL, mono_ms() + 10), STARTTLS_UNSUPPORTED);
	assert_int_equal(starttls_steps("smtp"), 3);
	assert_int_equal(starttls_steps("ldap"), 1);
	assert_int_equal(starttls_steps("http"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_table),
		cmocka_unit_test(test_ldap_replies),
		cmocka_unit_test(test_smtp),
		cmocka_unit_test(test_host_not_injected),
		cmocka_unit_test(test_imap),
		cmocka_unit_test(test_pop3),
		cmocka_unit_test(test_ftp),
		cmocka_unit_test(test_ldap),
		cmocka_unit_test(test_postgresql),
		cmocka_unit_test(test_xmpp),
		cmocka_unit_test(test_garbage_eof_huge_silence),
		cmocka_unit_test(test_real_replies),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) != 0;
}
