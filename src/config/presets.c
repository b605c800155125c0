/* presets.c: the timing preset table.
 *
 * Why these values:
 *  - Timeouts are for TCP connect, where an answer is one round trip. The
 *    RFC 6298 initial RTO of 1 s is the middle ground; careful presets wait
 *    longer before the first sample because losing a port to impatience is
 *    what they exist to avoid, fast ones assume a good path.
 *  - The minimum timeout guards against estimates shared between hosts (the
 *    timing table shares slots) and against scheduler noise on a busy
 *    machine; below ~50 ms a loaded scanner starts timing out its own work.
 *  - The maximum bounds how long one filtered port can hold a worker;
 *    intercontinental RTTs are ~300 ms, so 3 s leaves room for loss-induced
 *    delay on normal, and insane accepts losing slow hosts.
 *  - Retries only repeat timeouts (answers are final), so they cost time only
 *    on filtered ports; a second chance catches most single drops.
 *  - Threads bound concurrent connects (and descriptors); the rate caps make
 *    the careful presets kind to IDS, firewalls with SYN-flood limits and
 *    small links: paranoid is one probe a second, polite one every 20 ms.
 *  - normal matches the built-in timeouts and retries (1000 ms, 1 retry)
 *    with a fixed 256 threads where the default sizes the pool from the
 *    descriptor limit and memory.
 *  - Host discovery waits as long as the initial timeout for a host's
 *    answer, and retries as often as a port: a host missed is every port of
 *    it missed, so no preset asks it less than it asks a port. */
#include "presets.h"

#include <stdio.h>
#include <string.h>

static const struct preset presets[] = {
	{ .name = "paranoid", .summary = "one probe at a time, one per second; patient timeouts",
	  .threads = 1, .initial_timeout_ms = 5000, .min_timeout_ms = 1000,
	  .max_timeout_ms = 10000, .retries = 3, .max_rate = 1,
	  .discovery_timeout_ms = 5000, .discovery_retries = 3 },
	{ .name = "polite", .summary = "at most 50 probes/s; generous timeouts",
	  .threads = 16, .initial_timeout_ms = 2000, .min_timeout_ms = 300,
	  .max_timeout_ms = 5000, .retries = 2, .max_rate = 50,
	  .discovery_timeout_ms = 2000, .discovery_retries = 2 },
	{ .name = "normal", .summary = "the defaults: unlimited rate, 1 s initial timeout",
	  .threads = 256, .initial_timeout_ms = 1000, .min_timeout_ms = 100,
	  .max_timeout_ms = 3000, .retries = 1, .max_rate = 0,
	  .discovery_timeout_ms = 1000, .discovery_retries = 1 },
	{ .name = "aggressive", .summary = "fast, reliable networks; shorter timeouts",
	  .threads = 512, .initial_timeout_ms = 500, .min_timeout_ms = 50,
	  .max_timeout_ms = 1250, .retries = 1, .max_rate = 0,
	  .discovery_timeout_ms = 500, .discovery_retries = 1 },
	{ .name = "insane", .summary = "LAN or loopback only; trades accuracy for speed",
	  .threads = 1024, .initial_timeout_ms = 250, .min_timeout_ms = 50,
	  .max_timeout_ms = 300, .retries = 0, .max_rate = 0,
	  .discovery_timeout_ms = 250, .discovery_retries = 0 },
};

#define NPRESETS (sizeof(presets) / sizeof(presets[0]))

const struct preset *preset_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < NPRESETS; i++)
		if (strcmp(presets[i].name, name) == 0)
			return &presets[i];
	return NULL;
}

const struct preset *preset_at(size_t i)
{
	return i < NPRESETS ? &presets[i] : NULL;
}

size_t preset_count(void)
{
	return NPRESETS;
}

size_t preset_names(char *buf, size_t len)
{
	size_t need = 0;

	if (len > 0)
		buf[0] = '\0';
	for (size_t i = 0; i < NPRESETS; i++) {
		const char *sep = i == 0 ? "" : ", ";
		int n = snprintf(len > need ? buf + need : NULL, len > need ? len - need : 0,
				 "%s%s", sep, presets[i].name);

		if (n > 0)
			need += (size_t)n;
	}
	return need;
}

const struct preset *preset_find_level(const char *text)
{
	/* nmap's -T0 to -T5 by their meaning. portolan has no preset between
	 * paranoid and polite, so nmap's 1 (sneaky, serial) takes the more
	 * careful neighbour: a level must never scan faster than asked. */
	static const char *const level[] = {
		"paranoid", "paranoid", "polite", "normal", "aggressive", "insane",
	};

	if (text == NULL || text[0] < '0' || text[0] > '5' || text[1] != '\0')
		return NULL;
	return preset_find(level[text[0] - '0']);
}
