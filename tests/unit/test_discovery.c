/* test_discovery.c: host discovery: the hostmap, the engine against a
 * scripted prober, and the producer's filter through the real pipeline.
 *
 * The scripted prober decides by the address's last byte what a host does:
 * answers at once, answers only a retry, fails locally on every send, stays
 * silent, or is out of the prober's reach (DISCO_SKIP). Nothing is sent on
 * any network by the prober; the pipeline test's port scan connects to
 * 127.0.0.x only. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "discovery.h"
#include "hostmap.h"
#include "log.h"
#include "plan.h"
#include "scan.h"
#include "settings.h"
#include "taskgen.h"
#include "targets.h"

/* ---- the hostmap ---- */

static void test_hostmap_states(void **state)
{
	struct hostmap *hm = hostmap_new(65536);
	enum reason why = REASON_COUNT;

	/* A /16 in 32 KiB: four bits a host. */
	assert_int_equal(hostmap_bytes(hm), 32768);
	assert_int_equal(hostmap_get(hm, 7, NULL), HOST_UNSEEN);
	assert_true(hostmap_claim(hm, 7));
	assert_false(hostmap_claim(hm, 7));
	assert_int_equal(hostmap_get(hm, 7, NULL), HOST_PENDING);
	assert_true(hostmap_resolve(hm, 7, true, REASON_ND_RESPONSE));
	/* The first answer stands. */
	assert_false(hostmap_resolve(hm, 7, false, REASON_NO_RESPONSE));
	assert_int_equal(hostmap_get(hm, 7, &why), HOST_UP);
	assert_int_equal(why, REASON_ND_RESPONSE);
	/* Neighbours in the same word are untouched. */
	assert_int_equal(hostmap_get(hm, 6, NULL), HOST_UNSEEN);
	assert_int_equal(hostmap_get(hm, 8, NULL), HOST_UNSEEN);
	assert_true(hostmap_claim(hm, 65535));
	assert_true(hostmap_resolve(hm, 65535, false, REASON_NO_RESPONSE));
	assert_int_equal(hostmap_get(hm, 65535, NULL), HOST_DOWN);
	/* Every up reason round-trips. */
	{
		static const enum reason ups[] = {
			REASON_SYN_ACK, REASON_CONN_REFUSED, REASON_RESET, REASON_LOCAL_ERROR,
			REASON_ECHO_REPLY, REASON_TIMESTAMP_REPLY, REASON_ARP_RESPONSE,
			REASON_ND_RESPONSE, REASON_USER_SET,
		};

		for (size_t i = 0; i < G_N_ELEMENTS(ups); i++) {
			assert_true(hostmap_resolve(hm, 100 + i, true, ups[i]));
			assert_int_equal(hostmap_get(hm, 100 + i, &why), HOST_UP);
			assert_int_equal(why, ups[i]);
		}
	}
	hostmap_free(hm);
}

struct waiter {
	struct hostmap *hm;
	uint64_t host;
	enum host_state got;
};

static void *wait_main(void *arg)
{
	struct waiter *w = arg;

	w->got = hostmap_wait(w->hm, w->host, NULL);
	return NULL;
}

static void test_hostmap_wait_and_cancel(void **state)
{
	struct hostmap *hm = hostmap_new(10);
	struct waiter w = { .hm = hm, .host = 3 }, w2 = { .hm = hm, .host = 4 };
	pthread_t t, t2;

	assert_true(hostmap_claim(hm, 3));
	assert_int_equal(pthread_create(&t, NULL, wait_main, &w), 0);
	assert_true(hostmap_resolve(hm, 3, false, REASON_NO_RESPONSE));
	pthread_join(t, NULL);
	assert_int_equal(w.got, HOST_DOWN);

	assert_int_equal(pthread_create(&t2, NULL, wait_main, &w2), 0);
	hostmap_cancel(hm);
	pthread_join(t2, NULL);
	assert_int_equal(w2.got, HOST_PENDING);
	hostmap_free(hm);
}

/* ---- the engine, with a scripted prober ---- */

enum act { ANSWER = 1, ANSWER_RETRY = 2, LOCAL_FAIL = 3, SILENT = 4, SKIP = 5, ECHO = 6 };

static struct {
	pthread_mutex_t lock;
	unsigned sends[256];      /* by last byte */
	unsigned forgets[256];
	unsigned open_now, open_max;
	bool asked[256];          /* counted into open_now */
	bool drop_on_send;        /* each send "loses" an answer locally */
	uint64_t drops;
} fake = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int fake_open(const struct disco_env *env, void **state, GError **err)
{
	*state = (void *)env;
	return 0;
}

static unsigned last_byte(const struct pl_addr *a)
{
	return (unsigned)(a->v.lo & 0xff);
}

static int fake_send(void *state, const struct pl_addr *addr, unsigned attempt)
{
	const struct disco_env *env = state;
	unsigned b = last_byte(addr);
	enum act act = (enum act)(b % 10);

	pthread_mutex_lock(&fake.lock);
	fake.sends[b]++;
	if (fake.drop_on_send)
		fake.drops++;
	if (!fake.asked[b]) {
		fake.asked[b] = true;
		if (++fake.open_now > fake.open_max)
			fake.open_max = fake.open_now;
	}
	pthread_mutex_unlock(&fake.lock);
	switch (act) {
	case ANSWER:
		env->alive(env->ctx, addr, REASON_SYN_ACK, 64);
		return DISCO_SENT;
	case ANSWER_RETRY:
		if (attempt > 0)
			env->alive(env->ctx, addr, REASON_CONN_REFUSED, 64);
		return DISCO_SENT;
	case LOCAL_FAIL:
		return -EMFILE;
	case SKIP:
		return DISCO_SKIP;
	case ECHO:
		env->alive(env->ctx, addr, REASON_ECHO_REPLY, 64);
		return DISCO_SENT;
	default:
		return DISCO_SENT;
	}
}

static void fake_forget(void *state, const struct pl_addr *addr)
{
	unsigned b = last_byte(addr);

	pthread_mutex_lock(&fake.lock);
	fake.forgets[b]++;
	if (fake.asked[b]) {
		fake.asked[b] = false;
		fake.open_now--;
	}
	pthread_mutex_unlock(&fake.lock);
}

static void fake_close(void *state)
{
}

static uint64_t fake_drops(void *state)
{
	uint64_t n;

	pthread_mutex_lock(&fake.lock);
	n = fake.drops;
	pthread_mutex_unlock(&fake.lock);
	return n;
}

static const struct disco_prober fake_prober = {
	.name = "fake", .summary = "scripted", .open = fake_open, .send = fake_send,
	.forget = fake_forget, .drops = fake_drops, .close = fake_close,
};

static void fake_reset(void)
{
	pthread_mutex_lock(&fake.lock);
	memset(fake.sends, 0, sizeof(fake.sends));
	memset(fake.forgets, 0, sizeof(fake.forgets));
	memset(fake.asked, 0, sizeof(fake.asked));
	fake.open_now = fake.open_max = 0;
	fake.drop_on_send = false;
	fake.drops = 0;
	pthread_mutex_unlock(&fake.lock);
}

static struct target_set *targets(const char *spec)
{
	struct target_set *ts = target_set_new();
	GError *err = NULL;

	assert_int_equal(target_set_add(ts, spec, &err), 0);
	assert_int_equal(target_set_finalize(ts, TARGET_FAMILY_ANY, 1u << 20, &err), 0);
	return ts;
}

static uint64_t host_of(const struct target_set *ts, unsigned byte)
{
	for (uint64_t h = 0; h < target_set_count(ts); h++) {
		struct pl_addr a;

		target_set_get(ts, h, &a, NULL);
		if (last_byte(&a) == byte)
			return h;
	}
	fail_msg("no host .%u", byte);
	return 0;
}

static void test_engine_resolves(void **state)
{
	struct disco_use use = { .prober = &fake_prober };
	atomic_bool stopping = false;
	struct discovery_config cfg = {
		.uses = &use, .nuses = 1, .max_inflight = 2, .timeout_ms = 20,
		.min_timeout_ms = 1, .max_timeout_ms = 20, .retries = 2, .stopping = &stopping,
	};
	/* .1 answers, .2 answers a retry, .3 fails locally, .4 is silent, .5 is
	 * out of reach, .6 answers an echo; .11-.14 the same again. */
	struct target_set *ts = targets("192.0.2.1-192.0.2.14");
	struct taskgen tg;
	GError *err = NULL;
	struct discovery *d;
	struct hostmap *hm;
	enum reason why;
	double rtt;

	fake_reset();
	taskgen_init_permuted(&tg, target_set_count(ts), 3, 42);
	d = discovery_open(&cfg, &err);
	assert_non_null(d);
	discovery_window(d, ts, &tg, NULL);
	hm = discovery_hostmap(d);
	for (unsigned b = 1; b <= 14; b++) {
		enum host_state st = hostmap_wait(hm, host_of(ts, b), &why);

		switch (b % 10) {
		case ANSWER:
			assert_int_equal(st, HOST_UP);
			assert_int_equal(why, REASON_SYN_ACK);
			break;
		case ANSWER_RETRY:
			assert_int_equal(st, HOST_UP);
			assert_int_equal(why, REASON_CONN_REFUSED);
			break;
		case LOCAL_FAIL:
			/* Never down: scanned, the failure its reason. */
			assert_int_equal(st, HOST_UP);
			assert_int_equal(why, REASON_LOCAL_ERROR);
			break;
		case SKIP:
			assert_int_equal(st, HOST_UP);
			assert_int_equal(why, REASON_USER_SET);
			break;
		case ECHO:
			assert_int_equal(st, HOST_UP);
			assert_int_equal(why, REASON_ECHO_REPLY);
			break;
		default:
			assert_int_equal(st, HOST_DOWN);
			break;
		}
	}
	discovery_window_end(d);
	/* Attempts: one for a host that answers, 1 + retries for the silent
	 * and the failing, two for the one that answers its first retry. */
	for (unsigned b = 1; b <= 14; b++) {
		unsigned want = b % 10 == ANSWER || b % 10 == ECHO ? 1 :
				b % 10 == ANSWER_RETRY ? 2 : 3;

		if (b % 10 == 0 || b % 10 > 6)
			continue;
		if (fake.sends[b] != want)
			fail_msg(".%u: %u sends, want %u", b, fake.sends[b], want);
		/* Every host asked is forgotten once decided. */
		assert_int_equal(fake.forgets[b], 1);
	}
	/* Never more than max_inflight hosts asked at once. */
	assert_true(fake.open_max <= 2);
	assert_true(fake.open_max >= 1);
	assert_int_equal(discovery_local_errors(d), 2);
	assert_int_equal(discovery_down(d), 6);    /* .4, .7-.10 (silent too), .14 */
	/* The RTT of an answer is kept for its host row, once. */
	discovery_window(d, ts, &tg, NULL);
	assert_int_equal(hostmap_wait(discovery_hostmap(d), host_of(ts, 1), NULL), HOST_UP);
	assert_true(discovery_take_rtt(d, host_of(ts, 1), &rtt));
	assert_true(rtt >= 0);
	assert_false(discovery_take_rtt(d, host_of(ts, 1), &rtt));
	discovery_window_end(d);
	discovery_close(d);
	target_set_free(ts);
}

/* A silent host waits out every attempt's timeout before it is down: with
 * the timeout pinned at 20 ms and 2 retries, at least 3 x 20 ms (a lower
 * bound only: a slow machine only makes it later). */
static void test_engine_timeouts(void **state)
{
	struct disco_use use = { .prober = &fake_prober };
	atomic_bool stopping = false;
	struct discovery_config cfg = {
		.uses = &use, .nuses = 1, .max_inflight = 4, .timeout_ms = 20,
		.min_timeout_ms = 20, .max_timeout_ms = 20, .retries = 2, .stopping = &stopping,
	};
	struct target_set *ts = targets("192.0.2.4");
	struct taskgen tg;
	GError *err = NULL;
	struct discovery *d;
	gint64 t0;

	fake_reset();
	taskgen_init(&tg, 1, 1);
	d = discovery_open(&cfg, &err);
	assert_non_null(d);
	t0 = g_get_monotonic_time();
	discovery_window(d, ts, &tg, NULL);
	assert_int_equal(hostmap_wait(discovery_hostmap(d), 0, NULL), HOST_DOWN);
	assert_true(g_get_monotonic_time() - t0 >= 3 * 20000);
	assert_int_equal(fake.sends[4], 3);
	discovery_window_end(d);
	discovery_close(d);
	target_set_free(ts);
}

/* Answers lost locally while a host waited: its silence proves nothing,
 * so it gets DISCO_DROP_BONUS_MAX attempts more (no more: a capture that
 * drops for ever must not hold the scan), then it is down; a host that
 * answers such a bonus attempt is up. Without drops the same host gets
 * 1 + retries attempts (test_engine_resolves). */
static void test_engine_drops_retry(void **state)
{
	struct disco_use use = { .prober = &fake_prober };
	atomic_bool stopping = false;
	struct discovery_config cfg = {
		.uses = &use, .nuses = 1, .max_inflight = 4, .timeout_ms = 5,
		.min_timeout_ms = 1, .max_timeout_ms = 5, .retries = 1, .stopping = &stopping,
	};
	struct target_set *ts = targets("192.0.2.4");
	struct taskgen tg;
	GError *err = NULL;
	struct discovery *d;

	fake_reset();
	fake.drop_on_send = true;
	taskgen_init(&tg, 1, 1);
	d = discovery_open(&cfg, &err);
	assert_non_null(d);
	discovery_window(d, ts, &tg, NULL);
	assert_int_equal(hostmap_wait(discovery_hostmap(d), 0, NULL), HOST_DOWN);
	discovery_window_end(d);
	assert_int_equal(fake.sends[4], 1 + 1 + DISCO_DROP_BONUS_MAX);
	assert_int_equal(discovery_drop_retries(d), DISCO_DROP_BONUS_MAX);
	discovery_close(d);
	target_set_free(ts);
}

/* A stop while hosts are pending: the thread ends, waiters wake, nothing
 * pending is called down. */
static void test_engine_cancel(void **state)
{
	struct disco_use use = { .prober = &fake_prober };
	atomic_bool stopping = false;
	struct discovery_config cfg = {
		.uses = &use, .nuses = 1, .max_inflight = 4, .timeout_ms = 600000,
		.min_timeout_ms = 600000, .max_timeout_ms = 600000, .retries = 0,
		.stopping = &stopping,
	};
	struct target_set *ts = targets("192.0.2.4");
	struct taskgen tg;
	GError *err = NULL;
	struct discovery *d;

	fake_reset();
	taskgen_init(&tg, 1, 1);
	d = discovery_open(&cfg, &err);
	assert_non_null(d);
	discovery_window(d, ts, &tg, NULL);
	discovery_cancel(d);
	assert_int_equal(hostmap_wait(discovery_hostmap(d), 0, NULL), HOST_PENDING);
	discovery_window_end(d);
	discovery_close(d);
	target_set_free(ts);
}

/* ---- the producer's filter, through the real pipeline ---- */

static char *read_all(const char *path)
{
	char *text = NULL;

	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	return text;
}

/* Rows of csv for ip with the given state ("up", "closed", ...). */
static unsigned rows(const char *csv, const char *ip, const char *st)
{
	char *needle = g_strdup_printf("\n%s,,", ip);
	unsigned n = 0;

	for (const char *p = strstr(csv, needle); p != NULL; p = strstr(p + 1, needle)) {
		const char *eol = strchr(p + 1, '\n');
		char *line = g_strndup(p + 1, eol ? (size_t)(eol - p - 1) : strlen(p + 1));
		char **f = g_strsplit(line, ",", 6);

		if (g_strv_length(f) >= 5 && strcmp(f[4], st) == 0)
			n++;
		g_strfreev(f);
		g_free(line);
	}
	g_free(needle);
	return n;
}

/* Scans 127.0.0.1-127.0.0.6 with the scripted prober in place of the
 * plan's: .1 up, .2 up on a retry, .3 local failure (scanned), .4 silent
 * (down), .5 out of reach (scanned), .6 up by echo. */
static char *pipeline(const char *ports, bool only, unsigned *nports)
{
	char *dir = g_strdup("/tmp/portolan-disco-XXXXXX");
	char *csv, *text;
	const char *argv[] = { "portolan", "-q", "-p", ports, "--states", "all,up,down",
			       "--discovery-timeout", "30", "--discovery-retries", "1",
			       /* An unprivileged prober, replaced below: as root the
				* defaults are raw ones, whose privilege drop would
				* check the output's directory for nobody. */
			       "--discovery-probes", "tcp-connect",
			       "-o", NULL, only ? "-sn" : "-q", "127.0.0.1-127.0.0.6", NULL };
	struct disco_use use = { .prober = &fake_prober };
	struct settings s;
	struct scan_plan plan;
	struct disco_use *saved;
	size_t nsaved;
	GError *err = NULL;

	assert_non_null(g_mkdtemp(dir));
	csv = g_build_filename(dir, "out.csv", NULL);
	argv[13] = csv;
	settings_init(&s);
	assert_int_equal(settings_load(&s, (int)G_N_ELEMENTS(argv) - 1, (char **)argv, &err),
			 SETTINGS_OK);
	log_set_verbosity(s.verbosity);
	assert_int_equal(plan_build(&plan, &s, &err), 0);
	assert_true(plan.discovery);
	assert_int_equal(plan.discovery_only, only);
	*nports = (unsigned)plan.nports;
	saved = plan.disco_uses;
	nsaved = plan.ndisco_uses;
	plan.disco_uses = &use;
	plan.ndisco_uses = 1;
	fake_reset();
	if (scan_run(&plan, &err) != 0)
		fail_msg("scan: %s", err ? err->message : "exit code");
	plan.disco_uses = saved;
	plan.ndisco_uses = nsaved;
	plan_free(&plan);
	settings_clear(&s);
	text = read_all(csv);
	g_unlink(csv);
	g_rmdir(dir);
	g_free(csv);
	g_free(dir);
	return text;
}

static void check_hosts(const char *csv, unsigned nports, bool only)
{
	for (unsigned b = 1; b <= 6; b++) {
		char ip[16];
		unsigned ports;

		snprintf(ip, sizeof(ip), "127.0.0.%u", b);
		ports = rows(csv, ip, "closed") + rows(csv, ip, "open") + rows(csv, ip, "filtered") +
			rows(csv, ip, "error");
		if (b == SILENT) {
			/* One down row, no port scanned. */
			assert_int_equal(rows(csv, ip, "down"), 1);
			assert_int_equal(rows(csv, ip, "up"), 0);
			assert_int_equal(ports, 0);
		} else {
			/* One up row, every port scanned. */
			assert_int_equal(rows(csv, ip, "up"), 1);
			assert_int_equal(rows(csv, ip, "down"), 0);
			if (ports != (only ? 0 : nports))
				fail_msg("%s: %u port rows, want %u", ip, ports, only ? 0 : nports);
		}
	}
	assert_non_null(strstr(csv, "127.0.0.3,,,,up,local-error"));
	assert_non_null(strstr(csv, "127.0.0.6,,,,up,echo-reply"));
	assert_non_null(strstr(csv, "127.0.0.4,,,,down,no-response"));
}

static void test_pipeline_filters(void **state)
{
	unsigned nports;
	char *csv = pipeline("1-3", false, &nports);

	check_hosts(csv, nports, false);
	g_free(csv);
}

/* More positions of the pending .4 than the producer defers (4096): the
 * ring fills, the decided hosts' positions go on, the producer waits for
 * the oldest; every position still ends up scanned or skipped exactly
 * once. */
static void test_pipeline_defer_bound(void **state)
{
	unsigned nports;
	char *csv = pipeline("1-4500", false, &nports);

	assert_int_equal(nports, 4500);
	check_hosts(csv, nports, false);
	g_free(csv);
}

static void test_pipeline_discovery_only(void **state)
{
	unsigned nports;
	char *csv = pipeline("1-3", true, &nports);

	check_hosts(csv, nports, true);
	g_free(csv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostmap_states),
		cmocka_unit_test(test_hostmap_wait_and_cancel),
		cmocka_unit_test(test_engine_resolves),
		cmocka_unit_test(test_engine_timeouts),
		cmocka_unit_test(test_engine_drops_retry),
		cmocka_unit_test(test_engine_cancel),
		cmocka_unit_test(test_pipeline_filters),
		cmocka_unit_test(test_pipeline_defer_bound),
		cmocka_unit_test(test_pipeline_discovery_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
