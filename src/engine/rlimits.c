/* rlimits.c: descriptor limit and thread count.
 *
 * More workers than descriptors only turns into EMFILE back-offs; clamping
 * up front keeps every worker useful.
 *
 * The automatic count: a blocking-connect worker costs one descriptor and,
 * counting its stack pages actually touched, socket buffers and allocator
 * state, well under MEM_PER_THREAD of memory; we allow ourselves an eighth of
 * physical memory. AUTO_MAX caps it where more threads stop paying: at 1024
 * connects in flight a 300 ms timeout still tries over 3000 silent ports a
 * second, and scheduling costs grow with every thread beyond. */
#include "rlimits.h"

#include <sys/resource.h>
#include <unistd.h>
#include <glib.h>

#define AUTO_MAX 1024
#define MEM_PER_THREAD (1024 * 1024)

/* A sane ceiling even where the hard limit is "unlimited". */
#define NOFILE_CEILING 1048576

unsigned rlimits_fit_threads(unsigned wanted, unsigned reserve)
{
	struct rlimit rl;
	rlim_t target;
	unsigned fit;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return wanted > 0 ? wanted : 64;
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
	if (wanted == 0) {
		unsigned n = AUTO_MAX;
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
		long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

		if (pages > 0 && size > 0) {
			double mem_fit = (double)pages * (double)size / 8.0 / MEM_PER_THREAD;

			if (mem_fit < n)
				n = mem_fit < 1 ? 1 : (unsigned)mem_fit;
		}
#endif
		if (fit < n)
			n = fit;
		g_info("threads: %u (descriptor limit %llu, memory, at most %u)", n,
		       (unsigned long long)rl.rlim_cur, AUTO_MAX);
		return n;
	}
	if (fit < wanted) {
		g_warning("descriptor limit %llu allows %u threads, not %u; using %u",
			  (unsigned long long)rl.rlim_cur, fit, wanted, fit);
		return fit;
	}
	return wanted;
}

unsigned rlimits_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > NOFILE_CEILING)
		return NOFILE_CEILING;
	return (unsigned)rl.rlim_cur;
}
