/* test_targetwin.c: the window reader: specfile.c (a targets file a spec at
 * a time, its digest, rewinding, standard input kept in a spool) and
 * targetwin.c (the first pass, windows, exclusions shared by every window,
 * max-hosts per window, seeds). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "specfile.h"
#include "targets.h"
#include "targetwin.h"

/* ---- helpers ---- */

static char *temp_file(const char *text)
{
	GError *err = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("portolan-win-XXXXXX", &path, &err);
	size_t len = strlen(text);

	if (fd < 0)
		fail_msg("temp file: %s", err->message);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static void remove_file(char *path)
{
	unlink(path);
	g_free(path);
}

/* Every spec left in sf, joined by spaces, each with ":line". */
static char *read_all(struct spec_file *sf)
{
	GString *s = g_string_new(NULL);
	const char *spec;
	GError *err = NULL;
	int rc;

	while ((rc = spec_file_next(sf, &spec, &err)) > 0)
		g_string_append_printf(s, "%s%s:%lu", s->len ? " " : "", spec, spec_file_line(sf));
	if (rc < 0)
		fail_msg("read: %s", err->message);
	return g_string_free(s, FALSE);
}

/* The hosts of a finalized set, "a b c". */
static char *hosts_of(const struct target_set *ts)
{
	GString *s = g_string_new(NULL);

	for (uint64_t i = 0; i < target_set_count(ts); i++) {
		struct pl_addr a;
		char buf[PL_ADDRSTRLEN];

		target_set_get(ts, i, &a, NULL);
		pl_addr_format(&a, buf, sizeof(buf));
		g_string_append_printf(s, "%s%s", s->len ? " " : "", buf);
	}
	return g_string_free(s, FALSE);
}

static void expect_window(struct target_windows *tw, uint64_t k, const char *hosts)
{
	struct target_set *ts = NULL;
	GError *err = NULL;
	char *got;

	if (target_windows_load(tw, k, &ts, NULL, &err) != 0)
		fail_msg("window %u: %s", (unsigned)k, err->message);
	got = hosts_of(ts);
	assert_string_equal(got, hosts);
	g_free(got);
	target_set_free(ts);
}

static struct target_windows *open_windows(char *const *specs, size_t n, const char *path,
					   uint64_t size, struct target_set **single)
{
	GError *err = NULL;
	struct target_windows *tw = target_windows_open(specs, n, path, size,
							TARGET_DEFAULT_MAX_HOSTS, single, &err);

	if (tw == NULL)
		fail_msg("open: %s", err->message);
	return tw;
}

/* ---- specfile ---- */

static void test_specfile_tokens_lines_digest(void **state)
{
	static const char text[] = "# hosts\n192.0.2.1\n\n192.0.2.2, 192.0.2.3 # two\n"
				   "\t192.0.2.4,,192.0.2.5\r\nhost-a";
	char *path = temp_file(text);
	GError *err = NULL;
	struct spec_file *sf = spec_file_open(path, false, &err);
	char *got, *want;

	assert_non_null(sf);
	got = read_all(sf);
	assert_string_equal(got, "192.0.2.1:2 192.0.2.2:4 192.0.2.3:4 192.0.2.4:5 "
			    "192.0.2.5:5 host-a:6");
	g_free(got);
	/* The digest is of the bytes, comments and all. */
	want = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
	assert_string_equal(spec_file_digest(sf), want);
	g_free(want);

	/* A rewind reads the same specs with the same lines; the digest stays. */
	assert_int_equal(spec_file_rewind(sf, &err), 0);
	got = read_all(sf);
	assert_string_equal(got, "192.0.2.1:2 192.0.2.2:4 192.0.2.3:4 192.0.2.4:5 "
			    "192.0.2.5:5 host-a:6");
	g_free(got);
	want = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
	assert_string_equal(spec_file_digest(sf), want);
	g_free(want);
	spec_file_close(sf);
	remove_file(path);
}

static void test_specfile_errors(void **state)
{
	GError *err = NULL;
	char *path = temp_file("192.0.2.1\n\n192.0.2.2\n");
	struct spec_file *sf;
	const char *spec;
	char *want;

	assert_null(spec_file_open("/nonexistent/t.txt", false, &err));
	assert_string_equal(err->message, "cannot open '/nonexistent/t.txt': No such file or directory");
	g_clear_error(&err);

	/* temp_file stops at the NUL: write the line by hand. */
	FILE *f = fopen(path, "a");

	assert_non_null(f);
	fwrite("a\0b\n", 1, 4, f);
	fclose(f);
	sf = spec_file_open(path, false, &err);
	assert_non_null(sf);
	assert_int_equal(spec_file_next(sf, &spec, &err), 1);
	assert_int_equal(spec_file_next(sf, &spec, &err), 1);
	assert_int_equal(spec_file_next(sf, &spec, &err), -1);
	want = g_strdup_printf("%s:4: line contains a NUL byte", path);
	assert_string_equal(err->message, want);
	g_free(want);
	g_clear_error(&err);
	spec_file_close(sf);
	remove_file(path);
}

/* Standard input is a pipe here: it can be read twice only through the
 * spool. */
static void test_specfile_stdin_spool(void **state)
{
	static const char text[] = "192.0.2.1 192.0.2.2\n192.0.2.3\n";
	int fds[2], saved = dup(0);
	GError *err = NULL;
	struct spec_file *sf;
	char *got;

	assert_true(saved >= 0);
	for (int spool = 0; spool < 2; spool++) {
		assert_int_equal(pipe(fds), 0);
		assert_int_equal(write(fds[1], text, strlen(text)), (ssize_t)strlen(text));
		close(fds[1]);
		assert_int_equal(dup2(fds[0], 0), 0);
		close(fds[0]);
		clearerr(stdin);
		sf = spec_file_open("-", spool != 0, &err);
		assert_non_null(sf);
		assert_string_equal(spec_file_label(sf), "<stdin>");
		got = read_all(sf);
		assert_string_equal(got, "192.0.2.1:1 192.0.2.2:1 192.0.2.3:2");
		g_free(got);
		if (spool) {
			assert_int_equal(spec_file_rewind(sf, &err), 0);
			got = read_all(sf);
			assert_string_equal(got, "192.0.2.1:1 192.0.2.2:1 192.0.2.3:2");
			g_free(got);
		} else {
			assert_int_equal(spec_file_rewind(sf, &err), -1);
			assert_string_equal(err->message,
					    "cannot read '<stdin>' again: it is not a regular file");
			g_clear_error(&err);
		}
		spec_file_close(sf);
	}
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	clearerr(stdin);
}

/* ---- windows ---- */

/* Everything in one window: the set handed back holds every spec, and
 * finalizes as if built by target_set_add and target_set_add_file. */
static void test_single_window(void **state)
{
	char *path = temp_file("192.0.2.3\n192.0.2.1-2\n");
	char *given[] = { "192.0.2.9" };
	struct target_set *single = NULL;
	struct target_windows *tw = open_windows(given, 1, path, 3, &single);
	GError *err = NULL;
	char *got;

	assert_int_equal(target_windows_specs(tw), 3);
	assert_int_equal(target_windows_count(tw), 1);
	assert_non_null(single);
	assert_int_equal(target_set_finalize(single, TARGET_FAMILY_ANY, 100, &err), 0);
	got = hosts_of(single);
	assert_string_equal(got, "192.0.2.1 192.0.2.2 192.0.2.3 192.0.2.9");
	g_free(got);
	target_set_free(single);
	target_windows_free(tw);
	remove_file(path);
}

/* Windows of 3 specs: the given ones first, then the file in order; each
 * window deduplicated on its own; a host in two windows is in both; the
 * exclusions apply to every window; windows load in any order. */
static void test_windows_partition(void **state)
{
	char *path = temp_file("# eleven specs\n192.0.2.1 192.0.2.2\n192.0.2.1\n"
			       "192.0.2.10-12, 192.0.2.11\n192.0.2.1\n"
			       "192.0.2.20/31\n192.0.2.30\n192.0.2.31 192.0.2.40\n");
	char *given[] = { "192.0.2.2" };
	struct target_set *single = NULL, *ex = target_set_new_window(NULL);
	struct target_windows *tw = open_windows(given, 1, path, 3, &single);
	GError *err = NULL;

	assert_null(single);
	assert_int_equal(target_windows_specs(tw), 11);
	assert_int_equal(target_windows_count(tw), 4);
	assert_int_equal(target_set_exclude(ex, "192.0.2.31", &err), 0);
	assert_int_equal(target_windows_exclude(tw, ex, TARGET_FAMILY_ANY, &err), 0);

	expect_window(tw, 0, "192.0.2.1 192.0.2.2");
	expect_window(tw, 1, "192.0.2.1 192.0.2.10 192.0.2.11 192.0.2.12");
	expect_window(tw, 2, "192.0.2.1 192.0.2.20 192.0.2.21 192.0.2.30");
	expect_window(tw, 3, "192.0.2.40");
	/* Backwards (a rewind) and skipping ahead (a resume). */
	expect_window(tw, 1, "192.0.2.1 192.0.2.10 192.0.2.11 192.0.2.12");
	expect_window(tw, 3, "192.0.2.40");
	target_windows_free(tw);
	remove_file(path);
}

/* The window the plan reads ahead is the one the scan loads, handed over
 * as it is, with its digest; other windows and later loads read the file. */
static void test_preload(void **state)
{
	char *path = temp_file("192.0.2.1\n192.0.2.2\n192.0.2.3\n192.0.2.4\n192.0.2.5\n");
	struct target_set *single = NULL, *ts = NULL, *again = NULL;
	struct target_windows *tw = open_windows(NULL, 0, path, 2, &single);
	const struct target_set *pre;
	const char *pre_digest = NULL;
	char *digest = NULL, *digest2 = NULL, *got;
	GError *err = NULL;

	assert_null(single);
	assert_int_equal(target_windows_exclude(tw, target_set_new_window(NULL), TARGET_FAMILY_ANY,
						&err), 0);
	assert_null(target_windows_preloaded(tw, NULL));
	assert_int_equal(target_windows_preload(tw, 1, &err), 0);
	pre = target_windows_preloaded(tw, &pre_digest);
	assert_non_null(pre);
	assert_non_null(pre_digest);
	got = hosts_of(pre);
	assert_string_equal(got, "192.0.2.3 192.0.2.4");
	g_free(got);

	assert_int_equal(target_windows_load(tw, 1, &ts, &digest, &err), 0);
	assert_ptr_equal(ts, pre);
	assert_string_equal(digest, pre_digest);
	assert_null(target_windows_preloaded(tw, NULL));
	/* Loaded again: read from the file, the same hosts and digest. */
	assert_int_equal(target_windows_load(tw, 1, &again, &digest2, &err), 0);
	assert_ptr_not_equal(again, ts);
	assert_string_equal(digest2, digest);
	target_set_free(again);
	g_free(digest2);
	expect_window(tw, 2, "192.0.2.5");
	target_set_free(ts);
	g_free(digest);

	/* One never loaded is freed with the windows. */
	assert_int_equal(target_windows_preload(tw, 0, &err), 0);
	expect_window(tw, 2, "192.0.2.5");
	assert_non_null(target_windows_preloaded(tw, NULL));
	target_windows_free(tw);
	remove_file(path);
}

/* A window can be empty: it holds only excluded hosts. */
static void test_empty_window(void **state)
{
	char *path = temp_file("192.0.2.1\n192.0.2.5\n192.0.2.2\n");
	struct target_set *single = NULL, *ex = target_set_new_window(NULL);
	struct target_windows *tw = open_windows(NULL, 0, path, 1, &single);
	GError *err = NULL;

	assert_int_equal(target_set_exclude(ex, "192.0.2.5", &err), 0);
	assert_int_equal(target_windows_exclude(tw, ex, TARGET_FAMILY_ANY, &err), 0);
	expect_window(tw, 0, "192.0.2.1");
	expect_window(tw, 1, "");
	expect_window(tw, 2, "192.0.2.2");
	target_windows_free(tw);
	remove_file(path);
}

/* The first pass reads the whole file: a bad line far beyond the first
 * window is found before any window is loaded. */
static void test_first_pass_errors(void **state)
{
	GString *text = g_string_new(NULL);
	struct target_set *single = NULL;
	GError *err = NULL;
	char *given[] = { "10.0.0.0/33" };
	char *path, *want;

	for (int i = 0; i < 500; i++)
		g_string_append_printf(text, "192.0.%d.%d\n", i / 200, i % 200 + 1);
	g_string_append(text, "192.0.9.1 192.0.9.300\n192.0.9.2\n");
	path = temp_file(text->str);
	g_string_free(text, TRUE);

	assert_null(target_windows_open(NULL, 0, path, 10, TARGET_DEFAULT_MAX_HOSTS, &single,
					&err));
	assert_null(single);
	want = g_strdup_printf("%s:501: invalid target '192.0.9.300'", path);
	assert_string_equal(err->message, want);
	g_free(want);
	g_clear_error(&err);

	/* A given spec is named without a file and line. */
	assert_null(target_windows_open(given, 1, path, 10, TARGET_DEFAULT_MAX_HOSTS, &single,
					&err));
	assert_string_equal(err->message, "invalid target '10.0.0.0/33': prefix length out of range");
	g_clear_error(&err);

	assert_null(target_windows_open(NULL, 0, "/nonexistent/t.txt", 10, 1, &single, &err));
	assert_string_equal(err->message, "cannot open '/nonexistent/t.txt': No such file or directory");
	g_clear_error(&err);
	remove_file(path);
}

/* max-hosts holds per window: counted on the literals in the first pass,
 * checked exactly (exclusions subtracted) before the scan. */
static void test_max_hosts_per_window(void **state)
{
	char *path = temp_file("10.0.0.0/24\n10.0.1.0/24\n10.0.2.0/24\n10.0.4.0/23\n");
	struct target_set *single = NULL, *ex;
	struct target_windows *tw;
	GError *err = NULL;
	char *want;

	/* 256 hosts a window, 512 in the last: under 300 once 10.0.5.0/24 is
	 * excluded. */
	tw = target_windows_open(NULL, 0, path, 1, 300, &single, &err);
	assert_non_null(tw);
	ex = target_set_new_window(NULL);
	assert_int_equal(target_set_exclude(ex, "10.0.5.0/24", &err), 0);
	assert_int_equal(target_windows_exclude(tw, ex, TARGET_FAMILY_ANY, &err), 0);
	target_windows_free(tw);

	/* Excluding less leaves 384: the window and its line are named. */
	tw = target_windows_open(NULL, 0, path, 1, 300, &single, &err);
	assert_non_null(tw);
	ex = target_set_new_window(NULL);
	assert_int_equal(target_set_exclude(ex, "10.0.5.0/25", &err), 0);
	assert_int_equal(target_windows_exclude(tw, ex, TARGET_FAMILY_ANY, &err), -1);
	want = g_strdup_printf("%s line 4 (window 4 of 4): target space of 384 hosts exceeds "
			       "max-hosts (300); raise max-hosts to scan it", path);
	assert_string_equal(err->message, want);
	g_free(want);
	g_clear_error(&err);
	target_windows_free(tw);

	tw = target_windows_open(NULL, 0, path, 2, 300, &single, &err);
	assert_non_null(tw);
	assert_int_equal(target_windows_exclude(tw, target_set_new_window(NULL),
						TARGET_FAMILY_ANY, &err), -1);
	want = g_strdup_printf("%s lines 1-2 (window 1 of 2): target space of 512 hosts exceeds "
			       "max-hosts (300); raise max-hosts to scan it", path);
	assert_string_equal(err->message, want);
	g_free(want);
	g_clear_error(&err);
	target_windows_free(tw);
	remove_file(path);
}

/* The digest follows the file's bytes and the window size. */
static char *digest_of(const char *text, uint64_t size)
{
	char *path = temp_file(text);
	struct target_set *single = NULL;
	struct target_windows *tw = open_windows(NULL, 0, path, size, &single);
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	GError *err = NULL;
	char *hex;

	assert_null(single);
	assert_int_equal(target_windows_exclude(tw, target_set_new_window(NULL),
						TARGET_FAMILY_ANY, &err), 0);
	target_windows_digest(tw, sum);
	hex = g_strdup(g_checksum_get_string(sum));
	g_checksum_free(sum);
	target_windows_free(tw);
	remove_file(path);
	return hex;
}

static void test_digest(void **state)
{
	char *a = digest_of("192.0.2.1\n192.0.2.2\n", 1);
	char *b = digest_of("192.0.2.1\n192.0.2.2\n", 1);
	char *c = digest_of("192.0.2.1\n192.0.2.3\n", 1);
	char *d = digest_of("192.0.2.1 # same hosts\n192.0.2.2\n", 1);

	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_string_not_equal(a, d);
	g_free(a);
	g_free(b);
	g_free(c);
	g_free(d);
}

static void test_seeds(void **state)
{
	assert_int_equal(target_windows_seed(0, 0), 0);
	assert_int_equal(target_windows_seed(0, 7), 0);
	assert_int_equal(target_windows_seed(42, 3), target_windows_seed(42, 3));
	assert_int_not_equal(target_windows_seed(42, 0), target_windows_seed(42, 1));
	assert_int_not_equal(target_windows_seed(42, 0), target_windows_seed(43, 0));
	assert_int_not_equal(target_windows_seed(42, 0), 0);
}

/* A long file costs one window of memory: the reader's peak allocation
 * does not grow with the number of windows. Here only the counts are
 * checked (the process's peak RSS is checked by test-windows). */
static void test_many_windows(void **state)
{
	GString *text = g_string_new(NULL);
	struct target_set *single = NULL;
	struct target_windows *tw;
	GError *err = NULL;
	uint64_t hosts = 0;
	char *path;

	for (int i = 0; i < 20000; i++)
		g_string_append_printf(text, "10.%d.%d.%d\n", i >> 16, (i >> 8) & 255, i & 255);
	path = temp_file(text->str);
	g_string_free(text, TRUE);
	tw = open_windows(NULL, 0, path, 1000, &single);
	assert_int_equal(target_windows_count(tw), 20);
	assert_int_equal(target_windows_exclude(tw, target_set_new_window(NULL),
						TARGET_FAMILY_ANY, &err), 0);
	for (uint64_t k = 0; k < 20; k++) {
		struct target_set *ts;

		assert_int_equal(target_windows_load(tw, k, &ts, NULL, &err), 0);
		assert_int_equal(target_set_count(ts), 1000);
		hosts += target_set_count(ts);
		target_set_free(ts);
	}
	assert_int_equal(hosts, 20000);
	target_windows_free(tw);
	remove_file(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_specfile_tokens_lines_digest),
		cmocka_unit_test(test_specfile_errors),
		cmocka_unit_test(test_specfile_stdin_spool),
		cmocka_unit_test(test_single_window),
		cmocka_unit_test(test_windows_partition),
		cmocka_unit_test(test_preload),
		cmocka_unit_test(test_empty_window),
		cmocka_unit_test(test_first_pass_errors),
		cmocka_unit_test(test_max_hosts_per_window),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_seeds),
		cmocka_unit_test(test_many_windows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) != 0;
}
