/* statusline.c: a thread that redraws the progress line. */
#include "statusline.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#define REDRAW_MS 250

struct statusline {
	struct metrics *m;
	uint64_t total, base;
	uint64_t window, windows;     /* windows == 0: none */
	uint64_t wbase;               /* probes before the window began */
	FILE *fp;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	struct timespec t0;
};

static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void draw(struct statusline *sl)
{
	uint64_t probes = atomic_load_explicit(&sl->m->probes, memory_order_relaxed);
	uint64_t open = atomic_load_explicit(&sl->m->state[STATE_OPEN], memory_order_relaxed);
	/* With windows, done and total are the window's. */
	uint64_t done = sl->windows > 0 && probes >= sl->wbase ? probes - sl->wbase : probes;
	double t = since(&sl->t0);
	double rate = t > 0 ? (double)(probes - sl->base) / t : 0;
	double pct = sl->total ? 100.0 * (double)done / (double)sl->total : 100.0;
	char eta[32] = "--:--";

	/* \r and erase-line: the line is rewritten in place, never scrolled. */
	if (sl->windows > 0)
		fprintf(sl->fp, "\r\033[Kwindow %" PRIu64 "/%" PRIu64 "  ", sl->window + 1,
			sl->windows);
	else
		fputs("\r\033[K", sl->fp);
	if (rate > 0 && done < sl->total) {
		uint64_t left = (uint64_t)((double)(sl->total - done) / rate);

		if (left >= 3600)
			snprintf(eta, sizeof(eta), "%" PRIu64 ":%02" PRIu64 ":%02" PRIu64, left / 3600,
				 left / 60 % 60, left % 60);
		else
			snprintf(eta, sizeof(eta), "%" PRIu64 ":%02" PRIu64, left / 60, left % 60);
	}
	fprintf(sl->fp, "%" PRIu64 "/%" PRIu64 " (%.1f%%)  %.0f/s  ETA %s%s  open %" PRIu64,
		done, sl->total, pct, rate, eta, sl->windows > 0 ? " (window)" : "", open);
	fflush(sl->fp);
}

static void *statusline_main(void *arg)
{
	struct statusline *sl = arg;
	struct timespec next;

	pthread_mutex_lock(&sl->lock);
	while (!sl->stop) {
		clock_gettime(CLOCK_REALTIME, &next);
		next.tv_nsec += REDRAW_MS * 1000000L;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&sl->wake, &sl->lock, &next) == ETIMEDOUT && !sl->stop)
			draw(sl);
	}
	pthread_mutex_unlock(&sl->lock);
	fputs("\r\033[K", sl->fp);
	fflush(sl->fp);
	return NULL;
}

struct statusline *statusline_start(struct metrics *m, uint64_t total, uint64_t base, FILE *fp)
{
	struct statusline *sl;

	if (!isatty(fileno(fp)))
		return NULL;
	sl = calloc(1, sizeof(*sl));
	if (sl == NULL)
		return NULL;
	sl->m = m;
	sl->total = total;
	sl->base = base;
	sl->fp = fp;
	clock_gettime(CLOCK_REALTIME, &sl->t0);
	pthread_mutex_init(&sl->lock, NULL);
	pthread_cond_init(&sl->wake, NULL);
	if (pthread_create(&sl->thread, NULL, statusline_main, sl) != 0) {
		pthread_mutex_destroy(&sl->lock);
		pthread_cond_destroy(&sl->wake);
		free(sl);
		return NULL;
	}
	return sl;
}

void statusline_window(struct statusline *sl, uint64_t index, uint64_t count,
		       uint64_t total, uint64_t base)
{
	if (sl == NULL)
		return;
	pthread_mutex_lock(&sl->lock);
	sl->window = index;
	sl->windows = count;
	sl->total = total;
	sl->wbase = base;
	pthread_mutex_unlock(&sl->lock);
}

void statusline_stop(struct statusline *sl)
{
	if (sl == NULL)
		return;
	pthread_mutex_lock(&sl->lock);
	sl->stop = true;
	pthread_cond_signal(&sl->wake);
	pthread_mutex_unlock(&sl->lock);
	pthread_join(sl->thread, NULL);
	pthread_mutex_destroy(&sl->lock);
	pthread_cond_destroy(&sl->wake);
	free(sl);
}
