/* fuzz_rows.c: libFuzzer target for what `portolan merge` reads: result
 * rows in CSV, JSON and JSON Lines (src/merge/rowread.c) and shard
 * manifests (src/merge/manifest_read.c).
 *
 * Input: the first byte picks what the rest is: % 4 == 0 CSV, 1 a JSON
 * document, 2 JSON Lines, 3 a manifest.
 *
 * Properties:
 *  - a failure sets one line "fuzz.rows:LINE..." (a manifest's names its
 *    file); a success reads every row to the end;
 *  - every row read, written by each data writer (CSV, JSON, JSON Lines),
 *    reads back from that writer's output, and written again gives the
 *    same text: what portolan writes, merge reads, whatever the input was;
 *  - a manifest read has a 1-based index within its count, a 32-digit
 *    scan_id and a format;
 *  - a JSON document's "hosts" block (rows_read_hosts) reads or fails with
 *    one line naming the input, each entry a host row (up or down); the
 *    JSON writer's own document, host rows among its rows or not, always
 *    reads back, with no more hosts than rows. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "manifest_read.h"
#include "rowread.h"
#include "writer.h"
#include "fuzz_common.h"

#define FUZZ_MAX_INPUT 65536
#define NAME "fuzz.rows"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_glib();
	return 0;
}

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_rows: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

static const struct { const struct writer_ops *w; enum row_format fmt; } formats[] = {
	{ &writer_csv, ROW_CSV }, { &writer_json, ROW_JSON }, { &writer_jsonl, ROW_JSONL },
};

/* Every row, written by one writer into memory. */
struct sink {
	const struct writer_ops *w;
	void *state;
	FILE *fp;
	char *buf;
	size_t len;
	size_t rows;
};

static void sink_open(struct sink *s, const struct writer_ops *w)
{
	memset(s, 0, sizeof *s);
	s->w = w;
	if ((s->fp = open_memstream(&s->buf, &s->len)) == NULL)
		fail("open_memstream failed", NULL);
	if ((s->state = w->open(s->fp, NULL)) == NULL)
		fail("a writer did not open", w->name);
}

static bool sink_row(void *ud, const struct result *r)
{
	struct sink *s = ud;

	if (s->w->write(s->state, s->fp, r) != 0)
		fail("a writer did not write", s->w->name);
	s->rows++;
	return true;
}

static void sink_close(struct sink *s)
{
	if (s->w->close(s->state, s->fp, NULL, 0) != 0)
		fail("a writer did not close", s->w->name);
	fclose(s->fp);
}

static void check_error(const GError *err, const char *name)
{
	if (err == NULL || err->message == NULL)
		fail("failed without an error", NULL);
	if (strchr(err->message, '\n') != NULL)
		fail("error spans more than one line", err->message);
	if (strncmp(err->message, name, strlen(name)) != 0 &&
	    strstr(err->message, name) == NULL)
		fail("error does not name the input", err->message);
}

/* Reads data in fmt into a writer's text; NULL (and *err) on bad input. */
static char *read_into(const char *data, size_t size, enum row_format fmt,
		       const struct writer_ops *w, size_t *rows, GError **err)
{
	FILE *in = fmemopen((void *)data, size, "r");
	struct sink s;
	int rc;

	if (in == NULL)
		return NULL;   /* fmemopen refuses size 0 on some libcs */
	sink_open(&s, w);
	rc = rows_read(in, NAME, fmt, sink_row, &s, NULL, err);
	fclose(in);
	sink_close(&s);
	if (rc == 1)
		fail("the read stopped though every callback went on", NULL);
	*rows = s.rows;
	if (rc != 0) {
		free(s.buf);
		return NULL;
	}
	return s.buf;
}

static bool count_host(void *ud, const struct result *r)
{
	if (r->state != STATE_UP && r->state != STATE_DOWN)
		fail("a hosts block entry that is not a host row", NULL);
	(*(size_t *)ud)++;
	return true;
}

/* The hosts block of a JSON document: 0 and *hosts, or -1 (and *err). */
static int read_hosts(const char *data, size_t size, size_t *hosts, GError **err)
{
	FILE *in = fmemopen((void *)data, size, "r");
	int rc;

	*hosts = 0;
	if (in == NULL)
		return 0;
	rc = rows_read_hosts(in, NAME, count_host, hosts, err);
	fclose(in);
	if (rc == 1)
		fail("the hosts read stopped though every callback went on", NULL);
	return rc;
}

static void hosts_case(const char *data, size_t size)
{
	GError *err = NULL;
	size_t n;

	if (read_hosts(data, size, &n, &err) != 0) {
		check_error(err, NAME);
		g_clear_error(&err);
	}
}

static void rows_case(const char *data, size_t size, enum row_format fmt)
{
	if (fmt == ROW_JSON)
		hosts_case(data, size);
	for (size_t i = 0; i < G_N_ELEMENTS(formats); i++) {
		GError *err = NULL;
		size_t n1, n2, n3;
		char *first = read_into(data, size, fmt, formats[i].w, &n1, &err), *second, *third;

		if (first == NULL) {
			check_error(err, NAME);
			g_clear_error(&err);
			return;
		}
		/* What a writer wrote must read back, and settle. */
		second = read_into(first, strlen(first), formats[i].fmt, formats[i].w, &n2, &err);
		if (second == NULL)
			fail("a writer's output does not read back", err ? err->message : NULL);
		third = read_into(second, strlen(second), formats[i].fmt, formats[i].w, &n3, &err);
		if (third == NULL)
			fail("a writer's output does not read back twice", err ? err->message : NULL);
		if (n1 != n2 || n2 != n3)
			fail("rows lost or gained reading back", formats[i].w->name);
		if (strcmp(second, third) != 0)
			fail("rows read back write differently", formats[i].w->name);
		if (formats[i].fmt == ROW_JSON) {
			size_t hosts;

			if (read_hosts(first, strlen(first), &hosts, &err) != 0)
				fail("the JSON writer's hosts block does not read back",
				     err ? err->message : NULL);
			if (hosts > n1)
				fail("more hosts in the block than rows", NULL);
		}
		free(first);
		free(second);
		free(third);
	}
}

static void manifest_case(const char *data, size_t size)
{
	const char *dir = getenv("TMPDIR");
	char *full = g_build_filename(dir != NULL ? dir : "/tmp", "fuzz-manifest-XXXXXX", NULL);
	struct manifest m;
	GError *err = NULL;
	int fd = g_mkstemp(full);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		fail("cannot write the scratch file", full);
	close(fd);
	if (manifest_read(full, &m, &err) != 0) {
		check_error(err, full);
		g_clear_error(&err);
	} else {
		if (m.index < 1 || m.index > m.count || strlen(m.scan_id) != SCAN_ID_LEN ||
		    m.format == NULL)
			fail("a manifest read with impossible values", NULL);
		manifest_clear(&m);
	}
	unlink(full);
	g_free(full);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	switch (data[0] % 4) {
	case 0:
		rows_case((const char *)data + 1, size - 1, ROW_CSV);
		break;
	case 1:
		rows_case((const char *)data + 1, size - 1, ROW_JSON);
		break;
	case 2:
		rows_case((const char *)data + 1, size - 1, ROW_JSONL);
		break;
	default:
		manifest_case((const char *)data + 1, size - 1);
		break;
	}
	return 0;
}
