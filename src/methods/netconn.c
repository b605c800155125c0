/* netconn.c: connect attempts, the portable timeout shim, errno meanings.
 *
 * The outcome of an attempt is decided by errno alone, with one exception: on
 * loopback a connect to a port in the ephemeral range can pick that same port
 * as its source and connect to itself (TCP simultaneous open). That looks like
 * an open port and is not one, so a completed handshake is checked against
 * getsockname().
 *
 * Every system waits the same way: a non-blocking connect(), poll() for
 * writability, then the socket's error. Linux would bound a blocking connect()
 * by SO_SNDTIMEO, but it cannot be used: an ICMP error that comes back while
 * connect() still holds the socket (on a LAN or veth the answer is processed
 * inside the connect call) is kept only as a "soft" error, and a sleeping
 * connect() does not see it until the SYN is retransmitted (1 s) and answered
 * again; measured in docs/connect-path.md. With IP_RECVERR the ICMP message
 * is queued on the socket, which poll() reports as POLLERR at once.
 *
 * Linux reports an ICMP "administratively prohibited" as EHOSTUNREACH, the
 * same as a host that is down; the queued ICMP message tells them apart.
 * Other systems keep the errno. */
#if defined(__linux__)
#define _GNU_SOURCE 1   /* IP_RECVERR, MSG_ERRQUEUE, SOCK_NONBLOCK */
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
#include "clock.h"

/* Linux: sockets are created non-blocking and stay so, a failed attempt's
 * error is collected with a second connect(), which also returns the socket
 * to the unconnected state, so a refused socket connects again (see
 * netconn_attempt). Everywhere else (and in a build with
 * -DPORTOLAN_FORCE_POLL_CONNECT, which tests that path on Linux) the portable
 * shim: O_NONBLOCK for the connect only, SO_ERROR, a fresh socket each time. */
#if defined(__linux__) && !defined(PORTOLAN_FORCE_POLL_CONNECT)
#define LINUX_CONNECT 1
#else
#define LINUX_CONNECT 0
#endif
#define NETCONN_TIMER_SLACK_NS 2000000UL

#if defined(__linux__)
#include <sys/prctl.h>
#endif

void netconn_thread_init(void)
{
#if LINUX_CONNECT
	/* A poll() timeout is an hrtimer with 50 us of slack: a thousand
	 * workers waiting out filtered ports then wake one by one, each at its
	 * own instant. A few milliseconds of slack (the granularity a blocking
	 * connect's timer had anyway) lets the kernel wake them together. */
	(void)prctl(PR_SET_TIMERSLACK, NETCONN_TIMER_SLACK_NS, 0, 0, 0);
#endif
}

#if defined(__linux__)
#include <linux/errqueue.h>
#include <netinet/ip.h>
#include <netinet/icmp6.h>

/* ICMP destination unreachable codes (RFC 792, RFC 1812; RFC 4443) that mean
 * a filter, not an absent host. */
static bool icmp_admin_prohibited(const struct sock_extended_err *ee)
{
	if (ee->ee_origin == SO_EE_ORIGIN_ICMP)
		return ee->ee_type == 3 && (ee->ee_code == 9 || ee->ee_code == 10 || ee->ee_code == 13);
	if (ee->ee_origin == SO_EE_ORIGIN_ICMP6)
		return ee->ee_type == 1 && (ee->ee_code == 1 || ee->ee_code == 5 || ee->ee_code == 6);
	return false;
}

/* ICMP protocol unreachable; ICMPv6 parameter problem, unrecognised next
 * header (RFC 4443 3.4), its IPv6 counterpart. */
static bool icmp_proto_unreach(const struct sock_extended_err *ee)
{
	if (ee->ee_origin == SO_EE_ORIGIN_ICMP)
		return ee->ee_type == 3 && ee->ee_code == 2;
	if (ee->ee_origin == SO_EE_ORIGIN_ICMP6)
		return ee->ee_type == 4 && ee->ee_code == 1;
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

/* The errno the queued ICMP messages deserve: EACCES for a filter,
 * ENOPROTOOPT for protocol unreachable, else e, or the kernel's errno for the
 * last message when e is 0 (an error poll() reported but SO_ERROR lost). */
static int read_icmp_errno(int fd, int e)
{
	char cbuf[512], data[64];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	int found = e;

	while (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0) {
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
			struct sock_extended_err ee;

			if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
			      (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)))
				continue;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			if (icmp_admin_prohibited(&ee))
				found = EACCES;
			else if (icmp_proto_unreach(&ee))
				found = ENOPROTOOPT;
			else if (e == 0 && ee.ee_errno != 0)
				found = (int)ee.ee_errno;
		}
		msg.msg_controllen = sizeof(cbuf);
	}
	return found;
}

/* Only the errnos an ICMP error turns into are worth a look at the queue:
 * a refused or open port costs no extra system call. */
static int refine_unreach(int fd, int e)
{
	if (e != EHOSTUNREACH && e != ENETUNREACH && e != EPROTO && e != 0)
		return e;
	return read_icmp_errno(fd, e);
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

bool netconn_is_resource_errno(int e)
{
	/* Not a switch: EWOULDBLOCK equals EAGAIN on Linux, not everywhere. */
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM || e == EAGAIN ||
	       e == EWOULDBLOCK || e == EADDRNOTAVAIL || e == EADDRINUSE;
}

static enum attempt_outcome outcome_of_errno(int e)
{
	switch (e) {
	case ECONNREFUSED:
	case ECONNRESET:
	case ECONNABORTED:  /* the handshake was torn down by the peer */
		return ATTEMPT_CLOSED;
	case ETIMEDOUT:
	case EINPROGRESS:
	case EALREADY:
		return ATTEMPT_TIMEOUT;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ENETDOWN:
	case EACCES:
	case EPERM:
	case ENOPROTOOPT:   /* Linux: ICMP protocol unreachable */
#if defined(EHOSTDOWN)
	case EHOSTDOWN:
#endif
#if defined(ENONET)
	case ENONET:
#endif
#if defined(EPROTO)
	case EPROTO:
#endif
		return ATTEMPT_UNREACH;
	default:
		return netconn_is_resource_errno(e) ? ATTEMPT_RESOURCE : ATTEMPT_ERROR;
	}
}

/* Waits up to timeout_ms for fd to become writable (or to fail). Returns 1
 * with *revents set, 0 on timeout, -1 on error (errno set). */
static int wait_writable(int fd, unsigned timeout_ms, short *revents)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int64_t start = mono_ms();
	int rc, left = (int)timeout_ms;

	for (;;) {
		rc = poll(&pfd, 1, left);
		if (rc > 0) {
			*revents = pfd.revents;
			return 1;
		}
		if (rc == 0)
			return 0;
		if (errno != EINTR)
			return -1;
		left = (int)timeout_ms - (int)(mono_ms() - start);
		if (left <= 0)
			return 0;
	}
}

static int socket_error(int fd)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		return errno;
	return soerr;
}

#if LINUX_CONNECT
/* A second connect() on a connecting socket reports where it stands: 0 when
 * connected, 1 while still connecting (EALREADY), else -1 with the error, and
 * the socket is then back in the unconnected state, free to connect again
 * (net/ipv4/af_inet.c: a closed socket gives sock_error() and becomes
 * SS_UNCONNECTED). */
static int connect_status(int fd, const struct sockaddr *sa, socklen_t salen, bool *reusable)
{
	if (connect(fd, sa, salen) == 0 || errno == EISCONN)
		return 0;
	if (errno == EALREADY)
		return 1;
	*reusable = true;
	return -1;
}

/* Connects the (non-blocking) socket fd; errno ETIMEDOUT on timeout.
 * *reusable says the socket is back in the unconnected state and may
 * connect again. */
static int connect_linux(int fd, const struct sockaddr *sa, socklen_t salen,
			 unsigned timeout_ms, bool fresh, bool *reusable)
{
	short revents = 0;
	int rc, e;

	*reusable = false;
	if (connect(fd, sa, salen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	/* On a LAN, a veth or loopback the answer has usually been processed
	 * before connect() returned: look before waiting (one system call
	 * instead of two for the commonest answer, an RST). */
	rc = connect_status(fd, sa, salen, reusable);
	if (rc <= 0)
		return rc;
	rc = wait_writable(fd, timeout_ms, &revents);
	if (rc <= 0) {
		if (rc == 0)
			errno = ETIMEDOUT;
		return -1;
	}
	if (!(revents & (POLLERR | POLLHUP)))
		return 0;
	rc = connect_status(fd, sa, salen, reusable);
	if (rc <= 0)
		return rc;
	/* Still connecting, yet poll() saw an error: an ICMP error came while
	 * connect() held the socket and is pending as a soft error, which
	 * SO_ERROR returns. */
	e = socket_error(fd);
	if (e == 0 && !fresh) {
		/* Only a stale queued message from the socket's last use: a
		 * fresh socket will tell (EALREADY is reuse_went_wrong). */
		errno = EALREADY;
		return -1;
	}
	/* 0: let the queued message say (refine_unreach), else EIO. */
	errno = e != 0 ? e : read_icmp_errno(fd, EIO);
	return -1;
}
#else
/* Non-blocking connect, poll, SO_ERROR; errno ETIMEDOUT on timeout. The
 * socket's flags are restored, so callers see a blocking socket. After a
 * failed non-blocking connect POSIX leaves the socket's state unspecified
 * (Linux keeps it "connecting"), so it is never reused. */
static int connect_portable(int fd, const struct sockaddr *sa, socklen_t salen,
			    unsigned timeout_ms, bool fresh, bool *reusable)
{
	short revents = 0;
	int flags, rc, e;

	*reusable = false;
	flags = fcntl(fd, F_GETFL);
	if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return -1;
	rc = connect(fd, sa, salen);
	if (rc == 0 || errno != EINPROGRESS)
		goto restore;
	rc = wait_writable(fd, timeout_ms, &revents);
	if (rc <= 0) {
		if (rc == 0)
			errno = ETIMEDOUT;
		rc = -1;
		goto restore;
	}
	e = socket_error(fd);
	if (e != 0) {
		errno = e;
		rc = -1;
	} else if (revents & (POLLERR | POLLHUP)) {
		/* An error poll() saw and SO_ERROR does not hold any more:
		 * the queued ICMP message (Linux) still says what it was. */
		errno = refine_unreach(fd, 0);
		if (errno == 0)
			errno = ECONNABORTED;
		rc = -1;
	} else {
		rc = 0;
	}
restore:
	e = errno;
	(void)fcntl(fd, F_SETFL, flags);
	errno = e;
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

static int new_socket(int family)
{
	int s;

#if LINUX_CONNECT
	s = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
#elif defined(SOCK_CLOEXEC)
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
	return e == EALREADY || e == EISCONN || e == EINVAL || e == EBADF || e == ENOTSOCK ||
	       e == ECONNABORTED;
}

enum attempt_outcome netconn_attempt(const struct sockaddr *sa, socklen_t salen,
				     unsigned timeout_ms, struct netconn_spare *sp,
				     int *fd, int *err)
{
	int s, rc, e;
	bool fresh, reusable;

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
		return netconn_is_resource_errno(*err) ? ATTEMPT_RESOURCE : ATTEMPT_ERROR;
	}
#if LINUX_CONNECT
	rc = connect_linux(s, sa, salen, timeout_ms, fresh, &reusable);
#else
	rc = connect_portable(s, sa, salen, timeout_ms, fresh, &reusable);
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
	/* A refused socket is the commonest outcome of a scan: keeping it saves
	 * a socket's creation, setup and teardown per closed port. */
	if (reusable && sp != NULL && e == ECONNREFUSED) {
		sp->fd = s;
		sp->family = sa->sa_family;
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
		*reason = err == ECONNRESET || err == ECONNABORTED ? REASON_RESET : REASON_CONN_REFUSED;
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
		else if (err == ENOPROTOOPT)
			*reason = REASON_PROTO_UNREACH;
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
