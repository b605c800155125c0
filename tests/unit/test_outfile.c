/* test_outfile.c: the output-file module (outfile.h) and the run's outputs
 * (outputs.h): exclusive creation, no truncation before it is asked for,
 * cutting back to the last complete record, removing only what was
 * created, "-" as stdout and FIFOs as streams. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <glib.h>

#include "errors.h"
#include "outfile.h"
#include "outputs.h"
#include "resume.h"

static char dir[64];

static int setup(void **state)
{
	strcpy(dir, "/tmp/portolan-outfile-XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", dir);
	int rc = system(cmd);

	g_free(cmd);
	return rc == 0 ? 0 : -1;
}

static char *path_of(const char *name)
{
	return g_build_filename(dir, name, NULL);
}

static char *slurp(const char *path)
{
	char *text = NULL;

	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	return text;
}

/* A file this run creates is removed by discard; one that was there is
 * neither truncated by opening nor removed by discard. */
static void test_created_removed_existing_kept(void **state)
{
	char *made = path_of("made.csv"), *old = path_of("old.csv");
	struct outfile *f;

	f = outfile_open(made, OUTFILE_READ, 0644);
	assert_non_null(f);
	assert_true(g_file_test(made, G_FILE_TEST_EXISTS));
	assert_true(outfile_is_regular(f));
	assert_false(outfile_is_stdout(f));
	outfile_discard(f);
	assert_false(g_file_test(made, G_FILE_TEST_EXISTS));

	assert_true(g_file_set_contents(old, "keep me\n", -1, NULL));
	f = outfile_open(old, OUTFILE_READ, 0644);
	assert_non_null(f);
	outfile_discard(f);
	{
		char *text = slurp(old);

		assert_string_equal(text, "keep me\n");
		g_free(text);
	}
	g_free(made);
	g_free(old);
}

/* Truncation waits for outfile_truncate; a scratch file goes whoever made it. */
static void test_truncate_and_scratch(void **state)
{
	char *old = path_of("old.json"), *text;
	struct outfile *f;

	assert_true(g_file_set_contents(old, "previous scan\n", -1, NULL));
	f = outfile_open(old, OUTFILE_READ, 0644);
	assert_non_null(f);
	text = slurp(old);
	assert_string_equal(text, "previous scan\n");
	g_free(text);
	assert_int_equal(outfile_truncate(f), 0);
	fputs("new", outfile_fp(f));
	assert_int_equal(outfile_close(f), 0);
	text = slurp(old);
	assert_string_equal(text, "new");
	g_free(text);

	f = outfile_open(old, OUTFILE_SCRATCH, 0666);
	assert_non_null(f);
	outfile_discard(f);
	assert_false(g_file_test(old, G_FILE_TEST_EXISTS));
	g_free(old);
}

/* After a failed write the file is cut back to its last complete record. */
static void test_cut_back(void **state)
{
	char *p = path_of("cut.jsonl"), *text;
	struct outfile *f = outfile_open(p, OUTFILE_READ, 0644);

	assert_non_null(f);
	assert_int_equal(outfile_truncate(f), 0);
	fputs("{\"a\":1}\n", outfile_fp(f));
	fflush(outfile_fp(f));
	outfile_mark(f);
	fputs("{\"b\":", outfile_fp(f));
	fflush(outfile_fp(f));
	outfile_cut(f);
	assert_int_equal(outfile_close(f), 0);
	text = slurp(p);
	assert_string_equal(text, "{\"a\":1}\n");
	g_free(text);
	g_free(p);
}

/* Continuing needs the file as it is, opened for reading too; a file
 * that cannot be read cannot be continued, while a new scan still writes
 * it. A missing directory is an error with errno. */
static void test_continue_and_errors(void **state)
{
	char *p = path_of("cont.csv"), *text;
	struct outfile *f;
	char buf[16];

	assert_true(g_file_set_contents(p, "a\r\n", -1, NULL));
	f = outfile_open(p, OUTFILE_READ | OUTFILE_CONTINUE, 0644);
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof buf, outfile_fp(f)));
	assert_string_equal(buf, "a\r\n");
	assert_int_equal(fseeko(outfile_fp(f), 0, SEEK_END), 0);
	fputs("b\r\n", outfile_fp(f));
	outfile_discard(f);             /* not created now: kept */
	text = slurp(p);
	assert_string_equal(text, "a\r\nb\r\n");
	g_free(text);

	if (geteuid() != 0) {
		/* root reads whatever the mode says */
		assert_int_equal(chmod(p, 0200), 0);
		errno = 0;
		assert_null(outfile_open(p, OUTFILE_READ | OUTFILE_CONTINUE, 0644));
		assert_int_equal(errno, EACCES);
		f = outfile_open(p, OUTFILE_READ, 0644);
		assert_non_null(f);
		outfile_discard(f);
	}
	g_free(p);

	p = path_of("no/such/dir.csv");
	errno = 0;
	assert_null(outfile_open(p, OUTFILE_READ, 0644));
	assert_int_equal(errno, ENOENT);
	g_free(p);
}

/* "-" is stdout only when asked; a FIFO is a stream: never truncated, cut
 * or removed. */
static void test_stdout_and_fifo(void **state)
{
	char *fifo = path_of("fifo"), *dash, *cwd;
	struct outfile *f = outfile_open("-", OUTFILE_DASH_STDOUT, 0644);

	assert_non_null(f);
	assert_true(outfile_is_stdout(f));
	assert_ptr_equal(outfile_fp(f), stdout);
	assert_int_equal(outfile_truncate(f), 0);
	outfile_discard(f);             /* stdout stays open */
	assert_int_not_equal(fflush(stdout), EOF);

	/* Without the flag "-" is a file of that name. */
	cwd = g_get_current_dir();
	assert_int_equal(chdir(dir), 0);
	f = outfile_open("-", 0, 0644);
	assert_non_null(f);
	assert_false(outfile_is_stdout(f));
	dash = path_of("-");
	assert_true(g_file_test(dash, G_FILE_TEST_IS_REGULAR));
	outfile_discard(f);
	assert_false(g_file_test(dash, G_FILE_TEST_EXISTS));
	g_free(dash);
	assert_int_equal(chdir(cwd), 0);
	g_free(cwd);

	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* Read access opens a FIFO without waiting for a reader. */
	f = outfile_open(fifo, OUTFILE_READ, 0644);
	assert_non_null(f);
	assert_false(outfile_is_regular(f));
	assert_int_equal(outfile_truncate(f), 0);
	outfile_discard(f);
	assert_true(g_file_test(fifo, G_FILE_TEST_EXISTS));
	g_free(fifo);
}

/* The run's outputs: opening one that fails removes the files created
 * before it, and keeps those that were there. */
static void test_outputs_open_failure_removes_created(void **state)
{
	GPtrArray *specs = g_ptr_array_new();
	struct output_spec a = { .path = path_of("a.csv"), .ops = &writer_csv };
	struct output_spec b = { .path = path_of("b.json"), .ops = &writer_json };
	struct output_spec bad = { .path = path_of("none/c.xml"), .ops = &writer_xml };
	GError *err = NULL;
	char *text;

	assert_true(g_file_set_contents(b.path, "old", -1, NULL));
	g_ptr_array_add(specs, &a);
	g_ptr_array_add(specs, &b);
	g_ptr_array_add(specs, &bad);
	assert_null(outputs_open(specs, false, &err));
	assert_int_equal(err->code, PL_ERROR_RUNTIME);
	assert_true(g_str_has_prefix(err->message, "cannot write output '"));
	g_clear_error(&err);
	assert_false(g_file_test(a.path, G_FILE_TEST_EXISTS));
	text = slurp(b.path);
	assert_string_equal(text, "old");
	g_free(text);

	/* Without the bad one: opened, truncated only when asked, noted. */
	g_ptr_array_set_size(specs, 2);
	{
		struct outputs *o = outputs_open(specs, false, &err);
		struct resume_output *ros;
		size_t n;

		assert_non_null(o);
		text = slurp(b.path);
		assert_string_equal(text, "old");
		g_free(text);
		assert_int_equal(outputs_truncate(o, &err), 0);
		assert_int_equal(outputs_note(o, &ros, &n, &err), 0);
		assert_int_equal(n, 2);
		assert_string_equal(ros[1].path, b.path);
		assert_int_equal(ros[1].size, 0);
		resume_outputs_free(ros, n);
		outputs_free(o);
	}
	assert_true(g_file_test(a.path, G_FILE_TEST_EXISTS));
	g_ptr_array_free(specs, TRUE);
	g_free(a.path);
	g_free(b.path);
	g_free(bad.path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_created_removed_existing_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncate_and_scratch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cut_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_continue_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdout_and_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outputs_open_failure_removes_created, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
