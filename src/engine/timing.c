/* timing.c: RFC 6298 RTT estimation in a fixed table of lock-free slots.
 *
 * A slot is one 64-bit atomic word holding the whole estimate, so an update
 * is a compare-and-swap loop and a read is one load: hundreds of workers can
 * hit the same host without a lock, and a reader never sees SRTT from one
 * update and RTTVAR from another. Layout, in microseconds:
 *   bits 63..32  SRTT (saturates at about 71 minutes)
 *   bit  31      set once the slot holds an estimate (so 0 means empty)
 *   bits 30..0   RTTVAR (saturates at about 35 minutes)
 * Integer microseconds keep the arithmetic exact and the results the same on
 * every platform; the rounding is to the nearest microsecond.
 *
 * Beside each slot, a peak: the largest recent sample, a 32-bit atomic word
 * (microseconds; 0 means none). It falls back towards each smaller sample by
 * 1/PEAK_DECAY of the gap, so one stray sample (a worker that waited for a
 * CPU) stops mattering after a few dozen answers, while a path whose RTT
 * really reaches that high keeps refreshing it. */
#include "timing.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>

#define VALID_BIT    (UINT64_C(1) << 31)
#define RTTVAR_MASK  (VALID_BIT - 1)
#define SRTT_MAX     UINT64_C(0xffffffff)
#define PEAK_DECAY   16u
/* A retry's timeout doubles at most this many times (RFC 6298 5.5 backs off
 * without bound; [min_ms, max_ms] bounds it anyway). */
#define BACKOFF_MAX_SHIFT 16u

struct timing {
	unsigned initial_ms, min_ms, max_ms;
	_Atomic uint64_t global;
	_Atomic uint32_t global_peak;
	_Atomic uint64_t *slots;       /* TIMING_SLOTS words */
	_Atomic uint32_t *peaks;       /* TIMING_SLOTS words, beside slots */
};

static uint64_t pack(uint64_t srtt_us, uint64_t rttvar_us)
{
	if (srtt_us > SRTT_MAX)
		srtt_us = SRTT_MAX;
	if (rttvar_us > RTTVAR_MASK)
		rttvar_us = RTTVAR_MASK;
	return srtt_us << 32 | VALID_BIT | rttvar_us;
}

static uint64_t srtt_of(uint64_t w)
{
	return w >> 32;
}

static uint64_t rttvar_of(uint64_t w)
{
	return w & RTTVAR_MASK;
}

/* One RFC 6298 step (section 2.2 for the first sample, 2.3 after). RTTVAR is
 * updated with the old SRTT, as the RFC orders it. */
static uint64_t update(uint64_t w, uint64_t r)
{
	uint64_t srtt, rttvar, delta;

	if (w == 0)
		return pack(r, (r + 1) / 2);
	srtt = srtt_of(w);
	rttvar = rttvar_of(w);
	delta = srtt > r ? srtt - r : r - srtt;
	rttvar = (3 * rttvar + delta + 2) / 4;
	srtt = (7 * srtt + r + 4) / 8;
	return pack(srtt, rttvar);
}

static void feed(_Atomic uint64_t *word, uint64_t r)
{
	uint64_t old = atomic_load_explicit(word, memory_order_relaxed);

	/* On failure old is reloaded; the step is recomputed from fresh state. */
	while (!atomic_compare_exchange_weak_explicit(word, &old, update(old, r),
						      memory_order_relaxed,
						      memory_order_relaxed))
		;
}

static uint32_t peak_step(uint32_t peak, uint32_t r)
{
	if (r >= peak)
		return r;
	return peak - (peak - r + PEAK_DECAY - 1) / PEAK_DECAY;
}

static void feed_peak(_Atomic uint32_t *word, uint32_t r)
{
	uint32_t old = atomic_load_explicit(word, memory_order_relaxed);

	while (!atomic_compare_exchange_weak_explicit(word, &old, peak_step(old, r),
						      memory_order_relaxed,
						      memory_order_relaxed))
		;
}

static unsigned clamp_ms(const struct timing *t, uint64_t ms)
{
	if (ms < t->min_ms)
		return t->min_ms;
	if (ms > t->max_ms)
		return t->max_ms;
	return (unsigned)ms;
}

/* The timeout of an estimate w with peak sample peak_us, for the retry-th
 * retry (0: the first attempt). RFC 6298's RTO, but never below the peak plus
 * a quarter: an answer slower than the timeout gives no sample, so an
 * estimate fed only by the answers that beat it drifts down into the RTT
 * distribution and cuts off its tail; the peak keeps it above what the host
 * has shown it can take. Each retry doubles the estimate (RFC 6298 5.5)
 * before the clamp to [min_ms, max_ms]: where the floor min_ms is already
 * far above the estimate, a retry waits no longer than the first attempt. */
static unsigned rto_ms(const struct timing *t, uint64_t w, uint32_t peak_us, unsigned retry)
{
	uint64_t rto_us = srtt_of(w) + 4 * rttvar_of(w);
	uint64_t floor_us = (uint64_t)peak_us + peak_us / 4;

	/* At most twice SRTT: on a busy scanner a worker that waited for a
	 * CPU makes a stray sample far above the path's RTT, and a LAN's
	 * filtered ports must not wait for it; a tail beyond that is what
	 * the retry's back-off is for. */
	if (floor_us > 2 * srtt_of(w))
		floor_us = 2 * srtt_of(w);

	if (rto_us < floor_us)
		rto_us = floor_us;
	rto_us <<= retry < BACKOFF_MAX_SHIFT ? retry : BACKOFF_MAX_SHIFT;
	/* Rounded up: a timeout a fraction short of the RTO would cut off the
	 * answers the estimate says to expect. */
	return clamp_ms(t, (rto_us + 999) / 1000);
}

/* Direct low bits rather than a hash: adjacent host indices (usually adjacent
 * addresses) never collide, and a scan of up to TIMING_SLOTS hosts has no
 * sharing at all. */
static _Atomic uint64_t *slot_of(struct timing *t, uint64_t host)
{
	return &t->slots[host & (TIMING_SLOTS - 1)];
}

struct timing *timing_new(unsigned initial_ms, unsigned min_ms, unsigned max_ms)
{
	struct timing *t;

	if (min_ms == 0 || min_ms > max_ms)
		return NULL;
	t = malloc(sizeof(*t));
	if (t == NULL)
		return NULL;
	/* calloc: the all-zero word is the empty slot, and untouched pages of a
	 * sparse scan cost no memory. */
	t->slots = calloc(TIMING_SLOTS, sizeof(*t->slots));
	t->peaks = calloc(TIMING_SLOTS, sizeof(*t->peaks));
	if (t->slots == NULL || t->peaks == NULL) {
		free(t->slots);
		free(t->peaks);
		free(t);
		return NULL;
	}
	t->min_ms = min_ms;
	t->max_ms = max_ms;
	t->initial_ms = clamp_ms(t, initial_ms);
	atomic_init(&t->global, 0);
	atomic_init(&t->global_peak, 0);
	return t;
}

void timing_free(struct timing *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	free(t->peaks);
	free(t);
}

unsigned timing_attempt_timeout_ms(struct timing *t, uint64_t host, unsigned retry)
{
	size_t i = (size_t)(host & (TIMING_SLOTS - 1));
	uint64_t w = atomic_load_explicit(&t->slots[i], memory_order_relaxed);
	uint32_t peak;

	if (w != 0) {
		peak = atomic_load_explicit(&t->peaks[i], memory_order_relaxed);
	} else {
		w = atomic_load_explicit(&t->global, memory_order_relaxed);
		peak = atomic_load_explicit(&t->global_peak, memory_order_relaxed);
	}
	if (w == 0) {
		uint64_t ms = (uint64_t)t->initial_ms << (retry < BACKOFF_MAX_SHIFT ? retry : BACKOFF_MAX_SHIFT);

		return clamp_ms(t, ms);
	}
	return rto_ms(t, w, peak, retry);
}

unsigned timing_timeout_ms(struct timing *t, uint64_t host)
{
	return timing_attempt_timeout_ms(t, host, 0);
}

/* A sample in whole microseconds, rounded; negative counts as 0. Not NaN. */
static uint64_t sample_us(double rtt_ms)
{
	if (rtt_ms <= 0.0)
		return 0;
	if (rtt_ms >= (double)SRTT_MAX / 1000.0)
		return SRTT_MAX;
	return (uint64_t)(rtt_ms * 1000.0 + 0.5);
}

void timing_sample(struct timing *t, uint64_t host, double rtt_ms)
{
	uint64_t r;

	if (isnan(rtt_ms))
		return;
	r = sample_us(rtt_ms);
	feed(slot_of(t, host), r);
	feed(&t->global, r);
	feed_peak(&t->peaks[host & (TIMING_SLOTS - 1)], r > UINT32_MAX ? UINT32_MAX : (uint32_t)r);
	feed_peak(&t->global_peak, r > UINT32_MAX ? UINT32_MAX : (uint32_t)r);
}

bool timing_peak(struct timing *t, uint64_t host, double *peak_ms)
{
	uint32_t p = atomic_load_explicit(&t->peaks[host & (TIMING_SLOTS - 1)], memory_order_relaxed);

	if (p == 0)
		return false;
	*peak_ms = (double)p / 1000.0;
	return true;
}

static bool read_word(uint64_t w, double *srtt_ms, double *rttvar_ms)
{
	if (w == 0)
		return false;
	if (srtt_ms != NULL)
		*srtt_ms = (double)srtt_of(w) / 1000.0;
	if (rttvar_ms != NULL)
		*rttvar_ms = (double)rttvar_of(w) / 1000.0;
	return true;
}

bool timing_estimate(struct timing *t, uint64_t host, double *srtt_ms, double *rttvar_ms)
{
	return read_word(atomic_load_explicit(slot_of(t, host), memory_order_relaxed),
			 srtt_ms, rttvar_ms);
}

bool timing_global_estimate(struct timing *t, double *srtt_ms, double *rttvar_ms)
{
	return read_word(atomic_load_explicit(&t->global, memory_order_relaxed),
			 srtt_ms, rttvar_ms);
}

void timing_rtt_update(struct rtt_estimate *e, double rtt_ms)
{
	uint64_t w;

	if (isnan(rtt_ms))
		return;
	/* Through the slot's own word and step, so the saturation and the
	 * rounding are the table's to the microsecond. */
	w = update(e->valid ? pack(e->srtt_us, e->rttvar_us) : 0, sample_us(rtt_ms));
	e->srtt_us = srtt_of(w);
	e->rttvar_us = rttvar_of(w);
	e->valid = true;
}
