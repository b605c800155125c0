/* pacer.c: the SYN scan's own brake on its send rate (include/pacer.h).
 *
 * Why the capture's drops and not the answers' loss: a dropped frame is a
 * local failure the scan caused by sending faster than the receiver could
 * read, and the only one it can cure by itself; losses on the path are for
 * retransmission (syn.c) to repair. */
#include <math.h>

#include <glib.h>

#include "pacer.h"
#include "ratelimit.h"

#define NS_PER_S 1e9
#define RAISE_DIV 32.0          /* a quiet interval: rate += rate / 32 */
#define CEILING_DIV 64.0        /* at the ceiling: ceiling += ceiling / 64 */

/* The slots are a ratelimit's (one token of burst: after a pause the next
 * send goes at once, and no more); the pacer itself is only the arithmetic
 * that moves its rate. rate, ceiling, sending and lowest belong to the one
 * updating thread; lowest is read once the updater has stopped. */
struct pacer {
	struct ratelimit *slots;
	double rate;                  /* 0: no limit yet */
	double ceiling;
	double sending;               /* the last rate measured above zero */
	double lowest;
};

struct pacer *pacer_new(void)
{
	struct pacer *p = g_new0(struct pacer, 1);

	/* Any positive rate builds it; 0 then lifts the limit until a drop. */
	p->slots = ratelimit_new_burst(1.0, 1);
	if (p->slots == NULL)
		g_error("pacer: out of memory");
	ratelimit_set_rate(p->slots, 0);
	return p;
}

void pacer_free(struct pacer *p)
{
	if (p == NULL)
		return;
	ratelimit_free(p->slots);
	g_free(p);
}

static void set_rate(struct pacer *p, double rate)
{
	p->rate = rate;
	ratelimit_set_rate(p->slots, rate);
	if (p->lowest == 0 || rate < p->lowest)
		p->lowest = rate;
}

void pacer_update(struct pacer *p, uint64_t sent, uint64_t drops, int64_t interval_ns)
{
	double measured = interval_ns > 0 ? (double)sent * NS_PER_S / (double)interval_ns : 0;
	double base;

	if (measured > 0)
		p->sending = measured;
	if (drops > 0) {
		/* Halve what was really sent: a limit above it would brake
		 * nothing. Drops in an interval that sent nothing are the tail
		 * of the last one that did: halve that one's rate. */
		base = measured > 0 ? measured : p->sending;
		if (p->rate > 0 && (base == 0 || p->rate < base))
			base = p->rate;
		if (base < 2 * PACER_MIN_RATE)
			base = 2 * PACER_MIN_RATE;
		p->ceiling = base;
		set_rate(p, fmax(base / 2, PACER_MIN_RATE));
		return;
	}
	if (p->rate == 0)
		return;
	if (p->rate >= p->ceiling)
		p->ceiling += p->ceiling / CEILING_DIV;
	set_rate(p, fmin(p->rate + p->rate / RAISE_DIV, p->ceiling));
}

double pacer_rate(const struct pacer *p)
{
	return p->rate;
}

double pacer_lowest(const struct pacer *p)
{
	return p->lowest;
}

int64_t pacer_reserve_at(struct pacer *p, int64_t now_ns)
{
	return ratelimit_reserve_at(p->slots, now_ns);
}

bool pacer_wait(struct pacer *p)
{
	return ratelimit_take_wait(p->slots);
}

void pacer_close(struct pacer *p)
{
	ratelimit_close(p->slots);
}
