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

#endif
