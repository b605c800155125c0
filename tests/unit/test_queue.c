/* test_queue.c: the bounded queue never holds more than its capacity, a full
 * queue blocks its producer, and close releases every waiter. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include <glib.h>

#include "queue.h"

#define CAP 8
#define ITEMS 10000

struct producer {
	struct bqueue *q;
	atomic_int pushed;
	int n;
};

static void *produce(void *arg)
{
	struct producer *p = arg;

	for (int i = 1; i <= p->n; i++) {
		if (!bqueue_push(p->q, (void *)(intptr_t)i))
			break;
		atomic_fetch_add(&p->pushed, 1);
	}
	return NULL;
}

static void pause_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* Waits (without bound on time) until cond holds: no wall-clock limit. */
#define WAIT_UNTIL(cond) do { while (!(cond)) pause_ms(1); } while (0)

static void test_full_queue_blocks_producer(void **state)
{
	struct producer p = { .q = bqueue_new(CAP), .n = CAP + 5 };
	pthread_t t;

	assert_int_equal(bqueue_capacity(p.q), CAP);
	pthread_create(&t, NULL, produce, &p);
	WAIT_UNTIL(atomic_load(&p.pushed) == CAP);
	/* Give a misbehaving queue every chance to accept a ninth item. */
	pause_ms(50);
	assert_int_equal(atomic_load(&p.pushed), CAP);
	assert_int_equal(bqueue_length(p.q), CAP);

	/* One pop makes room for exactly one more push. */
	assert_ptr_equal(bqueue_pop(p.q), (void *)(intptr_t)1);
	WAIT_UNTIL(atomic_load(&p.pushed) == CAP + 1);
	pause_ms(20);
	assert_int_equal(atomic_load(&p.pushed), CAP + 1);
	assert_int_equal(bqueue_length(p.q), CAP);

	for (int i = 2; i <= CAP + 5; i++)
		assert_ptr_equal(bqueue_pop(p.q), (void *)(intptr_t)i);
	pthread_join(t, NULL);
	assert_int_equal(bqueue_length(p.q), 0);
	bqueue_free(p.q);
}

struct consumer {
	struct bqueue *q;
	long sum;
	int count;
	size_t max_seen;
};

static void *consume(void *arg)
{
	struct consumer *c = arg;
	void *item;

	while ((item = bqueue_pop(c->q)) != NULL) {
		size_t len = bqueue_length(c->q);

		if (len > c->max_seen)
			c->max_seen = len;
		c->sum += (long)(intptr_t)item;
		c->count++;
	}
	return NULL;
}

static void test_many_producers_consumers_exact(void **state)
{
	struct bqueue *q = bqueue_new(CAP);
	struct producer prod[3];
	struct consumer cons[4];
	pthread_t pt[3], ct[4];
	long sum = 0;
	int count = 0;

	for (int i = 0; i < 4; i++) {
		cons[i] = (struct consumer){ .q = q };
		pthread_create(&ct[i], NULL, consume, &cons[i]);
	}
	for (int i = 0; i < 3; i++) {
		prod[i] = (struct producer){ .q = q, .n = ITEMS };
		atomic_init(&prod[i].pushed, 0);
		pthread_create(&pt[i], NULL, produce, &prod[i]);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(pt[i], NULL);
	bqueue_close(q);
	for (int i = 0; i < 4; i++) {
		pthread_join(ct[i], NULL);
		sum += cons[i].sum;
		count += cons[i].count;
		assert_true(cons[i].max_seen <= CAP);
	}
	assert_int_equal(count, 3 * ITEMS);
	assert_int_equal(sum, 3L * ITEMS * (ITEMS + 1) / 2);
	bqueue_free(q);
}

static void test_close_releases_blocked_push_and_pop(void **state)
{
	struct producer p = { .q = bqueue_new(1), .n = 3 };
	struct consumer c;
	pthread_t t;

	pthread_create(&t, NULL, produce, &p);
	WAIT_UNTIL(atomic_load(&p.pushed) == 1);
	bqueue_close(p.q);
	pthread_join(t, NULL);   /* the blocked push returned false */
	assert_int_equal(atomic_load(&p.pushed), 1);
	assert_false(bqueue_push(p.q, (void *)1));

	/* Pops drain what is queued, then report the end. */
	assert_ptr_equal(bqueue_pop(p.q), (void *)(intptr_t)1);
	assert_null(bqueue_pop(p.q));
	bqueue_free(p.q);

	/* A consumer blocked on an empty queue wakes on close. */
	c = (struct consumer){ .q = bqueue_new(4) };
	pthread_create(&t, NULL, consume, &c);
	pause_ms(10);
	bqueue_close(c.q);
	pthread_join(t, NULL);
	assert_int_equal(c.count, 0);
	bqueue_free(c.q);
}

static void drop(void *item, void *ud)
{
	(*(int *)ud)++;
}

static void test_drain_drops_everything(void **state)
{
	struct bqueue *q = bqueue_new(CAP);
	int dropped = 0;

	for (int i = 1; i <= 5; i++)
		assert_true(bqueue_push(q, (void *)(intptr_t)i));
	assert_int_equal(bqueue_drain(q, drop, &dropped), 5);
	assert_int_equal(dropped, 5);
	assert_int_equal(bqueue_length(q), 0);
	bqueue_free(q);
}

struct order {
	struct bqueue *q;
	int next;            /* the item the consumer expects next */
	bool in_order;
};

static void *consume_in_order(void *arg)
{
	struct order *o = arg;
	void *item;

	while ((item = bqueue_pop(o->q)) != NULL)
		if ((intptr_t)item != o->next++)
			o->in_order = false;
	return NULL;
}

/* One producer, one consumer: items come out in the order they went in,
 * across thousands of turns of a small ring. */
static void test_fifo_across_wraps(void **state)
{
	struct order o = { .q = bqueue_new(3), .next = 1, .in_order = true };
	struct producer p = { .q = o.q, .n = ITEMS };
	pthread_t pt, ct;

	atomic_init(&p.pushed, 0);
	pthread_create(&ct, NULL, consume_in_order, &o);
	pthread_create(&pt, NULL, produce, &p);
	pthread_join(pt, NULL);
	bqueue_close(o.q);
	pthread_join(ct, NULL);
	assert_true(o.in_order);
	assert_int_equal(o.next, ITEMS + 1);
	bqueue_free(o.q);
}

static void record(void *item, void *ud)
{
	GArray *seen = ud;
	int v = (int)(intptr_t)item;

	g_array_append_val(seen, v);
}

/* A drain of a ring that has wrapped drops the items oldest first, and the
 * queue works as before afterwards. */
static void test_drain_wrapped_then_reuse(void **state)
{
	struct bqueue *q = bqueue_new(4);
	GArray *seen = g_array_new(FALSE, FALSE, sizeof(int));

	for (int i = 1; i <= 3; i++)
		assert_true(bqueue_push(q, (void *)(intptr_t)i));
	assert_ptr_equal(bqueue_pop(q), (void *)(intptr_t)1);
	assert_ptr_equal(bqueue_pop(q), (void *)(intptr_t)2);
	for (int i = 4; i <= 6; i++)        /* 5 and 6 wrap to the front */
		assert_true(bqueue_push(q, (void *)(intptr_t)i));
	assert_int_equal(bqueue_length(q), 4);
	assert_int_equal(bqueue_drain(q, record, seen), 4);
	assert_int_equal(seen->len, 4);
	for (guint i = 0; i < seen->len; i++)
		assert_int_equal(g_array_index(seen, int, i), (int)i + 3);
	for (int i = 7; i <= 10; i++)
		assert_true(bqueue_push(q, (void *)(intptr_t)i));
	for (int i = 7; i <= 10; i++)
		assert_ptr_equal(bqueue_pop(q), (void *)(intptr_t)i);
	assert_int_equal(bqueue_length(q), 0);
	g_array_free(seen, TRUE);
	bqueue_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_queue_blocks_producer),
		cmocka_unit_test(test_many_producers_consumers_exact),
		cmocka_unit_test(test_close_releases_blocked_push_and_pop),
		cmocka_unit_test(test_drain_drops_everything),
		cmocka_unit_test(test_fifo_across_wraps),
		cmocka_unit_test(test_drain_wrapped_then_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
