/* addr.h: one IPv4 or IPv6 address as a plain value, and the 128-bit arithmetic
 * that target ranges need. IPv4 addresses live in the low 32 bits of `lo`. */
#ifndef PORTOLAN_ADDR_H
#define PORTOLAN_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Large enough for any address text, IPv6 included (INET6_ADDRSTRLEN). */
#define PL_ADDRSTRLEN 46

struct pl_u128 {
	uint64_t hi, lo;
};

struct pl_addr {
	int family;            /* AF_INET or AF_INET6 */
	struct pl_u128 v;      /* host-order value of the address */
};

/* Parses a literal IPv4 or IPv6 address (no names, no prefixes). */
bool pl_addr_parse(const char *text, struct pl_addr *out);

/* Writes the canonical text form into buf (at least PL_ADDRSTRLEN bytes). */
void pl_addr_format(const struct pl_addr *a, char *buf, size_t len);

/* Fills a sockaddr for connect(); returns its length. */
socklen_t pl_addr_sockaddr(const struct pl_addr *a, uint16_t port,
			   struct sockaddr_storage *ss);

/* The address of a sockaddr (AF_INET or AF_INET6); false for other families. */
bool pl_addr_from_sockaddr(const struct sockaddr *sa, struct pl_addr *out);

int pl_u128_cmp(struct pl_u128 a, struct pl_u128 b);
struct pl_u128 pl_u128_add64(struct pl_u128 a, uint64_t b);
/* b - a; the caller guarantees a <= b. */
struct pl_u128 pl_u128_sub(struct pl_u128 b, struct pl_u128 a);
bool pl_addr_equal(const struct pl_addr *a, const struct pl_addr *b);
/* The host bits of a prefix: the low bits - prefix bits set (bits is 32 or
 * 128, prefix at most bits). */
struct pl_u128 pl_u128_host_mask(unsigned bits, unsigned prefix);

/* a + b, wrapping modulo 2^128; callers that can overflow check first. */
struct pl_u128 pl_u128_add(struct pl_u128 a, struct pl_u128 b);

/* Adds the size of the range first..last (first <= last) to *total, unless
 * that would pass 2^128 - 1: then *total becomes 2^128 - 1 and the result is
 * false. */
bool pl_u128_add_span(struct pl_u128 *total, struct pl_u128 first, struct pl_u128 last);

/* Decimal text of v into buf (48 bytes hold any value), cut to len - 1. */
void pl_u128_to_decimal(struct pl_u128 v, char *buf, size_t len);

/* The block of prefix length `prefix` that holds v (bits is 32 or 128):
 * host bits masked off for *first, set for *last, as nmap reads
 * 192.0.2.7/24. */
void pl_u128_prefix_block(struct pl_u128 v, unsigned bits, unsigned prefix,
			  struct pl_u128 *first, struct pl_u128 *last);

/* Orders (family, value) pairs: every IPv4 address before every IPv6 one,
 * then by value. */
int pl_addr_order(int fa, struct pl_u128 a, int fb, struct pl_u128 b);

#endif
