/* presets.h: named timing presets, from careful to aggressive.
 *
 * A preset is a complete set of pacing values chosen together; options the
 * user gives explicitly are meant to override single fields of it. The table
 * is static and read-only: lookups return pointers into it, which the caller
 * must not free and which stay valid for the life of the program. */
#ifndef PORTOLAN_PRESETS_H
#define PORTOLAN_PRESETS_H

#include <stddef.h>
#include <stdint.h>

struct preset {
	const char *name;
	const char *summary;          /* one line for --help */
	unsigned threads;             /* concurrent connects */
	unsigned initial_timeout_ms;  /* before a host has an RTT sample */
	unsigned min_timeout_ms;      /* floor of the adaptive timeout */
	unsigned max_timeout_ms;      /* ceiling of the adaptive timeout */
	unsigned retries;             /* extra attempts after a timeout */
	uint64_t max_rate;            /* probes per second; 0 = unlimited */
	unsigned discovery_timeout_ms; /* host discovery's wait for an answer (the cap) */
	unsigned discovery_retries;   /* host discovery's extra attempts */
};

/* The preset used when none is named. */
#define PRESET_DEFAULT "normal"

/* The preset called name (exact, case-sensitive), or NULL. */
const struct preset *preset_find(const char *name);

/* nmap's timing level "0" to "5" (-T0 ... -T5) as a preset: 0 and 1
 * paranoid, 2 polite, 3 normal, 4 aggressive, 5 insane. NULL for anything
 * else. */
const struct preset *preset_find_level(const char *text);

/* The i-th preset, in order from most careful to most aggressive, or NULL
 * past the end: for help text and config validation. */
const struct preset *preset_at(size_t i);

/* How many presets there are. */
size_t preset_count(void);

/* Writes "paranoid, polite, ..." (the names in order, separated by ", ")
 * into buf, truncated to fit and always terminated when len > 0. Returns the
 * length the full text needs, like snprintf. */
size_t preset_names(char *buf, size_t len);

#endif
