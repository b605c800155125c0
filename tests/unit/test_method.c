/* test_method.c: a scan method plugged into the real pipeline.
 *
 * A test-only method answers from a scripted table (port -> state, reason,
 * latency, unanswered attempts before the answer, a delay, an errno) and
 * runs through everything a real scan runs through: settings, plan_build,
 * the task queue, the worker pool, the results thread, the CSV and JSON
 * writers and the summary. Every row of both files is checked against the
 * script. Nothing listens on 127.0.0.1-2 ports 1-8 and nothing is sent: a
 * pool that probed by itself instead of calling the method would report
 * them closed (conn-refused) with other latencies and attempt counts, and
 * the method would count no calls.
 *
 * One port is left pending by probe() and delivered by finish(), as an
 * asynchronous method delivers what its receiver thread saw. The method
 * caps its workers (max_workers), keeps per-worker state, and takes its
 * retry timeouts from the shared timing estimate and one rate token per
 * attempt, as method.h asks of every method. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "log.h"
#include "method.h"
#include "metrics.h"
#include "plan.h"
#include "queue.h"
#include "ratelimit.h"
#include "scan.h"
#include "settings.h"
#include "timing.h"

#define NEVER UINT_MAX
#define RETRIES 2
#define MAX_WORKERS 3

struct script_line {
	uint16_t port;
	enum port_state state;   /* once it answers; NEVER answering is filtered */
	enum reason reason;
	unsigned timeouts;       /* unanswered attempts before the answer */
	unsigned delay_ms;       /* the answer takes this long */
	int err;                 /* for the error state */
	bool pending;            /* delivered by finish(), not by the pool */
};

static const struct script_line script[] = {
	{ 1, STATE_OPEN, REASON_SYN_ACK, 0, 0, 0, false },
	{ 2, STATE_CLOSED, REASON_CONN_REFUSED, 0, 0, 0, false },
	{ 3, STATE_CLOSED, REASON_RESET, 0, 0, 0, false },
	{ 4, STATE_FILTERED, REASON_NO_RESPONSE, NEVER, 0, 0, false },
	{ 5, STATE_OPEN, REASON_SYN_ACK, 2, 0, 0, false },
	{ 6, STATE_FILTERED, REASON_ADMIN_PROHIBITED, 0, 150, 0, false },
	{ 7, STATE_ERROR, REASON_LOCAL_ERROR, 0, 0, EMFILE, false },
	{ 8, STATE_FILTERED, REASON_HOST_UNREACH, 1, 0, 0, true },
};
#define SCRIPT_PORTS "1-8"
#define HOSTS 2

static const struct script_line *script_line(uint16_t port)
{
	for (size_t i = 0; i < G_N_ELEMENTS(script); i++)
		if (script[i].port == port)
			return &script[i];
	return NULL;
}

static double script_latency(uint16_t port)
{
	return port * 1.25;
}

static unsigned script_attempts(const struct script_line *l)
{
	return l->timeouts == NEVER ? RETRIES + 1 : l->timeouts + 1;
}

/* What the method saw, for the test to check after the scan. */
struct script_state {
	pthread_mutex_t lock;
	struct result *pending;      /* chain delivered by finish() */
	unsigned worker_starts, worker_stops;
	uint64_t probed_by_workers;  /* sum of the workers' own counts */
	unsigned timeouts[RETRIES + 1]; /* port 4's attempt timeouts, host 0 */
	bool timeout_out_of_range;
};

static struct {
	unsigned checks, starts, finishes;
	_Atomic unsigned probes;
	struct script_state *last;
	unsigned min_ms, max_ms;
} seen;

struct script_worker {
	uint64_t probes;
};

static int script_check(const struct scan_plan *plan, GError **err)
{
	seen.checks++;
	return 0;
}

static int script_start(const struct method_env *env, void **state, GError **err)
{
	struct script_state *s = g_new0(struct script_state, 1);

	pthread_mutex_init(&s->lock, NULL);
	seen.starts++;
	seen.last = s;
	*state = s;
	return 0;
}

static void script_worker_start(void *state, void *worker)
{
	struct script_state *s = state;

	pthread_mutex_lock(&s->lock);
	s->worker_starts++;
	pthread_mutex_unlock(&s->lock);
}

static void script_worker_stop(void *state, void *worker)
{
	struct script_state *s = state;
	struct script_worker *w = worker;

	pthread_mutex_lock(&s->lock);
	s->worker_stops++;
	s->probed_by_workers += w->probes;
	pthread_mutex_unlock(&s->lock);
}

static void count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static void note_timeout(struct script_state *s, const struct method_task *t, unsigned retry,
			 unsigned timeout_ms)
{
	if (timeout_ms < seen.min_ms || timeout_ms > seen.max_ms)
		s->timeout_out_of_range = true;
	if (t->r->port == 4 && t->host == 0 && retry <= RETRIES)
		s->timeouts[retry] = timeout_ms;
}

static void answer(const struct method_env *env, const struct method_task *t,
		   const struct script_line *l)
{
	struct result *r = t->r;

	if (l->delay_ms > 0)
		g_usleep(l->delay_ms * 1000UL);
	r->latency_ms = script_latency(r->port);
	timing_sample(env->timing, t->host, r->latency_ms);
	r->state = l->state;
	r->reason = l->reason;
	r->err = l->err;
}

/* One attempt per rate token; a timeout is retried while retries last,
 * with the shared estimate's backed-off timeout. */
static enum method_status script_probe(const struct method_env *env, void *state, void *worker,
				       struct method_task *t)
{
	struct script_state *s = state;
	struct script_worker *w = worker;
	const struct script_line *l = script_line(t->r->port);

	atomic_fetch_add(&seen.probes, 1);
	w->probes++;
	if (l == NULL) {
		t->r->state = STATE_ERROR;     /* the checks below catch it */
		return METHOD_DONE;
	}
	for (unsigned retry = 0;; retry++) {
		if (!ratelimit_take(env->rate))
			return METHOD_STOPPED;
		note_timeout(s, t, retry, timing_attempt_timeout_ms(env->timing, t->host, retry));
		t->r->attempts++;
		count(&env->metrics->attempts);
		if (retry > 0)
			count(&env->metrics->retries);
		if (retry >= l->timeouts) {
			answer(env, t, l);
			break;
		}
		if (retry >= env->plan->retries) {
			t->r->state = STATE_FILTERED;
			t->r->reason = REASON_NO_RESPONSE;
			t->r->latency_ms = script_latency(t->r->port);
			break;
		}
	}
	if (!l->pending)
		return METHOD_DONE;
	pthread_mutex_lock(&s->lock);
	t->r->next = s->pending;
	s->pending = t->r;
	pthread_mutex_unlock(&s->lock);
	return METHOD_PENDING;
}

static void script_finish(const struct method_env *env, void *state)
{
	struct script_state *s = state;

	seen.finishes++;
	if (s->pending != NULL)
		assert_true(bqueue_push(env->results, s->pending));
	s->pending = NULL;
}

static const enum reason script_reasons[] = {
	REASON_SYN_ACK, REASON_CONN_REFUSED, REASON_RESET, REASON_NO_RESPONSE,
	REASON_ADMIN_PROHIBITED, REASON_HOST_UNREACH, REASON_LOCAL_ERROR, REASON_COUNT
};

static const struct scan_method method_script = {
	.name = "script",
	.summary = "answers from a table (tests only)",
	.caps = METHOD_CAP_ASYNC,
	.reasons = script_reasons,
	.max_workers = MAX_WORKERS,
	.worker_size = sizeof(struct script_worker),
	.check = script_check,
	.start = script_start,
	.worker_start = script_worker_start,
	.worker_stop = script_worker_stop,
	.probe = script_probe,
	.finish = script_finish,
};

/* ---- helpers ---- */

static char *read_file(const char *path)
{
	char *text = NULL;

	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	return text;
}

static char *expected_csv_row(const char *ip, const struct script_line *l)
{
	return g_strdup_printf("%s,,%u,tcp,%s,%s,%.3f,%u,,%s,,,,,,,,,,,,,,,,,"
			       ",,,,,,,,,,,,,,,,,,,,,,,,,", ip, l->port,
			       port_state_name(l->state), reason_name(l->reason),
			       script_latency(l->port), script_attempts(l),
			       l->err != 0 ? strerror(l->err) : "");
}

static char *expected_json_row(const char *ip, const struct script_line *l)
{
	return g_strdup_printf("  {\"ip\":\"%s\",\"host\":\"\",\"port\":%u,\"proto\":\"tcp\","
			       "\"state\":\"%s\",\"reason\":\"%s\",\"latency_ms\":%.3f,"
			       "\"attempts\":%u,\"ptr\":\"\",\"error\":\"%s\",\"service\":\"\","
			       "\"product\":\"\",\"version\":\"\",\"info\":\"\",\"os_hint\":\"\","
			       "\"banner\":\"\",\"os\":null,\"tls\":null}",
			       ip, l->port, port_state_name(l->state), reason_name(l->reason),
			       script_latency(l->port), script_attempts(l),
			       l->err != 0 ? strerror(l->err) : "");
}

/* Every expected row appears exactly once among the rows that start with
 * prefix, and there are no others (the order is the scan's, not fixed). */
static void check_rows(const char *text, const char *prefix, bool json,
		       char *(*expect)(const char *, const struct script_line *))
{
	GHashTable *want = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	char **lines = g_strsplit(text, "\n", -1);
	const char *ips[HOSTS] = { "127.0.0.1", "127.0.0.2" };
	unsigned rows = 0;

	for (size_t h = 0; h < HOSTS; h++)
		for (size_t i = 0; i < G_N_ELEMENTS(script); i++)
			g_hash_table_add(want, expect(ips[h], &script[i]));
	for (char **ln = lines; *ln != NULL; ln++) {
		char *row = *ln;
		size_t n = strlen(row);

		if (!g_str_has_prefix(row, prefix))
			continue;
		if (n > 0 && row[n - 1] == '\r')
			row[--n] = '\0';        /* CSV rows may end with CRLF (RFC 4180) */
		if (json && n > 0 && row[n - 1] == ',')
			row[--n] = '\0';        /* JSON rows end with a comma but the last */
		if (!g_hash_table_remove(want, row))
			fail_msg("unexpected row: %s", row);
		rows++;
	}
	assert_int_equal(rows, HOSTS * G_N_ELEMENTS(script));
	assert_int_equal(g_hash_table_size(want), 0);
	g_strfreev(lines);
	g_hash_table_unref(want);
}

/* The summary's counts, in the JSON trailer. */
static void check_summary(const char *json)
{
	unsigned open = 0, closed = 0, filtered = 0, error = 0, attempts = 0, retries = 0;
	char *want;

	for (size_t i = 0; i < G_N_ELEMENTS(script); i++) {
		const struct script_line *l = &script[i];

		open += l->state == STATE_OPEN;
		closed += l->state == STATE_CLOSED;
		filtered += l->state == STATE_FILTERED;
		error += l->state == STATE_ERROR;
		attempts += script_attempts(l);
		retries += script_attempts(l) - 1;
	}
	want = g_strdup_printf("\"hosts\":%u,\"total\":%u,\"probes\":%u,\"open\":%u,\"closed\":%u,"
			       "\"filtered\":%u,\"error\":%u,\"attempts\":%u,\"retries\":%u,",
			       HOSTS, HOSTS * (unsigned)G_N_ELEMENTS(script),
			       HOSTS * (unsigned)G_N_ELEMENTS(script), HOSTS * open, HOSTS * closed,
			       HOSTS * filtered, HOSTS * error, HOSTS * attempts, HOSTS * retries);
	if (strstr(json, want) == NULL)
		fail_msg("summary lacks %s in:\n%s", want, json);
	g_free(want);
}

/* ---- tests ---- */

static void test_table_lookup(void **state)
{
	const struct scan_method *m;
	bool connect_seen = false;

	m = method_find("connect");
	assert_non_null(m);
	assert_string_equal(m->name, "connect");
	assert_null(method_find("script"));      /* test-only: not in portolan */
	assert_null(method_find(""));
	for (size_t i = 0; (m = method_at(i)) != NULL; i++) {
		assert_non_null(m->probe);
		assert_non_null(m->summary);
		assert_ptr_equal(method_find(m->name), m);
		connect_seen |= strcmp(m->name, "connect") == 0;
	}
	assert_true(connect_seen);
	m = method_find("connect");
	for (int r = 0; r < REASON_ECHO_REPLY; r++)   /* the port reasons */
		assert_true(method_has_reason(m, (enum reason)r));
	assert_false(method_has_reason(&method_script, REASON_NET_UNREACH));
}

static void test_plan_carries_connect(void **state)
{
	const char *argv[] = { "portolan", "-q", "-p", "1", "127.0.0.1", NULL };
	struct settings s;
	struct scan_plan plan;
	GError *err = NULL;

	settings_init(&s);
	assert_int_equal(settings_load(&s, 5, (char **)argv, &err), SETTINGS_OK);
	assert_int_equal(plan_build(&plan, &s, &err), 0);
	assert_ptr_equal(plan.method, method_find("connect"));
	plan_free(&plan);
	settings_clear(&s);
}

static void test_scripted_method_through_pipeline(void **state)
{
	char *dir = g_strdup("/tmp/portolan-method-XXXXXX");
	char *csv, *json, *csv_text, *json_text;
	/* -Pn: the method is the point, not host discovery. */
	const char *argv[] = { "portolan", "-q", "-Pn", "-p", SCRIPT_PORTS, "--states", "all",
			       "--retries", G_STRINGIFY(RETRIES), "-t", "8", "--max-rate", "100000",
			       "-o", NULL, "-o", NULL, "127.0.0.1", "127.0.0.2", NULL };
	int argc = (int)G_N_ELEMENTS(argv) - 1;
	struct settings s;
	struct scan_plan plan;
	struct script_state *ss;
	GError *err = NULL;
	int rc;

	assert_non_null(g_mkdtemp(dir));
	csv = g_build_filename(dir, "out.csv", NULL);
	json = g_build_filename(dir, "out.json", NULL);
	argv[14] = csv;
	argv[16] = json;
	settings_init(&s);
	assert_int_equal(settings_load(&s, argc, (char **)argv, &err), SETTINGS_OK);
	log_set_verbosity(s.verbosity);
	assert_int_equal(plan_build(&plan, &s, &err), 0);
	/* What a --method option would do; check() runs where plan_build runs
	 * it for the plan's method. */
	plan.method = &method_script;
	assert_int_equal(plan.method->check(&plan, &err), 0);
	seen.min_ms = plan.min_timeout_ms;
	seen.max_ms = plan.max_timeout_ms;

	rc = scan_run(&plan, &err);
	if (err != NULL)
		fail_msg("scan: %s", err->message);
	assert_int_equal(rc, 0);

	/* The method did the probing, each task once, on its own workers. */
	assert_int_equal(atomic_load(&seen.probes), HOSTS * G_N_ELEMENTS(script));
	assert_int_equal(seen.checks, 1);
	assert_int_equal(seen.starts, 1);
	assert_int_equal(seen.finishes, 1);
	ss = seen.last;
	assert_int_equal(ss->worker_starts, MAX_WORKERS);
	assert_int_equal(ss->worker_stops, MAX_WORKERS);
	assert_int_equal(ss->probed_by_workers, HOSTS * G_N_ELEMENTS(script));
	/* Retry timeouts come from the shared estimate: clamped, backed off. */
	assert_false(ss->timeout_out_of_range);
	for (unsigned i = 0; i <= RETRIES; i++)
		assert_true(ss->timeouts[i] >= plan.min_timeout_ms);
	for (unsigned i = 1; i <= RETRIES; i++)
		assert_true(ss->timeouts[i] >= ss->timeouts[i - 1]);
	for (size_t i = 0; i < G_N_ELEMENTS(script); i++)
		assert_true(method_has_reason(&method_script, script[i].reason));

	csv_text = read_file(csv);
	json_text = read_file(json);
	check_rows(csv_text, "127.0.0.", false, expected_csv_row);
	check_rows(json_text, "  {\"ip\":", true, expected_json_row);
	check_summary(json_text);

	g_free(csv_text);
	g_free(json_text);
	pthread_mutex_destroy(&ss->lock);
	g_free(ss);
	plan_free(&plan);
	settings_clear(&s);
	g_unlink(csv);
	g_unlink(json);
	g_rmdir(dir);
	g_free(csv);
	g_free(json);
	g_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_lookup),
		cmocka_unit_test(test_plan_carries_connect),
		cmocka_unit_test(test_scripted_method_through_pipeline),
	};

	log_init();
	g_unsetenv("PORTOLAN_CONFIG");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
