/* outfile.c: opening, cutting back and removing the files portolan writes
 * (see outfile.h). */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

struct outfile {
	char *path;
	FILE *fp;
	unsigned flags;
	bool created;            /* this run created the file */
	off_t good;              /* end of the last complete record (-1: a stream) */
};

/* O_EXCL first tells us whether we created the file. */
static int open_fd(const char *path, unsigned flags, mode_t mode, bool *created)
{
	int rw = flags & (OUTFILE_READ | OUTFILE_CONTINUE) ? O_RDWR : O_WRONLY;
	int fd = open(path, rw | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	if (fd != -1) {
		*created = true;
		return fd;
	}
	if (errno != EEXIST)
		return -1;
	fd = open(path, rw | O_CLOEXEC);
	/* Read access is only wished for unless continuing; and only for a
	 * file that exists: after a failed create its ENOENT would hide the
	 * create's EACCES. */
	if (fd == -1 && errno == EACCES && rw == O_RDWR && !(flags & OUTFILE_CONTINUE))
		fd = open(path, O_WRONLY | O_CLOEXEC);
	return fd;
}

struct outfile *outfile_open(const char *path, unsigned flags, mode_t mode)
{
	struct outfile *f = g_new0(struct outfile, 1);
	struct stat st;
	int fd, e;

	f->path = g_strdup(path);
	f->flags = flags;
	if ((flags & OUTFILE_DASH_STDOUT) && strcmp(path, "-") == 0) {
		f->fp = stdout;
	} else {
		fd = open_fd(path, flags, mode, &f->created);
		if (fd == -1 || (f->fp = fdopen(fd, flags & OUTFILE_CONTINUE ? "r+" : "w")) == NULL) {
			e = errno;
			if (fd != -1)
				close(fd);
			outfile_discard(f);
			errno = e;
			return NULL;
		}
	}
	/* Regular files only: cutting or truncating a FIFO, a pipe or a
	 * device is meaningless. */
	f->good = fstat(fileno(f->fp), &st) == 0 && S_ISREG(st.st_mode) ? 0 : -1;
	return f;
}

int outfile_truncate(struct outfile *f)
{
	if (f->fp == stdout || f->good < 0)
		return 0;
	if (ftruncate(fileno(f->fp), 0) != 0)
		return -1;
	f->good = 0;
	return 0;
}

FILE *outfile_fp(const struct outfile *f)
{
	return f->fp;
}

const char *outfile_path(const struct outfile *f)
{
	return f->path;
}

bool outfile_is_stdout(const struct outfile *f)
{
	return f->fp == stdout;
}

bool outfile_is_regular(const struct outfile *f)
{
	return f->good >= 0;
}

void outfile_mark(struct outfile *f)
{
	if (f->good >= 0)
		f->good = ftello(f->fp);
}

void outfile_cut(struct outfile *f)
{
	/* A record that hit a full disk may be half on it. */
	if (f->good >= 0 && ftruncate(fileno(f->fp), f->good) != 0)
		g_debug("cannot cut '%s' back to its last record: %s", f->path, g_strerror(errno));
}

static void outfile_free(struct outfile *f)
{
	g_free(f->path);
	g_free(f);
}

int outfile_close(struct outfile *f)
{
	int rc = 0;

	if (f == NULL)
		return 0;
	if (f->fp != NULL && f->fp != stdout)
		rc = fclose(f->fp) == 0 ? 0 : -1;
	outfile_free(f);
	return rc;
}

void outfile_discard(struct outfile *f)
{
	if (f == NULL)
		return;
	if (f->fp != NULL && f->fp != stdout)
		fclose(f->fp);
	f->fp = NULL;
	if (f->created || (f->flags & OUTFILE_SCRATCH))
		(void)unlink(f->path);
	outfile_free(f);
}
