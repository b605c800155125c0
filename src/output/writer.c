/* writer.c: the table of output formats and the helpers they share.
 *
 * A format is one out_*.c file with a struct writer_ops and one line in
 * `writers` below; lookup by name (--format) or by the output file's
 * extension walks that table. */
#include "writer.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <glib.h>

static const struct writer_ops *const writers[] = {
	&writer_csv,
	&writer_json,
	&writer_jsonl,
	&writer_table,
	&writer_xml,
	NULL
};

const struct writer_ops *writer_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; writers[i] != NULL; i++)
		if (g_ascii_strcasecmp(name, writers[i]->name) == 0)
			return writers[i];
	return NULL;
}

const struct writer_ops *writer_for_filename(const char *path)
{
	const char *base, *dot;

	if (path == NULL)
		return NULL;
	/* Only the last component counts: "out.d/scan" has no extension. */
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	dot = strrchr(base, '.');
	if (dot == NULL || dot == base)
		return NULL;
	for (size_t i = 0; writers[i] != NULL; i++) {
		const char *const *ext = writers[i]->extensions;

		for (; ext != NULL && *ext != NULL; ext++)
			if (g_ascii_strcasecmp(dot, *ext) == 0)
				return writers[i];
	}
	return NULL;
}

const char *writer_names(void)
{
	/* The file formats; "table" is only for the terminal. A unit test
	 * checks this against the table above. */
	return "csv, json, jsonl, xml";
}

int writer_failed(void)
{
	if (errno == 0)
		errno = EIO;
	return -1;
}

int writer_end_record(FILE *fp)
{
	/* Flushing each record keeps the file valid up to its last complete
	 * record and makes a full disk show up at the write that hit it,
	 * not at some later buffer flush. */
	errno = 0;
	if (fflush(fp) == EOF || ferror(fp))
		return writer_failed();
	return 0;
}

bool writer_format_real(char *buf, size_t len, double d, int decimals)
{
	char fmt[8];

	if (len == 0)
		return false;
	buf[0] = '\0';
	/* Beyond 1e15 no counter or latency is meaningful, and the bound
	 * keeps the text well inside a 64-byte buffer. */
	if (!isfinite(d) || d >= 1e15 || d <= -1e15 || decimals < 0 ||
	    decimals > 9)
		return false;
	snprintf(fmt, sizeof fmt, "%%.%df", decimals);
	/* g_ascii_formatd ignores LC_NUMERIC: a German locale must not turn
	 * 1.5 into "1,5" and break every CSV column and JSON number. */
	g_ascii_formatd(buf, (int)len, fmt, d);
	return true;
}
