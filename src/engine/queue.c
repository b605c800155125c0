/* queue.c: the bounded queue.
 *
 * A ring of `capacity` slots under one mutex, with one condition for
 * producers (a slot is free) and one for consumers (an item is there). Each
 * hand-off takes that one lock once: GAsyncQueue has no bound, and gating it
 * took our own lock and then its internal one on every push and pop.
 *
 * Closing wakes every waiter; consumers drain what is queued before they see
 * the end. Signals, not broadcasts, on the hand-off path: one push makes room
 * for exactly one pop and the reverse, so waking one waiter is enough.
 *
 * pthread primitives rather than GMutex: GLib implements GMutex with raw
 * futexes on Linux, which ThreadSanitizer cannot see, and every hand-off
 * through this queue must be visible to it. */
#include "queue.h"

#include <pthread.h>
#include <glib.h>

struct bqueue {
	pthread_mutex_t lock;
	pthread_cond_t not_full;
	pthread_cond_t not_empty;
	void **slots;         /* capacity of them: a ring */
	size_t capacity;
	size_t head;          /* the oldest item */
	size_t queued;        /* items pushed and not yet popped */
	bool closed;
};

struct bqueue *bqueue_new(size_t capacity)
{
	struct bqueue *q;

	if (capacity == 0)
		capacity = 1;
	q = g_new0(struct bqueue, 1);
	q->slots = g_new(void *, capacity);
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
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->not_full);
	pthread_cond_destroy(&q->not_empty);
	g_free(q->slots);
	g_free(q);
}

/* The item at the head, taken out. Called with the lock held and queued > 0. */
static void *take_head(struct bqueue *q)
{
	void *item = q->slots[q->head];

	q->head = q->head + 1 == q->capacity ? 0 : q->head + 1;
	q->queued--;
	return item;
}

bool bqueue_push(struct bqueue *q, void *item)
{
	size_t tail;

	pthread_mutex_lock(&q->lock);
	while (q->queued >= q->capacity && !q->closed)
		pthread_cond_wait(&q->not_full, &q->lock);
	if (q->closed) {
		pthread_mutex_unlock(&q->lock);
		return false;
	}
	tail = q->head + q->queued;
	q->slots[tail >= q->capacity ? tail - q->capacity : tail] = item;
	q->queued++;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
	return true;
}

void *bqueue_pop(struct bqueue *q)
{
	void *item = NULL;

	pthread_mutex_lock(&q->lock);
	while (q->queued == 0 && !q->closed)
		pthread_cond_wait(&q->not_empty, &q->lock);
	if (q->queued > 0) {
		item = take_head(q);
		pthread_cond_signal(&q->not_full);
	}
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

	pthread_mutex_lock(&q->lock);
	while (q->queued > 0) {
		void *item = take_head(q);

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
