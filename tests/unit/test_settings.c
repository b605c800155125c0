/* test_settings.c: the four sources of settings and their precedence, and
 * the errors each source reports. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "errors.h"
#include "result.h"
#include "ports.h"
#include "settings.h"

static char cfg_path[64];

static void write_cfg(const char *text)
{
	FILE *fp;
	int fd;

	strcpy(cfg_path, "/tmp/portolan-test-XXXXXX");
	fd = mkstemp(cfg_path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int teardown(void **state)
{
	if (cfg_path[0] != '\0')
		unlink(cfg_path);
	cfg_path[0] = '\0';
	g_unsetenv("PORTOLAN_CONFIG");
	g_unsetenv("PORTOLAN_PORTS");
	g_unsetenv("PORTOLAN_THREADS");
	g_unsetenv("PORTOLAN_EXCLUDE");
	g_unsetenv("PORTOLAN_SHARD");
	return 0;
}

/* Loads settings from an argv given as a NULL-terminated list. */
static enum settings_status load(struct settings *s, GError **err, ...)
{
	const char *argv[32] = { "portolan" };
	int argc = 1;
	va_list ap;

	va_start(ap, err);
	while (argc < 31 && (argv[argc] = va_arg(ap, const char *)) != NULL)
		argc++;
	va_end(ap);
	settings_init(s);
	return settings_load(s, argc, (char **)argv, err);
}

static void test_defaults(void **state)
{
	struct settings s;
	GError *err = NULL;

	assert_int_equal(load(&s, &err, "192.0.2.1", NULL), SETTINGS_OK);
	assert_int_equal(s.threads, 0);    /* automatic */
	assert_int_equal(s.timeout_ms, 1000);
	assert_int_equal(s.retries, 1);
	assert_string_equal(s.states, "open");
	assert_false(s.reverse_dns);
	assert_int_equal(s.targets->len, 1);
	assert_string_equal(s.targets->pdata[0], "192.0.2.1");
	settings_clear(&s);
}

static void test_precedence_cli_env_config_default(void **state)
{
	struct settings s;
	GError *err = NULL;

	write_cfg("ports = \"22\";\nthreads = 10;\ntimeout = 500;\nretries = 4;\n"
		  "targets = [ \"192.0.2.1\", \"192.0.2.2\" ];\nexclude = [ \"192.0.2.2\" ];\n");
	/* config over defaults */
	assert_int_equal(load(&s, &err, "-c", cfg_path, NULL), SETTINGS_OK);
	assert_string_equal(s.ports, "22");
	assert_int_equal(s.threads, 10);
	assert_int_equal(s.targets->len, 2);
	assert_int_equal(s.exclude->len, 1);
	settings_clear(&s);

	/* environment over config; PORTOLAN_CONFIG names the file */
	g_setenv("PORTOLAN_CONFIG", cfg_path, TRUE);
	g_setenv("PORTOLAN_PORTS", "80", TRUE);
	g_setenv("PORTOLAN_THREADS", "20", TRUE);
	assert_int_equal(load(&s, &err, NULL), SETTINGS_OK);
	assert_string_equal(s.ports, "80");
	assert_int_equal(s.threads, 20);
	assert_int_equal(s.timeout_ms, 500);
	settings_clear(&s);

	/* command line over environment; arguments replace config targets;
	 * a command-line list replaces the config's list */
	assert_int_equal(load(&s, &err, "-p", "443", "--threads", "30", "--exclude", "198.51.100.1,198.51.100.2",
			      "--exclude", "198.51.100.3", "198.51.100.0/24", NULL), SETTINGS_OK);
	assert_string_equal(s.ports, "443");
	assert_int_equal(s.threads, 30);
	assert_int_equal(s.retries, 4);
	assert_int_equal(s.targets->len, 1);
	assert_string_equal(s.targets->pdata[0], "198.51.100.0/24");
	assert_int_equal(s.exclude->len, 3);
	assert_string_equal(s.exclude->pdata[2], "198.51.100.3");
	settings_clear(&s);
}

static void test_config_lists_and_joins(void **state)
{
	struct settings s;
	GError *err = NULL;

	write_cfg("ports = ( 22, \"80\", \"8000-8010\" );\nstates = [ \"open\", \"closed\" ];\n"
		  "reverse-dns = true;\nmax-hosts = 4294967296L;\noutput = \"a.csv\";\n");
	assert_int_equal(load(&s, &err, "-c", cfg_path, NULL), SETTINGS_OK);
	assert_string_equal(s.ports, "22,80,8000-8010");
	assert_string_equal(s.states, "open,closed");
	assert_true(s.reverse_dns);
	assert_int_equal(s.max_hosts, 4294967296LL);
	assert_int_equal(s.outputs->len, 1);
	settings_clear(&s);
}

static void test_config_errors_all_collected(void **state)
{
	struct settings s;
	GError *err = NULL;
	char *want;

	write_cfg("thread = 5;\nretries = 99;\nreverse-dns = \"yes\";\ntargets = [ 1 ];\n"
		  "states = \"open\\nshut\";\n");
	assert_int_equal(load(&s, &err, "-c", cfg_path, NULL), SETTINGS_ERROR);
	want = g_strdup_printf("%s:1: unknown setting 'thread'\n"
			       "%s:2: setting 'retries': 99 is out of range 0 to 20\n"
			       "%s:3: setting 'reverse-dns': expected true or false\n"
			       "%s:4: setting 'targets': element 1 is not a string\n"
			       "%s:5: setting 'states': invalid state 'open\\x0ashut': "
			       "expected open, closed, filtered, open|filtered, error, all, up or down",
			       cfg_path, cfg_path, cfg_path, cfg_path, cfg_path);
	assert_non_null(err);
	assert_string_equal(err->message, want);
	g_free(want);
	g_clear_error(&err);
	settings_clear(&s);
}

static void test_config_syntax_error_has_line(void **state)
{
	struct settings s;
	GError *err = NULL;
	char *prefix;

	write_cfg("ports = \"22\";\n\nthreads = ;\n");
	assert_int_equal(load(&s, &err, "-c", cfg_path, NULL), SETTINGS_ERROR);
	prefix = g_strdup_printf("%s:3: ", cfg_path);
	assert_true(g_str_has_prefix(err->message, prefix));
	g_free(prefix);
	g_clear_error(&err);
	settings_clear(&s);

	assert_int_equal(load(&s, &err, "-c", "/nonexistent/x.cfg", NULL), SETTINGS_ERROR);
	assert_string_equal(err->message, "cannot read config '/nonexistent/x.cfg': No such file or directory");
	g_clear_error(&err);
	settings_clear(&s);
}

/* Issue 11/12: a directory is "Is a directory", never "Success"; from the
 * environment the message names the variable. */
static void test_config_directory(void **state)
{
	struct settings s;
	GError *err = NULL;
	char dir[] = "/tmp/portolan-test-dir-XXXXXX";
	char *want;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(load(&s, &err, "-c", dir, "192.0.2.1", NULL), SETTINGS_ERROR);
	want = g_strdup_printf("cannot read config '%s': Is a directory", dir);
	assert_string_equal(err->message, want);
	g_free(want);
	g_clear_error(&err);
	settings_clear(&s);

	g_setenv("PORTOLAN_CONFIG", dir, TRUE);
	assert_int_equal(load(&s, &err, "192.0.2.1", NULL), SETTINGS_ERROR);
	want = g_strdup_printf("environment PORTOLAN_CONFIG: cannot read config '%s': "
			       "Is a directory", dir);
	assert_string_equal(err->message, want);
	g_free(want);
	g_clear_error(&err);
	settings_clear(&s);
	rmdir(dir);
}

/* A UTF-8 byte-order mark at the start is skipped; lines keep their numbers. */
static void test_config_bom(void **state)
{
	struct settings s;
	GError *err = NULL;
	char *prefix;

	write_cfg("\xEF\xBB\xBFports = \"22\";\nthreads = 7;\n");
	assert_int_equal(load(&s, &err, "-c", cfg_path, NULL), SETTINGS_OK);
	assert_string_equal(s.ports, "22");
	assert_int_equal(s.threads, 7);
	settings_clear(&s);
	unlink(cfg_path);

	write_cfg("\xEF\xBB\xBFports = \"22\";\nthreads = ;\n");
	assert_int_equal(load(&s, &err, "-c", cfg_path, NULL), SETTINGS_ERROR);
	prefix = g_strdup_printf("%s:2: ", cfg_path);
	assert_true(g_str_has_prefix(err->message, prefix));
	g_free(prefix);
	g_clear_error(&err);
	settings_clear(&s);
	unlink(cfg_path);

	/* libconfig would stop at a NUL and read half the file. */
	write_cfg("ports = \"22\";\n");
	{
		FILE *fp = fopen(cfg_path, "ab");

		assert_non_null(fp);
		fwrite("threads = 3\0;\n", 1, 14, fp);
		fclose(fp);
	}
	assert_int_equal(load(&s, &err, "-c", cfg_path, NULL), SETTINGS_ERROR);
	prefix = g_strdup_printf("%s:2: line contains a NUL byte", cfg_path);
	assert_string_equal(err->message, prefix);
	g_free(prefix);
	g_clear_error(&err);
	settings_clear(&s);
}

/* A setting repeated through @include: both places and the name. */
static void test_config_duplicate_through_include(void **state)
{
	struct settings s;
	GError *err = NULL;
	char inc[] = "/tmp/portolan-test-inc-XXXXXX";
	char *text, *want;
	int fd = mkstemp(inc);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "# included\nthreads = 2;\nports = \"23\";\n", 38), 38);
	close(fd);
	text = g_strdup_printf("ports = \"22\";\n@include \"%s\"\n", inc);
	write_cfg(text);
	g_free(text);
	assert_int_equal(load(&s, &err, "-c", cfg_path, NULL), SETTINGS_ERROR);
	want = g_strdup_printf("%s:3: setting 'ports' is set twice: here and at %s:1", inc, cfg_path);
	assert_string_equal(err->message, want);
	g_free(want);
	g_clear_error(&err);
	settings_clear(&s);
	unlink(cfg_path);

	/* Two settings on the line: the repeated one is named. */
	write_cfg("threads = 1;\nports = \"22\"; threads = 2;\n");
	assert_int_equal(load(&s, &err, "-c", cfg_path, NULL), SETTINGS_ERROR);
	want = g_strdup_printf("%s:2: setting 'threads' is set twice: here and at %s:1",
			       cfg_path, cfg_path);
	assert_string_equal(err->message, want);
	g_free(want);
	g_clear_error(&err);
	settings_clear(&s);
	unlink(inc);
}

/* A problem in an included file names that file, not the one given. */
static void test_config_problem_in_include(void **state)
{
	struct settings s;
	GError *err = NULL;
	char inc[] = "/tmp/portolan-test-inc-XXXXXX";
	char *text, *want;
	int fd = mkstemp(inc);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\nretries = 99;\n", 15), 15);
	close(fd);
	text = g_strdup_printf("ports = \"22\";\n@include \"%s\"\n", inc);
	write_cfg(text);
	g_free(text);
	assert_int_equal(load(&s, &err, "-c", cfg_path, NULL), SETTINGS_ERROR);
	want = g_strdup_printf("%s:2: setting 'retries': 99 is out of range 0 to 20", inc);
	assert_string_equal(err->message, want);
	g_free(want);
	g_clear_error(&err);
	settings_clear(&s);
	unlink(inc);
}

/* "ports = -5;" would be joined into the open range 1-5: refused. */
static void test_config_negative_port(void **state)
{
	struct settings s;
	GError *err = NULL;
	char *want;

	write_cfg("threads = 1;\nports = ( 22, -5 );\n");
	assert_int_equal(load(&s, &err, "-c", cfg_path, NULL), SETTINGS_ERROR);
	want = g_strdup_printf("%s:2: setting 'ports': -5 is not a port number (1 to 65535); "
			       "write a range as a string, such as \"1-5\"", cfg_path);
	assert_string_equal(err->message, want);
	g_free(want);
	g_clear_error(&err);
	settings_clear(&s);
	unlink(cfg_path);

	write_cfg("ports = \"-5\";\n");
	assert_int_equal(load(&s, &err, "-c", cfg_path, NULL), SETTINGS_OK);
	assert_string_equal(s.ports, "-5");
	settings_clear(&s);
}

static void test_cli_errors(void **state)
{
	static const struct {
		const char *a, *b, *want;
	} cases[] = {
		{ "--bogus", NULL, "unknown option '--bogus' (see --help)" },
		{ "-Z", NULL, "unknown option '-Z' (see --help)" },
		{ "-p", NULL, "option '-p' needs an argument" },
		{ "-t", "70000", "option '-t/--threads': invalid value '70000': expected an integer from 0 to 65536" },
		{ "--timeout", "1s", "option '--timeout': invalid value '1s': expected an integer from 1 to 600000" },
		{ "--timeout", "+100", "option '--timeout': invalid value '+100': expected an integer from 1 to 600000" },
		{ "--timeout", " 100", "option '--timeout': invalid value ' 100': expected an integer from 1 to 600000" },
		{ "--timeout", "100 ", "option '--timeout': invalid value '100 ': expected an integer from 1 to 600000" },
		{ "--seed", "-0", "option '--seed': invalid value '-0': expected an integer from 0 to 9223372036854775807" },
		{ "-t", "+0", "option '-t/--threads': invalid value '+0': expected an integer from 0 to 65536" },
		{ "--states", "open,shut", "option '--states': invalid state 'shut': expected open, closed, filtered, open|filtered, error, all, up or down" },
		{ "-f", "xml2", "option '-f/--format': unknown format 'xml2': expected csv, json, jsonl, xml" },
		{ "--family", "5", "option '--family': invalid family '5': expected any, 4 or 6" },
		{ "-T", "fast", "option '-T/--timing': unknown timing preset 'fast': expected paranoid, polite, normal, aggressive, insane" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct settings s;
		GError *err = NULL;

		assert_int_equal(load(&s, &err, cases[i].a, cases[i].b, NULL), SETTINGS_ERROR);
		assert_non_null(err);
		assert_string_equal(err->message, cases[i].want);
		g_clear_error(&err);
		settings_clear(&s);
	}
}

/* An explicit value beats a preset's, and a preset's (or a default's) value
 * moves to fit it: only two explicit values can conflict. */
static void test_preset_moves_to_fit_explicit(void **state)
{
	static const struct {
		const char *t, *opt, *val;
		int64_t timeout, min, max;
	} cases[] = {
		{ "insane", "--timeout", "500", 500, 50, 500 },
		{ "paranoid", "--timeout", "20000", 20000, 1000, 20000 },
		{ "polite", "--max-timeout", "1000", 1000, 300, 1000 },
		{ "insane", "--min-timeout", "400", 400, 400, 400 },
		{ "paranoid", "--timeout", "200", 200, 200, 10000 },
		{ NULL, "--max-timeout", "50", 50, 50, 50 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct settings s;
		GError *err = NULL;
		enum settings_status st;

		if (cases[i].t != NULL)
			st = load(&s, &err, "-T", cases[i].t, cases[i].opt, cases[i].val, "192.0.2.1", NULL);
		else
			st = load(&s, &err, cases[i].opt, cases[i].val, "192.0.2.1", NULL);
		if (st != SETTINGS_OK)
			fail_msg("case %zu: %s", i, err ? err->message : "?");
		assert_int_equal(s.timeout_ms, cases[i].timeout);
		assert_int_equal(s.min_timeout_ms, cases[i].min);
		assert_int_equal(s.max_timeout_ms, cases[i].max);
		settings_clear(&s);
	}
}

static void test_explicit_timeouts_conflict(void **state)
{
	struct settings s;
	GError *err = NULL;

	assert_int_equal(load(&s, &err, "-T", "insane", "--timeout", "500", "--max-timeout", "400",
			      "192.0.2.1", NULL), SETTINGS_ERROR);
	assert_string_equal(err->message, "max-timeout (400) is below timeout (500)");
	g_clear_error(&err);
	settings_clear(&s);
}

/* nmap's spellings become portolan's settings; nothing is misread. */
static void test_nmap_spellings(void **state)
{
	struct settings s;
	GError *err = NULL;

	/* -oX FILE is XML to FILE, whatever -f says; FILE is no target. */
	assert_int_equal(load(&s, &err, "-oX", "x.xml", "-f", "csv", "192.0.2.1", NULL), SETTINGS_OK);
	assert_int_equal(s.outputs->len, 1);
	assert_string_equal(s.outputs->pdata[0], "x.xml");
	assert_string_equal(s.output_formats->pdata[0], "xml");
	assert_int_equal(s.targets->len, 1);
	assert_string_equal(s.targets->pdata[0], "192.0.2.1");
	settings_clear(&s);

	assert_int_equal(load(&s, &err, "-oA", "base", "-oJ", "-", "-oN", "t.txt", "-o", "c.csv",
			      "192.0.2.1", NULL), SETTINGS_OK);
	assert_int_equal(s.outputs->len, 7);
	assert_string_equal(s.outputs->pdata[3], "base.xml");
	assert_string_equal(s.output_formats->pdata[3], "xml");
	assert_string_equal(s.outputs->pdata[4], "-");
	assert_string_equal(s.output_formats->pdata[4], "json");
	assert_string_equal(s.output_formats->pdata[5], "table");
	assert_string_equal(s.output_formats->pdata[6], "");
	settings_clear(&s);

	/* -sV is detection (not --version), -iL a targets file, -T4 a preset. */
	assert_int_equal(load(&s, &err, "-sV", "-sT", "-Pn", "-iL", "hosts.txt", "-T4", "-n",
			      "--open", "-p-", NULL), SETTINGS_OK);
	assert_true(s.service_detection);
	assert_string_equal(s.targets_file, "hosts.txt");
	assert_string_equal(s.timing, "aggressive");
	assert_int_equal(s.threads, 512);
	assert_false(s.reverse_dns);
	assert_string_equal(s.states, "open");
	assert_string_equal(s.ports, "-");
	settings_clear(&s);

	assert_int_equal(load(&s, &err, "-F", "--exclude-ports", "22", "--max-retries", "3",
			      "192.0.2.1", NULL), SETTINGS_OK);
	assert_int_equal(s.retries, 3);
	assert_string_equal(s.exclude_ports, "22");
	{
		char *top = ports_top_spec(100);

		assert_string_equal(s.ports, top);
		g_free(top);
	}
	/* The N too: a UDP scan ranks its own (plan.c). */
	assert_int_equal(s.top_ports, 100);
	settings_clear(&s);
	assert_int_equal(load(&s, &err, "--top-ports", "7", "192.0.2.1", NULL), SETTINGS_OK);
	assert_int_equal(s.top_ports, 7);
	settings_clear(&s);
	assert_int_equal(load(&s, &err, "-p", "22", "192.0.2.1", NULL), SETTINGS_OK);
	assert_int_equal(s.top_ports, 0);
	settings_clear(&s);

	/* The argument of a portolan option is never rewritten. */
	assert_int_equal(load(&s, &err, "-o", "-sV.csv", "--exclude", "-oX", "192.0.2.1", NULL),
			 SETTINGS_OK);
	assert_string_equal(s.outputs->pdata[0], "-sV.csv");
	assert_false(s.service_detection);
	settings_clear(&s);
}

/* Host discovery: -Pn, -sn and nmap's -P probes; the discovery group of the
 * config (its keys are read there, not at the top); the defaults. */
static void test_discovery_settings(void **state)
{
	struct settings s;
	GError *err = NULL;

	assert_int_equal(load(&s, &err, "192.0.2.1", NULL), SETTINGS_OK);
	assert_false(s.no_discovery);
	assert_false(s.discovery_only);
	assert_int_equal(s.discovery_probes->len, 0);
	assert_string_equal(s.discovery_ports, "80,443,22,445,3389");
	assert_int_equal(s.discovery_timeout_ms, 1000);
	assert_int_equal(s.discovery_retries, 1);
	settings_clear(&s);

	assert_int_equal(load(&s, &err, "-Pn", "192.0.2.1", NULL), SETTINGS_OK);
	assert_true(s.no_discovery);
	settings_clear(&s);
	assert_int_equal(load(&s, &err, "-P0", "-sn", "192.0.2.1", NULL), SETTINGS_OK);
	assert_true(s.no_discovery);
	assert_true(s.discovery_only);
	settings_clear(&s);

	assert_int_equal(load(&s, &err, "-PE", "-PS22,80", "-PA", "-PP", "-PR", "192.0.2.1",
			      NULL), SETTINGS_OK);
	assert_int_equal(s.discovery_probes->len, 6);
	assert_string_equal(s.discovery_probes->pdata[0], "icmp-echo");
	assert_string_equal(s.discovery_probes->pdata[1], "tcp-syn:22");
	assert_string_equal(s.discovery_probes->pdata[2], "80");   /* joined by the plan */
	assert_string_equal(s.discovery_probes->pdata[3], "tcp-ack");
	assert_string_equal(s.discovery_probes->pdata[4], "icmp-timestamp");
	assert_string_equal(s.discovery_probes->pdata[5], "arp");
	settings_clear(&s);

	assert_int_equal(load(&s, &err, "--discovery-timeout", "250", "--discovery-retries", "3",
			      "--discovery-ports", "22", "192.0.2.1", NULL), SETTINGS_OK);
	assert_int_equal(s.discovery_timeout_ms, 250);
	assert_int_equal(s.discovery_retries, 3);
	assert_string_equal(s.discovery_ports, "22");
	settings_clear(&s);

	write_cfg("discovery = { probes = [ \"tcp-connect:22,80\", \"icmp-echo\" ];\n"
		  "  ports = \"8080\"; timeout = 300; retries = 0; };\nno-discovery = true;\n");
	assert_int_equal(load(&s, &err, "-c", cfg_path, NULL), SETTINGS_OK);
	assert_int_equal(s.discovery_probes->len, 2);
	assert_string_equal(s.discovery_probes->pdata[0], "tcp-connect:22,80");
	assert_string_equal(s.discovery_ports, "8080");
	assert_int_equal(s.discovery_timeout_ms, 300);
	assert_int_equal(s.discovery_retries, 0);
	assert_true(s.no_discovery);
	settings_clear(&s);
	unlink(cfg_path);

	/* The group's keys belong in the group; an unknown key there is named. */
	write_cfg("discovery-timeout = 300;\ndiscovery = { timeot = 5; };\n");
	assert_int_equal(load(&s, &err, "-c", cfg_path, NULL), SETTINGS_ERROR);
	assert_non_null(strstr(err->message, "unknown setting 'discovery-timeout'"));
	assert_non_null(strstr(err->message, "unknown setting 'timeot' in group 'discovery'"));
	g_clear_error(&err);
	settings_clear(&s);

	write_cfg("discovery = { retries = 21; };\n");
	assert_int_equal(load(&s, &err, "-c", cfg_path, NULL), SETTINGS_ERROR);
	g_clear_error(&err);
	settings_clear(&s);
}

static void test_nmap_refused(void **state)
{
	static const struct {
		const char *arg, *want;
	} cases[] = {
		{ "-O", "OS detection" }, { "-A", "OS detection" },
		{ "-sST", "one TCP scan type" }, { "-snV", "-sn alone" }, { "-sC", "scripts" },
		{ "-oG", "-oX" }, { "-oS", "-oX" }, { "--script=vuln", "scripts" },
		{ "--script", "scripts" }, { "-sVv", "apart" }, { "-sTSU", "one TCP scan type" },
		{ "-oXfile", "ambiguous" }, { "-iLhosts", "ambiguous" }, { "-PU", "UDP discovery" }, { "-PE22", "only -PS and -PA" },
		{ "--min-rate", "--max-rate" }, { "--max-rtt-timeout", "--max-timeout" },
		{ "-sL", "--dry-run" }, { "-Fv", "-F" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct settings s;
		GError *err = NULL;

		if (load(&s, &err, cases[i].arg, "192.0.2.1", NULL) != SETTINGS_ERROR)
			fail_msg("%s was accepted", cases[i].arg);
		if (strstr(err->message, cases[i].want) == NULL || strchr(err->message, '\n'))
			fail_msg("%s: %s", cases[i].arg, err->message);
		g_clear_error(&err);
		settings_clear(&s);
	}
}

/* The scan method: connect by default; -sS, --method and the config key
 * select SYN; -sT selects connect over a config file's syn; a name that is
 * no method is refused naming the choices, with the file's line. */
static void test_method(void **state)
{
	struct settings s;
	GError *err = NULL;

	assert_int_equal(load(&s, &err, "192.0.2.1", NULL), SETTINGS_OK);
	assert_string_equal(s.method, "connect");
	settings_clear(&s);
	assert_int_equal(load(&s, &err, "-sS", "192.0.2.1", NULL), SETTINGS_OK);
	assert_string_equal(s.method, "syn");
	assert_false(s.service_detection);
	settings_clear(&s);
	assert_int_equal(load(&s, &err, "-sSV", "192.0.2.1", NULL), SETTINGS_OK);
	assert_string_equal(s.method, "syn");
	assert_true(s.service_detection);
	settings_clear(&s);
	assert_int_equal(load(&s, &err, "--method", "syn", "192.0.2.1", NULL), SETTINGS_OK);
	assert_string_equal(s.method, "syn");
	settings_clear(&s);

	write_cfg("method = \"syn\";\n");
	assert_int_equal(load(&s, &err, "-c", cfg_path, "192.0.2.1", NULL), SETTINGS_OK);
	assert_string_equal(s.method, "syn");
	settings_clear(&s);
	assert_int_equal(load(&s, &err, "-c", cfg_path, "-sT", "192.0.2.1", NULL), SETTINGS_OK);
	assert_string_equal(s.method, "connect");
	settings_clear(&s);

	assert_int_equal(load(&s, &err, "-sU", "192.0.2.1", NULL), SETTINGS_OK);
	assert_string_equal(s.method, "udp");
	settings_clear(&s);
	assert_int_equal(load(&s, &err, "-sUV", "192.0.2.1", NULL), SETTINGS_OK);
	assert_string_equal(s.method, "udp");
	assert_true(s.service_detection);
	settings_clear(&s);
	/* nmap's -sS -sU is one scan of both, in either order or one token;
	 * a later TCP type replaces an earlier one; two in one token are
	 * refused. */
	assert_int_equal(load(&s, &err, "-sS", "-sU", "192.0.2.1", NULL), SETTINGS_OK);
	assert_string_equal(s.method, "syn,udp");
	settings_clear(&s);
	assert_int_equal(load(&s, &err, "-sU", "-sT", "192.0.2.1", NULL), SETTINGS_OK);
	assert_string_equal(s.method, "connect,udp");
	settings_clear(&s);
	assert_int_equal(load(&s, &err, "-sSUV", "192.0.2.1", NULL), SETTINGS_OK);
	assert_string_equal(s.method, "syn,udp");
	assert_true(s.service_detection);
	settings_clear(&s);
	assert_int_equal(load(&s, &err, "-sT", "-sU", "-sS", "192.0.2.1", NULL), SETTINGS_OK);
	assert_string_equal(s.method, "syn,udp");
	settings_clear(&s);
	assert_int_equal(load(&s, &err, "-sST", "192.0.2.1", NULL), SETTINGS_ERROR);
	assert_non_null(strstr(err->message, "one TCP scan type at a time"));
	g_clear_error(&err);
	settings_clear(&s);
	assert_int_equal(load(&s, &err, "--method", "udp,connect", "192.0.2.1", NULL), SETTINGS_OK);
	settings_clear(&s);
	assert_int_equal(load(&s, &err, "--method", "syn,connect", "192.0.2.1", NULL),
			 SETTINGS_ERROR);
	assert_non_null(strstr(err->message, "one TCP method at a time"));
	g_clear_error(&err);
	settings_clear(&s);
	write_cfg("method = \"connect,udp\";\n");
	assert_int_equal(load(&s, &err, "-c", cfg_path, "192.0.2.1", NULL), SETTINGS_OK);
	assert_string_equal(s.method, "connect,udp");
	settings_clear(&s);
	assert_int_equal(load(&s, &err, "--method", "sctp", "192.0.2.1", NULL), SETTINGS_ERROR);
	assert_non_null(strstr(err->message, "expected connect, syn or udp"));
	g_clear_error(&err);
	settings_clear(&s);
	write_cfg("ports = \"22\";\nmethod = \"fin\";\n");
	assert_int_equal(load(&s, &err, "-c", cfg_path, "192.0.2.1", NULL), SETTINGS_ERROR);
	assert_non_null(strstr(err->message, ":2:"));
	assert_non_null(strstr(err->message, "unknown scan method 'fin'"));
	g_clear_error(&err);
	settings_clear(&s);
}

static void test_top_ports_and_p_conflict(void **state)
{
	struct settings s;
	GError *err = NULL;

	assert_int_equal(load(&s, &err, "-F", "-p", "22", "192.0.2.1", NULL), SETTINGS_ERROR);
	assert_non_null(strstr(err->message, "--top-ports"));
	g_clear_error(&err);
	settings_clear(&s);
	assert_int_equal(load(&s, &err, "--top-ports", "+5", "192.0.2.1", NULL), SETTINGS_ERROR);
	g_clear_error(&err);
	settings_clear(&s);
	assert_int_equal(load(&s, &err, "-oX", NULL), SETTINGS_ERROR);
	assert_string_equal(err->message, "option '-oX' needs an argument");
	g_clear_error(&err);
	settings_clear(&s);
}

/* A resume file keeps each output's own format. */
static void test_output_formats_saved(void **state)
{
	struct settings s;
	GError *err = NULL;
	config_t cfg;

	assert_int_equal(load(&s, &err, "-oJ", "scan.out", "-o", "b.csv", "192.0.2.1", NULL), SETTINGS_OK);
	config_init(&cfg);
	settings_save(&s, config_root_setting(&cfg));
	settings_clear(&s);
	strcpy(cfg_path, "/tmp/portolan-test-XXXXXX");
	close(mkstemp(cfg_path));
	assert_int_equal(config_write_file(&cfg, cfg_path), CONFIG_TRUE);
	config_destroy(&cfg);
	assert_int_equal(load(&s, &err, "-c", cfg_path, NULL), SETTINGS_OK);
	assert_int_equal(s.outputs->len, 2);
	assert_string_equal(s.output_formats->pdata[0], "json");
	assert_string_equal(s.output_formats->pdata[1], "");
	settings_clear(&s);
	unlink(cfg_path);
	write_cfg("output = [\"a\"];\noutput-formats = [\"xml\", \"csv\"];\ntargets = [\"192.0.2.1\"];\n");
	assert_int_equal(load(&s, &err, "-c", cfg_path, NULL), SETTINGS_ERROR);
	assert_non_null(strstr(err->message, "2 formats for 1 outputs"));
	g_clear_error(&err);
	settings_clear(&s);
}

static void test_env_errors(void **state)
{
	struct settings s;
	GError *err = NULL;

	g_setenv("PORTOLAN_THREADS", "many", TRUE);
	assert_int_equal(load(&s, &err, "192.0.2.1", NULL), SETTINGS_ERROR);
	assert_string_equal(err->message, "environment PORTOLAN_THREADS: invalid value 'many': "
			    "expected an integer from 0 to 65536");
	g_clear_error(&err);
	settings_clear(&s);
	/* Numbers are plain decimal everywhere: no sign, no blanks. */
	g_setenv("PORTOLAN_THREADS", "+8", TRUE);
	assert_int_equal(load(&s, &err, "192.0.2.1", NULL), SETTINGS_ERROR);
	assert_string_equal(err->message, "environment PORTOLAN_THREADS: invalid value '+8': "
			    "expected an integer from 0 to 65536");
	g_clear_error(&err);
	settings_clear(&s);
}

/* The environment rule: every PORTOLAN_* value is checked, and a bad one is
 * an error naming the variable even when the command line overrides it. */
static void test_env_checked_even_when_overridden(void **state)
{
	static const struct {
		const char *var, *value, *opt, *arg, *want;
	} cases[] = {
		{ "PORTOLAN_THREADS", "abc", "-t", "5", "environment PORTOLAN_THREADS: invalid value "
		  "'abc': expected an integer from 0 to 65536" },
		{ "PORTOLAN_PORTS", "70000", "-p", "22", "environment PORTOLAN_PORTS: invalid port "
		  "'70000': out of range 1-65535" },
		{ "PORTOLAN_SHARD", "3/2", "--shard", "1/2", "environment PORTOLAN_SHARD: invalid shard "
		  "'3/2': expected I/N with 1 <= I <= N, e.g. 1/4" },
		{ "PORTOLAN_EXCLUDE", "192.0.2.0/99", "--exclude", "192.0.2.1",
		  "environment PORTOLAN_EXCLUDE: invalid target '192.0.2.0/99': prefix length out of range" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct settings s;
		GError *err = NULL;

		g_setenv(cases[i].var, cases[i].value, TRUE);
		assert_int_equal(load(&s, &err, cases[i].opt, cases[i].arg, "192.0.2.1", NULL),
				 SETTINGS_ERROR);
		assert_non_null(err);
		assert_string_equal(err->message, cases[i].want);
		g_clear_error(&err);
		settings_clear(&s);
		/* Without the option the same error. */
		assert_int_equal(load(&s, &err, "192.0.2.1", NULL), SETTINGS_ERROR);
		assert_string_equal(err->message, cases[i].want);
		g_clear_error(&err);
		settings_clear(&s);
		g_unsetenv(cases[i].var);
	}

	/* Good values pass, and the command line still wins. */
	g_setenv("PORTOLAN_PORTS", "ssh,80", TRUE);
	g_setenv("PORTOLAN_SHARD", "2/3", TRUE);
	g_setenv("PORTOLAN_EXCLUDE", "192.0.2.9,host.example", TRUE);
	{
		struct settings s;
		GError *err = NULL;

		assert_int_equal(load(&s, &err, "-p", "22", "--shard", "1/2", "192.0.2.1", NULL),
				 SETTINGS_OK);
		assert_string_equal(s.ports, "22");
		assert_string_equal(s.shard, "1/2");
		assert_int_equal(s.exclude->len, 2);
		settings_clear(&s);
	}
}

/* Each long-only option's getopt code comes from its row of the table:
 * every one given at once must reach its own setting, and no other. */
static void test_every_long_option_reaches_its_setting(void **state)
{
	struct settings s;
	GError *err = NULL;

	/* load() takes at most 30 arguments: two loads. */
	assert_int_equal(load(&s, &err, "--exclude", "192.0.2.9", "--exclude-file", "ex.txt",
			      "--exclude-ports", "25", "--states", "closed", "--timeout", "1100",
			      "--min-timeout", "110", "--max-timeout", "1200", "--max-rate", "130",
			      "--seed", "140", "--sequential", "--shard", "1/2", "--retries", "3",
			      "--family", "6", "--dry-run", "192.0.2.1", NULL), SETTINGS_OK);
	assert_int_equal(s.exclude->len, 1);
	assert_string_equal(s.exclude->pdata[0], "192.0.2.9");
	assert_string_equal(s.exclude_file, "ex.txt");
	assert_string_equal(s.exclude_ports, "25");
	assert_string_equal(s.states, "closed");
	assert_int_equal(s.timeout_ms, 1100);
	assert_int_equal(s.min_timeout_ms, 110);
	assert_int_equal(s.max_timeout_ms, 1200);
	assert_int_equal(s.max_rate, 130);
	assert_int_equal(s.seed, 140);
	assert_true(s.sequential);
	assert_string_equal(s.shard, "1/2");
	assert_int_equal(s.retries, 3);
	assert_string_equal(s.family, "6");
	assert_true(s.dry_run);
	settings_clear(&s);

	assert_int_equal(load(&s, &err, "--reverse-dns-timeout", "160", "--probes-dir", "pd",
			      "--detect-timeout", "1700", "--banner-wait", "180", "--max-hosts", "190",
			      "--target-window", "200", "--resume-file", "r.resume", "--findings",
			      "f.csv", "--baseline", "b.json", "--resume", "x.resume", NULL),
			 SETTINGS_ERROR);
	/* --resume reached its setting: the file it names is read. */
	assert_non_null(strstr(err->message, "x.resume"));
	g_clear_error(&err);
	settings_clear(&s);
	assert_int_equal(load(&s, &err, "--reverse-dns-timeout", "160", "--probes-dir", "pd",
			      "--detect-timeout", "1700", "--banner-wait", "180", "--max-hosts", "190",
			      "--target-window", "200", "--resume-file", "r.resume", "--findings",
			      "f.csv", "--baseline", "b.json", "192.0.2.1", NULL), SETTINGS_OK);
	assert_int_equal(s.ptr_timeout_ms, 160);
	assert_string_equal(s.probes_dir, "pd");
	assert_int_equal(s.detect_timeout_ms, 1700);
	assert_int_equal(s.banner_wait_ms, 180);
	assert_int_equal(s.max_hosts, 190);
	assert_int_equal(s.target_window, 200);
	assert_string_equal(s.resume_file, "r.resume");
	assert_string_equal(s.findings_path, "f.csv");
	assert_string_equal(s.baseline_path, "b.json");
	assert_false(s.dry_run);
	settings_clear(&s);

	/* The aliases and nmap's long spellings reach their settings too. */
	assert_int_equal(load(&s, &err, "--max-retries", "4", "--excludefile", "e2.txt", "--open",
			      "--ipv4", "--no-reverse-dns", "--top-ports", "1", "192.0.2.1", NULL),
			 SETTINGS_OK);
	assert_int_equal(s.retries, 4);
	assert_string_equal(s.exclude_file, "e2.txt");
	assert_string_equal(s.states, "open");
	assert_string_equal(s.family, "4");
	assert_false(s.reverse_dns);
	assert_non_null(s.ports);
	settings_clear(&s);
}

static void test_states_mask(void **state)
{
	unsigned mask;
	GError *err = NULL;

	assert_int_equal(settings_states_mask("open, filtered", &mask, &err), 0);
	assert_int_equal(mask, (1u << STATE_OPEN) | (1u << STATE_FILTERED));
	assert_int_equal(settings_states_mask("all", &mask, &err), 0);
	/* port states (UDP's open|filtered too): host rows are named */
	assert_int_equal(mask, ((1u << STATE_UP) - 1) | (1u << STATE_OPEN_FILTERED));
	assert_int_equal(settings_states_mask("all,down", &mask, &err), 0);
	assert_int_equal(mask, ((1u << STATE_UP) - 1) | (1u << STATE_OPEN_FILTERED) |
			       (1u << STATE_DOWN));
	assert_int_equal(settings_states_mask("open|filtered", &mask, &err), 0);
	assert_int_equal(mask, 1u << STATE_OPEN_FILTERED);
	assert_int_equal(settings_states_mask(",", &mask, &err), -1);
	g_clear_error(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_defaults, teardown),
		cmocka_unit_test_teardown(test_method, teardown),
		cmocka_unit_test_teardown(test_precedence_cli_env_config_default, teardown),
		cmocka_unit_test_teardown(test_config_lists_and_joins, teardown),
		cmocka_unit_test_teardown(test_config_errors_all_collected, teardown),
		cmocka_unit_test_teardown(test_config_syntax_error_has_line, teardown),
		cmocka_unit_test_teardown(test_config_directory, teardown),
		cmocka_unit_test_teardown(test_config_bom, teardown),
		cmocka_unit_test_teardown(test_config_duplicate_through_include, teardown),
		cmocka_unit_test_teardown(test_config_problem_in_include, teardown),
		cmocka_unit_test_teardown(test_config_negative_port, teardown),
		cmocka_unit_test_teardown(test_cli_errors, teardown),
		cmocka_unit_test_teardown(test_env_errors, teardown),
		cmocka_unit_test_teardown(test_env_checked_even_when_overridden, teardown),
		cmocka_unit_test_teardown(test_nmap_spellings, teardown),
		cmocka_unit_test_teardown(test_nmap_refused, teardown),
		cmocka_unit_test_teardown(test_discovery_settings, teardown),
		cmocka_unit_test_teardown(test_top_ports_and_p_conflict, teardown),
		cmocka_unit_test_teardown(test_output_formats_saved, teardown),
		cmocka_unit_test_teardown(test_preset_moves_to_fit_explicit, teardown),
		cmocka_unit_test_teardown(test_explicit_timeouts_conflict, teardown),
		cmocka_unit_test_teardown(test_states_mask, teardown),
		cmocka_unit_test_teardown(test_every_long_option_reaches_its_setting, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
