/* faultshim.c: an LD_PRELOAD library that makes connect() fail on purpose, so
 * tests can check what portolan does with failures a loopback scan never
 * meets: a local shortage (EMFILE, EADDRNOTAVAIL, ENOBUFS, ...), which is no
 * answer from the port, and silence (a SYN nobody answers), without root.
 *
 *   LD_PRELOAD=build/helpers/faultshim.so
 *   PLFAULT_CONNECT=SPEC[,SPEC]...  SPEC is NAME:COUNT: the first COUNT
 *                  matching connect() calls fail as NAME, then the next SPEC's
 *                  COUNT calls, and so on; later calls are real. NAME is an
 *                  errno name (EMFILE, ENFILE, ENOBUFS, ENOMEM, EAGAIN,
 *                  EADDRNOTAVAIL, EADDRINUSE, ECONNREFUSED, EHOSTUNREACH, ...)
 *                  or SILENT: no answer, as the kernel reports it: a blocking
 *                  socket waits out its SO_SNDTIMEO and fails with
 *                  EINPROGRESS (Linux), a non-blocking one fails with
 *                  ETIMEDOUT at once (what a poll that timed out gives).
 *   PLFAULT_PORT=N only connect() calls to destination port N match
 *                  (default: every TCP connect to an IPv4/IPv6 address).
 *   PLFAULT_LOG=FILE appends "port outcome ms" per matching call, outcome
 *                  "ok" or the errno name, for diagnosing a test.
 *
 * Faults are counted across threads with one atomic counter, so the k-th
 * matching call is faulted whichever thread makes it. A bad PLFAULT_CONNECT
 * aborts the process with a message: a test must not pass on a shim that
 * silently did nothing. Linux/glibc (dlsym RTLD_NEXT); test-only. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_SPECS 16
#define SILENT (-1)

static const struct {
	const char *name;
	int value;
} errnos[] = {
	{ "EMFILE", EMFILE }, { "ENFILE", ENFILE }, { "ENOBUFS", ENOBUFS },
	{ "ENOMEM", ENOMEM }, { "EAGAIN", EAGAIN }, { "EADDRNOTAVAIL", EADDRNOTAVAIL },
	{ "EADDRINUSE", EADDRINUSE }, { "ECONNREFUSED", ECONNREFUSED },
	{ "ECONNRESET", ECONNRESET }, { "EHOSTUNREACH", EHOSTUNREACH },
	{ "ENETUNREACH", ENETUNREACH }, { "EACCES", EACCES }, { "EPERM", EPERM },
	{ "ETIMEDOUT", ETIMEDOUT }, { "EINPROGRESS", EINPROGRESS }, { "EALREADY", EALREADY },
	{ "EINTR", EINTR }, { "SILENT", SILENT },
};

struct spec {
	int err;
	unsigned long count;
};

static struct spec specs[MAX_SPECS];
static size_t nspecs;
static long only_port = -1;
static FILE *logfp;
static atomic_ulong calls;
static int (*real_connect)(int, const struct sockaddr *, socklen_t);
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void die(const char *what, const char *text)
{
	fprintf(stderr, "faultshim: %s: '%s'\n", what, text);
	abort();
}

static const char *errno_name(int e)
{
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].value == e)
			return errnos[i].name;
	return "E?";
}

static void parse_specs(const char *text)
{
	char *copy = strdup(text), *save = NULL, *tok;

	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':'), *end;
		size_t i;

		if (colon == NULL || nspecs == MAX_SPECS)
			die("PLFAULT_CONNECT wants NAME:COUNT[,NAME:COUNT]...", text);
		*colon = '\0';
		for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
			if (strcmp(errnos[i].name, tok) == 0)
				break;
		if (i == sizeof(errnos) / sizeof(errnos[0]))
			die("unknown errno name in PLFAULT_CONNECT", tok);
		specs[nspecs].err = errnos[i].value;
		specs[nspecs].count = strtoul(colon + 1, &end, 10);
		if (*end != '\0' || colon[1] == '\0')
			die("bad count in PLFAULT_CONNECT", colon + 1);
		nspecs++;
	}
	free(copy);
}

static void init(void)
{
	const char *s;

	real_connect = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
	if (real_connect == NULL)
		die("dlsym(connect) failed", dlerror());
	if ((s = getenv("PLFAULT_CONNECT")) != NULL && *s != '\0')
		parse_specs(s);
	if ((s = getenv("PLFAULT_PORT")) != NULL && *s != '\0')
		only_port = strtol(s, NULL, 10);
	if ((s = getenv("PLFAULT_LOG")) != NULL && *s != '\0') {
		logfp = fopen(s, "a");
		if (logfp == NULL)
			die("cannot open PLFAULT_LOG", s);
		setvbuf(logfp, NULL, _IOLBF, 0);
	}
}

static int dest_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return -1;
}

/* The fault for the k-th matching call (0-based), or 0 for none. */
static int fault_for(unsigned long k)
{
	for (size_t i = 0; i < nspecs; i++) {
		if (k < specs[i].count)
			return specs[i].err;
		k -= specs[i].count;
	}
	return 0;
}

/* An unanswered SYN on a blocking socket: the kernel gives up after the
 * socket's send timeout and says EINPROGRESS. */
static int silence(int fd)
{
	struct timeval tv = { 0, 0 };
	socklen_t len = sizeof(tv);
	int flags = fcntl(fd, F_GETFL);

	if (flags != -1 && (flags & O_NONBLOCK)) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len) == 0 && (tv.tv_sec || tv.tv_usec)) {
		struct timespec ts = { tv.tv_sec, (long)tv.tv_usec * 1000L };

		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
	errno = EINPROGRESS;
	return -1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	int port, fault, rc, saved;
	double t0;

	pthread_once(&once, init);
	port = sa != NULL ? dest_port(sa) : -1;
	if (port < 0 || (only_port >= 0 && port != only_port))
		return real_connect(fd, sa, len);
	t0 = now_ms();
	fault = fault_for(atomic_fetch_add(&calls, 1));
	if (fault == SILENT) {
		rc = silence(fd);
	} else if (fault != 0) {
		errno = fault;
		rc = -1;
	} else {
		rc = real_connect(fd, sa, len);
	}
	saved = errno;
	if (logfp != NULL)
		fprintf(logfp, "%d %s%s %.3f\n", port, rc == 0 ? "ok" : errno_name(saved),
			fault != 0 ? " (injected)" : "", now_ms() - t0);
	errno = saved;
	return rc;
}
