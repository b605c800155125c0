/* probe_db.c: the service-detection probe database.
 *
 * Probe files are YAML (the format is documented in probes/README.md).
 * Loading takes two steps: yamltree.c reads a file into a small bounded
 * tree, and probe_schema.c turns each node of it into a probe, compiling
 * every pattern once. This file holds the database itself: reading files
 * and directories, keeping probe names unique across files, committing a
 * file only when all of it loaded, and the order in which probes are tried.
 * Matching is probe_match.c's. Any problem becomes one GError line,
 * "file:line: ...", and leaves the database as it was.
 *
 * Nothing is written after loading, so any number of threads may read the
 * database at once without a lock. */

#include "probe_db.h"
#include "probe_schema.h"
#include "yamltree.h"
#include "errors.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum {
	PROBE_FILE_MAX = 4 * 1024 * 1024, /* bytes in one probe file */
};

struct probe_db {
	GPtrArray *probes;           /* struct probe *, load order; owned */
	GHashTable *names;           /* name -> struct probe *, borrowed */
};

static void probe_free_cb(gpointer p)
{
	probe_free(p);
}

struct probe_db *probe_db_new(void)
{
	struct probe_db *db = g_new0(struct probe_db, 1);

	db->probes = g_ptr_array_new_with_free_func(probe_free_cb);
	db->names = g_hash_table_new(g_str_hash, g_str_equal);
	return db;
}

void probe_db_free(struct probe_db *db)
{
	if (!db)
		return;
	g_hash_table_destroy(db->names);
	g_ptr_array_free(db->probes, TRUE);
	g_free(db);
}

size_t probe_db_count(const struct probe_db *db)
{
	return db ? db->probes->len : 0;
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */

/* Moves the probes of one file into db, keeping every name unique: a
 * clash with db or with an earlier probe of the same file fails the whole
 * file. On success db owns the probes; on failure they are freed. */
static int load_probes(struct probe_db *db, const char *name, const struct ynode *root,
		       GError **err)
{
	GPtrArray *loaded = g_ptr_array_new_with_free_func(probe_free_cb);
	GHashTable *local = g_hash_table_new(g_str_hash, g_str_equal);
	int result = -1;

	for (guint i = 0; i < root->items->len; i++) {
		const struct probe *prev;
		struct probe *p;

		p = probe_schema_parse(name, i + 1, g_ptr_array_index(root->items, i), err);
		if (!p)
			goto out;
		prev = g_hash_table_lookup(local, p->name);
		if (!prev)
			prev = g_hash_table_lookup(db->names, p->name);
		if (prev) {
			/* The probe's own line: the name's is in its origin. */
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "%s: probe '%s': duplicate probe name (first defined at %s)",
				    p->origin, p->name, prev->origin);
			probe_free(p);
			goto out;
		}
		g_hash_table_insert(local, p->name, p);
		g_ptr_array_add(loaded, p);
	}

	/* All good: the database takes the probes over. */
	for (guint i = 0; i < loaded->len; i++) {
		struct probe *p = g_ptr_array_index(loaded, i);

		g_ptr_array_add(db->probes, p);
		g_hash_table_insert(db->names, p->name, p);
	}
	g_ptr_array_set_free_func(loaded, NULL);
	result = 0;
out:
	g_hash_table_destroy(local);
	g_ptr_array_free(loaded, TRUE);
	return result;
}

int probe_db_load_string(struct probe_db *db, const char *yaml, size_t len,
			 const char *name, GError **err)
{
	struct ynode *root = NULL;
	int result = -1;

	if (!name)
		name = "<string>";
	if (!db || (!yaml && len > 0)) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s: no probe data", name);
		return -1;
	}
	if (len > PROBE_FILE_MAX) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "%s: file too large (%zu bytes, at most %d)", name, len,
			    PROBE_FILE_MAX);
		return -1;
	}
	if (yaml_read_tree(name, yaml ? yaml : "", len, &root, err) < 0)
		return -1;
	if (!root) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "%s:1: no probes: a probe file is a YAML sequence of probes", name);
		return -1;
	}
	if (probe_schema_check_root(name, root, err) == 0)
		result = load_probes(db, name, root, err);
	ynode_free(root);
	return result;
}

int probe_db_load_file(struct probe_db *db, const char *path, GError **err)
{
	struct stat st;
	char *buf = NULL;
	size_t n;
	FILE *f;
	int result = -1;

	f = fopen(path, "rb");
	if (!f) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s: %s", path, g_strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s: not a regular file", path);
		goto out;
	}
	/* One byte more than allowed tells a too-large file from a full one. */
	buf = g_malloc((size_t)PROBE_FILE_MAX + 1);
	n = fread(buf, 1, (size_t)PROBE_FILE_MAX + 1, f);
	if (ferror(f)) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s: read error", path);
		goto out;
	}
	if (n > PROBE_FILE_MAX) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "%s: file too large (more than %d bytes)", path, PROBE_FILE_MAX);
		goto out;
	}
	result = probe_db_load_string(db, buf, n, path, err);
out:
	g_free(buf);
	fclose(f);
	return result;
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct probe_db *probe_db_load_dir(const char *dir, GError **err)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	struct probe_db *db = NULL;
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s: cannot open probe directory: %s",
			    dir, g_strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' && g_str_has_suffix(de->d_name, ".yaml"))
			g_ptr_array_add(files, g_strdup(de->d_name));
	}
	closedir(d);
	if (files->len == 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s: no *.yaml probe files", dir);
		goto out;
	}
	g_ptr_array_sort(files, compare_names);

	db = probe_db_new();
	for (guint i = 0; i < files->len; i++) {
		char *path = g_build_filename(dir, g_ptr_array_index(files, i), NULL);
		int rc = probe_db_load_file(db, path, err);

		g_free(path);
		if (rc < 0) {
			probe_db_free(db);
			db = NULL;
			goto out;
		}
	}
out:
	g_ptr_array_free(files, TRUE);
	return db;
}

/* ------------------------------------------------------------------ */
/* Ordering                                                            */

bool probe_lists_port(const struct probe *p, uint16_t port)
{
	for (size_t i = 0; i < p->nports; i++) {
		if (port >= p->ports[i].lo && port <= p->ports[i].hi)
			return true;
	}
	return false;
}

static bool probe_names_service(const struct probe *p, const char *service)
{
	for (size_t i = 0; i < p->nrules; i++) {
		if (strcmp(p->rules[i].service, service) == 0)
			return true;
	}
	return false;
}

size_t probe_db_order(const struct probe_db *db, uint16_t port,
		      const char *service, const struct probe **out, size_t max)
{
	size_t n = 0;

	if (!db || !out)
		return 0;
	/* Pass 0: the banner probe(s); 1: probes listing the port; 2: the rest. */
	for (int pass = 0; pass < 3; pass++) {
		for (guint i = 0; i < db->probes->len; i++) {
			const struct probe *p = g_ptr_array_index(db->probes, i);
			int want;

			if (p->udp)
				continue;   /* a UDP scan's payload (probe_db_udp) */
			if (p->payload_len == 0)
				want = 0;
			else
				want = probe_lists_port(p, port) ? 1 : 2;
			if (want != pass)
				continue;
			if (service && !probe_names_service(p, service))
				continue;
			if (n >= max)
				return n;
			out[n++] = p;
		}
	}
	return n;
}

size_t probe_db_udp(const struct probe_db *db, uint16_t port, const struct probe **out,
		    size_t max)
{
	size_t n = 0;

	if (!db || !out)
		return 0;
	for (guint i = 0; i < db->probes->len && n < max; i++) {
		const struct probe *p = g_ptr_array_index(db->probes, i);

		if (p->udp && probe_lists_port(p, port))
			out[n++] = p;
	}
	return n;
}

bool probe_is_udp(const struct probe *p)
{
	return p->udp;
}

bool probe_reply_any_port(const struct probe *p)
{
	return p->reply_any_port;
}

const struct probe *probe_db_get(const struct probe_db *db, size_t i)
{
	return db != NULL && i < db->probes->len ? g_ptr_array_index(db->probes, i) : NULL;
}

const char *probe_name(const struct probe *p)
{
	return p->name;
}

const uint8_t *probe_payload(const struct probe *p, size_t *len)
{
	if (len)
		*len = p->payload_len;
	return p->payload;
}

unsigned probe_wait_ms(const struct probe *p)
{
	return p->wait_ms;
}

bool probe_needs_fresh_connection(const struct probe *p)
{
	return p->fresh;
}
