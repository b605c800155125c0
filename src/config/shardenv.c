/* shardenv.c: where `--shard auto` finds its shard (shardenv.h).
 *
 * The sources are tried in a fixed order: PORTOLAN_SHARD first, the user's
 * own word, then the schedulers. A source is taken when its index variable
 * is set; from then on any fault in it is an error rather than a reason to
 * try the next one, since a scan that guessed its shard wrongly would cover
 * part of the space twice and part of it never. */
#include "shardenv.h"

#include <errno.h>
#include <string.h>

#include "errors.h"
#include "plan.h"
#include "textesc.h"

struct shard_source {
	const char *name;        /* for -v and messages */
	const char *index_var;
	bool one_based;          /* the index counts from 1 */
	const char *count_var;   /* NULL: the count must be given */
	const char *min_var;     /* Slurm: the array's first task id */
	const char *step_var;    /* Slurm: the step between task ids */
};

static const struct shard_source sources[] = {
	{ .name = "Kubernetes Indexed Job", .index_var = "JOB_COMPLETION_INDEX" },
	{ .name = "Slurm job array", .index_var = "SLURM_ARRAY_TASK_ID",
	  .count_var = "SLURM_ARRAY_TASK_COUNT", .min_var = "SLURM_ARRAY_TASK_MIN",
	  .step_var = "SLURM_ARRAY_TASK_STEP" },
	{ .name = "AWS Batch array job", .index_var = "AWS_BATCH_JOB_ARRAY_INDEX",
	  .count_var = "AWS_BATCH_JOB_ARRAY_SIZE" },
	{ .name = "GNU parallel", .index_var = "PARALLEL_SEQ", .one_based = true },
};

/* A variable holding a decimal number, digits only. Fails naming it. */
static int env_number(const char *const *envp, const char *var, uint64_t *out, GError **err)
{
	const char *v = g_environ_getenv((gchar **)envp, var);
	char *end, q[TEXT_QUOTE_SIZE];

	if (v == NULL) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "--shard auto: %s is not set", var);
		return -1;
	}
	errno = 0;
	*out = g_ascii_strtoull(v, &end, 10);
	if (!g_ascii_isdigit(v[0]) || *end != '\0' || errno != 0 || *out > INT64_MAX) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "--shard auto: %s is '%s', not a number", var, text_quote(q, v));
		return -1;
	}
	return 0;
}

/* Slurm numbers its tasks from SLURM_ARRAY_TASK_MIN in steps (--array
 * 0-15:4); a list such as --array 1,3,7 has no step and ids that are not
 * contiguous, which the range check below refuses. */
static int slurm_position(const char *const *envp, const struct shard_source *src,
			  uint64_t *index, GError **err)
{
	uint64_t min, step = 1;

	if (env_number(envp, src->min_var, &min, err) != 0)
		return -1;
	if (g_environ_getenv((gchar **)envp, src->step_var) != NULL &&
	    env_number(envp, src->step_var, &step, err) != 0)
		return -1;
	if (*index < min || step == 0 || (*index - min) % step != 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "--shard auto: %s=%" G_GUINT64_FORMAT " is not a task of the array "
			    "(%s=%" G_GUINT64_FORMAT ", step %" G_GUINT64_FORMAT ")",
			    src->index_var, *index, src->min_var, min, step);
		return -1;
	}
	*index = (*index - min) / step;
	return 0;
}

/* The count: the scheduler's, the one given, or both when they agree. */
static int source_count(const char *const *envp, const struct shard_source *src, int64_t given,
			uint64_t *count, GError **err)
{
	if (src->count_var == NULL) {
		if (given <= 0) {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "--shard auto: %s gives the index (%s) but not the count: "
				    "give it with --shard-count N or PORTOLAN_SHARD_COUNT",
				    src->name, src->index_var);
			return -1;
		}
		*count = (uint64_t)given;
		return 0;
	}
	if (env_number(envp, src->count_var, count, err) != 0)
		return -1;
	if (given > 0 && (uint64_t)given != *count) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "--shard auto: shard-count %" G_GINT64_FORMAT " disagrees with %s=%"
			    G_GUINT64_FORMAT, given, src->count_var, *count);
		return -1;
	}
	return 0;
}

static int from_source(const char *const *envp, const struct shard_source *src, int64_t given,
		       uint64_t *shard, uint64_t *nshards, GError **err)
{
	uint64_t index, count;

	if (env_number(envp, src->index_var, &index, err) != 0)
		return -1;
	if (src->min_var != NULL && slurm_position(envp, src, &index, err) != 0)
		return -1;
	if (source_count(envp, src, given, &count, err) != 0)
		return -1;
	if (src->one_based && index == 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "--shard auto: %s is 0, but it counts from 1", src->index_var);
		return -1;
	}
	if (src->one_based)
		index--;
	if (count == 0 || index >= count) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "--shard auto: %s gives shard %" G_GUINT64_FORMAT " (0-based) of %"
			    G_GUINT64_FORMAT ", outside 0..%" G_GUINT64_FORMAT, src->name, index,
			    count, count > 0 ? count - 1 : 0);
		return -1;
	}
	*shard = index;
	*nshards = count;
	return 0;
}

int shard_from_env(const char *const *envp, int64_t count, uint64_t *shard, uint64_t *nshards,
		   const char **source, GError **err)
{
	const char *mine = g_environ_getenv((gchar **)envp, "PORTOLAN_SHARD");
	GString *looked;

	/* PORTOLAN_SHARD=auto is how the environment asks for this very
	 * lookup, not a source. */
	if (mine != NULL && strcmp(mine, "auto") != 0) {
		if (plan_parse_shard(mine, shard, nshards, err) != 0) {
			g_prefix_error(err, "--shard auto: PORTOLAN_SHARD: ");
			return -1;
		}
		if (count > 0 && (uint64_t)count != *nshards) {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "--shard auto: shard-count %" G_GINT64_FORMAT
				    " disagrees with PORTOLAN_SHARD=%s", count, mine);
			return -1;
		}
		*source = "PORTOLAN_SHARD";
		return 0;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(sources); i++) {
		if (g_environ_getenv((gchar **)envp, sources[i].index_var) == NULL)
			continue;
		if (from_source(envp, &sources[i], count, shard, nshards, err) != 0)
			return -1;
		*source = sources[i].name;
		return 0;
	}
	looked = g_string_new("PORTOLAN_SHARD");
	for (size_t i = 0; i < G_N_ELEMENTS(sources); i++)
		g_string_append_printf(looked, ", %s", sources[i].index_var);
	g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
		    "--shard auto: no scheduler's shard in the environment (looked for %s)",
		    looked->str);
	g_string_free(looked, TRUE);
	return -1;
}
