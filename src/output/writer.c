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

/* A file format is one a file name's extension can choose; "table" has
 * none and is only for the terminal. */
static bool is_file_format(const struct writer_ops *w)
{
	return w->extensions != NULL && w->extensions[0] != NULL;
}

#define MAX_WRITERS (sizeof(writers) / sizeof(writers[0]))

struct file_formats {
	const char *names[MAX_WRITERS];
	char text[128];
};

/* Built once from the table; main thread first, read-only afterwards. */
static const struct file_formats *file_formats(void)
{
	static struct file_formats ff;
	static gsize done;

	if (g_once_init_enter(&done)) {
		size_t n = 0;

		for (size_t i = 0; writers[i] != NULL; i++) {
			if (!is_file_format(writers[i]))
				continue;
			g_strlcat(ff.text, n > 0 ? ", " : "", sizeof ff.text);
			g_strlcat(ff.text, writers[i]->name, sizeof ff.text);
			ff.names[n++] = writers[i]->name;
		}
		g_once_init_leave(&done, 1);
	}
	return &ff;
}

const char *writer_names(void)
{
	return file_formats()->text;
}

const char *const *writer_file_formats(void)
{
	return file_formats()->names;
}

/* The file formats (with records: those that write other records) as a
 * choice "A, B, C<last>D" of prefix + their first extensions (ext) or
 * names, appended to out. */
static void choice(GString *out, bool records, bool ext, const char *prefix, const char *last)
{
	const char *item[MAX_WRITERS];
	size_t n = 0;

	for (size_t i = 0; writers[i] != NULL; i++)
		if (is_file_format(writers[i]) && (!records || writers[i]->records != NULL))
			item[n++] = ext ? writers[i]->extensions[0] : writers[i]->name;
	for (size_t i = 0; i < n; i++)
		g_string_append_printf(out, "%s%s%s", i == 0 ? "" : i + 1 < n ? ", " : last,
				       prefix, item[i]);
}

char *writer_extension_choice(bool records)
{
	GString *s = g_string_new(NULL);

	choice(s, records, true, "", " or ");
	return g_string_free(s, FALSE);
}

char *writer_help(const char *text)
{
	GString *s = g_string_new(NULL);
	const char *p = text;

	while (*p != '\0') {
		if (g_str_has_prefix(p, "{formats}")) {
			choice(s, false, false, "", " or ");
			p += strlen("{formats}");
		} else if (g_str_has_prefix(p, "{base-files}")) {
			choice(s, false, false, "BASE.", " and ");
			p += strlen("{base-files}");
		} else if (g_str_has_prefix(p, "{base-list}")) {
			choice(s, false, false, "BASE.", ", ");
			p += strlen("{base-list}");
		} else if (g_str_has_prefix(p, "{findings-files}")) {
			choice(s, true, true, "", " or ");
			p += strlen("{findings-files}");
		} else {
			g_string_append_c(s, *p++);
		}
	}
	return g_string_free(s, FALSE);
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
