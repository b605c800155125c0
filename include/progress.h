/* progress.h: which positions of the scan order are done, in bounded memory.
 *
 * Results arrive out of order, but never far out of order: a task is handed
 * out only when the bounded queue has room. So "every position below `low`
 * is done, plus these few above it" describes the progress exactly, in
 * memory proportional to how far the tasks in flight spread (a bit per
 * position). That is what a resume file records. Thread-safe. */
#ifndef PORTOLAN_PROGRESS_H
#define PORTOLAN_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct progress;

/* How far above low a done position may lie in a saved state (positions, a
 * 32 MiB bitmap): more than a scan in flight ever spreads (2^28 probes while
 * a single one stays unanswered), so a resume file beyond it is damaged. */
#define PROGRESS_MAX_SPREAD (UINT64_C(1) << 28)

/* Starts from a saved state: positions below low, and the ndone positions in
 * done (each >= low), are done. */
struct progress *progress_new(uint64_t low, const uint64_t *done, size_t ndone);
void progress_free(struct progress *p);

void progress_mark(struct progress *p, uint64_t pos);
bool progress_is_done(struct progress *p, uint64_t pos);

/* Starts over from a saved state, as progress_new would (the next target
 * window of a scan: its positions count from 0 again). No position of the
 * earlier state may still be marked after this. */
void progress_restart(struct progress *p, uint64_t low, const uint64_t *done, size_t ndone);

/* Waits until every position below upto is done (true), or until
 * progress_cancel (false). */
bool progress_wait(struct progress *p, uint64_t upto);

/* Wakes every waiter, now and later: the scan is stopping and the positions
 * left will not be done. */
void progress_cancel(struct progress *p);

/* A consistent copy of the state: *low, and a sorted array of the done
 * positions above it (g_free) with its length in *ndone. */
uint64_t progress_snapshot(struct progress *p, uint64_t **done, size_t *ndone);

#endif
