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
 * Without windows the file is what it always was.
 *
 * Format 2 adds an `outputs` list: for each output file, its path, its size
 * and a digest of its last bytes when the file was written. A resumed scan
 * continues an output only while it is exactly that: a missing, cut,
 * extended or edited output (a scan already completed from this file or a
 * copy of it, a file restarted since) is refused, so no result is lost or
 * written twice. Format 1 files (no list) are still read, unchecked. */
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

/* What an output file held when the resume file was written. */
struct resume_output {
	char *path;
	int64_t size;             /* -1: not a regular file, nothing to check */
	char *tail;               /* hex SHA-256 of its last RESUME_TAIL bytes */
};

#define RESUME_TAIL 4096

struct resume_state {
	char *fingerprint;
	uint64_t total;
	uint64_t low;             /* every position below is done */
	uint64_t *done;           /* done positions above low */
	size_t ndone;
	struct metrics_snapshot counts;   /* what the earlier runs counted */
	bool windowed;            /* the file has a window group */
	struct resume_window window;
	bool outputs_recorded;    /* format 2: outputs below is the whole list */
	struct resume_output *outputs;
	size_t noutputs;
};

int resume_read(const char *path, struct resume_state *rs, GError **err);
void resume_state_clear(struct resume_state *rs);

/* Writes the file atomically (a temporary file renamed over path). window
 * is NULL for a scan without windows; outputs are the output files as they
 * are now (resume_output_note). */
int resume_write(const char *path, const struct settings *s, const char *fingerprint,
		 uint64_t total, struct progress *pr, const struct metrics_snapshot *counts,
		 const struct resume_window *window, const struct resume_output *outputs,
		 size_t noutputs, GError **err);

/* Records what the output open on fd holds now. Returns 0, or -1 with errno
 * set (its tail could not be read). The caller frees with
 * resume_output_clear. */
int resume_output_note(struct resume_output *ro, const char *path, int fd);
void resume_output_clear(struct resume_output *ro);
/* Clears the first n of ros and frees it (NULL: nothing). */
void resume_outputs_free(struct resume_output *ros, size_t n);

/* Whether the output at path is still what rs recorded, so a resumed scan
 * may continue it. Returns 0, or -1 with *err naming the file (exit 2). */
int resume_check_output(const struct resume_state *rs, const char *resume_path,
			const char *path, GError **err);

#endif
