/* taskgen.h: the (host, port) task space, addressed by index and generated
 * lazily, so any scan starts at once and runs in constant memory.
 *
 * Index i maps to host i % nhosts and port index i / nhosts: consecutive tasks
 * go to different hosts, so no single host is hammered. A permutation or a
 * shard split is a mapping of the index range laid over this one.
 *
 * The generator is a counter over positions 0 .. count-1; position -> index
 * is a pure function (taskgen_index_at), so a scan can be resumed from a saved
 * position. Two optional layers sit between position and index:
 *  - a shard k of N (0-based) owns the positions k, k+N, k+2N, ... of the
 *    whole sequence, so N shards with the same seed cover the space exactly
 *    once between them;
 *  - a seeded permutation (taskgen_init_permuted) reorders the whole sequence
 *    with a keyed Feistel network, so probes spread over hosts and ports in an
 *    order that is the same for the same seed and space.
 * With neither, the order is 0, 1, 2, ... as it always was.
 *
 * Only one thread drives a generator; taskgen_index_at and taskgen_decode
 * only read it and may be called from any thread. */
#ifndef PORTOLAN_TASKGEN_H
#define PORTOLAN_TASKGEN_H

#include <stdbool.h>
#include <stdint.h>

#define TASKGEN_ROUNDS 6

/* Callers may read the fields; only taskgen_* functions write them. */
struct taskgen {
	uint64_t nhosts;
	uint64_t nports;
	uint64_t total;      /* nhosts * nports: the whole space, every shard */
	uint64_t next;       /* next position to hand out, 0 .. count */
	uint64_t count;      /* positions in this shard (total when unsharded) */
	uint64_t shard;      /* 0 .. nshards-1 */
	uint64_t nshards;    /* >= 1 */
	bool permuted;
	unsigned bits;       /* the permutation's domain is [0, 2^bits) */
	uint64_t keys[TASKGEN_ROUNDS];
};

/* The sequential order, one shard. */
void taskgen_init(struct taskgen *tg, uint64_t nhosts, uint64_t nports);

/* A permuted order fixed by seed. Seed 0 means no permutation: the same as
 * taskgen_init, so an unset --seed keeps today's order; pick any nonzero seed
 * (e.g. a random one, printed so the scan can be repeated) to shuffle. */
void taskgen_init_permuted(struct taskgen *tg, uint64_t nhosts, uint64_t nports,
			   uint64_t seed);

/* Restricts the generator to shard `shard` of `nshards` (0-based) and rewinds
 * it to position 0. Returns false, changing nothing, unless
 * shard < nshards. */
bool taskgen_set_shard(struct taskgen *tg, uint64_t shard, uint64_t nshards);

/* Stores the next task index in *index; false when the shard is exhausted. */
bool taskgen_next(struct taskgen *tg, uint64_t *index);

/* The task index at a position of this generator's sequence; pos < count. */
uint64_t taskgen_index_at(const struct taskgen *tg, uint64_t pos);

/* Tasks this generator hands out in all (its shard's share of total). */
static inline uint64_t taskgen_count(const struct taskgen *tg)
{
	return tg->count;
}

/* How many tasks have been handed out: the position to resume from. */
static inline uint64_t taskgen_position(const struct taskgen *tg)
{
	return tg->next;
}

/* Continues from a saved position (clamped to count); the generator must
 * have been set up with the same space, seed and shard. */
void taskgen_seek(struct taskgen *tg, uint64_t pos);

/* How a scan orders and splits its tasks, as written into outputs and the
 * summary so that any run can be repeated. */
struct scan_order {
	uint64_t seed;       /* 0: index order */
	bool derived;        /* derived from the scan's definition (a shard without --seed) */
	uint64_t shard;      /* 0-based */
	uint64_t nshards;    /* 0 or 1: not sharded */
	bool sharded;        /* --shard in effect, 1/1 included */
	char scan_id[33];    /* the scan's identity (plan.h), "" when unknown */
};

/* "seed 42", "seed 8 (derived), shard 2/4", "index order" (g_free). */
char *scan_order_text(const struct scan_order *o);

static inline void taskgen_decode(const struct taskgen *tg, uint64_t index,
				  uint64_t *host, uint64_t *port_index)
{
	*host = index % tg->nhosts;
	*port_index = index / tg->nhosts;
}

#endif
