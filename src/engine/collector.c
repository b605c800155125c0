/* collector.c: the results thread: metrics, state filter, writer fan-out. */
#include "collector.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"

struct collector {
	const struct scan_plan *plan;
	struct bqueue *q;
	struct metrics *m;
	struct progress *pr;
	/* Held while a record is written and marked done, so a checkpoint sees
	 * outputs and progress agree. */
	pthread_mutex_t record_lock;
	void (*on_fail)(void *ud);
	void *ud;
	pthread_t thread;
	char *failure;           /* first output failure, reported once at the edge */
	bool reader_gone;        /* stdout's reader closed the pipe (| head) */
	struct statusline *status;   /* the progress line; under record_lock */
};

/* Notes where the file's last complete record ends; a regular file only. */
static void mark_good(struct output *o)
{
	if (o->good >= 0)
		o->good = ftello(o->fp);
}

static void output_failed(struct collector *r, struct output *o, int err)
{
	o->failed = true;
	/* A record that hit a full disk may be half on it: cut back to the last
	 * complete one, so the file stays valid up to there. */
	if (o->good >= 0 && ftruncate(fileno(o->fp), o->good) != 0)
		g_debug("cannot cut '%s' back to its last record: %s", o->path, g_strerror(errno));
	if (err == EPIPE && o->fp == stdout) {
		/* Not an error: whoever read our output has all they wanted.
		 * The scan stops, quietly. */
		if (!r->reader_gone && r->on_fail != NULL)
			r->on_fail(r->ud);
		r->reader_gone = true;
		return;
	}
	if (r->failure == NULL) {
		r->failure = g_strdup_printf("cannot write output '%s': %s",
					     o->path, g_strerror(err));
		if (r->on_fail != NULL)
			r->on_fail(r->ud);
	}
}

/* The findings file failed: reported like an output failure. */
static void audit_failed(struct collector *r, GError *e)
{
	if (r->failure == NULL) {
		r->failure = g_strdup(e->message);
		if (r->on_fail != NULL)
			r->on_fail(r->ud);
	}
	g_error_free(e);
}

/* One record to one output, with the progress line out of its way when
 * the record goes to its terminal. Returns the writer's answer, errno set. */
static int write_record(struct collector *r, struct output *o, const struct result *res)
{
	bool shows = o->ops->keeps == NULL || !o->ops->keeps(o->state);
	int rc, err;

	if (shows)
		statusline_row_begin(r->status, o->fp);
	errno = 0;
	rc = o->ops->write(o->state, o->fp, res);
	err = errno;
	if (shows)
		statusline_row_end(r->status, o->fp);
	errno = err;
	return rc;
}

/* Writes res to the regular files (files: true) or to the streams: pipes,
 * FIFOs, terminals (false). A state --states leaves out goes to the
 * writers that note it. */
static void write_outputs(struct collector *r, const struct result *res, bool files)
{
	for (guint i = 0; i < r->plan->outputs->len; i++) {
		struct output *o = r->plan->outputs->pdata[i];
		int (*fn)(void *, FILE *, const struct result *) =
			r->plan->states_mask & (1u << res->state) ? o->ops->write : o->ops->note;

		if (o->failed || (o->good >= 0) != files || fn == NULL)
			continue;
		/* A noted result is not shown: only a written row steps past the
		 * progress line. */
		errno = 0;
		if (fn == o->ops->write ? write_record(r, o, res) != 0 : fn(o->state, o->fp, res) != 0)
			output_failed(r, o, errno ? errno : EIO);
		else
			mark_good(o);
	}
}

static void record(struct collector *r, const struct result *res)
{
	metrics_count_result(r->m, res);
	/* The audit sees every result, whatever --states reports. */
	if (r->plan->audit != NULL) {
		GError *e = NULL;

		if (audit_result(r->plan->audit, res, &e) != 0)
			audit_failed(r, e);
	}
	write_outputs(r, res, true);
	progress_mark(r->pr, res->seq);
}

static void *results_main(void *arg)
{
	struct collector *r = arg;
	struct result *chain, *res;

	while ((chain = bqueue_pop(r->q)) != NULL) {
		pthread_mutex_lock(&r->record_lock);
		for (res = chain; res != NULL; res = res->next)
			record(r, res);
		pthread_mutex_unlock(&r->record_lock);
		/* Streams outside the lock: a reader that stops reading blocks
		 * write() here, and the second signal's checkpoint must not wait
		 * for it. A stream is never continued, so what it missed is not
		 * counted against the resume file. */
		for (res = chain; res != NULL; res = res->next)
			write_outputs(r, res, false);
		while (chain != NULL) {
			res = chain->next;
			result_free(chain);
			chain = res;
		}
	}
	return NULL;
}

void collector_set_statusline(struct collector *r, struct statusline *sl)
{
	pthread_mutex_lock(&r->record_lock);
	r->status = sl;
	pthread_mutex_unlock(&r->record_lock);
}

void collector_checkpoint(struct collector *r, void (*fn)(void *ud), void *ud)
{
	pthread_mutex_lock(&r->record_lock);
	fn(ud);
	pthread_mutex_unlock(&r->record_lock);
}

struct collector *collector_start(const struct scan_plan *plan, struct bqueue *q,
			      struct metrics *m, struct progress *pr,
			      const struct scan_meta *meta,
			      void (*on_fail)(void *ud), void *ud, GError **err)
{
	struct collector *r = g_new0(struct collector, 1);
	int rc;

	r->plan = plan;
	r->q = q;
	r->m = m;
	r->pr = pr;
	pthread_mutex_init(&r->record_lock, NULL);
	r->on_fail = on_fail;
	r->ud = ud;
	for (guint i = 0; i < plan->outputs->len; i++) {
		struct output *o = plan->outputs->pdata[i];

		errno = 0;
		if (plan->resuming && o->fp != stdout)
			o->state = o->ops->append(o->fp, meta);
		else
			o->state = o->ops->open(o->fp, meta);
		if (o->state != NULL) {
			struct stat st;

			o->good = fstat(fileno(o->fp), &st) == 0 && S_ISREG(st.st_mode) ? 0 : -1;
			mark_good(o);
		}
		if (o->state == NULL) {
			g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot %s output '%s': %s",
				    plan->resuming ? "continue" : "write", o->path,
				    errno == EINVAL ? "not a complete file of its format" :
				    g_strerror(errno ? errno : EIO));
			goto fail;
		}
	}
	rc = pthread_create(&r->thread, NULL, results_main, r);
	if (rc != 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot start the results thread: %s",
			    g_strerror(rc));
		goto fail;
	}
	return r;
fail:
	/* Writers that did open hold state we must release; their files get
	 * discarded by the caller. */
	for (guint i = 0; i < plan->outputs->len; i++) {
		struct output *o = plan->outputs->pdata[i];

		if (o->state != NULL) {
			o->ops->close(o->state, o->fp, NULL, time(NULL));
			o->state = NULL;
		}
	}
	pthread_mutex_destroy(&r->record_lock);
	g_free(r);
	return NULL;
}

void collector_join(struct collector *r)
{
	pthread_join(r->thread, NULL);
}

/* Writes the trailers of the regular files (files: true) or the streams. */
static void close_outputs(struct collector *r, const struct metrics_snapshot *summary, time_t end,
			  bool files)
{
	for (guint i = 0; i < r->plan->outputs->len; i++) {
		struct output *o = r->plan->outputs->pdata[i];

		if (o->state == NULL || (o->good >= 0) != files)
			continue;
		errno = 0;
		/* A failed output is still closed, so what it holds ends as
		 * validly as the stream allows. */
		if (o->ops->close(o->state, o->fp, o->failed ? NULL : summary, end) != 0 && !o->failed)
			output_failed(r, o, errno ? errno : EIO);
		o->state = NULL;
		if (!o->failed && fflush(o->fp) != 0)
			output_failed(r, o, errno);
		else if (!o->failed)
			mark_good(o);
	}
}

int collector_close(struct collector *r, const struct metrics_snapshot *summary, GError **err)
{
	int rc = 0;
	time_t end = time(NULL);

	/* The files' trailers under the record lock, so a checkpoint sees each
	 * file with its trailer or without; the streams' outside it, since a
	 * reader that stopped reading blocks them. */
	pthread_mutex_lock(&r->record_lock);
	close_outputs(r, summary, end, true);
	if (r->plan->audit != NULL) {
		GError *e = NULL;

		if (audit_close(r->plan->audit, &e) != 0)
			audit_failed(r, e);
	}
	pthread_mutex_unlock(&r->record_lock);
	close_outputs(r, summary, end, false);
	if (r->failure != NULL) {
		g_set_error_literal(err, PL_ERROR, PL_ERROR_RUNTIME, r->failure);
		rc = -1;
	} else if (r->reader_gone) {
		rc = COLLECTOR_READER_GONE;
	}
	return rc;
}

void collector_free(struct collector *r)
{
	if (r == NULL)
		return;
	g_free(r->failure);
	pthread_mutex_destroy(&r->record_lock);
	g_free(r);
}
