/* netconn.h: one TCP connect attempt with a timeout, and what it means.
 *
 * Everything platform-specific about connecting lives here. Every system
 * waits with a non-blocking connect() and poll(), so an ICMP error is seen as
 * soon as it arrives (docs/connect-path.md says why Linux cannot use a
 * blocking connect() bounded by SO_SNDTIMEO); Linux keeps its sockets
 * non-blocking and reuses refused ones, elsewhere (FreeBSD, macOS, and a build
 * with -DPORTOLAN_FORCE_POLL_CONNECT) the portable shim uses SO_ERROR and a
 * fresh socket per attempt. */
#ifndef PORTOLAN_NETCONN_H
#define PORTOLAN_NETCONN_H

#include <stdbool.h>
#include <sys/socket.h>

#include "result.h"

/* What one attempt ended in, before retry policy is applied. */
enum attempt_outcome {
	ATTEMPT_OPEN,        /* handshake completed; *fd is the connected socket */
	ATTEMPT_CLOSED,      /* the host answered with RST */
	ATTEMPT_TIMEOUT,     /* no answer before the timeout: worth a retry */
	ATTEMPT_UNREACH,     /* an ICMP error or a routing failure: final */
	ATTEMPT_SELF,        /* loopback self-connect (simultaneous open): not an answer */
	ATTEMPT_RESOURCE,    /* local shortage (EMFILE, EADDRNOTAVAIL, ...): back off and retry */
	ATTEMPT_ERROR,       /* any other local failure: final, reported as an error */
};

/* A socket kept from one attempt for the next. Where the system allows it
 * (Linux), a socket whose connect was refused connects again: the commonest
 * outcome of a scan then costs no socket creation, setup or teardown. */
struct netconn_spare {
	int fd;              /* -1: none */
	int family;
};
#define NETCONN_SPARE_INIT { .fd = -1 }

/* Called once by each thread that makes attempts, before the first: sets
 * what the platform needs per thread (Linux: timer slack for poll()). */
void netconn_thread_init(void);

/* Closes the spare socket, if any. */
void netconn_spare_close(struct netconn_spare *sp);

/* Connects to sa with a timeout in milliseconds, on sp's socket when it has
 * one (sp may be NULL). On ATTEMPT_OPEN *fd holds the connected socket and
 * the caller owns it (it may be non-blocking: poll before reading or
 * writing); otherwise *fd is -1. *err is the errno behind the
 * outcome (0 for open). */
enum attempt_outcome netconn_attempt(const struct sockaddr *sa, socklen_t salen,
				     unsigned timeout_ms, struct netconn_spare *sp,
				     int *fd, int *err);

/* Maps a final outcome and errno to the state and reason reported. */
void netconn_classify(enum attempt_outcome o, int err, enum port_state *state,
		      enum reason *reason);

/* Whether errno e is a local shortage (descriptors, buffers, memory, source
 * ports): never the target's answer. Every path that makes sockets (connect,
 * udp, discovery) tells its local failures by this one list. */
bool netconn_is_resource_errno(int e);

/* Closes a socket so that it leaves no TIME_WAIT behind (RST instead of FIN):
 * a scan opens many connections and must not exhaust ephemeral ports. */
void netconn_abort(int fd);

#endif
