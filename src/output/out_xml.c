/* out_xml.c: nmap-compatible XML (nmap.dtd, xmloutputversion 1.05), so that
 * tools that read `nmap -oX` (ndiff, nmap.xsl, importers) read portolan.
 *
 * nmap groups ports under one <host> per address, but portolan's results
 * arrive interleaved across hosts (the task generator walks all hosts for
 * one port, then all hosts for the next). Writing one <host> per result is
 * DTD-valid, but ndiff pairs hosts by address in file order and so compares
 * unrelated ports, and nmap.xsl lists the address once per port. So this
 * writer gathers each host's results (xmlhosts.h) and writes every host
 * once, at close, sorted by address:
 *   - open ports are always kept one by one (they are few, and they are the
 *     point of the scan);
 *   - closed, filtered and error ports are kept one by one until a host has
 *     more than XML_SHOW_MAX of a state; then that state becomes counts per
 *     reason and is written as <extraports>, as nmap does by default;
 *   - memory is bounded: past 262,144 hosts or 4,194,304 kept ports the
 *     buffer spills, sorted, to temporary files, merged at close, so a host
 *     still comes out once however large the scan.
 * Until close the file holds only the header (a prefix of the document);
 * close is always called, so no result is lost when the scan stops
 * normally, and the document is complete and DTD-valid after close, with or
 * without a summary. The writer also sees the results --states leaves out
 * (the note op): they are not written, but they tell whether a host
 * answered.
 *
 * Mapping to nmap's vocabulary:
 *   - nmaprun/@scanner is "nmap" because nmap.dtd allows no other value;
 *     @version is portolan's, @args is rebuilt from the effective settings
 *     (prefixed "portolan"), and a comment names portolan.
 *   - The state "error" (the probe could not be sent) becomes nmap's
 *     "unknown" with reason "local-error"; nmap's XSL and ndiff take it.
 *   - A host with a host row (host discovery ran) has that row's status
 *     and reason, and is written whether or not it has ports to show, as
 *     nmap writes every host with -v or -sn: a down one as <status> and
 *     <address> only (and <hostnames> when it has a name), a live one
 *     without ports to show without <ports>.
 *   - Without a host row (-Pn), a host that answered at all is "up", with the best of its answers as
 *     the reason: syn-ack (a port open), conn-refused or reset (closed),
 *     admin-prohibited (an ICMP prohibition). A host with no answer is
 *     "down": no-response, or host-unreach / net-unreach when routers said
 *     the host cannot be reached (that is a router's answer, not the
 *     host's; nmap's host discovery calls such a host down too). Hosts
 *     with no port to show (--states open and none open) are counted but
 *     get no <host> element, as with nmap --open.
 *   - <times>: srtt and rttvar are RFC 6298's smoothed round-trip time and
 *     its variation (as nmap keeps them), in microseconds, over the
 *     latencies of answered (open or closed) ports in arrival order, or -1
 *     without any; `to` is the configured connect timeout.
 *   - <runstats><hosts>: up counts the hosts up (by their host row, else
 *     by their answers; each once, whatever --states shows), total the
 *     hosts in the target space, down the rest.
 *   - <service>: when the result carries service detection fields (looked
 *     up by name in the field table: service, product, version, info,
 *     os_hint) they become name, product, version, extrainfo and ostype with
 *     method "probed" and conf 10; otherwise the name comes from the system
 *     services table (method "table", conf 3), and without one there is no
 *     <service>.
 *   - TLS (result->tls): <service tunnel="ssl">, then nmap's
 *     <script id="ssl-cert"> (subject, issuer, pubkey, extensions with the
 *     SAN, sig_algo, validity, md5, sha1, pem, and its output text) and
 *     <script id="ssl-enum-ciphers"> (a table per accepted version, holding
 *     the suite chosen with that version pinned), rendered when the result
 *     arrives and kept as text in the host buffer.
 *   - <os>: the host's most confident OS verdict (oshint.h) as one
 *     <osmatch> with one <osclass> at its accuracy, <portused> the port it
 *     came from, and the verdict's reason in <osfingerprint>.
 *
 * Attribute text is escaped for XML (xml_write_text, textesc.h): bytes XML
 * 1.0 cannot carry at all become U+FFFD; DEL and C1 controls too, as in CSV. */
#include "writer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netdb.h>

#include <glib.h>

#include "textesc.h"
#include "tls_facts.h"
#include "xmlhosts.h"

#define XML_STYLESHEET "file:///usr/share/nmap/nmap.xsl"
#define XML_OUTPUT_VERSION "1.05"

/* Service detection fields, in the order of `detect_fields`. */
enum { DET_SERVICE, DET_PRODUCT, DET_VERSION, DET_INFO, DET_OS_HINT, DET_COUNT };
/* The svc slot after them holds the TLS scripts (rendered XML). */
enum { DET_TLS = DET_COUNT };
G_STATIC_ASSERT(DET_TLS + 1 == XML_DET_COUNT);

static const char *const detect_fields[DET_COUNT] = {
	"service", "product", "version", "info", "os_hint" };

/* nmap's <service> attribute for each, in the DTD's order. */
static const char *const detect_attrs[DET_COUNT] = {
	"name", "product", "version", "extrainfo", "ostype" };

struct xml_state {
	struct xml_hosts *hosts;
	uint64_t up, down;               /* hosts drained so far, by status */
	GHashTable *services;            /* port -> name ("" when none) */
	size_t detect_index[DET_COUNT];  /* field table index, or SIZE_MAX */
	time_t start;
	unsigned timeout_ms;
};

/* ` name="value"`; a NULL value is written empty. */
static int put_attr(FILE *fp, const char *name, const char *value)
{
	if (fprintf(fp, " %s=\"", name) < 0 ||
	    xml_write_text(fp, value, value != NULL ? strlen(value) : 0) < 0)
		return -1;
	return fputc('"', fp) == EOF ? -1 : 0;
}

/* ---- scan metadata ---- */

/* ctime()'s layout in English whatever the locale, as nmap writes startstr. */
static void format_time(time_t t, char *buf, size_t len)
{
	static const char *const days[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11) {
		snprintf(buf, len, "%" PRIdMAX, (intmax_t)t);
		return;
	}
	snprintf(buf, len, "%s %s %2d %02d:%02d:%02d %d", days[tm.tm_wday],
		 months[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 tm.tm_year + 1900);
}

/* Ports in a compact spec such as "22,80,8000-8100". */
static uint64_t count_ports(const char *spec)
{
	uint64_t n = 0;
	const char *s = spec;

	while (s != NULL && *s != '\0') {
		char *end;
		unsigned long lo = strtoul(s, &end, 10), hi = lo;

		if (end == s)
			return n;
		if (*end == '-') {
			s = end + 1;
			hi = strtoul(s, &end, 10);
			if (end == s || hi < lo)
				return n;
		}
		n += hi - lo + 1;
		s = *end == ',' ? end + 1 : end;
		if (*end != ',' && *end != '\0')
			return n;
	}
	return n;
}

/* The command, as nmap's args attribute shows it: argv as given, each word
 * shell-quoted where it needs it, so it can be pasted back. Without argv (a
 * writer driven by a test) it is rebuilt from the settings in force. */
static char *build_args(const struct scan_meta *meta)
{
	GString *a;

	if (meta != NULL && meta->argv != NULL && meta->argv[0] != NULL) {
		a = g_string_new(NULL);
		for (size_t i = 0; meta->argv[i] != NULL; i++) {
			if (i > 0)
				g_string_append_c(a, ' ');
			shell_quote_append(a, meta->argv[i]);
		}
		return g_string_free(a, FALSE);
	}
	a = g_string_new("portolan");
	if (meta == NULL)
		return g_string_free(a, FALSE);
	if (meta->ports != NULL)
		g_string_append_printf(a, " -p %s", meta->ports);
	if (meta->states != NULL)
		g_string_append_printf(a, " --states %s", meta->states);
	g_string_append_printf(a, " -t %u --timeout %u --retries %u",
			       meta->threads, meta->timeout_ms, meta->retries);
	for (size_t i = 0; meta->targets != NULL && meta->targets[i] != NULL; i++)
		g_string_append_printf(a, " %s", meta->targets[i]);
	return g_string_free(a, FALSE);
}

/* The version for the opening comment, where "--" may not occur: plain
 * characters only, the rest as '_'. */
static void put_comment_word(FILE *fp, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		fputc(g_ascii_isalnum(*s) || *s == '.' || *s == '_' || *s == '+' ?
		      *s : '_', fp);
}

/* nmap.dtd has no attribute for a scan's order, and a comment may go
 * anywhere: the seed and shard that repeat the run, and the scan's
 * identity. */
static int put_order_comment(FILE *fp, const struct scan_meta *meta)
{
	char *order;
	int rc;

	if (meta == NULL)
		return 0;
	order = scan_order_text(&meta->order);
	/* The scan's identity beside it: shards of one scan share it. */
	rc = fprintf(fp, "<!-- portolan scan order: %s%s%s -->\n", order,
		     meta->order.scan_id[0] != '\0' ? "; scan_id " : "", meta->order.scan_id) < 0
		     ? -1 : 0;
	g_free(order);
	return rc;
}

static int put_one_scaninfo(FILE *fp, bool udp, const char *ports)
{
	if (fprintf(fp, "<scaninfo type=\"%s\" protocol=\"%s\" numservices=\"%" PRIu64 "\"",
		    udp ? "udp" : "connect", udp ? "udp" : "tcp", count_ports(ports)) < 0 ||
	    put_attr(fp, "services", ports) < 0 || fputs("/>\n", fp) == EOF)
		return -1;
	return 0;
}

/* One <scaninfo> per protocol, as nmap -sS -sU writes: a mixed scan's
 * ports are "T:LIST,U:LIST" (plan.c), split here. */
static int put_scaninfo(FILE *fp, const char *proto, const char *ports)
{
	const char *u;
	char *tcp;
	int rc;

	if (proto == NULL || strstr(proto, "udp") == NULL)
		return put_one_scaninfo(fp, false, ports);
	if (strstr(proto, "tcp") == NULL)
		return put_one_scaninfo(fp, true, ports);
	/* Both, the lists unknown (a merge of CSV files): both, empty. */
	if (ports == NULL || strncmp(ports, "T:", 2) != 0 || (u = strstr(ports, ",U:")) == NULL)
		return put_one_scaninfo(fp, false, NULL) < 0 ? -1 : put_one_scaninfo(fp, true, NULL);
	tcp = g_strndup(ports + 2, (gsize)(u - ports - 2));
	rc = put_one_scaninfo(fp, false, tcp);
	g_free(tcp);
	return rc < 0 ? -1 : put_one_scaninfo(fp, true, u + 3);
}

static int put_header(FILE *fp, const struct scan_meta *meta, time_t start)
{
	const char *version = meta != NULL ? meta->version : NULL;
	const char *ports = meta != NULL ? meta->ports : NULL;
	char startstr[64], num[32];
	char *args = build_args(meta);
	int rc = -1;

	format_time(start, startstr, sizeof startstr);
	snprintf(num, sizeof num, "%" PRIdMAX, (intmax_t)start);
	if (fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		  "<!DOCTYPE nmaprun>\n"
		  "<?xml-stylesheet href=\"" XML_STYLESHEET "\" type=\"text/xsl\"?>\n"
		  "<!-- portolan ", fp) == EOF)
		goto out;
	put_comment_word(fp, version);
	if (fprintf(fp, " scan initiated %s; nmap-compatible XML -->\n", startstr) < 0 ||
	    put_order_comment(fp, meta) < 0 ||
	    fputs("<nmaprun scanner=\"nmap\"", fp) == EOF ||
	    put_attr(fp, "args", args) < 0 || put_attr(fp, "start", num) < 0 ||
	    put_attr(fp, "startstr", startstr) < 0 ||
	    put_attr(fp, "version", version) < 0 ||
	    fputs(" xmloutputversion=\"" XML_OUTPUT_VERSION "\">\n", fp) == EOF ||
	    put_scaninfo(fp, meta != NULL ? meta->proto : NULL, ports) < 0 ||
	    fputs("<verbose level=\"0\"/>\n<debugging level=\"0\"/>\n", fp) == EOF)
		goto out;
	rc = 0;
out:
	g_free(args);
	return rc;
}

/* ---- TLS: nmap's ssl-cert and ssl-enum-ciphers scripts ---- */

static void put_esc(FILE *m, const char *text)
{
	xml_write_text(m, text != NULL ? text : "", text != NULL ? strlen(text) : 0);
}

static void put_elem(FILE *m, const char *key, const char *text)
{
	if (text == NULL)
		return;
	fputs("<elem key=\"", m);
	put_esc(m, key);
	fputs("\">", m);
	put_esc(m, text);
	fputs("</elem>\n", m);
}

/* nmap's dates in ssl-cert: "2027-01-31T12:00:00", UTC, no zone letter. */
static void nmap_date(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(buf, len, "%" PRId64, t);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A name's attributes ("commonName=x", ...) as nmap's table of elems,
 * sorted by key as nmap writes them. */
static void put_name_table(FILE *m, const char *key, char *const *attrs)
{
	guint n = attrs != NULL ? g_strv_length((gchar **)attrs) : 0;
	char **sorted = g_new0(char *, n + 1);

	memcpy(sorted, attrs, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, cmp_str);
	fprintf(m, "<table key=\"%s\">\n", key);
	for (char *const *a = sorted; *a != NULL; a++) {
		const char *eq = strchr(*a, '=');
		char *name;

		if (eq == NULL)
			continue;
		name = g_strndup(*a, (size_t)(eq - *a));
		put_elem(m, name, eq + 1);
		g_free(name);
	}
	fputs("</table>\n", m);
	g_free(sorted);
}

/* "commonName=x/organizationName=y", as nmap's output text writes a name. */
static char *name_line(char *const *attrs)
{
	GString *g = g_string_new(NULL);

	for (char *const *a = attrs; a != NULL && *a != NULL; a++)
		g_string_append_printf(g, "%s%s", g->len ? "/" : "", *a);
	return g_string_free(g, FALSE);
}

/* SANs as OpenSSL prints the extension (and so nmap): "DNS:a, IP Address:b". */
static char *san_text(char *const *sans)
{
	GString *g = g_string_new(NULL);

	for (char *const *a = sans; a != NULL && *a != NULL; a++) {
		g_string_append(g, g->len ? ", " : "");
		if (g_str_has_prefix(*a, "IP:"))
			g_string_append_printf(g, "IP Address:%s", *a + 3);
		else
			g_string_append(g, *a);
	}
	return g_string_free(g, FALSE);
}

static void put_ssl_cert(FILE *m, const struct tls_facts *t)
{
	char before[32], after[32], bits[16];
	char *subject = name_line(t->subject_attrs), *issuer = name_line(t->issuer_attrs);
	char *sans = t->sans != NULL ? san_text(t->sans) : NULL;
	GString *out = g_string_new(NULL);

	nmap_date(t->not_before, before, sizeof before);
	nmap_date(t->not_after, after, sizeof after);
	snprintf(bits, sizeof bits, "%u", t->key_bits);
	g_string_append_printf(out, "Subject: %s\n", subject);
	if (sans != NULL)
		g_string_append_printf(out, "Subject Alternative Name: %s\n", sans);
	g_string_append_printf(out, "Issuer: %s\n", issuer);
	g_string_append_printf(out, "Public Key type: %s\nPublic Key bits: %s\n",
			       t->key_type != NULL ? t->key_type : "", bits);
	g_string_append_printf(out, "Signature Algorithm: %s\n", t->sig_alg != NULL ? t->sig_alg : "");
	g_string_append_printf(out, "Not valid before: %s\nNot valid after:  %s\n", before, after);
	g_string_append_printf(out, "MD5:   %s\nSHA-1: %s", t->md5 != NULL ? t->md5 : "",
			       t->sha1 != NULL ? t->sha1 : "");

	fputs("<script id=\"ssl-cert\" output=\"", m);
	put_esc(m, out->str);
	fputs("\">", m);
	put_name_table(m, "subject", t->subject_attrs);
	put_name_table(m, "issuer", t->issuer_attrs);
	fputs("<table key=\"pubkey\">\n", m);
	put_elem(m, "type", t->key_type);
	put_elem(m, "bits", bits);
	if (t->key_curve != NULL) {
		/* nmap's shape for a named EC curve. */
		fputs("<table key=\"ecdhparams\">\n<table key=\"curve_params\">\n", m);
		put_elem(m, "ec_curve_type", "namedcurve");
		put_elem(m, "curve", t->key_curve);
		fputs("</table>\n</table>\n", m);
	}
	fputs("</table>\n", m);
	if (sans != NULL) {
		fputs("<table key=\"extensions\">\n<table>\n", m);
		put_elem(m, "name", "X509v3 Subject Alternative Name");
		put_elem(m, "value", sans);
		fputs("</table>\n</table>\n", m);
	}
	put_elem(m, "sig_algo", t->sig_alg);
	fputs("<table key=\"validity\">\n", m);
	put_elem(m, "notBefore", before);
	put_elem(m, "notAfter", after);
	fputs("</table>\n", m);
	put_elem(m, "md5", t->md5);
	put_elem(m, "sha1", t->sha1);
	put_elem(m, "pem", t->pem);
	fputs("</script>", m);
	g_string_free(out, TRUE);
	g_free(subject);
	g_free(issuer);
	g_free(sans);
}

/* Per accepted version, the suite the server chose with that version
 * pinned. nmap lists every suite a server accepts; portolan knows one a
 * version, so the tables hold one each. No strength grades: portolan does
 * not rate suites. */
static void put_enum_ciphers(FILE *m, const struct tls_facts *t)
{
	GString *out = g_string_new(NULL);

	for (int v = 0; v < TLS_VERSION_COUNT; v++)
		if (t->accepted & (1u << v))
			g_string_append_printf(out, "\n  %s: \n    ciphers: \n      %s",
					       tls_version_name((enum tls_version)v),
					       t->version_cipher[v] != NULL ? t->version_cipher[v] : "");
	fputs("<script id=\"ssl-enum-ciphers\" output=\"", m);
	put_esc(m, out->str);
	fputs("\">", m);
	for (int v = 0; v < TLS_VERSION_COUNT; v++) {
		if (!(t->accepted & (1u << v)))
			continue;
		fprintf(m, "<table key=\"%s\">\n<table key=\"ciphers\">\n",
			tls_version_name((enum tls_version)v));
		if (t->version_cipher[v] != NULL) {
			fputs("<table>\n", m);
			put_elem(m, "name", t->version_cipher[v]);
			fputs("</table>\n", m);
		}
		fputs("</table>\n</table>\n", m);
	}
	fputs("</script>", m);
	g_string_free(out, TRUE);
}

/* The port's TLS scripts as XML text, or NULL without TLS facts. Rendered
 * when the result arrives: the host buffer keeps text, not facts. */
static char *tls_scripts(const struct tls_facts *t, size_t *len)
{
	char *buf = NULL;
	FILE *m;

	if (t == NULL)
		return NULL;
	m = open_memstream(&buf, len);
	if (m == NULL)
		return NULL;
	if (t->have_cert)
		put_ssl_cert(m, t);
	if (t->versions_tested && t->accepted != 0)
		put_enum_ciphers(m, t);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	if (*len == 0) {
		/* TLS without certificate or versions: the tunnel alone. */
		free(buf);
		buf = NULL;
	}
	return buf;
}

/* ---- service detection ---- */

/* The detection fields of r, or NULL when it has none. */
static struct xml_svc *svc_get(const struct xml_state *st, const struct result *r)
{
	struct xml_svc *svc = NULL;
	char scratch[RESULT_SCRATCH_LEN];

	for (int i = 0; i < DET_COUNT; i++) {
		struct field_value v;

		if (st->detect_index[i] == SIZE_MAX)
			continue;
		result_field_get(r, st->detect_index[i], &v, scratch, sizeof scratch);
		if (v.kind != FIELD_STR || v.str == NULL || v.len == 0)
			continue;
		if (svc == NULL)
			svc = g_new0(struct xml_svc, 1);
		svc->text[i] = g_malloc(v.len);
		memcpy(svc->text[i], v.str, v.len);
		svc->len[i] = v.len;
	}
	if (r->tls != NULL) {
		size_t len = 0;
		char *xml = tls_scripts(r->tls, &len);

		if (svc == NULL)
			svc = g_new0(struct xml_svc, 1);
		/* An empty text still says "TLS": tunnel="ssl". */
		svc->text[DET_TLS] = g_malloc(len + 1);
		if (xml != NULL)
			memcpy(svc->text[DET_TLS], xml, len);
		svc->text[DET_TLS][len] = '\0';
		svc->len[DET_TLS] = len;
		free(xml);
	}
	return svc;
}

/* ---- writing hosts ---- */

static const char *xml_state_name(int state)
{
	switch (state) {
	case STATE_OPEN: return "open";
	case STATE_CLOSED: return "closed";
	case STATE_FILTERED: return "filtered";
	case STATE_OPEN_FILTERED: return "open|filtered";
	default: return "unknown";   /* error: nmap has no such state */
	}
}

/* The system's name for the scan's transport's port, or NULL. getservbyport() is not
 * thread-safe, but only the results thread runs writers. */
static const char *service_name(struct xml_state *st, uint16_t port, uint8_t proto)
{
	gpointer key = GUINT_TO_POINTER((guint)port + 1 + (proto ? 65536u : 0u));
	const char *name = g_hash_table_lookup(st->services, key);

	if (name == NULL) {
		struct servent *se = getservbyport((int)htons(port), proto ? "udp" : "tcp");

		name = g_strdup(se != NULL && se->s_name != NULL ? se->s_name : "");
		g_hash_table_insert(st->services, key, (gpointer)name);
	}
	return name[0] != '\0' ? name : NULL;
}

static int put_service(struct xml_state *st, FILE *fp, const struct xml_port *p)
{
	const char *name = service_name(st, p->port, p->proto);

	if (p->svc == NULL) {
		if (name == NULL)
			return 0;
		if (fputs("<service", fp) == EOF || put_attr(fp, "name", name) < 0)
			return -1;
		return fputs(" method=\"table\" conf=\"3\"/>", fp) == EOF ? -1 : 0;
	}
	/* The DTD requires a name; a match may give only a product. */
	if (fputs("<service", fp) == EOF)
		return -1;
	for (int i = 0; i < DET_COUNT; i++) {
		const char *text = p->svc->text[i];
		size_t len = p->svc->len[i];

		if (i == DET_SERVICE && text == NULL) {
			text = name != NULL ? name : "unknown";
			len = strlen(text);
		}
		if (text == NULL)
			continue;
		if (fprintf(fp, " %s=\"", detect_attrs[i]) < 0 ||
		    xml_write_text(fp, text, len) < 0 || fputc('"', fp) == EOF)
			return -1;
		if (i == DET_SERVICE &&
		    fputs(" method=\"probed\" conf=\"10\"", fp) == EOF)
			return -1;
	}
	if (p->svc->text[DET_TLS] == NULL)
		return fputs("/>", fp) == EOF ? -1 : 0;
	/* nmap's mark of a service inside TLS, then the scripts (the DTD
	 * puts <script> after <service>). */
	if (fputs(" tunnel=\"ssl\"/>", fp) == EOF ||
	    fwrite(p->svc->text[DET_TLS], 1, p->svc->len[DET_TLS], fp) != p->svc->len[DET_TLS])
		return -1;
	return 0;
}

static int put_ports(struct xml_state *st, FILE *fp, struct xml_host *h)
{
	const struct xml_port *p = (const struct xml_port *)(const void *)h->ports->data;

	if (fputs("<ports>", fp) == EOF)
		return -1;
	for (int s = 0; s < STATE_COUNT; s++) {
		uint64_t total = 0;

		for (int pr = 0; pr < 2; pr++)
			for (int r = 0; r <= REASON_COUNT; r++)
				total += h->hidden[pr][s][r];
		if (total == 0)
			continue;
		if (fprintf(fp, "<extraports state=\"%s\" count=\"%" PRIu64 "\">\n",
			    xml_state_name(s), total) < 0)
			return -1;
		/* One per protocol and reason: in a mixed scan, nmap's
		 * "closed tcp ports (reset), closed udp ports (port-unreach)". */
		for (int pr = 0; pr < 2; pr++)
			for (int r = 0; r <= REASON_COUNT; r++)
				if (h->hidden[pr][s][r] > 0 &&
				    fprintf(fp, "<extrareasons reason=\"%s\" count=\"%" PRIu32
					    "\" proto=\"%s\"/>\n", reason_name((enum reason)r),
					    h->hidden[pr][s][r], pr ? "udp" : "tcp") < 0)
					return -1;
		if (fputs("</extraports>\n", fp) == EOF)
			return -1;
	}
	for (guint i = 0; i < h->ports->len; i++) {
		if (fprintf(fp, "<port protocol=\"%s\" portid=\"%u\">"
			    "<state state=\"%s\" reason=\"%s\" reason_ttl=\"0\"/>",
			    p[i].proto ? "udp" : "tcp", (unsigned)p[i].port, xml_state_name(p[i].state),
			    reason_name((enum reason)p[i].reason)) < 0)
			return -1;
		if (put_service(st, fp, &p[i]) < 0)
			return -1;
		if (fputs("</port>\n", fp) == EOF)
			return -1;
	}
	return fputs("</ports>\n", fp) == EOF ? -1 : 0;
}

/* nmap's vendor, osfamily and type for a family oshint.c names; anything
 * else (a banner's own words, "Unix-like") is its own osfamily with an
 * unknown vendor and no type. */
static void os_class(const char *family, const char **vendor, const char **osfamily,
		     const char **type)
{
	static const struct { const char *family, *vendor, *osfamily; } known[] = {
		{ "Linux", "Linux", "Linux" },
		{ "Windows", "Microsoft", "Windows" },
		{ "FreeBSD", "FreeBSD", "FreeBSD" },
		{ "OpenBSD", "OpenBSD", "OpenBSD" },
		{ "macOS", "Apple", "macOS" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(known); i++)
		if (strcmp(family, known[i].family) == 0) {
			*vendor = known[i].vendor;
			*osfamily = known[i].osfamily;
			*type = "general purpose";
			return;
		}
	*vendor = "unknown";
	*osfamily = family;
	*type = NULL;
}

/* The host's most confident OS verdict as nmap's <os>: the port it came
 * from, one <osmatch> with one <osclass> at its accuracy, and the reason
 * (the evidence, in words) where nmap puts its own evidence, the
 * fingerprint. */
static int put_os(FILE *fp, const struct xml_host *h)
{
	const char *vendor, *osfamily, *type;
	char acc[16];

	if (h->os_family == NULL)
		return 0;
	os_class(h->os_family, &vendor, &osfamily, &type);
	snprintf(acc, sizeof acc, "%u", (unsigned)h->os_accuracy);
	if (fprintf(fp, "<os><portused state=\"open\" proto=\"tcp\" portid=\"%u\"/>\n",
		    (unsigned)h->os_port) < 0 ||
	    fputs("<osmatch", fp) == EOF || put_attr(fp, "name", h->os_family) < 0 ||
	    put_attr(fp, "accuracy", acc) < 0 || fputs(" line=\"0\"><osclass", fp) == EOF ||
	    (type != NULL && put_attr(fp, "type", type) < 0) ||
	    put_attr(fp, "vendor", vendor) < 0 || put_attr(fp, "osfamily", osfamily) < 0 ||
	    put_attr(fp, "accuracy", acc) < 0 || fputs("/></osmatch>\n", fp) == EOF)
		return -1;
	if (h->os_reason != NULL &&
	    (fputs("<osfingerprint", fp) == EOF ||
	     put_attr(fp, "fingerprint", h->os_reason) < 0 || fputs("/>\n", fp) == EOF))
		return -1;
	return fputs("</os>\n", fp) == EOF ? -1 : 0;
}

/* <hostnames>: the user's name and the reverse DNS name. */
static int put_hostnames(FILE *fp, const struct xml_host *h)
{
	if (fputs("<hostnames>\n", fp) == EOF)
		return -1;
	if (h->key.name != NULL &&
	    (fputs("<hostname", fp) == EOF || put_attr(fp, "name", h->key.name) < 0 ||
	     fputs(" type=\"user\"/>\n", fp) == EOF))
		return -1;
	if (h->ptr != NULL &&
	    (fputs("<hostname", fp) == EOF || put_attr(fp, "name", h->ptr) < 0 ||
	     fputs(" type=\"PTR\"/>\n", fp) == EOF))
		return -1;
	return fputs("</hostnames>\n", fp) == EOF ? -1 : 0;
}

static int put_host(struct xml_state *st, FILE *fp, struct xml_host *h, bool up,
		    enum reason why)
{
	char addr[PL_ADDRSTRLEN];
	long long srtt = -1, rttvar = -1;

	if (h->rtt.valid) {
		srtt = (long long)h->rtt.srtt_us;
		rttvar = (long long)h->rtt.rttvar_us;
	}
	pl_addr_format(&h->key.addr, addr, sizeof addr);
	addr[sizeof addr - 1] = '\0';

	if (fprintf(fp, "<host starttime=\"%" PRIdMAX "\" endtime=\"%" PRIdMAX "\">"
		    "<status state=\"%s\" reason=\"%s\" reason_ttl=\"0\"/>\n",
		    (intmax_t)h->first, (intmax_t)h->last, up ? "up" : "down",
		    reason_name(why)) < 0 ||
	    fputs("<address", fp) == EOF || put_attr(fp, "addr", addr) < 0 ||
	    fprintf(fp, " addrtype=\"%s\"/>\n",
		    h->key.addr.family == AF_INET6 ? "ipv6" : "ipv4") < 0)
		return -1;
	/* A host discovery found down, as nmap -v writes one: its status and
	 * address, its names when it has any, nothing measured. */
	if (!up && h->status == STATE_DOWN && !xml_host_reported(h)) {
		if ((h->key.name != NULL || h->ptr != NULL) && put_hostnames(fp, h) < 0)
			return -1;
		return fputs("</host>\n", fp) == EOF ? -1 : 0;
	}
	/* A live host with no port to show (-sn, or --states with none of
	 * its states) has no <ports>, as in nmap -sn. */
	if (put_hostnames(fp, h) < 0 ||
	    (xml_host_reported(h) && put_ports(st, fp, h) < 0) || put_os(fp, h) < 0 ||
	    fprintf(fp, "<times srtt=\"%lld\" rttvar=\"%lld\" to=\"%llu\"/>\n"
		    "</host>\n", srtt, rttvar,
		    (unsigned long long)st->timeout_ms * 1000u) < 0)
		return -1;
	return 0;
}

struct drain {
	struct xml_state *st;
	FILE *fp;
};

/* One host, merged: counted, and written when it has ports to show or
 * discovery gave it a status (nmap writes every host then, up or down). */
static int drain_host(void *ud, struct xml_host *h)
{
	struct drain *d = ud;
	enum reason why;
	bool up = xml_host_up(h, &why);

	if (up)
		d->st->up++;
	else
		d->st->down++;
	if (!xml_host_reported(h) && h->status == STATE_COUNT)
		return 0;
	return put_host(d->st, d->fp, h, up, why) < 0 ? writer_failed() : 0;
}

/* Writes every host, each once, sorted; the buffer is empty afterwards. */
static int flush_hosts(struct xml_state *st, FILE *fp)
{
	struct drain d = { .st = st, .fp = fp };

	errno = 0;
	return xml_hosts_drain(st->hosts, drain_host, &d);
}

/* ---- the writer ---- */

static void state_free(struct xml_state *st)
{
	if (st == NULL)
		return;
	xml_hosts_free(st->hosts);
	if (st->services != NULL)
		g_hash_table_destroy(st->services);
	free(st);
}

static void *xml_open(FILE *fp, const struct scan_meta *meta)
{
	struct xml_state *st = calloc(1, sizeof *st);
	int err;

	if (st == NULL)
		return NULL;
	st->hosts = xml_hosts_new(0, 0);
	st->services = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					     g_free);
	st->start = meta != NULL ? meta->start : time(NULL);
	st->timeout_ms = meta != NULL ? meta->timeout_ms : 0;
	/* By name, so detection fields are used once the table has them. */
	for (int i = 0; i < DET_COUNT; i++) {
		st->detect_index[i] = SIZE_MAX;
		for (size_t f = 0; f < result_field_count(); f++)
			if (strcmp(result_field_name(f), detect_fields[i]) == 0)
				st->detect_index[i] = f;
	}
	errno = 0;
	if (put_header(fp, meta, st->start) < 0) {
		writer_failed();
		goto fail;
	}
	if (writer_end_record(fp) < 0)
		goto fail;
	return st;
fail:
	err = errno;
	state_free(st);
	errno = err;
	return NULL;
}

static int xml_write(void *state, FILE *fp, const struct result *r)
{
	struct xml_state *st = state;

	return xml_hosts_add(st->hosts, r, true, svc_get(st, r), time(NULL));
}

/* A result --states leaves out: not written, but it tells how the host
 * answered. */
static int xml_note(void *state, FILE *fp, const struct result *r)
{
	struct xml_state *st = state;

	return xml_hosts_add(st->hosts, r, false, NULL, time(NULL));
}

/* exit="error" with nmap's errormsg: why the scan stopped and how far it
 * got, so no reader takes a partial host list for the whole network. */
static int put_exit_error(FILE *fp, const struct metrics_snapshot *summary)
{
	char *msg;
	int rc;

	if (summary == NULL)
		msg = g_strdup("the scan did not complete; results may be missing");
	else
		msg = g_strdup_printf("%s after %" PRIu64 " of %" PRIu64 " probes; results are "
				      "missing", summary->stopped, summary->probes, summary->total);
	rc = fputs(" exit=\"error\"", fp) == EOF || put_attr(fp, "errormsg", msg) < 0 ||
	     fputs("/>", fp) == EOF ? -1 : 0;
	g_free(msg);
	return rc;
}

static int put_runstats(struct xml_state *st, FILE *fp,
			const struct metrics_snapshot *summary, time_t end)
{
	char timestr[64], elapsed[WRITER_REAL_LEN];
	uint64_t up = st->up, total = st->up + st->down, down;
	double secs;

	if (summary != NULL) {
		secs = summary->elapsed_s;
		/* Hosts never probed (an interrupted scan) are down too. */
		if (summary->hosts > total)
			total = summary->hosts;
	} else {
		secs = difftime(end, st->start);
	}
	down = total - up;
	if (!writer_format_real(elapsed, sizeof elapsed, secs < 0 ? 0 : secs, 2))
		strcpy(elapsed, "0.00");
	format_time(end, timestr, sizeof timestr);

	if (fprintf(fp, "<runstats><finished time=\"%" PRIdMAX "\"", (intmax_t)end) < 0 ||
	    put_attr(fp, "timestr", timestr) < 0 ||
	    fprintf(fp, " elapsed=\"%s\" summary=\"portolan done at %s; "
		    "%" PRIu64 " IP address%s (%" PRIu64 " host%s up) scanned in %s seconds\"",
		    elapsed, timestr, total, total == 1 ? "" : "es", up,
		    up == 1 ? "" : "s", elapsed) < 0)
		return -1;
	if (summary != NULL && summary->stopped == NULL) {
		if (fputs(" exit=\"success\"/>", fp) == EOF)
			return -1;
	} else if (put_exit_error(fp, summary) < 0) {
		return -1;
	}
	if (fprintf(fp, "<hosts up=\"%" PRIu64 "\" down=\"%" PRIu64 "\" total=\"%"
		    PRIu64 "\"/>\n</runstats>\n</nmaprun>\n", up, down, total) < 0)
		return -1;
	return 0;
}

static int xml_close(void *state, FILE *fp,
		     const struct metrics_snapshot *summary, time_t end)
{
	struct xml_state *st = state;
	int rc, err;

	/* Hosts first even when a write failed earlier: whatever the stream
	 * still takes ends as a complete document. The first error counts. */
	rc = flush_hosts(st, fp);
	err = errno;
	errno = 0;
	if (put_runstats(st, fp, summary, end) < 0 && rc == 0) {
		rc = writer_failed();
		err = errno;
	}
	if (writer_end_record(fp) < 0 && rc == 0) {
		rc = -1;
		err = errno;
	}
	state_free(st);
	errno = err;
	return rc;
}

static const char *const xml_extensions[] = { ".xml", NULL };

const struct writer_ops writer_xml = {
	.name = "xml",
	.extensions = xml_extensions,
	.open = xml_open,
	.write = xml_write,
	.note = xml_note,
	.close = xml_close,
};
