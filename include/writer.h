/* writer.h: output formats behind one interface, looked up by name in one table.
 *
 * Only the results thread calls writers. A writer streams: it writes its header
 * in open, one record per write and its trailer in close, so a file is valid up
 * to its last complete record at any time and valid as a whole after close. */
#ifndef PORTOLAN_WRITER_H
#define PORTOLAN_WRITER_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "metrics.h"
#include "result.h"
#include "taskgen.h"

/* What a scan was asked to do, for headers and metadata. Borrowed. */
struct scan_meta {
	const char *version;
	time_t start;
	const char *const *targets;   /* specs as the user gave them, NULL-terminated */
	const char *ports;            /* compact port spec, e.g. "22,80,8000-8100" */
	unsigned threads;
	unsigned timeout_ms;
	unsigned retries;
	const char *states;           /* reported states, e.g. "open,closed" */
	struct scan_order order;      /* seed and shard */
	const char *const *argv;      /* the command line as given, NULL-terminated, or NULL */
};

struct writer_ops {
	const char *name;                         /* "csv", "json", ... */
	const char *const *extensions;            /* NULL-terminated, e.g. {".csv", NULL} */
	/* Returns the writer's state, or NULL with errno set. */
	void *(*open)(FILE *fp, const struct scan_meta *meta);
	/* Return 0, or -1 with errno set when the stream failed. Each record
	 * is flushed, so a full disk shows at the record that hit it. */
	int (*write)(void *state, FILE *fp, const struct result *r);
	/* A result --states leaves out of the outputs: the writer writes
	 * nothing of it, but may learn from it (XML: whether its host
	 * answered). Returns as write. NULL op: such results are not seen. */
	int (*note)(void *state, FILE *fp, const struct result *r);
	/* Continues a file this format wrote before (a resumed scan): fp is
	 * open for reading and writing; the writer checks the file is its own,
	 * removes any trailer and leaves fp where the next record goes.
	 * Returns the state, or NULL with errno set (EINVAL: not a file it can
	 * continue). NULL op: the format cannot be continued. */
	void *(*append)(FILE *fp, const struct scan_meta *meta);
	/* Writes the trailer (summary may be NULL) and frees state, also when
	 * it fails. Does not close fp. */
	int (*close)(void *state, FILE *fp, const struct metrics_snapshot *summary,
		     time_t end);
	/* Optional: true when the next write only keeps the record for close
	 * and puts nothing on fp yet (the table on a terminal), so the
	 * progress line need not make way for it. NULL: every write writes. */
	bool (*keeps)(const void *state);
};

/* The table of formats. */
const struct writer_ops *writer_find(const char *name);
/* The format a file name's extension implies, or NULL. */
const struct writer_ops *writer_for_filename(const char *path);
/* "csv, json, jsonl" for messages and --help. */
const char *writer_names(void);

/* For format implementations. writer_end_record() flushes fp after a record
 * (or header or trailer); writer_failed() returns -1 with errno set, EIO when
 * the failing call left none. */
int writer_end_record(FILE *fp);
int writer_failed(void);
/* A real number with `decimals` (0..9) decimals and a '.' whatever the
 * locale, as JSON and CSV readers expect; buf of WRITER_REAL_LEN bytes.
 * Returns false (and an empty buf) for NaN, infinities and magnitudes of 1e15
 * or more, which no format should carry as a number. */
#define WRITER_REAL_LEN 64
bool writer_format_real(char *buf, size_t len, double d, int decimals);

extern const struct writer_ops writer_csv;
extern const struct writer_ops writer_json;
extern const struct writer_ops writer_jsonl;
extern const struct writer_ops writer_table;
extern const struct writer_ops writer_xml;

#endif
