/* taskgen.c: the task index space. */
#include "taskgen.h"

void taskgen_init(struct taskgen *tg, uint64_t nhosts, uint64_t nports)
{
	tg->nhosts = nhosts;
	tg->nports = nports;
	/* Bounded by max-hosts (<= 2^32) times 65535 ports: no overflow. */
	tg->total = nhosts * nports;
	tg->next = 0;
}

bool taskgen_next(struct taskgen *tg, uint64_t *index)
{
	if (tg->next >= tg->total)
		return false;
	*index = tg->next++;
	return true;
}
