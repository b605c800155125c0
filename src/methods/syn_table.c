/* syn_table.c: the SYN method's probes in flight.
 *
 * A hash table finds the probe an answer is for (by the target's address
 * and port, once the answer has passed the keyed check: a forged answer
 * never costs a lookup), and a binary min-heap on the deadline tells the
 * timer which probe expires next. Each entry knows its heap slot, so an
 * answered probe leaves the heap in O(log n). The caller holds st->lock. */
#include "pcap_visible.h"   /* first: see there */

#include <string.h>

#include "syn_int.h"

static guint entry_hash(gconstpointer p)
{
	const struct syn_entry *e = p;
	uint64_t h = e->dst.v.lo ^ (e->dst.v.hi * 0x9e3779b97f4a7c15ULL) ^
		     ((uint64_t)e->port << 48) ^ (uint64_t)e->dst.family;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (guint)(h ^ (h >> 32));
}

static gboolean entry_equal(gconstpointer a, gconstpointer b)
{
	const struct syn_entry *x = a, *y = b;

	return x->port == y->port && pl_addr_equal(&x->dst, &y->dst);
}

void syn_table_init(struct syn_state *st)
{
	st->table = g_hash_table_new(entry_hash, entry_equal);
	st->heap_cap = 1024;
	st->heap = g_new(struct syn_entry *, st->heap_cap);
	st->heap_len = 0;
}

void syn_table_free(struct syn_state *st)
{
	g_hash_table_destroy(st->table);
	g_free(st->heap);
}

void syn_table_add(struct syn_state *st, struct syn_entry *e)
{
	g_hash_table_add(st->table, e);
	syn_heap_push(st, e);
}

struct syn_entry *syn_table_find(struct syn_state *st, const struct pl_addr *dst, uint16_t port)
{
	struct syn_entry k = { .dst = *dst, .port = port };

	return g_hash_table_lookup(st->table, &k);
}

static bool earlier(const struct syn_entry *a, const struct syn_entry *b)
{
	return a->deadline_ns < b->deadline_ns;
}

static void place(struct syn_state *st, size_t i, struct syn_entry *e)
{
	st->heap[i] = e;
	e->heap_idx = i;
}

static void sift_up(struct syn_state *st, size_t i)
{
	struct syn_entry *e = st->heap[i];

	while (i > 0 && earlier(e, st->heap[(i - 1) / 2])) {
		place(st, i, st->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	place(st, i, e);
}

static void sift_down(struct syn_state *st, size_t i)
{
	struct syn_entry *e = st->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= st->heap_len)
			break;
		if (c + 1 < st->heap_len && earlier(st->heap[c + 1], st->heap[c]))
			c++;
		if (!earlier(st->heap[c], e))
			break;
		place(st, i, st->heap[c]);
		i = c;
	}
	place(st, i, e);
}

void syn_heap_push(struct syn_state *st, struct syn_entry *e)
{
	if (st->heap_len == st->heap_cap) {
		st->heap_cap *= 2;
		st->heap = g_renew(struct syn_entry *, st->heap, st->heap_cap);
	}
	st->heap[st->heap_len++] = e;
	sift_up(st, st->heap_len - 1);
}

struct syn_entry *syn_heap_top(const struct syn_state *st)
{
	return st->heap_len > 0 ? st->heap[0] : NULL;
}

static void heap_remove_at(struct syn_state *st, size_t i)
{
	struct syn_entry *last = st->heap[--st->heap_len];

	st->heap[i]->heap_idx = SIZE_MAX;
	if (i == st->heap_len)
		return;
	place(st, i, last);
	sift_down(st, i);
	sift_up(st, last->heap_idx);
}

void syn_heap_pop(struct syn_state *st)
{
	if (st->heap_len > 0)
		heap_remove_at(st, 0);
}

void syn_table_remove(struct syn_state *st, struct syn_entry *e)
{
	g_hash_table_remove(st->table, e);
	if (e->heap_idx != SIZE_MAX)
		heap_remove_at(st, e->heap_idx);
}
