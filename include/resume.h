/* resume.h: the resume file an interrupted scan leaves behind.
 *
 * It is a libconfig file: every setting of the scan (so `--resume FILE`
 * loads it like a config file) plus a `resume` group with the progress and
 * the counts so far. The fingerprint of the task space lets a resumed scan
 * refuse when the targets or ports no longer mean the same indices (a name
 * that now resolves differently, an edited targets file). */
#ifndef PORTOLAN_RESUME_H
#define PORTOLAN_RESUME_H

#include <stdint.h>
#include <glib.h>

#include "metrics.h"
#include "progress.h"
#include "settings.h"

struct resume_state {
	char *fingerprint;
	uint64_t total;
	uint64_t low;             /* every position below is done */
	uint64_t *done;           /* done positions above low */
	size_t ndone;
	struct metrics_snapshot counts;   /* what the earlier runs counted */
};

int resume_read(const char *path, struct resume_state *rs, GError **err);
void resume_state_clear(struct resume_state *rs);

/* Writes the file atomically (a temporary file renamed over path). */
int resume_write(const char *path, const struct settings *s, const char *fingerprint,
		 uint64_t total, struct progress *pr, const struct metrics_snapshot *counts,
		 GError **err);

#endif
