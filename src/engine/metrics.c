/* metrics.c: the scan's counters and the summary line printed at the end.
 *
 * Counters are relaxed atomics: workers bump them concurrently and readers
 * only need each value to be whole, not ordered against the others, so a
 * snapshot taken mid-scan may be a few results apart between counters. */
#include "metrics.h"

#include <inttypes.h>
#include <glib.h>

#include "clock.h"

void metrics_init(struct metrics *m)
{
	atomic_init(&m->probes, 0);
	atomic_init(&m->attempts, 0);
	atomic_init(&m->retries, 0);
	atomic_init(&m->resource_waits, 0);
	atomic_init(&m->self_connects, 0);
	atomic_init(&m->skipped, 0);
	for (int i = 0; i < STATE_COUNT; i++)
		atomic_init(&m->state[i], 0);
	atomic_init(&m->detecting, 0);
	atomic_init(&m->detect_until_ms, 0);
	atomic_init(&m->packets.sent, 0);
	atomic_init(&m->packets.received, 0);
	atomic_init(&m->packets.retransmitted, 0);
	atomic_init(&m->packets.rejected, 0);
	atomic_init(&m->packets.dropped, 0);
}

void metrics_detect_begin(struct metrics *m, unsigned budget_ms)
{
	int64_t until = mono_ms() + budget_ms;
	int64_t seen = atomic_load_explicit(&m->detect_until_ms, memory_order_relaxed);

	/* A maximum, not the latest store: workers begin concurrently. */
	while (seen < until &&
	       !atomic_compare_exchange_weak_explicit(&m->detect_until_ms, &seen, until,
						      memory_order_relaxed, memory_order_relaxed))
		;
	atomic_fetch_add_explicit(&m->detecting, 1, memory_order_relaxed);
}

void metrics_detect_end(struct metrics *m)
{
	atomic_fetch_sub_explicit(&m->detecting, 1, memory_order_relaxed);
}

int64_t metrics_detect_left_ms(struct metrics *m)
{
	int64_t left;

	if (atomic_load_explicit(&m->detecting, memory_order_relaxed) == 0)
		return 0;
	left = atomic_load_explicit(&m->detect_until_ms, memory_order_relaxed) - mono_ms();
	/* Past its bound but not yet counted: closing the connection and
	 * handing the result on take a moment still. */
	return left > 0 ? left : 1;
}

void metrics_count_result(struct metrics *m, const struct result *r)
{
	/* Attempts and retries are counted by the workers as they happen. A
	 * host row (discovery's verdict) is no probe of a port: it counts
	 * only as a host up or down. */
	if (!result_is_host_row(r))
		atomic_fetch_add_explicit(&m->probes, 1, memory_order_relaxed);
	if ((unsigned)r->state < STATE_COUNT)
		atomic_fetch_add_explicit(&m->state[r->state], 1,
					  memory_order_relaxed);
}

void metrics_snapshot(struct metrics *m, uint64_t hosts, uint64_t total,
		      double elapsed_s, struct metrics_snapshot *out)
{
	out->hosts = hosts;
	out->total = total;
	out->probes = atomic_load_explicit(&m->probes, memory_order_relaxed);
	out->attempts = atomic_load_explicit(&m->attempts, memory_order_relaxed);
	out->retries = atomic_load_explicit(&m->retries, memory_order_relaxed);
	out->resource_waits = atomic_load_explicit(&m->resource_waits,
						   memory_order_relaxed);
	out->self_connects = atomic_load_explicit(&m->self_connects, memory_order_relaxed);
	out->pkt_sent = atomic_load_explicit(&m->packets.sent, memory_order_relaxed);
	out->pkt_received = atomic_load_explicit(&m->packets.received, memory_order_relaxed);
	out->pkt_retransmitted = atomic_load_explicit(&m->packets.retransmitted,
						      memory_order_relaxed);
	out->pkt_rejected = atomic_load_explicit(&m->packets.rejected, memory_order_relaxed);
	out->pkt_dropped = atomic_load_explicit(&m->packets.dropped, memory_order_relaxed);
	for (int i = 0; i < STATE_COUNT; i++)
		out->state[i] = atomic_load_explicit(&m->state[i],
						     memory_order_relaxed);
	/* The caller's to fill: the metrics know neither. */
	out->order = (struct scan_order){ .nshards = 1 };
	out->stopped = NULL;
	out->elapsed_s = elapsed_s;
	out->rate = elapsed_s > 0 ? (double)out->probes / elapsed_s : 0.0;
}

bool metrics_discovered(const struct metrics_snapshot *s)
{
	return s->state[STATE_UP] > 0 || s->state[STATE_DOWN] > 0;
}

void metrics_print_summary(const struct metrics_snapshot *s, FILE *fp)
{
	fprintf(fp, "portolan: %" PRIu64 " host%s", s->hosts, s->hosts == 1 ? "" : "s");
	/* Only when discovery ran: without it every host is taken as up. */
	if (metrics_discovered(s))
		fprintf(fp, " (%" PRIu64 " up, %" PRIu64 " down)", s->state[STATE_UP],
			s->state[STATE_DOWN]);
	fprintf(fp, ", %" PRIu64 " probe%s in %.2f s"
		" (%.0f/s): %" PRIu64 " open, %" PRIu64 " closed, %" PRIu64
		" filtered, %" PRIu64 " error; %" PRIu64 " attempt%s, %" PRIu64
		" retr%s",
		s->probes, s->probes == 1 ? "" : "s",
		s->elapsed_s, s->rate,
		s->state[STATE_OPEN], s->state[STATE_CLOSED],
		s->state[STATE_FILTERED], s->state[STATE_ERROR],
		s->attempts, s->attempts == 1 ? "" : "s",
		s->retries, s->retries == 1 ? "y" : "ies");
	/* Only a UDP scan has open|filtered ports: the TCP line stays as it was. */
	if (s->state[STATE_OPEN_FILTERED] > 0)
		fprintf(fp, ", %" PRIu64 " open|filtered", s->state[STATE_OPEN_FILTERED]);
	/* Back-offs only matter when they happened: they explain a slow scan. */
	if (s->resource_waits > 0)
		fprintf(fp, ", %" PRIu64 " resource wait%s", s->resource_waits,
			s->resource_waits == 1 ? "" : "s");
	if (s->self_connects > 0)
		fprintf(fp, ", %" PRIu64 " self-connect%s", s->self_connects,
			s->self_connects == 1 ? "" : "s");
	/* Index order unsharded is the one order that needs no seed to repeat. */
	if (s->order.seed != 0 || s->order.nshards > 1) {
		char *order = scan_order_text(&s->order);

		fprintf(fp, "; %s", order);
		g_free(order);
	}
	fputc('\n', fp);
}
