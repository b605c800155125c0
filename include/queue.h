/* queue.h: a bounded blocking queue of pointers, first in, first out.
 *
 * A producer that runs ahead of the consumers blocks instead of filling
 * memory. Any number of threads may push and pop. */
#ifndef PORTOLAN_QUEUE_H
#define PORTOLAN_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

struct bqueue;

/* capacity >= 1 (0 counts as 1). Like the rest of GLib it aborts when
 * memory runs out, so it never returns NULL. */
struct bqueue *bqueue_new(size_t capacity);
/* The queue must be empty and no thread may be using it. */
void bqueue_free(struct bqueue *q);

/* Blocks while the queue is full. item must not be NULL. On return the queue
 * owns item until a pop hands it to the consumer. Returns false (item not
 * queued, still the caller's) when the queue was closed. */
bool bqueue_push(struct bqueue *q, void *item);

/* Blocks while the queue is empty. Returns NULL once the queue is closed and
 * drained; the caller owns the returned item. */
void *bqueue_pop(struct bqueue *q);

/* No more pushes: blocked and future pushes fail, pops drain what is queued
 * and then return NULL. Safe to call more than once. */
void bqueue_close(struct bqueue *q);

/* Removes every queued item without handing it out, calling drop on each;
 * used when a scan is cancelled. Returns how many were dropped. */
size_t bqueue_drain(struct bqueue *q, void (*drop)(void *item, void *ud), void *ud);

size_t bqueue_length(struct bqueue *q);
size_t bqueue_capacity(const struct bqueue *q);

#endif
