/* test_tlsaudit.c: the TLS keys of an audit policy group (tlspolicy.c):
 * parsing with "file:line:" problems, every finding kind against results
 * carrying hand-made TLS facts, and the baseline's cert-changed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <libconfig.h>

#include "audit.h"
#include "baseline.h"
#include "findings.h"
#include "tls_facts.h"

static struct audit_policy *parse_text(const char *text, GError **err)
{
	config_t cfg;
	struct audit_policy *p;
	config_setting_t *cs;

	config_init(&cfg);
	if (config_read_string(&cfg, text) != CONFIG_TRUE)
		fail_msg("config syntax: %s at line %d", config_error_text(&cfg), config_error_line(&cfg));
	cs = config_lookup(&cfg, "policy");
	assert_non_null(cs);
	p = audit_policy_parse(cs, "p.cfg", err);
	config_destroy(&cfg);
	return p;
}

static void collect(void *ud, const struct finding *f)
{
	GString *out = ud;

	g_string_append_printf(out, "%s%s %u %s|%s", out->len ? "\n" : "",
			       finding_kind_name(f->kind), f->port, f->expected, f->found);
}

/* A result on 198.18.1.10 with a certificate that passes every check of
 * STRICT below; each test spoils one fact. */
static struct result good(uint16_t port)
{
	struct result r;
	struct tls_facts *t = tls_facts_new();

	memset(&r, 0, sizeof r);
	assert_true(pl_addr_parse("198.18.1.10", &r.addr));
	r.port = port;
	r.state = STATE_OPEN;
	t->version = g_strdup("TLSv1.3");
	t->have_cert = true;
	t->subject = g_strdup("CN=www.example.org");
	t->sans = g_strsplit("DNS:www.example.org,DNS:*.api.example.org,IP:198.18.1.10", ",", -1);
	t->not_after = 1893456000; /* 2030-01-01 */
	t->days_left = 400;
	t->key_type = g_strdup("rsa");
	t->key_bits = 3072;
	t->sig_alg = g_strdup("sha256WithRSAEncryption");
	t->sha256 = g_strdup("aa00000000000000000000000000000000000000000000000000000000000000");
	t->verify = g_strdup("ok");
	t->versions_tested = true;
	t->accepted = 1u << TLS_V1_2 | 1u << TLS_V1_3;
	r.tls = t;
	return r;
}

static const char STRICT[] =
	"policy = ( { name = \"tls\"; targets = \"198.18.1.0/24\";\n"
	"  tls-min-version = \"TLSv1.2\"; cert-min-days = 30; allow-self-signed = false;\n"
	"  allow-unverified = false; min-rsa-bits = 2048; min-ec-bits = 256;\n"
	"  forbid-signatures = [ \"sha1\", \"MD5\" ];\n"
	"  require-san = [ \"www.example.org\", \"v2.api.example.org\", \"198.18.1.10\" ]; } );\n";

static void assert_findings(const struct audit_policy *p, struct result *r, const char *want)
{
	GString *out = g_string_new(NULL);

	audit_check(p, NULL, true, r, collect, out);
	assert_string_equal(out->str, want);
	g_string_free(out, TRUE);
	tls_facts_free(r->tls);
	r->tls = NULL;
}

static void test_each_kind(void **state)
{
	GError *err = NULL;
	struct audit_policy *p = parse_text(STRICT, &err);
	struct result r;

	assert_null(err);
	r = good(443);
	assert_findings(p, &r, "");

	r = good(443);
	r.tls->accepted |= 1u << TLS_V1_0;
	assert_findings(p, &r, "tls-version 443 >= TLSv1.2|TLSv1.0 accepted");
	/* Not enumerated: the negotiated version is the fact. */
	r = good(443);
	r.tls->versions_tested = false;
	g_free(r.tls->version);
	r.tls->version = g_strdup("TLSv1.1");
	assert_findings(p, &r, "tls-version 443 >= TLSv1.2|TLSv1.1 negotiated");

	r = good(443);
	r.tls->days_left = 12;
	assert_findings(p, &r, "cert-expiring 443 >= 30 days left|12 days left (notAfter 2030-01-01T00:00:00Z)");
	r = good(443);
	r.tls->days_left = -3;
	assert_findings(p, &r, "cert-expired 443 not expired|notAfter 2030-01-01T00:00:00Z (3 days ago)");

	r = good(443);
	r.tls->self_signed = true;
	g_free(r.tls->verify);
	r.tls->verify = g_strdup("self-signed certificate");
	assert_findings(p, &r, "cert-self-signed 443 not self-signed|CN=www.example.org\n"
			       "cert-unverified 443 ok|self-signed certificate");

	r = good(443);
	r.tls->key_bits = 1024;
	assert_findings(p, &r, "weak-key 443 rsa >= 2048 bits|rsa 1024 bits");
	r = good(443);
	g_free(r.tls->key_type);
	r.tls->key_type = g_strdup("ec");
	r.tls->key_bits = 224;
	assert_findings(p, &r, "weak-key 443 ec >= 256 bits|ec 224 bits");
	r = good(443);
	g_free(r.tls->key_type);
	r.tls->key_type = g_strdup("ed25519");
	r.tls->key_bits = 253;
	assert_findings(p, &r, "");

	r = good(443);
	g_free(r.tls->sig_alg);
	r.tls->sig_alg = g_strdup("sha1WithRSAEncryption");
	assert_findings(p, &r, "weak-signature 443 not sha1|sha1WithRSAEncryption");
	r = good(443);
	g_free(r.tls->sig_alg);
	r.tls->sig_alg = g_strdup("md5WithRSAEncryption");
	assert_findings(p, &r, "weak-signature 443 not md5|md5WithRSAEncryption");

	r = good(443);
	g_strfreev(r.tls->sans);
	r.tls->sans = g_strsplit("DNS:example.org,DNS:*.example.org", ",", -1);
	/* "*.example.org" covers www. but not v2.api. (one label only). */
	assert_findings(p, &r, "san-missing 443 v2.api.example.org|DNS:example.org, DNS:*.example.org\n"
			       "san-missing 443 198.18.1.10|DNS:example.org, DNS:*.example.org");
	r = good(443);
	g_strfreev(r.tls->sans);
	r.tls->sans = NULL;
	assert_findings(p, &r, "san-missing 443 www.example.org|no SAN\n"
			       "san-missing 443 v2.api.example.org|no SAN\n"
			       "san-missing 443 198.18.1.10|no SAN");

	/* No certificate came: only the version can be judged. */
	r = good(443);
	r.tls->have_cert = false;
	r.tls->days_left = -5;
	r.tls->accepted |= 1u << TLS_V1_1;
	assert_findings(p, &r, "tls-version 443 >= TLSv1.2|TLSv1.1 accepted");
	/* Not open, or no TLS: nothing. */
	r = good(443);
	r.state = STATE_CLOSED;
	r.tls->days_left = -5;
	assert_findings(p, &r, "");
	r = good(443);
	tls_facts_free(r.tls);
	r.tls = NULL;
	assert_findings(p, &r, "");
	audit_policy_free(p);
}

static void test_unset_keys_check_nothing(void **state)
{
	GError *err = NULL;
	struct audit_policy *p = parse_text(
		"policy = ( { name = \"any\"; targets = \"198.18.1.0/24\"; allow-self-signed = true; } );",
		&err);
	struct result r = good(443);

	assert_null(err);
	r.tls->days_left = -1;
	r.tls->self_signed = true;
	r.tls->key_bits = 512;
	r.tls->accepted |= 1u << TLS_V1_0;
	g_free(r.tls->verify);
	r.tls->verify = g_strdup("certificate has expired");
	assert_findings(p, &r, "");
	audit_policy_free(p);
}

static void test_parse_errors(void **state)
{
	GError *err = NULL;
	struct audit_policy *p = parse_text(
		"policy = ( { name = \"t\"; targets = \"198.18.1.0/24\";\n"
		"  tls-min-version = \"SSLv3\";\n"
		"  cert-min-days = -1;\n"
		"  allow-self-signed = \"no\";\n"
		"  min-rsa-bits = 0;\n"
		"  min-ec-bits = \"256\";\n"
		"  forbid-signatures = [ \"sha1\", \"\" ];\n"
		"  require-san = [];\n"
		"  allow-unverified = 1; } );\n", &err);

	assert_null(p);
	assert_non_null(err);
	assert_string_equal(err->message,
		"p.cfg:2: policy group 't': 'tls-min-version': expected \"TLSv1.0\", \"TLSv1.1\", "
		"\"TLSv1.2\" or \"TLSv1.3\"\n"
		"p.cfg:3: policy group 't': 'cert-min-days': expected a number of days from 0 to 36500\n"
		"p.cfg:4: policy group 't': 'allow-self-signed': expected true or false\n"
		"p.cfg:5: policy group 't': 'min-rsa-bits': 0 out of range 1-65536\n"
		"p.cfg:6: policy group 't': 'min-ec-bits': expected a number of bits\n"
		"p.cfg:7: policy group 't': 'forbid-signatures': element 2 is not a non-empty string\n"
		"p.cfg:8: policy group 't': 'require-san': empty\n"
		"p.cfg:9: policy group 't': 'allow-unverified': expected true or false");
	g_clear_error(&err);
}

/* ---- baseline: cert-changed ---- */

static char path[64];

static int teardown(void **state)
{
	if (path[0] != '\0')
		unlink(path);
	path[0] = '\0';
	return 0;
}

static void test_baseline_cert_changed(void **state)
{
	static const char doc[] =
		"{\"results\":[\n"
		"{\"ip\":\"198.18.1.10\",\"port\":443,\"proto\":\"tcp\",\"state\":\"open\",\n"
		" \"tls\":{\"version\":\"TLSv1.3\",\"sans\":\"DNS:a, DNS:b\",\"days_left\":40,\"self_signed\":0,\n"
		"        \"sha256\":\"aa00000000000000000000000000000000000000000000000000000000000000\"}},\n"
		"{\"ip\":\"198.18.1.10\",\"port\":25,\"proto\":\"tcp\",\"state\":\"open\",\"tls\":null},\n"
		"{\"ip\":\"198.18.1.10\",\"port\":993,\"proto\":\"tcp\",\"state\":\"open\",\"tls\":{\"sha256\":null}}\n"
		"]}\n";
	GError *err = NULL;
	struct baseline *b;
	struct result r;
	GString *out = g_string_new(NULL);
	int fd;

	strcpy(path, "/tmp/portolan-tlsbase-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, doc, strlen(doc)), (ssize_t)strlen(doc));
	close(fd);
	b = baseline_load(path, &err);
	assert_null(err);
	assert_non_null(b);

	r = good(443); /* the same certificate */
	audit_check(NULL, b, true, &r, collect, out);
	g_free(r.tls->sha256);
	r.tls->sha256 = g_strdup("bb00000000000000000000000000000000000000000000000000000000000000");
	audit_check(NULL, b, true, &r, collect, out);
	/* No TLS reached now: no word on the certificate. */
	tls_facts_free(r.tls);
	r.tls = NULL;
	audit_check(NULL, b, true, &r, collect, out);
	/* No fingerprint then: nothing to compare. */
	r = good(25);
	audit_check(NULL, b, true, &r, collect, out);
	tls_facts_free(r.tls);
	r = good(993);
	audit_check(NULL, b, true, &r, collect, out);
	tls_facts_free(r.tls);
	assert_string_equal(out->str,
		"cert-changed 443 aa00000000000000000000000000000000000000000000000000000000000000|"
		"bb00000000000000000000000000000000000000000000000000000000000000");
	g_string_free(out, TRUE);
	baseline_free(b);

	/* A "tls" that is neither an object nor null is refused. */
	unlink(path);
	strcpy(path, "/tmp/portolan-tlsbase-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	{
		static const char bad[] = "{\"results\":[{\"ip\":\"198.18.1.10\",\"port\":443,"
					  "\"state\":\"open\",\"tls\":\"x\"}]}";

		assert_int_equal(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
	}
	close(fd);
	b = baseline_load(path, &err);
	assert_null(b);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "\"tls\": expected an object or null"));
	g_clear_error(&err);
}

static void test_kind_names(void **state)
{
	static const char *const names[] = {
		"tls-version", "cert-expired", "cert-expiring", "cert-self-signed", "cert-unverified",
		"weak-key", "weak-signature", "san-missing", "cert-changed",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		assert_string_equal(finding_kind_name(FINDING_TLS_VERSION + i), names[i]);
	assert_int_equal(FINDING_CERT_CHANGED + 1, FINDING_KIND_COUNT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_kind),
		cmocka_unit_test(test_unset_keys_check_nothing),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test_teardown(test_baseline_cert_changed, teardown),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) != 0;
}
