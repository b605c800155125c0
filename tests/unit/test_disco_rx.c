/* test_disco_rx.c: the discovery probers' reader thread (disco_rx.h) over
 * pipes: each readable descriptor's read function is called with its
 * number; a descriptor whose read fails for good is not called again
 * (even with bytes left in it: no spinning); stop joins the thread; and in
 * the thread SIGINT, SIGTERM and SIGUSR2 are blocked while the privilege
 * drop's real-time signal is not. Waits are on conditions, not time. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "disco_rx.h"

struct seen {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int fds[2];
	atomic_uint calls[2];
	bool fail_second;
	bool mask_checked, mask_ok;
};

static int on_read(void *ctx, size_t i)
{
	struct seen *s = ctx;
	char buf[16];
	sigset_t now;

	/* Only the first call of the failing descriptor takes the lock: a
	 * reader that kept calling it (the bug) must not starve the test's
	 * own waits, it must fail the count below. */
	if (i == 1 && s->fail_second) {
		if (atomic_fetch_add(&s->calls[i], 1) > 0)
			return -1;
	} else {
		/* One byte a call, counted once read: a byte written after
		 * the count moved is another call. */
		(void)!read(s->fds[i], buf, 1);
		atomic_fetch_add(&s->calls[i], 1);
	}
	pthread_mutex_lock(&s->lock);
	if (!s->mask_checked) {
		pthread_sigmask(SIG_SETMASK, NULL, &now);
		s->mask_ok = sigismember(&now, SIGINT) == 1 && sigismember(&now, SIGTERM) == 1 &&
			     sigismember(&now, SIGUSR2) == 1 && sigismember(&now, SIGRTMIN + 3) == 0;
		s->mask_checked = true;
	}
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
	/* Descriptor 1 is broken for good: its byte stays unread. */
	return i == 1 && s->fail_second ? -1 : 0;
}

/* Waits until descriptor i has been read at least n times. */
static void wait_calls(struct seen *s, size_t i, unsigned n)
{
	pthread_mutex_lock(&s->lock);
	while (atomic_load(&s->calls[i]) < n)
		pthread_cond_wait(&s->changed, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

static void test_reads_and_stops(void **state)
{
	struct seen s = { .lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER };
	int p0[2], p1[2];
	struct disco_rx rx;
	sigset_t all, old;
	GError *err = NULL;

	/* The creator blocks everything: the reader must open what it takes. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	assert_int_equal(pipe(p0), 0);
	assert_int_equal(pipe(p1), 0);
	s.fds[0] = p0[0];
	s.fds[1] = p1[0];
	s.fail_second = true;
	disco_rx_init(&rx, on_read, &s);
	assert_int_equal(disco_rx_add(&rx, p0[0]), 0);
	assert_int_equal(disco_rx_add(&rx, p1[0]), 1);
	assert_int_equal(disco_rx_start(&rx, "test", &err), 0);
	assert_null(err);

	assert_int_equal(write(p0[1], "a", 1), 1);
	wait_calls(&s, 0, 1);
	assert_int_equal(write(p1[1], "b", 1), 1);
	wait_calls(&s, 1, 1);
	/* Descriptor 1 failed with its byte unread: it would stay readable,
	 * but it is polled no more. Two more rounds on descriptor 0 (each a
	 * full pass of the loop) see it called once only. */
	assert_int_equal(write(p0[1], "c", 1), 1);
	wait_calls(&s, 0, 2);
	assert_int_equal(write(p0[1], "d", 1), 1);
	wait_calls(&s, 0, 3);
	pthread_mutex_lock(&s.lock);
	assert_int_equal(atomic_load(&s.calls[1]), 1);
	assert_true(s.mask_checked);
	assert_true(s.mask_ok);
	pthread_mutex_unlock(&s.lock);

	disco_rx_stop(&rx);
	disco_rx_stop(&rx);            /* twice: a no-op */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(p0[0]);
	close(p0[1]);
	close(p1[0]);
	close(p1[1]);
}

static void test_limits(void **state)
{
	struct disco_rx rx;

	disco_rx_init(&rx, on_read, NULL);
	assert_int_equal(disco_rx_add(&rx, -1), -1);
	for (int i = 0; i < DISCO_RX_MAX; i++)
		assert_int_equal(disco_rx_add(&rx, 0), i);
	assert_int_equal(disco_rx_add(&rx, 0), -1);
	disco_rx_stop(&rx);            /* never started: a no-op */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_and_stops),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
