/* timing.h: per-host round-trip estimates that turn into connect timeouts.
 *
 * Every answer a scan already gets (a completed handshake, an RST, an ICMP
 * error) is an RTT sample: the connect latency. The estimator follows RFC 6298
 * (SRTT, RTTVAR, alpha 1/8, beta 1/4, RTO = SRTT + 4 * RTTVAR) and a host's
 * timeout is its RTO clamped to [min_ms, max_ms]. A timeout is not a sample,
 * so the estimate only ever sees the answers that beat it; on a jittery path
 * it would drift down into the RTT distribution and miss its slow tail. Two
 * guards keep it out: the RTO is never below the host's peak recent sample
 * plus a quarter, capped at twice SRTT (the peak decays by 1/16 of the gap per smaller sample), and
 * each retry doubles it (RFC 6298 5.5) before the clamp.
 * Each attempt uses a fresh socket, so a sample is never ambiguous the way a
 * TCP retransmission is (Karn's problem does not arise).
 *
 * Hosts are addressed by host index and share a fixed table of slots: hosts
 * whose indices are equal modulo TIMING_SLOTS share one estimate. Below
 * TIMING_SLOTS hosts no two hosts share; above, a slot holds a blend of the
 * hosts that map to it, which is the price of constant memory for a /8.
 *
 * A host with no sample in its slot starts from the global estimate (every
 * sample of the scan) once there is one, else from the initial timeout.
 *
 * All functions except timing_new and timing_free may be called by any number
 * of threads at once; they take no lock. */
#ifndef PORTOLAN_TIMING_H
#define PORTOLAN_TIMING_H

#include <stdbool.h>
#include <stdint.h>

/* Slots in the table (a power of two): 512 KiB, zero pages until touched. */
#define TIMING_SLOTS 65536u

struct timing;

/* min_ms <= max_ms, both >= 1; initial_ms is clamped to [min_ms, max_ms]
 * (RFC 6298 suggests 1000 ms for the initial timeout). Returns NULL on
 * allocation failure or bad bounds. */
struct timing *timing_new(unsigned initial_ms, unsigned min_ms, unsigned max_ms);
/* Accepts NULL. No other thread may be using t. */
void timing_free(struct timing *t);

/* The connect timeout for host's first attempt, in milliseconds: the RTO of
 * its slot (rounded up to whole milliseconds, never below its peak sample
 * plus a quarter), else of the global estimate, else the initial timeout;
 * always within [min_ms, max_ms]. */
unsigned timing_timeout_ms(struct timing *t, uint64_t host);
/* The same for the retry-th retry (0: the first attempt): the unclamped
 * timeout doubled retry times, then clamped to [min_ms, max_ms]. */
unsigned timing_attempt_timeout_ms(struct timing *t, uint64_t host, unsigned retry);

/* Feeds one RTT sample (connect latency of an answered attempt) for host; it
 * updates both the host's slot and the global estimate. Negative samples count
 * as 0; NaN is ignored. Samples are kept to the microsecond. */
void timing_sample(struct timing *t, uint64_t host, double rtt_ms);

/* The estimate a host's timeout comes from, for logs and tests: false when
 * its slot has no sample yet. */
bool timing_estimate(struct timing *t, uint64_t host, double *srtt_ms, double *rttvar_ms);
/* The same for the global estimate. */
bool timing_global_estimate(struct timing *t, double *srtt_ms, double *rttvar_ms);
/* The host's peak recent sample: false when it has none. */
bool timing_peak(struct timing *t, uint64_t host, double *peak_ms);

/* One RFC 6298 estimate kept by its caller (the XML writer's <times> per
 * host), in whole microseconds; all zero: no sample yet. */
struct rtt_estimate {
	uint64_t srtt_us, rttvar_us;
	bool valid;
};

/* Feeds one sample into e exactly as timing_sample feeds a slot: the same
 * step, rounding and saturation; negative counts as 0, NaN is ignored. Takes
 * no table and no lock. */
void timing_rtt_update(struct rtt_estimate *e, double rtt_ms);

#endif
