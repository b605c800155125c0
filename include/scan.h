/* scan.h: runs a planned scan from the first task to the summary.
 *
 * There is one way out for every cause (done, SIGINT/SIGTERM, an output that
 * fails): stop producing, let the workers finish what they hold, close every
 * writer with the summary, print it. */
#ifndef PORTOLAN_SCAN_H
#define PORTOLAN_SCAN_H

#include <glib.h>

#include "plan.h"

/* Runs the scan: opens the plan's outputs (plan_open_outputs; they are the
 * run's, closed before it returns), scans and writes. Returns the process
 * exit code; on a failure (exit 3) *err says why. */
int scan_run(struct scan_plan *plan, GError **err);

/* --dry-run: prints each task as "address port" on stdout (-sn: "address",
 * a line per host), in scan order,
 * window after window. Returns the exit code; on a window that cannot be
 * read (exit 2) *err says why. */
int scan_dry_run(struct scan_plan *plan, GError **err);

#endif
