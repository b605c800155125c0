/* fuzz_common.h: what every fuzz target sets up the same way. */
#ifndef PORTOLAN_FUZZ_COMMON_H
#define PORTOLAN_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

/* Warnings are expected on bad input and stay quiet; a critical or error
 * means an API was misused, which is a finding: print it and abort so
 * libFuzzer saves the input. */
static GLogWriterOutput fuzz_log(GLogLevelFlags level, const GLogField *fields,
				 gsize n_fields, gpointer user_data)
{
	(void)user_data;
	if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)) {
		for (gsize i = 0; i < n_fields; i++)
			if (strcmp(fields[i].key, "MESSAGE") == 0)
				fprintf(stderr, "fuzz: critical: %s\n",
					(const char *)fields[i].value);
		abort();
	}
	return G_LOG_WRITER_HANDLED;
}

static inline void fuzz_quiet_glib(void)
{
	g_log_set_writer_func(fuzz_log, NULL, NULL);
}

#endif
