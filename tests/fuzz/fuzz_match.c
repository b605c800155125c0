/* fuzz_match.c: libFuzzer target for the response matcher.
 *
 * The real probes/ directory is loaded once (relative to the working
 * directory, which tests/fuzz/run sets to the repository root; the variable
 * FUZZ_PROBES_DIR overrides it). Each input is then a server's reply, run
 * through probe_match() for every probe, as the engine would after sending
 * each probe.
 *
 * Properties of a match: it names a service, and every expanded field is
 * what probes/README.md promises: printable ASCII only, no leading, trailing
 * or doubled spaces, at most 256 bytes, NULL rather than empty. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "probe_db.h"
#include "fuzz_common.h"

/* The engine reads at most 16 KiB per probe (REPLY_MAX in detect.c). */
#define FUZZ_MAX_INPUT 16384
#define FIELD_MAX 256

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct probe_db *db;
static const struct probe **probes;
static size_t nprobes;

static void free_db(void)
{
	g_free(probes);
	probe_db_free(db);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_PROBES_DIR");
	GError *err = NULL;

	fuzz_quiet_glib();
	if (dir == NULL)
		dir = "probes";
	db = probe_db_load_dir(dir, &err);
	if (db == NULL) {
		fprintf(stderr, "fuzz_match: %s (run from the repository root)\n",
			err->message);
		exit(2);
	}
	nprobes = probe_db_count(db);
	probes = g_new0(const struct probe *, nprobes + 1);
	/* Every probe, TCP's and the UDP scan's payloads (probe_db_order
	 * gives only TCP's). */
	for (size_t i = 0; i < nprobes; i++)
		probes[i] = probe_db_get(db, i);
	atexit(free_db);
	return 0;
}

static void fail(const struct probe *p, const char *what, const char *field)
{
	fprintf(stderr, "fuzz_match: probe '%s': %s (%s)\n", probe_name(p), what,
		field);
	abort();
}

static void check_field(const struct probe *p, const char *v, const char *what)
{
	size_t len;

	if (v == NULL)
		return;
	len = strlen(v);
	if (len == 0 || len > FIELD_MAX)
		fail(p, "expanded field empty or too long", what);
	if (v[0] == ' ' || v[len - 1] == ' ')
		fail(p, "expanded field has outer spaces", what);
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] >= 0x7f)
			fail(p, "expanded field has a non-printable byte", what);
		if (i > 0 && v[i] == ' ' && v[i - 1] == ' ')
			fail(p, "expanded field has a double space", what);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	for (size_t i = 0; i < nprobes; i++) {
		const struct probe *p = probes[i];
		struct service_match m;

		memset(&m, 0, sizeof(m));
		if (!probe_match(p, data, size, &m)) {
			if (m.service != NULL || m.product != NULL)
				fail(p, "no match, yet the result was written", "-");
			continue;
		}
		if (m.service == NULL || m.service[0] == '\0')
			fail(p, "match without a service", "service");
		check_field(p, m.product, "product");
		check_field(p, m.version, "version");
		check_field(p, m.info, "info");
		check_field(p, m.hostname, "hostname");
		check_field(p, m.os_hint, "os");
		service_match_clear(&m);
	}
	return 0;
}
