/* resume.c: reading and writing resume files. */
#include "resume.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libconfig.h>

#include "errors.h"
#include "outfile.h"

/* 2: the outputs list (resume.h); 1 is still read. */
#define RESUME_FORMAT 2

/* The counts a resumed scan carries on, by key. */
#define COUNT_FIELDS(X) \
	X(probes) X(attempts) X(retries) X(resource_waits)

static int64_t get_int64(const config_setting_t *g, const char *name, bool *ok)
{
	long long v;

	if (config_setting_lookup_int64(g, name, &v) != CONFIG_TRUE) {
		int i;

		if (config_setting_lookup_int(g, name, &i) != CONFIG_TRUE) {
			*ok = false;
			return 0;
		}
		v = i;
	}
	if (v < 0)
		*ok = false;
	return v;
}

/* The window group, when there is one: 0, or -1 with *err. */
static int read_window(const char *path, const config_setting_t *g, struct resume_state *rs,
		       GError **err)
{
	const config_setting_t *w = config_setting_get_member(g, "window");
	struct resume_window *rw = &rs->window;
	const char *fp = NULL;
	bool ok = true;

	if (w == NULL)
		return 0;
	if (config_setting_is_group(w)) {
		config_setting_lookup_string(w, "fingerprint", &fp);
		rw->index = (uint64_t)get_int64(w, "index", &ok);
		rw->count = (uint64_t)get_int64(w, "count", &ok);
		rw->hosts_before = (uint64_t)get_int64(w, "hosts_before", &ok);
		rw->tasks_before = (uint64_t)get_int64(w, "tasks_before", &ok);
	}
	/* A window not begun yet has no hosts, so nothing of it is done. */
	if (!config_setting_is_group(w) || fp == NULL || !ok || rw->index >= rw->count ||
	    (fp[0] == '\0' && (rs->low != 0 || rs->ndone != 0))) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s:%d: resume window group is incomplete",
			    path, config_setting_source_line(w));
		return -1;
	}
	rw->fingerprint = g_strdup(fp);
	rs->windowed = true;
	return 0;
}

/* The outputs list of format 2: 0, or -1 with *err. */
static int read_outputs(const char *path, const config_setting_t *g, struct resume_state *rs,
			GError **err)
{
	const config_setting_t *list = config_setting_get_member(g, "outputs");
	int n = list != NULL && config_setting_is_list(list) ? config_setting_length(list) : -1;

	if (n < 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s:%d: resume outputs are missing",
			    path, config_setting_source_line(g));
		return -1;
	}
	rs->outputs = g_new0(struct resume_output, (size_t)n + 1);
	for (int i = 0; i < n; i++) {
		const config_setting_t *el = config_setting_get_elem(list, (unsigned)i);
		struct resume_output *ro = &rs->outputs[i];
		const char *p = NULL, *tail = NULL;
		long long size = -2;

		if (config_setting_is_group(el)) {
			config_setting_lookup_string(el, "path", &p);
			config_setting_lookup_string(el, "tail", &tail);
			config_setting_lookup_int64(el, "size", &size);
		}
		if (p == NULL || tail == NULL || size < -1 || (size >= 0 && strlen(tail) != 64)) {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s:%d: resume output %d is incomplete",
				    path, config_setting_source_line(el), i + 1);
			return -1;
		}
		ro->path = g_strdup(p);
		ro->size = size;
		ro->tail = g_strdup(tail);
		rs->noutputs++;
	}
	rs->outputs_recorded = true;
	return 0;
}

/* The done positions above low (rs->low and rs->total already read). */
static int read_done(const char *path, const config_setting_t *done, struct resume_state *rs,
		     GError **err)
{
	rs->ndone = (size_t)config_setting_length(done);
	rs->done = g_new0(uint64_t, rs->ndone + 1);
	for (size_t i = 0; i < rs->ndone; i++) {
		const config_setting_t *el = config_setting_get_elem(done, (unsigned)i);
		long long v = config_setting_get_int64(el);

		/* The spread bound keeps a doctored file from costing a
		 * bitmap of gigabytes; a real one never comes near it. */
		if (v < (long long)rs->low || (uint64_t)v >= rs->total ||
		    (uint64_t)v - rs->low >= PROGRESS_MAX_SPREAD) {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s:%d: done position out of range",
				    path, config_setting_source_line(el));
			return -1;
		}
		rs->done[i] = (uint64_t)v;
	}
	return 0;
}

/* The counts the summary of the interrupted run had reached. */
static int read_counts(const char *path, const config_setting_t *counts, struct resume_state *rs,
		       GError **err)
{
	bool ok = true;
	double el = 0;

#define READ_COUNT(f) rs->counts.f = (uint64_t)get_int64(counts, #f, &ok);
	COUNT_FIELDS(READ_COUNT)
#undef READ_COUNT
	for (int st = 0; st < STATE_COUNT; st++) {
		const char *name = port_state_name((enum port_state)st);

		/* Host rows came with discovery: an older file has no count. */
		if (st >= STATE_UP && config_setting_get_member(counts, name) == NULL)
			continue;
		rs->counts.state[st] = (uint64_t)get_int64(counts, name, &ok);
	}
	/* Written since self-connects were counted apart; an older file has
	 * none, and counted them as retries. */
	if (config_setting_get_member(counts, "self_connects") != NULL)
		rs->counts.self_connects = (uint64_t)get_int64(counts, "self_connects", &ok);
	if (config_setting_lookup_float(counts, "elapsed_s", &el) != CONFIG_TRUE || el < 0)
		ok = false;
	rs->counts.elapsed_s = el;
	if (!ok) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s:%d: resume counts are incomplete",
			    path, config_setting_source_line(counts));
		return -1;
	}
	return 0;
}

int resume_read(const char *path, struct resume_state *rs, GError **err)
{
	config_t cfg;
	const config_setting_t *g, *done, *counts;
	const char *fp = NULL;
	bool ok = true;
	int64_t format;
	int rc = -1;

	memset(rs, 0, sizeof(*rs));
	config_init(&cfg);
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			/* libconfig opens a directory and reads nothing, errno 0. */
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "cannot read resume file '%s': %s",
				    path, g_strerror(g_file_test(path, G_FILE_TEST_IS_DIR) ? EISDIR : errno));
		else
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s:%d: %s", path,
				    config_error_line(&cfg), config_error_text(&cfg));
		goto out;
	}
	g = config_lookup(&cfg, "resume");
	if (g == NULL || !config_setting_is_group(g)) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "%s: not a resume file (no resume group)", path);
		goto out;
	}
	format = get_int64(g, "format", &ok);
	if ((format != 1 && format != RESUME_FORMAT) || !ok) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "%s:%d: unsupported resume format", path, config_setting_source_line(g));
		goto out;
	}
	config_setting_lookup_string(g, "fingerprint", &fp);
	rs->total = (uint64_t)get_int64(g, "total", &ok);
	rs->low = (uint64_t)get_int64(g, "low", &ok);
	done = config_setting_get_member(g, "done");
	counts = config_setting_get_member(g, "counts");
	if (fp == NULL || !ok || done == NULL || counts == NULL || rs->low > rs->total) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s:%d: resume group is incomplete",
			    path, config_setting_source_line(g));
		goto out;
	}
	rs->fingerprint = g_strdup(fp);
	if (read_done(path, done, rs, err) != 0 || read_counts(path, counts, rs, err) != 0)
		goto out;
	if (read_window(path, g, rs, err) != 0)
		goto out;
	if (format >= 2 && read_outputs(path, g, rs, err) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		resume_state_clear(rs);
	config_destroy(&cfg);
	return rc;
}

void resume_state_clear(struct resume_state *rs)
{
	g_free(rs->fingerprint);
	g_free(rs->done);
	g_free(rs->window.fingerprint);
	for (size_t i = 0; i < rs->noutputs; i++)
		resume_output_clear(&rs->outputs[i]);
	g_free(rs->outputs);
	memset(rs, 0, sizeof(*rs));
}

static void add_int64(config_setting_t *g, const char *name, uint64_t v)
{
	config_setting_t *cs = config_setting_add(g, name, CONFIG_TYPE_INT64);

	if (cs != NULL)
		config_setting_set_int64(cs, (long long)v);
}

static void write_outputs(config_setting_t *g, const struct resume_output *outputs, size_t n)
{
	config_setting_t *list = config_setting_add(g, "outputs", CONFIG_TYPE_LIST), *cs;

	for (size_t i = 0; list != NULL && i < n; i++) {
		config_setting_t *o = config_setting_add(list, NULL, CONFIG_TYPE_GROUP);

		if (o == NULL)
			return;
		cs = config_setting_add(o, "path", CONFIG_TYPE_STRING);
		config_setting_set_string(cs, outputs[i].path);
		cs = config_setting_add(o, "size", CONFIG_TYPE_INT64);
		config_setting_set_int64(cs, (long long)outputs[i].size);
		cs = config_setting_add(o, "tail", CONFIG_TYPE_STRING);
		config_setting_set_string(cs, outputs[i].tail != NULL ? outputs[i].tail : "");
	}
}

/* Writes cfg to tmp, then renames it over path, so a reader sees the old
 * file or the new one, never half of one. Returns 0, or -1 with errno set
 * and tmp removed. */
static int write_atomically(const config_t *cfg, const char *path, const char *tmp)
{
	/* Mode 0666 less the umask, as fopen() would create it. */
	struct outfile *f = outfile_open(tmp, OUTFILE_SCRATCH, 0666);
	int e;

	errno = 0;
	if (f == NULL)
		return -1;
	if (outfile_truncate(f) != 0)
		goto fail;
	config_write(cfg, outfile_fp(f));
	if (fflush(outfile_fp(f)) != 0 || ferror(outfile_fp(f)))
		goto fail;
	if (outfile_close(f) != 0 || rename(tmp, path) != 0) {
		e = errno;
		(void)unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
fail:
	e = errno;
	outfile_discard(f);
	errno = e;
	return -1;
}

int resume_write(const char *path, const struct settings *s, const char *fingerprint,
		 uint64_t total, struct progress *pr, const struct metrics_snapshot *counts,
		 const struct resume_window *window, const struct resume_output *outputs,
		 size_t noutputs, GError **err)
{
	config_t cfg;
	config_setting_t *root, *g, *done, *c, *cs;
	uint64_t *positions = NULL, low;
	size_t n = 0;
	char *tmp = g_strdup_printf("%s.tmp", path);
	int rc = -1;

	config_init(&cfg);
	root = config_root_setting(&cfg);
	settings_save(s, root);
	g = config_setting_add(root, "resume", CONFIG_TYPE_GROUP);
	add_int64(g, "format", RESUME_FORMAT);
	cs = config_setting_add(g, "fingerprint", CONFIG_TYPE_STRING);
	config_setting_set_string(cs, fingerprint);
	add_int64(g, "total", total);
	low = progress_snapshot(pr, &positions, &n);
	add_int64(g, "low", low);
	done = config_setting_add(g, "done", CONFIG_TYPE_ARRAY);
	for (size_t i = 0; i < n; i++) {
		config_setting_t *el = config_setting_add(done, NULL, CONFIG_TYPE_INT64);

		config_setting_set_int64(el, (long long)positions[i]);
	}
	c = config_setting_add(g, "counts", CONFIG_TYPE_GROUP);
#define WRITE_COUNT(f) add_int64(c, #f, counts->f);
	COUNT_FIELDS(WRITE_COUNT)
#undef WRITE_COUNT
	add_int64(c, "self_connects", counts->self_connects);
	for (int st = 0; st < STATE_COUNT; st++)
		add_int64(c, port_state_name((enum port_state)st), counts->state[st]);
	cs = config_setting_add(c, "elapsed_s", CONFIG_TYPE_FLOAT);
	config_setting_set_float(cs, counts->elapsed_s);
	if (window != NULL) {
		config_setting_t *w = config_setting_add(g, "window", CONFIG_TYPE_GROUP);

		add_int64(w, "index", window->index);
		add_int64(w, "count", window->count);
		cs = config_setting_add(w, "fingerprint", CONFIG_TYPE_STRING);
		config_setting_set_string(cs, window->fingerprint != NULL ? window->fingerprint : "");
		add_int64(w, "hosts_before", window->hosts_before);
		add_int64(w, "tasks_before", window->tasks_before);
	}
	write_outputs(g, outputs, noutputs);

	if (write_atomically(&cfg, path, tmp) != 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot write resume file '%s': %s",
			    path, g_strerror(errno ? errno : EIO));
		goto out;
	}
	rc = 0;
out:
	g_free(positions);
	g_free(tmp);
	config_destroy(&cfg);
	return rc;
}

/* The hex SHA-256 of the last RESUME_TAIL bytes of a file of size bytes
 * open on fd, or NULL with errno set. */
static char *tail_digest(int fd, int64_t size)
{
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	unsigned char buf[RESUME_TAIL];
	off_t off = size > RESUME_TAIL ? (off_t)(size - RESUME_TAIL) : 0;
	char *hex = NULL;

	while (off < size) {
		ssize_t n = pread(fd, buf, (size_t)(size - off), off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;     /* cut while we read it */
			goto out;
		}
		g_checksum_update(sum, buf, n);
		off += n;
	}
	hex = g_strdup(g_checksum_get_string(sum));
out:
	g_checksum_free(sum);
	return hex;
}

int resume_output_note(struct resume_output *ro, const char *path, int fd)
{
	struct stat st;

	memset(ro, 0, sizeof(*ro));
	ro->path = g_strdup(path);
	ro->size = -1;
	if (fstat(fd, &st) != 0)
		return -1;
	if (!S_ISREG(st.st_mode))
		return 0;
	ro->size = (int64_t)st.st_size;
	ro->tail = tail_digest(fd, ro->size);
	return ro->tail != NULL ? 0 : -1;
}

void resume_output_clear(struct resume_output *ro)
{
	g_free(ro->path);
	g_free(ro->tail);
	memset(ro, 0, sizeof(*ro));
}

void resume_outputs_free(struct resume_output *ros, size_t n)
{
	while (ros != NULL && n > 0)
		resume_output_clear(&ros[--n]);
	g_free(ros);
}

/* The file at path against its record: NULL when it matches, else why not. */
static char *output_differs(const struct resume_output *ro)
{
	struct stat st;
	char *tail = NULL, *why = NULL;
	int fd;

	if (stat(ro->path, &st) != 0)
		return errno == ENOENT ?
		       g_strdup_printf("it is missing (it held %" PRId64 " bytes)", ro->size) :
		       g_strdup(g_strerror(errno));
	if (!S_ISREG(st.st_mode))
		return g_strdup("it is no longer a regular file");
	if ((int64_t)st.st_size < ro->size)
		return g_strdup_printf("it is shorter than recorded (%" PRId64 " bytes, now %" PRId64
				       "): it changed since", ro->size, (int64_t)st.st_size);
	if ((int64_t)st.st_size > ro->size)
		return g_strdup_printf("it is longer than recorded (%" PRId64 " bytes, now %" PRId64
				       "): a scan continued it since, from this resume file or a "
				       "copy", ro->size, (int64_t)st.st_size);
	fd = open(ro->path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || (tail = tail_digest(fd, ro->size)) == NULL)
		why = g_strdup(g_strerror(errno));
	else if (strcmp(tail, ro->tail) != 0)
		why = g_strdup("its last bytes differ from the record: it changed since");
	if (fd != -1)
		close(fd);
	g_free(tail);
	return why;
}

int resume_check_output(const struct resume_state *rs, const char *resume_path,
			const char *path, GError **err)
{
	const struct resume_output *ro = NULL;
	char *why;

	/* A format 1 file recorded no outputs: nothing to check against. */
	if (!rs->outputs_recorded)
		return 0;
	for (size_t i = 0; i < rs->noutputs && ro == NULL; i++)
		if (strcmp(rs->outputs[i].path, path) == 0)
			ro = &rs->outputs[i];
	if (ro == NULL) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "cannot resume into '%s' from '%s': no such output was recorded (it "
			    "would hold only the rest of the scan)", path, resume_path);
		return -1;
	}
	if (ro->size < 0)
		return 0;
	why = output_differs(ro);
	if (why == NULL)
		return 0;
	g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "cannot resume into '%s' from '%s': %s", path,
		    resume_path, why);
	g_free(why);
	return -1;
}
