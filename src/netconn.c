/* netconn.c: connect attempts, the portable timeout shim, errno meanings.
 *
 * The outcome of an attempt is decided by errno alone, with one exception: on
 * loopback a connect to a port in the ephemeral range can pick that same port
 * as its source and connect to itself (TCP simultaneous open). That looks like
 * an open port and is not one, so a completed handshake is checked against
 * getsockname().
 *
 * Linux reports an ICMP "administratively prohibited" as EHOSTUNREACH, the
 * same as a host that is down; with IP_RECVERR it also queues the ICMP
 * message itself, which tells them apart. Other systems keep the errno. */
#if defined(__linux__)
#define _GNU_SOURCE 1   /* IP_RECVERR, MSG_ERRQUEUE */
#endif
#include "netconn.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"

#if defined(__linux__)
#include <linux/errqueue.h>
#include <netinet/ip.h>
#include <netinet/icmp6.h>

/* ICMP destination unreachable codes (RFC 792, RFC 1812) that mean a
 * filter, not an absent host. */
static bool icmp_admin_prohibited(const struct sock_extended_err *ee)
{
	if (ee->ee_origin == SO_EE_ORIGIN_ICMP)
		return ee->ee_type == 3 && (ee->ee_code == 9 || ee->ee_code == 10 || ee->ee_code == 13);
	if (ee->ee_origin == SO_EE_ORIGIN_ICMP6)
		return ee->ee_type == 1 && (ee->ee_code == 1 || ee->ee_code == 5 || ee->ee_code == 6);
	return false;
}

static void want_icmp_errors(int fd, int family)
{
	int on = 1;

	if (family == AF_INET)
		(void)setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on));
	else
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on));
}

/* The errno the ICMP message behind e deserves: EACCES for a filter. */
static int refine_unreach(int fd, int e)
{
	char cbuf[512], data[64];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };

	if (e != EHOSTUNREACH && e != ENETUNREACH)
		return e;
	while (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0) {
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
			if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
			    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
				struct sock_extended_err ee;

				memcpy(&ee, CMSG_DATA(c), sizeof(ee));
				if (icmp_admin_prohibited(&ee))
					return EACCES;
			}
		}
		msg.msg_controllen = sizeof(cbuf);
	}
	return e;
}
#else
static void want_icmp_errors(int fd, int family)
{
}

static int refine_unreach(int fd, int e)
{
	return e;
}
#endif

/* Linux is the one system known to bound a blocking connect() by SO_SNDTIMEO.
 * Everywhere else the non-blocking shim is used, which is correct anywhere. */
#if defined(__linux__) && !defined(PORTOLAN_FORCE_POLL_CONNECT)
#define USE_SNDTIMEO_CONNECT 1
#else
#define USE_SNDTIMEO_CONNECT 0
#endif

static bool is_resource_errno(int e)
{
	switch (e) {
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
	case EADDRNOTAVAIL:
	case EAGAIN:
#if defined(EADDRINUSE)
	case EADDRINUSE:
#endif
		return true;
	default:
		return false;
	}
}

static enum attempt_outcome outcome_of_errno(int e)
{
	switch (e) {
	case ECONNREFUSED:
	case ECONNRESET:
		return ATTEMPT_CLOSED;
	case ETIMEDOUT:
	case EINPROGRESS:   /* Linux: SO_SNDTIMEO expired while the SYN went unanswered */
	case EALREADY:
		return ATTEMPT_TIMEOUT;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case EACCES:
	case EPERM:
#if defined(ENONET)
	case ENONET:
#endif
#if defined(EPROTO)
	case EPROTO:
#endif
		return ATTEMPT_UNREACH;
	default:
		return is_resource_errno(e) ? ATTEMPT_RESOURCE : ATTEMPT_ERROR;
	}
}

#if USE_SNDTIMEO_CONNECT
/* Bounds the blocking connect. Nothing reads from these sockets without
 * poll() first (detection included), so no receive timeout is set: every
 * syscall saved here is saved once per probe. */
static void set_connect_timeout(int fd, unsigned timeout_ms)
{
	struct timeval tv;

	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}
#endif

#if !USE_SNDTIMEO_CONNECT
/* Non-blocking connect, poll, SO_ERROR; errno ETIMEDOUT on timeout. The
 * socket's flags are restored, so callers see a blocking socket as on Linux. */
static int connect_with_poll(int fd, const struct sockaddr *sa, socklen_t salen,
			     unsigned timeout_ms)
{
	struct pollfd pfd;
	struct timespec start, now;
	int flags, rc, soerr = 0, left;
	socklen_t len = sizeof(soerr);

	flags = fcntl(fd, F_GETFL);
	if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return -1;
	rc = connect(fd, sa, salen);
	if (rc == 0 || errno != EINPROGRESS)
		goto restore;

	clock_gettime(CLOCK_MONOTONIC, &start);
	left = (int)timeout_ms;
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		rc = poll(&pfd, 1, left);
		if (rc > 0)
			break;
		if (rc == 0) {
			errno = ETIMEDOUT;
			rc = -1;
			goto restore;
		}
		if (errno != EINTR)
			goto restore;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (int)timeout_ms - (int)((now.tv_sec - start.tv_sec) * 1000 +
					       (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0) {
			errno = ETIMEDOUT;
			rc = -1;
			goto restore;
		}
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1) {
		rc = -1;
	} else if (soerr != 0) {
		errno = soerr;
		rc = -1;
	} else {
		rc = 0;
	}
restore:
	{
		int saved = errno;

		(void)fcntl(fd, F_SETFL, flags);
		errno = saved;
	}
	return rc;
}
#endif

static bool is_self_connect(int fd, const struct sockaddr *peer)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	struct pl_addr la, pa;
	uint16_t lport, pport;

	if (getsockname(fd, (struct sockaddr *)&local, &len) == -1)
		return false;
	if (!pl_addr_from_sockaddr((struct sockaddr *)&local, &la) ||
	    !pl_addr_from_sockaddr(peer, &pa))
		return false;
	if (local.ss_family == AF_INET) {
		lport = ((struct sockaddr_in *)&local)->sin_port;
		pport = ((const struct sockaddr_in *)peer)->sin_port;
	} else {
		lport = ((struct sockaddr_in6 *)&local)->sin6_port;
		pport = ((const struct sockaddr_in6 *)peer)->sin6_port;
	}
	return lport == pport && pl_addr_equal(&la, &pa);
}

void netconn_abort(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (fd < 0)
		return;
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	(void)close(fd);
}

/* Linux lets a socket whose connect() was refused connect again (it is back
 * in CLOSE state, unbound, with its options kept); POSIX leaves the socket's
 * state unspecified after a failed connect, so elsewhere every attempt gets a
 * fresh socket. */
#if defined(__linux__)
#define REUSE_REFUSED 1
#else
#define REUSE_REFUSED 0
#endif

static int new_socket(int family)
{
	int s;

#if defined(SOCK_CLOEXEC)
	s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
#else
	s = socket(family, SOCK_STREAM, 0);
	if (s != -1)
		(void)fcntl(s, F_SETFD, FD_CLOEXEC);
#endif
	if (s != -1)
		want_icmp_errors(s, family);
	return s;
}

void netconn_spare_close(struct netconn_spare *sp)
{
	if (sp != NULL && sp->fd != -1) {
		(void)close(sp->fd);
		sp->fd = -1;
	}
}

/* The errnos a reused socket may fail with that say nothing about the port
 * (the socket was not in the state we expected): try a fresh one instead. */
static bool reuse_went_wrong(int e)
{
	return e == EALREADY || e == EISCONN || e == EINVAL || e == EBADF || e == ENOTSOCK;
}

enum attempt_outcome netconn_attempt(const struct sockaddr *sa, socklen_t salen,
				     unsigned timeout_ms, struct netconn_spare *sp,
				     int *fd, int *err)
{
	int s, rc, e;
	bool fresh;

	*fd = -1;
	*err = 0;
again:
	fresh = true;
	if (sp != NULL && sp->fd != -1 && sp->family == sa->sa_family) {
		s = sp->fd;
		sp->fd = -1;
		fresh = false;
	} else {
		netconn_spare_close(sp);
		s = new_socket(sa->sa_family);
	}
	if (s == -1) {
		*err = errno;
		return is_resource_errno(*err) ? ATTEMPT_RESOURCE : ATTEMPT_ERROR;
	}

#if USE_SNDTIMEO_CONNECT
	if (fresh || sp->timeout_ms != timeout_ms)
		set_connect_timeout(s, timeout_ms);
	do {
		rc = connect(s, sa, salen);
	} while (rc == -1 && errno == EINTR);
#else
	rc = connect_with_poll(s, sa, salen, timeout_ms);
#endif
	if (rc == 0) {
		if (is_self_connect(s, sa)) {
			netconn_abort(s);
			return ATTEMPT_SELF;
		}
		*fd = s;
		return ATTEMPT_OPEN;
	}
	e = refine_unreach(s, errno);
	if (!fresh && reuse_went_wrong(e)) {
		(void)close(s);
		goto again;
	}
	*err = e;
	if (REUSE_REFUSED && sp != NULL && e == ECONNREFUSED) {
		sp->fd = s;
		sp->family = sa->sa_family;
		sp->timeout_ms = timeout_ms;
	} else {
		/* Never connected: nothing to reset, no TIME_WAIT to avoid. */
		(void)close(s);
	}
	return outcome_of_errno(e);
}

void netconn_classify(enum attempt_outcome o, int err, enum port_state *state,
		      enum reason *reason)
{
	switch (o) {
	case ATTEMPT_OPEN:
		*state = STATE_OPEN;
		*reason = REASON_SYN_ACK;
		return;
	case ATTEMPT_CLOSED:
		*state = STATE_CLOSED;
		*reason = err == ECONNRESET ? REASON_RESET : REASON_CONN_REFUSED;
		return;
	case ATTEMPT_TIMEOUT:
		*state = STATE_FILTERED;
		*reason = REASON_NO_RESPONSE;
		return;
	case ATTEMPT_UNREACH:
		*state = STATE_FILTERED;
		if (err == ENETUNREACH || err == ENETDOWN)
			*reason = REASON_NET_UNREACH;
		else if (err == EACCES || err == EPERM)
			*reason = REASON_ADMIN_PROHIBITED;
		else
			*reason = REASON_HOST_UNREACH;
		return;
	case ATTEMPT_SELF:
		/* A port that only ever connected to itself has no listener. */
		*state = STATE_CLOSED;
		*reason = REASON_CONN_REFUSED;
		return;
	case ATTEMPT_RESOURCE:
	case ATTEMPT_ERROR:
	default:
		*state = STATE_ERROR;
		*reason = REASON_LOCAL_ERROR;
		return;
	}
}
