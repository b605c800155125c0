/* test_taskgen.c: the sequential order is unchanged; a seeded permutation
 * yields every index exactly once, the same for the same seed and different
 * for different seeds; shards are disjoint and cover the space; positions can
 * be saved and resumed; and a huge space works in constant memory. A mixed
 * scan's space (hosts x (TCP ports ++ UDP ports), from plan_build) maps
 * index -> (host, proto, port) one to one, and its shards partition it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "method.h"
#include "plan.h"
#include "settings.h"
#include "taskgen.h"

struct space {
	uint64_t nhosts, nports;
};

/* Totals 1, 2, 3, 7, 1000, 65535, 256 x 200, and odd shapes: a power of two
 * plus one (the worst case for cycle walking), an exact power of two, a
 * prime. */
static const struct space spaces[] = {
	{ 1, 1 }, { 2, 1 }, { 1, 3 }, { 7, 1 }, { 10, 100 }, { 1, 65535 },
	{ 256, 200 }, { 5, 13 }, { 1025, 1 }, { 4097, 3 }, { 1024, 1024 },
	{ 999983, 1 }, { 3, 65535 },
};
static const uint64_t seeds[] = { 1, 2, 0xdeadbeefcafef00dULL };

#define NSPACES (sizeof(spaces) / sizeof(spaces[0]))
#define NSEEDS (sizeof(seeds) / sizeof(seeds[0]))

static unsigned char *bitmap_new(uint64_t n)
{
	unsigned char *b = calloc((size_t)(n / 8 + 1), 1);

	assert_non_null(b);
	return b;
}

/* Marks index in the bitmap; fails if it is out of range or seen before. */
static void mark_once(unsigned char *b, uint64_t total, uint64_t index)
{
	assert_true(index < total);
	assert_false(b[index / 8] & (1u << (index % 8)));
	b[index / 8] |= (unsigned char)(1u << (index % 8));
}

static void test_sequential_order_unchanged(void **state)
{
	struct taskgen a, b;
	uint64_t i, n = 0;

	taskgen_init(&a, 7, 3);
	assert_int_equal(a.total, 21);
	assert_int_equal(taskgen_count(&a), 21);
	while (taskgen_next(&a, &i))
		assert_int_equal(i, n++);
	assert_int_equal(n, 21);
	assert_false(taskgen_next(&a, &i));

	/* Seed 0 is "no permutation". */
	taskgen_init_permuted(&b, 7, 3, 0);
	assert_false(b.permuted);
	for (n = 0; taskgen_next(&b, &i); n++)
		assert_int_equal(i, n);
	assert_int_equal(n, 21);

	/* An empty space yields nothing, permuted or not. */
	taskgen_init_permuted(&b, 0, 80, 9);
	assert_false(taskgen_next(&b, &i));
}

static void test_permutation_covers_each_index_once(void **state)
{
	for (size_t s = 0; s < NSPACES; s++) {
		for (size_t k = 0; k < NSEEDS; k++) {
			struct taskgen tg;
			unsigned char *seen;
			uint64_t i, n = 0;

			taskgen_init_permuted(&tg, spaces[s].nhosts, spaces[s].nports, seeds[k]);
			assert_true(tg.permuted);
			seen = bitmap_new(tg.total);
			while (taskgen_next(&tg, &i)) {
				mark_once(seen, tg.total, i);
				n++;
			}
			assert_int_equal(n, tg.total);
			free(seen);
		}
	}
}

static uint64_t *sequence(uint64_t nhosts, uint64_t nports, uint64_t seed, uint64_t *n)
{
	struct taskgen tg;
	uint64_t *out, i;

	taskgen_init_permuted(&tg, nhosts, nports, seed);
	out = malloc(sizeof(*out) * (size_t)tg.total);
	assert_non_null(out);
	for (*n = 0; taskgen_next(&tg, &i); (*n)++)
		out[*n] = i;
	return out;
}

#define ORDER_SEEDS 20

static void test_seed_decides_order(void **state)
{
	uint64_t *seq[ORDER_SEEDS], *again, n, m, identity = 0;

	for (int k = 0; k < ORDER_SEEDS; k++)
		seq[k] = sequence(10, 100, (uint64_t)k + 1, &n);
	/* Same seed, same order. */
	again = sequence(10, 100, 7, &m);
	assert_int_equal(m, n);
	assert_memory_equal(again, seq[6], sizeof(*again) * (size_t)n);
	free(again);
	/* Different seeds, different orders, none of them the identity. */
	for (int a = 0; a < ORDER_SEEDS; a++) {
		for (uint64_t i = 0; i < n; i++)
			identity += seq[a][i] == i;
		for (int b = a + 1; b < ORDER_SEEDS; b++)
			assert_memory_not_equal(seq[a], seq[b], sizeof(*seq[a]) * (size_t)n);
	}
	/* A random permutation fixes about one point; 20 of them about 20. */
	assert_true(identity < 100);
	for (int k = 0; k < ORDER_SEEDS; k++)
		free(seq[k]);
}

static void check_shards(uint64_t nhosts, uint64_t nports, uint64_t seed, uint64_t nshards)
{
	struct taskgen tg;
	unsigned char *seen;
	uint64_t i, n = 0, total;

	taskgen_init_permuted(&tg, nhosts, nports, seed);
	total = tg.total;
	seen = bitmap_new(total);
	for (uint64_t k = 0; k < nshards; k++) {
		uint64_t here = 0;

		taskgen_init_permuted(&tg, nhosts, nports, seed);
		assert_true(taskgen_set_shard(&tg, k, nshards));
		while (taskgen_next(&tg, &i)) {
			/* Disjoint: no index is seen by two shards. */
			mark_once(seen, total, i);
			here++;
		}
		assert_int_equal(here, taskgen_count(&tg));
		/* Shares differ by at most one. */
		assert_true(here == total / nshards || here == total / nshards + 1);
		n += here;
	}
	/* Covering: together they produce the whole space. */
	assert_int_equal(n, total);
	free(seen);
}

static void test_shards_partition_space(void **state)
{
	static const uint64_t ns[] = { 1, 2, 3, 7 };

	for (size_t s = 0; s < NSPACES; s++)
		for (size_t j = 0; j < sizeof(ns) / sizeof(ns[0]); j++) {
			check_shards(spaces[s].nhosts, spaces[s].nports, 42, ns[j]);
			check_shards(spaces[s].nhosts, spaces[s].nports, 0, ns[j]);
		}
}

static void test_shard_positions(void **state)
{
	struct taskgen tg, whole;
	uint64_t i;

	/* Shard k of N takes the positions k, k+N, ... of the whole sequence. */
	taskgen_init_permuted(&whole, 256, 200, 99);
	taskgen_init_permuted(&tg, 256, 200, 99);
	assert_true(taskgen_set_shard(&tg, 2, 3));
	for (uint64_t p = 0; taskgen_next(&tg, &i); p++)
		assert_int_equal(i, taskgen_index_at(&whole, 2 + 3 * p));

	assert_false(taskgen_set_shard(&tg, 3, 3));
	assert_false(taskgen_set_shard(&tg, 0, 0));
	assert_int_equal(tg.shard, 2);
	assert_int_equal(tg.nshards, 3);

	/* More shards than tasks: the extra shards are empty. */
	taskgen_init_permuted(&tg, 2, 1, 5);
	assert_true(taskgen_set_shard(&tg, 6, 7));
	assert_int_equal(taskgen_count(&tg), 0);
	assert_false(taskgen_next(&tg, &i));
}

static void test_consecutive_tasks_spread(void **state)
{
	struct taskgen tg;
	uint64_t i, host, port, prev_host = UINT64_MAX, prev_port = UINT64_MAX;
	uint64_t same_host = 0, same_port = 0;

	taskgen_init_permuted(&tg, 256, 200, 12345);
	while (taskgen_next(&tg, &i)) {
		taskgen_decode(&tg, i, &host, &port);
		same_host += host == prev_host;
		same_port += port == prev_port;
		prev_host = host;
		prev_port = port;
	}
	/* A random order repeats a host 1 time in 256 (about 200 of 51200) and
	 * a port 1 time in 200 (about 256); allow a wide margin. */
	assert_true(same_host < 400);
	assert_true(same_port < 500);
}

static void test_resume_from_position(void **state)
{
	struct taskgen a, b;
	uint64_t first[1000], i;

	taskgen_init_permuted(&a, 1, 65535, 77);
	for (int k = 0; k < 1000; k++) {
		assert_int_equal(taskgen_position(&a), (uint64_t)k);
		assert_true(taskgen_next(&a, &first[k]));
		assert_int_equal(first[k], taskgen_index_at(&a, (uint64_t)k));
	}

	taskgen_init_permuted(&b, 1, 65535, 77);
	taskgen_seek(&b, 400);
	assert_int_equal(taskgen_position(&b), 400);
	for (int k = 400; k < 1000; k++) {
		assert_true(taskgen_next(&b, &i));
		assert_int_equal(i, first[k]);
	}
	/* Seeking past the end parks the generator at the end. */
	taskgen_seek(&b, UINT64_MAX);
	assert_int_equal(taskgen_position(&b), 65535);
	assert_false(taskgen_next(&b, &i));
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

#define BIG_SAMPLE 200000

/* 2^32 hosts x 65535 ports (~2^48): no materialising, indices in range and
 * distinct; also a space just over a power of two (most cycle walking). */
static void test_huge_space(void **state)
{
	static const struct space big[] = {
		{ UINT64_C(1) << 32, 65535 }, { (UINT64_C(1) << 31) + 1, 1 },
	};
	uint64_t *v = malloc(sizeof(*v) * BIG_SAMPLE);

	assert_non_null(v);
	for (size_t s = 0; s < sizeof(big) / sizeof(big[0]); s++) {
		struct taskgen tg;

		taskgen_init_permuted(&tg, big[s].nhosts, big[s].nports, 2024);
		assert_true(taskgen_set_shard(&tg, 1, 4));
		for (size_t k = 0; k < BIG_SAMPLE; k++) {
			assert_true(taskgen_next(&tg, &v[k]));
			assert_true(v[k] < tg.total);
		}
		qsort(v, BIG_SAMPLE, sizeof(*v), cmp_u64);
		for (size_t k = 1; k < BIG_SAMPLE; k++)
			assert_true(v[k] != v[k - 1]);
		/* Positions near the end of the shard work as well. */
		taskgen_seek(&tg, taskgen_count(&tg) - 1);
		assert_true(taskgen_next(&tg, &v[0]));
		assert_true(v[0] < tg.total);
		assert_false(taskgen_next(&tg, &v[0]));
	}
	free(v);
}

/* The order as outputs and the summary write it: enough to repeat a run. */
/* The plan of a mixed scan (--dry-run: nothing sent, no file written). */
static void mixed_plan(struct settings *s, struct scan_plan *p, const char *method,
		       const char *ports, const char *hosts)
{
	const char *argv[] = { "portolan", "-q", "-Pn", "--dry-run", "--method", method, "-p", ports,
			       hosts, NULL };
	GError *err = NULL;

	settings_init(s);
	assert_int_equal(settings_load(s, (int)G_N_ELEMENTS(argv) - 1, (char **)argv, &err),
			 SETTINGS_OK);
	if (plan_build(p, s, &err) != 0)
		fail_msg("plan: %s", err->message);
}

/* Every (host, proto, port) of the mixed space comes out of the shards
 * exactly once: the TCP list's ports as TCP, the UDP list's as UDP, the
 * unprefixed ones as both. */
static void test_mixed_space_bijection(void **state)
{
	static const struct { uint16_t port; enum pl_proto proto; } want[] = {
		{ 22, PROTO_TCP }, { 80, PROTO_TCP }, { 443, PROTO_TCP },
		{ 53, PROTO_UDP }, { 161, PROTO_UDP }, { 443, PROTO_UDP },
	};
	static const uint64_t nshards[] = { 1, 2, 3, 5 };
	struct settings s;
	struct scan_plan p;

	mixed_plan(&s, &p, "connect,udp", "443,T:22,80,U:53,161", "192.0.2.0-6");
	assert_ptr_equal(p.methods[PROTO_TCP], method_find("connect"));
	assert_ptr_equal(p.methods[PROTO_UDP], method_find("udp"));
	assert_ptr_equal(p.method, p.methods[PROTO_TCP]);
	assert_int_equal(p.nports, G_N_ELEMENTS(want));
	assert_string_equal(p.ports_text, "T:22,80,443,U:53,161,443");
	for (size_t k = 0; k < G_N_ELEMENTS(nshards); k++) {
		for (uint64_t seed = 0; seed < 3; seed++) {
			/* hits[host][want index] */
			unsigned hits[7][G_N_ELEMENTS(want)] = { { 0 } };
			uint64_t n = 0;

			for (uint64_t sh = 0; sh < nshards[k]; sh++) {
				struct taskgen tg;
				uint64_t index, host, pi;

				taskgen_init_permuted(&tg, 7, p.nports, seed);
				assert_true(taskgen_set_shard(&tg, sh, nshards[k]));
				while (taskgen_next(&tg, &index)) {
					enum pl_proto proto;
					uint16_t port;
					size_t w;

					taskgen_decode(&tg, index, &host, &pi);
					port = plan_port_at(&p, pi, &proto);
					for (w = 0; w < G_N_ELEMENTS(want); w++)
						if (want[w].port == port && want[w].proto == proto)
							break;
					assert_true(w < G_N_ELEMENTS(want));
					assert_true(host < 7);
					hits[host][w]++;
					n++;
				}
			}
			assert_int_equal(n, 7 * G_N_ELEMENTS(want));
			for (size_t h = 0; h < 7; h++)
				for (size_t w = 0; w < G_N_ELEMENTS(want); w++)
					assert_int_equal(hits[h][w], 1);
		}
	}
	plan_free(&p);
	settings_clear(&s);
}

/* One protocol keeps the plan it always had: one method, one list, the
 * same text; a UDP scan's list is the UDP one. */
static void test_single_protocol_plans(void **state)
{
	struct settings s;
	struct scan_plan p;

	mixed_plan(&s, &p, "connect", "T:22,80,53", "192.0.2.1");
	assert_null(p.methods[PROTO_UDP]);
	assert_int_equal(p.nports, 3);
	assert_string_equal(p.ports_text, "22,53,80");
	plan_free(&p);
	settings_clear(&s);
	mixed_plan(&s, &p, "udp", "22,U:53", "192.0.2.1");
	assert_null(p.methods[PROTO_TCP]);
	assert_ptr_equal(p.method, method_find("udp"));
	assert_int_equal(p.ports[PROTO_UDP].count, 2);
	assert_string_equal(p.ports_text, "22,53");
	plan_free(&p);
	settings_clear(&s);
}

static void test_order_text(void **state)
{
	static const struct {
		struct scan_order o;
		const char *want;
	} cases[] = {
		{ { .seed = 0, .nshards = 1 }, "index order" },
		{ { .seed = 0, .shard = 1, .nshards = 3 }, "index order, shard 2/3" },
		{ { .seed = 42, .nshards = 1 }, "seed 42" },
		{ { .seed = 9223372036854775807u, .derived = true, .shard = 3, .nshards = 4 },
		  "seed 9223372036854775807 (derived), shard 4/4" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = scan_order_text(&cases[i].o);

		assert_string_equal(text, cases[i].want);
		g_free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequential_order_unchanged),
		cmocka_unit_test(test_permutation_covers_each_index_once),
		cmocka_unit_test(test_seed_decides_order),
		cmocka_unit_test(test_shards_partition_space),
		cmocka_unit_test(test_shard_positions),
		cmocka_unit_test(test_consecutive_tasks_spread),
		cmocka_unit_test(test_resume_from_position),
		cmocka_unit_test(test_huge_space),
		cmocka_unit_test(test_order_text),
		cmocka_unit_test(test_mixed_space_bijection),
		cmocka_unit_test(test_single_protocol_plans),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
