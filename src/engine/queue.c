/* queue.c: the bounded queue.
 *
 * Items travel through a GAsyncQueue; a mutex-protected count of free slots
 * with two condition variables is the capacity gate in front of it. The count
 * is taken before an item enters the GAsyncQueue and given back after it
 * leaves, so at no time do more than `capacity` items sit in the queue.
 *
 * Closing wakes every waiter. Consumers wait on our own condition (not inside
 * g_async_queue_pop), so a close can reach a consumer that is blocked.
 *
 * The gate uses pthread primitives rather than GMutex: GLib implements GMutex
 * with raw futexes on Linux, which ThreadSanitizer cannot see, and every
 * hand-off through this queue must be visible to it. */
#include "queue.h"

#include <pthread.h>
#include <glib.h>

struct bqueue {
	GAsyncQueue *items;
	pthread_mutex_t lock;
	pthread_cond_t not_full;
	pthread_cond_t not_empty;
	size_t capacity;
	size_t queued;        /* items pushed and not yet popped */
	bool closed;
};

struct bqueue *bqueue_new(size_t capacity)
{
	struct bqueue *q;

	if (capacity == 0)
		capacity = 1;
	q = g_new0(struct bqueue, 1);
	q->items = g_async_queue_new();
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->not_full, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	q->capacity = capacity;
	return q;
}

void bqueue_free(struct bqueue *q)
{
	if (q == NULL)
		return;
	g_async_queue_unref(q->items);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->not_full);
	pthread_cond_destroy(&q->not_empty);
	g_free(q);
}

bool bqueue_push(struct bqueue *q, void *item)
{
	pthread_mutex_lock(&q->lock);
	while (q->queued >= q->capacity && !q->closed)
		pthread_cond_wait(&q->not_full, &q->lock);
	if (q->closed) {
		pthread_mutex_unlock(&q->lock);
		return false;
	}
	q->queued++;
	/* Pushed under the lock so that queued and the GAsyncQueue agree for
	 * any consumer that sees queued > 0. */
	g_async_queue_push(q->items, item);
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
	return true;
}

void *bqueue_pop(struct bqueue *q)
{
	void *item;

	pthread_mutex_lock(&q->lock);
	while (q->queued == 0 && !q->closed)
		pthread_cond_wait(&q->not_empty, &q->lock);
	if (q->queued == 0) {
		pthread_mutex_unlock(&q->lock);
		return NULL;
	}
	item = g_async_queue_try_pop(q->items);
	q->queued--;
	pthread_cond_signal(&q->not_full);
	pthread_mutex_unlock(&q->lock);
	return item;
}

void bqueue_close(struct bqueue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->not_full);
	pthread_cond_broadcast(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
}

size_t bqueue_drain(struct bqueue *q, void (*drop)(void *item, void *ud), void *ud)
{
	size_t n = 0;
	void *item;

	pthread_mutex_lock(&q->lock);
	while (q->queued > 0) {
		item = g_async_queue_try_pop(q->items);
		q->queued--;
		if (drop != NULL)
			drop(item, ud);
		n++;
	}
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
	return n;
}

size_t bqueue_length(struct bqueue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->queued;
	pthread_mutex_unlock(&q->lock);
	return n;
}

size_t bqueue_capacity(const struct bqueue *q)
{
	return q->capacity;
}
