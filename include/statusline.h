/* statusline.h: the live progress line on a terminal's stderr.
 *
 * "done/total (pct) rate/s ETA open N", redrawn a few times a second from
 * the metrics and erased when the scan ends, so nothing of it remains in the
 * terminal's scrollback. */
#ifndef PORTOLAN_STATUSLINE_H
#define PORTOLAN_STATUSLINE_H

#include <stdint.h>
#include <stdio.h>

#include "metrics.h"

struct statusline;

/* Starts the line on fp, or returns NULL when fp is not a terminal (then
 * there is nothing to stop). `base` is what earlier runs of a resumed scan
 * already did, so the rate counts this run only. */
struct statusline *statusline_start(struct metrics *m, uint64_t total, uint64_t base,
				    FILE *fp);
/* A scan of several target windows: the line shows window index+1 of
 * count and the progress within it (its total tasks; base: the probes
 * counted before it began), since the whole scan's total is not known
 * until every window's names have resolved. Accepts NULL. */
void statusline_window(struct statusline *sl, uint64_t index, uint64_t count,
		       uint64_t total, uint64_t base);
/* Stops and erases the line. */
void statusline_stop(struct statusline *sl);

#endif
