/* test_hostrows.c: host rows (host discovery's verdicts: port 0, state up or
 * down) after the results queue.
 *
 * Discovery itself is another module's; these tests feed synthetic host rows
 * to what comes after the queue and check each exactly: the field table
 * (no port, no proto), CSV and JSON Lines rows, the JSON document's "hosts"
 * block (in memory, spilled to runs, and continued on resume), the summary
 * counts, nmap's XML for down and live hosts, the streamed table, the
 * audit's require-up and the baseline's newly-up / newly-down, and the
 * merge's reading back of host rows and hosts blocks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>
#include <libconfig.h>

#include "audit.h"
#include "baseline.h"
#include "findings.h"
#include "jsonread.h"
#include "metrics.h"
#include "rowread.h"
#include "writer.h"
#include "xmlhosts.h"

#define START ((time_t)1795262400)

static const char *const targets[] = { "198.18.0.0/30", NULL };

static const struct scan_meta meta = {
	.version = "0.1.0",
	.start = START,
	.targets = targets,
	.ports = "22,80",
	.threads = 16,
	.timeout_ms = 1000,
	.retries = 1,
	.states = "open",
};

/* Two hosts up, one down, one open port. */
static const struct metrics_snapshot summary = {
	.hosts = 4, .total = 8, .probes = 1, .attempts = 1,
	.state = { [STATE_OPEN] = 1, [STATE_UP] = 2, [STATE_DOWN] = 1 },
	.elapsed_s = 1.5, .rate = 0.7,
};

static struct result port_row(const char *ip, uint16_t port, enum port_state s, enum reason why)
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

static struct result host_row(const char *ip, enum port_state s, enum reason why, double ms)
{
	struct result r = port_row(ip, 0, s, why);

	r.latency_ms = ms;
	return r;
}

struct mem {
	FILE *fp;
	char *buf;
	size_t size;
};

static void mem_open(struct mem *m)
{
	m->buf = NULL;
	m->size = 0;
	m->fp = open_memstream(&m->buf, &m->size);
	assert_non_null(m->fp);
}

static void mem_close(struct mem *m)
{
	assert_int_equal(fclose(m->fp), 0);
	m->fp = NULL;
}

/* Feeds r[i] to w, written when mask names its state, else noted (as the
 * results thread does); returns the output (free). */
static char *run_mask(const struct writer_ops *w, const struct result *r, size_t n,
		      unsigned mask, const struct metrics_snapshot *sum)
{
	struct mem m;
	void *st;

	mem_open(&m);
	st = w->open(m.fp, &meta);
	assert_non_null(st);
	for (size_t i = 0; i < n; i++) {
		if (mask & (1u << r[i].state))
			assert_int_equal(w->write(st, m.fp, &r[i]), 0);
		else if (w->note != NULL)
			assert_int_equal(w->note(st, m.fp, &r[i]), 0);
	}
	assert_int_equal(w->close(st, m.fp, sum, START + 2), 0);
	mem_close(&m);
	return m.buf;
}

/* Whether text is one valid JSON value (jsonread's strict reader). */
static bool json_ok(const char *text)
{
	FILE *fp = fmemopen((void *)text, strlen(text), "r");
	GError *e = NULL;
	struct json_reader *rd;
	bool ok;

	assert_non_null(fp);
	rd = json_reader_new(fp, "doc", &e);
	ok = json_skip_value(rd);
	json_skip_ws(rd);
	ok = ok && json_peek(rd) < 0;
	if (!ok && e != NULL)
		print_message("json: %s\n", e->message);
	json_reader_free(rd);
	g_clear_error(&e);
	fclose(fp);
	return ok;
}

/* ---- the field table ---- */

static void test_fields(void **state)
{
	struct result up = host_row("198.18.0.1", STATE_UP, REASON_ECHO_REPLY, 0.5);
	struct result open = port_row("198.18.0.1", 22, STATE_OPEN, REASON_SYN_ACK);
	struct field_value v;
	char scratch[PL_ADDRSTRLEN];

	assert_true(result_is_host_row(&up));
	assert_false(result_is_host_row(&open));
	for (size_t i = 0; i < result_field_count(); i++) {
		const char *name = result_field_name(i);

		result_field_get(&up, i, &v, scratch, sizeof scratch);
		if (strcmp(name, "port") == 0 || strcmp(name, "proto") == 0)
			assert_int_equal(v.kind, FIELD_NULL);
		else if (strcmp(name, "state") == 0)
			assert_string_equal(v.str, "up");
		else if (strcmp(name, "reason") == 0)
			assert_string_equal(v.str, "echo-reply");
	}
	for (int r = 0; r < REASON_COUNT; r++)
		assert_int_equal(reason_parse(reason_name((enum reason)r)), r);
	assert_int_equal(reason_parse("nonsense"), -1);
	assert_int_equal(reason_parse(NULL), -1);
	assert_int_equal(port_state_parse("down"), STATE_DOWN);
}

/* ---- CSV and JSON Lines ---- */

static const char csv_head[] =
	"ip,host,port,proto,state,reason,latency_ms,attempts,ptr,error,"
	"service,product,version,info,os_hint,banner,os_family,os_accuracy,"
	"os_reason,os_ttl,os_initial_ttl,os_window,os_mss,os_options,os_wscale,"
	"os_df,os_timestamps,tls_version,tls_cipher,tls_starttls,tls_sni,tls_subject,tls_subject_cn,tls_issuer,"
	"tls_issuer_cn,tls_sans,tls_not_before,tls_not_after,tls_days_left,tls_self_signed,"
	"tls_key_type,tls_key_bits,tls_key_curve,tls_sig_alg,tls_sha256,tls_sha1,tls_verify,"
	"tls_versions,tls_cipher_v1_0,tls_cipher_v1_1,tls_cipher_v1_2,tls_cipher_v1_3\r\n";

static void test_csv_rows(void **state)
{
	struct result r[3] = {
		host_row("198.18.0.1", STATE_UP, REASON_ECHO_REPLY, 0.512),
		port_row("198.18.0.1", 22, STATE_OPEN, REASON_SYN_ACK),
		host_row("198.18.0.2", STATE_DOWN, REASON_NO_RESPONSE, 0),
	};
	char *out, *want;

	/* A user-given name that looks like a formula stays neutralised on a
	 * host row too: the empty port column changes nothing about it. */
	r[2].host = "=1+1";
	out = run_mask(&writer_csv, r, 3, 1u << STATE_OPEN | 1u << STATE_UP | 1u << STATE_DOWN,
		       &summary);
	want = g_strconcat(csv_head,
		"198.18.0.1,,,,up,echo-reply,0.512,1,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n"
		"198.18.0.1,,22,tcp,open,syn-ack,0.250,1,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n"
		"198.18.0.2,\"'=1+1\",,,down,no-response,0.000,1,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n", NULL);
	assert_string_equal(out, want);
	g_free(want);
	free(out);

	/* --states open: no host row in CSV. */
	out = run_mask(&writer_csv, r, 3, 1u << STATE_OPEN, &summary);
	want = g_strconcat(csv_head,
		"198.18.0.1,,22,tcp,open,syn-ack,0.250,1,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n", NULL);
	assert_string_equal(out, want);
	g_free(want);
	free(out);
}

static void test_jsonl_rows(void **state)
{
	struct result r[2] = {
		host_row("198.18.0.1", STATE_UP, REASON_SYN_ACK, 1.5),
		host_row("2001:db8::2", STATE_DOWN, REASON_NO_RESPONSE, 0),
	};
	char *out = run_mask(&writer_jsonl, r, 2, 1u << STATE_DOWN, &summary);

	/* Only what --states names: the down host. */
	assert_string_equal(out,
		"{\"ip\":\"2001:db8::2\",\"host\":\"\",\"port\":null,\"proto\":null,"
		"\"state\":\"down\",\"reason\":\"no-response\",\"latency_ms\":0.000,"
		"\"attempts\":1,\"ptr\":\"\",\"error\":\"\",\"service\":\"\",\"product\":\"\","
		"\"version\":\"\",\"info\":\"\",\"os_hint\":\"\",\"banner\":\"\",\"os\":null,\"tls\":null}\n");
	free(out);
}

/* ---- the JSON document ---- */

static const char json_summary_tail[] =
	" \"summary\":{\"end\":\"2026-11-21T12:00:02Z\",\"elapsed_s\":1.500,"
	"\"hosts\":4,\"total\":8,\"probes\":1,\"open\":1,\"closed\":0,"
	"\"filtered\":0,\"error\":0,\"up\":2,\"down\":1,\"attempts\":1,\"retries\":0,"
	"\"rate\":0.7}}\n";

static const char hosts_block[] =
	" \"hosts\":[\n"
	"  {\"ip\":\"198.18.0.1\",\"host\":null,\"state\":\"up\",\"reason\":\"echo-reply\","
	"\"latency_ms\":0.512},\n"
	"  {\"ip\":\"198.18.0.2\",\"host\":\"db.example\",\"state\":\"down\","
	"\"reason\":\"no-response\",\"latency_ms\":0.000},\n"
	"  {\"ip\":\"198.18.0.3\",\"host\":null,\"state\":\"up\",\"reason\":\"reset\","
	"\"latency_ms\":2.000}\n"
	" ],\n";

static void fill_three(struct result r[4])
{
	r[0] = host_row("198.18.0.3", STATE_UP, REASON_RESET, 2.0);
	r[1] = host_row("198.18.0.1", STATE_UP, REASON_ECHO_REPLY, 0.512);
	r[2] = port_row("198.18.0.1", 22, STATE_OPEN, REASON_SYN_ACK);
	r[3] = host_row("198.18.0.2", STATE_DOWN, REASON_NO_RESPONSE, 0);
	r[3].host = "db.example";
}

static void test_json_hosts_block(void **state)
{
	struct result r[4];
	char *out, *want;

	fill_three(r);
	/* --states open: the host rows are only noted, and still listed. */
	out = run_mask(&writer_json, r, 4, 1u << STATE_OPEN, &summary);
	assert_true(json_ok(out));
	want = g_strconcat("\"latency_ms\":0.250,\"attempts\":1,\"ptr\":\"\",\"error\":\"\","
			   "\"service\":\"\",\"product\":\"\",\"version\":\"\",\"info\":\"\","
			   "\"os_hint\":\"\",\"banner\":\"\",\"os\":null,\"tls\":null}\n ],\n", hosts_block,
			   json_summary_tail, NULL);
	assert_true(g_str_has_suffix(out, want));
	g_free(want);
	free(out);

	/* --states up,down and no port row: the hosts are rows too, and the
	 * block lists them all the same. */
	r[2] = r[3];
	out = run_mask(&writer_json, r, 3, 1u << STATE_UP | 1u << STATE_DOWN, &summary);
	assert_true(json_ok(out));
	assert_non_null(strstr(out, "\"results\":[\n  {\"ip\":\"198.18.0.3\",\"host\":\"\","
			       "\"port\":null,\"proto\":null,\"state\":\"up\",\"reason\":\"reset\""));
	want = g_strconcat("\"os\":null,\"tls\":null}\n ],\n", hosts_block, json_summary_tail, NULL);
	assert_true(g_str_has_suffix(out, want));
	g_free(want);
	free(out);

	/* Host rows but no results at all: the empty array stays on one line. */
	out = run_mask(&writer_json, r, 3, 1u << STATE_OPEN, &summary);
	assert_true(json_ok(out));
	want = g_strconcat("\"results\":[],\n", hosts_block, json_summary_tail, NULL);
	assert_true(g_str_has_suffix(out, want));
	g_free(want);
	free(out);

	/* No host rows (no discovery): no block, and no up or down counts. */
	{
		struct metrics_snapshot plain = summary;

		plain.state[STATE_UP] = plain.state[STATE_DOWN] = 0;
		out = run_mask(&writer_json, &r[1], 0, 1u << STATE_OPEN, &plain);
		assert_true(json_ok(out));
		assert_null(strstr(out, "\"hosts\":["));
		assert_null(strstr(out, "\"up\":"));
		assert_non_null(strstr(out, "\"results\":[],\n \"summary\":{"));
		free(out);
	}
}

/* Many hosts in a small buffer: spilled to runs, still each once, sorted. */
static void test_json_hosts_spilled(void **state)
{
	struct result r[40];
	char *out, *p;
	unsigned seen = 0;

	xml_hosts_test_limits(3, 4);
	for (int i = 0; i < 40; i++) {
		char ip[32];

		/* Descending, so the order out is the sort's doing. */
		snprintf(ip, sizeof ip, "198.18.1.%d", 40 - i);
		r[i] = host_row(ip, i % 3 == 0 ? STATE_UP : STATE_DOWN,
				i % 3 == 0 ? REASON_ARP_RESPONSE : REASON_NO_RESPONSE, 0.125);
	}
	out = run_mask(&writer_json, r, 40, 1u << STATE_OPEN, &summary);
	xml_hosts_test_limits(0, 0);
	assert_true(json_ok(out));
	p = strstr(out, "\"hosts\":[");
	assert_non_null(p);
	for (int i = 1; i <= 40; i++) {
		char want[64];
		char *at;

		snprintf(want, sizeof want, "{\"ip\":\"198.18.1.%d\",", i);
		at = strstr(p, want);
		assert_non_null(at);
		assert_true(at > p);
		p = at;
		seen++;
	}
	assert_int_equal(seen, 40);
	assert_non_null(strstr(out, "{\"ip\":\"198.18.1.40\",\"host\":null,\"state\":\"up\","
			       "\"reason\":\"arp-response\",\"latency_ms\":0.125}"));
	free(out);
}

/* A document closed with a hosts block, continued (a resumed scan): the
 * block is read back, its hosts written again with the new ones, the
 * results array continued where it ended. */
static void test_json_append_hosts(void **state)
{
	char path[] = "/tmp/portolan-hostrows-XXXXXX";
	int fd = mkstemp(path);
	struct result r[4], more[2];
	FILE *fp;
	void *st;
	gchar *text;
	gsize len;

	assert_true(fd >= 0);
	fill_three(r);
	fp = fdopen(fd, "w+");
	assert_non_null(fp);
	st = writer_json.open(fp, &meta);
	assert_non_null(st);
	assert_int_equal(writer_json.note(st, fp, &r[0]), 0);
	assert_int_equal(writer_json.note(st, fp, &r[1]), 0);
	assert_int_equal(writer_json.write(st, fp, &r[2]), 0);
	assert_int_equal(writer_json.close(st, fp, &summary, START + 2), 0);
	assert_int_equal(fclose(fp), 0);

	fp = fopen(path, "r+");
	assert_non_null(fp);
	st = writer_json.append(fp, &meta);
	assert_non_null(st);
	more[0] = r[3];
	more[1] = port_row("198.18.0.3", 80, STATE_OPEN, REASON_SYN_ACK);
	assert_int_equal(writer_json.note(st, fp, &more[0]), 0);
	assert_int_equal(writer_json.write(st, fp, &more[1]), 0);
	assert_int_equal(writer_json.close(st, fp, &summary, START + 2), 0);
	assert_int_equal(fclose(fp), 0);

	assert_true(g_file_get_contents(path, &text, &len, NULL));
	assert_true(json_ok(text));
	assert_non_null(strstr(text, "\"results\":[\n  {\"ip\":\"198.18.0.1\",\"host\":\"\","
			       "\"port\":22,"));
	assert_non_null(strstr(text, "\"os\":null,\"tls\":null},\n  {\"ip\":\"198.18.0.3\",\"host\":\"\","
			       "\"port\":80,"));
	assert_non_null(strstr(text, hosts_block));
	assert_int_equal(strstr(text, "\"hosts\":[") == g_strrstr(text, "\"hosts\":["), 1);

	/* Continued again, with nothing new: the same block. */
	fp = fopen(path, "r+");
	assert_non_null(fp);
	st = writer_json.append(fp, &meta);
	assert_non_null(st);
	assert_int_equal(writer_json.close(st, fp, &summary, START + 2), 0);
	assert_int_equal(fclose(fp), 0);
	g_free(text);
	assert_true(g_file_get_contents(path, &text, &len, NULL));
	assert_true(json_ok(text));
	assert_non_null(strstr(text, hosts_block));
	g_free(text);

	/* A block this writer did not write is refused, not misread. */
	assert_true(g_file_set_contents(path,
		"{\"portolan\":{\"version\":\"0.1.0\",\"format\":1},\n \"results\":[],\n"
		" \"hosts\":[\n  {\"ip\":\"nope\",\"state\":\"up\"}\n ],\n \"summary\":null}\n",
		-1, NULL));
	fp = fopen(path, "r+");
	assert_non_null(fp);
	errno = 0;
	assert_null(writer_json.append(fp, &meta));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(fclose(fp), 0);
	unlink(path);
}

/* ---- metrics ---- */

static void test_metrics(void **state)
{
	struct metrics m;
	struct metrics_snapshot s;
	struct result up = host_row("198.18.0.1", STATE_UP, REASON_ECHO_REPLY, 0.5);
	struct result down = host_row("198.18.0.2", STATE_DOWN, REASON_NO_RESPONSE, 0);
	struct result open = port_row("198.18.0.1", 22, STATE_OPEN, REASON_SYN_ACK);
	char *buf = NULL;
	size_t size = 0;
	FILE *fp;

	metrics_init(&m);
	metrics_count_result(&m, &up);
	metrics_count_result(&m, &down);
	metrics_count_result(&m, &down);
	metrics_count_result(&m, &open);
	metrics_snapshot(&m, 256, 512, 2.0, &s);
	/* Host rows are not probes. */
	assert_int_equal(s.probes, 1);
	assert_int_equal(s.state[STATE_UP], 1);
	assert_int_equal(s.state[STATE_DOWN], 2);
	assert_true(metrics_discovered(&s));

	s.state[STATE_UP] = 8;
	s.state[STATE_DOWN] = 248;
	fp = open_memstream(&buf, &size);
	assert_non_null(fp);
	metrics_print_summary(&s, fp);
	assert_int_equal(fclose(fp), 0);
	assert_string_equal(buf, "portolan: 256 hosts (8 up, 248 down), 1 probe in 2.00 s "
			    "(0/s): 1 open, 0 closed, 0 filtered, 0 error; 0 attempts, 0 retries\n");
	free(buf);

	/* Without discovery: as before. */
	s.state[STATE_UP] = s.state[STATE_DOWN] = 0;
	assert_false(metrics_discovered(&s));
	buf = NULL;
	fp = open_memstream(&buf, &size);
	metrics_print_summary(&s, fp);
	assert_int_equal(fclose(fp), 0);
	assert_true(g_str_has_prefix(buf, "portolan: 256 hosts, 1 probe in"));
	free(buf);
}

/* ---- XML ---- */

static void test_xml_hosts(void **state)
{
	struct result r[5];
	char *out;

	fill_three(r);
	r[4] = port_row("198.18.0.3", 80, STATE_CLOSED, REASON_CONN_REFUSED);
	/* --states open: host rows and the closed port noted. */
	out = run_mask(&writer_xml, r, 5, 1u << STATE_OPEN, &summary);
	/* Up by its echo reply (not by the open port's syn-ack). */
	assert_non_null(strstr(out, "<status state=\"up\" reason=\"echo-reply\" reason_ttl=\"0\"/>\n"
			       "<address addr=\"198.18.0.1\" addrtype=\"ipv4\"/>\n<hostnames>\n"
			       "</hostnames>\n<ports><port protocol=\"tcp\" portid=\"22\">"));
	/* Down, as nmap -v writes it: status, address, names, nothing else. */
	assert_non_null(strstr(out, "<status state=\"down\" reason=\"no-response\" reason_ttl=\"0\"/>\n"
			       "<address addr=\"198.18.0.2\" addrtype=\"ipv4\"/>\n<hostnames>\n"
			       "<hostname name=\"db.example\" type=\"user\"/>\n</hostnames>\n"
			       "</host>\n"));
	/* Up with no port to show: no <ports>, its discovery RTT in <times>. */
	assert_non_null(strstr(out, "<status state=\"up\" reason=\"reset\" reason_ttl=\"0\"/>\n"
			       "<address addr=\"198.18.0.3\" addrtype=\"ipv4\"/>\n<hostnames>\n"
			       "</hostnames>\n<times srtt=\""));
	assert_null(strstr(strstr(out, "addr=\"198.18.0.3\""), "<ports>"));
	assert_non_null(strstr(out, "<hosts up=\"2\" down=\"2\" total=\"4\"/>"));
	free(out);

	/* -sn: only host rows. Every host appears, in address order. */
	out = run_mask(&writer_xml, (struct result[]){
		host_row("198.18.0.2", STATE_DOWN, REASON_NO_RESPONSE, 0),
		host_row("198.18.0.1", STATE_UP, REASON_ARP_RESPONSE, 0.5) }, 2,
		1u << STATE_UP, &summary);
	assert_null(strstr(out, "<ports>"));
	/* The discovery RTT alone: 0.5 ms, rttvar half of it (RFC 6298). */
	assert_non_null(strstr(out, "<times srtt=\"500\" rttvar=\"250\" to=\"1000000\"/>"));
	assert_non_null(strstr(out, "reason=\"arp-response\""));
	assert_true(strstr(out, "addr=\"198.18.0.1\"") < strstr(out, "addr=\"198.18.0.2\""));
	assert_non_null(strstr(out, "<hosts up=\"1\" down=\"3\" total=\"4\"/>"));
	free(out);
}

/* ---- the table, streamed ---- */

static void test_table_stream(void **state)
{
	struct result r[3] = {
		host_row("198.18.0.1", STATE_UP, REASON_ECHO_REPLY, 0.512),
		port_row("198.18.0.1", 22, STATE_OPEN, REASON_SYN_ACK),
		host_row("198.18.0.2", STATE_DOWN, REASON_NO_RESPONSE, 0),
	};
	char *out = run_mask(&writer_table, r, 3,
			     1u << STATE_OPEN | 1u << STATE_UP | 1u << STATE_DOWN, &summary);
	gchar **lines = g_strsplit(out, "\n", -1);
	char want[256];

	snprintf(want, sizeof want, "%-39s  %-9s  %-8s  %-16s  %s", "198.18.0.1", "-", "up",
		 "echo-reply", "0.51 ms latency");
	assert_string_equal(lines[1], want);
	snprintf(want, sizeof want, "%-39s  %-9s  %-8s  %-16s  %s", "198.18.0.1", "22/tcp", "open",
		 "syn-ack", "");
	assert_string_equal(lines[2], want);
	snprintf(want, sizeof want, "%-39s  %-9s  %-8s  %-16s  %s", "198.18.0.2", "-", "down",
		 "no-response", "");
	assert_string_equal(lines[3], want);
	assert_string_equal(lines[4], "");
	g_strfreev(lines);
	free(out);

	/* Streamed, a host row --states leaves out is not shown. */
	out = run_mask(&writer_table, r, 3, 1u << STATE_OPEN, &summary);
	assert_int_equal(strstr(out, " up ") == NULL && strstr(out, " down ") == NULL, 1);
	free(out);
}

/* POSIX (XSI) terminal calls that _POSIX_C_SOURCE alone hides; unit.h is
 * included first, so _XOPEN_SOURCE cannot be set here. */
int posix_openpt(int flags);
int grantpt(int fd);
int unlockpt(int fd);
char *ptsname(int fd);

/* On a terminal (a pty): a host's status heads its ports; a live host
 * with no ports (-sn) is listed on its own line, noted or written; a down
 * host only when written (--states names down). */
static void test_table_grouped(void **state)
{
	struct result r[5] = {
		port_row("198.18.0.1", 22, STATE_OPEN, REASON_SYN_ACK),
		host_row("198.18.0.1", STATE_UP, REASON_ECHO_REPLY, 0.512),
		host_row("198.18.0.3", STATE_UP, REASON_RESET, 2),
		host_row("198.18.0.2", STATE_DOWN, REASON_NO_RESPONSE, 0),
		host_row("198.18.0.4", STATE_DOWN, REASON_NO_RESPONSE, 0),
	};
	char buf[8192], *name;
	size_t got = 0;
	ssize_t n;
	int master, slave;
	FILE *fp;
	void *st;

	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0)
		skip();
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	name = ptsname(master);
	assert_non_null(name);
	slave = open(name, O_RDWR | O_NOCTTY);
	assert_true(slave >= 0);
	fp = fdopen(slave, "w");
	assert_non_null(fp);
	setenv("NO_COLOR", "1", 1);
	st = writer_table.open(fp, &meta);
	assert_non_null(st);
	/* --states open,down: host .1 and .3 up are noted, .2 down written. */
	assert_int_equal(writer_table.write(st, fp, &r[0]), 0);
	assert_int_equal(writer_table.note(st, fp, &r[1]), 0);
	assert_int_equal(writer_table.note(st, fp, &r[2]), 0);
	assert_int_equal(writer_table.write(st, fp, &r[3]), 0);
	/* A down host --states leaves out: not listed. */
	assert_int_equal(writer_table.note(st, fp, &r[4]), 0);
	assert_int_equal(writer_table.close(st, fp, &summary, START + 2), 0);
	fclose(fp);
	while (got < sizeof buf - 1 && (n = read(master, buf + got, sizeof buf - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(master);
	assert_string_equal(buf,
		"198.18.0.1  up (echo-reply, 0.51 ms)\r\n"
		"  PORT    STATE  REASON   SERVICE\r\n"
		"  22/tcp  open   syn-ack  \r\n"
		"\r\n"
		"198.18.0.2  down (no-response)\r\n"
		"\r\n"
		"198.18.0.3  up (reset, 2.00 ms)\r\n");
}

/* ---- audit and baseline ---- */

static struct audit_policy *parse_policy(const char *text, GError **err)
{
	config_t cfg;
	struct audit_policy *p;

	config_init(&cfg);
	assert_int_equal(config_read_string(&cfg, text), CONFIG_TRUE);
	p = audit_policy_parse(config_lookup(&cfg, "policy"), "p.cfg", err);
	config_destroy(&cfg);
	return p;
}

static void collect(void *ud, const struct finding *f)
{
	GString *out = ud;
	char ip[PL_ADDRSTRLEN];

	pl_addr_format(f->addr, ip, sizeof ip);
	g_string_append_printf(out, "%s%s %s %u %s %s %s", out->len ? "\n" : "",
			       finding_kind_name(f->kind), ip, f->port, f->expected, f->found,
			       f->group ? f->group : "-");
}

static char *check(const struct audit_policy *p, const struct baseline *b,
		   const struct result *r)
{
	GString *out = g_string_new(NULL);

	audit_check(p, b, false, r, collect, out);
	return g_string_free(out, FALSE);
}

static void test_audit_require_up(void **state)
{
	GError *err = NULL;
	struct audit_policy *p = parse_policy(
		"policy = ( { name = \"core\"; targets = [ \"198.18.0.0/30\" ]; require-up = true;"
		"             require = \"22\"; },"
		"           { name = \"lab\"; targets = [ \"198.18.1.0/24\" ]; allow = \"22\"; },"
		"           { name = \"req\"; targets = [ \"198.18.2.0/24\" ]; require = \"443\"; } );", &err);
	struct result down = host_row("198.18.0.2", STATE_DOWN, REASON_NO_RESPONSE, 0);
	struct result up = host_row("198.18.0.1", STATE_UP, REASON_ECHO_REPLY, 0.5);
	struct result lab = host_row("198.18.1.7", STATE_DOWN, REASON_NO_RESPONSE, 0);
	struct result req = host_row("198.18.2.9", STATE_DOWN, REASON_NO_RESPONSE, 0);
	char *got;

	assert_null(err);
	assert_non_null(p);
	got = check(p, NULL, &down);
	/* One host-down, not a required-not-open per required port. */
	assert_string_equal(got, "host-down 198.18.0.2 0 up down (no-response) core");
	g_free(got);
	got = check(p, NULL, &up);
	assert_string_equal(got, "");
	g_free(got);
	got = check(p, NULL, &lab);
	assert_string_equal(got, "");
	g_free(got);
	/* Ports required open imply the host required up. */
	got = check(p, NULL, &req);
	assert_string_equal(got, "host-down 198.18.2.9 0 up down (no-response) req");
	g_free(got);
	audit_policy_free(p);

	p = parse_policy("policy = ( { name = \"x\"; targets = \"198.18.0.1\"; require-up = 1; } );",
			 &err);
	assert_null(p);
	assert_string_equal(err->message,
			    "p.cfg:1: policy group 'x': 'require-up': expected true or false");
	g_clear_error(&err);

	assert_string_equal(finding_kind_name(FINDING_HOST_DOWN), "host-down");
	assert_string_equal(finding_kind_name(FINDING_NEWLY_UP), "newly-up");
	assert_string_equal(finding_kind_name(FINDING_NEWLY_DOWN), "newly-down");
	assert_true(finding_is_host(FINDING_HOST_DOWN));
	assert_false(finding_is_host(FINDING_TARGET_NOT_SCANNED));
}

static void test_findings_file(void **state)
{
	char *dir = g_dir_make_tmp("portolan-hostrows-XXXXXX", NULL);
	char *path;
	GError *err = NULL;
	struct findings *f;
	struct pl_addr a;
	struct finding fd_down = { .kind = FINDING_HOST_DOWN, .addr = &a, .host = "db",
				   .expected = "up", .found = "down (no-response)", .group = "core" };
	gchar *text;

	assert_non_null(dir);
	path = g_build_filename(dir, "f.csv", NULL);
	assert_true(pl_addr_parse("198.18.0.2", &a));
	f = findings_new(path, &err);
	assert_non_null(f);
	assert_int_equal(findings_open(f, &err), 0);
	assert_int_equal(findings_add(f, &fd_down, &err), 0);
	assert_int_equal(findings_close(f, &err), 0);
	assert_int_equal(findings_count(f, FINDING_HOST_DOWN), 1);
	findings_free(f);
	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	assert_string_equal(text, "kind,ip,host,port,proto,expected,found,group\r\n"
			    "host-down,198.18.0.2,db,,,up,down (no-response),core\r\n");
	g_free(text);
	unlink(path);
	rmdir(dir);
	g_free(path);
	g_free(dir);
}

static void test_baseline_hosts(void **state)
{
	char path[] = "/tmp/portolan-hostrows-XXXXXX";
	int fd = mkstemp(path);
	GError *err = NULL;
	struct baseline *b;
	struct result now_down = host_row("198.18.0.1", STATE_DOWN, REASON_NO_RESPONSE, 0);
	struct result now_up = host_row("198.18.0.2", STATE_UP, REASON_SYN_ACK, 1);
	struct result same = host_row("198.18.0.3", STATE_UP, REASON_ECHO_REPLY, 1);
	struct result open_then = host_row("198.18.0.9", STATE_DOWN, REASON_NO_RESPONSE, 0);
	struct result unknown = host_row("198.18.5.5", STATE_DOWN, REASON_NO_RESPONSE, 0);
	char *got;

	assert_true(fd >= 0);
	close(fd);
	/* Host rows in the results (port null) and in the hosts block; an
	 * open port on .9 makes it up. */
	assert_true(g_file_set_contents(path,
		"{\"portolan\":{\"version\":\"0.1.0\",\"format\":1},\n"
		" \"scan\":{\"ports\":\"22\",\"states\":\"open,up\"},\n"
		" \"results\":[\n"
		"  {\"ip\":\"198.18.0.1\",\"port\":null,\"proto\":null,\"state\":\"up\","
		"\"reason\":\"echo-reply\"},\n"
		"  {\"ip\":\"198.18.0.9\",\"port\":22,\"proto\":\"tcp\",\"state\":\"open\"}\n"
		" ],\n"
		" \"hosts\":[\n"
		"  {\"ip\":\"198.18.0.1\",\"host\":null,\"state\":\"up\",\"reason\":\"echo-reply\","
		"\"latency_ms\":0.5},\n"
		"  {\"ip\":\"198.18.0.2\",\"host\":null,\"state\":\"down\",\"reason\":\"no-response\","
		"\"latency_ms\":0.000},\n"
		"  {\"ip\":\"198.18.0.3\",\"host\":null,\"state\":\"up\",\"reason\":\"echo-reply\","
		"\"latency_ms\":null}\n"
		" ],\n \"summary\":null}\n", -1, NULL));
	b = baseline_load(path, &err);
	if (err != NULL)
		fail_msg("%s", err->message);
	assert_non_null(b);
	assert_int_equal(baseline_open_count(b), 1);

	got = check(NULL, b, &now_down);
	assert_string_equal(got, "newly-down 198.18.0.1 0 up down (no-response) -");
	g_free(got);
	got = check(NULL, b, &now_up);
	assert_string_equal(got, "newly-up 198.18.0.2 0 down up (syn-ack) -");
	g_free(got);
	got = check(NULL, b, &same);
	assert_string_equal(got, "");
	g_free(got);
	got = check(NULL, b, &open_then);
	assert_string_equal(got, "newly-down 198.18.0.9 0 up down (no-response) -");
	g_free(got);
	got = check(NULL, b, &unknown);
	assert_string_equal(got, "");
	g_free(got);
	baseline_free(b);

	/* A port row without a port is still refused. */
	assert_true(g_file_set_contents(path,
		"{\"results\":[{\"ip\":\"198.18.0.1\",\"port\":null,\"state\":\"open\"}]}", -1, NULL));
	assert_null(baseline_load(path, &err));
	assert_non_null(strstr(err->message, "result without \"port\""));
	g_clear_error(&err);
	unlink(path);
}

/* ---- reading back (merge) ---- */

static bool gather(void *ud, const struct result *r)
{
	GString *out = ud;
	char ip[PL_ADDRSTRLEN];

	pl_addr_format(&r->addr, ip, sizeof ip);
	g_string_append_printf(out, "%s%s %s %u %s %s", out->len ? "\n" : "", ip,
			       r->host != NULL ? r->host : "-", r->port, port_state_name(r->state),
			       reason_name(r->reason));
	return true;
}

static char *read_back(const char *text, enum row_format fmt, bool hosts)
{
	FILE *fp = fmemopen((void *)text, strlen(text), "r");
	GString *out = g_string_new(NULL);
	GError *err = NULL;
	int rc;

	assert_non_null(fp);
	rc = hosts ? rows_read_hosts(fp, "t", gather, out, &err)
		   : rows_read(fp, "t", fmt, gather, out, NULL, &err);
	if (rc != 0)
		fail_msg("%s", err != NULL ? err->message : "stopped");
	fclose(fp);
	return g_string_free(out, FALSE);
}

static void test_rows_read_back(void **state)
{
	struct result r[4];
	char *doc, *got;

	fill_three(r);
	/* What the writers write, read back: CSV and JSON Lines. */
	doc = run_mask(&writer_csv, r, 4, 1u << STATE_OPEN | 1u << STATE_UP | 1u << STATE_DOWN,
		       &summary);
	got = read_back(doc, ROW_CSV, false);
	assert_string_equal(got, "198.18.0.3 - 0 up reset\n198.18.0.1 - 0 up echo-reply\n"
			    "198.18.0.1 - 22 open syn-ack\n198.18.0.2 db.example 0 down no-response");
	g_free(got);
	free(doc);
	doc = run_mask(&writer_jsonl, r, 4, 1u << STATE_DOWN, &summary);
	got = read_back(doc, ROW_JSONL, false);
	assert_string_equal(got, "198.18.0.2 db.example 0 down no-response");
	g_free(got);
	free(doc);

	/* The JSON document: its rows, and apart, its hosts block. */
	doc = run_mask(&writer_json, r, 4, 1u << STATE_OPEN, &summary);
	got = read_back(doc, ROW_JSON, false);
	assert_string_equal(got, "198.18.0.1 - 22 open syn-ack");
	g_free(got);
	got = read_back(doc, ROW_JSON, true);
	assert_string_equal(got, "198.18.0.1 - 0 up echo-reply\n"
			    "198.18.0.2 db.example 0 down no-response\n198.18.0.3 - 0 up reset");
	g_free(got);
	free(doc);

	/* A port row must still have its port. */
	{
		const char *bad = "ip,port,state,reason\r\n198.18.0.1,,open,syn-ack\r\n";
		FILE *fp = fmemopen((void *)bad, strlen(bad), "r");
		GError *err = NULL;
		GString *sink = g_string_new(NULL);

		assert_int_equal(rows_read(fp, "t.csv", ROW_CSV, gather, sink, NULL, &err), -1);
		assert_non_null(strstr(err->message, "no \"port\""));
		g_clear_error(&err);
		g_string_free(sink, TRUE);
		fclose(fp);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_csv_rows),
		cmocka_unit_test(test_jsonl_rows),
		cmocka_unit_test(test_json_hosts_block),
		cmocka_unit_test(test_json_hosts_spilled),
		cmocka_unit_test(test_json_append_hosts),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_xml_hosts),
		cmocka_unit_test(test_table_stream),
		cmocka_unit_test(test_table_grouped),
		cmocka_unit_test(test_audit_require_up),
		cmocka_unit_test(test_findings_file),
		cmocka_unit_test(test_baseline_hosts),
		cmocka_unit_test(test_rows_read_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
