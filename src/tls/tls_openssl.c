/* tls_openssl.c: the TLS backend (tls.h) on OpenSSL 3.
 *
 * One SSL_CTX per offer (any version, or one version pinned), made once and
 * shared by every thread: OpenSSL 3 allows that once a context is set up.
 * Each context verifies against the system store (SSL_CERT_FILE and
 * SSL_CERT_DIR apply) but in mode "none": the handshake goes on whatever
 * the chain is, and the verdict is read afterwards. */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <glib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "certfacts.h"
#include "clock.h"

/* A certificate chain larger than this ends the handshake: real chains are
 * a few KiB, and the cap is what keeps a 100 MB "chain" out of memory. */
#define MAX_CERT_LIST (256 * 1024)
#define CTX_ANY TLS_VERSION_COUNT

struct tls_conn {
	SSL *ssl;
	int fd;
};

static SSL_CTX *ctxs[TLS_VERSION_COUNT + 1];
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static const int proto_versions[TLS_VERSION_COUNT] = {
	[TLS_V1_0] = TLS1_VERSION,
	[TLS_V1_1] = TLS1_1_VERSION,
	[TLS_V1_2] = TLS1_2_VERSION,
	[TLS_V1_3] = TLS1_3_VERSION,
};

static SSL_CTX *ctx_make(int min, int max)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		return NULL;
	/* Security level 0: TLS 1.0/1.1, SHA-1 and small keys are what an
	 * audit must be able to see, so they are offered and accepted. */
	if (SSL_CTX_set_min_proto_version(ctx, min) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, max) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0") != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (SSL_CTX_set_default_verify_paths(ctx) != 1)
		ERR_clear_error();      /* no store: every verdict says so */
	SSL_CTX_set_max_cert_list(ctx, MAX_CERT_LIST);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_IGNORE_UNEXPECTED_EOF |
				 SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION);
	return ctx;
}

static void ctx_init(void)
{
	for (int v = 0; v < TLS_VERSION_COUNT; v++)
		ctxs[v] = ctx_make(proto_versions[v], proto_versions[v]);
	ctxs[CTX_ANY] = ctx_make(TLS1_VERSION, TLS1_3_VERSION);
	ERR_clear_error();
}

bool tls_sni_usable(const char *text)
{
	unsigned char buf[16];
	size_t n;

	if (text == NULL || (n = strlen(text)) == 0 || n > 253)
		return false;
	if (inet_pton(AF_INET, text, buf) == 1 || inet_pton(AF_INET6, text, buf) == 1)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(text[i]) && text[i] != '-' && text[i] != '.' && text[i] != '_')
			return false;
	return true;
}

/* Waits for what the last SSL call wants; false at the deadline or on a
 * poll error. *timed_out tells which. */
static bool wait_io(const struct tls_conn *c, int want, int64_t until, bool *timed_out)
{
	struct pollfd pfd = {
		.fd = c->fd,
		.events = want == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN,
	};

	*timed_out = false;
	for (;;) {
		int64_t left = until - mono_ms();
		int rc;

		if (left <= 0) {
			*timed_out = true;
			return false;
		}
		rc = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (rc > 0)
			return true;
		if (rc == 0) {
			*timed_out = true;
			return false;
		}
		if (errno != EINTR)
			return false;
	}
}

enum tls_status tls_handshake(int fd, const char *sni, int pin, int64_t deadline,
			      struct tls_conn **out)
{
	SSL_CTX *ctx;
	struct tls_conn *c;
	int flags;

	*out = NULL;
	pthread_once(&ctx_once, ctx_init);
	ctx = pin >= 0 && pin < TLS_VERSION_COUNT ? ctxs[pin] : ctxs[CTX_ANY];
	if (ctx == NULL || fd < 0)
		return TLS_FAILED;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return TLS_FAILED;
	c = g_new0(struct tls_conn, 1);
	c->fd = fd;
	c->ssl = SSL_new(ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, fd) != 1 ||
	    (sni != NULL && SSL_set_tlsext_host_name(c->ssl, sni) != 1))
		goto fail;
	SSL_set_connect_state(c->ssl);
	for (;;) {
		int rc = SSL_do_handshake(c->ssl), err;
		bool timed_out;

		if (rc == 1)
			break;
		err = SSL_get_error(c->ssl, rc);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
			goto fail;
		if (!wait_io(c, err, deadline, &timed_out)) {
			tls_conn_free(c);
			ERR_clear_error();
			return timed_out ? TLS_TIMEOUT : TLS_FAILED;
		}
	}
	*out = c;
	return TLS_DONE;
fail:
	tls_conn_free(c);
	ERR_clear_error();
	return TLS_FAILED;
}

int tls_conn_version(const struct tls_conn *c)
{
	int v = SSL_version(c->ssl);

	for (int i = 0; i < TLS_VERSION_COUNT; i++)
		if (proto_versions[i] == v)
			return i;
	return -1;
}

const char *tls_conn_cipher(const struct tls_conn *c)
{
	const SSL_CIPHER *ci = SSL_get_current_cipher(c->ssl);

	return ci != NULL ? SSL_CIPHER_standard_name(ci) : NULL;
}

void tls_conn_facts(const struct tls_conn *c, int64_t now, struct tls_facts *f)
{
	int v = tls_conn_version(c);
	const char *cipher = tls_conn_cipher(c);
	X509 *leaf = SSL_get1_peer_certificate(c->ssl);
	long verdict = SSL_get_verify_result(c->ssl);

	g_free(f->version);
	f->version = g_strdup(v >= 0 ? tls_version_name((enum tls_version)v) : SSL_get_version(c->ssl));
	g_free(f->cipher);
	f->cipher = g_strdup(cipher);
	g_free(f->verify);
	if (leaf == NULL) {
		f->verify = g_strdup("no certificate");
	} else {
		unsigned char *der = NULL;
		int len = i2d_X509(leaf, &der);

		f->verify = g_strdup(verdict == X509_V_OK ? "ok" : X509_verify_cert_error_string(verdict));
		if (len > 0 && !f->have_cert)
			(void)certfacts_from_der(der, (size_t)len, now, f);
		OPENSSL_free(der);
		X509_free(leaf);
	}
	ERR_clear_error();
}

bool tls_send_all(struct tls_conn *c, const uint8_t *buf, size_t len, int64_t deadline)
{
	while (len > 0) {
		size_t n = 0;
		int err;
		bool timed_out;

		if (SSL_write_ex(c->ssl, buf, len, &n) == 1) {
			buf += n;
			len -= n;
			continue;
		}
		err = SSL_get_error(c->ssl, 0);
		if ((err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) ||
		    !wait_io(c, err, deadline, &timed_out)) {
			ERR_clear_error();
			return false;
		}
	}
	return true;
}

ssize_t tls_recv(struct tls_conn *c, uint8_t *buf, size_t len, int64_t until)
{
	for (;;) {
		size_t n = 0;
		int err;
		bool timed_out;

		if (SSL_read_ex(c->ssl, buf, len, &n) == 1)
			return (ssize_t)n;
		err = SSL_get_error(c->ssl, 0);
		if (err == SSL_ERROR_ZERO_RETURN) {
			ERR_clear_error();
			return 0;
		}
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
			ERR_clear_error();
			/* A close without close_notify is an end, not an error. */
			return err == SSL_ERROR_SYSCALL && errno == 0 ? 0 : -1;
		}
		if (!wait_io(c, err, until, &timed_out))
			return timed_out ? -2 : -1;
	}
}

void tls_conn_free(struct tls_conn *c)
{
	if (c == NULL)
		return;
	SSL_free(c->ssl);
	g_free(c);
}
