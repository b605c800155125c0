/* targetwin.h: target windows: a long list of target specs scanned a window
 * of at most W specs at a time, the way nmap takes -iL in host groups.
 *
 * The specs are the targets given (arguments or the config's list), then
 * those of the targets file, in file order; window k holds specs kW to
 * (k + 1)W - 1. Each window is read from the file when its turn comes,
 * finalized on its own (names resolved, merged, deduplicated, exclusions
 * subtracted) and freed before the next one is read, so memory follows W,
 * not the length of the file. A host listed in two windows is scanned in
 * both. The exclusions are held whole, their names resolved once.
 *
 * target_windows_open reads every spec once, before anything is scanned: a
 * malformed line anywhere is reported as FILE:LINE, the specs and windows
 * are counted and the file's bytes digested. When everything fits in one
 * window the specs it read are handed back as one set, and the scan is what
 * it would be without windows. */
#ifndef PORTOLAN_TARGETWIN_H
#define PORTOLAN_TARGETWIN_H

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "targets.h"

/* Default window: 65536 specs (about 4 MiB of ranges). */
#define TARGET_DEFAULT_WINDOW 65536

struct target_windows;

/* The first pass over specs[0 .. nspecs-1] and then the file at path (NULL:
 * none; "-": standard input, kept in a temporary file so it can be read
 * again). Each spec is checked as target_set_add checks it; errors name
 * the file and line. When the specs fit in one window (<= size), *single
 * is a set holding every one of them, as target_set_add and
 * target_set_add_file would have built it; otherwise *single is NULL. Each
 * window's literal specs are counted against max_hosts here, before
 * exclusions: a window over it is checked again, exactly, by
 * target_windows_exclude. Returns NULL with *err set on a malformed spec or
 * an unreadable file. */
struct target_windows *target_windows_open(char *const *specs, size_t nspecs,
					   const char *path, uint64_t size,
					   uint64_t max_hosts,
					   struct target_set **single, GError **err);
void target_windows_free(struct target_windows *tw);

/* Specs and windows counted by the first pass. */
uint64_t target_windows_specs(const struct target_windows *tw);
uint64_t target_windows_count(const struct target_windows *tw);

/* Takes ownership of exclusions (exclusion specs only, not finalized),
 * resolves their names once, and fixes the family for the windows' names.
 * Then, if the first pass found a window whose literal specs exceed
 * max-hosts, reads the file again and checks each window with the
 * exclusions subtracted; fails with "FILE lines A-B (window K of N): target
 * space of ... exceeds max-hosts ...". */
int target_windows_exclude(struct target_windows *tw, struct target_set *exclusions,
			   enum target_family family, GError **err);

/* Hex SHA-256 of the targets file's bytes, "" without a file (owned by
 * tw). */
const char *target_windows_file_digest(struct target_windows *tw);

/* Feeds what the windows are into sum: the window size, the specs given,
 * the targets file's bytes, the exclusions and the family. */
void target_windows_digest(struct target_windows *tw, GChecksum *sum);

/* Reads window k (0-based, < count) and finalizes it into *ts (the caller
 * frees it; it may hold no host). Windows before k that have not been read
 * yet are skipped: read, not parsed or resolved. With digest non-NULL,
 * *digest is the hex SHA-256 of target_set_digest(*ts) (g_free). Errors
 * (max-hosts exceeded once names resolve, a line that no longer parses)
 * name the window. The window target_windows_preload read is handed out
 * as it is, not read again. */
int target_windows_load(struct target_windows *tw, uint64_t k, struct target_set **ts,
			char **digest, GError **err);

/* Reads and finalizes window k ahead of the scan, so that its errors come
 * while the plan is built, before any output is touched; tw keeps it (and
 * frees it if it is never loaded). */
int target_windows_preload(struct target_windows *tw, uint64_t k, GError **err);

/* The preloaded window and its digest (borrowed), or NULL once loaded. */
const struct target_set *target_windows_preloaded(const struct target_windows *tw,
						  const char **digest);

/* The permutation seed of window k: derived from the scan's seed, so a run
 * with the same seed repeats every window's order; 0 (index order) stays 0. */
uint64_t target_windows_seed(uint64_t seed, uint64_t k);

#endif
