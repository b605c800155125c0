/* outputs.h: a run's open outputs, from opening them to their trailers.
 *
 * The plan only names the outputs (struct output_spec: a path and a
 * format) and stays immutable; a scan opens them into a struct outputs,
 * which it owns and hands to the results thread (collector.h), the only
 * thread that writes them. Each output is a file (outfile.h) and the state
 * of its format's writer (writer.h).
 *
 * Regular files and streams (stdout on a terminal or a pipe, FIFOs) are
 * written in two passes (files: true or false below): the results thread
 * writes the files under its record lock, so a checkpoint sees them agree
 * with the progress, and the streams outside it, since a reader that stops
 * reading blocks them. */
#ifndef PORTOLAN_OUTPUTS_H
#define PORTOLAN_OUTPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <glib.h>

#include "writer.h"

struct resume_output;
struct statusline;

/* An output the user asked for (the plan's). */
struct output_spec {
	char *path;                       /* "-" for stdout */
	const struct writer_ops *ops;
};

struct outputs;

/* Called (on the results thread) when an output cannot be written: message
 * names it, or is NULL when stdout's reader went away (EPIPE, the first
 * time only), which is no error but ends the scan all the same. */
typedef void (*outputs_failed_fn)(void *ud, const char *message);

/* Opens every output of specs (struct output_spec *) without truncating
 * any, so a failure on one leaves the others untouched; resuming continues
 * them instead. Returns NULL with *err (exit 3) after removing the files it
 * created. */
struct outputs *outputs_open(const GPtrArray *specs, bool resuming, GError **err);

/* Empties the regular files (once every file of the scan is open). Returns
 * 0, or -1 with *err (exit 3). */
int outputs_truncate(struct outputs *o, GError **err);

/* Starts each output's writer: its header or, resuming, the place where the
 * next record goes. failed is called for write failures from then on.
 * Returns 0, or -1 with *err, every writer closed again. */
int outputs_start(struct outputs *o, const struct scan_meta *meta, outputs_failed_fn failed,
		  void *ud, GError **err);

/* Before the scan began: closes the writers that started, reporting
 * nothing; the files are the caller's to discard. */
void outputs_abort(struct outputs *o);

/* Writes res to the regular files (files: true) or to the streams. A
 * result --states leaves out (reported: false) goes to the writers that
 * note it. sl: the progress line to make way for, or NULL. */
void outputs_write(struct outputs *o, const struct result *res, bool reported, bool files,
		   struct statusline *sl);

/* Writes the trailers (with summary, or none for an output that failed) of
 * the regular files or of the streams, and flushes them. */
void outputs_close(struct outputs *o, const struct metrics_snapshot *summary, time_t end,
		   bool files);

/* What each output file (not stdout) holds now, for the resume file:
 * *ros (g_free with resume_outputs_free) and *n. Returns 0, or -1 with *err
 * naming the output that cannot be read. */
int outputs_note(const struct outputs *o, struct resume_output **ros, size_t *n, GError **err);

struct shard_manifest;

/* Writes the manifest (manifest.h) of each regular output file, not of
 * stdout or a stream, once the outputs are flushed. Returns 0, or -1 with
 * *err naming the first that failed (the others are still written). */
int outputs_manifests(const struct outputs *o, const struct shard_manifest *m, GError **err);

/* After a failure before the scan began: closes the outputs, removes the
 * files outputs_open created, and frees o. o may be NULL. */
void outputs_discard(struct outputs *o);

/* Closes the files (not stdout) and frees o. o may be NULL. */
void outputs_free(struct outputs *o);

#endif
