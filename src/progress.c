/* progress.c: low watermark plus the set of done positions above it. */
#include "progress.h"

#include <pthread.h>
#include <stdlib.h>
#include <glib.h>

struct progress {
	pthread_mutex_t lock;
	uint64_t low;
	GHashTable *above;   /* positions > low that are done; keys are uint64_t * */
};

static guint pos_hash(gconstpointer k)
{
	return g_int64_hash(k);
}

static gboolean pos_equal(gconstpointer a, gconstpointer b)
{
	return g_int64_equal(a, b);
}

static void insert(struct progress *p, uint64_t pos)
{
	uint64_t *k = g_new(uint64_t, 1);

	*k = pos;
	g_hash_table_add(p->above, k);
}

/* Advances low over every position that is now contiguous with it. */
static void advance(struct progress *p)
{
	for (;;) {
		gint64 next = (gint64)p->low;

		if (!g_hash_table_remove(p->above, &next))
			return;
		p->low++;
	}
}

struct progress *progress_new(uint64_t low, const uint64_t *done, size_t ndone)
{
	struct progress *p = g_new0(struct progress, 1);

	pthread_mutex_init(&p->lock, NULL);
	p->low = low;
	p->above = g_hash_table_new_full(pos_hash, pos_equal, g_free, NULL);
	for (size_t i = 0; i < ndone; i++)
		if (done[i] >= low)
			insert(p, done[i]);
	advance(p);
	return p;
}

void progress_free(struct progress *p)
{
	if (p == NULL)
		return;
	g_hash_table_destroy(p->above);
	pthread_mutex_destroy(&p->lock);
	g_free(p);
}

void progress_mark(struct progress *p, uint64_t pos)
{
	pthread_mutex_lock(&p->lock);
	if (pos == p->low) {
		p->low++;
		advance(p);
	} else if (pos > p->low) {
		insert(p, pos);
	}
	pthread_mutex_unlock(&p->lock);
}

bool progress_is_done(struct progress *p, uint64_t pos)
{
	gint64 k = (gint64)pos;
	bool done;

	pthread_mutex_lock(&p->lock);
	done = pos < p->low || g_hash_table_contains(p->above, &k);
	pthread_mutex_unlock(&p->lock);
	return done;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t progress_snapshot(struct progress *p, uint64_t **done, size_t *ndone)
{
	GHashTableIter it;
	gpointer k;
	uint64_t low;
	size_t i = 0;

	pthread_mutex_lock(&p->lock);
	low = p->low;
	*ndone = g_hash_table_size(p->above);
	*done = g_new(uint64_t, *ndone > 0 ? *ndone : 1);
	g_hash_table_iter_init(&it, p->above);
	while (g_hash_table_iter_next(&it, &k, NULL))
		(*done)[i++] = *(uint64_t *)k;
	pthread_mutex_unlock(&p->lock);
	qsort(*done, *ndone, sizeof(**done), cmp_u64);
	return low;
}
