/* findings.c: the findings writers (CSV, JSON document, JSON Lines) and the
 * counts behind the summary line and the exit code.
 *
 * The writers follow the results writers: one record per finding, flushed
 * at once, so the file is valid up to its last complete record at any time
 * (the JSON document is a valid prefix until close writes its trailer).
 * Text goes through textesc.h, so a host name or a detected product off the
 * network cannot break a row or smuggle a spreadsheet formula. */
#include "findings.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "textesc.h"

/* The findings document's layout version; bump it when a key changes. */
#define FINDINGS_FORMAT 1

static const char *const kind_names[FINDING_KIND_COUNT] = {
	[FINDING_UNEXPECTED_OPEN] = "unexpected-open",
	[FINDING_REQUIRED_NOT_OPEN] = "required-not-open",
	[FINDING_UNEXPECTED_SERVICE] = "unexpected-service",
	[FINDING_NEWLY_OPEN] = "newly-open",
	[FINDING_NEWLY_CLOSED] = "newly-closed",
	[FINDING_NEWLY_FILTERED] = "newly-filtered",
	[FINDING_CHANGED_SERVICE] = "changed-service",
	[FINDING_CHANGED_PRODUCT] = "changed-product",
	[FINDING_CHANGED_VERSION] = "changed-version",
	[FINDING_TARGET_NOT_SCANNED] = "target-not-scanned",
};

/* The record's fields, in order: the CSV header and the JSON keys. */
static const char *const field_names[] = {
	"kind", "ip", "host", "port", "proto", "expected", "found", "group",
};
#define NFIELDS (sizeof(field_names) / sizeof(field_names[0]))

enum format { FMT_CSV, FMT_JSON, FMT_JSONL };

struct findings {
	uint64_t counts[FINDING_KIND_COUNT];
	char *path;              /* NULL: count only */
	enum format format;
	FILE *fp;
	uint64_t written;        /* records, for the JSON document's commas */
	off_t good;              /* end of the last complete record (-1: not a file) */
	bool created;            /* findings_open created the file */
	bool failed;             /* a write failed: no more writes */
};

const char *finding_kind_name(enum finding_kind k)
{
	if ((unsigned)k >= FINDING_KIND_COUNT)
		return "unknown";
	return kind_names[k];
}

static bool format_for(const char *path, enum format *fmt)
{
	const char *base = strrchr(path, '/'), *dot;

	base = base != NULL ? base + 1 : path;
	dot = strrchr(base, '.');
	if (dot == NULL || dot == base)
		return false;
	if (g_ascii_strcasecmp(dot, ".csv") == 0)
		*fmt = FMT_CSV;
	else if (g_ascii_strcasecmp(dot, ".json") == 0)
		*fmt = FMT_JSON;
	else if (g_ascii_strcasecmp(dot, ".jsonl") == 0 || g_ascii_strcasecmp(dot, ".ndjson") == 0)
		*fmt = FMT_JSONL;
	else
		return false;
	return true;
}

struct findings *findings_new(const char *path, GError **err)
{
	struct findings *f = g_new0(struct findings, 1);

	if (path != NULL) {
		if (!format_for(path, &f->format)) {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "cannot tell the format of findings '%s': name it .csv, .json or .jsonl",
				    path);
			g_free(f);
			return NULL;
		}
		f->path = g_strdup(path);
	}
	return f;
}

/* ---- the three formats ---- */

static int put_csv_text(FILE *fp, const char *s)
{
	return csv_write_field(fp, s, s != NULL ? strlen(s) : 0, 1);
}

static int put_json_text(FILE *fp, const char *s)
{
	return json_write_string(fp, s, s != NULL ? strlen(s) : 0);
}

static int write_header(struct findings *f)
{
	FILE *fp = f->fp;

	switch (f->format) {
	case FMT_CSV:
		for (size_t i = 0; i < NFIELDS; i++)
			if ((i > 0 && fputc(',', fp) == EOF) || put_csv_text(fp, field_names[i]) < 0)
				return -1;
		return fputs("\r\n", fp) == EOF ? -1 : 0;
	case FMT_JSON:
		if (fputs("{\"portolan\":{\"version\":", fp) == EOF ||
		    put_json_text(fp, PORTOLAN_VERSION) < 0)
			return -1;
		return fprintf(fp, ",\"format\":%d},\n \"findings\":[", FINDINGS_FORMAT) < 0 ? -1 : 0;
	case FMT_JSONL:
		return 0;
	}
	return 0;
}

static int write_record(struct findings *f, const struct finding *fd)
{
	FILE *fp = f->fp;
	char ip[PL_ADDRSTRLEN];
	const char *text[NFIELDS];

	/* A target not scanned has no address and no port. */
	ip[0] = '\0';
	if (fd->addr != NULL)
		pl_addr_format(fd->addr, ip, sizeof ip);
	text[0] = finding_kind_name(fd->kind);
	text[1] = ip;
	text[2] = fd->host;
	text[3] = NULL;          /* the port: a number */
	text[4] = "tcp";
	text[5] = fd->expected;
	text[6] = fd->found;
	text[7] = fd->group;

	if (f->format == FMT_CSV) {
		for (size_t i = 0; i < NFIELDS; i++) {
			if (i > 0 && fputc(',', fp) == EOF)
				return -1;
			if (i == 3 ? fd->port != 0 && fprintf(fp, "%u", (unsigned)fd->port) < 0
				   : put_csv_text(fp, text[i]) < 0)
				return -1;
		}
		return fputs("\r\n", fp) == EOF ? -1 : 0;
	}
	if (f->format == FMT_JSON && fputs(f->written > 0 ? ",\n  " : "\n  ", fp) == EOF)
		return -1;
	if (fputc('{', fp) == EOF)
		return -1;
	for (size_t i = 0; i < NFIELDS; i++) {
		if ((i > 0 && fputc(',', fp) == EOF) || put_json_text(fp, field_names[i]) < 0 ||
		    fputc(':', fp) == EOF)
			return -1;
		if (i == 3 ? (fd->port != 0 ? fprintf(fp, "%u", (unsigned)fd->port) < 0
					    : fputs("null", fp) == EOF)
			   : put_json_text(fp, text[i]) < 0)
			return -1;
	}
	if (fputc('}', fp) == EOF)
		return -1;
	return f->format == FMT_JSONL && fputc('\n', fp) == EOF ? -1 : 0;
}

static int write_trailer(struct findings *f)
{
	FILE *fp = f->fp;

	if (f->format != FMT_JSON)
		return 0;
	if (fputs(f->written > 0 ? "\n ],\n \"summary\":{" : "],\n \"summary\":{", fp) == EOF)
		return -1;
	for (int k = 0; k < FINDING_KIND_COUNT; k++)
		if (put_json_text(fp, kind_names[k]) < 0 ||
		    fprintf(fp, ":%" PRIu64 ",", f->counts[k]) < 0)
			return -1;
	return fprintf(fp, "\"total\":%" PRIu64 "}}\n", findings_total(f)) < 0 ? -1 : 0;
}

/* Flushes after a record, so a full disk shows at the record that hit it. */
static int end_record(FILE *fp)
{
	return fflush(fp) == EOF || ferror(fp) ? -1 : 0;
}

static void set_write_error(struct findings *f, int e, GError **err)
{
	f->failed = true;
	/* A record that hit a full disk may be half on it: cut back to the
	 * last complete one, so the file stays valid up to there. */
	if (f->good >= 0 && ftruncate(fileno(f->fp), f->good) != 0)
		g_debug("cannot cut '%s' back to its last record: %s", f->path, g_strerror(errno));
	g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot write findings '%s': %s", f->path,
		    g_strerror(e != 0 ? e : EIO));
}

static void mark_good(struct findings *f)
{
	if (f->good >= 0)
		f->good = ftello(f->fp);
}

/* ---- the whole ---- */

int findings_open(struct findings *f, GError **err)
{
	struct stat st;
	int fd;

	if (f->path == NULL)
		return 0;
	/* O_EXCL first tells us whether we created the file (and so may
	 * remove it when the scan gives up before it starts). */
	fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd != -1)
		f->created = true;
	else if (errno == EEXIST)
		fd = open(f->path, O_WRONLY | O_CLOEXEC);
	if (fd == -1 || (f->fp = fdopen(fd, "w")) == NULL) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot write findings '%s': %s",
			    f->path, g_strerror(errno));
		if (fd != -1)
			close(fd);
		findings_discard(f);
		return -1;
	}
	/* Regular files only: truncating a FIFO or device is meaningless. */
	errno = 0;
	f->good = fstat(fileno(f->fp), &st) == 0 && S_ISREG(st.st_mode) ? 0 : -1;
	if ((f->good == 0 && ftruncate(fileno(f->fp), 0) != 0) ||
	    write_header(f) < 0 || end_record(f->fp) < 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot write findings '%s': %s",
			    f->path, g_strerror(errno ? errno : EIO));
		findings_discard(f);
		return -1;
	}
	mark_good(f);
	return 0;
}

int findings_add(struct findings *f, const struct finding *fd, GError **err)
{
	if ((unsigned)fd->kind < FINDING_KIND_COUNT)
		f->counts[fd->kind]++;
	if (f->fp == NULL || f->failed)
		return 0;
	errno = 0;
	if (write_record(f, fd) < 0 || end_record(f->fp) < 0) {
		set_write_error(f, errno, err);
		return -1;
	}
	f->written++;
	mark_good(f);
	return 0;
}

uint64_t findings_count(const struct findings *f, enum finding_kind k)
{
	return (unsigned)k < FINDING_KIND_COUNT ? f->counts[k] : 0;
}

uint64_t findings_total(const struct findings *f)
{
	uint64_t n = 0;

	for (int k = 0; k < FINDING_KIND_COUNT; k++)
		n += f->counts[k];
	return n;
}

void findings_print_summary(const struct findings *f, FILE *fp)
{
	uint64_t total = findings_total(f);
	const char *sep = ": ";

	if (total == 0) {
		fputs("portolan: audit: no findings\n", fp);
		return;
	}
	fprintf(fp, "portolan: audit: %" PRIu64 " finding%s", total, total == 1 ? "" : "s");
	for (int k = 0; k < FINDING_KIND_COUNT; k++) {
		if (f->counts[k] == 0)
			continue;
		fprintf(fp, "%s%" PRIu64 " %s", sep, f->counts[k], kind_names[k]);
		sep = ", ";
	}
	if (f->path != NULL)
		fprintf(fp, " (in %s)", f->path);
	fputc('\n', fp);
}

int findings_close(struct findings *f, GError **err)
{
	int rc = 0;

	if (f->fp == NULL)
		return 0;
	if (!f->failed) {
		errno = 0;
		if (write_trailer(f) < 0 || end_record(f->fp) < 0) {
			set_write_error(f, errno, err);
			rc = -1;
		}
	}
	if (fclose(f->fp) != 0 && rc == 0 && !f->failed) {
		set_write_error(f, errno, err);
		rc = -1;
	}
	f->fp = NULL;
	return rc;
}

void findings_discard(struct findings *f)
{
	if (f->fp != NULL) {
		fclose(f->fp);
		f->fp = NULL;
	}
	if (f->created) {
		(void)unlink(f->path);
		f->created = false;
	}
}

void findings_free(struct findings *f)
{
	if (f == NULL)
		return;
	if (f->fp != NULL)
		fclose(f->fp);
	g_free(f->path);
	g_free(f);
}
