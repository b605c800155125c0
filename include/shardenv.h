/* shardenv.h: `--shard auto`, the shard index and count from the
 * environment of the scheduler that started the scan (a Kubernetes Indexed
 * Job, a Slurm job array, an AWS Batch array job, GNU parallel) or from
 * PORTOLAN_SHARD=I/N. */
#ifndef PORTOLAN_SHARDENV_H
#define PORTOLAN_SHARDENV_H

#include <stdint.h>
#include <glib.h>

/* Finds the shard in envp (as g_get_environ gives it). count: the count
 * --shard-count or PORTOLAN_SHARD_COUNT gave, or 0; it is required where
 * the scheduler does not say (Kubernetes, GNU parallel) and must agree with
 * one that does. On success *shard is 0-based, *nshards >= 1 and *source
 * names where they came from (static: "Slurm job array", ...). Fails with an
 * input error naming what was looked for or what was wrong with it. */
int shard_from_env(const char *const *envp, int64_t count, uint64_t *shard, uint64_t *nshards,
		   const char **source, GError **err);

#endif
