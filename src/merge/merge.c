/* merge.c: `portolan merge` (see merge.h): check the shards, then stream
 * their rows through the audit and the normal writers. */
#include "merge.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <libconfig.h>

#include "audit.h"
#include "baseline.h"
#include "errors.h"
#include "fileid.h"
#include "manifest_read.h"
#include "outputs.h"
#include "rowread.h"
#include "settings.h"
#include "textesc.h"
#include "writer.h"

struct shard {
	char *path;
	char *manifest_path;
	struct manifest m;
	enum row_format fmt;
};

struct merge {
	/* options */
	GPtrArray *inputs;          /* char *, as given */
	GPtrArray *specs;           /* struct output_spec * */
	const char *config, *baseline, *findings;
	bool quiet;
	/* the run */
	struct shard *shards;       /* inputs->len of them, sorted by index */
	size_t n;
	struct audit *audit;
	struct outputs *outputs;
	char *output_error;         /* the first output failure (g_free) */
	GError *audit_error;        /* the findings file failed */
};

static const char usage_text[] =
	"Usage: portolan merge FILE... [-o OUT]... [-c CONFIG] [--baseline FILE]\n"
	"                      [--findings FILE] [-q]\n"
	"\n"
	"Merges the outputs of a sharded scan (--shard I/N) into one scan's outputs.\n"
	"Each FILE is one shard's .csv, .json or .jsonl output, with its manifest\n"
	"FILE" MANIFEST_SUFFIX " next to it. Every shard 1..N of one scan must be given\n"
	"exactly once, complete and as its manifest describes it; otherwise nothing\n"
	"is written and the problems are named (exit 2).\n"
	"\n"
	"  -o, --output FILE    write FILE, its format from its extension\n"
	"                       ({formats}); - is the table on stdout (the\n"
	"                       default); may be repeated\n"
	"  -c, --config FILE    audit with the policy (and service-detection) of FILE\n"
	"      --baseline FILE  report differences from an earlier scan's JSON output\n"
	"      --findings FILE  write the audit's findings to FILE\n"
	"                       ({findings-files})\n"
	"  -q, --quiet          no summary on stderr\n"
	"  -h, --help           this help\n"
	"\n"
	"Exit status: 0 merged, 1 audit findings, 2 usage or input error (a shard\n"
	"missing, given twice, partial or incomplete, or of another scan), 3 an\n"
	"output could not be written.\n";

static void output_spec_free(gpointer data)
{
	struct output_spec *o = data;

	g_free(o->path);
	g_free(o);
}

static int add_output(struct merge *mg, const char *path, GError **err)
{
	struct output_spec *o = g_new0(struct output_spec, 1);
	char q[TEXT_QUOTE_SIZE];

	o->ops = strcmp(path, "-") == 0 ? &writer_table : writer_for_filename(path);
	if (o->ops == NULL) {
		char *choice = writer_extension_choice(false);

		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "merge: cannot tell the format of output '%s': name it %s",
			    text_quote(q, path), choice);
		g_free(choice);
		g_free(o);
		return -1;
	}
	o->path = g_strdup(path);
	g_ptr_array_add(mg->specs, o);
	return 0;
}

enum { OPT_BASELINE = 256, OPT_FINDINGS };

/* Returns 0, 1 after --help, or -1 with *err. */
static int parse_args(struct merge *mg, int argc, char **argv, GError **err)
{
	static const struct option longs[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "config", required_argument, NULL, 'c' },
		{ "baseline", required_argument, NULL, OPT_BASELINE },
		{ "findings", required_argument, NULL, OPT_FINDINGS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:c:qh", longs, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (add_output(mg, optarg, err) != 0)
				return -1;
			break;
		case 'c': mg->config = optarg; break;
		case OPT_BASELINE: mg->baseline = optarg; break;
		case OPT_FINDINGS: mg->findings = optarg; break;
		case 'q': mg->quiet = true; break;
		case 'h': {
			char *help = writer_help(usage_text);

			fputs(help, stdout);
			g_free(help);
			return 1;
		}
		case ':':
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "merge: option '%s' needs a value "
				    "(portolan merge --help)", argv[optind - 1]);
			return -1;
		default:
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "merge: unknown option '%s' "
				    "(portolan merge --help)", argv[optind - 1]);
			return -1;
		}
	}
	for (int i = optind; i < argc; i++)
		g_ptr_array_add(mg->inputs, argv[i]);
	if (mg->inputs->len == 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "merge: no shard outputs given "
			    "(portolan merge FILE... -o OUT; --help)");
		return -1;
	}
	if (mg->specs->len == 0)
		return add_output(mg, "-", err);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The shards and their manifests                                       */

static void problem(GString *problems, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void problem(GString *problems, const char *fmt, ...)
{
	va_list ap;

	if (problems->len > 0)
		g_string_append_c(problems, '\n');
	va_start(ap, fmt);
	g_string_append_vprintf(problems, fmt, ap);
	va_end(ap);
}

/* One shard's own checks: its manifest, format, completeness and file. */
static bool check_one(struct shard *sh, GString *problems)
{
	GError *e = NULL;
	char *why = NULL;
	int rc;

	if (manifest_read(sh->manifest_path, &sh->m, &e) != 0) {
		problem(problems, "%s: no usable manifest: %s", sh->path, e->message);
		g_error_free(e);
		return false;
	}
	if (!row_format_parse(sh->m.format, &sh->fmt)) {
		problem(problems, "%s: shard %" PRIu64 "/%" PRIu64 " is %s, which merge cannot "
			"read (give its csv, json or jsonl output)", sh->path, sh->m.index,
			sh->m.count, sh->m.format);
		return false;
	}
	if (!sh->m.complete) {
		problem(problems, "%s: shard %" PRIu64 "/%" PRIu64 " is not complete (its scan "
			"stopped early: resume it, then merge)", sh->path, sh->m.index, sh->m.count);
		return false;
	}
	rc = manifest_check_output(&sh->m, sh->path, &why);
	if (rc != 0)
		problem(problems, "%s: %sshard %" PRIu64 "/%" PRIu64 ": %s", sh->path,
			rc > 0 ? "partial " : "", sh->m.index, sh->m.count, why);
	g_free(why);
	return rc == 0;
}

static int by_index(const void *a, const void *b)
{
	const struct shard *x = a, *y = b;

	return x->m.index < y->m.index ? -1 : x->m.index > y->m.index;
}

/* The shards 1..N none of the inputs is, as "2, 5-7", in one message. */
static void check_missing(const struct shard *v, size_t n, GString *problems)
{
	GString *list = g_string_new(NULL);
	uint64_t count = v[0].m.count, expect = 1, missing = 0;

	for (size_t i = 0; i <= n; i++) {
		uint64_t next = i < n ? v[i].m.index : count + 1;

		if (next > expect) {
			g_string_append_printf(list, "%s%" PRIu64, list->len ? ", " : "", expect);
			if (next - 1 > expect)
				g_string_append_printf(list, "-%" PRIu64, next - 1);
			missing += next - expect;
		}
		if (next >= expect)
			expect = next + 1;
	}
	if (missing > 0)
		problem(problems, "scan %s: %" PRIu64 " of its %" PRIu64 " shards %s missing: %s",
			v[0].m.scan_id, missing, count, missing == 1 ? "is" : "are", list->str);
	g_string_free(list, TRUE);
}

/* Across the shards: one scan, one count, each index once, none missing. */
static void check_set(struct merge *mg, GString *problems)
{
	struct shard *v = mg->shards, *first = &v[0];
	bool same = true;

	for (size_t i = 1; i < mg->n; i++) {
		if (strcmp(v[i].m.scan_id, first->m.scan_id) != 0) {
			problem(problems, "%s: scan %s is another scan than %s's (%s): "
				"merge only shards of one scan", v[i].path, v[i].m.scan_id,
				first->path, first->m.scan_id);
			same = false;
		} else if (v[i].m.count != first->m.count) {
			problem(problems, "%s: shard %" PRIu64 "/%" PRIu64 " but %s is one of %"
				PRIu64 " shards", v[i].path, v[i].m.index, v[i].m.count,
				first->path, first->m.count);
			same = false;
		}
	}
	if (!same)
		return;
	qsort(v, mg->n, sizeof *v, by_index);
	for (size_t i = 1; i < mg->n; i++)
		if (v[i].m.index == v[i - 1].m.index)
			problem(problems, "%s: shard %" PRIu64 "/%" PRIu64 " is given twice (also %s)",
				v[i].path, v[i].m.index, v[i].m.count, v[i - 1].path);
	check_missing(v, mg->n, problems);
}

static int check_shards(struct merge *mg, GError **err)
{
	GString *problems = g_string_new(NULL);
	bool all = true;

	mg->n = mg->inputs->len;
	mg->shards = g_new0(struct shard, mg->n);
	for (size_t i = 0; i < mg->n; i++) {
		struct shard *sh = &mg->shards[i];

		sh->path = g_strdup(mg->inputs->pdata[i]);
		sh->manifest_path = g_strconcat(sh->path, MANIFEST_SUFFIX, NULL);
		all = check_one(sh, problems) && all;
	}
	if (all)
		check_set(mg, problems);
	if (problems->len == 0) {
		g_string_free(problems, TRUE);
		return 0;
	}
	g_set_error_literal(err, PL_ERROR, PL_ERROR_USAGE, problems->str);
	g_string_free(problems, TRUE);
	return -1;
}

/* An output that is also an input would be emptied before it is read. */
static int check_overlap(const struct merge *mg, GError **err)
{
	int rc = 0;

	for (guint o = 0; o < mg->specs->len && rc == 0; o++) {
		const struct output_spec *spec = mg->specs->pdata[o];
		struct file_id out;

		if (strcmp(spec->path, "-") == 0)
			continue;
		file_id_of(spec->path, -1, &out);
		for (size_t i = 0; i < mg->n && rc == 0; i++) {
			const char *in[] = { mg->shards[i].path, mg->shards[i].manifest_path,
					     mg->baseline, mg->config, mg->findings };

			for (size_t k = 0; k < G_N_ELEMENTS(in) && rc == 0; k++) {
				struct file_id id;

				if (in[k] == NULL)
					continue;
				file_id_of(in[k], -1, &id);
				if (file_id_same(&out, &id)) {
					g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "merge: output '%s' "
						    "is also %s: name another file", spec->path, in[k]);
					rc = -1;
				}
				file_id_clear(&id);
			}
		}
		file_id_clear(&out);
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* The audit                                                            */

/* The config's policy (NULL when it has none) and service-detection, as a
 * scan reads them. Returns 0 or -1 with *err. */
static int load_policy(const char *path, struct audit_policy **p, bool *detection,
		       GError **err)
{
	const config_setting_t *cs;
	config_t cfg;
	int v, rc = -1;

	config_init(&cfg);
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "cannot read config '%s': %s",
				    path, g_strerror(errno));
		else
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s:%d: %s",
				    config_error_file(&cfg) ? config_error_file(&cfg) : path,
				    config_error_line(&cfg), config_error_text(&cfg));
		goto out;
	}
	if (config_lookup_bool(&cfg, "service-detection", &v) == CONFIG_TRUE)
		*detection = v != 0;
	if ((cs = config_lookup(&cfg, "policy")) != NULL &&
	    (*p = audit_policy_parse(cs, path, err)) == NULL)
		goto out;
	rc = 0;
out:
	config_destroy(&cfg);
	return rc;
}

static int build_audit(struct merge *mg, struct audit_policy **policy, GError **err)
{
	struct baseline *b = NULL;
	bool detection = false;

	if (mg->config != NULL && load_policy(mg->config, policy, &detection, err) != 0)
		return -1;
	if (*policy != NULL && audit_policy_group_count(*policy) == 0) {
		audit_policy_free(*policy);
		*policy = NULL;
	}
	if (*policy == NULL && mg->baseline == NULL) {
		if (mg->findings == NULL)
			return 0;
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "findings '%s': nothing to audit (no "
			    "policy in the config, no --baseline)", mg->findings);
		return -1;
	}
	if (mg->baseline != NULL && (b = baseline_load(mg->baseline, err)) == NULL)
		return -1;
	mg->audit = audit_new(*policy, b, detection, mg->findings, err);
	return mg->audit != NULL ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Writing                                                              */

static bool stop_at_first(void *ud, const struct result *r)
{
	return false;
}

/* What the merged headers say: a JSON shard's scan block when one is
 * given (it comes before the rows, so reading stops at the first), else
 * the manifests' seed alone. */
static void read_meta(const struct merge *mg, struct row_meta *rm)
{
	for (size_t i = 0; i < mg->n; i++) {
		FILE *fp;
		GError *e = NULL;

		if (mg->shards[i].fmt != ROW_JSON || (fp = fopen(mg->shards[i].path, "rb")) == NULL)
			continue;
		(void)rows_read(fp, mg->shards[i].path, ROW_JSON, stop_at_first, NULL, rm, &e);
		g_clear_error(&e);
		fclose(fp);
		if (rm->have)
			return;
	}
}

struct first_proto {
	bool have;
	enum pl_proto proto;
	bool mixed;              /* rows of both protocols seen */
};

/* Reads on until a row of the other protocol shows up (a mixed scan), so
 * only a scan of one protocol is read to its end. */
static bool note_proto(void *ud, const struct result *r)
{
	struct first_proto *fp = ud;

	if (result_is_host_row(r))
		return true;
	if (fp->have && fp->proto != r->proto)
		fp->mixed = true;
	fp->have = true;
	fp->proto = r->proto;
	return !fp->mixed;
}

/* The scan's transport, as the XML header says it: a mixed scan's port
 * list (JSON metadata) is "T:...,U:..." (plan.c); else every row of one
 * scan has the same, and the first row says which. The rows themselves
 * keep their own proto: TCP 53 and UDP 53 are two rows. */
static const char *scan_proto(const struct merge *mg, const struct row_meta *rm)
{
	struct first_proto first = { 0 };

	if (rm->ports != NULL && strncmp(rm->ports, "T:", 2) == 0 &&
	    strstr(rm->ports, ",U:") != NULL)
		return "tcp,udp";

	/* Only JSON inputs give the metadata: read the rows otherwise. */
	for (size_t i = 0; i < mg->n && !first.mixed; i++) {
		FILE *fp = fopen(mg->shards[i].path, "rb");
		GError *e = NULL;

		if (fp == NULL)
			continue;
		(void)rows_read(fp, mg->shards[i].path, mg->shards[i].fmt, note_proto, &first,
				NULL, &e);
		g_clear_error(&e);
		fclose(fp);
	}
	if (first.mixed)
		return "tcp,udp";
	return first.have && first.proto == PROTO_UDP ? "udp" : "tcp";
}

static void on_output_failed(void *ud, const char *message)
{
	struct merge *mg = ud;

	/* NULL: stdout's reader left (| head): stop, quietly. */
	if (mg->output_error == NULL)
		mg->output_error = g_strdup(message != NULL ? message : "");
}

static int open_outputs(struct merge *mg, const struct scan_meta *meta, GError **err)
{
	mg->outputs = outputs_open(mg->specs, false, err);
	if (mg->outputs == NULL)
		return -1;
	if ((mg->audit != NULL && audit_open(mg->audit, err) != 0) ||
	    outputs_truncate(mg->outputs, err) != 0 ||
	    outputs_start(mg->outputs, meta, on_output_failed, mg, err) != 0)
		goto fail;
	return 0;
fail:
	if (mg->audit != NULL)
		audit_discard(mg->audit);
	outputs_discard(mg->outputs);
	mg->outputs = NULL;
	return -1;
}

/* One row of a shard: audited (every row, as a scan audits every result),
 * then written, files first and streams after, as the results thread
 * does. */
static bool on_row(void *ud, const struct result *r)
{
	struct merge *mg = ud;

	if (mg->audit != NULL && mg->audit_error == NULL)
		(void)audit_result(mg->audit, r, &mg->audit_error);
	outputs_write(mg->outputs, r, true, true, NULL);
	outputs_write(mg->outputs, r, true, false, NULL);
	return mg->output_error == NULL;
}

struct listed {
	struct merge *mg;
	unsigned shard_mask;     /* the states the shard wrote as rows */
};

/* A host in a JSON shard's "hosts" block: a host row the shard did not
 * write among its results (--states did not name its state), so not yet
 * seen. Audited, and noted by the outputs as the results thread notes a
 * row --states leaves out: the merged hosts block and XML list it. */
static bool on_listed_host(void *ud, const struct result *r)
{
	struct listed *l = ud;
	struct merge *mg = l->mg;

	if ((l->shard_mask & (1u << r->state)) != 0)
		return true;   /* among its rows already */
	if (mg->audit != NULL && mg->audit_error == NULL)
		(void)audit_result(mg->audit, r, &mg->audit_error);
	outputs_write(mg->outputs, r, false, true, NULL);
	outputs_write(mg->outputs, r, false, false, NULL);
	return mg->output_error == NULL;
}

/* A JSON shard's hosts block (see on_listed_host). */
static int note_hosts(struct merge *mg, const struct shard *sh, GError **err)
{
	struct row_meta rm = { 0 };
	struct listed l = { .mg = mg };
	FILE *fp = fopen(sh->path, "rb");
	int rc;

	if (fp == NULL) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "cannot read '%s': %s", sh->path,
			    g_strerror(errno));
		return -1;
	}
	/* The shard's own --states: which host rows its results hold. */
	(void)rows_read(fp, sh->path, ROW_JSON, stop_at_first, NULL, &rm, NULL);
	if (rm.states != NULL)
		(void)settings_states_mask(rm.states, &l.shard_mask, NULL);
	row_meta_clear(&rm);
	rewind(fp);
	rc = rows_read_hosts(fp, sh->path, on_listed_host, &l, err);
	fclose(fp);
	return rc;
}

static int write_rows(struct merge *mg, GError **err)
{
	for (size_t i = 0; i < mg->n; i++) {
		const struct shard *sh = &mg->shards[i];
		FILE *fp = fopen(sh->path, "rb");
		int rc;

		if (fp == NULL) {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "cannot read '%s': %s", sh->path,
				    g_strerror(errno));
			return -1;
		}
		rc = rows_read(fp, sh->path, sh->fmt, on_row, mg, NULL, err);
		fclose(fp);
		if (rc == 0 && sh->fmt == ROW_JSON)
			rc = note_hosts(mg, sh, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The shards' summaries as one scan's: counts summed; the target space's
 * hosts (every shard holds the whole space, so each says the same; the
 * largest, should one differ); the longest elapsed time, since the shards
 * ran side by side. */
static void sum_summaries(const struct merge *mg, struct metrics_snapshot *sum, time_t *end)
{
	memset(sum, 0, sizeof *sum);
	*end = 0;
	for (size_t i = 0; i < mg->n; i++) {
		const struct metrics_snapshot *s = &mg->shards[i].m.summary;

		sum->hosts = MAX(sum->hosts, s->hosts);
		sum->total += s->total;
		sum->probes += s->probes;
		sum->attempts += s->attempts;
		sum->retries += s->retries;
		sum->resource_waits += s->resource_waits;
		sum->self_connects += s->self_connects;
		for (int k = 0; k < STATE_COUNT; k++)
			sum->state[k] += s->state[k];
		sum->elapsed_s = MAX(sum->elapsed_s, s->elapsed_s);
		*end = MAX(*end, mg->shards[i].m.end);
	}
	sum->rate = sum->elapsed_s > 0 ? (double)sum->probes / sum->elapsed_s : 0.0;
	sum->order = (struct scan_order){ .seed = mg->shards[0].m.seed, .nshards = 1 };
	g_strlcpy(sum->order.scan_id, mg->shards[0].m.scan_id, sizeof sum->order.scan_id);
	if (*end == 0)
		*end = time(NULL);
}

/* The trailers and the summary; the exit code of what happened. */
static int finish(struct merge *mg, GError **err)
{
	struct metrics_snapshot sum;
	time_t end;
	GError *e = NULL;

	sum_summaries(mg, &sum, &end);
	outputs_close(mg->outputs, &sum, end, true);
	outputs_close(mg->outputs, &sum, end, false);
	if (mg->audit != NULL && audit_close(mg->audit, &e) != 0 && mg->audit_error == NULL)
		mg->audit_error = e;
	else
		g_clear_error(&e);
	if (!mg->quiet) {
		metrics_print_summary(&sum, stderr);
		if (mg->audit != NULL)
			audit_print_summary(mg->audit, stderr);
	}
	if (mg->output_error != NULL && mg->output_error[0] != '\0') {
		g_set_error_literal(err, PL_ERROR, PL_ERROR_RUNTIME, mg->output_error);
		return PL_EXIT_RUNTIME;
	}
	if (mg->audit_error != NULL) {
		g_propagate_error(err, mg->audit_error);
		mg->audit_error = NULL;
		return PL_EXIT_RUNTIME;
	}
	return mg->audit != NULL && audit_findings(mg->audit) > 0 ? PL_EXIT_FINDINGS : PL_EXIT_OK;
}

static int run(struct merge *mg, GError **err)
{
	struct row_meta rm = { 0 };
	struct scan_meta meta;
	int rc;

	read_meta(mg, &rm);
	meta = (struct scan_meta){
		.version = PORTOLAN_VERSION,
		.start = rm.start != 0 ? rm.start : time(NULL),
		.targets = (const char *const *)rm.targets,
		.ports = rm.ports,
		.threads = rm.threads,
		.timeout_ms = rm.timeout_ms,
		.retries = rm.retries,
		.states = rm.states,
		.proto = scan_proto(mg, &rm),
		/* The merged outputs are the whole scan: no shard. */
		.order = { .seed = mg->shards[0].m.seed, .nshards = 1 },
	};
	g_strlcpy(meta.order.scan_id, mg->shards[0].m.scan_id, sizeof meta.order.scan_id);
	if (open_outputs(mg, &meta, err) != 0) {
		rc = PL_EXIT_RUNTIME;
		goto out;
	}
	if ((rc = write_rows(mg, err)) < 0) {
		/* A row that does not read, in a file its manifest vouched
		 * for: nothing half-merged is left behind. */
		outputs_abort(mg->outputs);
		if (mg->audit != NULL)
			audit_discard(mg->audit);
		outputs_discard(mg->outputs);
		mg->outputs = NULL;
		rc = PL_EXIT_USAGE;
		goto out;
	}
	rc = finish(mg, err);
out:
	row_meta_clear(&rm);
	return rc;
}

static void merge_free(struct merge *mg)
{
	outputs_free(mg->outputs);
	audit_free(mg->audit);
	for (size_t i = 0; i < mg->n; i++) {
		g_free(mg->shards[i].path);
		g_free(mg->shards[i].manifest_path);
		manifest_clear(&mg->shards[i].m);
	}
	g_free(mg->shards);
	g_ptr_array_free(mg->inputs, TRUE);
	g_ptr_array_free(mg->specs, TRUE);
	g_free(mg->output_error);
	g_clear_error(&mg->audit_error);
}

int merge_main(int argc, char **argv)
{
	struct merge mg = {
		.inputs = g_ptr_array_new(),
		.specs = g_ptr_array_new_with_free_func(output_spec_free),
	};
	struct audit_policy *policy = NULL;
	GError *err = NULL;
	int rc;

	switch (parse_args(&mg, argc, argv, &err)) {
	case 1:
		rc = PL_EXIT_OK;
		goto out;
	case -1:
		rc = PL_EXIT_USAGE;
		goto out;
	}
	if (check_shards(&mg, &err) != 0 || check_overlap(&mg, &err) != 0 ||
	    build_audit(&mg, &policy, &err) != 0) {
		rc = PL_EXIT_USAGE;
		goto out;
	}
	rc = run(&mg, &err);
out:
	merge_free(&mg);
	audit_policy_free(policy);
	return pl_report(err, rc);
}
