/* outputs.c: a run's open outputs and their writers (see outputs.h). */
#include "outputs.h"

#include <errno.h>
#include <string.h>

#include "errors.h"
#include "manifest.h"
#include "outfile.h"
#include "resume.h"
#include "statusline.h"

struct output {
	const struct writer_ops *ops;
	struct outfile *file;
	void *state;             /* the writer's, between start and close */
	bool failed;             /* a write failed: no more writes to it */
};

struct outputs {
	struct output *v;
	size_t n;
	bool resuming;
	bool reader_gone;        /* stdout's reader closed the pipe (| head) */
	outputs_failed_fn failed;
	void *ud;
};

static void release(struct outputs *o, bool discard)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < o->n; i++) {
		if (discard)
			outfile_discard(o->v[i].file);
		else
			(void)outfile_close(o->v[i].file);
	}
	g_free(o->v);
	g_free(o);
}

void outputs_discard(struct outputs *o)
{
	release(o, true);
}

void outputs_free(struct outputs *o)
{
	release(o, false);
}

struct outputs *outputs_open(const GPtrArray *specs, bool resuming, GError **err)
{
	struct outputs *o = g_new0(struct outputs, 1);
	/* Read access lets a resumed scan's writer find where its document
	 * left off. */
	unsigned flags = OUTFILE_DASH_STDOUT | OUTFILE_READ | (resuming ? OUTFILE_CONTINUE : 0);

	o->resuming = resuming;
	o->v = g_new0(struct output, specs->len + 1);
	for (guint i = 0; i < specs->len; i++) {
		const struct output_spec *spec = specs->pdata[i];
		struct output *out = &o->v[o->n];

		out->ops = spec->ops;
		out->file = outfile_open(spec->path, flags, 0644);
		if (out->file == NULL) {
			g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot write output '%s': %s",
				    spec->path, g_strerror(errno));
			outputs_discard(o);
			return NULL;
		}
		o->n++;
	}
	return o;
}

int outputs_truncate(struct outputs *o, GError **err)
{
	for (size_t i = 0; i < o->n; i++) {
		if (outfile_truncate(o->v[i].file) != 0) {
			g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot write output '%s': %s",
				    outfile_path(o->v[i].file), g_strerror(errno));
			return -1;
		}
	}
	return 0;
}

int outputs_start(struct outputs *o, const struct scan_meta *meta, outputs_failed_fn failed,
		  void *ud, GError **err)
{
	o->failed = failed;
	o->ud = ud;
	for (size_t i = 0; i < o->n; i++) {
		struct output *out = &o->v[i];
		FILE *fp = outfile_fp(out->file);

		errno = 0;
		if (o->resuming && !outfile_is_stdout(out->file))
			out->state = out->ops->append(fp, meta);
		else
			out->state = out->ops->open(fp, meta);
		if (out->state != NULL) {
			outfile_mark(out->file);
			continue;
		}
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot %s output '%s': %s",
			    o->resuming ? "continue" : "write", outfile_path(out->file),
			    errno == EINVAL ? "not a complete file of its format" :
			    g_strerror(errno ? errno : EIO));
		goto fail;
	}
	return 0;
fail:
	outputs_abort(o);
	return -1;
}

void outputs_abort(struct outputs *o)
{
	/* Writers that did start hold state we must release; the files are
	 * the caller's to discard. */
	for (size_t i = 0; i < o->n; i++) {
		struct output *out = &o->v[i];

		if (out->state != NULL) {
			out->ops->close(out->state, outfile_fp(out->file), NULL, time(NULL));
			out->state = NULL;
		}
	}
}

static void output_failed(struct outputs *o, struct output *out, int err)
{
	char *msg;

	out->failed = true;
	/* A record that hit a full disk may be half on it: cut back to the last
	 * complete one, so the file stays valid up to there. */
	outfile_cut(out->file);
	if (err == EPIPE && outfile_is_stdout(out->file)) {
		/* Not an error: whoever read our output has all they wanted.
		 * The scan stops, quietly. */
		if (!o->reader_gone && o->failed != NULL)
			o->failed(o->ud, NULL);
		o->reader_gone = true;
		return;
	}
	msg = g_strdup_printf("cannot write output '%s': %s", outfile_path(out->file),
			      g_strerror(err));
	if (o->failed != NULL)
		o->failed(o->ud, msg);
	g_free(msg);
}

/* One record to one output, with the progress line out of its way when
 * the record goes to its terminal. Returns the writer's answer, errno set. */
static int write_record(struct output *out, const struct result *res, struct statusline *sl)
{
	FILE *fp = outfile_fp(out->file);
	bool shows = out->ops->keeps == NULL || !out->ops->keeps(out->state);
	int rc, err;

	if (shows)
		statusline_row_begin(sl, fp);
	errno = 0;
	rc = out->ops->write(out->state, fp, res);
	err = errno;
	if (shows)
		statusline_row_end(sl, fp);
	errno = err;
	return rc;
}

void outputs_write(struct outputs *o, const struct result *res, bool reported, bool files,
		   struct statusline *sl)
{
	for (size_t i = 0; i < o->n; i++) {
		struct output *out = &o->v[i];
		int (*fn)(void *, FILE *, const struct result *) =
			reported ? out->ops->write : out->ops->note;

		if (out->failed || outfile_is_regular(out->file) != files || fn == NULL)
			continue;
		/* A noted result is not shown: only a written row steps past the
		 * progress line. */
		errno = 0;
		if (reported ? write_record(out, res, sl) != 0
			     : fn(out->state, outfile_fp(out->file), res) != 0)
			output_failed(o, out, errno ? errno : EIO);
		else
			outfile_mark(out->file);
	}
}

void outputs_close(struct outputs *o, const struct metrics_snapshot *summary, time_t end,
		   bool files)
{
	for (size_t i = 0; i < o->n; i++) {
		struct output *out = &o->v[i];
		FILE *fp = outfile_fp(out->file);

		if (out->state == NULL || outfile_is_regular(out->file) != files)
			continue;
		errno = 0;
		/* A failed output is still closed, so what it holds ends as
		 * validly as the stream allows. */
		if (out->ops->close(out->state, fp, out->failed ? NULL : summary, end) != 0 &&
		    !out->failed)
			output_failed(o, out, errno ? errno : EIO);
		out->state = NULL;
		if (!out->failed && fflush(fp) != 0)
			output_failed(o, out, errno);
		else if (!out->failed)
			outfile_mark(out->file);
	}
}

int outputs_note(const struct outputs *o, struct resume_output **ros, size_t *n, GError **err)
{
	*ros = g_new0(struct resume_output, o->n + 1);
	*n = 0;
	/* stdout is never continued. */
	for (size_t i = 0; i < o->n; i++) {
		const struct outfile *f = o->v[i].file;

		if (outfile_is_stdout(f))
			continue;
		if (resume_output_note(&(*ros)[(*n)++], outfile_path(f), fileno(outfile_fp(f))) != 0) {
			g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot read output '%s': %s",
				    outfile_path(f), g_strerror(errno));
			resume_outputs_free(*ros, *n);
			*ros = NULL;
			*n = 0;
			return -1;
		}
	}
	return 0;
}

int outputs_manifests(const struct outputs *o, const struct shard_manifest *m, GError **err)
{
	int rc = 0;

	for (size_t i = 0; i < o->n; i++) {
		const struct output *out = &o->v[i];

		/* A stream's bytes are gone: there is nothing to hash. */
		if (outfile_is_stdout(out->file) || !outfile_is_regular(out->file))
			continue;
		if (manifest_write(outfile_path(out->file), out->ops->name, m,
				   rc == 0 ? err : NULL) != 0)
			rc = -1;
	}
	return rc;
}
