/* errors.c: portolan's GError domain. */
#include <stdio.h>

#include "errors.h"

G_DEFINE_QUARK(portolan-error-quark, pl_error)

int pl_report(GError *err, int code)
{
	char **lines;

	if (err == NULL)
		return code;
	lines = g_strsplit(err->message, "\n", -1);
	for (char **l = lines; *l != NULL; l++)
		fprintf(stderr, "portolan: %s\n", *l);
	g_strfreev(lines);
	g_error_free(err);
	return code;
}
