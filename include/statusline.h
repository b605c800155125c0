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
/* Stops and erases the line. */
void statusline_stop(struct statusline *sl);

#endif
