/* progress.c: low watermark plus a bitmap of the done positions above it.
 *
 * The bitmap covers [base, base + 64 * nwords), base a multiple of 64 at or
 * below low. A bit per position rather than a set entry per position: while
 * one slow task (a filtered port, a service probe) holds low back, the
 * others finish tens of thousands of positions above it, and a hash set
 * spent some 40 bytes on each of them. The words below low are dropped once
 * they make up half of the array, so memory follows the spread of the
 * positions in flight, not the size of the scan. */
#include "progress.h"

#include <pthread.h>
#include <string.h>
#include <glib.h>

#define MIN_WORDS 64

struct progress {
	pthread_mutex_t lock;
	pthread_cond_t moved;    /* low reached want, or cancelled */
	uint64_t want;           /* what a waiter waits for low to reach; 0: none */
	bool cancelled;
	uint64_t low;
	uint64_t base;       /* position of bit 0 of words[0]; base <= low */
	uint64_t *words;
	size_t nwords;
	size_t ndone;        /* bits set at or above low */
};

static bool bit_at(const struct progress *p, uint64_t pos)
{
	uint64_t off = pos - p->base;

	if (off / 64 >= p->nwords)
		return false;
	return (p->words[off / 64] >> (off % 64)) & 1;
}

/* Drops the words wholly below low, when they are half the array. */
static void compact(struct progress *p)
{
	size_t drop = (size_t)((p->low - p->base) / 64);

	if (drop == 0 || drop < p->nwords / 2)
		return;
	memmove(p->words, p->words + drop, (p->nwords - drop) * sizeof(*p->words));
	memset(p->words + (p->nwords - drop), 0, drop * sizeof(*p->words));
	p->base += (uint64_t)drop * 64;
}

static void set_bit(struct progress *p, uint64_t pos)
{
	uint64_t off = pos - p->base;
	size_t w = (size_t)(off / 64), n = p->nwords;

	if (w >= n) {
		while (n <= w)
			n *= 2;
		p->words = g_renew(uint64_t, p->words, n);
		memset(p->words + p->nwords, 0, (n - p->nwords) * sizeof(*p->words));
		p->nwords = n;
	}
	if (!((p->words[w] >> (off % 64)) & 1)) {
		p->words[w] |= UINT64_C(1) << (off % 64);
		p->ndone++;
	}
}

/* Advances low over every position that is now contiguous with it. */
static void advance(struct progress *p)
{
	while (p->ndone > 0 && bit_at(p, p->low)) {
		p->ndone--;
		p->low++;
	}
	compact(p);
	/* Only a waiter's target is worth a wake-up, not every position. */
	if (p->want != 0 && p->low >= p->want)
		pthread_cond_broadcast(&p->moved);
}

/* Sets the state to a saved one; the lock is held, or p is new. */
static void reset(struct progress *p, uint64_t low, const uint64_t *done, size_t ndone)
{
	p->low = low;
	p->base = low - low % 64;
	p->nwords = MIN_WORDS;
	g_free(p->words);
	p->words = g_new0(uint64_t, p->nwords);
	p->ndone = 0;
	for (size_t i = 0; i < ndone; i++)
		if (done[i] >= low)
			set_bit(p, done[i]);
	advance(p);
}

struct progress *progress_new(uint64_t low, const uint64_t *done, size_t ndone)
{
	struct progress *p = g_new0(struct progress, 1);

	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->moved, NULL);
	reset(p, low, done, ndone);
	return p;
}

void progress_free(struct progress *p)
{
	if (p == NULL)
		return;
	g_free(p->words);
	pthread_cond_destroy(&p->moved);
	pthread_mutex_destroy(&p->lock);
	g_free(p);
}

void progress_restart(struct progress *p, uint64_t low, const uint64_t *done, size_t ndone)
{
	pthread_mutex_lock(&p->lock);
	reset(p, low, done, ndone);
	pthread_mutex_unlock(&p->lock);
}

bool progress_wait(struct progress *p, uint64_t upto)
{
	bool reached;

	pthread_mutex_lock(&p->lock);
	/* want 0 means no waiter, and low >= 0 holds at once anyway. */
	p->want = upto;
	while (p->low < upto && !p->cancelled)
		pthread_cond_wait(&p->moved, &p->lock);
	reached = p->low >= upto;
	p->want = 0;
	pthread_mutex_unlock(&p->lock);
	return reached;
}

void progress_cancel(struct progress *p)
{
	pthread_mutex_lock(&p->lock);
	p->cancelled = true;
	pthread_cond_broadcast(&p->moved);
	pthread_mutex_unlock(&p->lock);
}

void progress_mark(struct progress *p, uint64_t pos)
{
	pthread_mutex_lock(&p->lock);
	if (pos >= p->low) {
		set_bit(p, pos);
		advance(p);
	}
	pthread_mutex_unlock(&p->lock);
}

bool progress_is_done(struct progress *p, uint64_t pos)
{
	bool done;

	pthread_mutex_lock(&p->lock);
	done = pos < p->low || bit_at(p, pos);
	pthread_mutex_unlock(&p->lock);
	return done;
}

uint64_t progress_snapshot(struct progress *p, uint64_t **done, size_t *ndone)
{
	uint64_t low;
	size_t i = 0;

	pthread_mutex_lock(&p->lock);
	low = p->low;
	*ndone = p->ndone;
	*done = g_new(uint64_t, *ndone > 0 ? *ndone : 1);
	/* Word by word from low's: positions come out sorted. */
	for (size_t w = (size_t)((low - p->base) / 64); w < p->nwords && i < *ndone; w++) {
		for (unsigned b = 0; b < 64; b++) {
			uint64_t pos = p->base + (uint64_t)w * 64 + b;

			if ((p->words[w] >> b & 1) && pos >= low)
				(*done)[i++] = pos;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return low;
}
