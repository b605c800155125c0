/* synkey.c: SipHash-2-4 and the SYN cookie built on it (synkey.h). */
#include "synkey.h"

#include <string.h>
#include <sys/socket.h>
#include <glib.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void sipround(uint64_t v[4])
{
	v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0]; v[0] = ROTL(v[0], 32);
	v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2]; v[2] = ROTL(v[2], 32);
}

static void compress(uint64_t v[4], uint64_t m, int rounds)
{
	v[3] ^= m;
	for (int i = 0; i < rounds; i++)
		sipround(v);
	v[0] ^= m;
}

uint64_t siphash24(uint64_t k0, uint64_t k1, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t v[4] = {
		k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
		k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL,
	};
	uint8_t last[8] = { 0 };
	size_t tail = len % 8;

	for (size_t i = 0; i + 8 <= len; i += 8)
		compress(v, le64(p + i), 2);
	/* The last block: the remaining bytes and the length's low byte on top. */
	memcpy(last, p + (len - tail), tail);
	last[7] = (uint8_t)len;
	compress(v, le64(last), 2);
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

void synkey_init(struct synkey *k)
{
	GRand *r = g_rand_new();   /* seeded from /dev/urandom */

	k->k0 = (uint64_t)g_rand_int(r) << 32 | g_rand_int(r);
	k->k1 = (uint64_t)g_rand_int(r) << 32 | g_rand_int(r);
	g_rand_free(r);
}

/* The hashed input: family, both addresses (16 bytes each), the port. */
static uint64_t cookie_hash(const struct synkey *k, const struct pl_addr *src,
			    const struct pl_addr *dst, uint16_t dport)
{
	uint8_t in[40] = { 0 };

	in[0] = src->family == AF_INET6 ? 6 : 4;
	memcpy(in + 2, &dport, sizeof(dport));
	memcpy(in + 8, &src->v, sizeof(src->v));
	memcpy(in + 24, &dst->v, sizeof(dst->v));
	return siphash24(k->k0, k->k1, in, sizeof(in));
}

void synkey_cookie(const struct synkey *k, const struct pl_addr *src, const struct pl_addr *dst,
		   uint16_t dport, uint16_t *sport, uint32_t *seq)
{
	uint64_t h = cookie_hash(k, src, dst, dport);

	*seq = (uint32_t)h;
	*sport = (uint16_t)(SYNKEY_PORT_BASE + (h >> 32) % SYNKEY_PORT_COUNT);
}

bool synkey_check_ack(const struct synkey *k, const struct pl_addr *us, uint16_t our_port,
		      const struct pl_addr *target, uint16_t tport, uint32_t ack)
{
	uint16_t sport;
	uint32_t seq;

	synkey_cookie(k, us, target, tport, &sport, &seq);
	return sport == our_port && ack == seq + 1u;
}

bool synkey_check_quote(const struct synkey *k, const struct pl_addr *us, uint16_t our_port,
			const struct pl_addr *target, uint16_t tport, uint32_t seq)
{
	uint16_t sport;
	uint32_t want;

	synkey_cookie(k, us, target, tport, &sport, &want);
	return sport == our_port && seq == want;
}
