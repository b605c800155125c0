/* fuzz_ports.c: libFuzzer target for the port parser.
 *
 * The input is a port spec. When ports_parse() accepts it, the list must be
 * sorted, unique and inside 1..65535, and it must survive a round trip:
 * ports_format() then ports_parse() gives the same list back, and formatting
 * that list gives the same text (the compact form is canonical). A rejected
 * spec must leave the list empty and say why. Any violation aborts, which
 * libFuzzer reports as a crash with the input saved. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ports.h"
#include "fuzz_common.h"

/* Specs come from a command line or a config value; longer inputs only make
 * each run slower ("-,-,-,..." sets 65535 bits per item). */
#define FUZZ_MAX_INPUT 1024

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_glib();
	return 0;
}

static void fail(const char *what, const char *spec)
{
	fprintf(stderr, "fuzz_ports: %s (spec '%s')\n", what, spec);
	abort();
}

static void check_list(const struct port_list *pl, const char *spec)
{
	if (pl->count == 0 || pl->ports == NULL)
		fail("accepted spec gave an empty list", spec);
	for (size_t i = 0; i < pl->count; i++) {
		if (pl->ports[i] == 0)
			fail("port 0 in the list", spec);
		if (i > 0 && pl->ports[i] <= pl->ports[i - 1])
			fail("list not sorted and unique", spec);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct port_list a, b;
	GError *err = NULL;
	char *spec, *text, *again;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	spec = g_strndup((const char *)data, size);

	if (ports_parse(spec, &a, &err) < 0) {
		if (err == NULL || err->message == NULL || err->message[0] == '\0')
			fail("rejected without an error message", spec);
		if (a.ports != NULL || a.count != 0)
			fail("rejected but the list is not empty", spec);
		g_error_free(err);
		g_free(spec);
		return 0;
	}
	if (err != NULL)
		fail("accepted but an error was set", spec);
	check_list(&a, spec);

	text = ports_format(&a);
	if (ports_parse(text, &b, &err) < 0) {
		fprintf(stderr, "fuzz_ports: formatted '%s' does not parse: %s\n",
			text, err->message);
		fail("round trip failed", spec);
	}
	if (a.count != b.count ||
	    memcmp(a.ports, b.ports, a.count * sizeof(a.ports[0])) != 0) {
		fprintf(stderr, "fuzz_ports: formatted as '%s'\n", text);
		fail("round trip gave another list", spec);
	}
	again = ports_format(&b);
	if (strcmp(text, again) != 0) {
		fprintf(stderr, "fuzz_ports: '%s' then '%s'\n", text, again);
		fail("format is not canonical", spec);
	}

	g_free(again);
	g_free(text);
	ports_free(&b);
	ports_free(&a);
	g_free(spec);
	return 0;
}
