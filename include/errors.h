/* errors.h: the error domain and codes portolan reports through GError, and
 * the process exit codes they map to. */
#ifndef PORTOLAN_ERRORS_H
#define PORTOLAN_ERRORS_H

#include <glib.h>

#define PL_ERROR (pl_error_quark())
GQuark pl_error_quark(void);

enum pl_error_code {
	PL_ERROR_USAGE,     /* bad option, config, target, port or probe input: exit 2 */
	PL_ERROR_RUNTIME,   /* output not writable, resources exhausted: exit 3 */
};

/* Process exit codes (documented in README and portolan(1)). */
enum pl_exit {
	PL_EXIT_OK = 0,         /* scan completed */
	PL_EXIT_FINDINGS = 1,   /* audit findings: the network differs from policy */
	PL_EXIT_USAGE = 2,      /* usage, config or input error */
	PL_EXIT_RUNTIME = 3,    /* runtime failure */
};

/* Reports err on stderr, one "portolan: " line per line of its message
 * (config errors come several at once), frees it, and returns code. */
int pl_report(GError *err, int code);

#endif
