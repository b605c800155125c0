/* probers.c: the table of discovery probers, looked up by name.
 *
 * Adding a prober is a file src/discovery/probe_NAME.c that defines
 * `const struct disco_prober disco_NAME` and one line below. A name may
 * appear twice, privileged and not (icmp-echo: a raw socket, a ping
 * socket); disco_prober_find picks by privilege. */
#include <string.h>

#include "disco_probe.h"

#define PROBER_TABLE(M) \
	M(tcp_connect) \
	M(icmp_echo_dgram) \
	M(icmp_echo_raw) \
	M(icmp_timestamp) \
	M(tcp_syn) \
	M(tcp_ack) \
	M(arp) \
	M(nd)

#define PROBER_DECLARE(name) extern const struct disco_prober disco_##name;
#define PROBER_ENTRY(name) &disco_##name,

PROBER_TABLE(PROBER_DECLARE)

static const struct disco_prober *const probers[] = {
	PROBER_TABLE(PROBER_ENTRY)
};

const struct disco_prober *disco_prober_at(size_t i)
{
	return i < G_N_ELEMENTS(probers) ? probers[i] : NULL;
}

const struct disco_prober *disco_prober_find(const char *name, bool privileged)
{
	const struct disco_prober *plain = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(probers); i++) {
		if (strcmp(probers[i]->name, name) != 0)
			continue;
		if (probers[i]->privileged) {
			if (privileged)
				return probers[i];
		} else if (plain == NULL) {
			plain = probers[i];
		}
	}
	return plain;
}
