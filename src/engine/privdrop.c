/* privdrop.c: root becomes an unprivileged user, and capabilities go, once
 * the raw sockets and capture are open (privdrop.h).
 *
 * Capabilities on Linux belong to each thread, not to the process: capset(2)
 * changes the calling thread only. glibc makes setuid() and friends act on
 * every thread (it signals each one to make the call), and going from uid 0
 * to another uid empties the permitted, effective and ambient sets of each;
 * but the inheritable set stays, and a binary run by another user with file
 * capabilities (setcap) changes no uid at all. So, as glibc and libcap's psx
 * do, the capability sets are cleared by every thread itself, on a signal.
 *
 * A thread that never takes that signal makes the drop fail (exit 3)
 * rather than keep its capabilities (sanitizer builds: clear_caps_threads).
 *
 * The raw capset(2) and capget(2) calls with <linux/capability.h>, not
 * libcap: clearing every set is one call with a zeroed argument, and it
 * saves a dependency (libcap-dev, and its psx library for the threads). */
#define _DEFAULT_SOURCE 1   /* setgroups, getgrouplist, syscall */

#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <dirent.h>
#include <stdlib.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

#include "errors.h"

/* A user in more groups than this is refused rather than half-joined. */
#define MAX_GROUPS 1024

struct privdrop {
	char *user;
	bool active;              /* anything to give up */
	bool switch_user;         /* root becomes user */
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
};

/* The user's supplementary groups, its primary one included. */
static int user_groups(struct privdrop *pd, GError **err)
{
	int n = MAX_GROUPS;

	pd->groups = g_new(gid_t, MAX_GROUPS);
#ifdef __APPLE__
	/* macOS declares the list as int. */
	if (getgrouplist(pd->user, (int)pd->gid, (int *)pd->groups, &n) == -1) {
#else
	if (getgrouplist(pd->user, pd->gid, pd->groups, &n) == -1) {
#endif
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "user '%s' (--user) is in more than %d groups", pd->user, MAX_GROUPS);
		return -1;
	}
	pd->ngroups = n;
	return 0;
}

struct privdrop *privdrop_for(const char *user, bool as_root, GError **err)
{
	struct privdrop *pd = g_new0(struct privdrop, 1);
	struct passwd *pw;

	pd->user = g_strdup(user);
	pd->active = true;
	if (!as_root) {
		pd->uid = geteuid();
		pd->gid = getegid();
		return pd;
	}
	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "unknown user '%s' (--user): a raw scan drops root's privileges to "
			    "this user once its raw sockets are open%s%s", user,
			    errno != 0 ? ": " : "", errno != 0 ? g_strerror(errno) : "");
		goto fail;
	}
	pd->uid = pw->pw_uid;
	pd->gid = pw->pw_gid;
	if (pd->uid == 0) {
		/* --user root: the one way to keep root, documented as a risk. */
		pd->active = false;
		return pd;
	}
	pd->switch_user = true;
	if (user_groups(pd, err) != 0)
		goto fail;
	return pd;
fail:
	privdrop_free(pd);
	return NULL;
}

void privdrop_free(struct privdrop *pd)
{
	if (pd == NULL)
		return;
	g_free(pd->groups);
	g_free(pd->user);
	g_free(pd);
}

bool privdrop_active(const struct privdrop *pd)
{
	return pd != NULL && pd->active;
}

bool privdrop_switches_user(const struct privdrop *pd)
{
	return pd != NULL && pd->switch_user;
}

const char *privdrop_user(const struct privdrop *pd)
{
	return pd->user;
}

/* ------------------------------------------------------- the path check */

/* 0 when the caller, as it is now, may create a file in dir and rename it
 * over path (or remove path), else the errno that says why not. A sticky
 * directory (/tmp) keeps another user's file from being replaced. Only
 * async-signal-safe calls: it runs in a child of a threaded process. */
static int may_replace(const char *dir, const char *path, uid_t uid)
{
	struct stat ds, fs;

	if (access(dir, W_OK | X_OK) != 0)
		return errno;
	if (stat(dir, &ds) != 0)
		return errno;
	if ((ds.st_mode & S_ISVTX) && lstat(path, &fs) == 0 && fs.st_uid != uid &&
	    ds.st_uid != uid)
		return EPERM;
	return 0;
}

/* may_replace as the user: in a child that drops to it for good. Returns
 * the errno, or -1 when the child could not be made to be the user. */
static int may_replace_as(const struct privdrop *pd, const char *dir, const char *path)
{
	pid_t pid = fork();
	int status;

	if (pid == -1)
		return errno;
	if (pid == 0) {
		if (setgroups((size_t)pd->ngroups, pd->groups) != 0 || setgid(pd->gid) != 0 ||
		    setuid(pd->uid) != 0)
			_exit(255);
		_exit(may_replace(dir, path, pd->uid) & 0x7f);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 255)
		return -1;
	return WEXITSTATUS(status);
}

int privdrop_check_path(const struct privdrop *pd, const char *what, const char *option,
			const char *path, GError **err)
{
	char *dir;
	int e;

	if (!privdrop_active(pd))
		return 0;
	dir = g_path_get_dirname(path);
	e = pd->switch_user ? may_replace_as(pd, dir, path) : may_replace(dir, path, pd->uid);
	if (e != 0)
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "the %s '%s' is written after the scan drops its privileges to user "
			    "'%s', who cannot write there ('%s': %s): give %s a path in a directory "
			    "'%s' can write, or --user a user who can (--user root keeps root)",
			    what, path, pd->user, dir,
			    e > 0 ? g_strerror(e) : "cannot become that user to check: no CAP_SETUID?",
			    option, pd->user);
	g_free(dir);
	return e != 0 ? -1 : 0;
}

/* ------------------------------------------------------------ the drop */

#ifdef __linux__
/* The signal that asks a thread to clear its own capabilities. Real-time:
 * nothing else here uses one, and glibc's own are below SIGRTMIN. A thread
 * that blocks it for a moment (one pthread_create has just started) takes
 * it once it unblocks. */
#define CAPS_SIGNAL (SIGRTMIN + 3)
#define CAPS_WAIT_MS 3000
#define MAX_THREADS 4096

/* A sanitizer's runtime (make asan, make tsan) has threads of its own that
 * block every signal for good and run none of our code: in such a build
 * (never a release one) they are left as they are. Anywhere else a thread
 * that does not answer fails the drop. */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SANITIZER_THREADS 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define SANITIZER_THREADS 1
#endif
#endif

static atomic_int caps_done, caps_failed;

/* In the calling thread: every capability set empty (ambient too, which
 * cannot outgrow permitted) and no exec can grant any back. Raw system
 * calls only: it runs in a signal handler. */
static int clear_caps_self(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		d[i].effective = d[i].permitted = d[i].inheritable = 0;
	/* EINVAL before Linux 4.3, which has no ambient set. */
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_capset, &h, d) != 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	if (syscall(SYS_capget, &h, d) != 0)
		return -1;
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (d[i].effective != 0 || d[i].permitted != 0 || d[i].inheritable != 0) {
			errno = EPERM;
			return -1;
		}
	return 0;
}

static void on_caps_signal(int sig)
{
	int e = errno;

	if (clear_caps_self() != 0)
		atomic_fetch_add(&caps_failed, 1);
	atomic_fetch_add(&caps_done, 1);
	errno = e;
}

/* The other threads of the process, from /proc/self/task: 0 with *n set,
 * or -1 with *err. */
static int list_threads(pid_t *tids, size_t max, size_t *n, GError **err)
{
	DIR *d = opendir("/proc/self/task");
	pid_t self = (pid_t)syscall(SYS_gettid);
	struct dirent *de;
	int rc = -1;

	*n = 0;
	if (d == NULL) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME,
			    "cannot drop capabilities: listing the threads: %s", g_strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		pid_t tid = (pid_t)strtol(de->d_name, NULL, 10);

		if (tid <= 0 || tid == self)
			continue;
		if (*n == max) {
			g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME,
				    "cannot drop capabilities: more than %zu threads", max);
			goto out;
		}
		tids[(*n)++] = tid;
	}
	rc = 0;
out:
	closedir(d);
	return rc;
}

#ifdef SANITIZER_THREADS
/* How many threads of tids block CAPS_SIGNAL now (SigBlk in their status). */
static int count_blocking(const pid_t *tids, size_t n)
{
	int k = 0;

	for (size_t i = 0; i < n; i++) {
		char path[64], line[256];
		unsigned long long mask;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%ld/status", (long)tids[i]);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "SigBlk: %llx", &mask) == 1) {
				k += (int)((mask >> (CAPS_SIGNAL - 1)) & 1);
				break;
			}
		fclose(f);
	}
	return k;
}
#endif

/* Has each thread in tids clear its capabilities; waits for all. */
static int clear_caps_threads(const pid_t *tids, size_t n, GError **err)
{
	struct sigaction sa;
	struct timespec ms = { .tv_nsec = 1000000L };
	int sent = 0, waited = 0, rc = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_caps_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	atomic_store(&caps_done, 0);
	atomic_store(&caps_failed, 0);
	/* The handler stays after the drop: a signal still pending in a thread
	 * that never took it (a sanitizer's) must not end the process, and a
	 * late one clears again what is clear. */
	if (sigaction(CAPS_SIGNAL, &sa, NULL) != 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME,
			    "cannot drop capabilities: sigaction: %s", g_strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (syscall(SYS_tgkill, getpid(), tids[i], CAPS_SIGNAL) == 0)
			sent++;
		else if (errno != ESRCH) {   /* ESRCH: it has ended, and its capabilities */
			g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME,
				    "cannot drop capabilities: signalling thread %ld: %s",
				    (long)tids[i], g_strerror(errno));
			goto out;
		}
	}
	while (atomic_load(&caps_done) < sent && waited++ < CAPS_WAIT_MS) {
		nanosleep(&ms, NULL);
#ifdef SANITIZER_THREADS
		/* Blocked for 100 ms: the runtime's own, for good. */
		if (waited >= 100 && sent - atomic_load(&caps_done) == count_blocking(tids, n)) {
			sent = atomic_load(&caps_done);
			break;
		}
#endif
	}
	if (atomic_load(&caps_done) < sent) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME,
			    "cannot drop capabilities: %d of %d threads did not answer",
			    sent - atomic_load(&caps_done), sent);
		goto out;
	}
	if (atomic_load(&caps_failed) > 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME,
			    "cannot drop capabilities: %d threads kept some",
			    atomic_load(&caps_failed));
		goto out;
	}
	rc = 0;
out:
	return rc;
}
#endif

/* Root becomes the user: groups, then gid, then uid (each later step
 * needs the privilege the one after it gives up). */
static int switch_user(const struct privdrop *pd, GError **err)
{
	const char *step = "setgroups";

	if (setgroups((size_t)pd->ngroups, pd->groups) != 0)
		goto fail;
	step = "setgid";
	if (setgid(pd->gid) != 0)
		goto fail;
	step = "setuid";
	if (setuid(pd->uid) != 0)
		goto fail;
	return 0;
fail:
	g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot drop privileges to user '%s': %s: %s",
		    pd->user, step, g_strerror(errno));
	return -1;
}

/* The drop cannot be undone: no way back to uid 0 (real, effective or
 * saved), and every id is the user's. */
static int verify_switch(const struct privdrop *pd, GError **err)
{
	if (setuid(0) != -1 || seteuid(0) != -1 || getuid() != pd->uid ||
	    geteuid() != pd->uid || getgid() != pd->gid || getegid() != pd->gid) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME,
			    "privileges dropped to user '%s' could be taken back: stopping",
			    pd->user);
		return -1;
	}
	return 0;
}

int privdrop_apply(const struct privdrop *pd, GError **err)
{
#ifdef __linux__
	pid_t *tids;
	size_t n;
#endif
	int rc = -1;

	if (!privdrop_active(pd))
		return 0;
#ifdef __linux__
	/* Listed while still root: a process that changed its uid is not
	 * dumpable, and its /proc entries belong to root. */
	tids = g_new(pid_t, MAX_THREADS);
	if (list_threads(tids, MAX_THREADS, &n, err) != 0)
		goto out;
#endif
	if (pd->switch_user && switch_user(pd, err) != 0)
		goto out;
#ifdef __linux__
	if (clear_caps_self() != 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot drop capabilities: %s",
			    g_strerror(errno));
		goto out;
	}
	if (clear_caps_threads(tids, n, err) != 0)
		goto out;
#endif
	if (pd->switch_user && verify_switch(pd, err) != 0)
		goto out;
	rc = 0;
out:
#ifdef __linux__
	g_free(tids);
#endif
	return rc;
}
