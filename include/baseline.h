/* baseline.h: an earlier scan to compare against (--baseline FILE).
 *
 * The baseline is a portolan JSON document (the .json output: an object with
 * a "results" array). Only what a comparison needs is kept: the open ports
 * of the baseline, each with its service, product and version, and the
 * baseline's port list. Memory is therefore bounded by the number of open
 * ports the baseline recorded, whatever the size of the file (a scan with
 * --states all is read as a stream and its closed rows are dropped as they
 * are read). After loading, the baseline is read-only.
 *
 * Comparing one current result gives, the way ndiff compares nmap runs:
 *   open now, not open in the baseline   newly-open   (only when the port
 *                                        was in the baseline's port list)
 *   open in the baseline, closed now     newly-closed
 *   open in the baseline, filtered now   newly-filtered
 *   open in both, detection ran now, and the baseline's non-empty service,
 *   product or version differs           changed-service/-product/-version
 * A port the current scan did not probe yields no result and so no finding;
 * an error result (the local system could not probe) is not compared.
 *
 * Hosts (host discovery): the baseline's host statuses are kept too, from
 * its host rows (in "results" when its --states named up or down, and in
 * its "hosts" block), and a host with an open port counts as up where no
 * host row says otherwise. A current host row is compared with them:
 *   down in the baseline, up now         newly-up
 *   up in the baseline, down now         newly-down
 * A host the baseline has no status for is no change. Memory for these
 * grows with the baseline's hosts that have a status (with discovery, its
 * whole target space: some 70 bytes a host). */
#ifndef PORTOLAN_BASELINE_H
#define PORTOLAN_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

#include "findings.h"
#include "result.h"

struct baseline;

/* Reads path. Errors are input errors (exit 2) naming the place:
 * "a.json:12:7: expected ',' or ']'", "a.json: cannot read: ...". */
struct baseline *baseline_load(const char *path, GError **err);

void baseline_free(struct baseline *b);

/* Open ports the baseline holds. */
size_t baseline_open_count(const struct baseline *b);

/* Called once per difference; expected and found are valid for the call. */
typedef void (*baseline_emit_fn)(void *ud, enum finding_kind kind, const char *expected,
				 const char *found);

/* Compares one current result with the baseline. detection: the current
 * scan identified services (changed-* are only reported then). */
void baseline_compare(const struct baseline *b, const struct result *r, bool detection,
		      baseline_emit_fn emit, void *ud);

#endif
