/* specfile.c: the targets file reader: a line at a time, a spec at a time.
 *
 * The line buffer is getline()'s, reused from line to line, so memory follows
 * the longest line (bounded by SPEC_FILE_MAX_LINE), never the file. A pipe
 * or standard input cannot be read twice; when the caller asks for a spool
 * such a file is copied to an anonymous temporary file while it is read,
 * and a rewind reads the copy. */
#include "specfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "errors.h"

struct spec_file {
	char *path;
	const char *label;        /* path, or "<stdin>" */
	FILE *f;                  /* what is read now: the file, or the spool */
	FILE *orig;               /* the file as opened (stdin is not closed) */
	FILE *spool;              /* copy of a file that cannot be reread, or NULL */
	bool is_stdin;
	bool seekable;            /* a regular file: rewind seeks */
	bool spool_failed;        /* a spool was wanted and could not be made */
	bool rewound;             /* the digest covers the first read only */
	char *line;
	size_t cap;
	char *tok;                /* where the next spec of line starts */
	unsigned long lineno;
	GChecksum *sum;
	char *digest;
};

struct spec_file *spec_file_open(const char *path, bool spool, GError **err)
{
	struct spec_file *sf;
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	struct stat st;

	if (f == NULL) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "cannot open '%s': %s", path,
			    g_strerror(errno));
		return NULL;
	}
	sf = g_new0(struct spec_file, 1);
	sf->path = g_strdup(path);
	sf->label = is_stdin ? "<stdin>" : sf->path;
	sf->f = sf->orig = f;
	sf->is_stdin = is_stdin;
	sf->seekable = !is_stdin && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
	sf->sum = g_checksum_new(G_CHECKSUM_SHA256);
	if (spool && !sf->seekable) {
		/* Standard input, a pipe, a process substitution: keep a copy. */
		sf->spool = tmpfile();
		sf->spool_failed = sf->spool == NULL;
	}
	return sf;
}

void spec_file_close(struct spec_file *sf)
{
	if (sf == NULL)
		return;
	if (sf->orig != NULL && !sf->is_stdin)
		fclose(sf->orig);
	if (sf->spool != NULL)
		fclose(sf->spool);
	free(sf->line);
	g_checksum_free(sf->sum);
	g_free(sf->digest);
	g_free(sf->path);
	g_free(sf);
}

/* Reads the next line into sf->line: 1, 0 at the end, -1 on error. */
static int read_line(struct spec_file *sf, GError **err)
{
	ssize_t len;

	errno = 0;
	len = getline(&sf->line, &sf->cap, sf->f);
	if (len == -1) {
		if (ferror(sf->f)) {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "cannot read '%s': %s",
				    sf->label, g_strerror(errno ? errno : EIO));
			return -1;
		}
		return 0;
	}
	sf->lineno++;
	if (!sf->rewound) {
		g_checksum_update(sf->sum, (const guchar *)sf->line, len);
		if (sf->spool != NULL && fwrite(sf->line, 1, (size_t)len, sf->spool) != (size_t)len) {
			/* Reported if a rewind is ever needed. */
			fclose(sf->spool);
			sf->spool = NULL;
			sf->spool_failed = true;
		}
	}
	if (len > SPEC_FILE_MAX_LINE) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s:%lu: line longer than %d bytes",
			    sf->label, sf->lineno, SPEC_FILE_MAX_LINE);
		return -1;
	}
	/* A NUL would silently cut the line short; say so instead. */
	if (strlen(sf->line) != (size_t)len) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s:%lu: line contains a NUL byte",
			    sf->label, sf->lineno);
		return -1;
	}
	/* The comment is no part of any spec. */
	char *hash = strchr(sf->line, '#');

	if (hash != NULL)
		*hash = '\0';
	sf->tok = sf->line;
	/* A UTF-8 byte-order mark, as some Windows editors write, is no part
	 * of the first spec. */
	if (sf->lineno == 1 && strncmp(sf->line, "\xEF\xBB\xBF", 3) == 0)
		sf->tok += 3;
	return 1;
}

int spec_file_next(struct spec_file *sf, const char **spec, GError **err)
{
	static const char seps[] = " \t\r\n\v\f,";

	for (;;) {
		if (sf->tok != NULL) {
			sf->tok += strspn(sf->tok, seps);
			if (*sf->tok != '\0') {
				size_t n = strcspn(sf->tok, seps);

				*spec = sf->tok;
				sf->tok += n;
				/* Cut the spec out; the separator it replaces
				 * is not needed again. */
				if (*sf->tok != '\0')
					*sf->tok++ = '\0';
				return 1;
			}
			sf->tok = NULL;
		}
		int rc = read_line(sf, err);

		if (rc <= 0)
			return rc;
	}
}

const char *spec_file_label(const struct spec_file *sf)
{
	return sf->label;
}

unsigned long spec_file_line(const struct spec_file *sf)
{
	return sf->lineno;
}

int spec_file_rewind(struct spec_file *sf, GError **err)
{
	if (!sf->seekable && (sf->spool == NULL || sf->spool_failed)) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "cannot read '%s' again: %s", sf->label,
			    sf->spool_failed ? "no temporary file to keep a copy in"
					     : "it is not a regular file");
		return -1;
	}
	if (!sf->rewound)
		(void)spec_file_digest(sf);
	if (sf->spool != NULL) {
		if (fflush(sf->spool) != 0) {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "cannot read '%s' again: %s",
				    sf->label, g_strerror(errno));
			return -1;
		}
		sf->f = sf->spool;
	}
	if (fseeko(sf->f, 0, SEEK_SET) != 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "cannot read '%s' again: %s",
			    sf->label, g_strerror(errno));
		return -1;
	}
	clearerr(sf->f);
	sf->rewound = true;
	sf->tok = NULL;
	sf->lineno = 0;
	return 0;
}

const char *spec_file_digest(struct spec_file *sf)
{
	if (sf->digest == NULL)
		sf->digest = g_strdup(g_checksum_get_string(sf->sum));
	return sf->digest;
}
