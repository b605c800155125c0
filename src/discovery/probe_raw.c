/* probe_raw.c: the privileged discovery probers as one list, for the
 * discovery table (probe_raw.h). */
#include <stddef.h>

#include "probe_raw.h"

const struct disco_prober *const disco_raw_probers[] = {
	&disco_icmp_echo_raw, &disco_icmp_timestamp, &disco_tcp_syn, &disco_tcp_ack,
	&disco_arp, &disco_nd, NULL,
};
