/* main.c: the edge: settings, plan, outputs, scan, and the exit code.
 * Errors are reported here, once, as "portolan: <what>: <why>". */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "errors.h"
#include "log.h"
#include "merge.h"
#include "plan.h"
#include "scan.h"
#include "settings.h"

/* A descriptor 0 to 2 that was closed (`2>&-`) would be handed to the first
 * file we open, and stderr would then write into an output. Opening
 * /dev/null onto each closed one first, as daemons and coreutils do, keeps
 * the three pointing where they should. Returns -1 when that fails. */
static int guard_std_descriptors(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int nfd;

		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* open() returns the lowest free descriptor: this one. */
		nfd = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (nfd != fd) {
			if (nfd != -1)
				close(nfd);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct settings s;
	struct scan_plan plan;
	GError *err = NULL;
	/* Before getopt permutes argv: the XML's args is the command as given. */
	char **args = g_strdupv(argv);
	int rc;

	/* Before anything opens a file. With no usable stderr there is no one
	 * to tell why. */
	if (guard_std_descriptors() != 0)
		return PL_EXIT_RUNTIME;
	/* A reader that goes away is a write error on that output, not death. */
	signal(SIGPIPE, SIG_IGN);
	log_init();
	/* A subcommand, before the scan's options are parsed: "merge" is no
	 * target a scan could mean (a name would need a dot to resolve
	 * outside the hosts file, and -- ends the options before one). */
	if (argc > 1 && strcmp(argv[1], "merge") == 0) {
		g_strfreev(args);
		return merge_main(argc - 1, argv + 1);
	}
	settings_init(&s);
	switch (settings_load(&s, argc, argv, &err)) {
	case SETTINGS_DONE:
		settings_clear(&s);
		g_strfreev(args);
		return PL_EXIT_OK;
	case SETTINGS_ERROR:
		settings_clear(&s);
		g_strfreev(args);
		return pl_report(err, PL_EXIT_USAGE);
	case SETTINGS_OK:
		break;
	}
	log_set_verbosity(s.verbosity);

	if (plan_build(&plan, &s, &err) != 0) {
		rc = pl_report(err, PL_EXIT_USAGE);
		goto out;
	}
	plan.argv = (const char *const *)args;
	if (plan.dry_run) {
		rc = scan_dry_run(&plan, &err);
		if (err != NULL)
			rc = pl_report(err, rc);
		goto out;
	}
	rc = scan_run(&plan, &err);
	if (err != NULL)
		rc = pl_report(err, rc == PL_EXIT_OK ? PL_EXIT_RUNTIME : rc);
out:
	plan_free(&plan);
	settings_clear(&s);
	g_strfreev(args);
	return rc;
}
