/* test_enrich.c: the enrichment stage between an asynchronous method and
 * the results thread (src/engine/enrich.c).
 *
 * A scripted sender and receiver stand in for the SYN method: the sender
 * waits for room (enrich_wait_room) before each task, as the pool does,
 * and pushes results; the stage's work is scripted (a delay, a gate) so
 * that its order and its backlog can be watched. The last tests run the
 * real work: a detection connect to a loopback listener that speaks a
 * banner, and one to a port where nothing listens. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <glib.h>

#include "enrich.h"
#include "metrics.h"
#include "probe_db.h"
#include "queue.h"

#define N_RESULTS 400

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static struct result *result_at(uint16_t port, enum port_state s)
{
	struct result *r = result_new();

	pl_addr_parse("127.0.0.1", &r->addr);
	r->port = port;
	r->seq = port;
	r->state = s;
	return r;
}

/* Scripted work: port p takes (p % 7) ms, so later results overtake
 * earlier ones; each is tagged with its port. A gate holds every thread
 * while closed. */
struct script {
	pthread_mutex_t lock;
	pthread_cond_t open_cond;
	bool gate_closed;
	_Atomic unsigned in_work;
	_Atomic unsigned done;
	bool delay;
};

static void script_init(struct script *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->open_cond, NULL);
}

static void script_gate(struct script *s, bool closed)
{
	pthread_mutex_lock(&s->lock);
	s->gate_closed = closed;
	pthread_cond_broadcast(&s->open_cond);
	pthread_mutex_unlock(&s->lock);
}

static void script_work(struct result *r, void *ud)
{
	struct script *s = ud;

	atomic_fetch_add(&s->in_work, 1);
	pthread_mutex_lock(&s->lock);
	while (s->gate_closed)
		pthread_cond_wait(&s->open_cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	if (s->delay)
		sleep_ms(r->port % 7);
	r->service = g_strdup_printf("svc-%u", r->port);
	atomic_fetch_sub(&s->in_work, 1);
	atomic_fetch_add(&s->done, 1);
}

/* Everything the stage passed on, each port once and tagged. */
static void check_out(struct bqueue *out, unsigned n, unsigned *out_of_order)
{
	uint8_t *seen = g_malloc0(n + 1);
	struct result *chain;
	unsigned got = 0, last = 0;

	*out_of_order = 0;
	while (bqueue_length(out) > 0 && (chain = bqueue_pop(out)) != NULL) {
		while (chain != NULL) {
			struct result *next = chain->next;
			char *want = g_strdup_printf("svc-%u", chain->port);

			assert_true(chain->port >= 1 && chain->port <= n);
			assert_int_equal(seen[chain->port], 0);
			seen[chain->port] = 1;
			assert_non_null(chain->service);
			assert_string_equal(chain->service, want);
			if (chain->port < last)
				(*out_of_order)++;
			last = chain->port;
			g_free(want);
			result_free(chain);
			got++;
			chain = next;
		}
	}
	assert_int_equal(got, n);
	g_free(seen);
}

static struct enrich *start_stage(struct script *s, struct bqueue *out, struct metrics *m,
				  const atomic_bool *stop, unsigned threads, size_t hw,
				  size_t max_pending)
{
	struct enrich_config ec = {
		.threads = threads, .high_water = hw, .max_pending = max_pending, .workers = 1,
		.out = out, .metrics = m, .stopping = stop, .work = script_work, .work_ud = s,
	};
	GError *err = NULL;
	struct enrich *e = enrich_start(&ec, &err);

	assert_null(err);
	assert_non_null(e);
	return e;
}

/* Results in any order, some in chains, some single, from two threads:
 * every one comes out once, done, whatever order the threads finished in. */
struct producer {
	struct enrich *e;
	unsigned from, step;
};

static void *produce(void *arg)
{
	struct producer *p = arg;

	for (unsigned port = p->from; port <= N_RESULTS; port += p->step) {
		struct result *r = result_at((uint16_t)port, STATE_OPEN);

		assert_true(enrich_wait_room(p->e));
		if (port % 3 == 0 && port + p->step <= N_RESULTS) {
			/* A chain of two, as the pool flushes them. */
			port += p->step;
			r->next = result_at((uint16_t)port, STATE_CLOSED);
		}
		assert_true(bqueue_push(enrich_input(p->e), r));
	}
	return NULL;
}

static void test_every_result_once_any_order(void **state)
{
	struct script s;
	struct metrics m;
	atomic_bool stop = false;
	struct bqueue *out = bqueue_new(2 * N_RESULTS);
	struct producer p1, p2;
	pthread_t t1, t2;
	struct enrich *e;
	unsigned disorder;

	script_init(&s);
	s.delay = true;
	metrics_init(&m);
	e = start_stage(&s, out, &m, &stop, 4, 16, 0);
	p1 = (struct producer){ .e = e, .from = 1, .step = 2 };
	p2 = (struct producer){ .e = e, .from = 2, .step = 2 };
	pthread_create(&t1, NULL, produce, &p1);
	pthread_create(&t2, NULL, produce, &p2);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	enrich_join(e);
	assert_int_equal(atomic_load(&s.done), N_RESULTS);
	check_out(out, N_RESULTS, &disorder);
	/* Four threads with uneven delays: the output is not the input's
	 * order, and nothing depends on it. */
	assert_true(disorder > 0);
	bqueue_free(out);
}

/* The sender stalls at the high-water mark while the stage is held, and a
 * receiver can still hand over everything in flight without waiting. */
struct sender {
	struct enrich *e;
	_Atomic unsigned sent;
	unsigned limit;
	bool stopped;
};

static void *send_main(void *arg)
{
	struct sender *sd = arg;

	for (unsigned port = 1; port <= sd->limit; port++) {
		if (!enrich_wait_room(sd->e)) {
			sd->stopped = true;
			break;
		}
		assert_true(bqueue_push(enrich_input(sd->e), result_at((uint16_t)port, STATE_OPEN)));
		atomic_fetch_add(&sd->sent, 1);
	}
	return NULL;
}

#define HW 8
#define THREADS 2
#define PENDING 100
/* What the stage holds when its workers are stuck (enrich.c): THREADS at
 * work, THREADS in the work queue, one in the dispatcher's hand, HW queued. */
#define HELD (HW + 2 * THREADS + 1)

static void test_sender_stalls_at_high_water(void **state)
{
	struct script s;
	struct metrics m;
	atomic_bool stop = false;
	struct bqueue *out = bqueue_new(1024);
	struct sender sd = { .limit = 300 };
	struct bqueue *in;
	pthread_t t;
	struct enrich *e;
	unsigned sent, disorder;

	script_init(&s);
	script_gate(&s, true);
	metrics_init(&m);
	e = start_stage(&s, out, &m, &stop, THREADS, HW, PENDING);
	in = enrich_input(e);
	sd.e = e;
	pthread_create(&t, NULL, send_main, &sd);
	sleep_ms(300);
	sent = atomic_load(&sd.sent);
	/* Each held worker has one result, the work queue one per worker,
	 * the dispatcher one it cannot hand over, the input HW: the sender
	 * waits. */
	assert_int_equal(atomic_load(&s.in_work), THREADS);
	assert_int_equal(sent, HELD);
	assert_int_equal(enrich_backlog(e), HW);
	sleep_ms(200);
	assert_int_equal(atomic_load(&sd.sent), sent);
	/* What the method still had in flight arrives now: the queue takes
	 * all of it (a push that waited would hang this test). */
	assert_true(bqueue_capacity(in) - bqueue_length(in) >= PENDING);
	for (unsigned i = 0; i < PENDING; i++)
		assert_true(bqueue_push(in, result_at((uint16_t)(1000 + i), STATE_OPEN)));
	assert_int_equal(atomic_load(&sd.sent), sent);
	script_gate(&s, false);
	pthread_join(t, NULL);
	enrich_join(e);
	assert_int_equal(atomic_load(&s.done), 300 + PENDING);
	/* check_out wants ports 1..n: take the late ones out first. */
	{
		struct bqueue *rest = bqueue_new(1024);
		struct result *c;

		while (bqueue_length(out) > 0 && (c = bqueue_pop(out)) != NULL) {
			if (c->port >= 1000)
				result_free(c);
			else
				assert_true(bqueue_push(rest, c));
		}
		check_out(rest, 300, &disorder);
		bqueue_free(rest);
	}
	bqueue_free(out);
}

/* A stop releases the stalled sender at once, and the stage still passes
 * on everything it was given: an answered port is never lost. */
static void test_stop_drains(void **state)
{
	struct script s;
	struct metrics m;
	atomic_bool stop = false;
	struct bqueue *out = bqueue_new(1024);
	struct sender sd = { .limit = 300 };
	pthread_t t;
	struct enrich *e;
	unsigned disorder, sent;
	int64_t t0;

	script_init(&s);
	script_gate(&s, true);
	metrics_init(&m);
	e = start_stage(&s, out, &m, &stop, THREADS, HW, 0);
	sd.e = e;
	pthread_create(&t, NULL, send_main, &sd);
	sleep_ms(200);
	t0 = g_get_monotonic_time();
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	/* Noticed within the stage's poll (50 ms), with slack for load. */
	assert_true(g_get_monotonic_time() - t0 < 1000 * 1000);
	assert_true(sd.stopped);
	sent = atomic_load(&sd.sent);
	assert_int_equal(sent, HELD);
	script_gate(&s, false);
	enrich_join(e);
	assert_int_equal(atomic_load(&s.done), sent);
	check_out(out, sent, &disorder);
	bqueue_free(out);
}

/* ------------------------------------------------- the real work */

static const char probe_yaml[] =
	"- probe: banner\n"
	"  send: \"\"\n"
	"  wait_ms: 2000\n"
	"  matches:\n"
	"    - service: enrichtest\n"
	"      pattern: '^ENRICH ([0-9.]+)'\n"
	"      product: Enrich daemon\n"
	"      version: \"$1\"\n";

struct listener {
	int fd;
	uint16_t port;
	pthread_t t;
};

static void *serve(void *arg)
{
	struct listener *l = arg;
	int c = accept(l->fd, NULL, NULL);

	if (c >= 0) {
		(void)!write(c, "ENRICH 4.2\r\n", 12);
		sleep_ms(300);
		close(c);
	}
	return NULL;
}

static uint16_t bound_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	return ntohs(a.sin_port);
}

static int loopback_socket(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static struct result *run_real(struct detect_config *dc, struct result *r)
{
	struct metrics m;
	atomic_bool stop = false;
	struct bqueue *out = bqueue_new(4);
	struct enrich_config ec = {
		.detect = dc, .threads = 2, .workers = 1, .out = out, .metrics = &m,
		.stopping = &stop,
	};
	GError *err = NULL;
	struct enrich *e;
	struct result *got;

	metrics_init(&m);
	e = enrich_start(&ec, &err);
	assert_non_null(e);
	assert_true(enrich_wait_room(e));
	assert_true(bqueue_push(enrich_input(e), r));
	enrich_join(e);
	got = bqueue_pop(out);
	assert_ptr_equal(got, r);
	bqueue_free(out);
	return got;
}

static void test_detects_open_port(void **state)
{
	struct probe_db *db = probe_db_new();
	struct detect_config dc = { .budget_ms = 3000, .banner_wait_ms = 500,
				    .connect_timeout_ms = 1000 };
	struct listener l;
	struct result *r, *closed;
	GError *err = NULL;

	assert_int_equal(probe_db_load_string(db, probe_yaml, strlen(probe_yaml), "t.yaml", &err), 0);
	dc.db = db;
	l.fd = loopback_socket();
	assert_int_equal(listen(l.fd, 4), 0);
	l.port = bound_port(l.fd);
	pthread_create(&l.t, NULL, serve, &l);

	r = run_real(&dc, result_at(l.port, STATE_OPEN));
	assert_int_equal(r->state, STATE_OPEN);
	assert_int_equal(r->err, 0);
	assert_string_equal(r->service, "enrichtest");
	assert_string_equal(r->product, "Enrich daemon");
	assert_string_equal(r->version, "4.2");
	/* A closed port is passed on untouched: no connection is made. */
	closed = run_real(&dc, result_at(l.port, STATE_CLOSED));
	assert_null(closed->service);
	assert_int_equal(closed->err, 0);
	pthread_join(l.t, NULL);
	close(l.fd);
	result_free(r);
	result_free(closed);
	probe_db_free(db);
}

/* The port closed between the SYN-ACK and the detection connect: it stays
 * open (the scan's answer), no service, and the error says why. */
static void test_failed_connect_stays_open(void **state)
{
	struct probe_db *db = probe_db_new();
	struct detect_config dc = { .budget_ms = 3000, .banner_wait_ms = 500,
				    .connect_timeout_ms = 1000 };
	int fd = loopback_socket();     /* bound, never listening: refused */
	struct result *r;
	GError *err = NULL;

	assert_int_equal(probe_db_load_string(db, probe_yaml, strlen(probe_yaml), "t.yaml", &err), 0);
	dc.db = db;
	r = run_real(&dc, result_at(bound_port(fd), STATE_OPEN));
	assert_int_equal(r->state, STATE_OPEN);
	assert_int_equal(r->reason, REASON_SYN_ACK);
	assert_null(r->service);
	assert_int_equal(r->err, ECONNREFUSED);
	close(fd);
	result_free(r);
	probe_db_free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_result_once_any_order),
		cmocka_unit_test(test_sender_stalls_at_high_water),
		cmocka_unit_test(test_stop_drains),
		cmocka_unit_test(test_detects_open_port),
		cmocka_unit_test(test_failed_connect_stays_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
