/* taskgen.h: the (host, port) task space, addressed by index and generated
 * lazily, so any scan starts at once and runs in constant memory.
 *
 * Index i maps to host i % nhosts and port index i / nhosts: consecutive tasks
 * go to different hosts, so no single host is hammered. A permutation or a
 * shard split is a mapping of the index range laid over this one. */
#ifndef PORTOLAN_TASKGEN_H
#define PORTOLAN_TASKGEN_H

#include <stdbool.h>
#include <stdint.h>

struct taskgen {
	uint64_t nhosts;
	uint64_t nports;
	uint64_t total;      /* nhosts * nports */
	uint64_t next;       /* next index to hand out */
};

void taskgen_init(struct taskgen *tg, uint64_t nhosts, uint64_t nports);
/* Stores the next task index in *index; false when the space is exhausted. */
bool taskgen_next(struct taskgen *tg, uint64_t *index);

static inline void taskgen_decode(const struct taskgen *tg, uint64_t index,
				  uint64_t *host, uint64_t *port_index)
{
	*host = index % tg->nhosts;
	*port_index = index / tg->nhosts;
}

#endif
