/* manifest.h: the shard manifest, PATH.shard.json beside each output file
 * of a sharded scan, so that a merge can tell which scan and which shard a
 * file holds, whether that shard ran to its end, and whether the file is
 * still the one the scan wrote:
 *
 *   {"portolan":{"version":"...","manifest":1},"scan_id":"<hex>",
 *    "shard":{"index":I,"count":N},"seed":"<decimal>",
 *    "format":"csv|json|jsonl|xml|table","complete":true|false,
 *    "output":{"name":"<basename>","size":<bytes>,"sha256":"<hex>"},
 *    "summary":{<the JSON output's summary keys>}}
 *
 * index is 1-based. */
#ifndef PORTOLAN_MANIFEST_H
#define PORTOLAN_MANIFEST_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <glib.h>

#include "metrics.h"

#define MANIFEST_SUFFIX ".shard.json"
#define MANIFEST_VERSION 1

struct shard_manifest {
	const char *scan_id;
	uint64_t shard;                 /* 0-based */
	uint64_t nshards;
	uint64_t seed;
	bool complete;                  /* the scan ran to its end (exit 0 or 1) */
	const struct metrics_snapshot *summary;
	time_t end;
};

/* Writes output_path's manifest (output_path + MANIFEST_SUFFIX) for a file
 * the scan has flushed, hashing the file as it is now: to a temporary first,
 * renamed over the old one, so a reader sees a whole manifest or none.
 * format: the writer's name. Returns 0, or -1 with *err (exit 3). */
int manifest_write(const char *output_path, const char *format, const struct shard_manifest *m,
		   GError **err);

#endif
