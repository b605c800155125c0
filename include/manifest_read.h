/* manifest_read.h: a shard's manifest (PATH.shard.json), read for the merge.
 * (The scan writes it: manifest.h, src/output/manifest.c.)
 *
 * A sharded scan writes one next to each output file (the contract in
 * README, "Scanning from many machines"): the scan's identity, which shard
 * the file holds, whether the scan ran to its end, the file's size and
 * SHA-256, and its summary. The merge trusts a file only as far as its
 * manifest vouches for it. */
#ifndef PORTOLAN_MANIFEST_READ_H
#define PORTOLAN_MANIFEST_READ_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <glib.h>

#include "metrics.h"

/* As the writer side defines them (the same tokens, so both headers may be
 * included together). */
#ifndef MANIFEST_SUFFIX
#define MANIFEST_SUFFIX ".shard.json"
#endif
#ifndef MANIFEST_VERSION
#define MANIFEST_VERSION 1
#endif
#define SCAN_ID_LEN 32

struct manifest {
	char scan_id[SCAN_ID_LEN + 1];
	uint64_t index, count;       /* 1-based index of count */
	uint64_t seed;
	char *format;                /* "csv", "json", "jsonl", "xml", ... */
	bool complete;
	char *name;                  /* the output's base name */
	uint64_t size;
	char sha256[65];
	struct metrics_snapshot summary;   /* the counts it gives (order unset) */
	time_t end;                  /* the summary's end, 0 when absent */
};

/* Reads the manifest at path. Returns 0, or -1 with *err (exit 2): one line
 * naming the file and what is wrong ("cannot read", a missing or bad key). */
int manifest_read(const char *path, struct manifest *m, GError **err);
void manifest_clear(struct manifest *m);

/* Whether the file at path is the one the manifest describes: its size
 * and SHA-256. Returns 0; 1 with *why (g_free) saying how it differs; -1
 * with *why when it cannot be read. */
int manifest_check_output(const struct manifest *m, const char *path, char **why);

#endif
