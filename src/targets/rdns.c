/* rdns.c: bounded, cached, concurrent reverse lookups.
 *
 * The first caller for an address queues its lookup and every caller waits
 * on one condition with a deadline. A lookup that outlives its waiters still
 * completes and fills the cache, so later callers get its answer at once.
 * pthread primitives rather than GMutex, so ThreadSanitizer sees every
 * hand-off (GLib's futex-based GMutex is invisible to it). */
#include "rdns.h"

#include "queue.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <glib.h>

/* NI_MAXHOST is not POSIX; 1025 is the traditional size. */
/* Deadlines on the monotonic clock where the system lets a condition use it
 * (macOS does not), so a clock step cannot stretch them. */
#if defined(_POSIX_CLOCK_SELECTION) && _POSIX_CLOCK_SELECTION > 0
#define WAIT_CLOCK CLOCK_MONOTONIC
#else
#define WAIT_CLOCK CLOCK_REALTIME
#endif

#define LOOKUP_THREADS 8

#ifndef NI_MAXHOST
#define NI_MAXHOST 1025
#endif

struct ptr_entry {
	struct pl_addr addr;
	char *name;          /* NULL: no name */
	bool done;
};

struct rdns_cache {
	pthread_mutex_t lock;
	pthread_cond_t done;
	GHashTable *entries; /* address text -> struct ptr_entry */
	/* Our own lookup threads on our own queue: GThreadPool's internal
	 * locking is invisible to ThreadSanitizer. */
	struct bqueue *jobs;
	pthread_t threads[LOOKUP_THREADS];
	unsigned nthreads;
	unsigned timeout_ms;
};

static void entry_free(gpointer data)
{
	struct ptr_entry *e = data;

	g_free(e->name);
	g_free(e);
}

static void lookup_one(struct rdns_cache *pc, struct ptr_entry *e)
{
	struct sockaddr_storage ss;
	struct pl_addr addr;
	socklen_t len;
	char host[NI_MAXHOST];
	char *name = NULL;

	pthread_mutex_lock(&pc->lock);
	addr = e->addr;
	pthread_mutex_unlock(&pc->lock);
	len = pl_addr_sockaddr(&addr, 0, &ss);
	if (getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), NULL, 0, NI_NAMEREQD) == 0)
		name = g_strdup(host);

	pthread_mutex_lock(&pc->lock);
	e->name = name;
	e->done = true;
	pthread_cond_broadcast(&pc->done);
	pthread_mutex_unlock(&pc->lock);
}

static void *lookup_main(void *arg)
{
	struct rdns_cache *pc = arg;
	struct ptr_entry *e;

	while ((e = bqueue_pop(pc->jobs)) != NULL)
		lookup_one(pc, e);
	return NULL;
}

struct rdns_cache *rdns_cache_new(unsigned timeout_ms)
{
	struct rdns_cache *pc = g_new0(struct rdns_cache, 1);

	pthread_condattr_t ca;

	pthread_mutex_init(&pc->lock, NULL);
	pthread_condattr_init(&ca);
#if defined(_POSIX_CLOCK_SELECTION) && _POSIX_CLOCK_SELECTION > 0
	(void)pthread_condattr_setclock(&ca, WAIT_CLOCK);
#endif
	pthread_cond_init(&pc->done, &ca);
	pthread_condattr_destroy(&ca);
	pc->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, entry_free);
	/* Every address is queued once; the bound only makes a worker wait when
	 * lookups pile up, which its own deadline then cuts short. */
	pc->jobs = bqueue_new(4096);
	for (pc->nthreads = 0; pc->nthreads < LOOKUP_THREADS; pc->nthreads++)
		if (pthread_create(&pc->threads[pc->nthreads], NULL, lookup_main, pc) != 0)
			break;
	pc->timeout_ms = timeout_ms;
	return pc;
}

void rdns_cache_free(struct rdns_cache *pc)
{
	if (pc == NULL)
		return;
	bqueue_close(pc->jobs);
	for (unsigned i = 0; i < pc->nthreads; i++)
		pthread_join(pc->threads[i], NULL);
	bqueue_free(pc->jobs);
	g_hash_table_destroy(pc->entries);
	pthread_mutex_destroy(&pc->lock);
	pthread_cond_destroy(&pc->done);
	g_free(pc);
}

char *rdns_cache_lookup(struct rdns_cache *pc, const struct pl_addr *a)
{
	char key[PL_ADDRSTRLEN];
	struct ptr_entry *e;
	struct timespec deadline;
	char *name = NULL;

	clock_gettime(WAIT_CLOCK, &deadline);
	deadline.tv_sec += pc->timeout_ms / 1000;
	deadline.tv_nsec += (long)(pc->timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pl_addr_format(a, key, sizeof(key));
	pthread_mutex_lock(&pc->lock);
	e = g_hash_table_lookup(pc->entries, key);
	if (e == NULL) {
		bool queued;

		e = g_new0(struct ptr_entry, 1);
		e->addr = *a;
		g_hash_table_insert(pc->entries, g_strdup(key), e);
		/* Pushed without the lock: a full queue waits for lookup threads,
		 * and they need the lock to finish. Entries live as long as the
		 * cache, so e stays valid meanwhile. */
		pthread_mutex_unlock(&pc->lock);
		queued = pc->nthreads > 0 && bqueue_push(pc->jobs, e);
		pthread_mutex_lock(&pc->lock);
		if (!queued)
			e->done = true;   /* no lookup thread: "no name" rather than wait */
	}
	while (!e->done)
		if (pthread_cond_timedwait(&pc->done, &pc->lock, &deadline) == ETIMEDOUT)
			break;
	if (e->done)
		name = g_strdup(e->name);
	pthread_mutex_unlock(&pc->lock);
	return name;
}
