/* addr.c: IPv4 and IPv6 addresses as plain 128-bit values.
 *
 * Target ranges are stored as (first, last) pairs and walked by index, so an
 * address is kept as a host-order number rather than as a sockaddr: that makes
 * "first + offset" and "last - first" cheap for both families. IPv4 lives in
 * the low 32 bits of `lo`. Conversion to and from text and sockaddrs happens
 * only here. */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

/* Big-endian bytes (network order) to a host-order 128-bit value. */
static struct pl_u128 u128_from_bytes(const unsigned char *b, size_t n)
{
	struct pl_u128 v = { 0, 0 };

	for (size_t i = 0; i < n; i++) {
		v.hi = (v.hi << 8) | (v.lo >> 56);
		v.lo = (v.lo << 8) | b[i];
	}
	return v;
}

static void u128_to_bytes(struct pl_u128 v, unsigned char *b, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		b[i] = (unsigned char)(v.lo & 0xff);
		v.lo = (v.lo >> 8) | (v.hi << 56);
		v.hi >>= 8;
	}
}

bool pl_addr_parse(const char *text, struct pl_addr *out)
{
	unsigned char buf[16];

	/* Only IPv6 text contains a colon, so the family is known up front and
	 * one inet_pton call decides. inet_pton (unlike inet_aton) accepts only
	 * the strict dotted quad, which is what we want for targets. */
	if (strchr(text, ':') != NULL) {
		if (inet_pton(AF_INET6, text, buf) != 1)
			return false;
		out->family = AF_INET6;
		out->v = u128_from_bytes(buf, 16);
		return true;
	}
	if (inet_pton(AF_INET, text, buf) != 1)
		return false;
	out->family = AF_INET;
	out->v = u128_from_bytes(buf, 4);
	return true;
}

void pl_addr_format(const struct pl_addr *a, char *buf, size_t len)
{
	unsigned char bytes[16];
	const char *ok;

	if (len == 0)
		return;
	if (a->family == AF_INET6) {
		u128_to_bytes(a->v, bytes, 16);
		ok = inet_ntop(AF_INET6, bytes, buf, (socklen_t)len);
	} else {
		u128_to_bytes(a->v, bytes, 4);
		ok = inet_ntop(AF_INET, bytes, buf, (socklen_t)len);
	}
	/* Only a too-small buffer can fail; leave a valid empty string. */
	if (ok == NULL)
		buf[0] = '\0';
}

socklen_t pl_addr_sockaddr(const struct pl_addr *a, uint16_t port,
			   struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		u128_to_bytes(a->v, sin6->sin6_addr.s6_addr, 16);
		return (socklen_t)sizeof(*sin6);
	}

	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	unsigned char bytes[4];

	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	u128_to_bytes(a->v, bytes, 4);
	memcpy(&sin->sin_addr.s_addr, bytes, 4);
	return (socklen_t)sizeof(*sin);
}

bool pl_addr_from_sockaddr(const struct sockaddr *sa, struct pl_addr *out)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		out->family = AF_INET;
		out->v = u128_from_bytes((const unsigned char *)&sin->sin_addr.s_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		out->family = AF_INET6;
		out->v = u128_from_bytes(sin6->sin6_addr.s6_addr, 16);
		return true;
	}
	return false;
}

int pl_u128_cmp(struct pl_u128 a, struct pl_u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

/* Wraps modulo 2^128; callers that can overflow check first. */
struct pl_u128 pl_u128_add64(struct pl_u128 a, uint64_t b)
{
	struct pl_u128 r;

	r.lo = a.lo + b;
	r.hi = a.hi + (r.lo < a.lo);
	return r;
}

struct pl_u128 pl_u128_sub(struct pl_u128 b, struct pl_u128 a)
{
	struct pl_u128 r;

	r.lo = b.lo - a.lo;
	r.hi = b.hi - a.hi - (b.lo < a.lo);
	return r;
}

bool pl_addr_equal(const struct pl_addr *a, const struct pl_addr *b)
{
	return a->family == b->family && a->v.hi == b->v.hi && a->v.lo == b->v.lo;
}

struct pl_u128 pl_u128_host_mask(unsigned bits, unsigned prefix)
{
	unsigned host = bits - prefix;
	struct pl_u128 m = { 0, 0 };

	if (host >= 64) {
		m.lo = UINT64_MAX;
		m.hi = host == 128 ? UINT64_MAX : (UINT64_C(1) << (host - 64)) - 1;
	} else {
		m.lo = (UINT64_C(1) << host) - 1;
	}
	return m;
}

struct pl_u128 pl_u128_add(struct pl_u128 a, struct pl_u128 b)
{
	struct pl_u128 r;

	r.lo = a.lo + b.lo;
	r.hi = a.hi + b.hi + (r.lo < a.lo);
	return r;
}

bool pl_u128_add_span(struct pl_u128 *total, struct pl_u128 first, struct pl_u128 last)
{
	const struct pl_u128 max = { UINT64_MAX, UINT64_MAX };
	struct pl_u128 size_m1 = pl_u128_sub(last, first);
	struct pl_u128 room = pl_u128_sub(max, *total);

	/* total + size_m1 + 1 must stay <= max: room > size_m1. */
	if (pl_u128_cmp(room, size_m1) <= 0) {
		*total = max;
		return false;
	}
	*total = pl_u128_add64(pl_u128_add(*total, size_m1), 1);
	return true;
}

/* By long division on 32-bit limbs. */
void pl_u128_to_decimal(struct pl_u128 v, char *buf, size_t len)
{
	uint32_t limb[4] = { (uint32_t)(v.hi >> 32), (uint32_t)v.hi,
			     (uint32_t)(v.lo >> 32), (uint32_t)v.lo };
	char tmp[48];
	size_t n = 0, i = 0;

	do {
		uint64_t rem = 0;

		for (int k = 0; k < 4; k++) {
			uint64_t cur = (rem << 32) | limb[k];

			limb[k] = (uint32_t)(cur / 10);
			rem = cur % 10;
		}
		tmp[n++] = (char)('0' + rem);
	} while (limb[0] | limb[1] | limb[2] | limb[3]);
	if (len == 0)
		return;
	while (n > 0 && i + 1 < len)
		buf[i++] = tmp[--n];
	buf[i] = '\0';
}

void pl_u128_prefix_block(struct pl_u128 v, unsigned bits, unsigned prefix,
			  struct pl_u128 *first, struct pl_u128 *last)
{
	struct pl_u128 m = pl_u128_host_mask(bits, prefix);

	first->hi = v.hi & ~m.hi;
	first->lo = v.lo & ~m.lo;
	last->hi = first->hi | m.hi;
	last->lo = first->lo | m.lo;
}

int pl_addr_order(int fa, struct pl_u128 a, int fb, struct pl_u128 b)
{
	if (fa != fb)
		return (fa == AF_INET ? 0 : 1) - (fb == AF_INET ? 0 : 1);
	return pl_u128_cmp(a, b);
}
