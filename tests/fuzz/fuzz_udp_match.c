/* fuzz_udp_match.c: libFuzzer target for the UDP reply matcher
 * (src/detect/udpmatch.c), over the real probes/ (FUZZ_PROBES_DIR
 * overrides it; tests/fuzz/run runs from the repository root).
 *
 * Input: one byte choosing the port (an index into the ports the UDP
 * probes list, so every probe's rules are reached), one byte choosing which
 * of the port's probes was sent (or none), then the reply.
 *
 * Properties: a match names a service; every field it fills is printable
 * ASCII, trimmed, single-spaced, at most 256 bytes; the banner is set
 * exactly when the reply is not empty, printable, at most 4 x 256 + 3 bytes
 * (every byte escaped, and an ellipsis); a reply that matches nothing
 * leaves the service fields NULL; a reply credited from another port of
 * the target (udp_reply_credited) was sent a probe with reply_from:
 * any_port, and matches (its rules come first). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "probe_db.h"
#include "result.h"
#include "udpmatch.h"
#include "fuzz_common.h"

#define FUZZ_MAX_INPUT 4096
#define FIELD_MAX 256

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct probe_db *db;
static uint16_t ports[256];
static size_t nports;

static void free_db(void)
{
	probe_db_free(db);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_PROBES_DIR");
	GError *err = NULL;

	fuzz_quiet_glib();
	db = probe_db_load_dir(dir != NULL ? dir : "probes", &err);
	if (db == NULL) {
		fprintf(stderr, "fuzz_udp_match: %s (run from the repository root)\n", err->message);
		exit(2);
	}
	for (unsigned p = 1; p <= 65535 && nports < G_N_ELEMENTS(ports); p++) {
		const struct probe *list[UDP_PROBES_MAX];

		if (probe_db_udp(db, (uint16_t)p, list, UDP_PROBES_MAX) > 0)
			ports[nports++] = (uint16_t)p;
	}
	if (nports == 0) {
		fprintf(stderr, "fuzz_udp_match: no UDP probes in %s\n", dir != NULL ? dir : "probes");
		exit(2);
	}
	atexit(free_db);
	return 0;
}

static void check_field(const char *v, const char *what, size_t max)
{
	size_t len;

	if (v == NULL)
		return;
	len = strlen(v);
	if (len == 0 || len > max) {
		fprintf(stderr, "fuzz_udp_match: %s empty or too long (%zu)\n", what, len);
		abort();
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] >= 0x7f) {
			fprintf(stderr, "fuzz_udp_match: %s has a non-printable byte\n", what);
			abort();
		}
	}
	if (max == FIELD_MAX && (v[0] == ' ' || v[len - 1] == ' ' || strstr(v, "  ") != NULL)) {
		fprintf(stderr, "fuzz_udp_match: %s not trimmed or single-spaced\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct probe *list[UDP_PROBES_MAX];
	const struct probe *sent = NULL;
	struct result *r;
	uint16_t port;
	size_t n;
	bool hit;

	if (size < 2 || size > FUZZ_MAX_INPUT)
		return 0;
	port = ports[data[0] % nports];
	n = probe_db_udp(db, port, list, UDP_PROBES_MAX);
	if (data[1] % (n + 1) < n)
		sent = list[data[1] % (n + 1)];
	r = result_new();
	hit = udp_match_reply(db, port, sent, data + 2, size - 2, r) != UDP_MATCH_NONE;
	if (udp_reply_credited(sent, data + 2, size - 2) &&
	    (sent == NULL || !probe_reply_any_port(sent) || !hit)) {
		fprintf(stderr, "fuzz_udp_match: credited from another port without a match\n");
		abort();
	}
	if (hit != (r->service != NULL) || (!hit && (r->product || r->version || r->info))) {
		fprintf(stderr, "fuzz_udp_match: match %d but service %s\n", hit, r->service);
		abort();
	}
	check_field(r->service, "service", FIELD_MAX);
	check_field(r->product, "product", FIELD_MAX);
	check_field(r->version, "version", FIELD_MAX);
	check_field(r->info, "info", FIELD_MAX);
	check_field(r->os_hint, "os", FIELD_MAX);
	if ((size > 2) != (r->banner != NULL)) {
		fprintf(stderr, "fuzz_udp_match: banner %s for %zu bytes\n",
			r->banner != NULL ? "set" : "unset", size - 2);
		abort();
	}
	check_field(r->banner, "banner", 4 * 256 + 3);
	result_free(r);
	return 0;
}
