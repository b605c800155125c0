/* resume.h: the resume file an interrupted scan leaves behind.
 *
 * It is a libconfig file: every setting of the scan (so `--resume FILE`
 * loads it like a config file) plus a `resume` group with the progress and
 * the counts so far. The fingerprint of the task space lets a resumed scan
 * refuse when the targets or ports no longer mean the same indices (a name
 * that now resolves differently, an edited targets file).
 *
 * A scan of several target windows (targetwin.h) adds a `window` group: the
 * window under way, the fingerprint of its hosts, and the hosts and tasks of
 * the windows before it. Its low, done and total are then that window's.
 * Without windows the file is what it always was. */
#ifndef PORTOLAN_RESUME_H
#define PORTOLAN_RESUME_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "metrics.h"
#include "progress.h"
#include "settings.h"

/* Where a scan of several target windows stands. */
struct resume_window {
	uint64_t index;           /* the window under way, 0-based */
	uint64_t count;           /* windows in all */
	char *fingerprint;        /* of its hosts (hex); "" when it had not begun */
	uint64_t hosts_before;    /* hosts of the windows before it */
	uint64_t tasks_before;    /* and their tasks */
};

struct resume_state {
	char *fingerprint;
	uint64_t total;
	uint64_t low;             /* every position below is done */
	uint64_t *done;           /* done positions above low */
	size_t ndone;
	struct metrics_snapshot counts;   /* what the earlier runs counted */
	bool windowed;            /* the file has a window group */
	struct resume_window window;
};

int resume_read(const char *path, struct resume_state *rs, GError **err);
void resume_state_clear(struct resume_state *rs);

/* Writes the file atomically (a temporary file renamed over path). window
 * is NULL for a scan without windows. */
int resume_write(const char *path, const struct settings *s, const char *fingerprint,
		 uint64_t total, struct progress *pr, const struct metrics_snapshot *counts,
		 const struct resume_window *window, GError **err);

#endif
