/* fileid.c: file identity by device and inode (see fileid.h). */
#include "fileid.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <glib.h>

static void from_stat(struct file_id *id, const struct stat *st)
{
	id->known = true;
	id->exists = true;
	id->device = S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode);
	id->dev = st->st_dev;
	id->ino = st->st_ino;
}

void file_id_of(const char *path, int fd, struct file_id *id)
{
	struct stat st;
	char *dir;

	memset(id, 0, sizeof(*id));
	if (fd >= 0 && strcmp(path, "-") == 0) {
		if (fstat(fd, &st) == 0)
			from_stat(id, &st);
		return;
	}
	if (stat(path, &st) == 0) {
		from_stat(id, &st);
		return;
	}
	/* Not there yet (or a dangling symlink): the file creating it makes. A
	 * trailing slash names no file we could create. */
	if (errno != ENOENT || path[0] == '\0' || path[strlen(path) - 1] == '/')
		return;
	dir = g_path_get_dirname(path);
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
		id->known = true;
		id->dev = st.st_dev;
		id->ino = st.st_ino;
		id->base = g_path_get_basename(path);
	}
	g_free(dir);
}

bool file_id_same(const struct file_id *a, const struct file_id *b)
{
	if (!a->known || !b->known || a->exists != b->exists || a->device || b->device)
		return false;
	if (a->dev != b->dev || a->ino != b->ino)
		return false;
	return a->exists || strcmp(a->base, b->base) == 0;
}

void file_id_clear(struct file_id *id)
{
	g_free(id->base);
	memset(id, 0, sizeof(*id));
}
