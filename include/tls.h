/* tls.h: TLS client sessions on connected sockets, for detection.
 *
 * The backend (tls_openssl.c) hides its library: nothing here names an
 * OpenSSL type, so another library could replace it. A session never stops
 * at a bad certificate: the chain's verdict is recorded, not enforced. Every
 * call is bounded by a deadline (clock.h's mono_ms), and the handshake by a
 * cap on the certificate chain's size, so a server that drips, stalls or
 * floods costs at most the deadline and a bounded amount of memory. The
 * library's security level is lowered, so old versions and weak keys can be
 * tested at all. Safe to use from many threads at once. */
#ifndef PORTOLAN_TLS_H
#define PORTOLAN_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tls_facts.h"

struct tls_conn;

enum tls_status {
	TLS_DONE,       /* the handshake completed */
	TLS_FAILED,     /* the server refused, closed, or spoke no TLS */
	TLS_TIMEOUT,    /* the deadline passed first */
};

#define TLS_ANY_VERSION (-1)

/* Handshakes on fd, a connected TCP socket (made non-blocking here, and
 * never closed here). sni: the server name to send, or NULL. pin: a
 * tls_version to offer alone, or TLS_ANY_VERSION. On TLS_DONE *out is the
 * session; free it with tls_conn_free before closing fd. */
enum tls_status tls_handshake(int fd, const char *sni, int pin, int64_t deadline,
			      struct tls_conn **out);

/* The negotiated version (enum tls_version), or -1 for one outside the list. */
int tls_conn_version(const struct tls_conn *c);
/* The negotiated suite, IANA's name; NULL when unknown. */
const char *tls_conn_cipher(const struct tls_conn *c);
/* Fills f's version, cipher, verify and (from the leaf) certificate fields.
 * now: seconds since the epoch, for days_left. */
void tls_conn_facts(const struct tls_conn *c, int64_t now, struct tls_facts *f);

/* Sends all of buf; false on error or at the deadline. */
bool tls_send_all(struct tls_conn *c, const uint8_t *buf, size_t len, int64_t deadline);
/* Reads at most len bytes, waiting until `until` (mono_ms): > 0 bytes read,
 * 0 the server closed, -1 an error, -2 nothing before `until`. */
ssize_t tls_recv(struct tls_conn *c, uint8_t *buf, size_t len, int64_t until);

/* Frees the session (accepts NULL); the caller closes the socket. */
void tls_conn_free(struct tls_conn *c);

/* Whether text is a host name fit for SNI (not an address literal). */
bool tls_sni_usable(const char *text);

#endif
