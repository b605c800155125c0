/* rlimits.h: fitting the worker pool to the process's descriptor limit. */
#ifndef PORTOLAN_RLIMITS_H
#define PORTOLAN_RLIMITS_H

/* Raises the soft RLIMIT_NOFILE toward the hard limit and returns how many
 * workers fit, each holding one socket, with `reserve` descriptors kept for
 * outputs, resolvers and the runtime. Warns when it has to clamp. wanted 0
 * asks for the automatic count: what descriptors and memory allow, at most
 * 1024. */
unsigned rlimits_fit_threads(unsigned wanted, unsigned reserve);

/* The descriptor limit in force (after rlimits_fit_threads raised it),
 * capped at a sane ceiling. */
unsigned rlimits_nofile(void);

#endif
