/* collector.c: the results thread: OS verdicts, metrics, state filter,
 * writer fan-out. */
#include "collector.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "errors.h"
#include "oshint.h"

struct collector {
	const struct scan_plan *plan;
	struct outputs *out;
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
	collector_host_row_fn *host_row;   /* set before the first result */
	void *host_row_ud;
};

/* An output failed (message NULL: stdout's reader went away). The first
 * failure is the one reported. */
static void output_failed(void *ud, const char *message)
{
	struct collector *r = ud;

	if (message == NULL) {
		if (r->on_fail != NULL)
			r->on_fail(r->ud);
		r->reader_gone = true;
		return;
	}
	if (r->failure == NULL) {
		r->failure = g_strdup(message);
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

/* Writes res to the regular files (files: true) or to the streams: pipes,
 * FIFOs, terminals (false). */
static void write_outputs(struct collector *r, const struct result *res, bool files)
{
	outputs_write(r->out, res, (r->plan->states_mask & (1u << res->state)) != 0, files,
		      r->status);
}

static void record(struct collector *r, struct result *res)
{
	/* The one place OS hints are judged: after detection (its os_hint)
	 * and the SYN receiver (its evidence), before any writer or the audit
	 * sees the result, whatever method made it. */
	oshint_finish(res);
	metrics_count_result(r->m, res);
	/* The audit sees every result, whatever --states reports. */
	if (r->plan->audit != NULL) {
		GError *e = NULL;

		if (audit_result(r->plan->audit, res, &e) != 0)
			audit_failed(r, e);
	}
	write_outputs(r, res, true);
	/* A host row put in front of its port's result (add_host_rows) leaves
	 * the mark to that result: marked twice, the second mark could land
	 * after the main thread, seeing the first, restarted the progress for
	 * the next window. */
	if (!(result_is_host_row(res) && res->next != NULL && res->next->seq == res->seq &&
	      !result_is_host_row(res->next)))
		progress_mark(r->pr, res->seq);
}

/* Puts the host row of each result that has one in front of it, in the
 * chain: recorded together, under one lock, they are done together. */
static struct result *add_host_rows(struct collector *r, struct result *chain)
{
	struct result **link = &chain;

	if (r->host_row == NULL)
		return chain;
	while (*link != NULL) {
		struct result *res = *link, *row = r->host_row(r->host_row_ud, res);

		if (row != NULL) {
			row->next = res;
			*link = row;
		}
		link = &res->next;
	}
	return chain;
}

static void *results_main(void *arg)
{
	struct collector *r = arg;
	struct result *chain, *res;

	while ((chain = bqueue_pop(r->q)) != NULL) {
		pthread_mutex_lock(&r->record_lock);
		chain = add_host_rows(r, chain);
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

void collector_set_host_rows(struct collector *r, collector_host_row_fn *fn, void *ud)
{
	pthread_mutex_lock(&r->record_lock);
	r->host_row = fn;
	r->host_row_ud = ud;
	pthread_mutex_unlock(&r->record_lock);
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

struct collector *collector_start(const struct scan_plan *plan, struct outputs *out,
				  struct bqueue *q,
			      struct metrics *m, struct progress *pr,
			      const struct scan_meta *meta,
			      void (*on_fail)(void *ud), void *ud, GError **err)
{
	struct collector *r = g_new0(struct collector, 1);
	int rc;

	r->plan = plan;
	r->out = out;
	r->q = q;
	r->m = m;
	r->pr = pr;
	pthread_mutex_init(&r->record_lock, NULL);
	r->on_fail = on_fail;
	r->ud = ud;
	if (outputs_start(out, meta, output_failed, r, err) != 0)
		goto fail;
	rc = pthread_create(&r->thread, NULL, results_main, r);
	if (rc != 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot start the results thread: %s",
			    g_strerror(rc));
		outputs_abort(out);
		goto fail;
	}
	return r;
fail:
	pthread_mutex_destroy(&r->record_lock);
	g_free(r);
	return NULL;
}

void collector_join(struct collector *r)
{
	pthread_join(r->thread, NULL);
}

int collector_close(struct collector *r, const struct metrics_snapshot *summary, GError **err)
{
	int rc = 0;
	time_t end = time(NULL);

	/* The files' trailers under the record lock, so a checkpoint sees each
	 * file with its trailer or without; the streams' outside it, since a
	 * reader that stopped reading blocks them. */
	pthread_mutex_lock(&r->record_lock);
	outputs_close(r->out, summary, end, true);
	if (r->plan->audit != NULL) {
		GError *e = NULL;

		if (audit_close(r->plan->audit, &e) != 0)
			audit_failed(r, e);
	}
	pthread_mutex_unlock(&r->record_lock);
	outputs_close(r->out, summary, end, false);
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
