/* ptr.c: bounded, cached, concurrent reverse lookups.
 *
 * The first caller for an address queues its lookup and every caller waits
 * on one condition with a deadline. A lookup that outlives its waiters still
 * completes and fills the cache, so later callers get its answer at once. */
#include "ptr.h"

#include <netdb.h>
#include <string.h>
#include <glib.h>

/* NI_MAXHOST is not POSIX; 1025 is the traditional size. */
#ifndef NI_MAXHOST
#define NI_MAXHOST 1025
#endif

struct ptr_entry {
	struct pl_addr addr;
	char *name;          /* NULL: no name */
	bool done;
};

struct ptr_cache {
	GMutex lock;
	GCond done;
	GHashTable *entries; /* address text -> struct ptr_entry */
	GThreadPool *pool;
	gint64 timeout_us;
};

static void entry_free(gpointer data)
{
	struct ptr_entry *e = data;

	g_free(e->name);
	g_free(e);
}

static void lookup_job(gpointer data, gpointer user_data)
{
	struct ptr_entry *e = data;
	struct ptr_cache *pc = user_data;
	struct sockaddr_storage ss;
	socklen_t len = pl_addr_sockaddr(&e->addr, 0, &ss);
	char host[NI_MAXHOST];
	char *name = NULL;

	if (getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), NULL, 0, NI_NAMEREQD) == 0)
		name = g_strdup(host);

	g_mutex_lock(&pc->lock);
	e->name = name;
	e->done = true;
	g_cond_broadcast(&pc->done);
	g_mutex_unlock(&pc->lock);
}

struct ptr_cache *ptr_cache_new(unsigned timeout_ms)
{
	struct ptr_cache *pc = g_new0(struct ptr_cache, 1);

	g_mutex_init(&pc->lock);
	g_cond_init(&pc->done);
	pc->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, entry_free);
	pc->pool = g_thread_pool_new(lookup_job, pc, 8, FALSE, NULL);
	pc->timeout_us = (gint64)timeout_ms * 1000;
	return pc;
}

void ptr_cache_free(struct ptr_cache *pc)
{
	if (pc == NULL)
		return;
	g_thread_pool_free(pc->pool, FALSE, TRUE);
	g_hash_table_destroy(pc->entries);
	g_mutex_clear(&pc->lock);
	g_cond_clear(&pc->done);
	g_free(pc);
}

char *ptr_cache_lookup(struct ptr_cache *pc, const struct pl_addr *a)
{
	char key[PL_ADDRSTRLEN];
	struct ptr_entry *e;
	gint64 deadline = g_get_monotonic_time() + pc->timeout_us;
	char *name = NULL;

	pl_addr_format(a, key, sizeof(key));
	g_mutex_lock(&pc->lock);
	e = g_hash_table_lookup(pc->entries, key);
	if (e == NULL) {
		e = g_new0(struct ptr_entry, 1);
		e->addr = *a;
		g_hash_table_insert(pc->entries, g_strdup(key), e);
		g_thread_pool_push(pc->pool, e, NULL);
	}
	while (!e->done)
		if (!g_cond_wait_until(&pc->done, &pc->lock, deadline))
			break;
	if (e->done)
		name = g_strdup(e->name);
	g_mutex_unlock(&pc->lock);
	return name;
}
