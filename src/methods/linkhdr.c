/* linkhdr.c: link-layer headers for injected frames, and the MACs read back
 * from our own frames (include/linkhdr.h). */
#include <string.h>
#include <sys/socket.h>

#include "linkhdr.h"
#include "packet.h"

#define ETHER_HDR 14
#define ETHERTYPE_IP4 0x0800
#define ETHERTYPE_IP6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define PROTO_UDP 17

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool linkhdr_supported(int dlt)
{
	switch (dlt) {
	case PACKET_DLT_EN10MB:
	case PACKET_DLT_NULL:
	case PACKET_DLT_LOOP:
	case PACKET_DLT_RAW:
	case PACKET_DLT_RAW_ALT:
	case PACKET_DLT_RAW_101:
		return true;
	default:
		return false;
	}
}

bool linkhdr_needs_macs(int dlt)
{
	return dlt == PACKET_DLT_EN10MB;
}

int linkhdr_build(int dlt, int family, const struct linkhdr_macs *m, uint8_t *out)
{
	uint32_t af = (uint32_t)family;

	if (family != AF_INET && family != AF_INET6)
		return -1;
	switch (dlt) {
	case PACKET_DLT_EN10MB:
		memcpy(out, m->dst, 6);
		memcpy(out + 6, m->src, 6);
		out[12] = family == AF_INET ? ETHERTYPE_IP4 >> 8 : ETHERTYPE_IP6 >> 8;
		out[13] = family == AF_INET ? ETHERTYPE_IP4 & 0xff : ETHERTYPE_IP6 & 0xff;
		return ETHER_HDR;
	case PACKET_DLT_NULL:
		/* The value is this host's own AF_INET6 (it differs between the
		 * BSDs), which is what its loopback driver reads. */
		memcpy(out, &af, 4);
		return 4;
	case PACKET_DLT_LOOP:
		out[0] = (uint8_t)(af >> 24);
		out[1] = (uint8_t)(af >> 16);
		out[2] = (uint8_t)(af >> 8);
		out[3] = (uint8_t)af;
		return 4;
	case PACKET_DLT_RAW:
	case PACKET_DLT_RAW_ALT:
	case PACKET_DLT_RAW_101:
		return 0;
	default:
		return -1;
	}
}

/* Whether the wire bytes p (4 or 16) are the address a. */
static bool addr_is(const uint8_t *p, const struct pl_addr *a)
{
	if (a->family == AF_INET)
		return a->v.hi == 0 && a->v.lo == get32(p);
	return a->v.hi == ((uint64_t)get32(p) << 32 | get32(p + 4)) &&
	       a->v.lo == ((uint64_t)get32(p + 8) << 32 | get32(p + 12));
}

bool linkhdr_learn(int dlt, const uint8_t *frame, size_t len, const struct pl_addr *src,
		   const struct pl_addr *dst, struct linkhdr_macs *m)
{
	size_t off = ETHER_HDR;
	uint16_t type;
	const uint8_t *ip;

	if (dlt != PACKET_DLT_EN10MB || len < ETHER_HDR || src->family != dst->family)
		return false;
	type = get16(frame + 12);
	if (type == ETHERTYPE_VLAN) {
		if (len < ETHER_HDR + 4)
			return false;
		type = get16(frame + 16);
		off += 4;
	}
	ip = frame + off;
	len -= off;
	if (src->family == AF_INET) {
		if (type != ETHERTYPE_IP4 || len < 20 || ip[0] >> 4 != 4 || (ip[0] & 0x0f) < 5 ||
		    ip[9] != PROTO_UDP || !addr_is(ip + 12, src) || !addr_is(ip + 16, dst))
			return false;
	} else if (src->family == AF_INET6) {
		/* The kernel's UDP datagram carries no extension header. */
		if (type != ETHERTYPE_IP6 || len < 40 || ip[0] >> 4 != 6 || ip[6] != PROTO_UDP ||
		    !addr_is(ip + 8, src) || !addr_is(ip + 24, dst))
			return false;
	} else {
		return false;
	}
	memcpy(m->dst, frame, 6);
	memcpy(m->src, frame + 6, 6);
	return true;
}
