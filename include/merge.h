/* merge.h: `portolan merge FILE... -o OUT...`: the outputs of a sharded
 * scan's shards, checked against their manifests (manifest_read.h) and written
 * as one scan's outputs, audited as one scan.
 *
 * Every shard 1..N of one scan_id must be given exactly once, complete and
 * unedited; anything else is refused, one line per problem, before any
 * output is written (exit 2). Rows are streamed from the inputs (rowread.h)
 * to the writers (outputs.h) one at a time, so memory does not grow with
 * the scan. The summary sums the shards' counts; hosts is the target
 * space's (every shard has the whole one), elapsed the longest shard's. */
#ifndef PORTOLAN_MERGE_H
#define PORTOLAN_MERGE_H

/* argv[0] is "merge". Reports its own errors on stderr, once, as
 * "portolan: ..."; returns the exit code (README: 0, 1 findings, 2 usage or
 * input, 3 output). */
int merge_main(int argc, char **argv);

#endif
