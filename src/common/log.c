/* log.c: one writer function for every GLib log call in the program.
 *
 * The verbosity is set once, before any thread starts, and only read after. */
#include "log.h"

#include <stdio.h>
#include <glib.h>

static int verbosity;

static GLogWriterOutput write_log(GLogLevelFlags level, const GLogField *fields,
				  gsize n_fields, gpointer user_data)
{
	const char *message = NULL;
	const char *prefix = "";
	int needed;

	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) {
		needed = -1;
		prefix = "error: ";
	} else if (level & G_LOG_LEVEL_WARNING) {
		needed = 0;
		prefix = "warning: ";
	} else if (level & G_LOG_LEVEL_MESSAGE) {
		needed = 0;
	} else if (level & G_LOG_LEVEL_INFO) {
		needed = 1;
	} else {
		needed = 2;
		prefix = "debug: ";
	}
	if (verbosity < needed)
		return G_LOG_WRITER_HANDLED;
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "MESSAGE") == 0) {
			message = fields[i].value;
			break;
		}
	}
	fprintf(stderr, "portolan: %s%s\n", prefix, message ? message : "");
	return G_LOG_WRITER_HANDLED;
}

void log_init(void)
{
	g_log_set_writer_func(write_log, NULL, NULL);
}

void log_set_verbosity(int v)
{
	verbosity = v;
}

int log_verbosity(void)
{
	return verbosity;
}
