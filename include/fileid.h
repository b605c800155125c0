/* fileid.h: whether two names mean the same file.
 *
 * Names compare badly: "base.json", "./base.json", a symlink and a hard
 * link are one file. A file that exists is known by its device and inode;
 * one that does not exist yet by its directory's device and inode and its
 * last component, which is the file that creating it would make. */
#ifndef PORTOLAN_FILEID_H
#define PORTOLAN_FILEID_H

#include <stdbool.h>
#include <sys/types.h>

struct file_id {
	bool known;      /* false: neither it nor its directory could be found */
	bool exists;
	bool device;     /* a character or block device: writing it twice is no loss */
	dev_t dev;       /* of the file, or of its directory when it does not exist */
	ino_t ino;
	char *base;      /* last component, when it does not exist (owned) */
};

/* Fills id for path; "-" with fd >= 0 means that descriptor (stdout). */
void file_id_of(const char *path, int fd, struct file_id *id);
/* Both known, and the same file (devices never count as the same). */
bool file_id_same(const struct file_id *a, const struct file_id *b);
void file_id_clear(struct file_id *id);

#endif
