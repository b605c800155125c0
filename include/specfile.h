/* specfile.h: a targets file read one spec at a time, in constant memory.
 *
 * The format: specs separated by white space or commas, '#' starts a comment
 * that runs to the end of the line, blank lines are skipped; "-" names
 * standard input. A UTF-8 byte-order mark at the start is skipped. A line longer than SPEC_FILE_MAX_LINE bytes or holding a
 * NUL byte is refused with its number. Only the current line is held, so a
 * file of a million lines costs what a file of one does.
 *
 * The first read through the file also feeds every byte into a SHA-256, so a
 * resumed scan can tell whether the file changed. A file can be read again
 * from the start (spec_file_rewind); standard input can too when it was
 * opened with a spool, a temporary file that keeps a copy of what was read. */
#ifndef PORTOLAN_SPECFILE_H
#define PORTOLAN_SPECFILE_H

#include <stdbool.h>
#include <glib.h>

/* Longest line accepted, in bytes. */
#define SPEC_FILE_MAX_LINE (1024 * 1024)

struct spec_file;

/* Opens path ("-": standard input). With spool, standard input is copied to
 * a temporary file as it is read, so it can be rewound; if no temporary file
 * can be made, rewinding fails instead. Fails with "cannot open 'PATH': ...". */
struct spec_file *spec_file_open(const char *path, bool spool, GError **err);
void spec_file_close(struct spec_file *sf);

/* The next spec: returns 1 with *spec set (valid until the next call), 0 at
 * the end of the file, -1 with *err set: "LABEL:LINE: line longer than N
 * bytes", "LABEL:LINE: line contains a NUL byte", "cannot read 'LABEL': ...". */
int spec_file_next(struct spec_file *sf, const char **spec, GError **err);

/* The file's name in messages ("<stdin>" for standard input), and the line
 * of the last spec returned (1-based; 0 before the first). */
const char *spec_file_label(const struct spec_file *sf);
unsigned long spec_file_line(const struct spec_file *sf);

/* Starts again from the first spec. Fails when the file cannot be read
 * again (standard input without a spool). */
int spec_file_rewind(struct spec_file *sf, GError **err);

/* Hex SHA-256 of every byte read before the first rewind (call it once the
 * file has been read to its end). Owned by sf. */
const char *spec_file_digest(struct spec_file *sf);

#endif
