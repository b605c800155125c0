/* ratecheck.c: real-time accuracy check of the shared rate limiter.
 *
 * Not part of `make test`: it takes wall-clock time and its verdict depends
 * on the machine. For each rate, THREADS workers take tokens as fast as the
 * limiter lets them; after a warm-up second (which absorbs the initial burst
 * and the thread start-up) the takes that complete within the next WINDOW
 * seconds are counted and compared with the target.
 *
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -pthread -Iinclude \
 *      -o ratecheck bench/ratecheck.c src/engine/ratelimit.c
 *   ./ratecheck [seconds [threads [rate ...]]]
 *
 * Exits non-zero when a measured rate is off by more than 5%. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "ratelimit.h"

#define WARMUP_NS INT64_C(1000000000)

struct run {
	struct ratelimit *rl;
	int64_t start_ns, end_ns;    /* the counting window */
	atomic_uint_fast64_t counted;
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until(int64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000), .tv_nsec = (long)(ns % 1000000000) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
		;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void *worker(void *arg)
{
	struct run *r = arg;

	while (ratelimit_take(r->rl)) {
		int64_t t = mono_ns();

		if (t >= r->end_ns)
			break;
		if (t >= r->start_ns)
			atomic_fetch_add_explicit(&r->counted, 1, memory_order_relaxed);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const double default_rates[] = { 1, 100, 10000, 100000, 200000 };
	double seconds = argc > 1 ? atof(argv[1]) : 10.0;
	int threads = argc > 2 ? atoi(argv[2]) : 200;
	int nrates = argc > 3 ? argc - 3 : (int)(sizeof(default_rates) / sizeof(default_rates[0]));
	pthread_t *th = calloc((size_t)threads, sizeof(*th));
	int bad = 0;

	if (th == NULL || threads < 1 || !(seconds > 0.0))
		return 2;
	printf("%10s %12s %12s %8s %8s  (%d threads, %.1f s window)\n", "target/s", "measured/s",
	       "takes", "error", "cpu s", threads, seconds);
	for (int i = 0; i < nrates; i++) {
		double rate = argc > 3 ? atof(argv[3 + i]) : default_rates[i];
		struct run r = { .rl = ratelimit_new(rate) };
		double cpu0 = cpu_seconds(), measured, err;
		int started = 0;

		if (r.rl == NULL)
			return 2;
		r.start_ns = mono_ns() + WARMUP_NS;
		r.end_ns = r.start_ns + (int64_t)(seconds * 1e9);
		atomic_init(&r.counted, 0);
		for (; started < threads; started++)
			if (pthread_create(&th[started], NULL, worker, &r) != 0)
				break;
		sleep_until(r.end_ns);
		/* Workers holding reservations past the window are released. */
		ratelimit_close(r.rl);
		for (int k = 0; k < started; k++)
			pthread_join(th[k], NULL);
		measured = (double)atomic_load(&r.counted) / seconds;
		err = (measured - rate) / rate * 100.0;
		printf("%10.0f %12.1f %12llu %+7.2f%% %8.2f%s\n", rate, measured,
		       (unsigned long long)atomic_load(&r.counted), err, cpu_seconds() - cpu0,
		       err > 5.0 || err < -5.0 ? "  OUT OF BOUNDS" : "");
		fflush(stdout);
		bad |= err > 5.0 || err < -5.0;
		ratelimit_free(r.rl);
	}
	free(th);
	return bad;
}
