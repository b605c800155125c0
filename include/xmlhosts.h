/* xmlhosts.h: the XML writer's per-host buffer (also the JSON document's
 * "hosts" block's), in bounded memory, with
 * each host written once however large the scan.
 *
 * nmap groups ports under one <host> per address while results arrive
 * interleaved across hosts, so the writer gathers each host's results
 * before it writes any. In memory the buffer holds at most max_hosts hosts
 * and max_ports ports kept one by one; when either bound is reached the
 * buffered hosts are spilled, sorted, to a temporary file (a "run") and the
 * buffer starts again. Runs are merged two by two whenever the newer is at
 * least half the size of the one before, so there are never more than about
 * log2(hosts / max_hosts) of them. xml_hosts_drain merges the runs and the
 * buffer, host by host in address order: a host whose results were spilled
 * in several runs comes out once, its ports and counts together.
 *
 * Only the results thread uses a buffer. */
#ifndef PORTOLAN_XMLHOSTS_H
#define PORTOLAN_XMLHOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <glib.h>

#include "result.h"
#include "timing.h"

/* nmap shows a state port by port up to this many ports per host; beyond,
 * the state becomes counts per reason (<extraports>). Open ports are always
 * shown. */
#define XML_SHOW_MAX 25

/* Service detection fields: service, product, version, info, os_hint; and
 * the port's TLS scripts, already written as XML by out_xml.c (nmap's
 * ssl-cert and ssl-enum-ciphers), so a spilled port keeps them too. */
#define XML_DET_COUNT 6

struct xml_svc {
	char *text[XML_DET_COUNT];   /* g_malloc'd, or NULL */
	size_t len[XML_DET_COUNT];   /* bytes: the text may hold NUL */
};

/* One port shown on its own. */
struct xml_port {
	uint16_t port;
	uint8_t state;               /* enum port_state */
	uint8_t proto;               /* enum pl_proto: a mixed scan has both */
	uint8_t reason;              /* enum reason, REASON_COUNT when out of range */
	struct xml_svc *svc;         /* detected service (owned), or NULL */
};

struct host_key {
	struct pl_addr addr;
	const char *name;            /* the user's name, or NULL; owned by the host */
};

struct xml_host {
	struct host_key key;             /* first: the table's key points here */
	char *ptr;                       /* reverse DNS name (g_free), or NULL */
	time_t first, last;              /* when its first and last results came */
	GArray *ports;                   /* struct xml_port */
	uint32_t shown[STATE_COUNT];     /* entries in ports, per state */
	bool collapsed[STATE_COUNT];     /* state summarised as <extraports> */
	/* By protocol (enum pl_proto), as nmap's extrareasons name it. */
	uint32_t hidden[2][STATE_COUNT][REASON_COUNT + 1];
	struct rtt_estimate rtt;         /* RFC 6298, timing.c's arithmetic */
	uint32_t reasons;                /* bit r: some result had reason r */
	/* The most confident OS verdict among its results (g_free), or NULL;
	 * os_port is the port whose result gave it. */
	char *os_family, *os_reason;
	uint32_t os_accuracy;
	uint16_t os_port;
	/* Its host row (discovery's verdict), when one came: status is
	 * STATE_UP or STATE_DOWN, else STATE_COUNT (no host row: -Pn, or
	 * discovery did not run). status_reason and status_ms are the row's
	 * reason and latency. */
	uint8_t status;
	uint8_t status_reason;
	double status_ms;
};

struct xml_hosts;

/* A buffer bounded as above (0: the defaults, 262144 hosts and 4194304
 * ports). */
struct xml_hosts *xml_hosts_new(size_t max_hosts, size_t max_ports);
void xml_hosts_free(struct xml_hosts *xh);

/* Records r for its host. A host row (result_is_host_row) sets the host's
 * status and is no port. With shown, its port is kept for the document
 * (svc, owned from here on, its detected service or NULL); without, it
 * only tells how the host answered (a state --states leaves out). Returns
 * 0, or -1 with errno set when a spill failed (the result is recorded all
 * the same). */
int xml_hosts_add(struct xml_hosts *xh, const struct result *r, bool shown,
		  struct xml_svc *svc, time_t now);

/* Calls fn once per host, in address order (IPv4 first), each host merged
 * from every run and the buffer; the buffer is empty afterwards. A host
 * passed to fn is fn's to read only, valid for the call; its ports are
 * sorted by port. Returns 0, fn's first non-zero return, or -1 with errno
 * set when a run could not be read. */
int xml_hosts_drain(struct xml_hosts *xh, int (*fn)(void *ud, struct xml_host *h), void *ud);

/* Is the host up? By its host row when it has one (its reason as *why).
 * Else: did the host answer at all (open, closed, or an ICMP prohibition)?
 * The reason for its status: the best answer when up; host-unreach or
 * net-unreach when routers said so, else no-response, when down. */
bool xml_host_up(const struct xml_host *h, enum reason *why);

/* Does the host have ports to write (shown or counted)? */
bool xml_host_reported(const struct xml_host *h);

/* Bounds for tests only: xml_hosts_new takes these instead of the bounds
 * it is given (0: as given again). Not thread-safe. */
void xml_hosts_test_limits(size_t max_hosts, size_t max_ports);

#endif
