/* test_audit.c: the policy (config syntax, collected errors with lines,
 * group matching), the per-result checks, the findings writers (CSV, JSON,
 * JSON Lines, escaping as the results writers do) and the config hooks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib.h>
#include <libconfig.h>

#include "audit.h"
#include "errors.h"
#include "findings.h"
#include "settings.h"

/* ---- helpers ---- */

static struct audit_policy *parse_text(const char *text, GError **err)
{
	config_t cfg;
	struct audit_policy *p = NULL;
	config_setting_t *cs;

	config_init(&cfg);
	if (config_read_string(&cfg, text) != CONFIG_TRUE) {
		fail_msg("config syntax: %s at line %d", config_error_text(&cfg), config_error_line(&cfg));
	}
	cs = config_lookup(&cfg, "policy");
	assert_non_null(cs);
	p = audit_policy_parse(cs, "p.cfg", err);
	config_destroy(&cfg);
	return p;
}

/* One finding as "kind port expected found group". */
static void collect(void *ud, const struct finding *f)
{
	GString *out = ud;
	char ip[PL_ADDRSTRLEN];

	pl_addr_format(f->addr, ip, sizeof ip);
	g_string_append_printf(out, "%s%s %s %u %s %s %s", out->len ? "\n" : "",
			       finding_kind_name(f->kind), ip, f->port,
			       f->expected ? f->expected : "-", f->found ? f->found : "-",
			       f->group ? f->group : "-");
}

static struct result res(const char *ip, uint16_t port, enum port_state st)
{
	struct result r;

	memset(&r, 0, sizeof r);
	assert_true(pl_addr_parse(ip, &r.addr));
	r.port = port;
	r.state = st;
	return r;
}

static char *check(const struct audit_policy *p, bool detection, const struct result *r)
{
	GString *out = g_string_new(NULL);

	audit_check(p, NULL, detection, r, collect, out);
	return g_string_free(out, FALSE);
}

static void assert_check(const struct audit_policy *p, bool detection, const struct result *r,
			 const char *want)
{
	char *got = check(p, detection, r);

	assert_string_equal(got, want);
	g_free(got);
}

static char *slurp(const char *path)
{
	char *text = NULL;

	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	return text;
}

static const char WEB[] =
	"policy = (\n"
	"  { name = \"lab\"; targets = \"198.18.1.128/25\"; },\n"
	"  { name = \"web\"; targets = [ \"198.18.1.0/24\", \"2001:db8::/32\" ];\n"
	"    allow = \"22,80,443\"; require = ( 443, \"8443\" );\n"
	"    services = ( { port = 443; service = \"https\"; },\n"
	"                 { port = 22; product = \"openssh\"; version = \"9.*\"; } ); },\n"
	"  { name = \"dns\"; targets = [ \"192.0.2.1-20\", \"192.0.2.53\" ]; require = \"53\"; },\n"
	"  { name = \"closed\"; targets = \"203.0.113.0-203.0.113.9\"; allow = \"\"; }\n"
	");\n";

/* ---- policy parsing and matching ---- */

static void test_parse_and_first_match(void **state)
{
	GError *err = NULL;
	struct audit_policy *p = parse_text(WEB, &err);
	struct pl_addr a;

	assert_null(err);
	assert_non_null(p);
	assert_int_equal(audit_policy_group_count(p), 4);
	assert_true(pl_addr_parse("198.18.1.7", &a));
	assert_string_equal(audit_policy_group_of(p, &a), "web");
	/* Overlap: the first group that contains the host wins. */
	assert_true(pl_addr_parse("198.18.1.200", &a));
	assert_string_equal(audit_policy_group_of(p, &a), "lab");
	assert_true(pl_addr_parse("2001:db8:ffff::1", &a));
	assert_string_equal(audit_policy_group_of(p, &a), "web");
	assert_true(pl_addr_parse("2001:db9::1", &a));
	assert_null(audit_policy_group_of(p, &a));
	assert_true(pl_addr_parse("192.0.2.20", &a));
	assert_string_equal(audit_policy_group_of(p, &a), "dns");
	assert_true(pl_addr_parse("192.0.2.21", &a));
	assert_null(audit_policy_group_of(p, &a));
	assert_true(pl_addr_parse("203.0.113.9", &a));
	assert_string_equal(audit_policy_group_of(p, &a), "closed");
	/* An IPv4 group never matches an IPv6 address with the same low bits. */
	assert_true(pl_addr_parse("::c612:107", &a));
	assert_null(audit_policy_group_of(p, &a));
	audit_policy_free(p);

	p = parse_text("policy = ();", &err);
	assert_non_null(p);
	assert_int_equal(audit_policy_group_count(p), 0);
	audit_policy_free(p);
}

static void test_parse_errors_collected(void **state)
{
	GError *err = NULL;
	struct audit_policy *p = parse_text(
		"policy = (\n"
		"  { name = \"a\"; targets = [ \"300.1.1.1\", \"db.example\" ]; allow = \"70000\"; },\n"
		"  { name = \"a\"; targets = \"10.0.0.0/33\"; colour = 1; },\n"
		"  { targets = \"10.0.0.1\";\n"
		"    services = ( { port = 22; }, { service = \"ssh\"; }, { port = 80; service = \"http\"; },\n"
		"                 { port = 80; product = \"nginx\"; }, { port = 0; vendor = \"x\"; } ); },\n"
		"  { name = \"b\"; },\n"
		"  5\n"
		");\n", &err);

	assert_null(p);
	assert_non_null(err);
	assert_string_equal(err->message,
		"p.cfg:2: policy group 'a': invalid target '300.1.1.1': expected an address, CIDR block or "
		"range (names are not allowed in a policy)\n"
		"p.cfg:2: policy group 'a': invalid target 'db.example': expected an address, CIDR block or "
		"range (names are not allowed in a policy)\n"
		"p.cfg:2: policy group 'a': 'allow': invalid port '70000': out of range 1-65535\n"
		"p.cfg:3: policy: group name 'a' used twice\n"
		"p.cfg:3: policy group 'a': invalid target '10.0.0.0/33': prefix length out of range\n"
		"p.cfg:3: policy group 'a': unknown setting 'colour' (expected name, targets, allow, "
		"require, require-up or services)\n"
		"p.cfg:4: policy: group 3 has no name\n"
		"p.cfg:5: policy group '#3': 'services': port 22 expects nothing (give service, product or "
		"version)\n"
		"p.cfg:5: policy group '#3': 'services': element 2 has no port\n"
		"p.cfg:6: policy group '#3': 'services': port 80/tcp listed twice\n"
		"p.cfg:6: policy group '#3': 'services': port 0 out of range 1-65535\n"
		"p.cfg:6: policy group '#3': 'services': unknown setting 'vendor' (expected port, proto, "
		"service, product or version)\n"
		"p.cfg:7: policy group 'b': no targets\n"
		"p.cfg:8: policy: element 5 is not a group { ... }");
	g_clear_error(&err);

	p = parse_text("policy = { name = \"x\"; };", &err);
	assert_null(p);
	assert_true(g_str_has_prefix(err->message, "p.cfg:1: policy: expected a list of groups"));
	g_clear_error(&err);
}

/* Issue 12: "require = -5;" was read as the ports 1-5 without a word. */
static void test_parse_negative_port(void **state)
{
	static const char *const cases[] = {
		"require = -5;", "require = ( 22, -5 );", "allow = [ -1 ];", "allow = -80L;",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		GError *err = NULL;
		char *text = g_strdup_printf("policy = (\n { name = \"a\"; targets = \"192.0.2.1\";\n"
					     "   %s } );\n", cases[i]);
		struct audit_policy *p = parse_text(text, &err);
		const char *key = strstr(cases[i], "require") ? "require" : "allow";
		long long v = strstr(cases[i], "-80") ? -80 : strstr(cases[i], "-1") ? -1 : -5;
		char *want = g_strdup_printf("p.cfg:3: policy group 'a': '%s': %lld is not a port number "
					     "(1 to 65535); write a range as a string, such as \"1-5\"",
					     key, v);

		assert_null(p);
		assert_non_null(err);
		assert_string_equal(err->message, want);
		g_free(want);
		g_free(text);
		g_clear_error(&err);
	}
	/* As a string it is the documented open range, as on the command line. */
	{
		GError *err = NULL;
		struct audit_policy *p = parse_text("policy = ( { name = \"a\"; targets = \"192.0.2.1\";"
						    " require = \"-5\"; } );\n", &err);

		assert_non_null(p);
		audit_policy_free(p);
	}
}

/* A policy target is escaped in messages like any other. */
static void test_parse_target_escaped(void **state)
{
	GError *err = NULL;
	struct audit_policy *p = parse_text("policy = ( { name = \"a\"; targets = \"x\\x1b[2Jy\"; } );\n",
					    &err);

	assert_null(p);
	assert_string_equal(err->message, "p.cfg:1: policy group 'a': invalid target 'x\\x1b[2Jy': "
			    "expected an address, CIDR block or range (names are not allowed in a policy)");
	g_clear_error(&err);
}

/* ---- checks ---- */

static void test_check_allow_require(void **state)
{
	GError *err = NULL;
	struct audit_policy *p = parse_text(WEB, &err);
	struct result r;

	assert_non_null(p);
	r = res("198.18.1.7", 80, STATE_OPEN);
	assert_check(p, false, &r, "");
	r = res("198.18.1.7", 8443, STATE_OPEN);       /* required, so allowed */
	assert_check(p, false, &r, "");
	r = res("198.18.1.7", 3306, STATE_OPEN);
	assert_check(p, false, &r, "unexpected-open 198.18.1.7 3306 22,80,443,8443 open web");
	r = res("198.18.1.7", 3306, STATE_CLOSED);
	assert_check(p, false, &r, "");
	r = res("198.18.1.7", 443, STATE_CLOSED);
	assert_check(p, false, &r, "required-not-open 198.18.1.7 443 open closed web");
	r = res("198.18.1.7", 8443, STATE_FILTERED);
	assert_check(p, false, &r, "required-not-open 198.18.1.7 8443 open filtered web");
	r = res("198.18.1.7", 443, STATE_ERROR);
	assert_check(p, false, &r, "required-not-open 198.18.1.7 443 open error web");
	r = res("198.18.1.7", 443, STATE_OPEN);
	assert_check(p, false, &r, "");
	/* The lab group comes first and expects nothing: exempt. */
	r = res("198.18.1.200", 3306, STATE_OPEN);
	assert_check(p, false, &r, "");
	r = res("198.18.1.200", 443, STATE_CLOSED);
	assert_check(p, false, &r, "");
	/* No allow list: any port may be open; required ones must be. */
	r = res("192.0.2.5", 4444, STATE_OPEN);
	assert_check(p, false, &r, "");
	r = res("192.0.2.53", 53, STATE_FILTERED);
	assert_check(p, false, &r, "required-not-open 192.0.2.53 53 open filtered dns");
	/* allow = "": nothing may be open. */
	r = res("203.0.113.1", 22, STATE_OPEN);
	assert_check(p, false, &r, "unexpected-open 203.0.113.1 22 none open closed");
	/* In no group: no policy. */
	r = res("10.9.9.9", 3306, STATE_OPEN);
	assert_check(p, false, &r, "");
	r = res("2001:db8::1", 25, STATE_OPEN);
	assert_check(p, false, &r, "unexpected-open 2001:db8::1 25 22,80,443,8443 open web");
	audit_policy_free(p);
}

/* Issue 16: U: items of a policy's lists are UDP ports, the rest TCP's (as
 * policies always meant); an open UDP port is checked against the UDP
 * list; open|filtered is never unexpected-open, and a required UDP port
 * found so is a finding of its own kind; findings carry the proto. */
static void test_check_udp(void **state)
{
	static const char UDP[] =
		"policy = (\n"
		"  { name = \"ns\"; targets = \"192.0.2.0/24\";\n"
		"    allow = \"22,U:123\"; require = [ \"U:53\", \"T:53\" ]; },\n"
		"  { name = \"tcp\"; targets = \"198.51.100.0/24\"; allow = \"22\"; }\n"
		");\n";
	GError *err = NULL;
	struct audit_policy *p = parse_text(UDP, &err);
	struct result r;

	assert_non_null(p);
	r = res("192.0.2.1", 123, STATE_OPEN);
	r.proto = PROTO_UDP;
	assert_check(p, false, &r, "");
	r.proto = PROTO_TCP;                    /* 123 is allowed as UDP only */
	assert_check(p, false, &r, "unexpected-open 192.0.2.1 123 22,53 open ns");
	r = res("192.0.2.1", 22, STATE_OPEN);
	r.proto = PROTO_UDP;
	assert_check(p, false, &r, "unexpected-open 192.0.2.1 22 53,123 open ns");
	r = res("192.0.2.1", 161, STATE_OPEN_FILTERED);
	r.proto = PROTO_UDP;
	assert_check(p, false, &r, "");
	r = res("192.0.2.1", 53, STATE_OPEN_FILTERED);
	r.proto = PROTO_UDP;
	assert_check(p, false, &r, "required-open-filtered 192.0.2.1 53 open open|filtered ns");
	r = res("192.0.2.1", 53, STATE_CLOSED);
	r.proto = PROTO_UDP;
	assert_check(p, false, &r, "required-not-open 192.0.2.1 53 open closed ns");
	r.proto = PROTO_TCP;
	assert_check(p, false, &r, "required-not-open 192.0.2.1 53 open closed ns");
	/* An older policy's lists are TCP's: any open UDP port is outside. */
	r = res("198.51.100.9", 22, STATE_OPEN);
	assert_check(p, false, &r, "");
	r.proto = PROTO_UDP;
	assert_check(p, false, &r, "unexpected-open 198.51.100.9 22 none open tcp");
	audit_policy_free(p);
	/* A protocol letter that is none is refused, naming the place. */
	assert_null(parse_text("policy = ( { name = \"x\"; targets = \"192.0.2.1\"; "
			       "allow = \"S:22\"; } );\n", &err));
	assert_non_null(err);
	assert_non_null(strstr(err->message, "not a protocol"));
	g_clear_error(&err);
}

/* services entries with proto = "udp" check UDP ports (a DNS server's 53
 * must be domain over UDP), the others TCP's: the same port number apart. */
static void test_check_services_udp(void **state)
{
	GError *err = NULL;
	struct audit_policy *p = parse_text(
		"policy = ( { name = \"ns\"; targets = \"192.0.2.0/24\";\n"
		"  services = ( { port = 53; proto = \"udp\"; service = \"domain\"; product = \"BIND\"; },\n"
		"               { port = 53; service = \"domain\"; product = \"Unbound\"; } ); } );\n", &err);
	struct result r;

	assert_non_null(p);
	r = res("192.0.2.1", 53, STATE_OPEN);
	r.proto = PROTO_UDP;
	r.service = (char *)"domain";
	r.product = (char *)"BIND";
	assert_check(p, true, &r, "");
	r.proto = PROTO_TCP;
	assert_check(p, true, &r, "unexpected-service 192.0.2.1 53 product=Unbound product=BIND ns");
	r.proto = PROTO_UDP;
	r.product = (char *)"dnsmasq";
	assert_check(p, true, &r, "unexpected-service 192.0.2.1 53 product=BIND product=dnsmasq ns");
	/* Silence proves no service. */
	r.state = STATE_OPEN_FILTERED;
	assert_check(p, true, &r, "");
	audit_policy_free(p);

	assert_null(parse_text("policy = ( { name = \"x\"; targets = \"192.0.2.1\";\n"
			       "  services = ( { port = 53; proto = \"sctp\"; service = \"domain\"; },\n"
			       "               { port = 161; proto = \"udp\"; service = \"snmp\"; },\n"
			       "               { port = 161; proto = \"UDP\"; product = \"net-snmp\"; } ); } );\n",
			       &err));
	assert_non_null(err);
	assert_string_equal(err->message,
		"p.cfg:2: policy group 'x': 'services': 'proto' must be \"tcp\" or \"udp\"\n"
		"p.cfg:4: policy group 'x': 'services': port 161/udp listed twice");
	g_clear_error(&err);
}

static void test_check_services(void **state)
{
	GError *err = NULL;
	struct audit_policy *p = parse_text(WEB, &err);
	struct result r;

	assert_non_null(p);
	r = res("198.18.1.7", 443, STATE_OPEN);
	r.service = (char *)"http";
	/* Only when detection ran. */
	assert_check(p, false, &r, "");
	assert_check(p, true, &r, "unexpected-service 198.18.1.7 443 service=https service=http web");
	r.service = (char *)"HTTPS";       /* case does not matter */
	assert_check(p, true, &r, "");
	r.service = NULL;                  /* not identified: not what was expected */
	assert_check(p, true, &r, "unexpected-service 198.18.1.7 443 service=https service= web");

	r = res("198.18.1.7", 22, STATE_OPEN);
	r.product = (char *)"OpenSSH";
	r.version = (char *)"9.6p1";
	assert_check(p, true, &r, "");
	r.version = (char *)"8.9p1";
	assert_check(p, true, &r, "unexpected-service 198.18.1.7 22 version=9.* version=8.9p1 web");
	r.product = (char *)"Dropbear sshd";
	assert_check(p, true, &r,
		     "unexpected-service 198.18.1.7 22 product=openssh product=Dropbear sshd web\n"
		     "unexpected-service 198.18.1.7 22 version=9.* version=8.9p1 web");
	/* A closed port is not checked for its service. */
	r.state = STATE_CLOSED;
	assert_check(p, true, &r, "");
	audit_policy_free(p);
}

/* Does the product glob `pat` (as a config file spells it) accept `value`? */
static bool product_matches(const char *pat, const char *value)
{
	char *text = g_strdup_printf("policy = ( { name = \"g\"; targets = \"198.18.0.1\";\n"
				     "  services = ( { port = 22; product = \"%s\"; } ); } );\n", pat);
	GError *err = NULL;
	struct audit_policy *p = parse_text(text, &err);
	struct result r = res("198.18.0.1", 22, STATE_OPEN);
	char *got;
	bool ok;

	assert_non_null(p);
	r.product = (char *)value;
	got = check(p, true, &r);
	ok = got[0] == '\0';
	g_free(got);
	audit_policy_free(p);
	g_free(text);
	return ok;
}

/* The glob of docs/audit.md: '*' any run (empty too), '?' any one
 * character, everything else literal, ASCII case ignored, the whole value
 * matched. */
static void test_service_globs(void **state)
{
	GString *many = g_string_new(NULL);

	assert_true(product_matches("OpenSSH", "openssh"));
	assert_true(product_matches("openssh", "OPENSSH"));
	assert_false(product_matches("openssh", "OpenSSH_9.6"));   /* whole value */
	assert_false(product_matches("openssh", "my openssh"));
	assert_true(product_matches("*ssh*", "OpenSSH_9.6"));
	assert_true(product_matches("*", ""));                     /* NULL too */
	assert_true(product_matches("*", NULL));
	assert_false(product_matches("", "x"));
	assert_true(product_matches("", NULL));
	assert_true(product_matches("9.?p1", "9.6p1"));
	assert_false(product_matches("9.?p1", "9.10p1"));
	assert_false(product_matches("9.?p1", "9.p1"));
	assert_false(product_matches("9.6", "9x6"));               /* '.' is literal */
	assert_true(product_matches("??", "ab"));
	assert_false(product_matches("??", "a"));
	assert_false(product_matches("??", "abc"));
	assert_true(product_matches("a*b*c", "aXbYbZc"));          /* backtracking */
	assert_true(product_matches("a*b*c", "abc"));
	assert_false(product_matches("a*b*c", "acb"));
	assert_true(product_matches("*b", "bbb"));
	assert_true(product_matches("**a**", "a"));
	assert_true(product_matches("[x]", "[X]"));                /* no classes */
	assert_false(product_matches("[x]", "x"));
	assert_true(product_matches("caf\xC3\xA9*", "CAF\xC3\xA9 server"));
	/* '?' takes a whole UTF-8 character (a probe file's product text may
	 * hold one), never half of one. */
	assert_true(product_matches("caf?", "Caf\xC3\xA9"));
	assert_false(product_matches("caf??", "Caf\xC3\xA9"));
	/* Many stars against a long near-miss ends (no exponential search). */
	for (int i = 0; i < 4000; i++)
		g_string_append_c(many, 'a');
	assert_false(product_matches("*a*a*a*a*a*a*a*a*a*a*b", many->str));
	g_string_free(many, TRUE);
}

/* ---- findings writers ---- */

static void add_two(struct findings *f)
{
	struct pl_addr a, b;
	struct finding x = { .kind = FINDING_UNEXPECTED_OPEN, .addr = &a, .host = "=cmd|' /C calc'!A0",
			     .port = 8080, .expected = "22,80", .found = "open", .group = "web, \"dmz\"" };
	struct finding y = { .kind = FINDING_CHANGED_PRODUCT, .addr = &b, .host = NULL, .port = 22,
			     .expected = "Open\xffSSH", .found = "line\nbreak\x01", .group = NULL };
	GError *err = NULL;

	assert_true(pl_addr_parse("192.0.2.7", &a));
	assert_true(pl_addr_parse("2001:db8::1", &b));
	assert_int_equal(findings_add(f, &x, &err), 0);
	assert_int_equal(findings_add(f, &y, &err), 0);
	assert_null(err);
}

/* A fresh temporary directory for findings files. */
static char tmpdir[64];

static const char *tmp_name(const char *name)
{
	static char path[128];

	if (tmpdir[0] == '\0') {
		strcpy(tmpdir, "/tmp/portolan-findings-XXXXXX");
		assert_non_null(mkdtemp(tmpdir));
	}
	g_snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	return path;
}

static int remove_tmp(void **state)
{
	const char *names[] = { "f.csv", "f.json", "f.jsonl", "full.jsonl" };

	if (tmpdir[0] == '\0')
		return 0;
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		(void)unlink(tmp_name(names[i]));
	(void)rmdir(tmpdir);
	tmpdir[0] = '\0';
	return 0;
}

static void test_findings_csv(void **state)
{
	char *path = g_strdup(tmp_name("f.csv"));
	GError *err = NULL;
	struct findings *f;
	char *text;

	f = findings_new(path, &err);
	assert_non_null(f);
	assert_int_equal(findings_open(f, &err), 0);
	add_two(f);
	assert_int_equal(findings_close(f, &err), 0);
	text = slurp(path);
	assert_string_equal(text,
		"kind,ip,host,port,proto,expected,found,group\r\n"
		"unexpected-open,192.0.2.7,\"'=cmd|' /C calc'!A0\",8080,tcp,\"22,80\",open,\"web, \"\"dmz\"\"\"\r\n"
		"changed-product,2001:db8::1,,22,tcp,Open\xEF\xBF\xBDSSH,\"line\nbreak\xEF\xBF\xBD\",\r\n");
	g_free(text);
	assert_int_equal(findings_total(f), 2);
	assert_int_equal(findings_count(f, FINDING_UNEXPECTED_OPEN), 1);
	assert_int_equal(findings_count(f, FINDING_CHANGED_PRODUCT), 1);
	findings_free(f);
	g_free(path);
}

/* A target not scanned has no address and no port: empty in CSV, null
 * in JSON, never a made-up 0. */
static void test_findings_target_not_scanned(void **state)
{
	const struct finding fd = {
		.kind = FINDING_TARGET_NOT_SCANNED, .addr = NULL, .host = "db.example",
		.port = 0, .expected = "scanned", .found = "not resolved (x)", .group = NULL,
	};
	const char *names[] = { "t.csv", "t.json" };
	const char *want[] = {
		"target-not-scanned,,db.example,,tcp,scanned,not resolved (x),\r\n",
		"{\"kind\":\"target-not-scanned\",\"ip\":\"\",\"host\":\"db.example\",\"port\":null,"
		"\"proto\":\"tcp\",\"expected\":\"scanned\",\"found\":\"not resolved (x)\","
		"\"group\":\"\"}",
	};

	for (int i = 0; i < 2; i++) {
		char *path = g_strdup(tmp_name(names[i]));
		GError *err = NULL;
		struct findings *f = findings_new(path, &err);
		char *text;

		assert_non_null(f);
		assert_int_equal(findings_open(f, &err), 0);
		assert_int_equal(findings_add(f, &fd, &err), 0);
		assert_int_equal(findings_close(f, &err), 0);
		text = slurp(path);
		assert_non_null(strstr(text, want[i]));
		assert_int_equal(findings_count(f, FINDING_TARGET_NOT_SCANNED), 1);
		assert_int_equal(findings_total(f), 1);
		g_free(text);
		findings_free(f);
		(void)unlink(path);
		g_free(path);
	}
	assert_string_equal(finding_kind_name(FINDING_TARGET_NOT_SCANNED), "target-not-scanned");
}

static void test_findings_json_and_jsonl(void **state)
{
	char *path = g_strdup(tmp_name("f.json"));
	char *lpath = g_strdup(tmp_name("f.jsonl"));
	GError *err = NULL;
	struct findings *f;
	char *text, **lines;

	f = findings_new(path, &err);
	assert_non_null(f);
	assert_int_equal(findings_open(f, &err), 0);
	add_two(f);
	assert_int_equal(findings_close(f, &err), 0);
	text = slurp(path);
	assert_string_equal(text,
		"{\"portolan\":{\"version\":\"" PORTOLAN_VERSION "\",\"format\":1},\n"
		" \"findings\":[\n"
		"  {\"kind\":\"unexpected-open\",\"ip\":\"192.0.2.7\",\"host\":\"=cmd|' /C calc'!A0\","
		"\"port\":8080,\"proto\":\"tcp\",\"expected\":\"22,80\",\"found\":\"open\","
		"\"group\":\"web, \\\"dmz\\\"\"},\n"
		"  {\"kind\":\"changed-product\",\"ip\":\"2001:db8::1\",\"host\":\"\",\"port\":22,"
		"\"proto\":\"tcp\",\"expected\":\"Open\\ufffdSSH\",\"found\":\"line\\nbreak\\u0001\","
		"\"group\":\"\"}\n"
		" ],\n"
		" \"summary\":{\"unexpected-open\":1,\"required-not-open\":0,\"required-open-filtered\":0,\"unexpected-service\":0,"
		"\"newly-open\":0,\"newly-closed\":0,\"newly-filtered\":0,\"changed-service\":0,"
		"\"changed-product\":1,\"changed-version\":0,\"target-not-scanned\":0,"
		"\"host-down\":0,\"newly-up\":0,\"newly-down\":0,\"tls-version\":0,"
		"\"cert-expired\":0,\"cert-expiring\":0,\"cert-self-signed\":0,"
		"\"cert-unverified\":0,\"weak-key\":0,\"weak-signature\":0,\"san-missing\":0,"
		"\"cert-changed\":0,\"total\":2}}\n");
	g_free(text);
	findings_free(f);

	/* No findings: still a valid document. */
	f = findings_new(path, &err);
	assert_int_equal(findings_open(f, &err), 0);
	assert_int_equal(findings_close(f, &err), 0);
	text = slurp(path);
	assert_true(strstr(text, "\"findings\":[],\n \"summary\":{") != NULL);
	assert_true(g_str_has_suffix(text, "\"total\":0}}\n"));
	g_free(text);
	findings_free(f);

	f = findings_new(lpath, &err);
	assert_int_equal(findings_open(f, &err), 0);
	add_two(f);
	assert_int_equal(findings_close(f, &err), 0);
	text = slurp(lpath);
	assert_true(g_str_has_prefix(text, "{\"kind\":\"unexpected-open\",\"ip\":\"192.0.2.7\","));
	assert_true(g_str_has_suffix(text, "\"group\":\"\"}\n"));
	lines = g_strsplit(text, "\n", -1);
	assert_int_equal(g_strv_length(lines), 3);      /* two lines and the empty rest */
	assert_string_equal(lines[2], "");
	g_strfreev(lines);
	g_free(text);
	findings_free(f);
	g_free(path);
	g_free(lpath);
}

static void test_findings_names_and_failures(void **state)
{
	GError *err = NULL;
	struct findings *f;
	char buf[256];
	FILE *mem;

	assert_null(findings_new("out.txt", &err));
	assert_string_equal(err->message,
			    "cannot tell the format of findings 'out.txt': name it .csv, .json or .jsonl");
	g_clear_error(&err);
	assert_null(findings_new("dir.json/", &err));
	g_clear_error(&err);

	f = findings_new("/nonexistent/dir/f.csv", &err);
	assert_non_null(f);
	assert_int_equal(findings_open(f, &err), -1);
	assert_int_equal(err->domain, PL_ERROR);
	assert_int_equal(err->code, PL_ERROR_RUNTIME);
	assert_true(g_str_has_prefix(err->message, "cannot write findings '/nonexistent/dir/f.csv': "));
	g_clear_error(&err);
	findings_free(f);

	/* A full disk: the first failing record is reported once, and every
	 * finding is still counted. JSON Lines has no header to fail first. */
	if (access("/dev/full", W_OK) == 0) {
		char *name = g_strdup(tmp_name("full.jsonl"));

		assert_int_equal(symlink("/dev/full", name), 0);
		f = findings_new(name, &err);
		assert_int_equal(findings_open(f, &err), 0);
		{
			struct pl_addr a;
			struct finding z = { .kind = FINDING_NEWLY_OPEN, .addr = &a, .port = 1 };

			assert_true(pl_addr_parse("192.0.2.1", &a));
			assert_int_equal(findings_add(f, &z, &err), -1);
			assert_non_null(err);
			assert_true(strstr(err->message, "No space left on device") != NULL);
			g_clear_error(&err);
			assert_int_equal(findings_add(f, &z, &err), 0);
			assert_null(err);
		}
		assert_int_equal(findings_count(f, FINDING_NEWLY_OPEN), 2);
		assert_int_equal(findings_close(f, &err), 0);   /* already reported */
		findings_free(f);
		g_free(name);
	}

	/* Counting only, and the summary line. */
	f = findings_new(NULL, &err);
	assert_non_null(f);
	assert_int_equal(findings_open(f, &err), 0);
	mem = fmemopen(buf, sizeof buf, "w");
	findings_print_summary(f, mem);
	fclose(mem);
	assert_string_equal(buf, "portolan: audit: no findings\n");
	add_two(f);
	{
		struct pl_addr a;
		struct finding z = { .kind = FINDING_UNEXPECTED_OPEN, .addr = &a, .port = 1 };

		assert_true(pl_addr_parse("192.0.2.1", &a));
		assert_int_equal(findings_add(f, &z, &err), 0);
	}
	mem = fmemopen(buf, sizeof buf, "w");
	findings_print_summary(f, mem);
	fclose(mem);
	assert_string_equal(buf, "portolan: audit: 3 findings: 2 unexpected-open, 1 changed-product\n");
	assert_int_equal(findings_close(f, &err), 0);
	findings_free(f);
	assert_string_equal(finding_kind_name(FINDING_KIND_COUNT), "unknown");
}

/* ---- the config and command line hooks ---- */

static char cfg_path[64];

static int teardown(void **state)
{
	if (cfg_path[0] != '\0')
		unlink(cfg_path);
	cfg_path[0] = '\0';
	return 0;
}

static enum settings_status load_cfg(struct settings *s, const char *text, GError **err,
				     const char *extra)
{
	const char *argv[] = { "portolan", "-c", cfg_path, extra, NULL };
	FILE *fp;
	int fd;

	strcpy(cfg_path, "/tmp/portolan-test-XXXXXX");
	fd = mkstemp(cfg_path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fputs(text, fp);
	fclose(fp);
	settings_init(s);
	return settings_load(s, extra != NULL ? 4 : 3, (char **)argv, err);
}

static void test_settings_hooks(void **state)
{
	struct settings s;
	GError *err = NULL;
	char *want;

	assert_int_equal(load_cfg(&s, "targets = \"192.0.2.1\";\nfindings = \"f.csv\";\n"
				  "baseline = \"b.json\";\npolicy = ( { name = \"x\"; "
				  "targets = \"192.0.2.0/24\"; require = 22; } );\n", &err,
				  "--findings=g.json"), SETTINGS_OK);
	assert_non_null(s.policy);
	assert_int_equal(audit_policy_group_count(s.policy), 1);
	assert_string_equal(s.findings_path, "g.json");
	assert_string_equal(s.baseline_path, "b.json");
	settings_clear(&s);
	teardown(NULL);

	/* Policy problems join the other config problems, in file order. */
	assert_int_equal(load_cfg(&s, "thread = 5;\npolicy = ( { name = \"x\"; } );\nretries = 99;\n",
				  &err, NULL), SETTINGS_ERROR);
	want = g_strdup_printf("%s:1: unknown setting 'thread'\n"
			       "%s:2: policy group 'x': no targets\n"
			       "%s:3: setting 'retries': 99 is out of range 0 to 20",
			       cfg_path, cfg_path, cfg_path);
	assert_string_equal(err->message, want);
	g_free(want);
	g_clear_error(&err);
	settings_clear(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_first_match),
		cmocka_unit_test(test_parse_errors_collected),
		cmocka_unit_test(test_parse_negative_port),
		cmocka_unit_test(test_parse_target_escaped),
		cmocka_unit_test(test_check_allow_require),
		cmocka_unit_test(test_check_services),
		cmocka_unit_test(test_check_udp),
		cmocka_unit_test(test_check_services_udp),
		cmocka_unit_test(test_service_globs),
		cmocka_unit_test_teardown(test_findings_csv, remove_tmp),
		cmocka_unit_test_teardown(test_findings_target_not_scanned, remove_tmp),
		cmocka_unit_test_teardown(test_findings_json_and_jsonl, remove_tmp),
		cmocka_unit_test_teardown(test_findings_names_and_failures, remove_tmp),
		cmocka_unit_test_teardown(test_settings_hooks, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
