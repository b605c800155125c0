/* resolve.h: forward name lookups (getaddrinfo), run concurrently.
 *
 * The caller fills an array of jobs, runs them all, then reads each job's
 * result; nothing is logged here. */
#ifndef PORTOLAN_RESOLVE_H
#define PORTOLAN_RESOLVE_H

#include <stddef.h>
#include <glib.h>

#include "addr.h"

/* One getaddrinfo call. The caller owns the job: name stays its own, and it
 * creates and frees addrs. */
struct name_lookup {
	const char *name;
	int family;               /* hints.ai_family: AF_INET, AF_INET6 or AF_UNSPEC */
	int rc;                   /* getaddrinfo's result (gai_strerror), set by the run */
	GArray *addrs;            /* struct pl_addr: the run appends every address */
};

/* Runs every job, a few at a time on threads that block every signal (the
 * main thread keeps SIGINT and friends). When no thread can be started the
 * calling thread does the work, so resolution never fails for want of
 * threads. Returns when all are done. */
void resolve_run(struct name_lookup *jobs, size_t njobs);

#endif
