/* detect.h: service and version detection on an open port.
 *
 * Runs in the worker that found the port open, on the connection it already
 * holds: waits a bounded time for a banner, then tries the probes listed for
 * the port and then the rest, stopping at the first hard match. Every read is
 * bounded in bytes and time, and the whole port by `budget_ms`, so a hostile
 * or broken server (endless stream, one byte a second, accept-and-hang) never
 * holds a worker longer than that. */
#ifndef PORTOLAN_DETECT_H
#define PORTOLAN_DETECT_H

#include <sys/socket.h>

#include "probe_db.h"
#include "result.h"

struct detect_config {
	const struct probe_db *db;
	unsigned budget_ms;        /* whole port, every probe and connect included */
	unsigned banner_wait_ms;   /* banner wait on ports no banner probe lists */
	unsigned connect_timeout_ms;
};

/* Fills r->service, product, version, info, os_hint and banner, and r->tls
 * when the port speaks TLS (from the first byte, or after a STARTTLS
 * upgrade): then the service fields are what answered inside the session,
 * or the plain-text service for STARTTLS. SNI is r->host when that is a
 * name. fd is the connected socket from the port scan (or -1); detection
 * takes it over and closes it. */
void detect_service(const struct detect_config *dc, int fd, const struct sockaddr *sa,
		    socklen_t salen, struct result *r);

#endif
