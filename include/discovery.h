/* discovery.h: host discovery, a filter in front of the port scan.
 *
 * Per target window a discovery thread walks the window's task order (its
 * own copy of the window's taskgen: same seed, shard and positions) and
 * asks each host it meets, once, whether it is alive: every prober of the
 * scan sends its probes (disco_probe.h), at most max_inflight hosts are
 * asked at a time, and a host is resolved in the window's hostmap:
 *  - up, with the reason of the first proof of life (an answer from any
 *    prober);
 *  - down, when no answer came after the last attempt (1 + retries), each
 *    attempt waiting an adaptive timeout: RFC 6298 over the RTTs of the
 *    answers seen (first attempts only, so no sample is ambiguous), clamped
 *    to [min, max] and doubled per retry;
 *  - up with REASON_LOCAL_ERROR when no probe of any attempt could even be
 *    sent (EMFILE, ENOBUFS, EADDRNOTAVAIL): a local failure says nothing of
 *    the host, so it is scanned, and counted (discovery_local_errors);
 *  - up with REASON_USER_SET when no prober applies to its address (ARP
 *    alone for an IPv6 host): not asked, as with -Pn.
 * The producer (scan.c) reads the hostmap as it goes and waits for a pending
 * host only when it has deferred too many positions. Memory: the hostmap
 * (4 bits per host of the window), max_inflight slots, and one RTT entry per
 * up host until its host row is written. */
#ifndef PORTOLAN_DISCOVERY_H
#define PORTOLAN_DISCOVERY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "disco_probe.h"
#include "hostmap.h"
#include "progress.h"
#include "taskgen.h"
#include "targets.h"

/* One entry of discovery.probes: a prober and its TCP ports (owned; NULL,
 * 0 for the prober's default). */
struct disco_use {
	const struct disco_prober *prober;
	uint16_t *ports;
	size_t nports;
	bool optional;        /* a default, not named by the user: one that
				 cannot run here is left out quietly */
};

struct discovery_config {
	const struct scan_plan *plan;       /* lent to the probers */
	const struct disco_use *uses;       /* borrowed; outlives the discovery */
	size_t nuses;
	unsigned max_inflight;              /* hosts asked at once, >= 1 */
	unsigned timeout_ms;                /* before the first answer */
	unsigned min_timeout_ms, max_timeout_ms;
	unsigned retries;                   /* attempts after the first */
	struct ratelimit *rate;             /* the scan's --max-rate, or NULL */
	const atomic_bool *stopping;
};

struct discovery;

/* Opens every prober (before privileges drop). A prober that cannot run
 * here (open returns 1) is left out with a warning; when none is left, or
 * one fails (exit 3), returns NULL with *err set. */
struct discovery *discovery_open(const struct discovery_config *cfg, GError **err);

/* Starts discovering the window: ts (borrowed), its order tg (copied),
 * progress: positions done there (an earlier run's) are not walked. The
 * hostmap is new and every host unseen. The window before must have ended. */
void discovery_window(struct discovery *d, const struct target_set *ts,
		      const struct taskgen *tg, struct progress *done);
/* The window's hostmap (valid until discovery_window_end). */
struct hostmap *discovery_hostmap(struct discovery *d);
/* Ends the window's discovery thread (every position of the window is done,
 * or the scan stops) and frees its state. */
void discovery_window_end(struct discovery *d);

/* The RTT (ms) of the answer that found host up, once: false when there is
 * none (or it was taken). */
bool discovery_take_rtt(struct discovery *d, uint64_t host, double *ms);

/* The scan is stopping: the thread asks nothing more, waiters wake. */
void discovery_cancel(struct discovery *d);

/* Hosts scanned because every probe failed locally; hosts found up, down. */
uint64_t discovery_local_errors(const struct discovery *d);
uint64_t discovery_up(const struct discovery *d);
uint64_t discovery_down(const struct discovery *d);
/* Attempts granted because answers were lost locally meanwhile. */
uint64_t discovery_drop_retries(const struct discovery *d);

/* Closes the probers and frees d (after discovery_window_end). Accepts
 * NULL. */
void discovery_close(struct discovery *d);

#endif
