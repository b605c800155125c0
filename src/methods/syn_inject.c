/* syn_inject.c: the SYN method's second sender, whole frames written with
 * pcap_inject on the outgoing interface, and the per-interface captures
 * that go with it (docs/methods.md, "Two senders").
 *
 * It is the path on the BSDs and macOS, where raw IP sockets differ in byte
 * order (ip_len, ip_off) from release to release and libpcap has no "any"
 * device to capture on; on Linux it is built with
 * -DPORTOLAN_FORCE_PCAP_INJECT (make lab-inject) so that it is tested.
 *
 * In start(), before privileges go (the pool drops them right after it),
 * every interface that holds an address gets its handles: one to inject
 * on, one capture for the receiver (syn_rx.c reads every capture), and on
 * Ethernet one to learn MACs on. Which of them a scan uses is only known
 * per target; one that cannot be opened is said when a target needs it.
 *
 * For each destination, before its first probe (syn_inject_prepare, on the
 * sender thread):
 *   - the interface is the one that holds the source address the routing
 *     table picked (srccache.c), found in pcap_findalldevs; a
 *     destination that is one of our own addresses goes out on loopback;
 *   - on Ethernet, the next hop's MAC (and the interface's own) are learnt
 *     by sending one empty UDP datagram from a kernel socket towards the
 *     destination and reading that very frame back from the interface: the
 *     kernel has resolved the next hop (ARP, IPv6 ND, gateway or on-link)
 *     and written both MACs. That needs no routing table, neighbour table or
 *     link-address API, which differ on every OS (route sockets, netlink,
 *     sysctl NET_RT_FLAGS), and it works on Linux's lo too (zero MACs).
 *     The cost is one datagram to the discard port per destination, and a
 *     wait of at most LEARN_MS: a frame that does not show up (no neighbour
 *     answers, say) makes the destination's probes local errors, never
 *     filtered, since no SYN was sent.
 *
 * One exception, on Linux only: an IPv4 frame injected on lo is input that
 * the kernel routes like any other, and its source is one of our own
 * addresses, so it is dropped as a martian (fib_validate_source without
 * accept_local; 127.0.0.0/8 without route_localnet too). IPv4 probes that
 * go out on loopback are therefore sent on a raw IPv4 socket there, as the
 * raw-socket path does; their answers are still read from lo's capture.
 * IPv6 frames on lo are accepted, and the BSDs' lo0 takes injected frames.
 *
 * The header is then cached per destination, and so is a failure to learn
 * it. Learning every destination would cost a datagram per host, so an
 * off-link destination (outside every prefix of the interface's addresses)
 * may take the gateway's MACs instead: once two off-link destinations of a
 * family were learnt with the same MACs, that pair is the interface's
 * gateway for the family, and the next ones are not learnt (masscan and
 * zmap send everything to one router MAC too). If the first two differ
 * (two routers on the link), every destination is learnt. On-link
 * destinations are always learnt one by one. A failure to learn is cached: every probe of a destination without a next hop is
 * a local error after one wait, not one wait each. Every send, and the
 * timer's resends, only look the header up. */
#include "pcap_visible.h"   /* first: see there */

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "errors.h"
#include "linkhdr.h"
#include "syn_int.h"

/* How long the kernel's own frame may take to show: ARP or ND on a LAN
 * answers in milliseconds; Linux gives up on a neighbour after 3 s. */
#define LEARN_MS 1500
#define LEARN_PORT 9              /* discard (RFC 863): nothing answers it */
#define LEARN_SNAPLEN 128
#define LEARN_BUFFER (256 * 1024)
#define INJECT_SNAPLEN 64

/* Where a sockaddr's length is its own (sa_len): a netmask from the BSDs'
 * getifaddrs may be cut short after its last non-zero byte. */
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || \
	defined(__OpenBSD__) || defined(__DragonFly__)
#define SOCKADDR_HAS_LEN 1
#endif

/* An on-link prefix: an address of the interface and its netmask. */
struct net {
	struct pl_addr addr, mask;
};

enum gw_state { GW_NONE, GW_ONE, GW_KNOWN, GW_OFF };

/* The gateway of one family on an interface, as off-link learning found it. */
struct gateway {
	enum gw_state state;
	struct linkhdr_macs macs;
};

struct iface {
	char *name;
	bool loopback;
	int dlt;
	int fail;                     /* 0, or the errno every prepare gets */
	char *why;                    /* fail's message, said on first use */
	pcap_t *out;                  /* inject handle, under in->lock */
	pcap_t *learn;                /* Ethernet only; the sender thread's */
	GArray *nets;                 /* struct net (mask.family 0: not known) */
	struct gateway gw[2];         /* IPv4, IPv6; the sender thread's */
	struct iface *next;
};

/* The frame header towards one destination. */
struct route {
	struct pl_addr dst;
	struct iface *ifc;
	uint8_t hdr[LINKHDR_MAX];
	int hdr_len;
	bool raw;                     /* sent on in->raw4 (Linux's lo, above) */
	int fail;                     /* 0, or why its next hop is unknown */
};

struct src_iface {
	struct pl_addr src;
	struct iface *ifc;
};

struct syn_inject {
	struct syn_state *st;
	pthread_mutex_t lock;         /* routes, and sending on the inject handles
					 (the sender and the timer both send) */
	GHashTable *routes;           /* struct route * (key and value) */
	struct iface *ifaces;         /* the sender thread's (routes point in) */
	GArray *srcs;                 /* struct src_iface */
	int udp4, udp6;               /* learning sockets (-1: none) */
	int raw4;                     /* Linux: IPv4 over lo (-1: none) */
	uint16_t port4, port6;        /* their source ports */
};

static guint route_hash(gconstpointer p)
{
	const struct pl_addr *a = p;

	return g_int64_hash(&a->v.lo) ^ g_int64_hash(&a->v.hi) ^ (guint)a->family;
}

static gboolean route_equal(gconstpointer a, gconstpointer b)
{
	return pl_addr_equal(a, b);
}

/* ------------------------------------------------------------ interfaces */

static bool dev_holds(const pcap_if_t *d, const struct pl_addr *a)
{
	for (const pcap_addr_t *pa = d->addresses; pa != NULL; pa = pa->next) {
		struct pl_addr x;

		if (pa->addr != NULL && pl_addr_from_sockaddr(pa->addr, &x) &&
		    pl_addr_equal(&x, a))
			return true;
	}
	return false;
}

/* The netmask sa of an address of family, zero bytes where a BSD cut it. */
static bool mask_read(const struct sockaddr *sa, int family, struct pl_addr *out)
{
	struct sockaddr_storage ss;
	size_t off = family == AF_INET ? offsetof(struct sockaddr_in, sin_addr)
				       : offsetof(struct sockaddr_in6, sin6_addr);
	size_t w = family == AF_INET ? 4 : 16, have = w;

	if (sa == NULL)
		return false;
#ifdef SOCKADDR_HAS_LEN
	have = sa->sa_len > off ? MIN((size_t)sa->sa_len - off, w) : 0;
#endif
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	memcpy((uint8_t *)&ss + off, (const uint8_t *)sa + off, have);
	return pl_addr_from_sockaddr((struct sockaddr *)&ss, out);
}

/* d's on-link prefixes, as struct net. */
static GArray *dev_nets(const pcap_if_t *d)
{
	GArray *nets = g_array_new(FALSE, FALSE, sizeof(struct net));

	for (const pcap_addr_t *pa = d->addresses; pa != NULL; pa = pa->next) {
		struct net n;

		if (pa->addr == NULL || !pl_addr_from_sockaddr(pa->addr, &n.addr))
			continue;
		if (!mask_read(pa->netmask, n.addr.family, &n.mask))
			n.mask.family = 0;   /* unknown: every destination on-link */
		g_array_append_val(nets, n);
	}
	return nets;
}

/* An interface as pcap_findalldevs lists it. */
struct device {
	char *name;
	bool loopback;
	GArray *nets;                 /* struct net */
};

/* The device frames from src to dst leave on (the caller frees name and
 * nets), or false. */
static bool device_for(const struct pl_addr *src, const struct pl_addr *dst, struct device *dev)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_if_t *devs = NULL;
	const pcap_if_t *holder = NULL, *loop = NULL;
	bool local = false;

	if (pcap_findalldevs(&devs, ebuf) != 0)
		return false;
	for (const pcap_if_t *d = devs; d != NULL; d = d->next) {
		if ((d->flags & PCAP_IF_LOOPBACK) && loop == NULL)
			loop = d;
		if (holder == NULL && dev_holds(d, src))
			holder = d;
		if (dev_holds(d, dst))
			local = true;
	}
	/* A datagram to one of our own addresses never reaches a wire. */
	if (local && loop != NULL)
		holder = loop;
	if (holder != NULL) {
		dev->name = g_strdup(holder->name);
		dev->loopback = (holder->flags & PCAP_IF_LOOPBACK) != 0;
		dev->nets = dev_nets(holder);
	}
	pcap_freealldevs(devs);
	return holder != NULL;
}

/* Whether dst may be a neighbour on ifc: inside one of its prefixes, or a
 * prefix of its family has no known mask. */
static bool on_link(const struct iface *ifc, const struct pl_addr *dst)
{
	for (guint i = 0; i < ifc->nets->len; i++) {
		const struct net *n = &g_array_index(ifc->nets, struct net, i);

		if (n->addr.family != dst->family)
			continue;
		if (n->mask.family == 0)
			return true;
		if ((dst->v.hi & n->mask.v.hi) == (n->addr.v.hi & n->mask.v.hi) &&
		    (dst->v.lo & n->mask.v.lo) == (n->addr.v.lo & n->mask.v.lo))
			return true;
	}
	return false;
}

/* An off-link destination was learnt with m: two alike make a gateway. */
static void gateway_note(struct gateway *g, const struct linkhdr_macs *m)
{
	if (g->state == GW_NONE) {
		g->macs = *m;
		g->state = GW_ONE;
	} else if (g->state == GW_ONE) {
		g->state = memcmp(&g->macs, m, sizeof(*m)) == 0 ? GW_KNOWN : GW_OFF;
	}
}

static pcap_t *open_handle(const char *dev, int snaplen, int buffer, char *ebuf)
{
	pcap_t *p = pcap_create(dev, ebuf);

	if (p == NULL)
		return NULL;
	(void)pcap_set_snaplen(p, snaplen);
	if (buffer > 0)
		(void)pcap_set_buffer_size(p, buffer);
	(void)pcap_set_immediate_mode(p, 1);
	if (pcap_activate(p) < 0) {
		g_strlcpy(ebuf, pcap_geterr(p), PCAP_ERRBUF_SIZE);
		pcap_close(p);
		return NULL;
	}
	return p;
}

/* The learning capture: our own UDP datagrams only. */
static pcap_t *open_learn(struct syn_inject *in, const char *dev, char *ebuf)
{
	char filter[96];
	struct bpf_program prog;
	pcap_t *p = open_handle(dev, LEARN_SNAPLEN, LEARN_BUFFER, ebuf);

	if (p == NULL)
		return NULL;
	snprintf(filter, sizeof(filter), "udp and (src port %u or src port %u) and dst port %u",
		 in->port4, in->port6, LEARN_PORT);
	if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
	    pcap_setfilter(p, &prog) != 0) {
		g_strlcpy(ebuf, pcap_geterr(p), PCAP_ERRBUF_SIZE);
		pcap_close(p);
		return NULL;
	}
	pcap_freecode(&prog);
	if (pcap_setnonblock(p, 1, ebuf) != 0) {
		pcap_close(p);
		return NULL;
	}
	return p;
}

/* Opens dev's handles. A failure makes every destination behind dev a
 * local error (ifc->fail), said once when the first one needs it. */
static void iface_open(struct syn_inject *in, struct iface *ifc)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	GError *err = NULL;
	const char *dlt_name;

	if ((ifc->out = open_handle(ifc->name, INJECT_SNAPLEN, 0, ebuf)) == NULL) {
		ifc->why = g_strdup_printf("SYN scan: cannot open %s to send on: %s", ifc->name, ebuf);
		ifc->fail = EIO;
		return;
	}
	ifc->dlt = pcap_datalink(ifc->out);
	if (!linkhdr_supported(ifc->dlt)) {
		dlt_name = pcap_datalink_val_to_name(ifc->dlt);
		ifc->why = g_strdup_printf("SYN scan: %s has link type %s (%d), which the pcap_inject "
					   "sender cannot frame: its targets are local errors",
					   ifc->name, dlt_name != NULL ? dlt_name : "unknown", ifc->dlt);
		ifc->fail = EPROTONOSUPPORT;
		return;
	}
	if (linkhdr_needs_macs(ifc->dlt) && (ifc->learn = open_learn(in, ifc->name, ebuf)) == NULL) {
		ifc->why = g_strdup_printf("SYN scan: cannot capture on %s: %s", ifc->name, ebuf);
		ifc->fail = EIO;
		return;
	}
	/* The receiver's capture, before the first SYN leaves on dev. */
	if (syn_capture_add(in->st, ifc->name, &err) != 0) {
		ifc->why = g_strdup(err->message);
		g_clear_error(&err);
		ifc->fail = EIO;
	}
}

/* The interface dev names, opened on first use; takes dev's name and nets. */
static struct iface *iface_get(struct syn_inject *in, struct device *dev)
{
	struct iface *ifc;

	for (ifc = in->ifaces; ifc != NULL; ifc = ifc->next)
		if (strcmp(ifc->name, dev->name) == 0) {
			g_free(dev->name);
			g_array_free(dev->nets, TRUE);
			return ifc;
		}
	ifc = g_new0(struct iface, 1);
	ifc->name = dev->name;
	ifc->loopback = dev->loopback;
	ifc->nets = dev->nets;
	ifc->dlt = -1;
	iface_open(in, ifc);
	ifc->next = in->ifaces;
	in->ifaces = ifc;
	return ifc;
}

/* ---------------------------------------------------------------- learning */

struct learn_ctx {
	const struct pl_addr *src, *dst;
	int dlt;
	bool found;
	struct linkhdr_macs macs;
};

static void on_learn_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct learn_ctx *c = (struct learn_ctx *)user;

	if (!c->found && linkhdr_learn(c->dlt, bytes, h->caplen, c->src, c->dst, &c->macs))
		c->found = true;
}

/* The MACs of the kernel's frame from src to dst on ifc. 0, or an errno:
 * ETIMEDOUT when the frame did not show within LEARN_MS. */
static int learn_macs(struct syn_inject *in, struct iface *ifc, const struct pl_addr *src,
		      const struct pl_addr *dst, struct linkhdr_macs *m)
{
	struct learn_ctx c = { .src = src, .dst = dst, .dlt = pcap_datalink(ifc->learn) };
	struct pollfd pfd = { .fd = pcap_get_selectable_fd(ifc->learn), .events = POLLIN };
	struct sockaddr_storage ss;
	socklen_t sl = pl_addr_sockaddr(dst, LEARN_PORT, &ss);
	int fd = dst->family == AF_INET ? in->udp4 : in->udp6;
	int64_t end = mono_ns() + LEARN_MS * INT64_C(1000000);

	if (fd < 0)
		return EAFNOSUPPORT;
	if (sendto(fd, "", 0, 0, (struct sockaddr *)&ss, sl) != 0)
		return errno;
	for (;;) {
		int64_t left;

		if (pcap_dispatch(ifc->learn, -1, on_learn_frame, (u_char *)&c) < 0)
			return EIO;
		if (c.found) {
			*m = c.macs;
			return 0;
		}
		if ((left = end - mono_ns()) <= 0)
			return ETIMEDOUT;
		/* Without a selectable descriptor, look again every millisecond. */
		(void)poll(pfd.fd >= 0 ? &pfd : NULL, pfd.fd >= 0 ? 1 : 0,
			   pfd.fd >= 0 ? (int)(left / 1000000) + 1 : 1);
	}
}

/* ------------------------------------------------------------ the sender */

static struct iface *iface_for_src(struct syn_inject *in, const struct pl_addr *src,
				   const struct pl_addr *dst)
{
	struct src_iface si = { .src = *src };
	struct device dev;

	/* A destination that is one of ours is not cached by source: it goes
	 * out on loopback whatever address the kernel picked. */
	for (guint i = 0; i < in->srcs->len; i++) {
		const struct src_iface *x = &g_array_index(in->srcs, struct src_iface, i);

		if (pl_addr_equal(&x->src, src) && !pl_addr_equal(src, dst))
			return x->ifc;
	}
	if (!device_for(src, dst, &dev))
		return NULL;
	si.ifc = iface_get(in, &dev);
	if (!pl_addr_equal(src, dst))
		g_array_append_val(in->srcs, si);
	return si.ifc;
}

/* Caches dst's route (its header, or fail) and returns fail. */
static int remember(struct syn_inject *in, const struct pl_addr *dst, struct iface *ifc,
		    bool raw, const struct linkhdr_macs *macs, int fail)
{
	struct route *r = g_new0(struct route, 1);

	r->dst = *dst;
	r->ifc = ifc;
	r->raw = raw;
	r->fail = fail;
	if (fail == 0 && (r->hdr_len = linkhdr_build(ifc->dlt, dst->family, macs, r->hdr)) < 0)
		r->fail = fail = EPROTONOSUPPORT;
	pthread_mutex_lock(&in->lock);
	g_hash_table_add(in->routes, r);
	pthread_mutex_unlock(&in->lock);
	return fail;
}

int syn_inject_prepare(struct syn_inject *in, const struct pl_addr *src, const struct pl_addr *dst)
{
	struct linkhdr_macs macs = { { 0 }, { 0 } };
	const struct route *r;
	struct iface *ifc;
	bool raw = false;
	int rc = 0;

	pthread_mutex_lock(&in->lock);
	r = g_hash_table_lookup(in->routes, dst);
	if (r != NULL)
		rc = r->fail;
	pthread_mutex_unlock(&in->lock);
	if (r != NULL)
		return rc;
	if ((ifc = iface_for_src(in, src, dst)) == NULL)
		return ENODEV;
	if (ifc->fail != 0) {
		if (ifc->why != NULL)
			g_warning("%s", ifc->why);
		g_clear_pointer(&ifc->why, g_free);
		return ifc->fail;
	}
#ifdef __linux__
	raw = ifc->loopback && dst->family == AF_INET;
	if (raw && in->raw4 < 0)
		return EAFNOSUPPORT;
#endif
	if (!raw && linkhdr_needs_macs(ifc->dlt)) {
		struct gateway *gw = &ifc->gw[dst->family == AF_INET6];
		bool off = !on_link(ifc, dst);

		if (off && gw->state == GW_KNOWN) {
			macs = gw->macs;
		} else {
			rc = learn_macs(in, ifc, src, dst, &macs);
			if (rc == 0 && off)
				gateway_note(gw, &macs);
		}
	}
	/* A send error is the kernel's word on this probe (no route, say),
	 * for this probe only; a frame that never showed is remembered. */
	if (rc != 0 && rc != ETIMEDOUT)
		return rc;
	return remember(in, dst, ifc, raw, &macs, rc);
}

int syn_inject_send(struct syn_inject *in, const struct pl_addr *dst, const uint8_t *dgram,
		    size_t len)
{
	uint8_t frame[LINKHDR_MAX + PACKET_SYN_MAX];
	const struct route *r;
	size_t n;
	int rc = 0;

	if (len > PACKET_SYN_MAX)
		return EMSGSIZE;
	pthread_mutex_lock(&in->lock);
	if ((r = g_hash_table_lookup(in->routes, dst)) == NULL || r->fail != 0) {
		rc = EADDRNOTAVAIL;            /* not prepared: a bug, a local error */
		goto out;
	}
	if (r->raw) {
		struct sockaddr_storage ss;
		socklen_t sl = pl_addr_sockaddr(dst, 0, &ss);

		if (sendto(in->raw4, dgram, len, 0, (struct sockaddr *)&ss, sl) != (ssize_t)len)
			rc = errno;
		goto out;
	}
	memcpy(frame, r->hdr, (size_t)r->hdr_len);
	memcpy(frame + r->hdr_len, dgram, len);
	n = (size_t)r->hdr_len + len;
	errno = 0;
	if (pcap_inject(r->ifc->out, frame, n) != (int)n)
		/* libpcap leaves send()'s or write()'s errno: ENOBUFS is a
		 * shortage the caller waits out. */
		rc = errno != 0 ? errno : EIO;
out:
	pthread_mutex_unlock(&in->lock);
	return rc;
}

/* ------------------------------------------------------------- lifetime */

static int learn_socket(int family, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = socket(family, SOCK_DGRAM, 0);

	if (fd < 0)
		return -1;
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	/* Bound now so that its port, in the learning filter, is known. */
	if (bind(fd, (struct sockaddr *)&ss,
		 family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					: ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* Opens every interface that holds an address, while we may. */
static void open_all(struct syn_inject *in)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_if_t *devs = NULL;

	if (pcap_findalldevs(&devs, ebuf) != 0)
		return;       /* then each opens on first use, or says why not */
	for (const pcap_if_t *d = devs; d != NULL; d = d->next) {
		struct device dev = { .loopback = (d->flags & PCAP_IF_LOOPBACK) != 0 };
		bool ip = false;

#ifdef PCAP_IF_UP
		if (!(d->flags & PCAP_IF_UP))
			continue;
#endif
		for (const pcap_addr_t *pa = d->addresses; pa != NULL; pa = pa->next)
			if (pa->addr != NULL &&
			    (pa->addr->sa_family == AF_INET || pa->addr->sa_family == AF_INET6))
				ip = true;
		if (!ip)
			continue;
		dev.name = g_strdup(d->name);
		dev.nets = dev_nets(d);
		(void)iface_get(in, &dev);
	}
	pcap_freealldevs(devs);
}

struct syn_inject *syn_inject_new(struct syn_state *st, GError **err)
{
	struct syn_inject *in = g_new0(struct syn_inject, 1);

	in->st = st;
	pthread_mutex_init(&in->lock, NULL);
	in->routes = g_hash_table_new_full(route_hash, route_equal, g_free, NULL);
	in->srcs = g_array_new(FALSE, FALSE, sizeof(struct src_iface));
	in->udp4 = learn_socket(AF_INET, &in->port4);
	in->udp6 = learn_socket(AF_INET6, &in->port6);
	in->raw4 = -1;
#ifdef __linux__
	if ((in->raw4 = socket(AF_INET, SOCK_RAW, IPPROTO_RAW)) >= 0)
		(void)fcntl(in->raw4, F_SETFD, FD_CLOEXEC);
#endif
	if (in->udp4 < 0 && in->udp6 < 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME,
			    "SYN scan: cannot open a UDP socket to learn next hops: %s",
			    g_strerror(errno));
		syn_inject_free(in);
		return NULL;
	}
	open_all(in);
	return in;
}

void syn_inject_free(struct syn_inject *in)
{
	struct iface *ifc, *next;

	if (in == NULL)
		return;
	for (ifc = in->ifaces; ifc != NULL; ifc = next) {
		next = ifc->next;
		if (ifc->out != NULL)
			pcap_close(ifc->out);
		if (ifc->learn != NULL)
			pcap_close(ifc->learn);
		g_free(ifc->name);
		g_free(ifc->why);
		if (ifc->nets != NULL)
			g_array_free(ifc->nets, TRUE);
		g_free(ifc);
	}
	if (in->udp4 >= 0)
		close(in->udp4);
	if (in->udp6 >= 0)
		close(in->udp6);
	if (in->raw4 >= 0)
		close(in->raw4);
	g_hash_table_destroy(in->routes);
	g_array_free(in->srcs, TRUE);
	pthread_mutex_destroy(&in->lock);
	g_free(in);
}
