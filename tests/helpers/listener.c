/* listener.c: a tiny TCP listener for portolan's lab and integration tests.
 *
 * Usage: listener [-a ADDR]... [-b BACKLOG] [-q] PORTSPEC...
 *
 *   PORTSPEC  a port (80), a range (1000-1100) or a comma list of those
 *             ("22,80,1000-1100"); any number of them.
 *   -a ADDR   address to listen on, IPv4 or IPv6 (may be given more than
 *             once). Default: "::" as a dual-stack socket, so both IPv4 and
 *             IPv6 connections are accepted; falls back to 0.0.0.0 when the
 *             kernel has no IPv6.
 *   -b N      listen backlog (default 65535; the kernel caps it at
 *             net.core.somaxconn).
 *   -q        do not print "ready".
 *
 * Once every socket listens it prints "ready" on stdout (flushed), then
 * accepts and closes connections forever, until killed. Many ports are fine:
 * it raises RLIMIT_NOFILE to the hard limit and waits with poll().
 * Exit status: 0 never (runs until killed), 1 on a setup error, 2 on usage. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_ADDRS 16

struct laddr {
	int family;
	struct sockaddr_storage ss;
	socklen_t len;
	int dual; /* "::" default: clear IPV6_V6ONLY */
	char text[INET6_ADDRSTRLEN];
};

static void usage(void)
{
	fprintf(stderr, "usage: listener [-a ADDR]... [-b BACKLOG] [-q] PORT|LO-HI[,...]...\n");
	exit(2);
}

static int parse_port(const char *s, const char *end, unsigned *out)
{
	unsigned long v = 0;
	if (s == end)
		return -1;
	for (const char *p = s; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > 65535)
			return -1;
	}
	if (v == 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Marks the ports of one spec ("80", "1-100", "22,80,1000-1100") in want[]. */
static int parse_spec(const char *spec, unsigned char *want)
{
	const char *p = spec;
	while (*p) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		const char *dash = memchr(p, '-', (size_t)(end - p));
		unsigned lo, hi;
		if (dash) {
			if (parse_port(p, dash, &lo) || parse_port(dash + 1, end, &hi) || lo > hi)
				return -1;
		} else {
			if (parse_port(p, end, &lo))
				return -1;
			hi = lo;
		}
		for (unsigned q = lo; q <= hi; q++)
			want[q] = 1;
		p = comma ? comma + 1 : end;
	}
	return 0;
}

static int parse_addr(const char *s, struct laddr *a)
{
	memset(a, 0, sizeof *a);
	struct sockaddr_in *in4 = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
	if (inet_pton(AF_INET, s, &in4->sin_addr) == 1) {
		a->family = AF_INET;
		in4->sin_family = AF_INET;
		a->len = sizeof *in4;
	} else if (inet_pton(AF_INET6, s, &in6->sin6_addr) == 1) {
		a->family = AF_INET6;
		in6->sin6_family = AF_INET6;
		a->len = sizeof *in6;
	} else {
		return -1;
	}
	snprintf(a->text, sizeof a->text, "%s", s);
	return 0;
}

static void set_port(struct laddr *a, unsigned port)
{
	if (a->family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons((uint16_t)port);
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return 0;
}

/* Returns the listening fd, or -1 (errno set). */
static int open_listener(struct laddr *a, unsigned port, int backlog)
{
	int fd = socket(a->family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	int one = 1, zero = 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (a->family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, a->dual ? &zero : &one, sizeof one);
	set_port(a, port);
	if (bind(fd, (struct sockaddr *)&a->ss, a->len) < 0 || listen(fd, backlog) < 0 ||
	    set_nonblock(fd) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct laddr addrs[MAX_ADDRS];
	int naddrs = 0, backlog = 65535, quiet = 0, opt;
	static unsigned char want[65536];

	while ((opt = getopt(argc, argv, "a:b:q")) != -1) {
		switch (opt) {
		case 'a':
			if (naddrs == MAX_ADDRS || parse_addr(optarg, &addrs[naddrs]) < 0) {
				fprintf(stderr, "listener: bad or too many addresses: %s\n", optarg);
				return 2;
			}
			naddrs++;
			break;
		case 'b':
			backlog = atoi(optarg);
			if (backlog <= 0)
				usage();
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
	for (int i = optind; i < argc; i++) {
		if (parse_spec(argv[i], want) < 0) {
			fprintf(stderr, "listener: bad port spec: %s\n", argv[i]);
			return 2;
		}
	}

	int dual_default = 0;
	if (naddrs == 0) {
		int probe = socket(AF_INET6, SOCK_STREAM, 0);
		if (probe >= 0) {
			close(probe);
			parse_addr("::", &addrs[0]);
			addrs[0].dual = 1;
			dual_default = 1;
		} else {
			parse_addr("0.0.0.0", &addrs[0]);
		}
		naddrs = 1;
	}

	/* Drop descriptors inherited from whoever started us (pipes of a test
	 * harness, lock files) so a forgotten listener cannot hold them open. */
	long maxfd = sysconf(_SC_OPEN_MAX);
	for (long fd = 3; fd < (maxfd > 0 && maxfd < 65536 ? maxfd : 65536); fd++)
		(void)close((int)fd);

	size_t nports = 0;
	for (unsigned p = 1; p <= 65535; p++)
		nports += want[p];
	raise_nofile();

	size_t cap = nports * (size_t)naddrs, n = 0;
	struct pollfd *pfd = calloc(cap, sizeof *pfd);
	if (!pfd) {
		fprintf(stderr, "listener: out of memory\n");
		return 1;
	}
	for (int ai = 0; ai < naddrs; ai++) {
		for (unsigned p = 1; p <= 65535; p++) {
			if (!want[p])
				continue;
			int fd = open_listener(&addrs[ai], p, backlog);
			if (fd < 0 && dual_default && errno == EADDRNOTAVAIL) {
				/* IPv6 present but disabled: fall back to IPv4. */
				parse_addr("0.0.0.0", &addrs[ai]);
				dual_default = 0;
				fd = open_listener(&addrs[ai], p, backlog);
			}
			if (fd < 0) {
				fprintf(stderr, "listener: %s port %u: %s\n", addrs[ai].text, p,
					strerror(errno));
				return 1;
			}
			pfd[n].fd = fd;
			pfd[n].events = POLLIN;
			n++;
		}
	}
	if (!quiet) {
		printf("ready\n");
		fflush(stdout);
	}

	for (;;) {
		int r = poll(pfd, (nfds_t)n, -1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			perror("listener: poll");
			return 1;
		}
		for (size_t i = 0; i < n && r > 0; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			r--;
			for (;;) {
				int c = accept(pfd[i].fd, NULL, NULL);
				if (c >= 0) {
					close(c);
					continue;
				}
				if (errno == EINTR || errno == ECONNABORTED)
					continue;
				if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EMFILE &&
				    errno != ENFILE)
					perror("listener: accept");
				break;
			}
		}
	}
}
