/* starttls.h: the plain-text dialogues that turn a connection into one a
 * TLS handshake can start on (RFC 3207 SMTP, RFC 2595 IMAP and POP3,
 * RFC 4217 FTP AUTH TLS, RFC 4511 LDAP StartTLS, PostgreSQL SSLRequest,
 * RFC 6120 XMPP).
 *
 * Detection calls it on a fresh connection once a port's service is known
 * to be one of these; the server's greeting is read here, not before. Every
 * read and write is bounded by `deadline` (clock.h's mono_ms), and every
 * reply by a few KiB, so a hostile server costs no more than that. */
#ifndef PORTOLAN_STARTTLS_H
#define PORTOLAN_STARTTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum starttls_status {
	STARTTLS_OK,          /* the server agreed: the next bytes are a TLS handshake */
	STARTTLS_REFUSED,     /* it answered, and does not offer or refused the upgrade */
	STARTTLS_FAILED,      /* I/O error, timeout, or a reply that is not the protocol */
	STARTTLS_UNSUPPORTED, /* no dialogue for this service */
};

/* The STARTTLS dialogue's name for a detected service ("smtp", "imap",
 * "pop3", "ftp", "ldap", "postgresql", "xmpp"), or NULL when it has none.
 * Accepts the IANA service names and the older ones detection used
 * ("submission", "imap", "pop3", "xmpp-client", "postgresql", ...). */
const char *starttls_dialogue(const char *service);

/* Runs the dialogue for `service` on fd, a fresh connected TCP socket
 * (blocking or not; left as it was found). host: the name for SMTP's EHLO
 * and XMPP's stream header "to", or NULL (the address's text is used by the
 * caller then). */
enum starttls_status starttls_upgrade(int fd, const char *service, const char *host,
				      int64_t deadline);

/* The reply parsers, pure functions over the bytes received so far (for
 * the unit tests and tests/fuzz/fuzz_starttls.c). A dialogue is a few
 * steps, each an optional command and the server's reply to it. */
enum starttls_verdict {
	STARTTLS_MORE, /* no complete reply yet: read on */
	STARTTLS_YES,  /* the reply lets the dialogue go on (or, last, agreed) */
	STARTTLS_NO,   /* a well-formed refusal, or no STARTTLS offered */
	STARTTLS_BAD,  /* not this protocol */
};

/* How many steps `dialogue` (starttls_dialogue's words) has; 0 if unknown. */
int starttls_steps(const char *dialogue);

/* Judges buf[0..len) as the reply to step `step` of `dialogue`. On YES or
 * NO, *used is the length of the complete reply (bytes after it belong to
 * no reply, and the upgrade refuses them: they would be read as TLS). */
enum starttls_verdict starttls_reply(const char *dialogue, int step, const uint8_t *buf,
				     size_t len, size_t *used);

#endif
