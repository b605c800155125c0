/* audit.h: expected-vs-found policy, and the audit of a scan's results
 * against it and against a baseline scan.
 *
 * A policy is a list of groups of targets, each with the ports it allows,
 * the ports it requires open, and optionally the service, product or version
 * expected on a port (config syntax in docs/audit.md). A host belongs to the
 * first group whose targets contain its address; a host in no group has no
 * policy. Every result the scan produces (whatever its state, before the
 * --states filter) is checked on its own:
 *   open, group has an allow list, port neither allowed nor required
 *                                              -> unexpected-open
 *   not open (closed, filtered or error), port required by the group
 *                                              -> required-not-open
 *   open, detection ran, the group expects a service, product or version on
 *   the port and the detected one does not match -> unexpected-service
 *   a host row (host discovery) saying down, the group has require-up
 *   or requires ports open                     -> host-down
 * A host discovery did not reach at all gives no host row and no
 * host-down: a target that left no host is target-not-scanned.
 * Each (host, port) of the task space yields exactly one result, and only
 * once it was probed, so "required port scanned on a host of the group" is
 * exactly "a result for it arrived": a required port outside the port list,
 * on an excluded host, in another shard, or left when the scan was
 * interrupted gives no result and no finding. That is why the audit keeps no
 * per-host state at all: its memory is the policy and the baseline's open
 * ports, whatever the size of the scan. A target given that left no host
 * at all (not resolved, or wholly excluded) is known from the target set,
 * not from results: audit_targets_finalized notes it, a target-not-scanned
 * finding. */
#ifndef PORTOLAN_AUDIT_H
#define PORTOLAN_AUDIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <glib.h>
#include <libconfig.h>

#include "baseline.h"
#include "findings.h"
#include "result.h"

struct audit_policy;

/* Parses the config's `policy` setting. Every problem is collected, one line
 * each as "path:line: policy ...", into *err (an input error: exit 2).
 * An empty list gives a policy with no groups. */
struct audit_policy *audit_policy_parse(const config_setting_t *cs, const char *path,
					GError **err);
void audit_policy_free(struct audit_policy *p);

size_t audit_policy_group_count(const struct audit_policy *p);

/* The name of the group a address belongs to (the first that contains it),
 * or NULL. Valid while p lives. */
const char *audit_policy_group_of(const struct audit_policy *p, const struct pl_addr *a);

/* Called once per finding; the finding is valid for the call. */
typedef void (*audit_emit_fn)(void *ud, const struct finding *f);

/* Checks one result against the policy and the baseline (either may be
 * NULL). detection: the scan ran service detection. Reads only. */
void audit_check(const struct audit_policy *p, const struct baseline *b, bool detection,
		 const struct result *r, audit_emit_fn emit, void *ud);

/* The audit of one scan: the policy (borrowed: it lives in the settings),
 * the baseline (owned from this call on, also when it fails) and the
 * findings with their file (path may be NULL). Fails (exit 2) when the
 * findings file's format cannot be told from its name. */
struct audit;

struct audit *audit_new(const struct audit_policy *policy, struct baseline *baseline,
			bool detection, const char *findings_path, GError **err);

/* Main thread, after each target set is finalized (the whole scan's, or a
 * window's) and before audit_close: notes every target it left unscanned
 * (targets.h), each a target-not-scanned finding. They are written by
 * audit_open, or for later windows by audit_close, so the results thread
 * alone writes findings while the scan runs. */
struct target_set;
void audit_targets_finalized(struct audit *a, const struct target_set *ts);

/* Creates or truncates the findings file and writes its header (exit 3 on
 * failure), then the target-not-scanned findings noted so far. */
int audit_open(struct audit *a, GError **err);

/* After an early failure: removes the findings file if audit_open made it. */
void audit_discard(struct audit *a);

/* Results thread: checks r, counts and writes its findings. Returns 0, or -1
 * with *err the first time the findings file cannot be written. */
int audit_result(struct audit *a, const struct result *r, GError **err);

/* Results thread, at the end: the findings file's trailer; closes it. */
int audit_close(struct audit *a, GError **err);

/* Findings so far, all kinds. */
uint64_t audit_findings(const struct audit *a);

/* The summary line on the findings, by kind. */
void audit_print_summary(const struct audit *a, FILE *fp);

void audit_free(struct audit *a);

#endif
