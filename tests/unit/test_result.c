/* test_result.c: state and reason names, the field table (a public contract:
 * names and order are the CSV header and JSON keys), result ownership, and
 * the metrics counters and summary line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <glib.h>

#include "metrics.h"
#include "result.h"
#include "tls_facts.h"

static void test_state_names(void **state)
{
	assert_string_equal(port_state_name(STATE_OPEN), "open");
	assert_string_equal(port_state_name(STATE_CLOSED), "closed");
	assert_string_equal(port_state_name(STATE_FILTERED), "filtered");
	assert_string_equal(port_state_name(STATE_ERROR), "error");
	assert_string_equal(port_state_name(STATE_COUNT), "unknown");
	assert_string_equal(port_state_name((enum port_state)-1), "unknown");
}

static void test_state_parse(void **state)
{
	for (int i = 0; i < STATE_COUNT; i++)
		assert_int_equal(port_state_parse(port_state_name(i)), i);
	assert_int_equal(port_state_parse("open"), STATE_OPEN);
	assert_int_equal(port_state_parse("filtered"), STATE_FILTERED);
	assert_int_equal(port_state_parse(""), -1);
	assert_int_equal(port_state_parse("opened"), -1);
	assert_int_equal(port_state_parse("unknown"), -1);
	assert_int_equal(port_state_parse(NULL), -1);
}

static void test_reason_names(void **state)
{
	static const char *const want[REASON_COUNT] = {
		"syn-ack", "conn-refused", "no-response", "host-unreach",
		"net-unreach", "admin-prohibited", "reset", "local-error", "proto-unreach",
		"echo-reply", "timestamp-reply", "arp-response", "nd-response", "user-set",
		"udp-response", "port-unreach",
	};

	for (int i = 0; i < REASON_COUNT; i++)
		assert_string_equal(reason_name(i), want[i]);
	assert_string_equal(reason_name(REASON_COUNT), "unknown");
}

static void test_field_names(void **state)
{
	static const char *const want[] = {
		"ip", "host", "port", "proto", "state", "reason", "latency_ms",
		"attempts", "ptr", "error", "service", "product", "version", "info",
		"os_hint", "banner",
		"os_family", "os_accuracy", "os_reason", "os_ttl", "os_initial_ttl", "os_window",
		"os_mss", "os_options", "os_wscale", "os_df", "os_timestamps",
		"tls_version", "tls_cipher", "tls_starttls", "tls_sni", "tls_subject",
		"tls_subject_cn", "tls_issuer", "tls_issuer_cn", "tls_sans", "tls_not_before",
		"tls_not_after", "tls_days_left", "tls_self_signed", "tls_key_type",
		"tls_key_bits", "tls_key_curve", "tls_sig_alg", "tls_sha256", "tls_sha1",
		"tls_verify", "tls_versions", "tls_cipher_v1_0", "tls_cipher_v1_1",
		"tls_cipher_v1_2", "tls_cipher_v1_3",
	};

	assert_int_equal(result_field_count(), sizeof want / sizeof want[0]);
	for (size_t i = 0; i < result_field_count(); i++)
		assert_string_equal(result_field_name(i), want[i]);
	assert_null(result_field_name(result_field_count()));
}

static void test_result_new_free(void **state)
{
	struct result *r = result_new();

	assert_non_null(r);
	assert_null(r->host);
	assert_null(r->ptr);
	assert_int_equal(r->attempts, 0);
	/* result_free owns ptr: the leak checker sees it freed. */
	r->ptr = g_strdup("host.example");
	result_free(r);
	result_free(NULL);
}

/* Field i of r as a string (ints and reals formatted), for comparisons. */
static void field_text(const struct result *r, size_t i, char *out, size_t len)
{
	char scratch[RESULT_SCRATCH_LEN];
	struct field_value v;

	result_field_get(r, i, &v, scratch, sizeof scratch);
	switch (v.kind) {
	case FIELD_STR:
		assert_non_null(v.str);
		assert_int_equal(v.len, strlen(v.str));
		snprintf(out, len, "%s", v.str);
		break;
	case FIELD_INT:
		snprintf(out, len, "i:%lld", (long long)v.i);
		break;
	case FIELD_REAL:
		snprintf(out, len, "d:%.3f", v.d);
		break;
	case FIELD_NULL:
		snprintf(out, len, "null");
		break;
	}
}

static void test_field_values(void **state)
{
	static const char *const want[] = {
		"192.0.2.7", "www.example", "i:443", "tcp", "open", "syn-ack",
		"d:1.234", "i:2", "ptr.example", "", "https", "nginx", "1.22.1",
		"info text", "Linux", "HTTP/1.1 200 OK\\r\\n",
		"Linux", "i:85", "TTL 64, options MSS,SACK,TS,NOP,WS: Linux family",
		"i:63", "i:64", "i:65160", "i:1460", "MSS,SACK,TS,NOP,WS", "i:7", "i:1", "i:1",
		"TLSv1.3", "TLS_AES_256_GCM_SHA384", "null", "www.example",
		"CN=www.example,O=Example", "www.example", "CN=Example CA", "Example CA",
		"DNS:www.example, DNS:example, IP:192.0.2.7",
		"2026-01-01T00:00:00Z", "2027-01-31T12:30:05Z", "i:-3", "i:0",
		"ec", "i:256", "prime256v1", "ecdsa-with-SHA256",
		"5e8f", "a1b2", "ok", "TLSv1.2 TLSv1.3",
		"null", "null", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
	};
	struct result *r = result_new();
	char buf[256];

	assert_non_null(r);
	r->addr.family = AF_INET;
	r->addr.v.lo = 0xC0000207;   /* 192.0.2.7 */
	r->host = "www.example";
	r->port = 443;
	r->state = STATE_OPEN;
	r->reason = REASON_SYN_ACK;
	r->latency_ms = 1.234;
	r->attempts = 2;
	r->ptr = g_strdup("ptr.example");
	r->service = g_strdup("https");
	r->product = g_strdup("nginx");
	r->version = g_strdup("1.22.1");
	r->info = g_strdup("info text");
	r->os_hint = g_strdup("Linux");
	r->banner = g_strdup("HTTP/1.1 200 OK\\r\\n");
	r->os_family = g_strdup("Linux");
	r->os_accuracy = 85;
	r->os_reason = g_strdup("TTL 64, options MSS,SACK,TS,NOP,WS: Linux family");
	r->os_ev = g_new0(struct os_evidence, 1);
	*r->os_ev = (struct os_evidence){
		.ttl = 63, .initial_ttl = 64, .window = 65160, .mss = 1460, .has_mss = true,
		.wscale = 7, .has_wscale = true, .timestamps = true, .df = 1,
		.options = "MSS,SACK,TS,NOP,WS",
	};
	r->tls = tls_facts_new();
	*r->tls = (struct tls_facts){
		.sni = g_strdup("www.example"), .version = g_strdup("TLSv1.3"),
		.cipher = g_strdup("TLS_AES_256_GCM_SHA384"), .have_cert = true,
		.subject = g_strdup("CN=www.example,O=Example"), .subject_cn = g_strdup("www.example"),
		.issuer = g_strdup("CN=Example CA"), .issuer_cn = g_strdup("Example CA"),
		.sans = g_strsplit("DNS:www.example|DNS:example|IP:192.0.2.7", "|", -1),
		.not_before = 1767225600, .not_after = 1801398605, .days_left = -3,
		.key_type = g_strdup("ec"), .key_bits = 256, .key_curve = g_strdup("prime256v1"),
		.sig_alg = g_strdup("ecdsa-with-SHA256"), .sha256 = g_strdup("5e8f"),
		.sha1 = g_strdup("a1b2"), .verify = g_strdup("ok"), .versions_tested = true,
		.accepted = 1u << TLS_V1_2 | 1u << TLS_V1_3,
		.version_cipher = { [TLS_V1_2] = g_strdup("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
				    [TLS_V1_3] = g_strdup("TLS_AES_256_GCM_SHA384") },
	};
	assert_int_equal(result_field_count(), sizeof want / sizeof want[0]);
	for (size_t i = 0; i < result_field_count(); i++) {
		field_text(r, i, buf, sizeof buf);
		assert_string_equal(buf, want[i]);
	}
	result_free(r);
}

static void test_field_values_empty_and_v6(void **state)
{
	struct result r = { 0 };
	char buf[256];

	r.addr.family = AF_INET6;
	r.addr.v.hi = 0x20010db800000000ULL;
	r.addr.v.lo = 1;
	r.port = 65535;
	r.state = STATE_FILTERED;
	r.reason = REASON_NO_RESPONSE;
	field_text(&r, 0, buf, sizeof buf);
	assert_string_equal(buf, "2001:db8::1");
	field_text(&r, 1, buf, sizeof buf);     /* no host given */
	assert_string_equal(buf, "");
	field_text(&r, 2, buf, sizeof buf);
	assert_string_equal(buf, "i:65535");
	field_text(&r, 8, buf, sizeof buf);     /* no ptr */
	assert_string_equal(buf, "");
	field_text(&r, 9, buf, sizeof buf);     /* not an error */
	assert_string_equal(buf, "");
	/* No OS verdict, no evidence, no TLS: every OS and TLS field is
	 * null, grouped. */
	for (size_t i = 16; i < result_field_count(); i++) {
		field_text(&r, i, buf, sizeof buf);
		assert_string_equal(buf, "null");
		assert_string_equal(result_field_group(i),
				    g_str_has_prefix(result_field_name(i), "tls_") ? "tls" : "os");
	}
	assert_null(result_field_group(15));
	/* IPv6 evidence without MSS or window scale: those and DF stay null. */
	r.os_ev = g_new0(struct os_evidence, 1);
	r.os_ev->df = -1;
	r.os_ev->initial_ttl = 64;
	field_text(&r, 20, buf, sizeof buf);
	assert_string_equal(buf, "i:64");
	field_text(&r, 22, buf, sizeof buf);    /* os_mss */
	assert_string_equal(buf, "null");
	field_text(&r, 23, buf, sizeof buf);    /* os_options: none */
	assert_string_equal(buf, "");
	field_text(&r, 24, buf, sizeof buf);    /* os_wscale */
	assert_string_equal(buf, "null");
	field_text(&r, 25, buf, sizeof buf);    /* os_df */
	assert_string_equal(buf, "null");
	field_text(&r, 16, buf, sizeof buf);    /* no verdict given */
	assert_string_equal(buf, "null");
	g_free(r.os_ev);
}

static void test_field_error(void **state)
{
	struct result r = { 0 };
	char buf[256];

	r.addr.family = AF_INET;
	r.state = STATE_ERROR;
	r.reason = REASON_LOCAL_ERROR;
	r.err = EMFILE;
	field_text(&r, 9, buf, sizeof buf);
	assert_string_equal(buf, strerror(EMFILE));
	r.err = 0;
	field_text(&r, 9, buf, sizeof buf);
	assert_string_equal(buf, "unknown error");
	/* An errno on a non-error state is not reported. */
	r.state = STATE_CLOSED;
	r.err = ECONNREFUSED;
	field_text(&r, 9, buf, sizeof buf);
	assert_string_equal(buf, "");
	/* Except on an open port: why its detection connect failed (a SYN
	 * scan with -s, enrich.c); the port stays open. */
	r.state = STATE_OPEN;
	r.err = ETIMEDOUT;
	field_text(&r, 9, buf, sizeof buf);
	assert_string_equal(buf, strerror(ETIMEDOUT));
	r.err = 0;
	field_text(&r, 9, buf, sizeof buf);
	assert_string_equal(buf, "");
}

static void test_metrics(void **state)
{
	struct metrics m;
	struct metrics_snapshot s;
	struct result r = { 0 };
	static const enum port_state states[] = {
		STATE_OPEN, STATE_CLOSED, STATE_CLOSED, STATE_FILTERED,
		STATE_ERROR, STATE_CLOSED,
	};

	metrics_init(&m);
	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
		r.state = states[i];
		metrics_count_result(&m, &r);
	}
	/* Attempts and retries are the workers' business, not counted here. */
	atomic_fetch_add(&m.attempts, 8);
	atomic_fetch_add(&m.retries, 2);
	metrics_snapshot(&m, 2, 10, 2.0, &s);
	assert_int_equal(s.hosts, 2);
	assert_int_equal(s.total, 10);
	assert_int_equal(s.probes, 6);
	assert_int_equal(s.attempts, 8);
	assert_int_equal(s.retries, 2);
	assert_int_equal(s.state[STATE_OPEN], 1);
	assert_int_equal(s.state[STATE_CLOSED], 3);
	assert_int_equal(s.state[STATE_FILTERED], 1);
	assert_int_equal(s.state[STATE_ERROR], 1);
	assert_true(s.rate > 2.999 && s.rate < 3.001);

	metrics_snapshot(&m, 2, 10, 0.0, &s);
	assert_true(s.rate == 0.0);
}

static char *summary_text(const struct metrics_snapshot *s)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *fp = open_memstream(&buf, &size);

	assert_non_null(fp);
	metrics_print_summary(s, fp);
	assert_int_equal(fclose(fp), 0);
	return buf;
}

static void test_metrics_summary(void **state)
{
	struct metrics_snapshot s = {
		.hosts = 1, .total = 65535, .probes = 65535, .attempts = 65535,
		.retries = 0, .elapsed_s = 2.31, .rate = 28370.1,
		.state = { 3, 65532, 0, 0 },
	};
	char *text = summary_text(&s);

	assert_string_equal(text,
		"portolan: 1 host, 65535 probes in 2.31 s (28370/s): 3 open, "
		"65532 closed, 0 filtered, 0 error; 65535 attempts, 0 retries\n");
	free(text);

	s.hosts = 4;
	s.retries = 1;
	s.resource_waits = 5;
	text = summary_text(&s);
	assert_non_null(strstr(text, "portolan: 4 hosts, "));
	assert_non_null(strstr(text, ", 1 retry, 5 resource waits\n"));
	free(text);

	/* Self-connects are counted apart, not as attempts or retries. */
	s.self_connects = 2;
	text = summary_text(&s);
	assert_non_null(strstr(text, ", 1 retry, 5 resource waits, 2 self-connects\n"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_state_parse),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_field_names),
		cmocka_unit_test(test_result_new_free),
		cmocka_unit_test(test_field_values),
		cmocka_unit_test(test_field_values_empty_and_v6),
		cmocka_unit_test(test_field_error),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_metrics_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) != 0;
}
