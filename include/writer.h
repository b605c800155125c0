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
	const char *proto;            /* the ports' transport, "tcp" or "udp", or "tcp,udp" (a mixed scan); NULL: "tcp" */
};

/* Records other than scan results (audit findings), in the neutral field
 * set of result.h, so the data formats write them as they write results. */
struct record_kind {
	const char *array;        /* the JSON document's key for them: "findings" */
	int format;               /* the JSON document's layout version */
	const struct field_set *fields;
	/* The JSON document's summary object, from close's ctx. Returns 0 or
	 * -1 (stream failed). */
	int (*summary)(FILE *fp, const void *ctx);
};

/* A format's writer for records of a record_kind: a CSV header and rows,
 * one JSON Lines object a line, or a JSON document of
 * {"portolan":{"version","format"}, ARRAY:[...], "summary":{...}}. Return
 * values and errno as for the results ops below. */
struct record_ops {
	void *(*open)(FILE *fp, const struct record_kind *k);
	int (*write)(void *state, FILE *fp, const void *rec);
	/* Writes the trailer (summary from ctx) and frees state; with fp
	 * NULL (the file failed, or is given up) only frees state. */
	int (*close)(void *state, FILE *fp, const void *ctx);
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
	/* Records of other kinds (findings); NULL: scan results only. */
	const struct record_ops *records;
};

/* The table of formats: the one list of them. Messages, --help and the
 * findings file ask it rather than naming formats themselves. */
const struct writer_ops *writer_find(const char *name);
/* The format a file name's extension implies, or NULL. */
const struct writer_ops *writer_for_filename(const char *path);
/* The file formats (those with an extension), "csv, json, jsonl, xml", for
 * messages and --help. */
const char *writer_names(void);
/* The file formats' names, NULL-terminated (static). */
const char *const *writer_file_formats(void);
/* Each file format's first extension as a choice, ".csv, .json, .jsonl or
 * .xml"; with records, only the formats that write other records
 * (findings). g_free it. */
char *writer_extension_choice(bool records);
/* text with the format lists in it spelled out from the table: {formats}
 * "csv, json, jsonl or xml", {base-files} "BASE.csv, ... and BASE.xml" (as
 * -oA names them), {base-list} the same with commas only, {findings-files} ".csv, .json or .jsonl". For help
 * texts; g_free it. */
char *writer_help(const char *text);

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

/* The JSON output's summary object (summary NULL: null), for other
 * documents that carry it (a shard manifest). Returns 0 or -1. */
int writer_json_summary(FILE *fp, const struct metrics_snapshot *summary, time_t end);

extern const struct writer_ops writer_csv;
extern const struct writer_ops writer_json;
extern const struct writer_ops writer_jsonl;
extern const struct writer_ops writer_table;
extern const struct writer_ops writer_xml;

#endif
