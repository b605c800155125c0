/* collector.h: the one thread that consumes results.
 *
 * It counts every result into the metrics and feeds those whose state is
 * reported to every writer; it alone touches the output files. */
#ifndef PORTOLAN_RESULTS_H
#define PORTOLAN_RESULTS_H

#include <stdbool.h>
#include <glib.h>

#include "metrics.h"
#include "outputs.h"
#include "plan.h"
#include "progress.h"
#include "queue.h"
#include "statusline.h"

struct collector;

/* Writes each output's header and starts the thread, which takes chains of
 * results (linked by result->next) from q until it is closed and writes them
 * to out (borrowed: the caller frees it after collector_free). on_fail is
 * called (from the results thread) the first time an output cannot be
 * written, so the scan can stop: results that cannot be recorded are not
 * worth probing. On failure the outputs' files are the caller's to discard. */
struct collector *collector_start(const struct scan_plan *plan, struct outputs *out,
				  struct bqueue *q,
			      struct metrics *m, struct progress *pr,
			      const struct scan_meta *meta,
			      void (*on_fail)(void *ud), void *ud, GError **err);

/* A host row to record just before res (same seq: host discovery's up row
 * with its host's first port), or NULL. Called on the results thread. */
typedef struct result *collector_host_row_fn(void *ud, const struct result *res);

/* From the next result on, fn is asked for each result's host row. */
void collector_set_host_rows(struct collector *r, collector_host_row_fn *fn, void *ud);

/* Rows written from now on make way for the progress line sl (NULL:
 * none): see statusline_row_begin. sl must outlive collector_join. */
void collector_set_statusline(struct collector *r, struct statusline *sl);

/* Runs fn while no record is half written: every result marked done in the
 * progress is in every output, and no other. For a checkpoint on the way
 * out (the second signal): fn should not return, since once it does the
 * results thread writes on. */
void collector_checkpoint(struct collector *r, void (*fn)(void *ud), void *ud);

/* Waits until the queue is closed and the thread has counted and written
 * every result in it: only then do the metrics hold the final counts. */
void collector_join(struct collector *r);

/* collector_close's answer when stdout's reader went away (EPIPE): the scan
 * stopped, and that is no error to report. */
#define COLLECTOR_READER_GONE 1

/* Closes every writer with the summary (after collector_join): the regular
 * files' trailers under the record lock (a checkpoint may run meanwhile),
 * then the streams'. Returns 0, COLLECTOR_READER_GONE, or -1 with *err naming
 * the first output that failed. */
int collector_close(struct collector *r, const struct metrics_snapshot *summary,
		  GError **err);

/* Frees r, once no checkpoint can run any more. */
void collector_free(struct collector *r);

#endif
