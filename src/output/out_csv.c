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
	}
	return 0;
}

static void *csv_open(FILE *fp, const struct scan_meta *meta)
{
	struct csv_state *st = calloc(1, sizeof *st);
	size_t n = result_field_count();

	if (st == NULL)
		return NULL;
	errno = 0;
	for (size_t i = 0; i < n; i++) {
		const char *name = result_field_name(i);

		if (i > 0 && fputc(',', fp) == EOF)
			goto fail;
		if (csv_write_field(fp, name, strlen(name), 1) < 0)
			goto fail;
	}
	if (fputs("\r\n", fp) == EOF || writer_end_record(fp) < 0)
		goto fail;
	return st;
fail:
	writer_failed();
	free(st);
	return NULL;
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
	char scratch[PL_ADDRSTRLEN];
	size_t n = result_field_count();

	errno = 0;
	for (size_t i = 0; i < n; i++) {
		struct field_value v;

		result_field_get(r, i, &v, scratch, sizeof scratch);
		if (i > 0 && fputc(',', fp) == EOF)
			return writer_failed();
		if (write_value(fp, &v) < 0)
			return writer_failed();
	}
	if (fputs("\r\n", fp) == EOF)
		return writer_failed();
	st->rows++;
	return writer_end_record(fp);
}

static int csv_close(void *state, FILE *fp,
		     const struct metrics_snapshot *summary, time_t end)
{
	free(state);
	return writer_end_record(fp);
}

static const char *const csv_extensions[] = { ".csv", NULL };

const struct writer_ops writer_csv = {
	.name = "csv",
	.extensions = csv_extensions,
	.open = csv_open,
	.append = csv_append,
	.write = csv_write,
	.close = csv_close,
};
