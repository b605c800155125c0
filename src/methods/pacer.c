/* pacer.c: the SYN scan's own brake on its send rate (include/pacer.h).
 *
 * Why the capture's drops and not the answers' loss: a dropped frame is a
 * local failure the scan caused by sending faster than the receiver could
 * read, and the only one it can cure by itself; losses on the path are for
 * retransmission (syn.c) to repair. */
#include <math.h>
#include <stdatomic.h>
#include <time.h>

#include <glib.h>

#include "clock.h"
#include "pacer.h"

#define NS_PER_S 1e9
#define RAISE_DIV 32.0          /* a quiet interval: rate += rate / 32 */
#define CEILING_DIV 64.0        /* at the ceiling: ceiling += ceiling / 64 */

struct pacer {
	_Atomic int64_t gap_ns;       /* between two sends; 0: no limit */
	_Atomic int64_t next_ns;      /* the next free slot (mono_ns) */
	double rate, ceiling, lowest; /* the updater's own (one thread) */
	_Atomic uint64_t lowest_bits; /* lowest, for pacer_lowest's readers */
};

struct pacer *pacer_new(void)
{
	return g_new0(struct pacer, 1);
}

void pacer_free(struct pacer *p)
{
	g_free(p);
}

static void set_rate(struct pacer *p, double rate)
{
	union { double d; uint64_t u; } bits;

	p->rate = rate;
	atomic_store(&p->gap_ns, (int64_t)llround(NS_PER_S / rate));
	if (p->lowest == 0 || rate < p->lowest) {
		p->lowest = rate;
		bits.d = rate;
		atomic_store(&p->lowest_bits, bits.u);
	}
}

void pacer_update(struct pacer *p, uint64_t sent, uint64_t drops, int64_t interval_ns)
{
	double measured = interval_ns > 0 ? (double)sent * NS_PER_S / (double)interval_ns : 0;
	double base;

	if (drops > 0) {
		/* Halve what was really sent: a limit above it would brake nothing. */
		base = p->rate > 0 && p->rate < measured ? p->rate : measured;
		if (base < 2 * PACER_MIN_RATE)
			base = p->rate > 0 ? p->rate : 2 * PACER_MIN_RATE;
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
	int64_t gap = atomic_load(&p->gap_ns);

	return gap > 0 ? NS_PER_S / (double)gap : 0;
}

double pacer_lowest(const struct pacer *p)
{
	union { double d; uint64_t u; } bits = { .u = atomic_load(&p->lowest_bits) };

	return bits.d;
}

int64_t pacer_reserve_at(struct pacer *p, int64_t now_ns)
{
	int64_t gap = atomic_load(&p->gap_ns), next, slot;

	if (gap == 0)
		return now_ns;
	next = atomic_load(&p->next_ns);
	do
		slot = next > now_ns ? next : now_ns;
	while (!atomic_compare_exchange_weak(&p->next_ns, &next, slot + gap));
	return slot;
}

void pacer_wait(struct pacer *p)
{
	int64_t slot = pacer_reserve_at(p, mono_ns()), left;

	/* Relative sleeps: macOS has no clock_nanosleep. */
	while ((left = slot - mono_ns()) > 0) {
		struct timespec ts = { .tv_sec = left / 1000000000, .tv_nsec = left % 1000000000 };

		(void)nanosleep(&ts, NULL);
	}
}
