/* xmlhosts.c: the XML writer's per-host buffer, its spilled runs and their
 * merge (see xmlhosts.h).
 *
 * A run is a temporary file (in $TMPDIR, else /tmp) of host records sorted by host_cmp, one per
 * host; records are in this process's own binary layout (a run never
 * outlives the scan that wrote it). Two runs merge into a new one and are
 * closed, which frees their space at once (tmpfile() files have no name). */
#include "xmlhosts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#define XML_MAX_HOSTS 262144u
#define XML_MAX_PORTS 4194304u
/* A length that stands for "no string" in a record. */
#define NO_TEXT UINT32_MAX

static size_t test_max_hosts, test_max_ports;

struct run {
	FILE *fp;
	uint64_t hosts;
};

struct xml_hosts {
	GHashTable *hosts;           /* host_key -> xml_host, the buffer */
	size_t nports;               /* ports kept over the buffer's hosts */
	size_t max_hosts, max_ports;
	GPtrArray *runs;             /* struct run *, oldest first */
};

void xml_hosts_test_limits(size_t max_hosts, size_t max_ports)
{
	test_max_hosts = max_hosts;
	test_max_ports = max_ports;
}

/* ---- hosts ---- */

static guint host_key_hash(gconstpointer p)
{
	const struct host_key *k = p;
	uint64_t v = k->addr.v.hi * 0x9E3779B97F4A7C15u ^ k->addr.v.lo;

	return (guint)(v ^ (v >> 32)) ^ (guint)k->addr.family ^
	       (k->name != NULL ? g_str_hash(k->name) : 0);
}

static gboolean host_key_equal(gconstpointer a, gconstpointer b)
{
	const struct host_key *x = a, *y = b;

	if (!pl_addr_equal(&x->addr, &y->addr))
		return FALSE;
	if (x->name == NULL || y->name == NULL)
		return x->name == y->name;
	return strcmp(x->name, y->name) == 0;
}

/* The document's order: IPv4 by value, then IPv6, then the name (none
 * first). 0 exactly when host_key_equal. */
static int host_cmp(const struct xml_host *x, const struct xml_host *y)
{
	int c;

	if (x->key.addr.family != y->key.addr.family)
		return x->key.addr.family == AF_INET ? -1 : 1;
	c = pl_u128_cmp(x->key.addr.v, y->key.addr.v);
	if (c != 0)
		return c;
	if (x->key.name == NULL || y->key.name == NULL)
		return (x->key.name != NULL) - (y->key.name != NULL);
	return strcmp(x->key.name, y->key.name);
}

static int host_ptr_cmp(const void *a, const void *b)
{
	return host_cmp(*(const struct xml_host *const *)a, *(const struct xml_host *const *)b);
}

static void svc_free(struct xml_svc *svc)
{
	if (svc == NULL)
		return;
	for (int i = 0; i < XML_DET_COUNT; i++)
		g_free(svc->text[i]);
	g_free(svc);
}

static void host_free(gpointer p)
{
	struct xml_host *h = p;
	GArray *ports = h->ports;

	for (guint i = 0; i < ports->len; i++)
		svc_free(g_array_index(ports, struct xml_port, i).svc);
	g_free((char *)h->key.name);
	g_free(h->ptr);
	g_free(h->os_family);
	g_free(h->os_reason);
	g_array_free(ports, TRUE);
	g_free(h);
}

static struct xml_host *host_alloc(void)
{
	struct xml_host *h = g_new0(struct xml_host, 1);

	h->ports = g_array_new(FALSE, FALSE, sizeof(struct xml_port));
	h->status = STATE_COUNT;
	return h;
}

/* Moves the ports of `state` from the list into the counts. */
static void host_collapse(struct xml_host *h, int state, size_t *nports)
{
	GArray *ports = h->ports;
	struct xml_port *p = (struct xml_port *)(void *)ports->data;
	guint keep = 0;

	for (guint i = 0; i < ports->len; i++) {
		if (p[i].state == state) {
			h->hidden[p[i].proto != 0][state][p[i].reason]++;
			svc_free(p[i].svc);
		} else {
			p[keep++] = p[i];
		}
	}
	*nports -= ports->len - keep;
	g_array_set_size(ports, keep);
	h->shown[state] = 0;
	h->collapsed[state] = true;
}

/* Keeps p (and its svc) on h: listed, or counted once its state has more
 * than XML_SHOW_MAX ports. */
static void host_keep(struct xml_host *h, struct xml_port p, size_t *nports)
{
	if (h->collapsed[p.state]) {
		h->hidden[p.proto != 0][p.state][p.reason]++;
		svc_free(p.svc);
		return;
	}
	g_array_append_val(h->ports, p);
	(*nports)++;
	if (++h->shown[p.state] > XML_SHOW_MAX && p.state != STATE_OPEN)
		host_collapse(h, p.state, nports);
}

static void host_time(struct xml_host *h, double ms)
{
	if (!(ms >= 0 && ms < 1e9))
		ms = 0;   /* also NaN */
	timing_rtt_update(&h->rtt, ms);
}

/* src into dst, src left without ports (the caller frees it). The RTT
 * estimate is src's when it has one: src holds the later results, and the
 * smoothed RTT weighs the latest samples most. */
static void host_absorb(struct xml_host *dst, struct xml_host *src, size_t *nports)
{
	GArray *sp = src->ports;

	for (int s = 0; s < STATE_COUNT; s++) {
		if (src->collapsed[s] && !dst->collapsed[s])
			host_collapse(dst, s, nports);
		for (int pr = 0; pr < 2; pr++)
			for (int r = 0; r <= REASON_COUNT; r++)
				dst->hidden[pr][s][r] += src->hidden[pr][s][r];
	}
	for (guint i = 0; i < sp->len; i++)
		host_keep(dst, g_array_index(sp, struct xml_port, i), nports);
	g_array_set_size(sp, 0);
	if (src->first < dst->first)
		dst->first = src->first;
	if (src->last > dst->last)
		dst->last = src->last;
	if (dst->ptr == NULL) {
		dst->ptr = src->ptr;
		src->ptr = NULL;
	}
	if (src->rtt.valid)
		dst->rtt = src->rtt;
	dst->reasons |= src->reasons;
	/* One host row per host per scan; a later one (a resumed scan's)
	 * stands. */
	if (src->status != STATE_COUNT) {
		dst->status = src->status;
		dst->status_reason = src->status_reason;
		dst->status_ms = src->status_ms;
	}
	/* The more confident verdict; the earlier one on a tie. */
	if (src->os_family != NULL &&
	    (dst->os_family == NULL || src->os_accuracy > dst->os_accuracy)) {
		g_free(dst->os_family);
		g_free(dst->os_reason);
		dst->os_family = src->os_family;
		dst->os_reason = src->os_reason;
		dst->os_accuracy = src->os_accuracy;
		dst->os_port = src->os_port;
		src->os_family = src->os_reason = NULL;
	}
}

bool xml_host_up(const struct xml_host *h, enum reason *why)
{
	/* Best answer first. */
	static const enum reason up[] = {
		REASON_SYN_ACK, REASON_CONN_REFUSED, REASON_RESET, REASON_ADMIN_PROHIBITED };
	/* ICMP host or network unreachable comes from a router about the host,
	 * not from it: a host with no other answer is down, as nmap's host
	 * discovery has it. */
	static const enum reason down[] = { REASON_HOST_UNREACH, REASON_NET_UNREACH };

	/* Discovery's verdict, when it gave one, is the host's status. */
	if (h->status == STATE_UP || h->status == STATE_DOWN) {
		*why = h->status_reason < REASON_COUNT ? (enum reason)h->status_reason
						       : REASON_NO_RESPONSE;
		return h->status == STATE_UP;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(up); i++)
		if (h->reasons & (1u << up[i])) {
			*why = up[i];
			return true;
		}
	*why = REASON_NO_RESPONSE;
	for (size_t i = 0; i < G_N_ELEMENTS(down); i++)
		if (h->reasons & (1u << down[i])) {
			*why = down[i];
			break;
		}
	return false;
}

bool xml_host_reported(const struct xml_host *h)
{
	if (h->ports->len > 0)
		return true;
	for (int pr = 0; pr < 2; pr++)
		for (int s = 0; s < STATE_COUNT; s++)
			for (int r = 0; r <= REASON_COUNT; r++)
				if (h->hidden[pr][s][r] > 0)
					return true;
	return false;
}

/* ---- run records ---- */

static int put_bytes(FILE *fp, const void *p, size_t n)
{
	return n == 0 || fwrite(p, 1, n, fp) == n ? 0 : -1;
}

static int put_text(FILE *fp, const char *s, size_t len)
{
	uint32_t n = s != NULL ? (uint32_t)len : NO_TEXT;

	if (put_bytes(fp, &n, sizeof n) < 0)
		return -1;
	return s != NULL ? put_bytes(fp, s, len) : 0;
}

static int get_bytes(FILE *fp, void *p, size_t n)
{
	if (n == 0 || fread(p, 1, n, fp) == n)
		return 0;
	errno = ferror(fp) ? (errno ? errno : EIO) : EIO;
	return -1;
}

/* A string of the record (NUL-terminated as well), or NULL. */
static int get_text(FILE *fp, char **s, size_t *len)
{
	uint32_t n;

	*s = NULL;
	if (get_bytes(fp, &n, sizeof n) < 0)
		return -1;
	if (len != NULL)
		*len = 0;
	if (n == NO_TEXT)
		return 0;
	*s = g_malloc((gsize)n + 1);
	(*s)[n] = '\0';
	if (len != NULL)
		*len = n;
	return get_bytes(fp, *s, n);
}

/* The fixed part of a record: everything but the strings, the ports and
 * the hidden counts, which follow it only when has_hidden (a host known
 * only by its host row, the JSON hosts block's, has none: its record stays
 * some 100 bytes). */
struct fixed {
	struct pl_addr addr;
	int64_t first, last;
	uint64_t srtt_us, rttvar_us;
	uint32_t reasons, nports;
	uint8_t has_hidden;
	uint8_t collapsed[STATE_COUNT];
	uint8_t timed;
	uint32_t os_accuracy;
	uint16_t os_port;
	uint8_t status, status_reason;
	double status_ms;
};

static int write_host(FILE *fp, const struct xml_host *h)
{
	GArray *ports = h->ports;
	struct fixed f;

	memset(&f, 0, sizeof f);
	f.addr = h->key.addr;
	f.first = (int64_t)h->first;
	f.last = (int64_t)h->last;
	f.srtt_us = h->rtt.srtt_us;
	f.rttvar_us = h->rtt.rttvar_us;
	f.reasons = h->reasons;
	f.nports = ports->len;
	for (int pr = 0; pr < 2; pr++)
		for (int st = 0; st < STATE_COUNT; st++)
			for (int r = 0; r <= REASON_COUNT; r++)
				f.has_hidden |= h->hidden[pr][st][r] != 0;
	for (int s = 0; s < STATE_COUNT; s++)
		f.collapsed[s] = h->collapsed[s];
	f.timed = h->rtt.valid;
	f.os_accuracy = h->os_accuracy;
	f.os_port = h->os_port;
	f.status = h->status;
	f.status_reason = h->status_reason;
	f.status_ms = h->status_ms;
	if (put_bytes(fp, &f, sizeof f) < 0 ||
	    (f.has_hidden && put_bytes(fp, h->hidden, sizeof h->hidden) < 0) ||
	    put_text(fp, h->key.name, h->key.name != NULL ? strlen(h->key.name) : 0) < 0 ||
	    put_text(fp, h->ptr, h->ptr != NULL ? strlen(h->ptr) : 0) < 0 ||
	    put_text(fp, h->os_family, h->os_family != NULL ? strlen(h->os_family) : 0) < 0 ||
	    put_text(fp, h->os_reason, h->os_reason != NULL ? strlen(h->os_reason) : 0) < 0)
		return -1;
	for (guint i = 0; i < ports->len; i++) {
		const struct xml_port *p = &g_array_index(ports, struct xml_port, i);
		/* The protocol rides in the state byte's top bit: states are few. */
		uint8_t head[4] = { (uint8_t)(p->port >> 8), (uint8_t)p->port,
				    (uint8_t)(p->state | p->proto << 7), p->reason };
		uint8_t has_svc = p->svc != NULL;

		if (put_bytes(fp, head, sizeof head) < 0 || put_bytes(fp, &has_svc, 1) < 0)
			return -1;
		for (int k = 0; has_svc && k < XML_DET_COUNT; k++)
			if (put_text(fp, p->svc->text[k], p->svc->len[k]) < 0)
				return -1;
	}
	return 0;
}

static int read_ports(FILE *fp, struct xml_host *h, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint8_t head[4], has_svc;
		struct xml_port p;

		if (get_bytes(fp, head, sizeof head) < 0 || get_bytes(fp, &has_svc, 1) < 0)
			return -1;
		p = (struct xml_port){ .port = (uint16_t)(head[0] << 8 | head[1]),
				       .state = head[2] & 0x7f, .proto = head[2] >> 7,
				       .reason = head[3] };
		if (has_svc) {
			p.svc = g_new0(struct xml_svc, 1);
			for (int k = 0; k < XML_DET_COUNT; k++)
				if (get_text(fp, &p.svc->text[k], &p.svc->len[k]) < 0) {
					svc_free(p.svc);
					return -1;
				}
		}
		g_array_append_val(h->ports, p);
	}
	return 0;
}

/* 1 with *out, 0 at the end of the run, -1 with errno set. */
static int read_host(FILE *fp, struct xml_host **out)
{
	struct xml_host *h;
	struct fixed f;
	char *name;
	size_t got = fread(&f, 1, sizeof f, fp);

	*out = NULL;
	if (got == 0 && feof(fp))
		return 0;
	if (got != sizeof f) {
		errno = ferror(fp) ? (errno ? errno : EIO) : EIO;
		return -1;
	}
	h = host_alloc();
	h->key.addr = f.addr;
	h->first = (time_t)f.first;
	h->last = (time_t)f.last;
	h->rtt.srtt_us = f.srtt_us;
	h->rtt.rttvar_us = f.rttvar_us;
	h->reasons = f.reasons;
	if (f.has_hidden && get_bytes(fp, h->hidden, sizeof h->hidden) < 0) {
		host_free(h);
		return -1;
	}
	for (int s = 0; s < STATE_COUNT; s++)
		h->collapsed[s] = f.collapsed[s] != 0;
	h->rtt.valid = f.timed != 0;
	h->os_accuracy = f.os_accuracy;
	h->os_port = f.os_port;
	h->status = f.status;
	h->status_reason = f.status_reason;
	h->status_ms = f.status_ms;
	if (get_text(fp, &name, NULL) < 0 || (h->key.name = name, get_text(fp, &h->ptr, NULL)) < 0 ||
	    get_text(fp, &h->os_family, NULL) < 0 || get_text(fp, &h->os_reason, NULL) < 0 ||
	    read_ports(fp, h, f.nports) < 0) {
		host_free(h);
		return -1;
	}
	for (guint i = 0; i < h->ports->len; i++)
		h->shown[g_array_index(h->ports, struct xml_port, i).state]++;
	*out = h;
	return 1;
}

/* ---- runs ---- */

static void run_free(gpointer p)
{
	struct run *r = p;

	if (r->fp != NULL)
		fclose(r->fp);
	g_free(r);
}

/* A temporary file in $TMPDIR (g_get_tmp_dir; tmpfile() would ignore
 * TMPDIR), unlinked at once so it goes when it is closed, or when we die. */
static struct run *run_new(void)
{
	struct run *r;
	char *name = g_build_filename(g_get_tmp_dir(), "portolan-xml-XXXXXX", NULL);
	int fd = mkstemp(name), err = errno;
	FILE *fp;

	if (fd != -1)
		(void)unlink(name);
	g_free(name);
	if (fd == -1) {
		errno = err;
		return NULL;
	}
	if ((fp = fdopen(fd, "w+")) == NULL) {
		err = errno;
		close(fd);
		errno = err;
		return NULL;
	}
	r = g_new0(struct run, 1);
	r->fp = fp;
	return r;
}

static int run_rewind(struct run *r)
{
	if (fflush(r->fp) != 0 || fseeko(r->fp, 0, SEEK_SET) != 0)
		return -1;
	clearerr(r->fp);
	return 0;
}

/* a and b (a the older) into one new run; a host in both once. */
static struct run *merge_two(struct run *a, struct run *b)
{
	struct run *out = run_new();
	struct xml_host *x = NULL, *y = NULL;
	size_t nports = 0;
	int ra, rb, rc = -1, err;

	if (out == NULL)
		return NULL;
	if (run_rewind(a) < 0 || run_rewind(b) < 0)
		goto done;
	ra = read_host(a->fp, &x);
	rb = read_host(b->fp, &y);
	while (ra > 0 || rb > 0) {
		int c = ra <= 0 ? 1 : rb <= 0 ? -1 : host_cmp(x, y);
		struct xml_host *w = c <= 0 ? x : y;

		if (c == 0)
			host_absorb(x, y, &nports);
		if (write_host(out->fp, w) < 0)
			goto done;
		out->hosts++;
		if (c <= 0) {
			host_free(x);
			x = NULL;
			ra = read_host(a->fp, &x);
		}
		if (c >= 0) {
			host_free(y);
			y = NULL;
			rb = read_host(b->fp, &y);
		}
	}
	if (ra < 0 || rb < 0)
		goto done;
	rc = 0;
done:
	err = errno;
	if (x != NULL)
		host_free(x);
	if (y != NULL)
		host_free(y);
	if (rc != 0) {
		run_free(out);
		out = NULL;
	}
	errno = err;
	return out;
}

/* The buffer's hosts, sorted (n of them; g_free the array). */
static struct xml_host **sorted_hosts(struct xml_hosts *xh, size_t *n)
{
	GHashTableIter it;
	gpointer value;
	struct xml_host **all = g_new(struct xml_host *, g_hash_table_size(xh->hosts) + 1);

	*n = 0;
	g_hash_table_iter_init(&it, xh->hosts);
	while (g_hash_table_iter_next(&it, NULL, &value))
		all[(*n)++] = value;
	qsort(all, *n, sizeof *all, host_ptr_cmp);
	return all;
}

/* Writes the buffer as a new run and empties it, then merges the newest
 * runs while the newer is at least half the older: sizes then fall
 * geometrically, and a host is copied O(log runs) times. */
static int spill(struct xml_hosts *xh)
{
	struct run *r = run_new();
	struct xml_host **all;
	size_t n;
	int rc = 0, err = 0;

	if (r == NULL)
		return -1;
	all = sorted_hosts(xh, &n);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = write_host(r->fp, all[i]);
	err = errno;
	r->hosts = n;
	g_free(all);
	g_hash_table_remove_all(xh->hosts);
	xh->nports = 0;
	if (rc != 0) {
		run_free(r);
		errno = err;
		return -1;
	}
	g_ptr_array_add(xh->runs, r);
	while (xh->runs->len >= 2) {
		struct run *older = xh->runs->pdata[xh->runs->len - 2];
		struct run *newer = xh->runs->pdata[xh->runs->len - 1];
		struct run *both;

		if (newer->hosts * 2 < older->hosts)
			break;
		if ((both = merge_two(older, newer)) == NULL)
			return -1;
		g_ptr_array_set_size(xh->runs, xh->runs->len - 2);
		g_ptr_array_add(xh->runs, both);
	}
	return 0;
}

/* ---- the buffer ---- */

struct xml_hosts *xml_hosts_new(size_t max_hosts, size_t max_ports)
{
	struct xml_hosts *xh = g_new0(struct xml_hosts, 1);

	if (test_max_hosts != 0)
		max_hosts = test_max_hosts;
	else if (max_hosts == 0)
		max_hosts = XML_MAX_HOSTS;
	if (test_max_ports != 0)
		max_ports = test_max_ports;
	else if (max_ports == 0)
		max_ports = XML_MAX_PORTS;
	xh->max_hosts = max_hosts;
	xh->max_ports = max_ports;
	xh->hosts = g_hash_table_new_full(host_key_hash, host_key_equal, NULL, host_free);
	xh->runs = g_ptr_array_new_with_free_func(run_free);
	return xh;
}

void xml_hosts_free(struct xml_hosts *xh)
{
	if (xh == NULL)
		return;
	g_hash_table_destroy(xh->hosts);
	g_ptr_array_unref(xh->runs);
	g_free(xh);
}

int xml_hosts_add(struct xml_hosts *xh, const struct result *r, bool shown,
		  struct xml_svc *svc, time_t now)
{
	struct host_key key = { .addr = r->addr, .name = r->host };
	int state = (unsigned)r->state < STATE_COUNT ? (int)r->state : STATE_ERROR;
	int reason = (unsigned)r->reason < REASON_COUNT ? (int)r->reason : REASON_COUNT;
	struct xml_host *h;
	int rc = 0;

	if (key.name != NULL && key.name[0] == '\0')
		key.name = NULL;
	h = g_hash_table_lookup(xh->hosts, &key);
	/* The bound on memory: spill what we hold and start again. */
	if (xh->nports >= xh->max_ports ||
	    (h == NULL && g_hash_table_size(xh->hosts) >= xh->max_hosts)) {
		rc = spill(xh);
		h = NULL;
	}
	if (h == NULL) {
		h = host_alloc();
		h->key.addr = r->addr;
		h->key.name = g_strdup(key.name);
		h->first = now;
		g_hash_table_insert(xh->hosts, &h->key, h);
	}
	h->last = now;
	if (result_is_host_row(r)) {
		/* Discovery's verdict: the host's status, no port. Its RTT is
		 * a round trip like any other (nmap's <times> for -sn). */
		h->status = (uint8_t)state;
		h->status_reason = (uint8_t)reason;
		h->status_ms = r->latency_ms;
		if (state == STATE_UP && r->latency_ms > 0)
			host_time(h, r->latency_ms);
		if (h->ptr == NULL && r->ptr != NULL && r->ptr[0] != '\0')
			h->ptr = g_strdup(r->ptr);
		svc_free(svc);
		return rc;
	}
	if (state == STATE_OPEN || state == STATE_CLOSED)
		host_time(h, r->latency_ms);
	if (reason < REASON_COUNT)
		h->reasons |= 1u << reason;
	if (h->ptr == NULL && r->ptr != NULL && r->ptr[0] != '\0')
		h->ptr = g_strdup(r->ptr);
	if (r->os_family != NULL && (h->os_family == NULL || r->os_accuracy > h->os_accuracy)) {
		g_free(h->os_family);
		g_free(h->os_reason);
		h->os_family = g_strdup(r->os_family);
		h->os_reason = g_strdup(r->os_reason);
		h->os_accuracy = r->os_accuracy;
		h->os_port = r->port;
	}
	if (shown)
		host_keep(h, (struct xml_port){ .port = r->port, .state = (uint8_t)state,
						.proto = r->proto == PROTO_UDP,
						.reason = (uint8_t)reason, .svc = svc },
			  &xh->nports);
	else
		svc_free(svc);
	return rc;
}

static int port_cmp(const void *a, const void *b)
{
	const struct xml_port *x = a, *y = b;

	/* TCP's ports, then UDP's, as nmap lists them. */
	if (x->proto != y->proto)
		return (x->proto > y->proto) - (x->proto < y->proto);
	return (x->port > y->port) - (x->port < y->port);
}

static int emit(struct xml_host *h, int (*fn)(void *ud, struct xml_host *h), void *ud)
{
	GArray *ports = h->ports;

	/* A host may have no port to show: an empty GArray has no data. */
	if (ports->len > 1)
		qsort(ports->data, ports->len, sizeof(struct xml_port), port_cmp);
	return fn(ud, h);
}

/* The k-way merge of every run (few: see spill), host by host. */
static int drain_runs(struct xml_hosts *xh, int (*fn)(void *ud, struct xml_host *h), void *ud)
{
	guint k = xh->runs->len;
	struct xml_host **head = g_new0(struct xml_host *, k);
	size_t nports = 0;
	int rc = 0, err = 0;

	for (guint i = 0; i < k && rc == 0; i++)
		if (run_rewind(xh->runs->pdata[i]) < 0 ||
		    read_host(((struct run *)xh->runs->pdata[i])->fp, &head[i]) < 0) {
			rc = -1;
			err = errno;
		}
	while (rc == 0) {
		struct xml_host *min = NULL;
		guint at = 0;

		for (guint i = 0; i < k; i++)
			if (head[i] != NULL && (min == NULL || host_cmp(head[i], min) < 0)) {
				min = head[i];
				at = i;
			}
		if (min == NULL)
			break;
		/* Older runs first: the same host in a later run is newer. */
		for (guint i = at + 1; i < k && rc == 0; i++) {
			if (head[i] == NULL || host_cmp(head[i], min) != 0)
				continue;
			host_absorb(min, head[i], &nports);
			host_free(head[i]);
			if (read_host(((struct run *)xh->runs->pdata[i])->fp, &head[i]) < 0) {
				rc = -1;
				err = errno;
			}
		}
		if (rc == 0 && (rc = emit(min, fn, ud)) != 0)
			err = errno;
		host_free(min);
		head[at] = NULL;
		if (rc == 0 &&
		    read_host(((struct run *)xh->runs->pdata[at])->fp, &head[at]) < 0) {
			rc = -1;
			err = errno;
		}
	}
	for (guint i = 0; i < k; i++)
		if (head[i] != NULL)
			host_free(head[i]);
	g_free(head);
	g_ptr_array_set_size(xh->runs, 0);
	errno = err;
	return rc;
}

int xml_hosts_drain(struct xml_hosts *xh, int (*fn)(void *ud, struct xml_host *h), void *ud)
{
	struct xml_host **all;
	size_t n;
	int rc = 0;

	if (xh->runs->len > 0) {
		/* The buffer becomes the newest run, so one merge sees all. */
		if (g_hash_table_size(xh->hosts) > 0 && spill(xh) < 0) {
			int err = errno;

			g_ptr_array_set_size(xh->runs, 0);
			errno = err;
			return -1;
		}
		return drain_runs(xh, fn, ud);
	}
	all = sorted_hosts(xh, &n);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = emit(all[i], fn, ud);
	g_free(all);
	g_hash_table_remove_all(xh->hosts);
	xh->nports = 0;
	return rc;
}
