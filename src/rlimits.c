/* rlimits.c: descriptor limit and thread count.
 *
 * More workers than descriptors only turns into EMFILE back-offs; clamping
 * up front keeps every worker useful. */
#include "rlimits.h"

#include <sys/resource.h>
#include <glib.h>

/* A sane ceiling even where the hard limit is "unlimited". */
#define NOFILE_CEILING 1048576

unsigned rlimits_fit_threads(unsigned wanted, unsigned reserve)
{
	struct rlimit rl;
	rlim_t target;
	unsigned fit;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return wanted;
	target = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > NOFILE_CEILING ?
		 NOFILE_CEILING : rl.rlim_max;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < target) {
		struct rlimit raised = { .rlim_cur = target, .rlim_max = rl.rlim_max };

		if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
			rl.rlim_cur = target;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > NOFILE_CEILING)
		rl.rlim_cur = NOFILE_CEILING;
	fit = rl.rlim_cur > reserve ? (unsigned)(rl.rlim_cur - reserve) : 1;
	if (fit < wanted) {
		g_warning("descriptor limit %llu allows %u threads, not %u; using %u",
			  (unsigned long long)rl.rlim_cur, fit, wanted, fit);
		return fit;
	}
	return wanted;
}
