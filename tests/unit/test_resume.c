/* test_resume.c: resume files: the window group of a scan with target
 * windows is written and read back, a file without one stays as it was,
 * and a damaged group is refused with its file and line; outputs are
 * recorded and checked against what they hold. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "progress.h"
#include "resume.h"
#include "settings.h"

static char *temp_path(void)
{
	GError *err = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("portolan-resume-XXXXXX", &path, &err);

	if (fd < 0)
		fail_msg("temp file: %s", err->message);
	close(fd);
	return path;
}

static void write_state(const char *path, const struct resume_window *w, uint64_t low,
			const uint64_t *done, size_t ndone)
{
	struct settings s;
	struct metrics_snapshot counts = { .probes = 10, .attempts = 11, .self_connects = 7,
					   .elapsed_s = 1.5,
					   .state = { [STATE_UP] = 3, [STATE_DOWN] = 250 } };
	struct progress *pr = progress_new(low, done, ndone);
	GError *err = NULL;

	settings_init(&s);
	if (resume_write(path, &s, "abc", 100, pr, &counts, w, NULL, 0, &err) != 0)
		fail_msg("write: %s", err->message);
	progress_free(pr);
	settings_clear(&s);
}

static char *file_text(const char *path)
{
	char *text = NULL;

	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	return text;
}

static void test_without_windows_unchanged(void **state)
{
	char *path = temp_path(), *text;
	struct resume_state rs;
	GError *err = NULL;

	write_state(path, NULL, 5, NULL, 0);
	text = file_text(path);
	/* Nothing new in a file of a scan without windows. */
	assert_null(strstr(text, "window"));
	g_free(text);
	assert_int_equal(resume_read(path, &rs, &err), 0);
	assert_false(rs.windowed);
	assert_int_equal(rs.low, 5);
	assert_int_equal(rs.counts.probes, 10);
	/* Self-connects are counted apart from retries, across a resume too. */
	assert_int_equal(rs.counts.self_connects, 7);
	/* Hosts up and down (host rows) survive a resume. */
	assert_int_equal(rs.counts.state[STATE_UP], 3);
	assert_int_equal(rs.counts.state[STATE_DOWN], 250);
	resume_state_clear(&rs);
	unlink(path);
	g_free(path);
}

static void test_window_round_trip(void **state)
{
	char *path = temp_path();
	const uint64_t done[] = { 9, 12 };
	struct resume_window w = { .index = 3, .count = 16, .fingerprint = "f00d",
				   .hosts_before = 300, .tasks_before = 6000 };
	struct resume_state rs;
	GError *err = NULL;

	write_state(path, &w, 7, done, 2);
	assert_int_equal(resume_read(path, &rs, &err), 0);
	assert_true(rs.windowed);
	assert_int_equal(rs.window.index, 3);
	assert_int_equal(rs.window.count, 16);
	assert_string_equal(rs.window.fingerprint, "f00d");
	assert_int_equal(rs.window.hosts_before, 300);
	assert_int_equal(rs.window.tasks_before, 6000);
	assert_int_equal(rs.low, 7);
	assert_int_equal(rs.ndone, 2);
	resume_state_clear(&rs);

	/* A window not begun: no fingerprint, nothing done. */
	w.fingerprint = NULL;
	write_state(path, &w, 0, NULL, 0);
	assert_int_equal(resume_read(path, &rs, &err), 0);
	assert_string_equal(rs.window.fingerprint, "");
	resume_state_clear(&rs);
	unlink(path);
	g_free(path);
}

/* Replaces the first `from` in the file with `to`, and expects the read to
 * fail with "PATH:...what". */
static void expect_damaged(const char *fp, const char *from, const char *to, const char *what)
{
	char *path = temp_path(), *text, *fixed, *want, **parts;
	struct resume_window w = { .index = 3, .count = 16, .fingerprint = (char *)fp };
	struct resume_state rs;
	GError *err = NULL;

	write_state(path, &w, 0, NULL, 0);
	text = file_text(path);
	parts = g_strsplit(text, from, 2);
	assert_non_null(parts[1]);
	fixed = g_strconcat(parts[0], to, parts[1], NULL);
	g_strfreev(parts);
	assert_true(g_file_set_contents(path, fixed, -1, NULL));
	if (resume_read(path, &rs, &err) != -1)
		fail_msg("'%s' -> '%s' accepted", from, to);
	want = g_strdup_printf("%s:", path);
	assert_true(g_str_has_prefix(err->message, want));
	assert_non_null(strstr(err->message, what));
	g_free(want);
	g_clear_error(&err);
	g_free(fixed);
	g_free(text);
	unlink(path);
	g_free(path);
}

static void test_damaged_window(void **state)
{
	static const char bad[] = "resume window group is incomplete";

	expect_damaged("f00d", "index = 3L;", "index = 16L;", bad);
	expect_damaged("f00d", "index = 3L;", "index = -1L;", bad);
	expect_damaged("f00d", "fingerprint = \"f00d\";", "fingerprint = 5;", bad);
	expect_damaged("f00d", "hosts_before = 0L;", "", bad);
	expect_damaged("f00d", "window : \n  {", "window = 3; x : {", bad);
	/* A window not begun has nothing done. */
	expect_damaged("", "low = 0L;", "low = 1L;", bad);
}

/* The done positions and the counts: out of range or missing, refused with
 * the file's name; a file from before self-connects were counted apart
 * (no self_connects) reads as none. */
static void test_damaged_done_and_counts(void **state)
{
	static const char range[] = "done position out of range";
	static const char counts[] = "resume counts are incomplete";
	char *path = temp_path(), *text, **parts, *fixed;
	struct resume_window w = { .index = 3, .count = 16, .fingerprint = "f00d" };
	struct resume_state rs;
	GError *err = NULL;

	expect_damaged("f00d", "done = [ ];", "done = [ 100L ];", range);
	expect_damaged("f00d", "done = [ ];", "done = [ -1L ];", range);
	expect_damaged("f00d", "attempts = 11L;", "", counts);
	expect_damaged("f00d", "filtered = 0L;", "filtered = \"0\";", counts);
	expect_damaged("f00d", "elapsed_s = 1.5;", "elapsed_s = -1.5;", counts);
	expect_damaged("f00d", "elapsed_s = 1.5;", "", counts);

	write_state(path, &w, 0, NULL, 0);
	text = file_text(path);
	parts = g_strsplit(text, "self_connects = 7L;", 2);
	assert_non_null(parts[1]);
	fixed = g_strconcat(parts[0], parts[1], NULL);
	g_strfreev(parts);
	assert_true(g_file_set_contents(path, fixed, -1, NULL));
	if (resume_read(path, &rs, &err) != 0)
		fail_msg("no self_connects: %s", err->message);
	assert_int_equal(rs.counts.self_connects, 0);
	assert_int_equal(rs.counts.attempts, 11);
	assert_true(rs.counts.elapsed_s == 1.5);
	resume_state_clear(&rs);
	g_free(fixed);
	g_free(text);

	/* A file from before host discovery (no up, no down) reads as none. */
	write_state(path, &w, 0, NULL, 0);
	text = file_text(path);
	assert_non_null(strstr(text, "up = 3L;"));
	parts = g_strsplit(text, "up = 3L;", 2);
	fixed = g_strconcat(parts[0], parts[1], NULL);
	g_strfreev(parts);
	g_free(text);
	parts = g_strsplit(fixed, "down = 250L;", 2);
	assert_non_null(parts[1]);
	g_free(fixed);
	fixed = g_strconcat(parts[0], parts[1], NULL);
	g_strfreev(parts);
	assert_true(g_file_set_contents(path, fixed, -1, NULL));
	if (resume_read(path, &rs, &err) != 0)
		fail_msg("no up or down: %s", err->message);
	assert_int_equal(rs.counts.state[STATE_UP], 0);
	assert_int_equal(rs.counts.state[STATE_DOWN], 0);
	assert_int_equal(rs.counts.attempts, 11);
	resume_state_clear(&rs);
	g_free(fixed);
	unlink(path);
	g_free(path);
}

/* The window group's errors name its line. */
static void test_damaged_window_line(void **state)
{
	char *path = temp_path(), *text, *fixed;
	struct resume_window w = { .index = 3, .count = 16, .fingerprint = "" };
	struct resume_state rs;
	GError *err = NULL;
	int line = 1;
	char *at, *want;

	write_state(path, &w, 0, NULL, 0);
	text = file_text(path);
	fixed = g_strdup(text);
	at = strstr(fixed, "count = 16L;");
	assert_non_null(at);
	memcpy(at, "count = 02L;", 12);
	assert_true(g_file_set_contents(path, fixed, -1, NULL));
	at = strstr(fixed, "window :");
	assert_non_null(at);
	for (char *c = fixed; c < at; c++)
		line += *c == '\n';
	assert_int_equal(resume_read(path, &rs, &err), -1);
	want = g_strdup_printf("%s:%d: resume window group is incomplete", path, line);
	assert_string_equal(err->message, want);
	g_free(want);
	g_clear_error(&err);
	g_free(fixed);
	g_free(text);
	unlink(path);
	g_free(path);
}

/* An output is noted, written, read back and checked: unchanged it passes,
 * grown or edited it is refused. */
static void test_outputs_record_and_check(void **state)
{
	char *path = temp_path(), *out = temp_path();
	struct settings s;
	struct metrics_snapshot counts = { .elapsed_s = 1 };
	struct progress *pr = progress_new(0, NULL, 0);
	struct resume_output ro;
	struct resume_state rs;
	GError *err = NULL;
	char big[6000];
	int fd;

	memset(big, 'a', sizeof big);
	assert_true(g_file_set_contents(out, big, sizeof big, NULL));
	fd = open(out, O_RDONLY);
	assert_int_equal(resume_output_note(&ro, out, fd), 0);
	close(fd);
	assert_int_equal(ro.size, 6000);
	settings_init(&s);
	assert_int_equal(resume_write(path, &s, "abc", 100, pr, &counts, NULL, &ro, 1, &err), 0);
	assert_int_equal(resume_read(path, &rs, &err), 0);
	assert_true(rs.outputs_recorded);
	assert_int_equal(rs.noutputs, 1);
	assert_string_equal(rs.outputs[0].tail, ro.tail);
	assert_int_equal(resume_check_output(&rs, path, out, &err), 0);
	big[5999] = 'b';         /* same size, other last byte */
	assert_true(g_file_set_contents(out, big, sizeof big, NULL));
	assert_int_equal(resume_check_output(&rs, path, out, &err), -1);
	assert_non_null(strstr(err->message, "last bytes differ"));
	g_clear_error(&err);
	assert_true(g_file_set_contents(out, big, 100, NULL));
	assert_int_equal(resume_check_output(&rs, path, out, &err), -1);
	assert_non_null(strstr(err->message, "shorter"));
	g_clear_error(&err);
	assert_int_equal(resume_check_output(&rs, path, "elsewhere.csv", &err), -1);
	assert_non_null(strstr(err->message, "no such output was recorded"));
	g_clear_error(&err);
	resume_state_clear(&rs);
	resume_output_clear(&ro);
	settings_clear(&s);
	progress_free(pr);
	unlink(path);
	unlink(out);
	g_free(path);
	g_free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_without_windows_unchanged),
		cmocka_unit_test(test_window_round_trip),
		cmocka_unit_test(test_damaged_window),
		cmocka_unit_test(test_damaged_window_line),
		cmocka_unit_test(test_damaged_done_and_counts),
		cmocka_unit_test(test_outputs_record_and_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
