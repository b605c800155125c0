/* probe_link.c: the on-link discovery probers, arp (IPv4) and nd (IPv6
 * neighbour discovery). On a directly connected Ethernet subnet a host
 * must answer ARP or neighbour solicitation to talk at all, whatever its
 * firewall does with ICMP or TCP, so these are exclusive: their answer or
 * silence is the truth for the hosts they apply to.
 *
 * open() lists the Ethernet interfaces that are up, with their MAC and
 * addresses (getifaddrs), and opens two pcap handles on each that has an
 * address of the prober's family: one to send whole frames with
 * pcap_inject, one to capture the answers (inbound only, filtered to ARP
 * or neighbour advertisements). send() decides on-link from the
 * interface's address and prefix: a target inside one of our prefixes
 * (not our own address, not the IPv4 subnet's network or broadcast
 * address, not an IPv6 link-local or multicast one) is asked on that
 * interface; any other target is DISCO_SKIP. An answer counts only for an
 * address asked and not yet forgotten, and only when it answers us (our
 * MAC and address for ARP; the solicited flag, hop limit 255 and a valid
 * checksum for ND: disco_pkt.h).
 *
 * Learning the MAC address is Linux's AF_PACKET entry of getifaddrs;
 * elsewhere (AF_LINK) it is not written yet, and the probers report that
 * they cannot run. */
#include "../methods/pcap_visible.h"   /* first: see there */

#include <stdatomic.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pcap/pcap.h>
#if defined(__linux__)
#include <ifaddrs.h>
#include <net/if.h>
#include <netpacket/packet.h>
#endif

#include "disco_pkt.h"
#include "disco_rx.h"
#include "errors.h"
#include "probe_raw.h"
#include "ratelimit.h"

#define LINK_IFACES_MAX 16
#define LINK_ADDRS_MAX 8
#define READ_BURST 64
#define SNAPLEN 128
#define ARPHRD_ETHER_ 1       /* net/if_arp.h's ARPHRD_ETHER */

struct link_addr {
	struct pl_addr a;
	unsigned prefix;
};

struct link_iface {
	struct link_state *st;
	char name[64];
	uint8_t mac[6];
	struct link_addr addr[LINK_ADDRS_MAX];
	size_t naddr;
	pcap_t *tx, *rx;
};

struct link_state {
	const struct disco_env *env;
	const char *name;
	int family;                   /* AF_INET: arp, AF_INET6: nd */
	struct link_iface ifc[LINK_IFACES_MAX];
	size_t nifc;
	pthread_mutex_t lock;         /* asked */
	GHashTable *asked;            /* struct pl_addr * -> itself */
	struct disco_rx rx;
	_Atomic unsigned drops[LINK_IFACES_MAX]; /* each capture's, as last read (the
						   reader's, read by drops()) */
};

static bool is_ours(const struct link_iface *ifc, const struct pl_addr *a)
{
	for (size_t i = 0; i < ifc->naddr; i++)
		if (pl_addr_equal(&ifc->addr[i].a, a))
			return true;
	return false;
}

#if defined(__linux__)
static guint addr_hash(gconstpointer p)
{
	const struct pl_addr *a = p;

	return (guint)(a->v.lo ^ a->v.lo >> 32 ^ a->v.hi ^ a->v.hi >> 32) ^ (guint)a->family;
}

static gboolean addr_eq(gconstpointer a, gconstpointer b)
{
	return pl_addr_equal(a, b);
}

/* Whether addr was asked (and not yet forgotten). */
static bool was_asked(struct link_state *st, const struct pl_addr *addr)
{
	bool yes;

	pthread_mutex_lock(&st->lock);
	yes = g_hash_table_contains(st->asked, addr);
	pthread_mutex_unlock(&st->lock);
	return yes;
}

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct link_iface *ifc = (struct link_iface *)user;
	struct link_state *st = ifc->st;
	struct pl_addr who;

	if (st->family == AF_INET) {
		struct disco_arp r;
		struct pl_addr us = { .family = AF_INET };

		if (!disco_parse_arp(bytes, h->caplen, &r))
			return;
		us.v.lo = r.tpa;
		if (!is_ours(ifc, &us) || !disco_arp_answers(&r, ifc->mac, r.tpa))
			return;
		who = (struct pl_addr){ .family = AF_INET, .v.lo = r.spa };
		if (!was_asked(st, &who))
			return;
		st->env->alive(st->env->ctx, &who, REASON_ARP_RESPONSE, 0);
		return;
	}
	{
		struct disco_na na;

		if (!disco_parse_na(bytes, h->caplen, &na) || !na.solicited)
			return;
		who = na.target;
		if (!was_asked(st, &who))
			return;
		st->env->alive(st->env->ctx, &who, REASON_ND_RESPONSE, 0);
	}
}

static int on_readable(void *ctx, size_t i)
{
	struct link_state *st = ctx;
	struct pcap_stat ps;

	/* An interface that went away: its hosts get no answer from here. */
	if (pcap_dispatch(st->ifc[i].rx, READ_BURST, on_frame, (u_char *)&st->ifc[i]) ==
	    PCAP_ERROR) {
		g_warning("%s: the capture on %s failed: %s", st->name, st->ifc[i].name,
			  pcap_geterr(st->ifc[i].rx));
		return -1;
	}
	if (pcap_stats(st->ifc[i].rx, &ps) == 0)
		atomic_store(&st->drops[i], ps.ps_drop);
	return 0;
}

#endif

static uint64_t link_drops(void *state)
{
	struct link_state *st = state;
	uint64_t n = 0;

	for (size_t i = 0; i < st->nifc; i++)
		n += atomic_load(&st->drops[i]);
	return n;
}

static void link_close(void *state)
{
	struct link_state *st = state;

	if (st == NULL)
		return;
	disco_rx_stop(&st->rx);
	for (size_t i = 0; i < st->nifc; i++) {
		unsigned lost = atomic_load(&st->drops[i]);

		/* The engine asked the hosts waiting meanwhile again. */
		if (lost > 0)
			g_warning("%s: the capture on %s dropped %u packets: hosts waiting "
				  "meanwhile were asked again (a lower --max-rate loses fewer)",
				  st->name, st->ifc[i].name, lost);
		if (st->ifc[i].tx != NULL)
			pcap_close(st->ifc[i].tx);
		if (st->ifc[i].rx != NULL)
			pcap_close(st->ifc[i].rx);
	}
	if (st->asked != NULL)
		g_hash_table_destroy(st->asked);
	pthread_mutex_destroy(&st->lock);
	g_free(st);
}

/* Whether a is inside la's prefix. */
static bool in_prefix(const struct link_addr *la, const struct pl_addr *a)
{
	unsigned bits = a->family == AF_INET ? 32 : 128;
	struct pl_u128 mask = pl_u128_host_mask(bits, la->prefix);

	if (la->a.family != a->family)
		return false;
	return (la->a.v.hi & ~mask.hi) == (a->v.hi & ~mask.hi) &&
	       ((la->a.v.lo ^ a->v.lo) & ~mask.lo & (bits == 32 ? 0xffffffffu : UINT64_MAX)) == 0;
}

/* The interface and our address on it for an on-link target, or NULL. */
static struct link_iface *on_link(struct link_state *st, const struct pl_addr *a,
				  const struct link_addr **ours)
{
	struct link_iface *best = NULL;
	unsigned best_len = 0;

	for (size_t i = 0; i < st->nifc; i++) {
		struct link_iface *ifc = &st->ifc[i];

		if (is_ours(ifc, a))
			return NULL;   /* ourselves: no one answers, others find us */
		for (size_t j = 0; j < ifc->naddr; j++) {
			const struct link_addr *la = &ifc->addr[j];

			if (in_prefix(la, a) && (best == NULL || la->prefix > best_len)) {
				best = ifc;
				best_len = la->prefix;
				*ours = la;
			}
		}
	}
	if (best != NULL && a->family == AF_INET && best_len <= 30) {
		struct pl_u128 host = pl_u128_host_mask(32, best_len);
		uint64_t bits = a->v.lo & host.lo;

		/* The subnet's network and broadcast addresses are no host's. */
		if (bits == 0 || bits == host.lo)
			return NULL;
	}
	return best;
}

#if defined(__linux__)
static unsigned prefix_len(const struct sockaddr *mask)
{
	struct pl_addr m;
	unsigned n = 0;

	if (mask == NULL || !pl_addr_from_sockaddr(mask, &m))
		return 0;
	if (m.family == AF_INET)
		return (unsigned)__builtin_popcount((unsigned)m.v.lo);
	n = (unsigned)__builtin_popcountll(m.v.hi) + (unsigned)__builtin_popcountll(m.v.lo);
	return n;
}

static struct link_iface *iface_named(struct link_state *st, const char *name)
{
	for (size_t i = 0; i < st->nifc; i++)
		if (strcmp(st->ifc[i].name, name) == 0)
			return &st->ifc[i];
	return NULL;
}

/* The Ethernet interfaces that are up, their MACs and addresses of our
 * family. */
static int list_ifaces(struct link_state *st, GError **err)
{
	struct ifaddrs *all, *i;

	if (getifaddrs(&all) != 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "%s: cannot list the interfaces: %s",
			    st->name, strerror(errno));
		return -1;
	}
	for (i = all; i != NULL; i = i->ifa_next) {
		const struct sockaddr_ll *ll = (const void *)i->ifa_addr;
		struct link_iface *ifc;

		if (ll == NULL || ll->sll_family != AF_PACKET || !(i->ifa_flags & IFF_UP) ||
		    (i->ifa_flags & IFF_LOOPBACK) || ll->sll_hatype != ARPHRD_ETHER_ ||
		    ll->sll_halen != 6 || st->nifc == LINK_IFACES_MAX ||
		    strlen(i->ifa_name) >= sizeof(ifc->name))
			continue;
		ifc = &st->ifc[st->nifc++];
		ifc->st = st;
		g_strlcpy(ifc->name, i->ifa_name, sizeof(ifc->name));
		memcpy(ifc->mac, ll->sll_addr, 6);
	}
	for (i = all; i != NULL; i = i->ifa_next) {
		struct link_iface *ifc;
		struct link_addr la;

		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != st->family ||
		    (ifc = iface_named(st, i->ifa_name)) == NULL || ifc->naddr == LINK_ADDRS_MAX ||
		    !pl_addr_from_sockaddr(i->ifa_addr, &la.a))
			continue;
		la.prefix = prefix_len(i->ifa_netmask);
		ifc->addr[ifc->naddr++] = la;
	}
	freeifaddrs(all);
	return 0;
}

static pcap_t *open_pcap(struct link_state *st, const char *dev, bool capture, GError **err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	const char *filter = st->family == AF_INET
		? "arp"
		: "icmp6 and ip6[6] == 58 and ip6[7] == 255 and ip6[40] == 136";
	pcap_t *p;

	if ((p = pcap_create(dev, ebuf)) == NULL)
		goto fail;
	(void)pcap_set_snaplen(p, SNAPLEN);
	(void)pcap_set_immediate_mode(p, 1);
	if (!capture)
		(void)pcap_set_buffer_size(p, 1 << 16);
	if (pcap_activate(p) < 0)
		goto fail_pcap;
	if (pcap_datalink(p) != DLT_EN10MB) {
		g_strlcpy(ebuf, "not an Ethernet link", sizeof(ebuf));
		goto fail;
	}
	if (capture) {
		(void)pcap_setdirection(p, PCAP_D_IN);
		if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0)
			goto fail_pcap;
		if (pcap_setfilter(p, &prog) != 0) {
			pcap_freecode(&prog);
			goto fail_pcap;
		}
		pcap_freecode(&prog);
		if (pcap_setnonblock(p, 1, ebuf) != 0)
			goto fail;
	}
	return p;
fail_pcap:
	g_strlcpy(ebuf, pcap_geterr(p), sizeof(ebuf));
fail:
	g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "%s: cannot open %s on %s: %s", st->name,
		    capture ? "a capture" : "a sender", dev, ebuf);
	if (p != NULL)
		pcap_close(p);
	return NULL;
}

static int link_open(const struct disco_env *env, void **state, int family, GError **err)
{
	struct link_state *st = g_new0(struct link_state, 1);
	size_t keep = 0;

	st->env = env;
	st->family = family;
	st->name = family == AF_INET ? "arp" : "nd";
	pthread_mutex_init(&st->lock, NULL);
	st->asked = g_hash_table_new_full(addr_hash, addr_eq, g_free, NULL);
	disco_rx_init(&st->rx, on_readable, st);
	if (list_ifaces(st, err) < 0)
		goto fail;
	/* Only the interfaces with an address of ours to ask from. */
	for (size_t i = 0; i < st->nifc; i++)
		if (st->ifc[i].naddr > 0)
			st->ifc[keep++] = st->ifc[i];
	st->nifc = keep;
	for (size_t i = 0; i < st->nifc; i++) {
		struct link_iface *ifc = &st->ifc[i];

		if ((ifc->tx = open_pcap(st, ifc->name, false, err)) == NULL ||
		    (ifc->rx = open_pcap(st, ifc->name, true, err)) == NULL)
			goto fail;
		if (disco_rx_add(&st->rx, pcap_get_selectable_fd(ifc->rx)) < 0) {
			g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME,
				    "%s: the capture on %s cannot be polled", st->name, ifc->name);
			goto fail;
		}
	}
	if (disco_rx_start(&st->rx, st->name, err) < 0)
		goto fail;
	*state = st;
	return 0;
fail:
	link_close(st);
	return -1;
}
#else
static int link_open(const struct disco_env *env, void **state, int family, GError **err)
{
	g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME,
		    "%s: not available on this system yet (it learns the interface's MAC "
		    "address from Linux's getifaddrs)", family == AF_INET ? "arp" : "nd");
	return 1;
}
#endif

static int arp_open(const struct disco_env *env, void **state, GError **err)
{
	return link_open(env, state, AF_INET, err);
}

static int nd_open(const struct disco_env *env, void **state, GError **err)
{
	return link_open(env, state, AF_INET6, err);
}

static int link_send(void *state, const struct pl_addr *addr, unsigned attempt)
{
	struct link_state *st = state;
	const struct link_addr *ours = NULL;
	struct link_iface *ifc;
	uint8_t frame[DISCO_NS_FRAME_LEN > DISCO_ARP_FRAME_LEN ? DISCO_NS_FRAME_LEN
							       : DISCO_ARP_FRAME_LEN];
	size_t len;

	if (addr->family != st->family)
		return DISCO_SKIP;
	/* Link-local and multicast IPv6 targets: which link is ambiguous. */
	if (addr->family == AF_INET6 && (addr->v.hi >> 54 == 0x3fa || addr->v.hi >> 56 == 0xff))
		return DISCO_SKIP;
	if ((ifc = on_link(st, addr, &ours)) == NULL)
		return DISCO_SKIP;
	if (!ratelimit_take(st->env->rate))
		return -ECANCELED;
	pthread_mutex_lock(&st->lock);
	if (!g_hash_table_contains(st->asked, addr))
		g_hash_table_add(st->asked, g_memdup2(addr, sizeof(*addr)));
	pthread_mutex_unlock(&st->lock);
	if (st->family == AF_INET)
		len = disco_build_arp(frame, ifc->mac, (uint32_t)ours->a.v.lo, (uint32_t)addr->v.lo);
	else
		len = disco_build_ns(frame, ifc->mac, &ours->a, addr);
	errno = 0;
	if (pcap_inject(ifc->tx, frame, len) != (int)len)
		return errno != 0 ? -errno : -EIO;
	return DISCO_SENT;
}

static void link_forget(void *state, const struct pl_addr *addr)
{
	struct link_state *st = state;

	pthread_mutex_lock(&st->lock);
	g_hash_table_remove(st->asked, addr);
	pthread_mutex_unlock(&st->lock);
}

const struct disco_prober disco_arp = {
	.name = "arp",
	.summary = "ARP request to an IPv4 target on a local Ethernet subnet; its reply proves life",
	.privileged = true,
	.exclusive = true,
	.open = arp_open,
	.send = link_send,
	.forget = link_forget,
	.drops = link_drops,
	.close = link_close,
};

const struct disco_prober disco_nd = {
	.name = "nd",
	.summary = "IPv6 neighbour solicitation to an on-link target; its advertisement proves life",
	.privileged = true,
	.exclusive = true,
	.open = nd_open,
	.send = link_send,
	.forget = link_forget,
	.drops = link_drops,
	.close = link_close,
};
