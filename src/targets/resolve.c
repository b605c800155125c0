/* resolve.c: forward name lookups, run by a small pool of threads.
 *
 * getaddrinfo blocks, and a targets file may name thousands of hosts: the
 * lookups run RESOLVE_THREADS at a time, each thread taking the next job
 * from a shared counter. Every result stays in its job, so the caller
 * reports failures from its own thread, in input order. */
#include "resolve.h"

#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

/* At most this many getaddrinfo calls run at once. */
#define RESOLVE_THREADS 16

struct resolver {
	struct name_lookup *jobs;
	size_t njobs;
	size_t next;              /* next job to take, under lock */
	pthread_mutex_t lock;
};

static void resolve_one(struct name_lookup *lk)
{
	struct addrinfo hints, *res = NULL;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = lk->family;
	hints.ai_socktype = SOCK_STREAM;
	/* No AI_ADDRCONFIG: it hides addresses of a family the host has no
	 * configured address for, which breaks lookups (even of localhost) in
	 * network namespaces with only a loopback device. */
	hints.ai_flags = 0;
	lk->rc = getaddrinfo(lk->name, NULL, &hints, &res);
	if (lk->rc != 0)
		return;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		struct pl_addr a;

		if (ai->ai_addr != NULL && pl_addr_from_sockaddr(ai->ai_addr, &a))
			g_array_append_val(lk->addrs, a);
	}
	freeaddrinfo(res);
}

static void *resolve_worker(void *arg)
{
	struct resolver *rs = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&rs->lock);
		i = rs->next++;
		pthread_mutex_unlock(&rs->lock);
		if (i >= rs->njobs)
			return NULL;
		resolve_one(&rs->jobs[i]);
	}
}

void resolve_run(struct name_lookup *jobs, size_t njobs)
{
	struct resolver rs = { .jobs = jobs, .njobs = njobs, .next = 0 };
	pthread_t tids[RESOLVE_THREADS];
	size_t want = njobs < RESOLVE_THREADS ? njobs : RESOLVE_THREADS;
	size_t started = 0;
	sigset_t all, old;

	if (njobs == 0)
		return;
	pthread_mutex_init(&rs.lock, NULL);
	/* The threads inherit a fully blocked mask, so SIGINT and friends keep
	 * going to the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	while (started < want &&
	       pthread_create(&tids[started], NULL, resolve_worker, &rs) == 0)
		started++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	if (started == 0)
		resolve_worker(&rs);
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	pthread_mutex_destroy(&rs.lock);
}
