/* statusline.h: the live progress line on a terminal's stderr.
 *
 * "done/total (pct) rate/s ETA open N", redrawn a few times a second from
 * the metrics and erased when the scan ends, so nothing of it remains in the
 * terminal's scrollback. It is cut to the terminal's width, and it steps
 * aside for rows that reach the same terminal (see statusline_row_begin). */
#ifndef PORTOLAN_STATUSLINE_H
#define PORTOLAN_STATUSLINE_H

#include <stddef.h>
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

/* Called by the one thread that writes rows, around each record it writes
 * to out, so that no row ever shares a terminal line with the progress
 * line: begin erases the line and holds off redraws, end lets them go on.
 * Only streams that can reach the line's terminal matter: that terminal
 * itself, or a pipe or socket, whose reader (`portolan | cat`) may copy the
 * rows to it; after a row to a pipe the line waits until the pipe is
 * drained and quiet. Anything else (a file, another terminal) costs an
 * fstat. Both accept NULL. */
void statusline_row_begin(struct statusline *sl, FILE *out);
void statusline_row_end(struct statusline *sl, FILE *out);

/* Stops and erases the line. No statusline_row_* call may follow. */
void statusline_stop(struct statusline *sl);

/* For the line's text and for tests. */
struct statusline_view {
	uint64_t done, total, open;
	uint64_t window, windows;     /* windows == 0: none */
	double rate;                  /* results per second so far */
	uint64_t detecting;           /* tasks in service detection */
	int64_t detect_left_ms;       /* metrics_detect_left_ms() */
};

/* Seconds left, or -1 when not known yet: the tasks left at the rate so
 * far, but no sooner than the detections in flight may end (their bound:
 * when one will end is not known), rounded up, so that 0 means nothing is
 * left. */
int64_t statusline_eta_s(const struct statusline_view *v);

/* The line's text in buf (len bytes), at most width - 1 columns (the last
 * column would make some terminals wrap): the less useful fields (rate,
 * open, window, percentage) are left out first, and what still does not
 * fit is cut. width 0: not cut. Returns the text's length. */
size_t statusline_format(char *buf, size_t len, const struct statusline_view *v,
			 unsigned width);

#endif
