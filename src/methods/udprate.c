/* udprate.c: one host's ICMP rate limit, learnt from its answers' spacing.
 *
 * Why learning works: a token bucket (Linux's per-peer limit) that is asked
 * for more than it grants sends its errors exactly as fast as it refills.
 * So while learning the host is probed faster than any limit worth pacing
 * for (one send per UDPRATE_LEARN_STEP_MS), and the gaps between its ICMP
 * errors are the refill interval, give or take one step: their median is
 * the interval. Pacing then sends a little slower than that (a margin of a
 * tenth, at least one step), so each probe finds a token and a closed port
 * answers on its first paced try. Gaps shorter than half a step are answers
 * to sends made before learning (all at once) and say nothing of the
 * refill. A host whose learnt interval is no longer than the step
 * answered every probe: it is not limited after all. */
#include "udprate.h"

#include <string.h>

#define MS 1000000LL

void udprate_init(struct udprate *r)
{
	memset(r, 0, sizeof(*r));
	r->phase = UDPRATE_UNKNOWN;
}

static void start_learning(struct udprate *r, int64_t now)
{
	r->phase = UDPRATE_LEARNING;
	r->learn_since_ns = now;
	r->last_arrival_ns = 0;
	r->ngaps = 0;
	r->pace_ns = UDPRATE_LEARN_STEP_MS * MS;
	r->next_slot_ns = now;
}

int64_t udprate_median(int64_t *gaps, size_t n)
{
	/* Insertion sort: n is at most UDPRATE_GAPS. */
	for (size_t i = 1; i < n; i++) {
		int64_t v = gaps[i];
		size_t j = i;

		for (; j > 0 && gaps[j - 1] > v; j--)
			gaps[j] = gaps[j - 1];
		gaps[j] = v;
	}
	return n % 2 == 1 ? gaps[n / 2] : (gaps[n / 2 - 1] + gaps[n / 2]) / 2;
}

static void set_paced(struct udprate *r, int64_t interval)
{
	int64_t margin = interval / 10;

	if (margin < UDPRATE_LEARN_STEP_MS * MS)
		margin = UDPRATE_LEARN_STEP_MS * MS;
	r->phase = UDPRATE_PACED;
	r->interval_ns = interval;
	r->pace_ns = interval + margin;
	if (r->pace_ns > UDPRATE_MAX_MS * MS)
		r->pace_ns = UDPRATE_MAX_MS * MS;
}

bool udprate_answer(struct udprate *r, int64_t now, bool late, bool paced_loss)
{
	if (late)
		r->late++;
	else
		r->first_try++;
	switch (r->phase) {
	case UDPRATE_UNKNOWN:
	case UDPRATE_UNLIMITED:
		if (late)
			start_learning(r, now);
		else if (r->phase == UDPRATE_UNKNOWN && r->late == 0 &&
			 r->first_try > UDPRATE_BURST_MAX)
			r->phase = UDPRATE_UNLIMITED;
		return false;
	case UDPRATE_LEARNING:
		if (r->last_arrival_ns != 0) {
			int64_t gap = now - r->last_arrival_ns;

			if (gap >= UDPRATE_LEARN_STEP_MS * MS / 2 && r->ngaps < UDPRATE_GAPS)
				r->gaps_ns[r->ngaps++] = gap;
		}
		r->last_arrival_ns = now;
		if (r->ngaps >= UDPRATE_LEARN_GAPS) {
			int64_t g[UDPRATE_GAPS], med;

			memcpy(g, r->gaps_ns, r->ngaps * sizeof(g[0]));
			med = udprate_median(g, r->ngaps);
			if (med <= UDPRATE_LEARN_STEP_MS * MS * 3 / 2) {
				/* Every step answered: no limit to pace for. */
				r->phase = UDPRATE_UNLIMITED;
				r->pace_ns = 0;
				r->interval_ns = 0;
				return false;
			}
			set_paced(r, med);
			return true;
		}
		return false;
	case UDPRATE_PACED:
		/* A paced probe lost its answer: the pace is too fast (the
		 * limit is stricter than learnt, or shared with others). */
		if (paced_loss) {
			r->pace_ns += r->pace_ns / 4;
			if (r->pace_ns > UDPRATE_MAX_MS * MS)
				r->pace_ns = UDPRATE_MAX_MS * MS;
		}
		return false;
	}
	return false;
}

bool udprate_suspect(struct udprate *r, int64_t now, bool answered_before)
{
	if (r->phase == UDPRATE_UNLIMITED || !answered_before)
		return false;
	if (r->phase == UDPRATE_UNKNOWN)
		start_learning(r, now);
	return true;
}

int64_t udprate_slot(struct udprate *r, int64_t now, bool *learnt)
{
	int64_t slot;

	if (r->phase == UDPRATE_LEARNING && now - r->learn_since_ns >= UDPRATE_LEARN_MAX_MS * MS)
		/* Too few answers to learn from (few closed ports, or a
		 * stricter limit): Linux's default, which the margin covers. */
		set_paced(r, UDPRATE_DEFAULT_MS * MS);
	*learnt = r->phase == UDPRATE_PACED;
	if (r->pace_ns == 0)
		return now;
	slot = r->next_slot_ns > now ? r->next_slot_ns : now;
	r->next_slot_ns = slot + r->pace_ns;
	if (slot > now)
		r->paced_waits++;
	return slot;
}

unsigned udprate_interval_ms(const struct udprate *r)
{
	return r->phase == UDPRATE_PACED ? (unsigned)(r->interval_ns / MS) : 0;
}
