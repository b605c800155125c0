/* test_rowread.c: what `portolan merge` reads, on its own: result rows in
 * CSV, JSON and JSON Lines (rowread.h) and shard manifests (manifest_read.h).
 * Values as the writers put them (a neutralised formula, a null latency,
 * an errno's text), columns in any order, and every way a row or a
 * manifest can be wrong, each one line naming the file and line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "manifest_read.h"
#include "rowread.h"
#include "tls_facts.h"
#include "writer.h"

/* The rows read, as "ip port state reason latency attempts host banner err|". */
struct seen {
	GString *text;
	int stop_after;          /* 0: never */
	int n;
};

static bool collect(void *ud, const struct result *r)
{
	struct seen *s = ud;
	char ip[PL_ADDRSTRLEN];

	pl_addr_format(&r->addr, ip, sizeof ip);
	g_string_append_printf(s->text, "%s %u %s %s %s %u %s %s %d|", ip, r->port,
			       port_state_name(r->state), reason_name(r->reason),
			       isnan(r->latency_ms) ? "nan" : "num", r->attempts,
			       r->host ? r->host : "-", r->banner ? r->banner : "-", r->err);
	s->n++;
	return s->stop_after == 0 || s->n < s->stop_after;
}

/* Reads text in fmt; returns the rows seen (g_free) or NULL with *msg. */
static char *read_text(const char *text, enum row_format fmt, char **msg, int stop_after,
		       struct row_meta *meta)
{
	FILE *fp = fmemopen((void *)text, strlen(text), "r");
	struct seen s = { .text = g_string_new(NULL), .stop_after = stop_after };
	GError *err = NULL;
	int rc;

	assert_non_null(fp);
	rc = rows_read(fp, "in", fmt, collect, &s, meta, &err);
	fclose(fp);
	*msg = NULL;
	if (rc < 0) {
		assert_non_null(err);
		assert_null(strchr(err->message, '\n'));
		*msg = g_strdup(err->message);
		g_error_free(err);
		g_string_free(s.text, TRUE);
		return NULL;
	}
	assert_null(err);
	assert_int_equal(rc, stop_after > 0 && s.n == stop_after ? 1 : 0);
	return g_string_free(s.text, FALSE);
}

#define CSV_HEADER "ip,host,port,proto,state,reason,latency_ms,attempts,ptr,error,service,product,version,info,os_hint,banner\r\n"

static void test_csv_as_written(void **state)
{
	char *msg, *got;

	got = read_text(CSV_HEADER
			"127.0.0.1,,22,tcp,open,syn-ack,0.129,1,,,,,,,,\"'=cmd|' /C calc'!A0, \"\"x\"\"\"\r\n"
			"::1,localhost,80,tcp,closed,conn-refused,,2,,,,,,,,'plain\r\n"
			"10.0.0.1,,443,tcp,error,local-error,1.5,1,,Too many open files,,,,,,\n",
			ROW_CSV, &msg, 0, NULL);
	assert_non_null(got);
	/* The writer's ' before a formula goes; a ' in the text stays. */
	assert_string_equal(got,
			    "127.0.0.1 22 open syn-ack num 1 - =cmd|' /C calc'!A0, \"x\" 0|"
			    "::1 80 closed conn-refused nan 2 localhost 'plain 0|"
			    "10.0.0.1 443 error local-error num 1 - - 24|");
	g_free(got);
}

static void test_csv_columns_any_order(void **state)
{
	char *msg, *got;

	got = read_text("state,port,extra,reason,ip\r\nfiltered,7,whatever,no-response,192.0.2.1\r\n",
			ROW_CSV, &msg, 0, NULL);
	assert_string_equal(got, "192.0.2.1 7 filtered no-response nan 0 - - 0|");
	g_free(got);
	/* A quoted field may hold CR, LF and commas. */
	got = read_text("ip,port,state,reason,banner\n1.2.3.4,1,open,syn-ack,\"a\r\nb,c\"\n",
			ROW_CSV, &msg, 0, NULL);
	assert_string_equal(got, "1.2.3.4 1 open syn-ack nan 0 - a\r\nb,c 0|");
	g_free(got);
}

static void expect_error(const char *text, enum row_format fmt, const char *want)
{
	char *msg = NULL, *got = read_text(text, fmt, &msg, 0, NULL);

	assert_null(got);
	assert_non_null(msg);
	if (strstr(msg, want) == NULL)
		fail_msg("'%s' not in '%s'", want, msg);
	g_free(msg);
}

static void test_csv_errors(void **state)
{
	expect_error("", ROW_CSV, "in:1: no header row");
	expect_error("a,b\r\n", ROW_CSV, "in:1: the header names no \"ip\" column");
	expect_error(CSV_HEADER "1.2.3.4,,x,tcp,open,syn-ack,1,1,,,,,,,,\r\n", ROW_CSV,
		     "in:2: column \"port\": not a whole number");
	expect_error(CSV_HEADER "1.2.3.4,,70000,tcp,open,syn-ack,1,1,,,,,,,,\r\n", ROW_CSV,
		     "in:2: column \"port\": not a port number");
	expect_error(CSV_HEADER "1.2.3.4,,1,sctp,open,syn-ack,1,1,,,,,,,,\r\n", ROW_CSV,
		     "in:2: column \"proto\": not tcp or udp");
	expect_error(CSV_HEADER "1.2.3.4,,1,tcp,opened,syn-ack,1,1,,,,,,,,\r\n", ROW_CSV,
		     "column \"state\": not a port state");
	expect_error(CSV_HEADER "nope,,1,tcp,open,syn-ack,1,1,,,,,,,,\r\n", ROW_CSV,
		     "column \"ip\": not an IP address");
	expect_error(CSV_HEADER "1.2.3.4,,1,tcp,open\r\n", ROW_CSV,
		     "in:2: 5 fields where the header has 16 columns");
	expect_error("ip,port,state\r\n1.2.3.4,1,open\r\n", ROW_CSV, "in:2: result with no \"reason\"");
	expect_error(CSV_HEADER "\r\n1.2.3.4,,1,tcp,open,syn-ack,1,1,,,,,,,,\r\n", ROW_CSV,
		     "in:2: an empty line");
	expect_error(CSV_HEADER "1.2.3.4,,1,tcp,open,syn-ack,1,1,,,,,,,,\"x\r\n\r\n", ROW_CSV,
		     "in:2: quoted field not closed");
	expect_error("ip,port\r\n1.2.3.4,\"1\"x\r\n", ROW_CSV, "in:2: data after a closing quote");
	expect_error("ip,port\r\n1.2.3.4,1\r2\r\n", ROW_CSV, "a CR not followed by LF");
}

static void test_json_document(void **state)
{
	struct row_meta meta = { 0 };
	char *msg, *got;

	got = read_text("{\"portolan\":{\"version\":\"x\",\"format\":1},\n"
			" \"scan\":{\"start\":\"2026-01-02T03:04:05Z\",\"targets\":[\"a\",\"b/30\"],"
			"\"ports\":\"1-9\",\"threads\":4,\"timeout_ms\":500,\"retries\":2,\"states\":\"all\","
			"\"seed\":\"7\",\"shard\":\"1/3\"},\n"
			" \"results\":[\n"
			"  {\"ip\":\"127.0.0.1\",\"host\":\"\",\"port\":1,\"proto\":\"tcp\",\"state\":\"open\","
			"\"reason\":\"syn-ack\",\"latency_ms\":0.5,\"attempts\":1,\"banner\":\"\\u0041\",\"new\":[1]},\n"
			"  {\"ip\":\"127.0.0.2\",\"port\":2,\"state\":\"closed\",\"reason\":\"reset\",\"latency_ms\":null}\n"
			" ],\n \"summary\":null}\n",
			ROW_JSON, &msg, 0, &meta);
	assert_string_equal(got, "127.0.0.1 1 open syn-ack num 1 - A 0|"
				 "127.0.0.2 2 closed reset nan 0 - - 0|");
	assert_true(meta.have);
	assert_string_equal(meta.targets[1], "b/30");
	assert_null(meta.targets[2]);
	assert_string_equal(meta.ports, "1-9");
	assert_string_equal(meta.states, "all");
	assert_int_equal(meta.threads, 4);
	assert_int_equal(meta.timeout_ms, 500);
	assert_int_equal(meta.retries, 2);
	assert_int_equal(meta.start, 1767323045);
	row_meta_clear(&meta);
	g_free(got);
}

/* Every field of r as text, for comparing a row with the result it came from. */
static char *all_fields(const struct result *r)
{
	GString *g = g_string_new(NULL);
	char scratch[4096];   /* joined SANs and dates too */

	for (size_t i = 0; i < result_field_count(); i++) {
		struct field_value v;

		result_field_get(r, i, &v, scratch, sizeof scratch);
		if (v.kind == FIELD_STR)
			g_string_append_printf(g, "%s=%s;", result_field_name(i), v.str);
		else if (v.kind == FIELD_INT)
			g_string_append_printf(g, "%s=%lld;", result_field_name(i), (long long)v.i);
		else if (v.kind == FIELD_NULL)
			g_string_append_printf(g, "%s=null;", result_field_name(i));
	}
	return g_string_free(g, FALSE);
}

static bool keep_fields(void *ud, const struct result *r)
{
	g_ptr_array_add(ud, all_fields(r));
	return true;
}

/* The OS verdict and evidence written by each data writer read back the
 * same, IPv4 (DF) and IPv6 (no DF, no MSS, no window scale) alike, and a
 * row without any stays without any ("os":null, empty columns). */
static void test_os_round_trip(void **state)
{
	const struct writer_ops *ops[] = { &writer_csv, &writer_json, &writer_jsonl };
	struct result r[3] = { { 0 } };
	struct os_evidence ev4 = {
		.ttl = 57, .initial_ttl = 64, .window = 65160, .mss = 1460, .has_mss = true,
		.wscale = 7, .has_wscale = true, .timestamps = true, .df = 1,
		.options = "MSS,SACK,TS,NOP,WS",
	}, ev6 = { .ttl = 120, .initial_ttl = 128, .window = 8192, .df = -1, .options = "NOP,253" };

	for (int i = 0; i < 3; i++) {
		r[i].state = STATE_OPEN;
		r[i].reason = REASON_SYN_ACK;
		r[i].port = (uint16_t)(80 + i);
		r[i].attempts = 1;
	}
	assert_true(pl_addr_parse("192.0.2.1", &r[0].addr));
	r[0].os_ev = &ev4;
	r[0].os_family = (char *)"Linux";
	r[0].os_accuracy = 85;
	r[0].os_reason = (char *)"TTL 64, options MSS,SACK,TS,NOP,WS: Linux family";
	assert_true(pl_addr_parse("2001:db8::1", &r[1].addr));
	r[1].os_ev = &ev6;
	r[1].os_family = (char *)"Windows";
	r[1].os_accuracy = 30;
	r[1].os_reason = (char *)"TTL 128: Windows family, \"quoted\"";
	assert_true(pl_addr_parse("192.0.2.3", &r[2].addr));
	for (size_t f = 0; f < G_N_ELEMENTS(ops); f++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *fp = open_memstream(&buf, &len);
		void *st = ops[f]->open(fp, NULL);
		GPtrArray *got = g_ptr_array_new_with_free_func(g_free);
		GError *err = NULL;
		FILE *in;

		assert_non_null(st);
		for (int i = 0; i < 3; i++)
			assert_int_equal(ops[f]->write(st, fp, &r[i]), 0);
		assert_int_equal(ops[f]->close(st, fp, NULL, 0), 0);
		fclose(fp);
		in = fmemopen(buf, len, "r");
		assert_int_equal(rows_read(in, "in", f == 0 ? ROW_CSV : f == 1 ? ROW_JSON : ROW_JSONL,
					   keep_fields, got, NULL, &err), 0);
		fclose(in);
		assert_int_equal(got->len, 3);
		for (int i = 0; i < 3; i++) {
			char *want = all_fields(&r[i]);

			assert_string_equal(g_ptr_array_index(got, i), want);
			g_free(want);
		}
		g_ptr_array_free(got, TRUE);
		free(buf);
	}
}

/* TLS facts written by each data writer read back the same: every field,
 * a negative days-left, SANs with their separator, the versions accepted
 * (and "not tried" stays null); a row without TLS stays without. */
static void test_tls_round_trip(void **state)
{
	const struct writer_ops *ops[] = { &writer_csv, &writer_json, &writer_jsonl };
	struct result r[3] = { { 0 } };
	struct tls_facts *t = tls_facts_new(), *u = tls_facts_new();

	t->version = g_strdup("TLSv1.3");
	t->cipher = g_strdup("TLS_AES_256_GCM_SHA384");
	t->starttls = g_strdup("smtp");
	t->sni = g_strdup("mx.example.org");
	t->have_cert = true;
	t->subject = g_strdup("CN=mx.example.org,O=Example\\, Inc.");
	t->subject_cn = g_strdup("mx.example.org");
	t->issuer = g_strdup("CN=Test CA");
	t->issuer_cn = g_strdup("Test CA");
	t->sans = g_strsplit("DNS:mx.example.org|DNS:=cmd|IP:192.0.2.1", "|", -1);
	t->not_before = 1767225600;
	t->not_after = 1798761600;
	t->days_left = -12;
	t->self_signed = true;
	t->key_type = g_strdup("ec");
	t->key_bits = 256;
	t->key_curve = g_strdup("prime256v1");
	t->sig_alg = g_strdup("ecdsa-with-SHA256");
	t->sha256 = g_strdup("aa00000000000000000000000000000000000000000000000000000000000001");
	t->sha1 = g_strdup("bb00000000000000000000000000000000000002");
	t->verify = g_strdup("self-signed certificate");
	t->versions_tested = true;
	t->accepted = 1u << TLS_V1_0 | 1u << TLS_V1_3;
	t->version_cipher[TLS_V1_0] = g_strdup("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA");
	t->version_cipher[TLS_V1_3] = g_strdup("TLS_AES_256_GCM_SHA384");
	/* TLS without a certificate, versions not tried. */
	u->version = g_strdup("TLSv1.2");
	u->verify = g_strdup("unable to get local issuer certificate");
	for (int i = 0; i < 3; i++) {
		r[i].state = STATE_OPEN;
		r[i].reason = REASON_SYN_ACK;
		r[i].port = (uint16_t)(443 + i);
		r[i].attempts = 1;
		assert_true(pl_addr_parse("192.0.2.1", &r[i].addr));
	}
	r[0].tls = t;
	r[1].tls = u;
	for (size_t f = 0; f < G_N_ELEMENTS(ops); f++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *fp = open_memstream(&buf, &len);
		void *st = ops[f]->open(fp, NULL);
		GPtrArray *got = g_ptr_array_new_with_free_func(g_free);
		GError *err = NULL;
		FILE *in;

		assert_non_null(st);
		for (int i = 0; i < 3; i++)
			assert_int_equal(ops[f]->write(st, fp, &r[i]), 0);
		assert_int_equal(ops[f]->close(st, fp, NULL, 0), 0);
		fclose(fp);
		in = fmemopen(buf, len, "r");
		assert_int_equal(rows_read(in, "in", f == 0 ? ROW_CSV : f == 1 ? ROW_JSON : ROW_JSONL,
					   keep_fields, got, NULL, &err), 0);
		fclose(in);
		assert_int_equal(got->len, 3);
		for (int i = 0; i < 3; i++) {
			char *want = all_fields(&r[i]);

			assert_string_equal(g_ptr_array_index(got, i), want);
			g_free(want);
		}
		g_ptr_array_free(got, TRUE);
		free(buf);
	}
	/* The facts were really there to compare. */
	{
		char *all = all_fields(&r[0]);

		assert_non_null(strstr(all, "tls_days_left=-12;"));
		assert_non_null(strstr(all, "tls_versions=TLSv1.0 TLSv1.3;"));
		assert_non_null(strstr(all, "tls_not_after=2027-01-01T00:00:00Z;"));
		g_free(all);
		all = all_fields(&r[1]);
		assert_non_null(strstr(all, "tls_subject=null;"));
		assert_non_null(strstr(all, "tls_versions=null;"));
		g_free(all);
	}
	tls_facts_free(t);
	tls_facts_free(u);
}

static void test_tls_errors(void **state)
{
	expect_error("ip,port,state,reason,tls_days_left\n1.2.3.4,1,open,syn-ack,x\n", ROW_CSV,
		     "not a whole number");
	expect_error("ip,port,state,reason,tls_not_after\n1.2.3.4,1,open,syn-ack,2027-01-01\n", ROW_CSV,
		     "not a time");
	expect_error("ip,port,state,reason,tls_not_after\n1.2.3.4,1,open,syn-ack,2027-02-30T00:00:00Z\n",
		     ROW_CSV, "not a time");
	expect_error("ip,port,state,reason,tls_versions\n1.2.3.4,1,open,syn-ack,TLSv1.2 SSLv3\n", ROW_CSV,
		     "not a list of TLS versions");
	expect_error("ip,port,state,reason,tls_self_signed\n1.2.3.4,1,open,syn-ack,2\n", ROW_CSV,
		     "not 0 or 1");
	expect_error("{\"ip\":\"1.2.3.4\",\"port\":1,\"state\":\"open\",\"reason\":\"syn-ack\","
		     "\"tls\":{\"key_bits\":-1}}\n", ROW_JSONL, "not a number of bits");
	expect_error("{\"ip\":\"1.2.3.4\",\"port\":1,\"state\":\"open\",\"reason\":\"syn-ack\","
		     "\"tls\":{\"sha256\":5}}\n", ROW_JSONL, "\"tls_sha256\": not a string");
	expect_error("{\"ip\":\"1.2.3.4\",\"port\":1,\"state\":\"open\",\"reason\":\"syn-ack\","
		     "\"tls\":{\"days_left\":1.5}}\n", ROW_JSONL, "not a whole number");
}

static void test_os_errors(void **state)
{
	expect_error("ip,port,state,reason,os_ttl\n1.2.3.4,1,open,syn-ack,256\n", ROW_CSV,
		     "out of range");
	expect_error("ip,port,state,reason,os_df\n1.2.3.4,1,open,syn-ack,x\n", ROW_CSV,
		     "not a whole number");
	/* Only what the parser writes: a writer would change anything else
	 * (=, bytes it escapes), and it would not read back the same. */
	expect_error("ip,port,state,reason,os_options\n1.2.3.4,1,open,syn-ack,\"=MSS,NOP\"\n", ROW_CSV,
		     "not a TCP option order");
	expect_error("ip,port,state,reason,os_options\n1.2.3.4,1,open,syn-ack,MSS\xc3\xa9\n", ROW_CSV,
		     "not a TCP option order");
	expect_error("{\"ip\":\"1.2.3.4\",\"port\":1,\"state\":\"open\",\"reason\":\"syn-ack\","
		     "\"os\":{\"mss\":-1}}\n", ROW_JSONL, "out of range");
	expect_error("{\"ip\":\"1.2.3.4\",\"port\":1,\"state\":\"open\",\"reason\":\"syn-ack\","
		     "\"os\":{\"wscale\":1.5}}\n", ROW_JSONL, "not a whole number");
}

static void test_json_errors(void **state)
{
	expect_error("[]", ROW_JSON, "in:1:1: expected a JSON object");
	expect_error("{\"portolan\":{\"format\":2},\"results\":[]}", ROW_JSON, "unsupported document format");
	expect_error("{\"scan\":{}}", ROW_JSON, "no \"results\" array");
	expect_error("{\"results\":[{\"ip\":\"1.2.3.4\",\"port\":1,\"state\":\"open\"}]}", ROW_JSON,
		     "in:1:13: result with no \"reason\"");
	expect_error("{\"results\":[{\"ip\":\"1.2.3.4\",\"port\":1.5}]}", ROW_JSON,
		     "\"port\": not a whole number");
	expect_error("{\"results\":[{\"ip\":true}]}", ROW_JSON, "\"ip\": not a string or number");
	expect_error("{\"results\":[]} x", ROW_JSON, "trailing data");
	expect_error("{\"results\":[{\"ip\":\"1.2", ROW_JSON, "in:1:");
}

static void test_json_lines(void **state)
{
	char *msg, *got;

	got = read_text("{\"ip\":\"1.1.1.1\",\"port\":5,\"state\":\"open\",\"reason\":\"syn-ack\"}\n\n"
			"{\"ip\":\"1.1.1.2\",\"port\":6,\"state\":\"filtered\",\"reason\":\"host-unreach\"}\n",
			ROW_JSONL, &msg, 0, NULL);
	assert_string_equal(got, "1.1.1.1 5 open syn-ack nan 0 - - 0|"
				 "1.1.1.2 6 filtered host-unreach nan 0 - - 0|");
	g_free(got);
	expect_error("{\"ip\":\"1.1.1.1\",\"port\":5,\"state\":\"open\",\"reason\":\"syn-ack\"}\n[1]\n",
		     ROW_JSONL, "in:2:1: expected an object for each result");
	/* A callback that says stop stops the read: 1, no error. */
	got = read_text("{\"ip\":\"1.1.1.1\",\"port\":5,\"state\":\"open\",\"reason\":\"syn-ack\"}\n"
			"{\"ip\":\"1.1.1.2\",\"port\":6,\"state\":\"open\",\"reason\":\"syn-ack\"}\n",
			ROW_JSONL, &msg, 1, NULL);
	assert_string_equal(got, "1.1.1.1 5 open syn-ack nan 0 - - 0|");
	g_free(got);
}

/* ---- manifests ---- */

#define SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define GOOD "{\"portolan\":{\"version\":\"0.1.0\",\"manifest\":1}," \
	"\"scan_id\":\"0123456789abcdef0123456789abcdef\",\"shard\":{\"index\":2,\"count\":3}," \
	"\"seed\":\"18446744073709551615\",\"format\":\"csv\",\"complete\":true," \
	"\"output\":{\"name\":\"x.csv\",\"size\":0,\"sha256\":\"" SHA "\"}," \
	"\"summary\":{\"end\":\"2026-01-02T03:04:05Z\",\"elapsed_s\":1.5,\"hosts\":4," \
	"\"total\":10,\"probes\":9,\"open\":1,\"closed\":8,\"filtered\":0,\"error\":0," \
	"\"attempts\":11,\"retries\":2,\"rate\":6.0,\"future\":{}}}"

static char *scratch(const char *text)
{
	char *path = g_build_filename(g_get_tmp_dir(), "test-manifest-XXXXXX", NULL);
	int fd = g_mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_manifest_good(void **state)
{
	char *path = scratch(GOOD), *empty = scratch(""), *why = NULL;
	struct manifest m;
	GError *err = NULL;

	assert_int_equal(manifest_read(path, &m, &err), 0);
	assert_string_equal(m.scan_id, "0123456789abcdef0123456789abcdef");
	assert_int_equal(m.index, 2);
	assert_int_equal(m.count, 3);
	assert_true(m.seed == UINT64_MAX);
	assert_string_equal(m.format, "csv");
	assert_true(m.complete);
	assert_string_equal(m.name, "x.csv");
	assert_int_equal(m.summary.hosts, 4);
	assert_int_equal(m.summary.probes, 9);
	assert_int_equal(m.summary.state[STATE_CLOSED], 8);
	assert_int_equal(m.summary.attempts, 11);
	assert_true(m.summary.elapsed_s == 1.5);
	assert_int_equal(m.end, 1767323045);
	/* SHA is the empty file's. */
	assert_int_equal(manifest_check_output(&m, empty, &why), 0);
	assert_int_equal(manifest_check_output(&m, path, &why), 1);
	assert_non_null(strstr(why, "bytes, its manifest says 0"));
	g_free(why);
	m.size = strlen(GOOD);
	assert_int_equal(manifest_check_output(&m, path, &why), 1);
	assert_string_equal(why, "its SHA-256 differs from its manifest's");
	g_free(why);
	manifest_clear(&m);
	unlink(path);
	unlink(empty);
	g_free(path);
	g_free(empty);
}

static void manifest_error(const char *from, const char *to, const char *want)
{
	GString *text = g_string_new(GOOD);
	struct manifest m;
	GError *err = NULL;
	char *path;

	assert_true(g_string_replace(text, from, to, 1) == 1);
	path = scratch(text->str);
	assert_int_equal(manifest_read(path, &m, &err), -1);
	assert_non_null(err);
	assert_null(strchr(err->message, '\n'));
	if (strstr(err->message, want) == NULL || strstr(err->message, path) == NULL)
		fail_msg("'%s' not in '%s'", want, err->message);
	g_error_free(err);
	unlink(path);
	g_free(path);
	g_string_free(text, TRUE);
}

static void test_manifest_errors(void **state)
{
	manifest_error("\"manifest\":1", "\"manifest\":2", "manifest version 2");
	manifest_error("\"manifest\":1", "\"x\":1", "no \"portolan\":{\"manifest\"}");
	manifest_error("0123456789abcdef0123456789abcdef", "0123456789ABCDEF0123456789abcdef",
		       "\"scan_id\": expected 32 lowercase hex digits");
	manifest_error("\"scan_id\"", "\"scanid\"", "no \"scan_id\"");
	manifest_error("\"index\":2", "\"index\":4", "shard 4/3 is not a shard");
	manifest_error("\"index\":2", "\"index\":0", "shard 0/3 is not a shard");
	manifest_error("\"index\":2", "\"index\":-2", "\"index\": expected a whole number");
	manifest_error("\"complete\":true", "\"complete\":1", "\"complete\": expected true or false");
	manifest_error("\"seed\":\"18446744073709551615\"", "\"seed\":\"18446744073709551616\"",
		       "\"seed\": expected a decimal number");
	manifest_error("\"size\":0", "\"size\":\"0\"", "\"size\": expected a whole number");
	manifest_error("\"sha256\":\"e3", "\"sha256\":\"E3", "\"sha256\": expected 64");
	manifest_error("\"format\":\"csv\",", "", "no \"format\"");
	manifest_error("}}}", "}}} x", "trailing data");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_as_written),
		cmocka_unit_test(test_csv_columns_any_order),
		cmocka_unit_test(test_csv_errors),
		cmocka_unit_test(test_json_document),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_os_round_trip),
		cmocka_unit_test(test_os_errors),
		cmocka_unit_test(test_tls_round_trip),
		cmocka_unit_test(test_tls_errors),
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_manifest_good),
		cmocka_unit_test(test_manifest_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
