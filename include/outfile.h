/* outfile.h: one file portolan writes (an output, the findings file, the
 * resume file's temporary), from opening to closing or removing it.
 *
 * Opening never truncates: the caller truncates once every file it needs is
 * open, so a failure on one leaves the others as they were. A file is
 * created exclusively first, which tells whether this run made it and so
 * may remove it when the scan gives up before it starts. A regular file can
 * be cut back to the end of its last complete record after a failed write;
 * anything else (stdout on a terminal or a pipe, a FIFO, a device) is a
 * stream, written in order and never cut or truncated.
 *
 * An outfile is used by one thread at a time. */
#ifndef PORTOLAN_OUTFILE_H
#define PORTOLAN_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct outfile;

enum {
	/* "-" is standard output (never created, closed or removed). */
	OUTFILE_DASH_STDOUT = 1 << 0,
	/* Open for reading too, when the file allows it: a resumed writer
	 * reads where its document left off. */
	OUTFILE_READ = 1 << 1,
	/* Continue the file as it is ("r+"): reading is then required. */
	OUTFILE_CONTINUE = 1 << 2,
	/* The file is ours whatever was there before (a temporary):
	 * outfile_discard removes it even when it was not created now. */
	OUTFILE_SCRATCH = 1 << 3,
};

/* Opens path for writing with flags above; a file it creates gets mode
 * (less the umask). Returns NULL with errno set. */
struct outfile *outfile_open(const char *path, unsigned flags, mode_t mode);

/* Empties a regular file (a stream has nothing to empty) and notes its
 * start as the last complete record. Returns 0, or -1 with errno set. */
int outfile_truncate(struct outfile *f);

FILE *outfile_fp(const struct outfile *f);
const char *outfile_path(const struct outfile *f);
/* Standard output ("-" with OUTFILE_DASH_STDOUT). */
bool outfile_is_stdout(const struct outfile *f);
/* A regular file: it can be cut back, and its contents are recorded for a
 * resume; false for a stream. */
bool outfile_is_regular(const struct outfile *f);

/* Notes the current position as the end of the last complete record. */
void outfile_mark(struct outfile *f);
/* After a failed write: cuts a regular file back to its last complete
 * record, so it stays valid up to there. Nothing for a stream. */
void outfile_cut(struct outfile *f);

/* Closes the file (not standard output, which is only flushed by whoever
 * writes it) and frees f. Returns 0, or -1 with errno set when fclose
 * failed (the last buffered bytes may be lost). f may be NULL. */
int outfile_close(struct outfile *f);
/* After an early failure: closes the file, removes it if this run created
 * it (or it is OUTFILE_SCRATCH) and frees f. f may be NULL. */
void outfile_discard(struct outfile *f);

#endif
