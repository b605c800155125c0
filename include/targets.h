/* targets.h: the set of hosts to scan, addressed by index.
 *
 * Specs are addresses (IPv4, IPv6), CIDR blocks of either family, ranges
 * ("192.0.2.1-20", "192.0.2.1-192.0.2.40", and likewise for IPv6) and host
 * names. The set keeps ranges, never one entry per address, so a /8 costs as
 * little as a single host. After target_set_finalize() the set is read-only:
 * any thread may call target_set_get() without a lock. */
#ifndef PORTOLAN_TARGETS_H
#define PORTOLAN_TARGETS_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "addr.h"

struct target_set;

enum target_family {
	TARGET_FAMILY_ANY = 0,
	TARGET_FAMILY_V4 = 4,
	TARGET_FAMILY_V6 = 6,
};

/* Default cap on the number of hosts (a /8); configurable with max-hosts. */
#define TARGET_DEFAULT_MAX_HOSTS 16777216ULL
#define TARGET_LIMIT_MAX_HOSTS 4294967296ULL

struct target_set *target_set_new(void);
void target_set_free(struct target_set *ts);

/* Adds one spec to scan. Names are only recorded here; they are resolved in
 * target_set_finalize. On a malformed spec returns -1 and sets *err, e.g.
 * "invalid target '300.1.1.1'" or "invalid target '10.0.0.0/33': prefix
 * length out of range". */
int target_set_add(struct target_set *ts, const char *spec, GError **err);

/* Parses an address, CIDR block or range of either family (no names) into
 * its first and last address, with the same rules and messages as a target
 * spec. Returns 0; 1 when spec is not such a literal (a name, or nothing
 * valid); -1 with *err set for a malformed literal, e.g. "10.0.0.0/33". */
int target_parse_literal(const char *spec, int *family, struct pl_u128 *first,
			 struct pl_u128 *last, GError **err);

/* Adds one spec to exclude (same syntax). */
int target_set_exclude(struct target_set *ts, const char *spec, GError **err);

/* Reads specs one a line ('#' starts a comment, blank lines skipped, several
 * specs on one line separated by white space or commas) from path, or stdin
 * when path is "-". exclude selects target_set_exclude. Errors name the file
 * and line: "hosts.txt:12: invalid target '10.0.0.0/33': ...". */
int target_set_add_file(struct target_set *ts, const char *path, bool exclude,
			GError **err);

/* Resolves every name (concurrently, all addresses of the chosen family),
 * removes duplicates and exclusions, and freezes the set. An unresolvable
 * name is a warning (g_warning) and is skipped. Fails when nothing is left to
 * scan ("no targets to scan") or when the set holds more than max_hosts hosts
 * ("target space of N hosts exceeds max-hosts (M)"). */
int target_set_finalize(struct target_set *ts, enum target_family family,
			uint64_t max_hosts, GError **err);

/* ---- windows: a long targets file scanned a part at a time (targetwin.h) ---- */

/* A set for one window: it starts with the exclusions of `exclusions` (may
 * be NULL), addresses and any names not yet resolved, and its finalize
 * leaves an empty set (count 0) where a whole scan fails with "no targets
 * to scan": a window may hold only names that do not resolve. */
struct target_set *target_set_new_window(const struct target_set *exclusions);

/* Resolves the exclusion names now (AF_UNSPEC, as finalize does; a name
 * that does not resolve is a warning), so that target_set_new_window copies
 * addresses and the names are looked up once, not once per window. */
void target_set_resolve_exclusions(struct target_set *ts);

/* Feeds the exclusions (merged ranges, then names not yet resolved) into
 * sum. */
void target_set_digest_exclusions(const struct target_set *ts, GChecksum *sum);

/* The max-hosts check of finalize on the literal specs alone (no name is
 * resolved, and none counts): fails with finalize's message when the
 * literal targets minus the literal (or already resolved) exclusions hold
 * more than max_hosts hosts. An empty result is no error here. */
int target_set_check_literals(const struct target_set *ts, uint64_t max_hosts,
			      GError **err);

/* Feeds the frozen set (ranges and names, in index order) into sum, so two
 * runs can tell whether they address the same hosts by the same indices. */
void target_set_digest(const struct target_set *ts, GChecksum *sum);

/* A spec given to scan that left no host in the finalized set: a name
 * that did not resolve, or whose every address is excluded, or a literal
 * wholly excluded. A host given twice is scanned once, under its first
 * spec; the later spec is not "unscanned". */
struct target_unscanned {
	const char *spec;        /* as given; lives as long as the set */
	char *why;               /* "not resolved (...)", "excluded (every address)" */
	unsigned index;          /* the spec's place among the specs to scan */
	bool literal;            /* an address, block or range: first is its first address */
	struct pl_addr first;
};

/* After finalize: the unscanned specs, in the order given. */
size_t target_set_unscanned_count(const struct target_set *ts);
const struct target_unscanned *target_set_unscanned(const struct target_set *ts, size_t i);

/* Number of distinct hosts after finalize. */
uint64_t target_set_count(const struct target_set *ts);

/* The host at index (0 <= index < count): its address, and the name the user
 * gave for it (NULL for addresses given as such). The name stays valid until
 * target_set_free. */
void target_set_get(const struct target_set *ts, uint64_t index,
		    struct pl_addr *addr, const char **name);

#endif
