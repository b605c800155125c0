/* targetwin.c: the specs of a scan, read a window at a time.
 *
 * A reader walks the specs in order: the ones given (held in memory by the
 * settings anyway), then the targets file's, through specfile.c. It only
 * goes forward; going back means rewinding the file. The first pass checks
 * and counts; each later pass (the exact max-hosts check, the windows of
 * the scan) rewinds and reads again. Nothing but the current window's set
 * and the exclusions is ever held. */
#include "targetwin.h"

#include <string.h>

#include "errors.h"
#include "specfile.h"

struct target_windows {
	char *const *specs;       /* the targets given; borrowed from the settings */
	size_t nspecs;
	char *path;               /* the targets file, or NULL */
	struct spec_file *file;   /* opened when the reader first reaches it */
	uint64_t size;            /* W: specs per window */
	uint64_t max_hosts;
	uint64_t total;           /* specs in all */
	uint64_t count;           /* windows */
	bool suspect;             /* a window's literals exceed max-hosts before exclusions */
	struct target_set *exclusions;   /* resolved; owned */
	enum target_family family;
	/* The reader. */
	uint64_t pos;             /* index of the next spec */
	bool from_file;           /* the last spec came from the file */
	/* What the window being read spans, for messages. */
	bool win_given;           /* it holds specs given on the command line or config */
	unsigned long win_first, win_last;   /* its file lines; 0: none */
	/* The window target_windows_preload read, until target_windows_load
	 * hands it out. */
	struct target_set *pre;
	char *pre_digest;
	uint64_t pre_index;
};

/* ---- the reader ---- */

static int open_file(struct target_windows *tw, GError **err)
{
	if (tw->file != NULL || tw->path == NULL)
		return 0;
	tw->file = spec_file_open(tw->path, true, err);
	return tw->file != NULL ? 0 : -1;
}

/* The next spec: 1 with *spec, 0 at the end, -1 with *err. */
static int next_spec(struct target_windows *tw, const char **spec, GError **err)
{
	int rc;

	if (tw->pos < tw->nspecs) {
		*spec = tw->specs[tw->pos++];
		tw->from_file = false;
		tw->win_given = true;
		return 1;
	}
	if (tw->path == NULL)
		return 0;
	if (open_file(tw, err) != 0)
		return -1;
	rc = spec_file_next(tw->file, spec, err);
	if (rc <= 0)
		return rc;
	tw->pos++;
	tw->from_file = true;
	tw->win_last = spec_file_line(tw->file);
	if (tw->win_first == 0)
		tw->win_first = tw->win_last;
	return 1;
}

static int rewind_specs(struct target_windows *tw, GError **err)
{
	tw->pos = 0;
	if (tw->file != NULL && spec_file_rewind(tw->file, err) != 0)
		return -1;
	return 0;
}

/* Starts a window: the next specs read are its own. */
static void window_begin(struct target_windows *tw)
{
	tw->win_given = false;
	tw->win_first = tw->win_last = 0;
}

/* "hosts.txt lines 1-99 (window 1 of 3)", for a window just read. */
static char *window_name(const struct target_windows *tw, uint64_t k)
{
	GString *s = g_string_new(NULL);
	const char *label = tw->file != NULL ? spec_file_label(tw->file) : "";

	if (tw->win_given)
		g_string_append(s, "the targets given");
	if (tw->win_given && tw->win_first != 0)
		g_string_append(s, " and ");
	if (tw->win_first != 0 && tw->win_first == tw->win_last)
		g_string_append_printf(s, "%s line %lu", label, tw->win_first);
	else if (tw->win_first != 0)
		g_string_append_printf(s, "%s lines %lu-%lu", label, tw->win_first, tw->win_last);
	g_string_append_printf(s, " (window %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT ")",
			       k + 1, tw->count);
	return g_string_free(s, FALSE);
}

/* Adds the spec just read to ts; a file's spec errs with its line. */
static int add_read_spec(struct target_windows *tw, struct target_set *ts, const char *spec,
			 GError **err)
{
	if (target_set_add(ts, spec, err) == 0)
		return 0;
	if (tw->from_file)
		g_prefix_error(err, "%s:%lu: ", spec_file_label(tw->file),
			       spec_file_line(tw->file));
	return -1;
}

/* Reads the specs of the window that starts at the reader's position into
 * ts: 0, or -1 with *err. */
static int read_window(struct target_windows *tw, struct target_set *ts, GError **err)
{
	uint64_t end = tw->pos + tw->size;
	const char *spec;
	int rc;

	window_begin(tw);
	while (tw->pos < end && (rc = next_spec(tw, &spec, err)) != 0) {
		if (rc < 0 || add_read_spec(tw, ts, spec, err) != 0)
			return -1;
	}
	return 0;
}

/* ---- the first pass ---- */

/* A window's literal specs against max-hosts, before exclusions: over it,
 * the window is checked again once the exclusions are known. */
static void note_size(struct target_windows *tw, const struct target_set *ts)
{
	if (target_set_check_literals(ts, tw->max_hosts, NULL) != 0)
		tw->suspect = true;
}

struct target_windows *target_windows_open(char *const *specs, size_t nspecs,
					   const char *path, uint64_t size,
					   uint64_t max_hosts,
					   struct target_set **single, GError **err)
{
	struct target_windows *tw = g_new0(struct target_windows, 1);
	struct target_set *cur = target_set_new();
	const char *spec;
	int rc;

	*single = NULL;
	tw->specs = specs;
	tw->nspecs = nspecs;
	tw->path = g_strdup(path);
	tw->size = size > 0 ? size : 1;
	tw->max_hosts = max_hosts;
	/* Every spec goes into a set, so it is checked exactly as the scan
	 * will read it; a set holds one window, and the first one is kept in
	 * case it is the only one. */
	while ((rc = next_spec(tw, &spec, err)) > 0) {
		if (tw->pos > 1 && (tw->pos - 1) % tw->size == 0) {
			note_size(tw, cur);
			target_set_free(cur);
			cur = target_set_new();
		}
		if (add_read_spec(tw, cur, spec, err) != 0)
			goto fail;
	}
	if (rc < 0)
		goto fail;
	tw->total = tw->pos;
	tw->count = tw->total == 0 ? 0 : (tw->total - 1) / tw->size + 1;
	if (tw->count <= 1) {
		*single = cur;
		return tw;
	}
	note_size(tw, cur);
	target_set_free(cur);
	return tw;
fail:
	target_set_free(cur);
	target_windows_free(tw);
	return NULL;
}

void target_windows_free(struct target_windows *tw)
{
	if (tw == NULL)
		return;
	spec_file_close(tw->file);
	target_set_free(tw->pre);
	g_free(tw->pre_digest);
	target_set_free(tw->exclusions);
	g_free(tw->path);
	g_free(tw);
}

uint64_t target_windows_specs(const struct target_windows *tw)
{
	return tw->total;
}

uint64_t target_windows_count(const struct target_windows *tw)
{
	return tw->count;
}

/* ---- exclusions and the exact size check ---- */

static int check_windows(struct target_windows *tw, GError **err)
{
	int rc = -1;

	if (rewind_specs(tw, err) != 0)
		return -1;
	for (uint64_t k = 0; k < tw->count; k++) {
		struct target_set *ts = target_set_new_window(tw->exclusions);

		if (read_window(tw, ts, err) != 0 ||
		    target_set_check_literals(ts, tw->max_hosts, err) != 0) {
			char *name = window_name(tw, k);

			g_prefix_error(err, "%s: ", name);
			g_free(name);
			target_set_free(ts);
			goto out;
		}
		target_set_free(ts);
	}
	rc = 0;
out:
	return rc;
}

int target_windows_exclude(struct target_windows *tw, struct target_set *exclusions,
			   enum target_family family, GError **err)
{
	target_set_free(tw->exclusions);
	tw->exclusions = exclusions;
	tw->family = family;
	target_set_resolve_exclusions(exclusions);
	return tw->suspect ? check_windows(tw, err) : 0;
}

const char *target_windows_file_digest(struct target_windows *tw)
{
	return tw->file != NULL ? spec_file_digest(tw->file) : "";
}

void target_windows_digest(struct target_windows *tw, GChecksum *sum)
{
	static const char tag[] = "portolan target windows";
	uint64_t words[4] = { tw->size, tw->total, (uint64_t)tw->nspecs, (uint64_t)tw->family };
	const char *file = tw->file != NULL ? spec_file_digest(tw->file) : "";

	g_checksum_update(sum, (const guchar *)tag, sizeof(tag));
	g_checksum_update(sum, (const guchar *)words, sizeof(words));
	for (size_t i = 0; i < tw->nspecs; i++)
		g_checksum_update(sum, (const guchar *)tw->specs[i],
				  (gssize)strlen(tw->specs[i]) + 1);
	g_checksum_update(sum, (const guchar *)file, (gssize)strlen(file) + 1);
	if (tw->exclusions != NULL)
		target_set_digest_exclusions(tw->exclusions, sum);
}

/* ---- the windows of the scan ---- */

static int load_window(struct target_windows *tw, uint64_t k, struct target_set **ts,
		       char **digest, GError **err)
{
	uint64_t start = k * tw->size;
	struct target_set *set = NULL;
	const char *spec;
	char *name;
	int rc;

	*ts = NULL;
	if (tw->pos > start && rewind_specs(tw, err) != 0)
		return -1;
	/* Windows already scanned (a resumed scan) are passed over unread. */
	while (tw->pos < start) {
		rc = next_spec(tw, &spec, err);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "'%s' holds fewer targets than before: it changed", tw->path);
			return -1;
		}
	}
	set = target_set_new_window(tw->exclusions);
	if (read_window(tw, set, err) != 0 ||
	    target_set_finalize(set, tw->family, tw->max_hosts, err) != 0) {
		name = window_name(tw, k);
		g_prefix_error(err, "%s: ", name);
		g_free(name);
		target_set_free(set);
		return -1;
	}
	if (digest != NULL) {
		GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);

		target_set_digest(set, sum);
		*digest = g_strdup(g_checksum_get_string(sum));
		g_checksum_free(sum);
	}
	*ts = set;
	return 0;
}

int target_windows_load(struct target_windows *tw, uint64_t k, struct target_set **ts,
			char **digest, GError **err)
{
	g_return_val_if_fail(k < tw->count, -1);
	if (tw->pre != NULL && tw->pre_index == k) {
		*ts = tw->pre;
		tw->pre = NULL;
		if (digest != NULL)
			*digest = tw->pre_digest;
		else
			g_free(tw->pre_digest);
		tw->pre_digest = NULL;
		return 0;
	}
	return load_window(tw, k, ts, digest, err);
}

int target_windows_preload(struct target_windows *tw, uint64_t k, GError **err)
{
	g_return_val_if_fail(k < tw->count && tw->pre == NULL, -1);
	if (load_window(tw, k, &tw->pre, &tw->pre_digest, err) != 0)
		return -1;
	tw->pre_index = k;
	return 0;
}

const struct target_set *target_windows_preloaded(const struct target_windows *tw,
						  const char **digest)
{
	if (digest != NULL)
		*digest = tw->pre_digest;
	return tw->pre;
}

uint64_t target_windows_seed(uint64_t seed, uint64_t k)
{
	uint64_t z;

	if (seed == 0)
		return 0;
	/* A splitmix64 step over the seed and the window number. */
	z = seed + (k + 1) * UINT64_C(0x9e3779b97f4a7c15);
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	z ^= z >> 31;
	return z != 0 ? z : 1;
}
