/* manifest.c: a sharded scan's output manifests (manifest.h). */
#include "manifest.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "outfile.h"
#include "textesc.h"
#include "writer.h"

/* The size and SHA-256 of the whole file. Returns 0, or -1 with errno. */
static int file_digest(const char *path, uint64_t *size, char *hex, size_t hexlen)
{
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	FILE *fp = fopen(path, "rb");
	unsigned char buf[65536];
	size_t n;
	int rc = -1, e;

	*size = 0;
	if (fp == NULL)
		goto out;
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		g_checksum_update(sum, buf, (gssize)n);
		*size += n;
	}
	if (ferror(fp)) {
		errno = errno ? errno : EIO;
		goto out;
	}
	g_strlcpy(hex, g_checksum_get_string(sum), hexlen);
	rc = 0;
out:
	e = errno;
	if (fp != NULL)
		fclose(fp);
	g_checksum_free(sum);
	errno = e;
	return rc;
}

static int put_manifest(FILE *fp, const char *output_path, const char *format,
			const struct shard_manifest *m, uint64_t size, const char *sha)
{
	char *name = g_path_get_basename(output_path);
	int rc = -1;

	if (fputs("{\"portolan\":{\"version\":", fp) == EOF ||
	    json_write_string(fp, PORTOLAN_VERSION, strlen(PORTOLAN_VERSION)) < 0 ||
	    fprintf(fp, ",\"manifest\":%d},\n \"scan_id\":\"%s\",\n \"shard\":{\"index\":%" PRIu64
		    ",\"count\":%" PRIu64 "},\n \"seed\":\"%" PRIu64 "\",\n \"format\":",
		    MANIFEST_VERSION, m->scan_id, m->shard + 1, m->nshards, m->seed) < 0 ||
	    json_write_string(fp, format, strlen(format)) < 0 ||
	    fprintf(fp, ",\n \"complete\":%s,\n \"output\":{\"name\":",
		    m->complete ? "true" : "false") < 0 ||
	    json_write_string(fp, name, strlen(name)) < 0 ||
	    fprintf(fp, ",\"size\":%" PRIu64 ",\"sha256\":\"%s\"},\n \"summary\":", size, sha) < 0 ||
	    writer_json_summary(fp, m->summary, m->end) < 0 || fputs("}\n", fp) == EOF)
		goto out;
	rc = 0;
out:
	g_free(name);
	return rc;
}

/* Writes the manifest to tmp and renames it over path. Returns 0, or -1
 * with errno set and tmp removed. */
static int write_atomically(const char *tmp, const char *path, const char *output_path,
			    const char *format, const struct shard_manifest *m, uint64_t size,
			    const char *sha)
{
	struct outfile *f = outfile_open(tmp, OUTFILE_SCRATCH, 0666);
	int e;

	if (f == NULL)
		return -1;
	errno = 0;
	if (outfile_truncate(f) != 0 || put_manifest(outfile_fp(f), output_path, format, m, size,
						     sha) != 0 ||
	    fflush(outfile_fp(f)) != 0) {
		e = errno ? errno : EIO;
		outfile_discard(f);
		errno = e;
		return -1;
	}
	if (outfile_close(f) != 0 || rename(tmp, path) != 0) {
		e = errno;
		(void)unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

int manifest_write(const char *output_path, const char *format, const struct shard_manifest *m,
		   GError **err)
{
	char *path = g_strconcat(output_path, MANIFEST_SUFFIX, NULL);
	char *tmp = g_strconcat(path, ".tmp", NULL);
	char sha[65];
	uint64_t size;
	int rc = 0;

	if (file_digest(output_path, &size, sha, sizeof(sha)) != 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME,
			    "cannot read output '%s' for its manifest: %s", output_path,
			    g_strerror(errno));
		rc = -1;
	} else if (write_atomically(tmp, path, output_path, format, m, size, sha) != 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot write manifest '%s': %s", path,
			    g_strerror(errno));
		rc = -1;
	}
	g_free(tmp);
	g_free(path);
	return rc;
}
