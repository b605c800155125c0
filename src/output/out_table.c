/* out_table.c: the human table on stdout.
 *
 * On a terminal, rows are kept (up to TTY_MAX_ROWS) and printed when the scan
 * ends, grouped by host and sorted by port, with columns sized to the data
 * and the state in colour (unless NO_COLOR is set): a person reads it once,
 * at the end. Anywhere else (a pipe, a file) rows stream as they come, so
 * columns cannot be sized from the data: they have fixed widths, the address
 * column 39 characters to fit any IPv6 address. A longer "address (name)" pushes the
 * rest of its own line right rather than being cut. Every string goes through
 * text_printable(), so a hostile name cannot move the cursor or recolour the
 * terminal. A port with TLS facts gets a short line under it (version,
 * STARTTLS, subject CN, notAfter and days left, the chain's verdict). This is a fixed human view, so unlike the data formats it picks
 * its few fields straight from the result. */
#include "writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "textesc.h"
#include "tls_facts.h"

#define W_HOST 39
#define W_PORT 9      /* "65535/tcp" */
#define W_STATE 8     /* "filtered" */
#define W_REASON 16   /* "admin-prohibited" */
#define GAP 2

/* Rows kept for the grouped view; past this the view streams instead. */
#define TTY_MAX_ROWS 200000

struct row {
	struct pl_addr addr;
	char *host;                /* "192.0.2.1 (name)", printable */
	uint16_t port;
	enum pl_proto proto;
	enum port_state state;
	enum reason reason;
	char *service;             /* "ssh OpenSSH 9.2p1", printable, or NULL */
	char *os;                  /* "Linux (85%): reason", printable, or NULL */
	char *tls;                 /* the TLS line's text, printable, or NULL */
	unsigned os_accuracy;
	double latency_ms;         /* a host row's: discovery's round trip */
};

struct table_state {
	uint64_t rows;
	bool grouped;              /* a terminal: keep rows, print at close */
	bool colour;
	GArray *kept;              /* struct row */
};

/* Terminal columns a valid UTF-8 string takes: wide (East Asian) characters
 * take two, combining marks none. */
static size_t display_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s = g_utf8_next_char(s)) {
		gunichar c = g_utf8_get_char(s);

		if (g_unichar_iszerowidth(c))
			continue;
		w += g_unichar_iswide(c) ? 2 : 1;
	}
	return w;
}

/* Writes s and pads it to `width` columns plus the gap (at least the gap). */
static int put_cell(FILE *fp, const char *s, size_t width)
{
	size_t w = display_width(s);
	size_t pad = (w < width ? width - w : 0) + GAP;

	if (fputs(s, fp) == EOF)
		return -1;
	for (size_t i = 0; i < pad; i++)
		if (fputc(' ', fp) == EOF)
			return -1;
	return 0;
}

/* "service product version" from detection, printable; NULL when none. */
static char *service_cell(const struct result *r)
{
	GString *g = g_string_new(NULL);
	const char *parts[] = { r->service, r->product, r->version };

	for (size_t i = 0; i < G_N_ELEMENTS(parts); i++) {
		char *p;

		if (parts[i] == NULL || *parts[i] == '\0')
			continue;
		p = text_printable(parts[i], strlen(parts[i]));
		if (p == NULL)
			continue;
		g_string_append_printf(g, "%s%s", g->len ? " " : "", p);
		g_free(p);
	}
	if (g->len == 0) {
		g_string_free(g, TRUE);
		return NULL;
	}
	return g_string_free(g, FALSE);
}

/* The line under a TLS port: "TLSv1.3 (STARTTLS smtp), CN=www.example.org,
 * notAfter 2027-01-31 (57 days left), verify: ok", printable; NULL without
 * TLS facts. Only what is known is said. */
static char *tls_cell(const struct result *r)
{
	const struct tls_facts *t = r->tls;
	GString *g;
	char *line;

	if (t == NULL)
		return NULL;
	g = g_string_new(t->version != NULL ? t->version : "TLS");
	if (t->starttls != NULL)
		g_string_append_printf(g, " (STARTTLS %s)", t->starttls);
	if (t->have_cert) {
		time_t na = (time_t)t->not_after;
		struct tm tm;
		char date[16];

		if (t->subject_cn != NULL)
			g_string_append_printf(g, ", CN=%s", t->subject_cn);
		if (gmtime_r(&na, &tm) != NULL && strftime(date, sizeof date, "%Y-%m-%d", &tm) > 0)
			g_string_append_printf(g, ", notAfter %s", date);
		if (t->days_left < 0)
			g_string_append_printf(g, " (expired %lld days ago)", -(long long)t->days_left);
		else
			g_string_append_printf(g, " (%lld days left)", (long long)t->days_left);
	}
	if (t->verify != NULL)
		g_string_append_printf(g, ", verify: %s", t->verify);
	line = text_printable(g->str, g->len);
	g_string_free(g, TRUE);
	return line;
}

/* The OS verdict as "family (accuracy%): reason", printable; NULL when none. */
static char *os_cell(const struct result *r)
{
	char *family, *reason, *cell;

	if (r->os_family == NULL)
		return NULL;
	family = text_printable(r->os_family, strlen(r->os_family));
	reason = r->os_reason != NULL ? text_printable(r->os_reason, strlen(r->os_reason)) : NULL;
	cell = g_strdup_printf("%s (%u%%)%s%s", family != NULL ? family : "", r->os_accuracy,
			       reason != NULL ? ": " : "", reason != NULL ? reason : "");
	g_free(family);
	g_free(reason);
	return cell;
}

static void *table_open(FILE *fp, const struct scan_meta *meta)
{
	struct table_state *st = calloc(1, sizeof *st);
	const char *no_colour = getenv("NO_COLOR");

	if (st == NULL)
		return NULL;
	if (isatty(fileno(fp))) {
		st->grouped = true;
		/* https://no-color.org: present and not empty disables colour. */
		st->colour = no_colour == NULL || *no_colour == '\0';
		st->kept = g_array_new(FALSE, FALSE, sizeof(struct row));
		return st;
	}
	errno = 0;
	if (put_cell(fp, "HOST", W_HOST) < 0 || put_cell(fp, "PORT", W_PORT) < 0 ||
	    put_cell(fp, "STATE", W_STATE) < 0 ||
	    put_cell(fp, "REASON", W_REASON) < 0 || fputs("SERVICE\n", fp) == EOF) {
		writer_failed();
		goto fail;
	}
	if (writer_end_record(fp) < 0)
		goto fail;
	return st;
fail:
	free(st);
	return NULL;
}

/* "192.0.2.1 (name)" with the name made printable; the name is the one the
 * user gave, else the reverse DNS name. NULL when out of memory. */
static char *host_cell(const struct result *r)
{
	char ip[PL_ADDRSTRLEN];
	const char *name = r->host != NULL && *r->host != '\0' ? r->host : r->ptr;
	char *pname, *cell;

	size_t len;

	pl_addr_format(&r->addr, ip, sizeof ip);
	ip[sizeof ip - 1] = '\0';
	if (name == NULL || *name == '\0')
		return g_strdup(ip);
	pname = text_printable(name, strlen(name));
	if (pname == NULL)
		return NULL;
	len = strlen(ip) + strlen(pname) + 4;
	cell = g_try_malloc(len);
	if (cell != NULL)
		snprintf(cell, len, "%s (%s)", ip, pname);
	g_free(pname);
	return cell;
}

static void row_clear(struct row *row)
{
	g_free(row->tls);
	g_free(row->host);
	g_free(row->service);
	g_free(row->os);
}

/* The most confident OS verdict among the host's rows from i on. */
static const char *host_os(const struct table_state *st, guint i)
{
	const struct row *first = &g_array_index(st->kept, struct row, i), *best = NULL;

	for (; i < st->kept->len; i++) {
		const struct row *row = &g_array_index(st->kept, struct row, i);

		if (strcmp(row->host, first->host) != 0)
			break;
		if (row->os != NULL && (best == NULL || row->os_accuracy > best->os_accuracy))
			best = row;
	}
	return best != NULL ? best->os : NULL;
}

static int cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c;

	if (x->addr.family != y->addr.family)
		return x->addr.family == AF_INET ? -1 : 1;
	c = pl_u128_cmp(x->addr.v, y->addr.v);
	if (c != 0)
		return c;
	/* A host's own row (up or down) heads its ports. */
	c = !port_state_is_port(y->state) - !port_state_is_port(x->state);
	if (c != 0)
		return c;
	return (int)x->port - (int)y->port;
}

static const char *state_colour(enum port_state s)
{
	switch (s) {
	case STATE_OPEN: return "\033[32m";
	case STATE_CLOSED: return "\033[31m";
	case STATE_FILTERED:
	case STATE_OPEN_FILTERED: return "\033[33m";
	default: return "\033[35m";
	}
}

/* A host row's words, as nmap's "Host is up (0.00052s latency)": "up
 * (echo-reply, 0.52 ms)", "down (no-response)". */
static void host_status(const struct row *row, char *buf, size_t len)
{
	char ms[WRITER_REAL_LEN];

	if (row->state == STATE_UP && writer_format_real(ms, sizeof ms, row->latency_ms, 2) &&
	    row->latency_ms > 0)
		snprintf(buf, len, "%s (%s, %s ms)", port_state_name(row->state),
			 reason_name(row->reason), ms);
	else
		snprintf(buf, len, "%s (%s)", port_state_name(row->state),
			 reason_name(row->reason));
}

/* The grouped view: a line per host (with its status when discovery gave
 * one), its OS hint (the best of its ports') under it when there is one,
 * its ports indented under that. The streamed view has no host lines, so no
 * room for it: the data formats carry it. */
static int print_grouped(struct table_state *st, FILE *fp)
{
	size_t w_port = strlen("PORT"), w_state = strlen("STATE"), w_reason = strlen("REASON");
	const char *prev = NULL;

	if (st->kept->len == 0)
		return fputs("no ports to report\n", fp) == EOF ? -1 : 0;
	qsort(st->kept->data, st->kept->len, sizeof(struct row), cmp_rows);
	for (guint i = 0; i < st->kept->len; i++) {
		struct row *row = &g_array_index(st->kept, struct row, i);
		char port[16];

		if (!port_state_is_port(row->state))
			continue;
		snprintf(port, sizeof port, "%u/%s", (unsigned)row->port, row->proto == PROTO_UDP ? "udp" : "tcp");
		w_port = MAX(w_port, strlen(port));
		w_state = MAX(w_state, strlen(port_state_name(row->state)));
		w_reason = MAX(w_reason, strlen(reason_name(row->reason)));
	}
	for (guint i = 0; i < st->kept->len; i++) {
		struct row *row = &g_array_index(st->kept, struct row, i);
		const char *state = port_state_name(row->state);
		char port[16], status[96];
		bool host_row = !port_state_is_port(row->state);

		if (prev == NULL || strcmp(prev, row->host) != 0) {
			const char *os = host_os(st, i);

			status[0] = '\0';
			if (host_row)
				host_status(row, status, sizeof status);
			if (fprintf(fp, "%s%s%s%s\n", prev ? "\n" : "", row->host,
				    host_row ? "  " : "", status) < 0 ||
			    (os != NULL && fprintf(fp, "  OS: %s\n", os) < 0))
				return -1;
			prev = row->host;
			/* The ports' heading, when the host has ports. */
			if (host_row && (i + 1 >= st->kept->len ||
					 strcmp(g_array_index(st->kept, struct row, i + 1).host,
						row->host) != 0))
				continue;
			if (fprintf(fp, "  %-*s  %-*s  %-*s  %s\n", (int)w_port, "PORT",
				    (int)w_state, "STATE", (int)w_reason, "REASON", "SERVICE") < 0)
				return -1;
		}
		if (host_row)
			continue;
		snprintf(port, sizeof port, "%u/%s", (unsigned)row->port, row->proto == PROTO_UDP ? "udp" : "tcp");
		if (fprintf(fp, "  %-*s  %s%s%s%*s  %-*s  %s\n", (int)w_port, port,
			    st->colour ? state_colour(row->state) : "", state,
			    st->colour ? "\033[0m" : "", (int)(w_state - strlen(state)), "",
			    (int)w_reason, reason_name(row->reason),
			    row->service ? row->service : "") < 0)
			return -1;
		if (row->tls != NULL && fprintf(fp, "  %*s  TLS: %s\n", (int)w_port, "", row->tls) < 0)
			return -1;
	}
	return 0;
}

static bool table_keeps(const void *state)
{
	const struct table_state *st = state;

	return st->grouped && st->kept->len < TTY_MAX_ROWS;
}

static int table_write(void *state, FILE *fp, const struct result *r)
{
	struct table_state *st = state;
	char port[16];
	char *host, *service;
	int rc = -1;

	errno = 0;
	host = host_cell(r);
	if (host == NULL) {
		errno = ENOMEM;
		return -1;
	}
	service = service_cell(r);
	if (table_keeps(st)) {
		struct row row = { .addr = r->addr, .host = host, .port = r->port, .proto = r->proto,
				   .state = r->state, .reason = r->reason, .service = service,
				   .os = os_cell(r), .os_accuracy = r->os_accuracy,
				   .latency_ms = r->latency_ms, .tls = tls_cell(r) };

		g_array_append_val(st->kept, row);
		st->rows++;
		return 0;
	}
	/* A host row streamed: no port; its latency where a service goes. */
	if (result_is_host_row(r)) {
		char ms[WRITER_REAL_LEN];

		g_free(service);
		service = NULL;
		if (r->state == STATE_UP && r->latency_ms > 0 &&
		    writer_format_real(ms, sizeof ms, r->latency_ms, 2))
			service = g_strdup_printf("%s ms latency", ms);
	}
	if (result_is_host_row(r))
		snprintf(port, sizeof port, "-");
	else
		snprintf(port, sizeof port, "%u/%s", (unsigned)r->port, r->proto == PROTO_UDP ? "udp" : "tcp");
	if (put_cell(fp, host, W_HOST) < 0 || put_cell(fp, port, W_PORT) < 0 ||
	    put_cell(fp, port_state_name(r->state), W_STATE) < 0 ||
	    put_cell(fp, reason_name(r->reason), W_REASON) < 0 ||
	    fputs(service ? service : "", fp) == EOF || fputc('\n', fp) == EOF) {
		rc = writer_failed();
		goto out;
	}
	/* Under its port, indented past the address column. */
	if (r->tls != NULL) {
		char *tls = tls_cell(r);

		if (tls != NULL && fprintf(fp, "%*sTLS: %s\n", W_HOST + GAP, "", tls) < 0) {
			g_free(tls);
			rc = writer_failed();
			goto out;
		}
		g_free(tls);
	}
	st->rows++;
	rc = writer_end_record(fp);
out:
	g_free(host);
	g_free(service);
	return rc;
}

/* A host row --states leaves out: on a terminal a live host still heads
 * its ports with its status, and with -sn (no ports) it makes the list of
 * live hosts, as nmap's "Host is up". A down host only when --states names
 * down; streamed output only what --states names. */
static int table_note(void *state, FILE *fp, const struct result *r)
{
	struct table_state *st = state;

	if (!st->grouped || r->state != STATE_UP || !table_keeps(st))
		return 0;
	return table_write(state, fp, r);
}

static int table_close(void *state, FILE *fp,
		       const struct metrics_snapshot *summary, time_t end)
{
	struct table_state *st = state;
	int rc = 0;

	/* The summary goes to stderr through metrics_print_summary(). */
	if (st->grouped) {
		errno = 0;
		if (print_grouped(st, fp) < 0)
			rc = writer_failed();
		for (guint i = 0; i < st->kept->len; i++)
			row_clear(&g_array_index(st->kept, struct row, i));
		g_array_free(st->kept, TRUE);
	}
	free(st);
	if (rc != 0)
		return rc;
	return writer_end_record(fp);
}

/* No extensions: the table is for terminals and is only chosen by name. */
static const char *const table_extensions[] = { NULL };

const struct writer_ops writer_table = {
	.name = "table",
	.extensions = table_extensions,
	.open = table_open,
	.append = table_open,   /* a terminal has nothing to continue */
	.write = table_write,
	.note = table_note,
	.close = table_close,
	.keeps = table_keeps,
};
