/* test_privdrop.c: the privilege drop of a SYN scan (privdrop.h).
 *
 * Without root: the user lookup and its errors, --user root, a process
 * that is not root, the path check's errors. As root (skipped otherwise):
 * the path check as the user (a mode-700 directory, a sticky one holding
 * root's file), and the drop itself in a child process that has a second
 * thread: both threads end as the user with no capability, and setuid(0)
 * fails. */
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <glib.h>

#include "errors.h"
#include "privdrop.h"

static bool have_nobody(void)
{
	return getpwnam("nobody") != NULL;
}

static void test_unknown_user_is_a_usage_error(void **unused)
{
	GError *err = NULL;
	struct privdrop *pd = privdrop_for("portolan-no-such-user", true, &err);

	assert_null(pd);
	assert_non_null(err);
	assert_true(g_error_matches(err, PL_ERROR, PL_ERROR_USAGE));
	assert_non_null(strstr(err->message, "unknown user 'portolan-no-such-user'"));
	assert_null(strchr(err->message, '\n'));
	g_error_free(err);
	err = NULL;
	assert_null(privdrop_for("", true, &err));
	assert_true(g_error_matches(err, PL_ERROR, PL_ERROR_USAGE));
	g_error_free(err);
}

static void test_user_root_keeps_root(void **unused)
{
	GError *err = NULL;
	struct privdrop *pd = privdrop_for("root", true, &err);

	assert_non_null(pd);
	assert_false(privdrop_active(pd));
	assert_false(privdrop_switches_user(pd));
	/* Nothing to give up, nothing to check. */
	assert_int_equal(privdrop_check_path(pd, "resume file", "--resume-file",
					     "/nonexistent-portolan-dir/x", &err), 0);
	assert_int_equal(privdrop_apply(pd, &err), 0);
	assert_int_equal(privdrop_apply(NULL, &err), 0);
	assert_null(err);
	privdrop_free(pd);
}

static void test_nobody_is_resolved(void **unused)
{
	GError *err = NULL;
	struct privdrop *pd;

	if (!have_nobody())
		skip();
	pd = privdrop_for("nobody", true, &err);
	assert_non_null(pd);
	assert_true(privdrop_active(pd));
	assert_true(privdrop_switches_user(pd));
	assert_string_equal(privdrop_user(pd), "nobody");
	privdrop_free(pd);
}

/* Not root: the user cannot change, so it is not even looked up; the
 * capabilities still go. */
static void test_not_root_drops_capabilities_only(void **unused)
{
	GError *err = NULL;
	struct privdrop *pd = privdrop_for("portolan-no-such-user", false, &err);

	assert_non_null(pd);
	assert_null(err);
	assert_true(privdrop_active(pd));
	assert_false(privdrop_switches_user(pd));
	privdrop_free(pd);
}

static void test_path_in_missing_directory_is_refused(void **unused)
{
	GError *err = NULL;
	struct privdrop *pd = privdrop_for("x", false, &err);

	assert_int_equal(privdrop_check_path(pd, "resume file", "--resume-file",
					     "/nonexistent-portolan-dir/x.resume", &err), -1);
	assert_true(g_error_matches(err, PL_ERROR, PL_ERROR_USAGE));
	assert_non_null(strstr(err->message, "resume file '/nonexistent-portolan-dir/x.resume'"));
	assert_non_null(strstr(err->message, "'/nonexistent-portolan-dir'"));
	assert_non_null(strstr(err->message, "--resume-file"));
	assert_non_null(strstr(err->message, "--user"));
	assert_null(strchr(err->message, '\n'));
	g_error_free(err);
	err = NULL;
	assert_int_equal(privdrop_check_path(pd, "resume file", "--resume-file",
					     "portolan-test.resume", &err), 0);
	privdrop_free(pd);
}

/* ---------------------------------------------------------------- root */

static void test_path_checked_as_the_user(void **unused)
{
	GError *err = NULL;
	struct privdrop *pd;
	char *dir, *closed, *open_dir, *path;
	FILE *f;

	if (geteuid() != 0 || !have_nobody())
		skip();
	pd = privdrop_for("nobody", true, &err);
	dir = g_dir_make_tmp("portolan-privdrop-XXXXXX", NULL);
	assert_non_null(dir);
	assert_int_equal(chmod(dir, 0755), 0);
	closed = g_build_filename(dir, "closed", NULL);
	open_dir = g_build_filename(dir, "open", NULL);
	assert_int_equal(mkdir(closed, 0700), 0);
	assert_int_equal(mkdir(open_dir, 0777), 0);
	assert_int_equal(chmod(open_dir, 01777), 0);

	/* Root could write there; nobody cannot. */
	path = g_build_filename(closed, "x.resume", NULL);
	assert_int_equal(privdrop_check_path(pd, "resume file", "--resume-file", path, &err), -1);
	assert_true(g_error_matches(err, PL_ERROR, PL_ERROR_USAGE));
	assert_non_null(strstr(err->message, "'nobody'"));
	g_clear_error(&err);
	g_free(path);

	path = g_build_filename(open_dir, "x.resume", NULL);
	assert_int_equal(privdrop_check_path(pd, "resume file", "--resume-file", path, &err), 0);
	/* Sticky, and the file is root's: nobody could not replace it. */
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(privdrop_check_path(pd, "resume file", "--resume-file", path, &err), -1);
	g_clear_error(&err);
	assert_int_equal(chown(path, getpwnam("nobody")->pw_uid, 0), 0);
	assert_int_equal(privdrop_check_path(pd, "resume file", "--resume-file", path, &err), 0);
	unlink(path);
	g_free(path);

	rmdir(closed);
	rmdir(open_dir);
	rmdir(dir);
	g_free(closed);
	g_free(open_dir);
	g_free(dir);
	privdrop_free(pd);
}

#ifdef __linux__
struct other {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool go, done;
	uint64_t caps;            /* effective | permitted | inheritable, OR'd */
	uid_t uid;
	int nnp;
};

/* The calling thread's capability sets, OR'd together, as the kernel
 * shows them; UINT64_MAX when they cannot be read. */
static uint64_t my_caps(void)
{
	FILE *f = fopen("/proc/thread-self/status", "r");
	char line[256];
	uint64_t all = 0;
	int seen = 0;

	if (f == NULL)
		return UINT64_MAX;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long long v;

		if (sscanf(line, "CapInh: %llx", &v) == 1 || sscanf(line, "CapPrm: %llx", &v) == 1 ||
		    sscanf(line, "CapEff: %llx", &v) == 1 || sscanf(line, "CapAmb: %llx", &v) == 1) {
			all |= v;
			seen++;
		}
	}
	fclose(f);
	return seen == 4 ? all : UINT64_MAX;
}

/* A thread started before the drop, as the SYN scan's receiver is: it
 * waits, then reports what it holds. */
static void *other_main(void *arg)
{
	struct other *o = arg;

	pthread_mutex_lock(&o->lock);
	while (!o->go)
		pthread_cond_wait(&o->cond, &o->lock);
	o->caps = my_caps();
	o->uid = geteuid();
	o->nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	o->done = true;
	pthread_cond_signal(&o->cond);
	pthread_mutex_unlock(&o->lock);
	return NULL;
}

/* In a child: drop with a second thread running; exit 0 when both threads
 * end as the user with nothing left, else the number of the check that
 * failed. */
static int drop_in_child(const char *user)
{
	GError *err = NULL;
	struct privdrop *pd = privdrop_for(user, true, &err);
	struct other o = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	struct passwd *pw = getpwnam(user);
	pthread_t t;

	if (pd == NULL || pw == NULL || pthread_create(&t, NULL, other_main, &o) != 0)
		return 10;
	if (privdrop_apply(pd, &err) != 0) {
		fprintf(stderr, "privdrop_apply: %s\n", err->message);
		return 11;
	}
	pthread_mutex_lock(&o.lock);
	o.go = true;
	pthread_cond_signal(&o.cond);
	while (!o.done)
		pthread_cond_wait(&o.cond, &o.lock);
	pthread_mutex_unlock(&o.lock);
	pthread_join(t, NULL);
	if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid || getgid() != pw->pw_gid)
		return 12;
	if (setuid(0) != -1 || seteuid(0) != -1)
		return 13;
	if (my_caps() != 0 || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return 14;
	if (o.uid != pw->pw_uid || o.caps != 0 || o.nnp != 1)
		return 15;
	return 0;
}

static void test_drop_reaches_every_thread(void **unused)
{
	pid_t pid;
	int status;

	if (geteuid() != 0 || !have_nobody())
		skip();
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0)
		_exit(drop_in_child("nobody"));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_user_is_a_usage_error),
		cmocka_unit_test(test_user_root_keeps_root),
		cmocka_unit_test(test_nobody_is_resolved),
		cmocka_unit_test(test_not_root_drops_capabilities_only),
		cmocka_unit_test(test_path_in_missing_directory_is_refused),
		cmocka_unit_test(test_path_checked_as_the_user),
#ifdef __linux__
		cmocka_unit_test(test_drop_reaches_every_thread),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
