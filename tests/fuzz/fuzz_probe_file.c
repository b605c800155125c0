/* fuzz_probe_file.c: libFuzzer target for the probe-file loader.
 *
 * The input is the text of a probe file (YAML, probes/README.md), loaded
 * with probe_db_load_string() into a fresh database.
 *
 * Properties: a failure sets a one-line error that starts with the file's
 * name and adds nothing to the database; a success adds at least one probe,
 * and loading the same text again must fail (every name is now a duplicate)
 * and leave the count unchanged. The loaded probes are then used as a scan
 * would: ordered for a few ports (every probe exactly once for each port,
 * the banner probes first), their payloads read within bounds, and each one
 * matched against a slice of the input taken as a response, with the
 * documented cleaning of the expanded fields checked. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "probe_db.h"
#include "fuzz_common.h"

#define FUZZ_MAX_INPUT 65536
#define NAME "fuzz.yaml"
/* Responses are cut here: user patterns may backtrack, and PCRE's match
 * limit is what stops them, not the fuzzer's timeout. */
#define RESPONSE_MAX 512
#define FIELD_MAX 256

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_glib();
	return 0;
}

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_probe_file: %s%s%s\n", what, detail ? ": " : "",
		detail ? detail : "");
	abort();
}

static void check_error(const GError *err)
{
	if (err == NULL || err->message == NULL)
		fail("load failed without an error", NULL);
	if (!g_str_has_prefix(err->message, NAME ":"))
		fail("error does not start with the file name", err->message);
	if (strchr(err->message, '\n') != NULL)
		fail("error spans more than one line", err->message);
}

/* An expanded field: printable ASCII, no leading, trailing or double
 * spaces, at most FIELD_MAX bytes, never empty (empty is NULL). */
static void check_field(const char *v, const char *what)
{
	size_t len;

	if (v == NULL)
		return;
	len = strlen(v);
	if (len == 0 || len > FIELD_MAX)
		fail("expanded field empty or too long", what);
	if (v[0] == ' ' || v[len - 1] == ' ')
		fail("expanded field has outer spaces", what);
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] >= 0x7f)
			fail("expanded field has a non-printable byte", what);
		if (i > 0 && v[i] == ' ' && v[i - 1] == ' ')
			fail("expanded field has a double space", what);
	}
}

static void check_match(const struct service_match *m)
{
	if (m->service == NULL || m->service[0] == '\0')
		fail("match without a service", NULL);
	check_field(m->product, "product");
	check_field(m->version, "version");
	check_field(m->info, "info");
	check_field(m->hostname, "hostname");
	check_field(m->os_hint, "os");
}

static void use_db(const struct probe_db *db, const uint8_t *data, size_t size)
{
	static const uint16_t ports[] = { 1, 22, 80, 443, 6379, 65535 };
	size_t count = probe_db_count(db);
	const struct probe **order = g_new0(const struct probe *, count + 1);
	const struct probe **filtered = g_new0(const struct probe *, count + 1);
	size_t rlen = size < RESPONSE_MAX ? size : RESPONSE_MAX;

	for (size_t pi = 0; pi < G_N_ELEMENTS(ports); pi++) {
		size_t n = probe_db_order(db, ports[pi], NULL, order, count + 1);
		bool banners = true;

		if (n != count)
			fail("probe_db_order did not return every probe once", NULL);
		for (size_t i = 0; i < n; i++) {
			size_t len;

			(void)probe_payload(order[i], &len);
			if (len > 0)
				banners = false;
			else if (!banners)
				fail("a banner probe after a probe with a payload",
				     probe_name(order[i]));
			for (size_t j = 0; j < i; j++)
				if (order[j] == order[i])
					fail("probe ordered twice", probe_name(order[i]));
		}
	}

	for (size_t i = 0; i < count; i++) {
		const struct probe *p = order[i];
		struct service_match m;
		size_t len;
		const uint8_t *payload = probe_payload(p, &len);
		volatile uint8_t sink = 0;

		if (probe_name(p) == NULL || probe_name(p)[0] == '\0')
			fail("probe without a name", NULL);
		if (len > 65536 || (len > 0 && payload == NULL))
			fail("payload out of bounds", probe_name(p));
		/* Touch every byte, so ASan sees a payload shorter than said. */
		for (size_t k = 0; k < len; k++)
			sink ^= payload[k];
		(void)sink;
		if (probe_wait_ms(p) < 1 || probe_wait_ms(p) > 30000)
			fail("wait_ms out of range", probe_name(p));

		memset(&m, 0, sizeof(m));
		if (probe_match(p, data, rlen, &m)) {
			check_match(&m);
			/* p has a rule for this service, so the filtered order
			 * that follows a soft match must offer p again. */
			size_t nf = probe_db_order(db, 80, m.service, filtered, count);
			bool found = false;

			for (size_t k = 0; k < nf; k++)
				found = found || filtered[k] == p;
			if (!found)
				fail("filtered order lacks the matching probe", probe_name(p));
			service_match_clear(&m);
		}
		if (probe_match(p, NULL, 0, &m)) {
			check_match(&m);
			service_match_clear(&m);
		}
	}
	g_free(filtered);
	g_free(order);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_db *db;
	GError *err = NULL;
	size_t count;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	db = probe_db_new();
	if (probe_db_load_string(db, (const char *)data, size, NAME, &err) < 0) {
		check_error(err);
		if (probe_db_count(db) != 0)
			fail("a failed load added probes", NULL);
		g_error_free(err);
		probe_db_free(db);
		return 0;
	}
	if (err != NULL)
		fail("load succeeded with an error set", err->message);
	count = probe_db_count(db);
	if (count == 0)
		fail("load succeeded without probes", NULL);

	if (probe_db_load_string(db, (const char *)data, size, NAME, &err) == 0)
		fail("loading the same probes twice succeeded", NULL);
	check_error(err);
	g_clear_error(&err);
	if (probe_db_count(db) != count)
		fail("a failed second load changed the count", NULL);

	use_db(db, data, size);
	probe_db_free(db);
	return 0;
}
