/* taskgen.c: the task index space, its seeded permutation and its shards.
 *
 * The permutation is a small block cipher over the smallest power-of-two
 * domain that holds the space: an unbalanced Feistel network (the halves may
 * differ by one bit, and trade places each round) keyed from the seed. A
 * Feistel network is a bijection whatever its round function, so no table is
 * needed to know that every index comes out exactly once. Values that land
 * outside [0, total) are fed through again ("cycle walking") until one lands
 * inside; the domain is less than twice the space, so that takes fewer than
 * two rounds on average, and it must end because the cycle through the
 * starting value returns to a value inside the space. */
#include "taskgen.h"

#include <inttypes.h>
#include <glib.h>

static uint64_t mask_of(unsigned width)
{
	return width >= 64 ? UINT64_MAX : (UINT64_C(1) << width) - 1;
}

/* The splitmix64 step: a fast, well-mixed way to draw round keys from a seed
 * and to hash a half-block with a round key. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* One pass of the network over [0, 2^bits). The state is (x, y) with widths
 * (wx, wy), both at most 32; a round maps it to (y, x ^ F(y)) with widths
 * (wy, wx). */
static uint64_t feistel(const struct taskgen *tg, uint64_t v)
{
	unsigned wy = tg->bits - tg->bits / 2, wx = tg->bits / 2, w;
	uint64_t x = v >> wy, y = v & mask_of(wy), t;

	for (int r = 0; r < TASKGEN_ROUNDS; r++) {
		t = x ^ (mix64(y ^ tg->keys[r]) & mask_of(wx));
		x = y;
		y = t;
		w = wx;
		wx = wy;
		wy = w;
	}
	return x << wy | y;
}

static uint64_t permute(const struct taskgen *tg, uint64_t v)
{
	do
		v = feistel(tg, v);
	while (v >= tg->total);
	return v;
}

static uint64_t shard_count(uint64_t total, uint64_t shard, uint64_t nshards)
{
	return shard >= total ? 0 : (total - 1 - shard) / nshards + 1;
}

void taskgen_init(struct taskgen *tg, uint64_t nhosts, uint64_t nports)
{
	*tg = (struct taskgen){
		.nhosts = nhosts,
		.nports = nports,
		/* Bounded by max-hosts (<= 2^32) times 65535 ports: no overflow. */
		.total = nhosts * nports,
		.nshards = 1,
	};
	tg->count = tg->total;
}

void taskgen_init_permuted(struct taskgen *tg, uint64_t nhosts, uint64_t nports,
			   uint64_t seed)
{
	uint64_t state = seed;

	taskgen_init(tg, nhosts, nports);
	if (seed == 0)
		return;
	tg->permuted = true;
	while (tg->bits < 64 && (UINT64_C(1) << tg->bits) < tg->total)
		tg->bits++;
	for (int r = 0; r < TASKGEN_ROUNDS; r++) {
		state += UINT64_C(0x9e3779b97f4a7c15);
		tg->keys[r] = mix64(state);
	}
}

bool taskgen_set_shard(struct taskgen *tg, uint64_t shard, uint64_t nshards)
{
	if (shard >= nshards)
		return false;
	tg->shard = shard;
	tg->nshards = nshards;
	tg->count = shard_count(tg->total, shard, nshards);
	tg->next = 0;
	return true;
}

uint64_t taskgen_index_at(const struct taskgen *tg, uint64_t pos)
{
	/* pos < count keeps this below total: no overflow. */
	uint64_t p = tg->shard + pos * tg->nshards;

	return tg->permuted ? permute(tg, p) : p;
}

bool taskgen_next(struct taskgen *tg, uint64_t *index)
{
	if (tg->next >= tg->count)
		return false;
	*index = taskgen_index_at(tg, tg->next++);
	return true;
}

void taskgen_seek(struct taskgen *tg, uint64_t pos)
{
	tg->next = pos < tg->count ? pos : tg->count;
}

char *scan_order_text(const struct scan_order *o)
{
	GString *t = g_string_new(NULL);

	if (o->seed == 0)
		g_string_append(t, "index order");
	else
		g_string_append_printf(t, "seed %" PRIu64 "%s", o->seed,
				       o->derived ? " (derived)" : "");
	if (o->nshards > 1 || o->sharded)
		g_string_append_printf(t, ", shard %" PRIu64 "/%" PRIu64, o->shard + 1, o->nshards);
	return g_string_free(t, FALSE);
}
