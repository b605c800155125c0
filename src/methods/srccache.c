/* srccache.c: the source address per destination, kept for a while
 * (srccache.h says why and for how long).
 *
 * On Linux one UDP socket per family is connected to each new destination
 * in turn: connect() to AF_UNSPEC first, since a connected socket keeps the
 * source it was first given, and only a disconnect lets the kernel choose
 * again. Elsewhere a fresh socket per look-up, as the BSDs' disconnect
 * differs. */
#include "srccache.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib.h>

struct slot {
	struct pl_addr dst, src;
	int64_t until_ns;             /* 0: empty */
};

struct srccache {
	srccache_lookup_fn lookup;
	void *ud;
	int fd4, fd6;                 /* the route look-up's sockets, or -1 */
	struct slot slots[SRCCACHE_SLOTS];
};

struct srccache *srccache_new(srccache_lookup_fn lookup, void *ud)
{
	struct srccache *c = g_new0(struct srccache, 1);

	c->fd4 = c->fd6 = -1;
	if (lookup == NULL) {
		c->lookup = srccache_route_source;
		c->ud = c;
	} else {
		c->lookup = lookup;
		c->ud = ud;
	}
	return c;
}

void srccache_free(struct srccache *c)
{
	if (c == NULL)
		return;
	if (c->fd4 >= 0)
		close(c->fd4);
	if (c->fd6 >= 0)
		close(c->fd6);
	g_free(c);
}

static size_t slot_of(const struct pl_addr *a)
{
	uint64_t h = a->v.lo ^ (a->v.hi * 0x9e3779b97f4a7c15ULL) ^ (uint64_t)a->family;

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 29;
	return (size_t)(h % SRCCACHE_SLOTS);
}

int srccache_get(struct srccache *c, const struct pl_addr *dst, int64_t now_ns,
		 struct pl_addr *src)
{
	struct slot *s = &c->slots[slot_of(dst)];
	int e;

	if (s->until_ns > now_ns && pl_addr_equal(&s->dst, dst)) {
		*src = s->src;
		return 0;
	}
	if ((e = c->lookup(dst, src, c->ud)) != 0)
		return e;
	s->dst = *dst;
	s->src = *src;
	s->until_ns = now_ns + (int64_t)SRCCACHE_TTL_MS * 1000000;
	return 0;
}

#ifdef __linux__
/* The family's socket, opened on first use and disconnected. */
static int route_socket(struct srccache *c, int family)
{
	int *fd = family == AF_INET ? &c->fd4 : &c->fd6;
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };

	if (*fd < 0) {
		*fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		return *fd;
	}
	if (connect(*fd, &unspec, sizeof(unspec)) != 0) {
		close(*fd);
		*fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	}
	return *fd;
}
#endif

int srccache_route_source(const struct pl_addr *dst, struct pl_addr *src, void *ud)
{
	struct sockaddr_storage to, me;
	socklen_t tl = pl_addr_sockaddr(dst, 9, &to), ml = sizeof(me);
	int e = 0;
#ifdef __linux__
	int fd = route_socket(ud, dst->family);
#else
	int fd = socket(dst->family, SOCK_DGRAM, 0);
#endif

	if (fd < 0)
		return errno;
	errno = 0;
	if (connect(fd, (struct sockaddr *)&to, tl) != 0 ||
	    getsockname(fd, (struct sockaddr *)&me, &ml) != 0 ||
	    !pl_addr_from_sockaddr((struct sockaddr *)&me, src))
		e = errno ? errno : EADDRNOTAVAIL;
#ifndef __linux__
	close(fd);
#endif
	return e;
}
