/* out_csv.c: RFC 4180 CSV, a header row of the field names and one row per
 * result.
 *
 * Rows end in CRLF, as RFC 4180 specifies; spreadsheets and CSV libraries
 * accept it everywhere, and a bare LF inside a quoted field stays
 * distinguishable from a row end. Every text field goes through
 * csv_write_field(), which neutralises formulas; numbers never do, so a
 * spreadsheet still sees them as numbers. */
#include "writer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "textesc.h"

/* CSV needs no state between rows, but the interface wants a non-NULL state
 * per instance. */
struct csv_state {
	uint64_t rows;
};

static int write_value(FILE *fp, const struct field_value *v)
{
	char num[WRITER_REAL_LEN];
	int n;

	switch (v->kind) {
	case FIELD_STR:
		return csv_write_field(fp, v->str, v->len, 1);
	case FIELD_INT:
		n = snprintf(num, sizeof num, "%" PRId64, v->i);
		return csv_write_field(fp, num, (size_t)n, 0);
	case FIELD_REAL:
		/* A value no number can carry is left empty rather than
		 * written as "nan" for a spreadsheet to misread. */
		if (!writer_format_real(num, sizeof num, v->d, 3))
			return 0;
		return csv_write_field(fp, num, strlen(num), 0);
	case FIELD_NULL:
		return 0;
	}
	return 0;
}

static int put_header(FILE *fp, const struct field_set *f)
{
	size_t n = f->count();

	errno = 0;
	for (size_t i = 0; i < n; i++) {
		const char *name = f->name(i);

		if (i > 0 && fputc(',', fp) == EOF)
			return writer_failed();
		if (csv_write_field(fp, name, strlen(name), 1) < 0)
			return writer_failed();
	}
	if (fputs("\r\n", fp) == EOF)
		return writer_failed();
	return writer_end_record(fp);
}

static int put_row(FILE *fp, const struct field_set *f, const void *rec)
{
	char scratch[RESULT_SCRATCH_LEN];
	size_t n = f->count();

	errno = 0;
	for (size_t i = 0; i < n; i++) {
		struct field_value v;

		f->get(rec, i, &v, scratch, sizeof scratch);
		if (i > 0 && fputc(',', fp) == EOF)
			return writer_failed();
		if (write_value(fp, &v) < 0)
			return writer_failed();
	}
	if (fputs("\r\n", fp) == EOF)
		return writer_failed();
	return writer_end_record(fp);
}

static void *csv_open(FILE *fp, const struct scan_meta *meta)
{
	struct csv_state *st = calloc(1, sizeof *st);

	if (st == NULL)
		return NULL;
	if (put_header(fp, &result_fields) < 0) {
		free(st);
		return NULL;
	}
	return st;
}

/* A resumed scan continues the rows; the header is written only when the
 * file is still empty. */
static void *csv_append(FILE *fp, const struct scan_meta *meta)
{
	if (fseeko(fp, 0, SEEK_END) != 0)
		return NULL;
	if (ftello(fp) == 0)
		return csv_open(fp, meta);
	return calloc(1, sizeof(struct csv_state));
}

static int csv_write(void *state, FILE *fp, const struct result *r)
{
	struct csv_state *st = state;

	if (put_row(fp, &result_fields, r) < 0)
		return -1;
	st->rows++;
	return 0;
}

static int csv_close(void *state, FILE *fp,
		     const struct metrics_snapshot *summary, time_t end)
{
	free(state);
	return writer_end_record(fp);
}

/* ---- other records: the kind's fields, the same header and rows ---- */

static void *csv_records_open(FILE *fp, const struct record_kind *k)
{
	struct field_set *st = calloc(1, sizeof *st);

	if (st == NULL)
		return NULL;
	*st = *k->fields;
	if (put_header(fp, st) < 0) {
		free(st);
		return NULL;
	}
	return st;
}

static int csv_records_write(void *state, FILE *fp, const void *rec)
{
	return put_row(fp, state, rec);
}

static int csv_records_close(void *state, FILE *fp, const void *ctx)
{
	free(state);
	return fp != NULL ? writer_end_record(fp) : 0;
}

static const struct record_ops csv_records = {
	.open = csv_records_open,
	.write = csv_records_write,
	.close = csv_records_close,
};

static const char *const csv_extensions[] = { ".csv", NULL };

const struct writer_ops writer_csv = {
	.name = "csv",
	.extensions = csv_extensions,
	.open = csv_open,
	.append = csv_append,
	.write = csv_write,
	.close = csv_close,
	.records = &csv_records,
};
