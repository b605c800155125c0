/* rowread.h: reading back the result rows portolan wrote, for the merge.
 *
 * Three formats: the JSON document (read with the streaming reader of
 * jsonread.h), JSON Lines and CSV (RFC 4180, its header naming the columns;
 * the columns are result.c's field names, in any order, unknown ones
 * ignored). Each row becomes a struct result and is handed to a callback,
 * one at a time, so memory does not grow with the number of rows: a fixed
 * read buffer plus the longest field (ROWREAD_FIELD_MAX).
 *
 * Everything read is untrusted: a bad row stops the read with one line
 * "name:line: what" (PL_ERROR_USAGE, exit 2). */
#ifndef PORTOLAN_ROWREAD_H
#define PORTOLAN_ROWREAD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <glib.h>

#include "result.h"

#define ROWREAD_FIELD_MAX (1024 * 1024)   /* bytes of one CSV field */
#define ROWREAD_COLUMNS_MAX 256           /* columns of a CSV header */

enum row_format { ROW_CSV, ROW_JSON, ROW_JSONL };

/* The format named "csv", "json" or "jsonl"; false for any other. */
bool row_format_parse(const char *name, enum row_format *out);

/* What a JSON document's "scan" block says (the other formats have none).
 * Owned: row_meta_clear frees it. */
struct row_meta {
	bool have;                 /* a scan block was read */
	time_t start;              /* 0 when absent */
	char **targets;            /* NULL-terminated, or NULL */
	char *ports, *states;
	unsigned threads, timeout_ms, retries;
};

void row_meta_clear(struct row_meta *m);

/* Called once per row. r and everything it points to (r->host included)
 * belong to the reader and live for the call only. Returns false to stop
 * the read (the caller knows why; rows_read then returns 1). */
typedef bool (*row_fn)(void *ud, const struct result *r);

/* Reads every row of fp (name stands for it in messages). meta, when not
 * NULL, is filled from a JSON document's scan block. Returns 0 at the end
 * of the input, 1 when fn stopped it, -1 with *err on bad input or a read
 * error. */
int rows_read(FILE *fp, const char *name, enum row_format fmt, row_fn fn, void *ud,
	      struct row_meta *meta, GError **err);

/* A JSON document's "hosts" block (out_json.c): each entry as a host row
 * (port 0, state up or down) to fn, the results skipped. A document
 * without the block calls fn for none. Returns as rows_read. */
int rows_read_hosts(FILE *fp, const char *name, row_fn fn, void *ud, GError **err);

#endif
