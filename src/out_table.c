/* out_table.c: the human table on stdout.
 *
 * Results arrive one by one and are printed as they come, so columns cannot
 * be sized from the data: they have fixed widths, the address column 39
 * characters to fit any IPv6 address. A longer "address (name)" pushes the
 * rest of its own line right rather than being cut. Every string goes through
 * text_printable(), so a hostile name cannot move the cursor or recolour the
 * terminal. This is a fixed human view, so unlike the data formats it picks
 * its few fields straight from the result. */
#include "writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "textesc.h"

#define W_HOST 39
#define W_PORT 9      /* "65535/tcp" */
#define W_STATE 8     /* "filtered" */
#define W_REASON 16   /* "admin-prohibited" */
#define GAP 2

struct table_state {
	uint64_t rows;
};

/* Terminal columns a valid UTF-8 string takes: wide (East Asian) characters
 * take two, combining marks none. */
static size_t display_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s = g_utf8_next_char(s)) {
		gunichar c = g_utf8_get_char(s);

		if (g_unichar_iszerowidth(c))
			continue;
		w += g_unichar_iswide(c) ? 2 : 1;
	}
	return w;
}

/* Writes s and pads it to `width` columns plus the gap (at least the gap). */
static int put_cell(FILE *fp, const char *s, size_t width)
{
	size_t w = display_width(s);
	size_t pad = (w < width ? width - w : 0) + GAP;

	if (fputs(s, fp) == EOF)
		return -1;
	for (size_t i = 0; i < pad; i++)
		if (fputc(' ', fp) == EOF)
			return -1;
	return 0;
}

static void *table_open(FILE *fp, const struct scan_meta *meta)
{
	struct table_state *st = calloc(1, sizeof *st);

	if (st == NULL)
		return NULL;
	errno = 0;
	if (put_cell(fp, "HOST", W_HOST) < 0 || put_cell(fp, "PORT", W_PORT) < 0 ||
	    put_cell(fp, "STATE", W_STATE) < 0 ||
	    put_cell(fp, "REASON", W_REASON) < 0 || fputs("LATENCY\n", fp) == EOF) {
		writer_failed();
		goto fail;
	}
	if (writer_end_record(fp) < 0)
		goto fail;
	return st;
fail:
	free(st);
	return NULL;
}

/* "192.0.2.1 (name)" with the name made printable; the name is the one the
 * user gave, else the reverse DNS name. NULL when out of memory. */
static char *host_cell(const struct result *r)
{
	char ip[PL_ADDRSTRLEN];
	const char *name = r->host != NULL && *r->host != '\0' ? r->host : r->ptr;
	char *pname, *cell;

	size_t len;

	pl_addr_format(&r->addr, ip, sizeof ip);
	ip[sizeof ip - 1] = '\0';
	if (name == NULL || *name == '\0')
		return g_strdup(ip);
	pname = text_printable(name, strlen(name));
	if (pname == NULL)
		return NULL;
	len = strlen(ip) + strlen(pname) + 4;
	cell = g_try_malloc(len);
	if (cell != NULL)
		snprintf(cell, len, "%s (%s)", ip, pname);
	g_free(pname);
	return cell;
}

static int table_write(void *state, FILE *fp, const struct result *r)
{
	struct table_state *st = state;
	char port[16], lat[WRITER_REAL_LEN];
	char *host;
	int rc = -1;

	errno = 0;
	host = host_cell(r);
	if (host == NULL) {
		errno = ENOMEM;
		return -1;
	}
	snprintf(port, sizeof port, "%u/tcp", (unsigned)r->port);
	if (writer_format_real(lat, sizeof lat - 3, r->latency_ms, 3))
		strcat(lat, " ms");
	else
		strcpy(lat, "-");
	if (put_cell(fp, host, W_HOST) < 0 || put_cell(fp, port, W_PORT) < 0 ||
	    put_cell(fp, port_state_name(r->state), W_STATE) < 0 ||
	    put_cell(fp, reason_name(r->reason), W_REASON) < 0 ||
	    fputs(lat, fp) == EOF || fputc('\n', fp) == EOF) {
		rc = writer_failed();
		goto out;
	}
	st->rows++;
	rc = writer_end_record(fp);
out:
	g_free(host);
	return rc;
}

static int table_close(void *state, FILE *fp,
		       const struct metrics_snapshot *summary, time_t end)
{
	/* The summary goes to stderr through metrics_print_summary(). */
	free(state);
	return writer_end_record(fp);
}

/* No extensions: the table is for terminals and is only chosen by name. */
static const char *const table_extensions[] = { NULL };

const struct writer_ops writer_table = {
	.name = "table",
	.extensions = table_extensions,
	.open = table_open,
	.append = table_open,   /* a terminal has nothing to continue */
	.write = table_write,
	.close = table_close,
};
