/* test_xml.c: the nmap-compatible XML writer.
 *
 * Each test runs the writer into memory and reads the document back with
 * GLib's GMarkup parser (well-formed XML, entities decoded) into a small
 * tree, then checks the shape nmap.dtd asks for: element order inside <host>,
 * ports grouped per host whatever order the results came in, nmap's state
 * vocabulary, <extraports> for many closed ports, hostile bytes in names
 * turned into text XML 1.0 can carry, and a complete document without a
 * summary or metadata. DTD validation itself is in tests/integration. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <glib.h>

#include "tls_facts.h"
#include "writer.h"
#include "xmlhosts.h"

#define FFFD "\xEF\xBF\xBD"
#define START ((time_t)1795262400)

/* ---- a tiny DOM over GMarkup ---- */

struct node {
	char *name;
	GHashTable *attrs;      /* name -> value (decoded) */
	GPtrArray *kids;        /* struct node */
	struct node *parent;
	GString *text;          /* character data, decoded */
};

struct doc {
	struct node *root, *cur;
	int pis, doctypes, comments;
};

static void node_free(gpointer p)
{
	struct node *n = p;

	g_free(n->name);
	g_hash_table_destroy(n->attrs);
	g_ptr_array_free(n->kids, TRUE);
	g_string_free(n->text, TRUE);
	g_free(n);
}

static void on_start(GMarkupParseContext *ctx, const gchar *name,
		     const gchar **an, const gchar **av, gpointer ud, GError **err)
{
	struct doc *d = ud;
	struct node *n = g_new0(struct node, 1);

	n->name = g_strdup(name);
	n->attrs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	n->kids = g_ptr_array_new_with_free_func(node_free);
	n->text = g_string_new(NULL);
	for (size_t i = 0; an[i] != NULL; i++)
		g_hash_table_insert(n->attrs, g_strdup(an[i]), g_strdup(av[i]));
	n->parent = d->cur;
	if (d->cur != NULL)
		g_ptr_array_add(d->cur->kids, n);
	else
		d->root = n;
	d->cur = n;
}

static void on_end(GMarkupParseContext *ctx, const gchar *name, gpointer ud,
		   GError **err)
{
	struct doc *d = ud;

	d->cur = d->cur->parent;
}

static void on_text(GMarkupParseContext *ctx, const gchar *text, gsize len, gpointer ud,
		    GError **err)
{
	struct doc *d = ud;

	if (d->cur != NULL)
		g_string_append_len(d->cur->text, text, (gssize)len);
}

static void on_passthrough(GMarkupParseContext *ctx, const gchar *text,
			   gsize len, gpointer ud, GError **err)
{
	struct doc *d = ud;

	if (g_str_has_prefix(text, "<?"))
		d->pis++;
	else if (g_str_has_prefix(text, "<!DOCTYPE"))
		d->doctypes++;
	else if (g_str_has_prefix(text, "<!--"))
		d->comments++;
}

/* Every character XML 1.0 allows (and no DEL or C1), as strict UTF-8. */
static bool xml_chars_ok(const char *s, size_t len)
{
	const char *end = s + len;

	if (!g_utf8_validate(s, (gssize)len, NULL))
		return false;
	for (const char *p = s; p < end; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		    (c >= 0x7F && c <= 0x9F) || c == 0xFFFE || c == 0xFFFF)
			return false;
	}
	return true;
}

/* Parses a whole document; fails the test when it is not well-formed. */
static struct doc *parse(const char *buf, size_t len)
{
	static const GMarkupParser parser = {
		.start_element = on_start,
		.end_element = on_end,
		.text = on_text,
		.passthrough = on_passthrough,
	};
	struct doc *d = g_new0(struct doc, 1);
	GMarkupParseContext *ctx;
	GError *err = NULL;
	bool ok;

	assert_true(xml_chars_ok(buf, len));
	assert_true(g_str_has_prefix(buf, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
	ctx = g_markup_parse_context_new(&parser, 0, d, NULL);
	ok = g_markup_parse_context_parse(ctx, buf, (gssize)len, &err) &&
	     g_markup_parse_context_end_parse(ctx, &err);
	if (!ok)
		fail_msg("not well-formed: %s\n%s", err->message, buf);
	g_markup_parse_context_free(ctx);
	assert_non_null(d->root);
	assert_null(d->cur);
	return d;
}

static void doc_free(struct doc *d)
{
	node_free(d->root);
	g_free(d);
}

static const char *attr(const struct node *n, const char *name)
{
	return g_hash_table_lookup(n->attrs, name);
}

static struct node *kid(const struct node *n, size_t i)
{
	assert_true(i < n->kids->len);
	return n->kids->pdata[i];
}

/* The first child named `name`, or NULL. */
static struct node *child(const struct node *n, const char *name)
{
	for (guint i = 0; i < n->kids->len; i++)
		if (strcmp(kid(n, i)->name, name) == 0)
			return kid(n, i);
	return NULL;
}

static size_t count_kids(const struct node *n, const char *name)
{
	size_t c = 0;

	for (guint i = 0; i < n->kids->len; i++)
		c += strcmp(kid(n, i)->name, name) == 0;
	return c;
}

/* The names of n's children, space-separated, to check order. */
static char *kid_names(const struct node *n)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < n->kids->len; i++)
		g_string_append_printf(s, "%s%s", i ? " " : "", kid(n, i)->name);
	return g_string_free(s, FALSE);
}

static void assert_kids(const struct node *n, const char *want)
{
	char *got = kid_names(n);

	assert_string_equal(got, want);
	g_free(got);
}

/* ---- running the writer ---- */

struct mem {
	FILE *fp;
	char *buf;
	size_t size;
};

static const char *const targets[] = { "127.0.0.1", "192.0.2.0/30", NULL };

static const struct scan_meta meta = {
	.version = "0.1.0",
	.start = START,
	.targets = targets,
	.ports = "22,80,8000-8100",
	.threads = 16,
	.timeout_ms = 1500,
	.retries = 1,
	.states = "open,closed,filtered,error",
};

static const struct metrics_snapshot summary = {
	.hosts = 5, .total = 515, .probes = 6, .attempts = 7, .retries = 1,
	.state = { 2, 2, 1, 1 }, .elapsed_s = 2.5, .rate = 2.4,
};

static struct result res(const char *ip, uint16_t port, enum port_state s,
			 enum reason why)
{
	struct result r;

	memset(&r, 0, sizeof r);
	assert_true(pl_addr_parse(ip, &r.addr));
	r.port = port;
	r.state = s;
	r.reason = why;
	r.latency_ms = 0.25;
	r.attempts = 1;
	return r;
}

/* Runs open, one write per result, close; returns the document. */
static struct doc *run(const struct scan_meta *m, const struct result *r,
		       size_t n, const struct metrics_snapshot *sum, char **text)
{
	struct mem mem = { 0 };
	struct doc *d;
	void *st;

	mem.fp = open_memstream(&mem.buf, &mem.size);
	assert_non_null(mem.fp);
	st = writer_xml.open(mem.fp, m);
	assert_non_null(st);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(writer_xml.write(st, mem.fp, &r[i]), 0);
	assert_int_equal(writer_xml.close(st, mem.fp, sum, START + 3), 0);
	assert_int_equal(fclose(mem.fp), 0);
	d = parse(mem.buf, mem.size);
	if (text != NULL)
		*text = mem.buf;
	else
		free(mem.buf);
	return d;
}

/* The <port> with this number in a <host>, or NULL. */
static struct node *find_port(const struct node *host, unsigned port)
{
	struct node *ports = child(host, "ports");

	for (guint i = 0; ports != NULL && i < ports->kids->len; i++) {
		struct node *p = kid(ports, i);

		if (strcmp(p->name, "port") == 0 &&
		    strtoul(attr(p, "portid"), NULL, 10) == port)
			return p;
	}
	return NULL;
}

/* ---- tests ---- */

/* Header, interleaved hosts grouped and sorted, ports sorted, states mapped,
 * runstats from the summary. */
static void test_structure(void **state)
{
	struct result r[6];
	struct node *root, *h, *p, *st, *rs;
	struct doc *d;
	char *text;

	/* Interleaved across hosts, as the task generator produces them. */
	r[0] = res("192.0.2.2", 80, STATE_CLOSED, REASON_CONN_REFUSED);
	r[1] = res("127.0.0.1", 8080, STATE_OPEN, REASON_SYN_ACK);
	r[2] = res("192.0.2.2", 22, STATE_OPEN, REASON_SYN_ACK);
	r[3] = res("127.0.0.1", 22, STATE_FILTERED, REASON_NO_RESPONSE);
	r[4] = res("2001:db8::1", 443, STATE_ERROR, REASON_LOCAL_ERROR);
	r[4].err = EMFILE;
	r[5] = res("192.0.2.1", 25, STATE_CLOSED, REASON_RESET);
	d = run(&meta, r, 6, &summary, &text);
	root = d->root;

	assert_int_equal(d->doctypes, 1);
	assert_int_equal(d->pis, 2);   /* <?xml?> and <?xml-stylesheet?> */
	assert_non_null(strstr(text, "<!DOCTYPE nmaprun>\n<?xml-stylesheet "
			       "href=\"file:///usr/share/nmap/nmap.xsl\" type=\"text/xsl\"?>"));
	assert_string_equal(root->name, "nmaprun");
	assert_string_equal(attr(root, "scanner"), "nmap");   /* the DTD's only value */
	assert_string_equal(attr(root, "version"), "0.1.0");
	assert_string_equal(attr(root, "xmloutputversion"), "1.05");
	assert_string_equal(attr(root, "start"), "1795262400");
	assert_non_null(attr(root, "startstr"));
	assert_string_equal(attr(root, "args"),
			    "portolan -p 22,80,8000-8100 --states open,closed,filtered,error "
			    "-t 16 --timeout 1500 --retries 1 127.0.0.1 192.0.2.0/30");
	assert_kids(root, "scaninfo verbose debugging host host host host runstats");

	st = kid(root, 0);
	assert_string_equal(attr(st, "type"), "connect");
	assert_string_equal(attr(st, "protocol"), "tcp");
	assert_string_equal(attr(st, "numservices"), "103");
	assert_string_equal(attr(st, "services"), "22,80,8000-8100");
	assert_string_equal(attr(kid(root, 1), "level"), "0");

	/* Hosts sorted: IPv4 by value, then IPv6. */
	assert_string_equal(attr(child(kid(root, 3), "address"), "addr"), "127.0.0.1");
	assert_string_equal(attr(child(kid(root, 4), "address"), "addr"), "192.0.2.1");
	assert_string_equal(attr(child(kid(root, 5), "address"), "addr"), "192.0.2.2");
	assert_string_equal(attr(child(kid(root, 6), "address"), "addr"), "2001:db8::1");
	assert_string_equal(attr(child(kid(root, 6), "address"), "addrtype"), "ipv6");

	/* 192.0.2.2: both its ports in one host, sorted, in DTD order. */
	h = kid(root, 5);
	assert_kids(h, "status address hostnames ports times");
	assert_non_null(attr(h, "starttime"));
	assert_non_null(attr(h, "endtime"));
	assert_string_equal(attr(child(h, "status"), "state"), "up");
	assert_string_equal(attr(child(h, "status"), "reason"), "syn-ack");
	assert_string_equal(attr(child(h, "status"), "reason_ttl"), "0");
	assert_string_equal(attr(child(h, "address"), "addrtype"), "ipv4");
	assert_int_equal(child(h, "hostnames")->kids->len, 0);
	assert_int_equal(count_kids(child(h, "ports"), "port"), 2);
	p = kid(child(h, "ports"), 0);
	assert_string_equal(attr(p, "portid"), "22");
	assert_string_equal(attr(p, "protocol"), "tcp");
	assert_string_equal(kid(p, 0)->name, "state");
	assert_string_equal(attr(kid(p, 0), "state"), "open");
	assert_string_equal(attr(kid(p, 0), "reason"), "syn-ack");
	assert_string_equal(attr(kid(p, 0), "reason_ttl"), "0");
	if (p->kids->len > 1) {   /* from the system's services table */
		struct node *svc = kid(p, 1);

		assert_string_equal(svc->name, "service");
		assert_string_equal(attr(svc, "method"), "table");
		assert_string_equal(attr(svc, "conf"), "3");
	}
	p = kid(child(h, "ports"), 1);
	assert_string_equal(attr(p, "portid"), "80");
	assert_string_equal(attr(kid(p, 0), "state"), "closed");
	assert_string_equal(attr(kid(p, 0), "reason"), "conn-refused");
	assert_string_equal(attr(child(h, "times"), "to"), "1500000");
	assert_string_equal(attr(child(h, "times"), "srtt"), "250");

	/* Closed only: up by its RST. */
	h = kid(root, 4);
	assert_string_equal(attr(child(h, "status"), "reason"), "reset");
	h = kid(root, 3);
	assert_string_equal(attr(child(h, "status"), "reason"), "syn-ack");
	assert_string_equal(attr(kid(find_port(h, 22), 0), "state"), "filtered");
	assert_string_equal(attr(kid(find_port(h, 22), 0), "reason"), "no-response");

	/* error has no nmap state: unknown, with our reason; a host that never
	 * answered is down. */
	h = kid(root, 6);
	assert_string_equal(attr(child(h, "status"), "state"), "down");
	assert_string_equal(attr(child(h, "status"), "reason"), "no-response");
	assert_string_equal(attr(kid(find_port(h, 443), 0), "state"), "unknown");
	assert_string_equal(attr(kid(find_port(h, 443), 0), "reason"), "local-error");
	assert_string_equal(attr(child(h, "times"), "srtt"), "-1");

	rs = kid(root, 7);
	assert_kids(rs, "finished hosts");
	assert_string_equal(attr(kid(rs, 0), "time"), "1795262403");
	assert_string_equal(attr(kid(rs, 0), "elapsed"), "2.50");
	assert_string_equal(attr(kid(rs, 0), "exit"), "success");
	assert_non_null(attr(kid(rs, 0), "timestr"));
	assert_non_null(strstr(attr(kid(rs, 0), "summary"),
			       "5 IP addresses (3 hosts up) scanned in 2.50 seconds"));
	assert_string_equal(attr(kid(rs, 1), "up"), "3");
	assert_string_equal(attr(kid(rs, 1), "down"), "2");
	assert_string_equal(attr(kid(rs, 1), "total"), "5");
	assert_true(g_str_has_suffix(text, "</runstats>\n</nmaprun>\n"));
	free(text);
	doc_free(d);
}

/* Host and PTR names with markup, controls, NUL-free garbage and invalid
 * UTF-8 come out as text: escaped markup, U+FFFD for what XML 1.0 cannot
 * hold, TAB/CR/LF kept through character references. */
static void test_hostile_names(void **state)
{
	static const char host[] =
		"a&b<c>d\"e'f\x01g\x1b[31m\x7f\xc2\x85h\xff\xed\xa0\x80"
		"\xef\xbf\xbe\t\r\n\xc3\xa9\xf0\x9f\x98\x80\xe2\x82";
	static const char host_want[] =
		"a&b<c>d\"e'f" FFFD "g" FFFD "[31m" FFFD FFFD "h" FFFD FFFD FFFD FFFD
		FFFD "\t\r\n\xc3\xa9\xf0\x9f\x98\x80" FFFD FFFD;
	static const char ptr[] = "\x1b]0;pwned\x07@evil.example\xc0\xaf";
	static const char ptr_want[] = FFFD "]0;pwned" FFFD "@evil.example" FFFD FFFD;
	static const char *const evil_targets[] = { "--x\" y=\"z", "<t>&", NULL };
	struct scan_meta m = meta;
	struct result r[2];
	struct node *h, *names;
	struct doc *d;
	char *text;

	m.targets = evil_targets;
	m.version = "1--2\x01";
	r[0] = res("198.51.100.7", 443, STATE_OPEN, REASON_SYN_ACK);
	r[0].host = host;
	r[0].ptr = g_strdup(ptr);
	r[1] = res("198.51.100.7", 444, STATE_CLOSED, REASON_CONN_REFUSED);
	r[1].host = host;
	d = run(&m, r, 2, &summary, &text);
	g_free(r[0].ptr);

	assert_int_equal(count_kids(d->root, "host"), 1);
	h = child(d->root, "host");
	names = child(h, "hostnames");
	assert_int_equal(names->kids->len, 2);
	assert_string_equal(attr(kid(names, 0), "type"), "user");
	assert_string_equal(attr(kid(names, 0), "name"), host_want);
	assert_string_equal(attr(kid(names, 1), "type"), "PTR");
	assert_string_equal(attr(kid(names, 1), "name"), ptr_want);
	assert_non_null(strstr(attr(d->root, "args"), " --x\" y=\"z <t>&"));
	assert_string_equal(attr(d->root, "version"), "1--2" FFFD);
	/* Raw text never carries the controls, and the comments (portolan's,
	 * and the scan order's) stay two. */
	assert_null(strchr(text, '\x1b'));
	assert_non_null(strstr(text, "&#9;&#13;&#10;"));
	assert_int_equal(d->comments, 2);
	free(text);
	doc_free(d);
}

/* No summary (an abandoned scan): the document still closes, with what was
 * scanned, and says the run did not finish. No metadata works too. */
static void test_null_summary(void **state)
{
	struct result r[2];
	struct node *fin, *hosts;
	struct doc *d;

	r[0] = res("192.0.2.9", 22, STATE_OPEN, REASON_SYN_ACK);
	r[1] = res("192.0.2.9", 23, STATE_FILTERED, REASON_HOST_UNREACH);
	d = run(&meta, r, 2, NULL, NULL);
	assert_kids(d->root, "scaninfo verbose debugging host runstats");
	assert_non_null(find_port(child(d->root, "host"), 22));
	assert_non_null(find_port(child(d->root, "host"), 23));
	fin = child(child(d->root, "runstats"), "finished");
	hosts = child(child(d->root, "runstats"), "hosts");
	assert_string_equal(attr(fin, "exit"), "error");
	assert_non_null(attr(fin, "errormsg"));
	assert_string_equal(attr(fin, "elapsed"), "3.00");
	assert_string_equal(attr(hosts, "up"), "1");
	assert_string_equal(attr(hosts, "total"), "1");
	doc_free(d);

	/* A summary of a scan that stopped early: an error, with why. */
	{
		struct metrics_snapshot stopped = summary;

		stopped.stopped = "interrupted (SIGINT)";
		d = run(&meta, r, 2, &stopped, NULL);
		fin = child(child(d->root, "runstats"), "finished");
		assert_string_equal(attr(fin, "exit"), "error");
		assert_string_equal(attr(fin, "errormsg"),
				    "interrupted (SIGINT) after 6 of 515 probes; results are missing");
		doc_free(d);
	}

	/* Nothing at all: no metadata, no results, no summary. */
	d = run(NULL, NULL, 0, NULL, NULL);
	assert_kids(d->root, "scaninfo verbose debugging runstats");
	assert_string_equal(attr(kid(d->root, 0), "numservices"), "0");
	assert_string_equal(attr(kid(d->root, 0), "services"), "");
	assert_string_equal(attr(child(child(d->root, "runstats"), "hosts"), "total"), "0");
	doc_free(d);
}

/* Many closed ports on a host become <extraports> with counts per reason,
 * before the listed ports; open ports are always listed. */
static void test_extraports(void **state)
{
	struct result r[64];
	struct node *h, *ports, *extra;
	struct doc *d;
	size_t n = 0;

	for (uint16_t p = 1; p <= 40; p++)
		r[n++] = res("192.0.2.5", p, STATE_CLOSED,
			     p % 4 == 0 ? REASON_RESET : REASON_CONN_REFUSED);
	for (uint16_t p = 1000; p < 1003; p++)
		r[n++] = res("192.0.2.5", p, STATE_FILTERED, REASON_NO_RESPONSE);
	for (uint16_t p = 2000; p < 2020; p++)   /* fewer than 26 closed */
		r[n++] = res("192.0.2.6", p, STATE_CLOSED, REASON_CONN_REFUSED);
	r[n++] = res("192.0.2.5", 22, STATE_OPEN, REASON_SYN_ACK);
	d = run(&meta, r, n, &summary, NULL);

	h = kid(d->root, 3);
	ports = child(h, "ports");
	assert_kids(ports, "extraports port port port port");
	extra = kid(ports, 0);
	assert_string_equal(attr(extra, "state"), "closed");
	assert_string_equal(attr(extra, "count"), "40");
	assert_kids(extra, "extrareasons extrareasons");
	assert_string_equal(attr(kid(extra, 0), "reason"), "conn-refused");
	assert_string_equal(attr(kid(extra, 0), "count"), "30");
	assert_string_equal(attr(kid(extra, 1), "reason"), "reset");
	assert_string_equal(attr(kid(extra, 1), "count"), "10");
	assert_string_equal(attr(kid(extra, 1), "proto"), "tcp");
	assert_string_equal(attr(kid(ports, 1), "portid"), "22");
	assert_string_equal(attr(kid(ports, 2), "portid"), "1000");
	assert_null(find_port(h, 40));

	h = kid(d->root, 4);
	assert_int_equal(count_kids(child(h, "ports"), "port"), 20);
	assert_int_equal(count_kids(child(h, "ports"), "extraports"), 0);
	doc_free(d);
}

/* A mixed scan's closed ports collapsed together: the counts stay apart by
 * protocol, as nmap's extrareasons proto says (TCP conn-refused and UDP
 * port-unreach; no-response of both kept apart too). */
static void test_extraports_mixed(void **state)
{
	struct result r[80];
	struct node *ports, *extra;
	struct doc *d;
	size_t n = 0;

	for (uint16_t p = 1; p <= 30; p++)
		r[n++] = res("192.0.2.7", p, STATE_CLOSED, REASON_CONN_REFUSED);
	for (uint16_t p = 1; p <= 12; p++) {
		r[n] = res("192.0.2.7", p, STATE_CLOSED, REASON_PORT_UNREACH);
		r[n++].proto = PROTO_UDP;
	}
	for (uint16_t p = 100; p < 130; p++) {
		r[n] = res("192.0.2.7", p, STATE_FILTERED, REASON_NO_RESPONSE);
		r[n++].proto = p < 110 ? PROTO_UDP : PROTO_TCP;
	}
	d = run(&meta, r, n, &summary, NULL);
	ports = child(kid(d->root, 3), "ports");
	assert_kids(ports, "extraports extraports");
	extra = kid(ports, 0);
	assert_string_equal(attr(extra, "state"), "closed");
	assert_string_equal(attr(extra, "count"), "42");
	assert_kids(extra, "extrareasons extrareasons");
	assert_string_equal(attr(kid(extra, 0), "reason"), "conn-refused");
	assert_string_equal(attr(kid(extra, 0), "count"), "30");
	assert_string_equal(attr(kid(extra, 0), "proto"), "tcp");
	assert_string_equal(attr(kid(extra, 1), "reason"), "port-unreach");
	assert_string_equal(attr(kid(extra, 1), "count"), "12");
	assert_string_equal(attr(kid(extra, 1), "proto"), "udp");
	extra = kid(ports, 1);
	assert_string_equal(attr(extra, "state"), "filtered");
	assert_string_equal(attr(extra, "count"), "30");
	assert_kids(extra, "extrareasons extrareasons");
	assert_string_equal(attr(kid(extra, 0), "count"), "20");
	assert_string_equal(attr(kid(extra, 0), "proto"), "tcp");
	assert_string_equal(attr(kid(extra, 1), "count"), "10");
	assert_string_equal(attr(kid(extra, 1), "proto"), "udp");
	doc_free(d);
}

/* Every result lands in exactly one <port> or count, whatever the order
 * and however the writer bounds its buffer (test_spill_one_host_each runs
 * it with small bounds too). */
static void test_every_result_kept(void **state)
{
	enum { HOSTS = 40, PORTS = 3 };
	struct result r[HOSTS * PORTS];
	bool seen[HOSTS][PORTS] = { { false } };
	struct doc *d;
	size_t n = 0, nhost = 0;

	for (int p = 0; p < PORTS; p++)
		for (int i = 0; i < HOSTS; i++) {
			char ip[32];

			snprintf(ip, sizeof ip, "10.0.%d.%d", i / 200, i % 200 + 1);
			r[n++] = res(ip, (uint16_t)(100 + p),
				     (i + p) % 2 ? STATE_OPEN : STATE_CLOSED,
				     (i + p) % 2 ? REASON_SYN_ACK : REASON_CONN_REFUSED);
		}
	d = run(&meta, r, n, &summary, NULL);
	for (guint k = 0; k < d->root->kids->len; k++) {
		struct node *h = kid(d->root, k), *ports;
		unsigned a, b, c, last;

		if (strcmp(h->name, "host") != 0)
			continue;
		nhost++;
		assert_int_equal(sscanf(attr(child(h, "address"), "addr"),
					"%u.%u.%u.%u", &a, &b, &c, &last), 4);
		ports = child(h, "ports");
		for (guint i = 0; i < ports->kids->len; i++) {
			unsigned port = (unsigned)strtoul(attr(kid(ports, i), "portid"),
							  NULL, 10);
			int host = (int)(c * 200 + last - 1);

			assert_true(port >= 100 && port < 100 + PORTS);
			assert_false(seen[host][port - 100]);
			seen[host][port - 100] = true;
		}
	}
	for (int i = 0; i < HOSTS; i++)
		for (int p = 0; p < PORTS; p++)
			assert_true(seen[i][p]);
	assert_int_equal(nhost, HOSTS);
	doc_free(d);
}

/* <times>: RFC 6298 over the answered ports' latencies in arrival order,
 * in microseconds, with timing.c's arithmetic (test_timing works the same
 * sequence by hand); a filtered port's wait is not a sample. */
static void test_times(void **state)
{
	static const double ms[] = { 100.0, 100.0, 200.0, 50.0 };
	struct result r[6];
	struct node *h = NULL;
	struct doc *d;

	for (int i = 0; i < 4; i++) {
		r[i] = res("192.0.2.1", (uint16_t)(20 + i), i % 2 ? STATE_OPEN : STATE_CLOSED,
			   i % 2 ? REASON_SYN_ACK : REASON_CONN_REFUSED);
		r[i].latency_ms = ms[i];
	}
	r[4] = res("192.0.2.1", 30, STATE_FILTERED, REASON_NO_RESPONSE);
	r[4].latency_ms = 1500.0;
	r[5] = res("192.0.2.2", 30, STATE_CLOSED, REASON_CONN_REFUSED);
	d = run(&meta, r, 6, &summary, NULL);
	for (guint i = 0; i < d->root->kids->len; i++) {
		h = kid(d->root, i);
		if (strcmp(h->name, "host") == 0 &&
		    strcmp(attr(child(h, "address"), "addr"), "192.0.2.1") == 0)
			break;
		h = NULL;
	}
	assert_non_null(h);
	assert_string_equal(attr(child(h, "times"), "srtt"), "104688");
	assert_string_equal(attr(child(h, "times"), "rttvar"), "55469");
	doc_free(d);
}

/* A failed test must not leave its small bounds to the next. */
static int default_limits(void **state)
{
	xml_hosts_test_limits(0, 0);
	return 0;
}

static void test_every_result_kept_spilled(void **state)
{
	xml_hosts_test_limits(3, 5);
	test_every_result_kept(state);
	xml_hosts_test_limits(0, 0);
}

/* Runs the writer with --states `mask`: results of other states go to the
 * note op, as the results thread sends them. */
static struct doc *run_states(const struct result *r, size_t n, unsigned mask,
			      const struct metrics_snapshot *sum)
{
	struct mem mem = { 0 };
	struct doc *d;
	void *st;

	mem.fp = open_memstream(&mem.buf, &mem.size);
	assert_non_null(mem.fp);
	st = writer_xml.open(mem.fp, &meta);
	assert_non_null(st);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(mask & (1u << r[i].state) ?
				 writer_xml.write(st, mem.fp, &r[i]) :
				 writer_xml.note(st, mem.fp, &r[i]), 0);
	assert_int_equal(writer_xml.close(st, mem.fp, sum, START + 3), 0);
	assert_int_equal(fclose(mem.fp), 0);
	d = parse(mem.buf, mem.size);
	free(mem.buf);
	return d;
}

/* With --states open, a host that answered only with RST or an ICMP
 * prohibition is up all the same (it has no <host>, as with nmap --open);
 * only hosts with no answer, or only routers' unreachables, are down. */
static void test_unreported_answers_count(void **state)
{
	struct metrics_snapshot sum = summary;
	struct result r[64];
	struct node *hosts;
	struct doc *d;
	size_t n = 0;
	char ip[32];

	for (int i = 1; i <= 31; i++) {
		snprintf(ip, sizeof ip, "198.51.100.%d", i);
		if (i <= 13) {
			r[n++] = res(ip, 22, STATE_OPEN, REASON_SYN_ACK);
			r[n++] = res(ip, 23, STATE_CLOSED, REASON_CONN_REFUSED);
		} else if (i <= 23) {
			r[n++] = res(ip, 22, STATE_CLOSED, i % 2 ? REASON_RESET : REASON_CONN_REFUSED);
		} else if (i <= 28) {
			r[n++] = res(ip, 22, STATE_FILTERED, REASON_ADMIN_PROHIBITED);
			r[n++] = res(ip, 23, STATE_FILTERED, REASON_NO_RESPONSE);
		} else if (i <= 30) {
			r[n++] = res(ip, 22, STATE_FILTERED, REASON_HOST_UNREACH);
		} else {
			r[n++] = res(ip, 22, STATE_FILTERED, REASON_NO_RESPONSE);
			r[n++] = res(ip, 23, STATE_ERROR, REASON_LOCAL_ERROR);
		}
	}
	sum.hosts = 31;
	d = run_states(r, n, 1u << STATE_OPEN, &sum);
	assert_int_equal(count_kids(d->root, "host"), 13);
	hosts = child(child(d->root, "runstats"), "hosts");
	assert_string_equal(attr(hosts, "up"), "28");
	assert_string_equal(attr(hosts, "down"), "3");
	assert_string_equal(attr(hosts, "total"), "31");
	assert_non_null(strstr(attr(child(child(d->root, "runstats"), "finished"), "summary"),
			       "31 IP addresses (28 hosts up)"));
	/* The open hosts' closed ports are not shown, and not counted either. */
	assert_null(child(child(child(d->root, "host"), "ports"), "extraports"));
	assert_null(find_port(child(d->root, "host"), 23));
	doc_free(d);

	/* --states all: every host shown, each status from its answers. */
	d = run_states(r, n, 0xFu, &sum);
	assert_int_equal(count_kids(d->root, "host"), 31);
	for (guint k = 0; k < d->root->kids->len; k++) {
		struct node *h = kid(d->root, k), *status;
		unsigned last;

		if (strcmp(h->name, "host") != 0)
			continue;
		status = child(h, "status");
		assert_int_equal(sscanf(attr(child(h, "address"), "addr"), "198.51.100.%u", &last), 1);
		if (last <= 13) {
			assert_string_equal(attr(status, "state"), "up");
			assert_string_equal(attr(status, "reason"), "syn-ack");
		} else if (last <= 23) {
			assert_string_equal(attr(status, "state"), "up");
			assert_string_equal(attr(status, "reason"),
					    last % 2 ? "reset" : "conn-refused");
		} else if (last <= 28) {
			assert_string_equal(attr(status, "state"), "up");
			assert_string_equal(attr(status, "reason"), "admin-prohibited");
		} else {
			assert_string_equal(attr(status, "state"), "down");
			assert_string_equal(attr(status, "reason"),
					    last <= 30 ? "host-unreach" : "no-response");
		}
	}
	hosts = child(child(d->root, "runstats"), "hosts");
	assert_string_equal(attr(hosts, "up"), "28");
	assert_string_equal(attr(hosts, "down"), "3");
	doc_free(d);
}

/* More hosts than the buffer holds: it spills to temporary files and the
 * document still has each host once, with all its ports and counts, in
 * address order, and counts each host once. The bounds are made small. */
static void test_spill_one_host_each(void **state)
{
	enum { HOSTS = 40, PORTS = 3, BIG = 60 };
	struct result r[HOSTS * PORTS + BIG];
	struct metrics_snapshot sum = summary;
	struct node *hosts, *big = NULL;
	struct doc *d;
	size_t n = 0, nhost = 0;
	char prev[64] = "";

	/* Interleaved, as the task generator sends them; one more host has
	 * BIG closed ports spread over the whole scan. */
	for (int p = 0; p < PORTS; p++)
		for (int i = 0; i < HOSTS; i++) {
			char ip[32];

			snprintf(ip, sizeof ip, "10.0.0.%d", HOSTS - i);
			r[n++] = res(ip, (uint16_t)(100 + p), (i + p) % 2 ? STATE_OPEN : STATE_CLOSED,
				     (i + p) % 2 ? REASON_SYN_ACK : REASON_CONN_REFUSED);
		}
	for (int b = 0; b < BIG; b++) {
		size_t at = (size_t)b * 2;

		memmove(&r[at + 1], &r[at], (n - at) * sizeof r[0]);
		r[at] = res("10.0.1.1", (uint16_t)(1000 + b), STATE_CLOSED,
			    b % 3 ? REASON_CONN_REFUSED : REASON_RESET);
		n++;
	}
	sum.hosts = HOSTS + 1;
	xml_hosts_test_limits(4, 16);
	d = run(&meta, r, n, &sum, NULL);
	xml_hosts_test_limits(0, 0);
	for (guint k = 0; k < d->root->kids->len; k++) {
		struct node *h = kid(d->root, k);
		const char *addr;

		if (strcmp(h->name, "host") != 0)
			continue;
		nhost++;
		addr = attr(child(h, "address"), "addr");
		/* Sorted, so a repeat would sit next to its twin. */
		assert_true(strcmp(prev, addr) != 0);
		g_strlcpy(prev, addr, sizeof prev);
		if (strcmp(addr, "10.0.1.1") == 0) {
			big = h;
			continue;
		}
		assert_int_equal(count_kids(child(h, "ports"), "port"), PORTS);
	}
	assert_int_equal(nhost, HOSTS + 1);
	assert_string_equal(attr(child(kid(d->root, 3), "address"), "addr"), "10.0.0.1");
	assert_non_null(big);
	assert_kids(child(big, "ports"), "extraports");
	assert_string_equal(attr(child(child(big, "ports"), "extraports"), "count"), "60");
	assert_string_equal(attr(kid(child(child(big, "ports"), "extraports"), 0), "count"), "40");
	assert_string_equal(attr(kid(child(child(big, "ports"), "extraports"), 1), "count"), "20");
	hosts = child(child(d->root, "runstats"), "hosts");
	assert_string_equal(attr(hosts, "up"), "41");
	assert_string_equal(attr(hosts, "down"), "0");
	assert_string_equal(attr(hosts, "total"), "41");
	doc_free(d);
}

/* A host's most confident OS verdict becomes <os> after <ports>: the port
 * it came from, one <osmatch> with one <osclass> at its accuracy, the
 * reason as the fingerprint; a host without a verdict has no <os>. */
static void test_os(void **state)
{
	struct result r[5];
	struct node *h, *os, *m, *c;
	struct doc *d;

	r[0] = res("192.0.2.1", 22, STATE_OPEN, REASON_SYN_ACK);
	r[0].os_family = (char *)"Unix-like";
	r[0].os_accuracy = 30;
	r[0].os_reason = (char *)"TTL 64: Unix-like family (options MSS say nothing more)";
	r[1] = res("192.0.2.2", 22, STATE_CLOSED, REASON_CONN_REFUSED);
	r[2] = res("192.0.2.1", 80, STATE_OPEN, REASON_SYN_ACK);
	r[2].os_family = (char *)"Linux";
	r[2].os_accuracy = 85;
	r[2].os_reason = (char *)"TTL 64, options MSS,SACK,TS,NOP,WS: Linux family";
	r[3] = res("192.0.2.1", 443, STATE_OPEN, REASON_SYN_ACK);
	r[3].os_family = (char *)"Windows";
	r[3].os_accuracy = 45;
	r[3].os_reason = (char *)"<\"&>";
	r[4] = res("192.0.2.3", 25, STATE_OPEN, REASON_SYN_ACK);
	r[4].os_family = (char *)"Plan 9";
	r[4].os_accuracy = 60;
	d = run(&meta, r, 5, &summary, NULL);
	h = kid(d->root, 3);
	assert_string_equal(attr(child(h, "address"), "addr"), "192.0.2.1");
	assert_kids(h, "status address hostnames ports os times");
	os = child(h, "os");
	assert_kids(os, "portused osmatch osfingerprint");
	assert_string_equal(attr(child(os, "portused"), "portid"), "80");
	assert_string_equal(attr(child(os, "portused"), "state"), "open");
	m = child(os, "osmatch");
	assert_string_equal(attr(m, "name"), "Linux");
	assert_string_equal(attr(m, "accuracy"), "85");
	assert_string_equal(attr(m, "line"), "0");
	c = child(m, "osclass");
	assert_string_equal(attr(c, "vendor"), "Linux");
	assert_string_equal(attr(c, "osfamily"), "Linux");
	assert_string_equal(attr(c, "type"), "general purpose");
	assert_string_equal(attr(c, "accuracy"), "85");
	assert_string_equal(attr(child(os, "osfingerprint"), "fingerprint"),
			    "TTL 64, options MSS,SACK,TS,NOP,WS: Linux family");
	h = kid(d->root, 4);
	assert_kids(h, "status address hostnames ports times");
	/* A family of words no table knows; no reason, no fingerprint. */
	h = kid(d->root, 5);
	os = child(h, "os");
	assert_kids(os, "portused osmatch");
	c = child(child(os, "osmatch"), "osclass");
	assert_string_equal(attr(c, "vendor"), "unknown");
	assert_string_equal(attr(c, "osfamily"), "Plan 9");
	assert_null(attr(c, "type"));
	doc_free(d);
}

/* The same with every host spilled to a run and merged back. */
static void test_os_spilled(void **state)
{
	xml_hosts_test_limits(1, 1);
	test_os(state);
	xml_hosts_test_limits(0, 0);
}

/* The <elem key=KEY> child of a <table>/<script>, its text; NULL if none. */
static const char *elem(const struct node *n, const char *key)
{
	for (guint i = 0; i < n->kids->len; i++) {
		const struct node *k = kid(n, i);
		const char *a = attr(k, "key");

		if (strcmp(k->name, "elem") == 0 && a != NULL && strcmp(a, key) == 0)
			return k->text->str;
	}
	return NULL;
}

static struct node *table(const struct node *n, const char *key)
{
	for (guint i = 0; i < n->kids->len; i++) {
		struct node *k = kid(n, i);
		const char *a = attr(k, "key");

		if (strcmp(k->name, "table") == 0 && (key == NULL ? a == NULL : a != NULL && strcmp(a, key) == 0))
			return k;
	}
	return NULL;
}

/* A port with TLS facts: tunnel="ssl" on <service>, then nmap's ssl-cert
 * (subject and issuer tables, pubkey, extensions with the SAN, sig_algo,
 * validity, md5, sha1, pem) and ssl-enum-ciphers (a table per accepted
 * version). Hostile bytes in the certificate's names stay well-formed. */
static void test_tls_scripts(void **state)
{
	struct result r[3];
	struct tls_facts *t = tls_facts_new(), *bare = tls_facts_new();
	struct node *h, *p, *sv, *sc, *tb, *ext;
	struct doc *d;
	char *text;

	t->version = g_strdup("TLSv1.3");
	t->have_cert = true;
	t->subject_attrs = g_strsplit("commonName=www.example.org|organizationName=Ex<&>\"mple", "|", -1);
	t->issuer_attrs = g_strsplit("countryName=DE|commonName=Test CA", "|", -1);
	t->sans = g_strsplit("DNS:www.example.org|IP:198.18.1.10", "|", -1);
	t->not_before = 1767225600; /* 2026-01-01 */
	t->not_after = 1798761600;  /* 2027-01-01 */
	t->key_type = g_strdup("ec");
	t->key_bits = 256;
	t->key_curve = g_strdup("prime256v1");
	t->sig_alg = g_strdup("ecdsa-with-SHA256");
	t->md5 = g_strdup("0123456789abcdef0123456789abcdef");
	t->sha1 = g_strdup("0123456789abcdef0123456789abcdef01234567");
	t->pem = g_strdup("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
	t->versions_tested = true;
	t->accepted = 1u << TLS_V1_2 | 1u << TLS_V1_3;
	t->version_cipher[TLS_V1_2] = g_strdup("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
	t->version_cipher[TLS_V1_3] = g_strdup("TLS_AES_256_GCM_SHA384");
	r[0] = res("192.0.2.1", 443, STATE_OPEN, REASON_SYN_ACK);
	r[0].tls = t;
	r[1] = res("192.0.2.1", 80, STATE_OPEN, REASON_SYN_ACK);
	/* TLS reached, nothing learnt: the tunnel alone. */
	r[2] = res("192.0.2.1", 8443, STATE_OPEN, REASON_SYN_ACK);
	r[2].tls = bare;
	d = run(&meta, r, 3, &summary, &text);
	h = kid(d->root, 3);

	p = find_port(h, 443);
	assert_non_null(p);
	assert_kids(p, "state service script script");
	sv = child(p, "service");
	assert_string_equal(attr(sv, "tunnel"), "ssl");
	sc = kid(p, 2);
	assert_string_equal(attr(sc, "id"), "ssl-cert");
	assert_non_null(strstr(attr(sc, "output"), "Subject: commonName=www.example.org/organizationName=Ex<&>\"mple\n"));
	assert_non_null(strstr(attr(sc, "output"), "Subject Alternative Name: DNS:www.example.org, IP Address:198.18.1.10\n"));
	assert_non_null(strstr(attr(sc, "output"), "Not valid after:  2027-01-01T00:00:00\n"));
	assert_non_null(strstr(attr(sc, "output"), "MD5:   0123456789abcdef0123456789abcdef\nSHA-1: 0123456789abcdef0123456789abcdef01234567"));
	tb = table(sc, "subject");
	assert_string_equal(elem(tb, "commonName"), "www.example.org");
	assert_string_equal(elem(tb, "organizationName"), "Ex<&>\"mple");
	/* Sorted by key, as nmap writes them. */
	assert_string_equal(attr(kid(tb, 0), "key"), "commonName");
	assert_string_equal(attr(kid(tb, 1), "key"), "organizationName");
	tb = table(sc, "issuer");
	assert_string_equal(attr(kid(tb, 0), "key"), "commonName");
	assert_string_equal(attr(kid(tb, 1), "key"), "countryName");
	assert_string_equal(elem(tb, "commonName"), "Test CA");
	assert_string_equal(elem(tb, "countryName"), "DE");
	tb = table(sc, "pubkey");
	assert_string_equal(elem(tb, "type"), "ec");
	assert_string_equal(elem(tb, "bits"), "256");
	assert_string_equal(elem(table(table(tb, "ecdhparams"), "curve_params"), "curve"), "prime256v1");
	ext = table(table(sc, "extensions"), NULL);
	assert_string_equal(elem(ext, "name"), "X509v3 Subject Alternative Name");
	assert_string_equal(elem(ext, "value"), "DNS:www.example.org, IP Address:198.18.1.10");
	assert_string_equal(elem(sc, "sig_algo"), "ecdsa-with-SHA256");
	assert_string_equal(elem(table(sc, "validity"), "notBefore"), "2026-01-01T00:00:00");
	assert_string_equal(elem(table(sc, "validity"), "notAfter"), "2027-01-01T00:00:00");
	assert_string_equal(elem(sc, "md5"), "0123456789abcdef0123456789abcdef");
	assert_string_equal(elem(sc, "sha1"), "0123456789abcdef0123456789abcdef01234567");
	assert_string_equal(elem(sc, "pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
	sc = kid(p, 3);
	assert_string_equal(attr(sc, "id"), "ssl-enum-ciphers");
	assert_kids(sc, "table table");
	assert_null(table(sc, "TLSv1.0"));
	assert_string_equal(elem(table(table(table(sc, "TLSv1.2"), "ciphers"), NULL), "name"),
			    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
	assert_string_equal(elem(table(table(table(sc, "TLSv1.3"), "ciphers"), NULL), "name"),
			    "TLS_AES_256_GCM_SHA384");

	p = find_port(h, 80);
	assert_kids(p, "state service");
	assert_null(attr(child(p, "service"), "tunnel"));
	p = find_port(h, 8443);
	assert_kids(p, "state service");
	assert_string_equal(attr(child(p, "service"), "tunnel"), "ssl");
	free(text);
	doc_free(d);
	tls_facts_free(t);
	tls_facts_free(bare);
}

static void test_tls_scripts_spilled(void **state)
{
	xml_hosts_test_limits(1, 1);
	test_tls_scripts(state);
	xml_hosts_test_limits(0, 0);
}

/* A stream that fails turns into -1 with errno set, and state is freed. */
static void test_stream_failure(void **state)
{
	FILE *fp = fopen("/dev/full", "w");
	struct result r = res("192.0.2.1", 22, STATE_OPEN, REASON_SYN_ACK);
	void *st;

	if (fp == NULL)
		skip();
	setvbuf(fp, NULL, _IOFBF, 1 << 16);
	st = writer_xml.open(fp, &meta);
	assert_null(st);
	assert_int_equal(errno, ENOSPC);
	clearerr(fp);
	fclose(fp);

	/* Open on a good stream, then close on a full one. */
	{
		char *buf = NULL;
		size_t size = 0;
		FILE *mem = open_memstream(&buf, &size);

		st = writer_xml.open(mem, &meta);
		assert_non_null(st);
		assert_int_equal(writer_xml.write(st, mem, &r), 0);
		fclose(mem);
		free(buf);
		fp = fopen("/dev/full", "w");
		assert_non_null(fp);
		errno = 0;
		assert_int_equal(writer_xml.close(st, fp, &summary, START), -1);
		assert_int_equal(errno, ENOSPC);
		clearerr(fp);
		fclose(fp);
	}
}

static void test_lookup(void **state)
{
	assert_ptr_equal(writer_find("xml"), &writer_xml);
	assert_ptr_equal(writer_find("XML"), &writer_xml);
	assert_ptr_equal(writer_for_filename("scan.xml"), &writer_xml);
	assert_ptr_equal(writer_for_filename("dir/Scan.XML"), &writer_xml);
	assert_non_null(strstr(writer_names(), "xml"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_null_summary),
		cmocka_unit_test(test_extraports),
		cmocka_unit_test(test_extraports_mixed),
		cmocka_unit_test(test_every_result_kept),
		cmocka_unit_test_teardown(test_every_result_kept_spilled, default_limits),
		cmocka_unit_test(test_unreported_answers_count),
		cmocka_unit_test_teardown(test_spill_one_host_each, default_limits),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_os),
		cmocka_unit_test_teardown(test_os_spilled, default_limits),
		cmocka_unit_test(test_tls_scripts),
		cmocka_unit_test_teardown(test_tls_scripts_spilled, default_limits),
		cmocka_unit_test(test_stream_failure),
		cmocka_unit_test(test_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
