/* test_shard.c: --shard auto (each scheduler's environment and each way it
 * can be wrong), the placeholders of output names, and the scan identity
 * shards share (issue 18). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "errors.h"
#include "plan.h"
#include "settings.h"
#include "shardenv.h"

/* shard_from_env over a NULL-terminated list of NAME=VALUE. */
static int from_env(int64_t count, uint64_t *shard, uint64_t *nshards, const char **source,
		    GError **err, ...)
{
	const char *envp[16];
	size_t n = 0;
	va_list ap;

	va_start(ap, err);
	while (n < 15 && (envp[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	envp[n] = NULL;
	return shard_from_env(envp, count, shard, nshards, source, err);
}

#define EXPECT_SHARD(count, index0, n, src, ...) do {                                   \
		uint64_t s_ = 99, n_ = 99;                                                \
		const char *so_ = NULL;                                                   \
		GError *e_ = NULL;                                                        \
		int rc_ = from_env(count, &s_, &n_, &so_, &e_, __VA_ARGS__, NULL);        \
		if (rc_ != 0)                                                             \
			fail_msg("%s", e_->message);                                      \
		assert_int_equal(s_, index0);                                             \
		assert_int_equal(n_, n);                                                  \
		assert_string_equal(so_, src);                                            \
	} while (0)

/* Fails with an input error whose message holds `part`. */
#define EXPECT_ERROR(count, part, ...) do {                                              \
		uint64_t s_, n_;                                                          \
		const char *so_ = NULL;                                                   \
		GError *e_ = NULL;                                                        \
		assert_int_equal(from_env(count, &s_, &n_, &so_, &e_, __VA_ARGS__, NULL), -1); \
		assert_non_null(e_);                                                      \
		assert_true(g_error_matches(e_, PL_ERROR, PL_ERROR_USAGE));               \
		if (strstr(e_->message, part) == NULL)                                    \
			fail_msg("'%s' not in '%s'", part, e_->message);                  \
		g_error_free(e_);                                                         \
	} while (0)

static void test_kubernetes(void **state)
{
	EXPECT_SHARD(4, 0, 4, "Kubernetes Indexed Job", "JOB_COMPLETION_INDEX=0");
	EXPECT_SHARD(4, 3, 4, "Kubernetes Indexed Job", "HOSTNAME=x", "JOB_COMPLETION_INDEX=3");
	/* Kubernetes does not say how many: the count must be given. */
	EXPECT_ERROR(0, "--shard-count N or PORTOLAN_SHARD_COUNT", "JOB_COMPLETION_INDEX=1");
	EXPECT_ERROR(4, "outside 0..3", "JOB_COMPLETION_INDEX=4");
	EXPECT_ERROR(4, "JOB_COMPLETION_INDEX is '-1', not a number", "JOB_COMPLETION_INDEX=-1");
	EXPECT_ERROR(4, "not a number", "JOB_COMPLETION_INDEX=");
	EXPECT_ERROR(4, "not a number", "JOB_COMPLETION_INDEX=2x");
}

static void test_slurm(void **state)
{
	EXPECT_SHARD(0, 0, 4, "Slurm job array", "SLURM_ARRAY_TASK_ID=1",
		     "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_COUNT=4");
	EXPECT_SHARD(0, 2, 4, "Slurm job array", "SLURM_ARRAY_TASK_ID=12",
		     "SLURM_ARRAY_TASK_MIN=10", "SLURM_ARRAY_TASK_COUNT=4");
	/* --array 0-12:4: ids 0, 4, 8, 12 are shards 1..4. */
	EXPECT_SHARD(0, 2, 4, "Slurm job array", "SLURM_ARRAY_TASK_ID=8",
		     "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_STEP=4",
		     "SLURM_ARRAY_TASK_COUNT=4");
	/* A count given agrees, or is refused. */
	EXPECT_SHARD(4, 3, 4, "Slurm job array", "SLURM_ARRAY_TASK_ID=3",
		     "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_COUNT=4");
	EXPECT_ERROR(5, "shard-count 5 disagrees with SLURM_ARRAY_TASK_COUNT=4",
		     "SLURM_ARRAY_TASK_ID=3", "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_COUNT=4");
	EXPECT_ERROR(0, "SLURM_ARRAY_TASK_MIN is not set", "SLURM_ARRAY_TASK_ID=3",
		     "SLURM_ARRAY_TASK_COUNT=4");
	EXPECT_ERROR(0, "SLURM_ARRAY_TASK_COUNT is not set", "SLURM_ARRAY_TASK_ID=3",
		     "SLURM_ARRAY_TASK_MIN=0");
	EXPECT_ERROR(0, "is not a task of the array", "SLURM_ARRAY_TASK_ID=2",
		     "SLURM_ARRAY_TASK_MIN=3", "SLURM_ARRAY_TASK_COUNT=4");
	EXPECT_ERROR(0, "is not a task of the array", "SLURM_ARRAY_TASK_ID=6",
		     "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_STEP=4",
		     "SLURM_ARRAY_TASK_COUNT=4");
	/* --array 1,3,7: ids that are no range; the last is past the count. */
	EXPECT_ERROR(0, "outside 0..2", "SLURM_ARRAY_TASK_ID=7", "SLURM_ARRAY_TASK_MIN=1",
		     "SLURM_ARRAY_TASK_COUNT=3");
	EXPECT_ERROR(0, "outside 0..0", "SLURM_ARRAY_TASK_ID=0", "SLURM_ARRAY_TASK_MIN=0",
		     "SLURM_ARRAY_TASK_COUNT=0");
}

static void test_aws_batch(void **state)
{
	EXPECT_SHARD(0, 0, 2, "AWS Batch array job", "AWS_BATCH_JOB_ARRAY_INDEX=0",
		     "AWS_BATCH_JOB_ARRAY_SIZE=2");
	EXPECT_SHARD(0, 9, 10, "AWS Batch array job", "AWS_BATCH_JOB_ARRAY_INDEX=9",
		     "AWS_BATCH_JOB_ARRAY_SIZE=10");
	EXPECT_ERROR(0, "AWS_BATCH_JOB_ARRAY_SIZE is not set", "AWS_BATCH_JOB_ARRAY_INDEX=1");
	EXPECT_ERROR(0, "outside 0..1", "AWS_BATCH_JOB_ARRAY_INDEX=2",
		     "AWS_BATCH_JOB_ARRAY_SIZE=2");
}

static void test_gnu_parallel(void **state)
{
	/* {#} counts from 1. */
	EXPECT_SHARD(3, 0, 3, "GNU parallel", "PARALLEL_SEQ=1");
	EXPECT_SHARD(3, 2, 3, "GNU parallel", "PARALLEL_SEQ=3");
	EXPECT_ERROR(3, "PARALLEL_SEQ is 0, but it counts from 1", "PARALLEL_SEQ=0");
	EXPECT_ERROR(3, "outside 0..2", "PARALLEL_SEQ=4");
	EXPECT_ERROR(0, "GNU parallel gives the index (PARALLEL_SEQ) but not the count",
		     "PARALLEL_SEQ=2");
}

static void test_portolan_shard(void **state)
{
	EXPECT_SHARD(0, 1, 4, "PORTOLAN_SHARD", "PORTOLAN_SHARD=2/4");
	/* The user's own word comes before a scheduler's. */
	EXPECT_SHARD(0, 1, 4, "PORTOLAN_SHARD", "JOB_COMPLETION_INDEX=0", "PORTOLAN_SHARD=2/4");
	EXPECT_SHARD(4, 1, 4, "PORTOLAN_SHARD", "PORTOLAN_SHARD=2/4");
	EXPECT_ERROR(3, "shard-count 3 disagrees with PORTOLAN_SHARD=2/4", "PORTOLAN_SHARD=2/4");
	EXPECT_ERROR(0, "PORTOLAN_SHARD: invalid shard '5/4'", "PORTOLAN_SHARD=5/4");
	/* PORTOLAN_SHARD=auto asks for the lookup: the schedulers are tried. */
	EXPECT_SHARD(2, 1, 2, "Kubernetes Indexed Job", "PORTOLAN_SHARD=auto",
		     "JOB_COMPLETION_INDEX=1");
}

static void test_no_source(void **state)
{
	EXPECT_ERROR(4, "no scheduler's shard in the environment (looked for PORTOLAN_SHARD, "
		     "JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID, AWS_BATCH_JOB_ARRAY_INDEX, "
		     "PARALLEL_SEQ)", "HOME=/root");
	EXPECT_ERROR(0, "no scheduler's shard", "PORTOLAN_SHARD=auto");
}

static void expect_name(const char *path, uint64_t shard, uint64_t n, const char *want)
{
	GError *err = NULL;
	char *got = plan_expand_name("output", path, shard, n, &err);

	if (got == NULL)
		fail_msg("%s: %s", path, err->message);
	assert_string_equal(got, want);
	g_free(got);
}

static void expect_name_error(const char *path, uint64_t n, const char *part)
{
	GError *err = NULL;

	assert_null(plan_expand_name("output", path, 0, n, &err));
	assert_true(g_error_matches(err, PL_ERROR, PL_ERROR_USAGE));
	if (strstr(err->message, part) == NULL)
		fail_msg("'%s' not in '%s'", part, err->message);
	g_error_free(err);
}

static void test_placeholders(void **state)
{
	expect_name("/r/scan-{shard}.jsonl", 2, 16, "/r/scan-3.jsonl");
	expect_name("{shard}-of-{shards}-{index0}.csv", 0, 4, "1-of-4-0.csv");
	expect_name("{shard}{shard}", 9, 10, "1010");
	expect_name("a{{b}}c-{shard}.json", 1, 2, "a{b}c-2.json");
	expect_name("{{shard}}.json", 1, 2, "{shard}.json");
	/* Nothing to expand: the name as it is, sharded or not. */
	expect_name("plain.json", 0, 0, "plain.json");
	expect_name("-", 0, 0, "-");
	expect_name("{{x}}.json", 0, 0, "{x}.json");

	expect_name_error("out-{shard}.json", 0, "output 'out-{shard}.json': a placeholder, but "
			  "the scan is not sharded");
	expect_name_error("out-{index0}.json", 0, "not sharded");
	expect_name_error("out-{host}.json", 4, "an unknown placeholder");
	expect_name_error("out-{}.json", 4, "an unknown placeholder");
	expect_name_error("out-{SHARD}.json", 4, "an unknown placeholder");
	expect_name_error("out-{shard.json", 4, "a '{' without its '}'");
	expect_name_error("out-}.json", 4, "a '}' without its '{'");
	expect_name_error("out-{shard}}.json", 4, "a '}' without its '{'");
}

static void unset_all(void)
{
	static const char *const vars[] = {
		"PORTOLAN_SHARD", "PORTOLAN_SHARD_COUNT", "JOB_COMPLETION_INDEX",
		"SLURM_ARRAY_TASK_ID", "AWS_BATCH_JOB_ARRAY_INDEX", "PARALLEL_SEQ",
		"SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(vars); i++)
		g_unsetenv(vars[i]);
}

static int setup(void **state)
{
	unset_all();
	return 0;
}

static int teardown(void **state)
{
	unset_all();
	return 0;
}

/* settings and a plan from argv (NULL-terminated); returns plan_build's. */
static int build(struct settings *s, struct scan_plan *p, GError **err, ...)
{
	const char *argv[32] = { "portolan", "-q" };
	int argc = 2;
	va_list ap;

	va_start(ap, err);
	while (argc < 31 && (argv[argc] = va_arg(ap, const char *)) != NULL)
		argc++;
	va_end(ap);
	settings_init(s);
	memset(p, 0, sizeof(*p));
	if (settings_load(s, argc, (char **)argv, err) != SETTINGS_OK)
		return -2;
	return plan_build(p, s, err);
}

static void done(struct settings *s, struct scan_plan *p)
{
	plan_free(p);
	settings_clear(s);
}

static void test_settings_auto(void **state)
{
	struct settings s;
	struct scan_plan p;
	GError *err = NULL;

	g_setenv("JOB_COMPLETION_INDEX", "2", TRUE);
	g_setenv("PORTOLAN_SHARD_COUNT", "4", TRUE);
	assert_int_equal(build(&s, &p, &err, "--shard", "auto", "-p", "1-9", "127.0.0.1", NULL), 0);
	/* Resolved in the settings, so a resume file records the shard itself. */
	assert_string_equal(s.shard, "3/4");
	assert_string_equal(s.shard_source, "Kubernetes Indexed Job");
	assert_int_equal(p.shard, 2);
	assert_int_equal(p.nshards, 4);
	done(&s, &p);

	/* --shard-count beats the variable. */
	assert_int_equal(build(&s, &p, &err, "--shard", "auto", "--shard-count", "8", "-p", "1",
			       "127.0.0.1", NULL), 0);
	assert_string_equal(s.shard, "3/8");
	done(&s, &p);

	g_unsetenv("PORTOLAN_SHARD_COUNT");
	assert_int_equal(build(&s, &p, &err, "--shard", "auto", "-p", "1", "127.0.0.1", NULL), -2);
	assert_true(g_error_matches(err, PL_ERROR, PL_ERROR_USAGE));
	assert_non_null(strstr(err->message, "--shard-count N"));
	g_clear_error(&err);
	done(&s, &p);

	/* From the environment as well. */
	g_setenv("PORTOLAN_SHARD", "auto", TRUE);
	g_setenv("PORTOLAN_SHARD_COUNT", "3", TRUE);
	assert_int_equal(build(&s, &p, &err, "-p", "1", "127.0.0.1", NULL), 0);
	assert_string_equal(s.shard, "3/3");
	done(&s, &p);
	g_unsetenv("JOB_COMPLETION_INDEX");
	assert_int_equal(build(&s, &p, &err, "-p", "1", "127.0.0.1", NULL), -2);
	assert_non_null(strstr(err->message, "no scheduler's shard"));
	g_clear_error(&err);
	done(&s, &p);
}

static void test_plan_expands_names(void **state)
{
	struct settings s;
	struct scan_plan p;
	GError *err = NULL;
	const struct output_spec *o;

	assert_int_equal(build(&s, &p, &err, "--shard", "2/3", "-p", "1", "-o", "/tmp/a-{shard}.csv",
			       "-oA", "/tmp/b-{index0}-{shards}", "--resume-file",
			       "/tmp/r-{shard}.resume", "127.0.0.1", NULL), 0);
	o = p.outputs->pdata[0];
	assert_string_equal(o->path, "/tmp/a-2.csv");
	o = p.outputs->pdata[1];
	assert_true(g_str_has_prefix(o->path, "/tmp/b-1-3."));
	assert_string_equal(p.resume_file, "/tmp/r-2.resume");
	assert_true(p.sharded);
	done(&s, &p);

	/* Two shards' names that expand to one file are two names of it. */
	assert_int_equal(build(&s, &p, &err, "--shard", "1/2", "-p", "1", "-o", "/tmp/pl-{shard}.csv",
			       "--resume-file", "/tmp/pl-1.csv", "127.0.0.1", NULL), -1);
	assert_non_null(strstr(err->message, "are the same file"));
	g_clear_error(&err);
	done(&s, &p);

	/* No --shard: a placeholder is an error (exit 2), before any DNS. */
	assert_int_equal(build(&s, &p, &err, "-p", "1", "-o", "/tmp/a-{shard}.csv", "127.0.0.1",
			       NULL), -1);
	assert_true(g_error_matches(err, PL_ERROR, PL_ERROR_USAGE));
	assert_non_null(strstr(err->message, "not sharded"));
	g_clear_error(&err);
	done(&s, &p);
	assert_int_equal(build(&s, &p, &err, "--shard", "1/2", "-p", "1", "--findings",
			       "/tmp/f-{nope}.csv", "127.0.0.1", NULL), -1);
	assert_non_null(strstr(err->message, "findings '/tmp/f-{nope}.csv': an unknown placeholder"));
	g_clear_error(&err);
	done(&s, &p);
}

static void test_scan_id(void **state)
{
	struct settings s;
	struct scan_plan p;
	GError *err = NULL;
	char one[33], other[33];

	assert_int_equal(build(&s, &p, &err, "--shard", "1/3", "-p", "1-100", "-t", "4",
			       "127.0.0.1", "127.0.0.2", NULL), 0);
	assert_int_equal(strlen(p.scan_id), 32);
	assert_true(strspn(p.scan_id, "0123456789abcdef") == 32);
	strcpy(one, p.scan_id);
	done(&s, &p);
	/* Another shard of the scan, other threads and outputs: the same. */
	assert_int_equal(build(&s, &p, &err, "--shard", "3/3", "-p", "1-100", "-t", "9",
			       "-o", "/tmp/x-{shard}.csv", "127.0.0.1", "127.0.0.2", NULL), 0);
	assert_string_equal(p.scan_id, one);
	done(&s, &p);
	/* Another space, or another seed: another scan. */
	assert_int_equal(build(&s, &p, &err, "--shard", "1/3", "-p", "1-101", "127.0.0.1",
			       "127.0.0.2", NULL), 0);
	assert_string_not_equal(p.scan_id, one);
	done(&s, &p);
	assert_int_equal(build(&s, &p, &err, "--shard", "1/3", "-p", "1-100", "127.0.0.2",
			       "127.0.0.1", NULL), 0);
	assert_string_not_equal(p.scan_id, one);
	done(&s, &p);
	assert_int_equal(build(&s, &p, &err, "--shard", "1/3", "--seed", "7", "-p", "1-100",
			       "127.0.0.1", "127.0.0.2", NULL), 0);
	assert_string_not_equal(p.scan_id, one);
	strcpy(other, p.scan_id);
	done(&s, &p);
	assert_int_equal(build(&s, &p, &err, "--seed", "7", "-p", "1-100", "127.0.0.1",
			       "127.0.0.2", NULL), 0);
	assert_string_equal(p.scan_id, other);
	done(&s, &p);
	/* Unsharded without --seed: a random seed, so each run is its own scan. */
	assert_int_equal(build(&s, &p, &err, "-p", "1-100", "127.0.0.1", NULL), 0);
	strcpy(one, p.scan_id);
	done(&s, &p);
	assert_int_equal(build(&s, &p, &err, "-p", "1-100", "127.0.0.1", NULL), 0);
	assert_string_not_equal(p.scan_id, one);
	done(&s, &p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubernetes),
		cmocka_unit_test(test_slurm),
		cmocka_unit_test(test_aws_batch),
		cmocka_unit_test(test_gnu_parallel),
		cmocka_unit_test(test_portolan_shard),
		cmocka_unit_test(test_no_source),
		cmocka_unit_test(test_placeholders),
		cmocka_unit_test_setup_teardown(test_settings_auto, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_expands_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_id, setup, teardown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
