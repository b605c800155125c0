/* probe_connect.c: the unprivileged tcp-connect prober.
 *
 * A non-blocking connect() to each of the host's ports; one thread polls
 * every connect in flight. An accept (REASON_SYN_ACK) or a refusal
 * (REASON_CONN_REFUSED: an RST came back) proves the host alive; a timeout,
 * an ICMP unreachable (EHOSTUNREACH, ENETUNREACH) prove nothing. EMFILE,
 * ENOBUFS, EADDRNOTAVAIL and the like are local failures, returned to the
 * engine as a negative errno. On loopback a connect may pick its own port
 * as the source and connect to itself: that proves nothing either. */
#include "disco_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>

#include "clock.h"
#include "errors.h"
#include "netconn.h"
#include "ratelimit.h"

struct conn {
	int fd;
	struct pl_addr addr;
	uint16_t port;
	int64_t opened_ns;       /* mono_ns() at connect() */
};

/* A connect is given up this long after it began. The kernel retransmits
 * an unanswered SYN once its initial RTO has passed (1 s, RFC 6298 2.1;
 * Linux's TCP_TIMEOUT_INIT), and that copy would escape --max-rate: a
 * slower answer is for the engine's next attempt, sent under the limit,
 * to catch. Checked at least every CONN_POLL_MS, so a socket lives at most
 * their sum, under the RTO. */
#define CONN_MAX_AGE_NS (700 * INT64_C(1000000))
#define CONN_POLL_MS 100

struct cstate {
	const struct disco_env *env;
	pthread_mutex_t lock;
	GHashTable *conns;       /* fd -> struct conn * (owned) */
	int wake[2];             /* a new connect: the poller looks again */
	pthread_t thread;
	atomic_bool quit;
};

/* A connect that reached its own socket (TCP simultaneous open on
 * loopback): the local address and port are the peer's. */
static bool self_connected(int fd)
{
	struct sockaddr_storage l, p;
	socklen_t ll = sizeof(l), pl = sizeof(p);
	struct pl_addr la, pa;

	if (getsockname(fd, (struct sockaddr *)&l, &ll) != 0 ||
	    getpeername(fd, (struct sockaddr *)&p, &pl) != 0)
		return false;
	if (!pl_addr_from_sockaddr((struct sockaddr *)&l, &la) ||
	    !pl_addr_from_sockaddr((struct sockaddr *)&p, &pa) || !pl_addr_equal(&la, &pa))
		return false;
	if (l.ss_family == AF_INET)
		return ((struct sockaddr_in *)&l)->sin_port == ((struct sockaddr_in *)&p)->sin_port;
	return ((struct sockaddr_in6 *)&l)->sin6_port == ((struct sockaddr_in6 *)&p)->sin6_port;
}

/* A non-blocking, close-on-exec TCP socket: in one call where the system
 * has the flags (Linux, the BSDs), else with fcntl. */
static int nonblocking_socket(int family)
{
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
	return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
	int fd = socket(family, SOCK_STREAM, 0);

	if (fd != -1 && (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
			 fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
#endif
}

/* What a finished (or failed) connect says; false: nothing yet, or
 * nothing to say. Under lock. */
static bool verdict(int fd, int e, enum reason *why)
{
	if (e == 0) {
		struct sockaddr_storage p;
		socklen_t pl = sizeof(p);

		/* Still connecting: a stale event of an earlier socket with
		 * this number. */
		if (getpeername(fd, (struct sockaddr *)&p, &pl) != 0)
			return false;
		if (self_connected(fd))
			return false;
		*why = REASON_SYN_ACK;
		return true;
	}
	if (e == ECONNREFUSED) {
		*why = REASON_CONN_REFUSED;
		return true;
	}
	return false;
}

struct answer {
	struct pl_addr addr;
	enum reason why;
};

/* Gives up the connects older than CONN_MAX_AGE_NS (their host is not
 * called anything by it: the engine's timeout decides). */
static void expire(struct cstate *st)
{
	int64_t old = mono_ns() - CONN_MAX_AGE_NS;
	GHashTableIter it;
	gpointer k, v;

	pthread_mutex_lock(&st->lock);
	g_hash_table_iter_init(&it, st->conns);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (((struct conn *)v)->opened_ns < old)
			g_hash_table_iter_remove(&it);
	pthread_mutex_unlock(&st->lock);
}

static void *poll_main(void *arg)
{
	struct cstate *st = arg;
	GArray *pfds = g_array_new(FALSE, FALSE, sizeof(struct pollfd));
	GArray *answers = g_array_new(FALSE, FALSE, sizeof(struct answer));

	while (!atomic_load(&st->quit)) {
		GHashTableIter it;
		gpointer k, v;
		struct pollfd w = { .fd = st->wake[0], .events = POLLIN };
		int n;

		g_array_set_size(pfds, 0);
		g_array_append_val(pfds, w);
		pthread_mutex_lock(&st->lock);
		g_hash_table_iter_init(&it, st->conns);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			struct pollfd p = { .fd = ((struct conn *)v)->fd, .events = POLLOUT };

			g_array_append_val(pfds, p);
		}
		pthread_mutex_unlock(&st->lock);
		n = poll((struct pollfd *)(void *)pfds->data, pfds->len, CONN_POLL_MS);
		expire(st);
		if (n <= 0)
			continue;
		if (g_array_index(pfds, struct pollfd, 0).revents & POLLIN) {
			char buf[64];

			while (read(st->wake[0], buf, sizeof(buf)) > 0)
				;
		}
		g_array_set_size(answers, 0);
		pthread_mutex_lock(&st->lock);
		for (guint i = 1; i < pfds->len; i++) {
			struct pollfd *p = &g_array_index(pfds, struct pollfd, i);
			struct conn *c;
			socklen_t len = sizeof(int);
			int e = 0;
			struct answer a;

			if (p->revents == 0)
				continue;
			/* Forgotten meanwhile, maybe its number reused. */
			c = g_hash_table_lookup(st->conns, GINT_TO_POINTER(p->fd));
			if (c == NULL)
				continue;
			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
				e = errno;
			if (e == 0 && !(p->revents & (POLLOUT | POLLERR | POLLHUP)))
				continue;
			if (verdict(c->fd, e, &a.why)) {
				a.addr = c->addr;
				g_array_append_val(answers, a);
			} else if (e == 0) {
				/* Still connecting, or connected to itself. */
				if (!self_connected(c->fd))
					continue;
			}
			g_hash_table_remove(st->conns, GINT_TO_POINTER(p->fd));
		}
		pthread_mutex_unlock(&st->lock);
		/* Outside the lock: alive() takes the engine's. */
		for (guint i = 0; i < answers->len; i++) {
			struct answer *a = &g_array_index(answers, struct answer, i);

			st->env->alive(st->env->ctx, &a->addr, a->why, 0);
		}
	}
	g_array_free(answers, TRUE);
	g_array_free(pfds, TRUE);
	return NULL;
}

static void free_conn(gpointer p)
{
	struct conn *c = p;

	netconn_abort(c->fd);
	g_free(c);
}

static int connect_open(const struct disco_env *env, void **state, GError **err)
{
	struct cstate *st = g_new0(struct cstate, 1);

	st->env = env;
	pthread_mutex_init(&st->lock, NULL);
	st->conns = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, free_conn);
	if (pipe(st->wake) != 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "pipe: %s", g_strerror(errno));
		goto fail;
	}
	for (int i = 0; i < 2; i++) {
		(void)fcntl(st->wake[i], F_SETFL, O_NONBLOCK);
		(void)fcntl(st->wake[i], F_SETFD, FD_CLOEXEC);
	}
	atomic_init(&st->quit, false);
	if (pthread_create(&st->thread, NULL, poll_main, st) != 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot start its thread");
		close(st->wake[0]);
		close(st->wake[1]);
		goto fail;
	}
	*state = st;
	return 0;
fail:
	g_hash_table_destroy(st->conns);
	pthread_mutex_destroy(&st->lock);
	g_free(st);
	return -1;
}

static void forget_locked(struct cstate *st, const struct pl_addr *addr)
{
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, st->conns);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (pl_addr_equal(&((struct conn *)v)->addr, addr))
			g_hash_table_iter_remove(&it);
}

static int connect_send(void *state, const struct pl_addr *addr, unsigned attempt)
{
	struct cstate *st = state;
	const struct disco_env *env = st->env;
	int sent = 0, failed = 0;
	enum reason why;

	/* A retry starts afresh: the kernel retransmits the first SYNs by
	 * itself, and the sockets they hold are better spent. */
	if (attempt > 0) {
		pthread_mutex_lock(&st->lock);
		forget_locked(st, addr);
		pthread_mutex_unlock(&st->lock);
	}
	for (size_t i = 0; i < env->ntcp_ports; i++) {
		struct sockaddr_storage ss;
		socklen_t len = pl_addr_sockaddr(addr, env->tcp_ports[i], &ss);
		int fd, e = 0;

		if (!ratelimit_take(env->rate))
			break;
		fd = nonblocking_socket(addr->family);
		if (fd == -1) {
			failed = -errno;
			continue;
		}
		if (connect(fd, (struct sockaddr *)&ss, len) != 0)
			e = errno;
		if (e == EINPROGRESS || e == EINTR) {
			struct conn *c = g_new(struct conn, 1);

			*c = (struct conn){ .fd = fd, .addr = *addr, .port = env->tcp_ports[i],
					    .opened_ns = mono_ns() };
			pthread_mutex_lock(&st->lock);
			g_hash_table_replace(st->conns, GINT_TO_POINTER(fd), c);
			pthread_mutex_unlock(&st->lock);
			(void)!write(st->wake[1], "", 1);
			sent = 1;
			continue;
		}
		if (netconn_is_resource_errno(e)) {
			failed = -e;
			netconn_abort(fd);
			continue;
		}
		/* Done at once: loopback answers before connect returns. */
		sent = 1;
		if (verdict(fd, e, &why))
			env->alive(env->ctx, addr, why, 0);
		netconn_abort(fd);
	}
	if (sent)
		return DISCO_SENT;
	return failed != 0 ? failed : -ECANCELED;
}

static void connect_forget(void *state, const struct pl_addr *addr)
{
	struct cstate *st = state;

	pthread_mutex_lock(&st->lock);
	forget_locked(st, addr);
	pthread_mutex_unlock(&st->lock);
}

static void connect_close(void *state)
{
	struct cstate *st = state;

	atomic_store(&st->quit, true);
	(void)!write(st->wake[1], "", 1);
	pthread_join(st->thread, NULL);
	close(st->wake[0]);
	close(st->wake[1]);
	g_hash_table_destroy(st->conns);
	pthread_mutex_destroy(&st->lock);
	g_free(st);
}

const struct disco_prober disco_tcp_connect = {
	.name = "tcp-connect",
	.summary = "TCP connect() to a few ports: an accept or a refusal proves life",
	.privileged = false,
	.exclusive = false,
	.open = connect_open,
	.send = connect_send,
	.forget = connect_forget,
	.close = connect_close,
};
