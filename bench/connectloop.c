/* connectloop.c: a minimal non-blocking TCP connect scanner, the bench's
 * speed-of-light reference for connect scanning on this machine.
 *
 * One epoll set per worker thread (-j, default 1), a window of at most N
 * connects in flight in all (split evenly among the workers; worker k takes
 * the probes k, k+J, k+2J, ...). Every probe is a fresh non-blocking socket: connect() -> wait for writability ->
 * SO_ERROR. 0 is open, ECONNREFUSED closed, EHOSTUNREACH/ENETUNREACH/EACCES
 * unreachable (reported "filtered", as nmap does), no answer within the
 * timeout filtered after the retries. The timeout is fixed (not adaptive), so
 * the in-flight probes, kept in start order, are also in deadline order and
 * the oldest one bounds epoll_wait. Probes go host-interleaved: index i is
 * host i % H, port i / H. A loopback self-connect (source port == destination
 * port, TCP simultaneous open) is not an answer: that attempt is made again.
 *
 * Usage: connectloop [-n WINDOW] [-j THREADS] [-t TIMEOUT_MS] [-r RETRIES]
 *                    [-f] [-A] [-q] -p PORTS TARGET...
 *   TARGET  IPv4 or IPv6 address, or an IPv4 CIDR block (a.b.c.d/len, every
 *           address of it, network and broadcast included)
 *   PORTS   "22,80,1000-2000"; "-" for 1-65535
 *   -n N    connects in flight (default 512; clamped to the descriptor limit,
 *           which is raised to its hard limit first)
 *   -j J    worker threads, each with its own epoll set and N/J of the window
 *           (default 1). On loopback the kernel does the whole handshake (or
 *           the RST) inside connect(), so one thread is one CPU's worth.
 *   -t MS   connect timeout per attempt (default 1000)
 *   -r N    extra attempts for a probe that timed out (default 0)
 *   -f      also print filtered probes; -A print every probe (closed too)
 *   -q      no summary on stderr
 * Output (stdout): one line "ADDR PORT STATE" per open (and with -f/-A
 * filtered/closed) probe, in completion order. Summary (stderr):
 *   connectloop: N probes in S s (R/s): O open, C closed, F filtered
 *   (U unreachable), E error; A attempts, S self-connects retried, ...
 * Exit status: 0 done, 1 runtime error, 2 usage.
 *
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_GNU_SOURCE -O2 -pthread \
 *      -o connectloop bench/connectloop.c
 *
 * Linux only (epoll). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct target {
	int family;
	uint32_t v4;        /* first address, host order */
	uint64_t count;     /* addresses in this target */
	struct in6_addr v6;
};

struct slot {
	int fd;             /* -1: free */
	uint64_t task;
	unsigned attempt;   /* 1-based */
	int64_t deadline;   /* ms, CLOCK_MONOTONIC */
	int prev, next;     /* in-flight list, start order */
};

static struct target *targets;
static size_t ntargets;
static uint64_t nhosts;
static uint16_t *ports;
static size_t nports;

static int timeout_ms = 1000;
static unsigned retries;
static int print_filtered, print_all;
static uint64_t total; /* probes: hosts x ports */

struct worker {
	pthread_t thread;
	int id, nworkers;
	long window;
	struct slot *slots;
	int *freelist;
	int nfree;
	int head, tail;
	int epfd;
	struct epoll_event *evs;
	uint64_t n_open, n_closed, n_filtered, n_unreach, n_error, n_attempts, n_done, n_self;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: connectloop [-n WINDOW] [-t TIMEOUT_MS] [-r RETRIES] [-f] [-A] [-q] "
			"-p PORTS TARGET...\n");
	exit(2);
}

static void die(const char *what)
{
	fprintf(stderr, "connectloop: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long parse_num(const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "connectloop: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static void parse_ports(const char *spec)
{
	static unsigned char seen[65536];
	char *copy = strdup(spec), *save = NULL;
	if (!copy)
		die("strdup");
	if (strcmp(spec, "-") == 0) {
		free(copy);
		copy = strdup("1-65535");
		if (!copy)
			die("strdup");
	}
	ports = malloc(65536 * sizeof *ports);
	if (!ports)
		die("malloc");
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		long lo, hi;
		if (dash) {
			*dash = '\0';
			lo = parse_num(tok, 1, 65535);
			hi = parse_num(dash + 1, 1, 65535);
		} else {
			lo = hi = parse_num(tok, 1, 65535);
		}
		if (lo > hi)
			usage();
		for (long p = lo; p <= hi; p++)
			if (!seen[p]) {
				seen[p] = 1;
				ports[nports++] = (uint16_t)p;
			}
	}
	free(copy);
	if (nports == 0)
		usage();
}

static void add_target(const char *arg)
{
	struct target t;
	memset(&t, 0, sizeof t);
	char buf[64];
	snprintf(buf, sizeof buf, "%s", arg);
	char *slash = strchr(buf, '/');
	long len = 32;
	if (slash) {
		*slash = '\0';
		len = parse_num(slash + 1, 0, 32);
	}
	struct in_addr a4;
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		uint32_t base = ntohl(a4.s_addr);
		uint32_t mask = len == 0 ? 0 : ~UINT32_C(0) << (32 - len);
		t.family = AF_INET;
		t.v4 = base & mask;
		t.count = UINT64_C(1) << (32 - len);
	} else if (!slash && inet_pton(AF_INET6, buf, &t.v6) == 1) {
		t.family = AF_INET6;
		t.count = 1;
	} else {
		fprintf(stderr, "connectloop: bad target '%s' (an IPv4/IPv6 address or an IPv4 CIDR)\n", arg);
		exit(2);
	}
	targets = realloc(targets, (ntargets + 1) * sizeof *targets);
	if (!targets)
		die("realloc");
	targets[ntargets++] = t;
	nhosts += t.count;
}

/* Address and port of task i (host-interleaved). */
static void task_addr(uint64_t task, struct sockaddr_storage *ss, socklen_t *len)
{
	uint64_t h = task % nhosts;
	uint16_t port = ports[task / nhosts];
	size_t k = 0;
	while (h >= targets[k].count)
		h -= targets[k++].count;
	memset(ss, 0, sizeof *ss);
	if (targets[k].family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = htonl(targets[k].v4 + (uint32_t)h);
		*len = sizeof *s4;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = targets[k].v6;
		*len = sizeof *s6;
	}
}

enum state { ST_OPEN, ST_CLOSED, ST_FILTERED, ST_UNREACH, ST_ERROR };

static void report(struct worker *w, uint64_t task, enum state st, int err)
{
	static const char *names[] = {"open", "closed", "filtered", "filtered", "error"};
	w->n_done++;
	switch (st) {
	case ST_OPEN: w->n_open++; break;
	case ST_CLOSED: w->n_closed++; break;
	case ST_FILTERED: w->n_filtered++; break;
	case ST_UNREACH: w->n_unreach++; w->n_filtered++; break;
	case ST_ERROR: w->n_error++; break;
	}
	if (st == ST_OPEN || print_all || (print_filtered && (st == ST_FILTERED || st == ST_UNREACH)) ||
	    st == ST_ERROR) {
		struct sockaddr_storage ss;
		socklen_t len;
		char text[INET6_ADDRSTRLEN];
		task_addr(task, &ss, &len);
		uint16_t port;
		if (ss.ss_family == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, text, sizeof text);
			port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		} else {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, text, sizeof text);
			port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		}
		if (st == ST_ERROR)
			fprintf(stderr, "connectloop: %s %u: %s\n", text, port, strerror(err));
		else
			printf("%s %u %s\n", text, port, names[st]);
	}
}

static void list_unlink(struct worker *w, int i)
{
	struct slot *s = &w->slots[i];
	if (s->prev >= 0) w->slots[s->prev].next = s->next; else w->head = s->next;
	if (s->next >= 0) w->slots[s->next].prev = s->prev; else w->tail = s->prev;
	s->prev = s->next = -1;
}

static void list_append(struct worker *w, int i)
{
	w->slots[i].prev = w->tail;
	w->slots[i].next = -1;
	if (w->tail >= 0) w->slots[w->tail].next = i; else w->head = i;
	w->tail = i;
}

static void release(struct worker *w, int i)
{
	list_unlink(w, i);
	close(w->slots[i].fd);
	w->slots[i].fd = -1;
	w->freelist[w->nfree++] = i;
}

/* A loopback connect whose kernel-chosen source port equals the destination
 * port connects to itself (TCP simultaneous open): no listener answered. */
static int is_self_connect(int fd)
{
	struct sockaddr_storage a, b;
	socklen_t la = sizeof a, lb = sizeof b;
	if (getsockname(fd, (struct sockaddr *)&a, &la) < 0 || getpeername(fd, (struct sockaddr *)&b, &lb) < 0)
		return 0;
	return la == lb && memcmp(&a, &b, la) == 0;
}

static enum state errno_state(int err)
{
	switch (err) {
	case 0: return ST_OPEN;
	case ECONNREFUSED: return ST_CLOSED;
	case ETIMEDOUT: return ST_FILTERED;
	case EHOSTUNREACH: case ENETUNREACH: case EACCES: case EPERM: return ST_UNREACH;
	default: return ST_ERROR;
	}
}

/* Starts attempt `attempt` of `task` in a free slot of w. Returns 0 when the
 * probe is in flight, 1 when it finished at once (reported), -1 when it could
 * not be started for lack of local resources (caller retries it later). */
static int start(struct worker *w, uint64_t task, unsigned attempt)
{
	struct sockaddr_storage ss;
	socklen_t len;
	task_addr(task, &ss, &len);
	w->n_attempts++;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			w->n_attempts--;
			return -1;
		}
		die("socket");
	}
	if (connect(fd, (struct sockaddr *)&ss, len) == 0) {
		int self = is_self_connect(fd);
		close(fd);
		if (self) {
			w->n_self++;
			w->n_attempts--;
			return start(w, task, attempt);
		}
		report(w, task, ST_OPEN, 0);
		return 1;
	}
	if (errno != EINPROGRESS) {
		int err = errno;
		close(fd);
		if (err == EADDRNOTAVAIL || err == EAGAIN) {
			w->n_attempts--;
			return -1; /* ephemeral ports exhausted: try again later */
		}
		report(w, task, errno_state(err), err);
		return 1;
	}
	int i = w->freelist[--w->nfree];
	struct slot *s = &w->slots[i];
	s->fd = fd;
	s->task = task;
	s->attempt = attempt;
	s->deadline = now_ms() + timeout_ms;
	struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl");
	list_append(w, i);
	return 0;
}

/* Starts an attempt that must not be lost (a retry), waiting for resources. */
static void start_surely(struct worker *w, uint64_t task, unsigned attempt)
{
	while (start(w, task, attempt) < 0) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
}

static void *work(void *arg)
{
	struct worker *w = arg;
	/* this worker's probes: id, id + J, id + 2J, ... */
	uint64_t mine = total > (uint64_t)w->id ? (total - (uint64_t)w->id + (uint64_t)w->nworkers - 1) /
	                                              (uint64_t)w->nworkers : 0;
	uint64_t started = 0;
	while (w->n_done < mine) {
		int starved = 0; /* the last start failed for lack of resources */
		while (w->nfree > 0 && started < mine) {
			if (start(w, (uint64_t)w->id + started * (uint64_t)w->nworkers, 1) < 0) {
				starved = 1;
				break;
			}
			started++;
		}
		if (w->n_done >= mine)
			break;
		int wait = -1;
		if (w->head >= 0) {
			int64_t left = w->slots[w->head].deadline - now_ms();
			wait = left < 0 ? 0 : (int)left;
		}
		if (starved && (wait < 0 || wait > 5))
			wait = 5;
		int n = epoll_wait(w->epfd, w->evs, (int)w->window, wait);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (int k = 0; k < n; k++) {
			int i = (int)w->evs[k].data.u32;
			struct slot *s = &w->slots[i];
			int err = 0;
			socklen_t el = sizeof err;
			if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
				err = errno;
			uint64_t task = s->task;
			unsigned attempt = s->attempt;
			int self = err == 0 && is_self_connect(s->fd);
			release(w, i);
			if (self) {
				/* not an answer: the same attempt again, as portolan does */
				w->n_self++;
				w->n_attempts--;
				start_surely(w, task, attempt);
				continue;
			}
			report(w, task, errno_state(err), err);
		}
		int64_t t = now_ms();
		while (w->head >= 0 && w->slots[w->head].deadline <= t) {
			int i = w->head;
			uint64_t task = w->slots[i].task;
			unsigned attempt = w->slots[i].attempt;
			release(w, i);
			if (attempt <= retries)
				start_surely(w, task, attempt + 1);
			else
				report(w, task, ST_FILTERED, 0);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long window = 512, nworkers = 1;
	int quiet = 0, opt;
	const char *portspec = NULL;
	while ((opt = getopt(argc, argv, "n:j:t:r:p:fAqh")) != -1) {
		switch (opt) {
		case 'n': window = parse_num(optarg, 1, 1000000); break;
		case 'j': nworkers = parse_num(optarg, 1, 256); break;
		case 't': timeout_ms = (int)parse_num(optarg, 1, 3600000); break;
		case 'r': retries = (unsigned)parse_num(optarg, 0, 100); break;
		case 'p': portspec = optarg; break;
		case 'f': print_filtered = 1; break;
		case 'A': print_all = 1; break;
		case 'q': quiet = 1; break;
		default: usage();
		}
	}
	if (!portspec || optind >= argc)
		usage();
	parse_ports(portspec);
	for (int k = optind; k < argc; k++)
		add_target(argv[k]);

	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)window + 16 + (rlim_t)nworkers > rl.rlim_cur)
			window = rl.rlim_cur > 32 + (rlim_t)nworkers ? (long)rl.rlim_cur - 16 - nworkers : 16;
	}
	total = nhosts * nports;
	if ((uint64_t)nworkers > total)
		nworkers = (long)total;
	if (window < nworkers)
		window = nworkers;

	struct worker *ws = calloc((size_t)nworkers, sizeof *ws);
	if (!ws)
		die("calloc");
	for (long k = 0; k < nworkers; k++) {
		struct worker *w = &ws[k];
		w->id = (int)k;
		w->nworkers = (int)nworkers;
		w->window = window / nworkers + (k < window % nworkers);
		w->head = w->tail = -1;
		w->slots = calloc((size_t)w->window, sizeof *w->slots);
		w->freelist = malloc((size_t)w->window * sizeof *w->freelist);
		w->evs = malloc((size_t)w->window * sizeof *w->evs);
		if (!w->slots || !w->freelist || !w->evs)
			die("malloc");
		for (long i = w->window - 1; i >= 0; i--) {
			w->slots[i].fd = -1;
			w->slots[i].prev = w->slots[i].next = -1;
			w->freelist[w->nfree++] = (int)i;
		}
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (w->epfd < 0)
			die("epoll_create1");
	}

	double t0 = now_s();
	if (nworkers == 1) {
		work(&ws[0]);
	} else {
		for (long k = 0; k < nworkers; k++) {
			errno = pthread_create(&ws[k].thread, NULL, work, &ws[k]);
			if (errno)
				die("pthread_create");
		}
		for (long k = 0; k < nworkers; k++)
			pthread_join(ws[k].thread, NULL);
	}
	double el = now_s() - t0;
	fflush(stdout);

	struct worker sum = {0};
	for (long k = 0; k < nworkers; k++) {
		sum.n_open += ws[k].n_open;
		sum.n_closed += ws[k].n_closed;
		sum.n_filtered += ws[k].n_filtered;
		sum.n_unreach += ws[k].n_unreach;
		sum.n_error += ws[k].n_error;
		sum.n_attempts += ws[k].n_attempts;
		sum.n_done += ws[k].n_done;
		sum.n_self += ws[k].n_self;
	}
	if (!quiet)
		fprintf(stderr,
			"connectloop: %llu probes in %.2f s (%.0f/s): %llu open, %llu closed, %llu filtered "
			"(%llu unreachable), %llu error; %llu attempts, %llu self-connects retried, window %ld, "
			"%ld thread(s), timeout %d ms, retries %u\n",
			(unsigned long long)sum.n_done, el, el > 0 ? (double)sum.n_done / el : 0.0,
			(unsigned long long)sum.n_open, (unsigned long long)sum.n_closed,
			(unsigned long long)sum.n_filtered, (unsigned long long)sum.n_unreach,
			(unsigned long long)sum.n_error, (unsigned long long)sum.n_attempts,
			(unsigned long long)sum.n_self, window, nworkers, timeout_ms, retries);
	return 0;
}
