/* probe_raw.h: the privileged host-discovery probers (disco_probe.h): raw
 * ICMP echo and timestamp (probe_icmp.c), TCP SYN and ACK (probe_tcp.c),
 * ARP and IPv6 neighbour discovery on a local Ethernet link
 * (probe_link.c). Each needs root or CAP_NET_RAW at open(); packets and
 * answer checks are disco_pkt.h's. */
#ifndef PORTOLAN_PROBE_RAW_H
#define PORTOLAN_PROBE_RAW_H

#include "disco_probe.h"

extern const struct disco_prober disco_icmp_echo_raw;
extern const struct disco_prober disco_icmp_timestamp;
extern const struct disco_prober disco_tcp_syn;
extern const struct disco_prober disco_tcp_ack;
extern const struct disco_prober disco_arp;
extern const struct disco_prober disco_nd;

/* The six, NULL-terminated: what the discovery table (probers.c) lists. */
extern const struct disco_prober *const disco_raw_probers[];

#endif
