/* ports.c: port specifications, parsed into a sorted list free of duplicates.
 *
 * A spec is a comma-separated list of ports, ranges ("lo-hi", "-1024",
 * "60000-", "-") and tcp service names. Items are collected in a 65536-bit
 * set, which sorts and deduplicates them at no extra cost whatever the
 * order or overlap of the items. */
#include "ports.h"

#include <errno.h>
#include <stdbool.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "textesc.h"

#define PORT_MAX 65535u

/* The default set: about a hundred TCP ports that are commonly found open on
 * servers, network devices and developer machines. It is chosen by hand from
 * well-known service assignments, grouped by what they serve, so an audit
 * without a port list still sees remote access, mail, web, directory, file
 * sharing, databases, message brokers, container/cluster control planes and
 * the usual alternative HTTP ports. Keep it sorted; tests check it parses and
 * its size. */
static const char default_spec[] =
	"21,22,23,25,53,80,81,88,110,111,113,119,135,139,143,179,389,443,445,"
	"465,514,515,548,554,587,631,636,873,990,993,995,1080,1194,1433,1521,"
	"1723,1883,2000,2049,2181,2222,2375,2376,2379,2380,3000,3128,3268,3306,"
	"3389,3690,4369,5000,5060,5061,5222,5269,5432,5601,5672,5900,5901,5984,"
	"5985,5986,6000,6379,6443,6667,6697,7001,7474,8000,8008,8009,8080,8081,"
	"8086,8088,8123,8443,8500,8883,8888,9000,9042,9090,9092,9100,9200,9300,"
	"9418,9999,10000,10250,11211,15672,27017";

const char *ports_default_spec(void)
{
	return default_spec;
}

/* portolan's own ranking for --top-ports and -F, from facts in this tree
 * (docs/top-ports.md says why; no other scanner's frequency table is used):
 *  1. the default set above, by service class, from what nearly every
 *     network runs to what only some do, each class in port order;
 *  2. the other ports the probe files (probes/NN-name.yaml) list, in the
 *     order of the files, which probes/README.md keeps likeliest first,
 *     and in port order within a file;
 *  3. every other port, in numeric order (so the System Ports 1-1023 of
 *     RFC 6335 come before the rest), which ports_top_spec() adds itself.
 * A unit test checks that tier 1 is the default set and tier 2 is what the
 * probe files list. */
static const uint16_t ranked[] = {
	/* remote access */
	22, 23, 2222, 3389, 5900, 5901, 5985, 5986, 6000,
	/* web */
	80, 443, 8080, 8443,
	/* mail */
	25, 110, 143, 465, 587, 993, 995,
	/* names and directories */
	53, 88, 389, 636, 3268,
	/* file and print sharing, version control */
	21, 111, 135, 139, 445, 515, 548, 631, 873, 990, 2049, 3690, 9100, 9418,
	/* databases and search */
	1433, 1521, 3306, 5432, 5984, 6379, 7474, 8086, 9042, 9200, 9300, 11211, 27017,
	/* alternative HTTP ports, web consoles and proxies */
	81, 1080, 3000, 3128, 5000, 5601, 8000, 8008, 8009, 8081, 8088, 8123, 8888,
	9000, 9090,
	/* message brokers, chat, voice, coordination */
	1883, 2181, 4369, 5060, 5061, 5222, 5269, 5672, 6667, 6697, 8883, 9092, 15672,
	/* container and cluster control planes */
	2375, 2376, 2379, 2380, 6443, 8500, 10250,
	/* the rest of the default set */
	113, 119, 179, 514, 554, 1194, 1723, 2000, 7001, 9999, 10000,
	/* tier 2: 10-banner.yaml */
	2323, 5902, 5903, 5904, 5905, 5906, 5907, 5908, 5909, 5910, 6665, 6666, 6668,
	6669, 7000,
	/* 20-http.yaml */
	591, 8118, 9201,
	/* 30-tls.yaml */
	261, 448, 563, 585, 614, 853, 989, 992, 994, 2484, 3269, 4433, 5223, 7443, 9443,
	10443,
	/* 40-databases.yaml */
	2182, 2888, 3888, 5433, 6380, 6381, 6432, 11212, 16379, 26379, 27018, 27019,
	/* 50-messaging.yaml */
	194, 1884, 4730, 5080, 5280, 5671, 11300,
	/* 60-infrastructure.yaml */
	3493, 5300, 5353, 8053, 10050,
	/* 70-remote.yaml */
	3388, 6001, 6002, 6003, 6004, 6005, 6006, 6007, 6008, 6009, 6010,
};

size_t ports_ranked(const uint16_t **list)
{
	*list = ranked;
	return G_N_ELEMENTS(ranked);
}

/* portolan's own UDP ranking for --top-ports and -F with -sU, made the
 * same way as TCP's (docs/top-ports.md, "UDP"): the services IANA assigns
 * these UDP ports that audits meet, by class, from what nearly every
 * network runs to what only some do; every port a UDP probe of the probe
 * files lists is in it (a unit test checks so); then every other port in
 * numeric order, which ports_top_spec_proto() adds itself. */
static const uint16_t ranked_udp[] = {
	/* names, time and addresses: DNS, NTP, DHCP, NetBIOS name and
	 * datagram, mDNS, LLMNR, SSDP */
	53, 123, 67, 68, 137, 138, 5353, 5355, 1900,
	/* management and monitoring: SNMP and its traps, syslog, IPMI/RMCP,
	 * TFTP */
	161, 162, 514, 623, 69,
	/* VPN and key exchange: IKE, IPsec NAT traversal, OpenVPN, L2TP */
	500, 4500, 1194, 1701,
	/* authentication and directories: RADIUS (and its old ports),
	 * Kerberos, kpasswd, CLDAP */
	1812, 1813, 1645, 1646, 88, 464, 389,
	/* RPC and file and print sharing: portmapper, NFS, MS RPC, IPP */
	111, 2049, 135, 631,
	/* databases and caches: memcached, SQL Server browser */
	11211, 1434,
	/* voice, media and NAT traversal: SIP, STUN; the web's QUIC */
	5060, 3478, 443,
	/* discovery and devices: SLP, NAT-PMP, WS-Discovery, CoAP, BACnet,
	 * Citrix ICA browser */
	427, 5351, 3702, 5683, 47808, 1604,
	/* routing and overlays: RIP, RIPng, VXLAN, Geneve */
	520, 521, 4789, 6081,
	/* remote desktops: XDMCP, Apple Remote Desktop, RDP's UDP transport */
	177, 3283, 3389,
	/* the small services of RFC 862-868: echo, discard, daytime, quote,
	 * chargen, time */
	7, 9, 13, 17, 19, 37,
};

size_t ports_ranked_proto(int proto, const uint16_t **list)
{
	if (proto == PORTS_UDP) {
		*list = ranked_udp;
		return G_N_ELEMENTS(ranked_udp);
	}
	return ports_ranked(list);
}

struct port_bits {
	uint64_t w[(PORT_MAX + 1) / 64];
};

static void bits_set_range(struct port_bits *b, unsigned lo, unsigned hi)
{
	for (unsigned p = lo; p <= hi; p++)
		b->w[p / 64] |= UINT64_C(1) << (p % 64);
}

static bool bits_test(const struct port_bits *b, unsigned p)
{
	return (b->w[p / 64] >> (p % 64)) & 1;
}

/* Parses a decimal port number that makes up all of text. Returns 0 when the
 * text is a number but out of range, -1 when it is not a number at all. */
static int parse_number(const char *text, unsigned *out)
{
	char *end;
	unsigned long v;

	/* strtoul would accept leading space, a sign and an empty string; a
	 * port is digits only. */
	if (!g_ascii_isdigit(text[0]))
		return -1;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (*end != '\0')
		return -1;
	if (errno == ERANGE || v == 0 || v > PORT_MAX)
		return 0;
	*out = (unsigned)v;
	return 1;
}

static int parse_range(const char *item, unsigned *lo, unsigned *hi,
		       GError **err)
{
	const char *dash = strchr(item, '-');
	char *left = g_strndup(item, (size_t)(dash - item));
	const char *right = dash + 1;
	char q1[TEXT_QUOTE_SIZE], q2[TEXT_QUOTE_SIZE];
	int ret = -1;

	*lo = 1;
	*hi = PORT_MAX;
	if (left[0] != '\0') {
		int r = parse_number(left, lo);

		if (r < 0)
			goto bad;
		if (r == 0) {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "invalid port range '%s': '%s' out of range 1-65535",
				    text_quote(q1, item), text_quote(q2, left));
			goto out;
		}
	}
	if (right[0] != '\0') {
		int r = parse_number(right, hi);

		if (r < 0)
			goto bad;
		if (r == 0) {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "invalid port range '%s': '%s' out of range 1-65535",
				    text_quote(q1, item), text_quote(q2, right));
			goto out;
		}
	}
	if (*lo > *hi) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "invalid port range '%s': start above end",
			    text_quote(q1, item));
		goto out;
	}
	ret = 0;
	goto out;
bad:
	g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
		    "invalid port range '%s': not a number or range",
		    text_quote(q1, item));
out:
	g_free(left);
	return ret;
}

/* One trimmed, non-empty item: a number, a range or a service name. */
static int parse_item(const char *item, const char *proto, unsigned *lo, unsigned *hi,
		      GError **err)
{
	char q1[TEXT_QUOTE_SIZE];

	if (strchr(item, '-') != NULL && (item[0] == '-' || g_ascii_isdigit(item[0])))
		return parse_range(item, lo, hi, err);

	if (g_ascii_isdigit(item[0])) {
		int r = parse_number(item, lo);

		if (r <= 0) {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    r == 0 ? "invalid port '%s': out of range 1-65535"
					   : "invalid port '%s': not a number or range",
				    text_quote(q1, item));
			return -1;
		}
		*hi = *lo;
		return 0;
	}

	/* Anything else is a service name. getservbyname is not thread-safe;
	 * ports are parsed once at start-up, before any worker exists. */
	struct servent *se = getservbyname(item, proto);

	if (se == NULL || ntohs((uint16_t)se->s_port) == 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "invalid port '%s': unknown service name",
			    text_quote(q1, item));
		return -1;
	}
	*lo = *hi = ntohs((uint16_t)se->s_port);
	return 0;
}

/* "T:" or "U:" (either case) in front of an item: the protocol it and the
 * items after it belong to. Returns the prefix's length (2) and sets
 * *which, 0 without one. */
static size_t proto_prefix(const char *item, int *which, const char *spec, GError **err)
{
	char q1[TEXT_QUOTE_SIZE];

	if (item[0] == '\0' || item[1] != ':')
		return 0;
	switch (g_ascii_toupper(item[0])) {
	case 'T': *which = PORTS_TCP; return 2;
	case 'U': *which = PORTS_UDP; return 2;
	default:
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "invalid port list '%s': '%c:' is not a protocol (T: TCP, U: UDP)",
			    text_quote(q1, spec), item[0]);
		*which = -1;
		return 0;
	}
}

int ports_parse_proto(const char *spec, int want, struct port_list *out, unsigned *named,
		      GError **err)
{
	struct port_bits *bits = g_new0(struct port_bits, 1);
	char **items = g_strsplit(spec, ",", -1);
	char q1[TEXT_QUOTE_SIZE];
	size_t n = 0;
	int ret = -1;
	int cur = PORTS_ANY;   /* before any prefix: every protocol's */

	out->ports = NULL;
	out->count = 0;
	if (named != NULL)
		*named = 0;

	/* A blank spec would otherwise be reported as an "empty item". */
	if (items[0] == NULL || (items[1] == NULL && g_strstrip(items[0])[0] == '\0')) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "invalid port list '%s': empty",
			    text_quote(q1, spec));
		goto out;
	}

	for (size_t i = 0; items[i] != NULL; i++) {
		char *item = g_strstrip(items[i]);
		unsigned lo, hi;

		if (item[0] == '\0') {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "invalid port list '%s': empty item",
				    text_quote(q1, spec));
			goto out;
		}
		if (want != PORTS_ANY) {
			int which = 0;
			size_t skip = proto_prefix(item, &which, spec, err);

			if (which < 0)
				goto out;
			if (skip > 0) {
				cur = which;
				item = g_strstrip(item + skip);
				if (item[0] == '\0') {
					g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
						    "invalid port list '%s': empty item",
						    text_quote(q1, spec));
					goto out;
				}
			}
		}
		if (parse_item(item, cur == PORTS_UDP ? "udp" : "tcp", &lo, &hi, err) < 0)
			goto out;
		if (named != NULL && cur != PORTS_ANY)
			*named |= 1u << cur;
		if (want == PORTS_ANY || cur == PORTS_ANY || cur == want)
			bits_set_range(bits, lo, hi);
	}

	for (unsigned p = 1; p <= PORT_MAX; p++)
		n += bits_test(bits, p);
	out->ports = g_new(uint16_t, n);
	for (unsigned p = 1; p <= PORT_MAX; p++)
		if (bits_test(bits, p))
			out->ports[out->count++] = (uint16_t)p;
	ret = 0;
out:
	g_strfreev(items);
	g_free(bits);
	return ret;
}

int ports_parse(const char *spec, struct port_list *out, GError **err)
{
	return ports_parse_proto(spec, PORTS_ANY, out, NULL, err);
}

char *ports_format(const struct port_list *pl)
{
	GString *s = g_string_new(NULL);
	size_t i = 0;

	while (i < pl->count) {
		size_t j = i;

		/* Extend the run while ports are consecutive. */
		while (j + 1 < pl->count && pl->ports[j + 1] == pl->ports[j] + 1)
			j++;
		if (s->len > 0)
			g_string_append_c(s, ',');
		if (j == i)
			g_string_append_printf(s, "%u", (unsigned)pl->ports[i]);
		else
			g_string_append_printf(s, "%u-%u", (unsigned)pl->ports[i],
					       (unsigned)pl->ports[j]);
		i = j + 1;
	}
	return g_string_free(s, FALSE);
}

char *ports_top_spec_proto(unsigned n, int proto)
{
	struct port_bits *bits = g_new0(struct port_bits, 1);
	struct port_list pl = { NULL, 0 };
	const uint16_t *rank;
	size_t nrank = ports_ranked_proto(proto, &rank);
	unsigned taken = 0;
	char *spec;

	for (size_t i = 0; i < nrank && taken < n; i++, taken++)
		bits_set_range(bits, rank[i], rank[i]);
	/* Past the ranking, the list goes on in numeric order. */
	for (unsigned p = 1; p <= PORT_MAX && taken < n; p++)
		if (!bits_test(bits, p)) {
			bits_set_range(bits, p, p);
			taken++;
		}
	pl.ports = g_new(uint16_t, taken > 0 ? taken : 1);
	for (unsigned p = 1; p <= PORT_MAX; p++)
		if (bits_test(bits, p))
			pl.ports[pl.count++] = (uint16_t)p;
	spec = ports_format(&pl);
	ports_free(&pl);
	g_free(bits);
	return spec;
}

char *ports_top_spec(unsigned n)
{
	return ports_top_spec_proto(n, PORTS_TCP);
}

void ports_subtract(struct port_list *pl, const struct port_list *ex)
{
	size_t kept = 0;

	for (size_t i = 0; i < pl->count; i++)
		if (!ports_contains(ex, pl->ports[i]))
			pl->ports[kept++] = pl->ports[i];
	pl->count = kept;
}

void ports_free(struct port_list *pl)
{
	g_free(pl->ports);
	pl->ports = NULL;
	pl->count = 0;
}

bool ports_contains(const struct port_list *pl, uint16_t port)
{
	size_t lo = 0, hi = pl->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pl->ports[mid] == port)
			return true;
		if (pl->ports[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}
