/* fuzz_config.c: libFuzzer target for the config loader.
 *
 * The input is the text of a libconfig file. It is written to one temporary
 * file, created once per process and rewritten for every input, and loaded
 * with settings_load() as `portolan -c FILE` would; an input whose first
 * line is "#resume" is given as `portolan --resume FILE` instead. No
 * PORTOLAN_* variable is left in the environment, so only the file decides.
 *
 * Properties: a failure sets an error; when it has several lines (problems
 * in the file are collected) each names its FILE:LINE:. A success leaves
 * states that parse and a known family, and survives a round trip: what
 * settings_save() writes (a resume file is written so) loads again, and
 * saving that gives the same text. The values then go where a scan would
 * send them: the ports to ports_parse(), every target and exclusion to
 * target_set_add(), which only parses (names are resolved by
 * target_set_finalize(), never called here), so the run needs no DNS. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <glib.h>

#include "ports.h"
#include "settings.h"
#include "targets.h"
#include "fuzz_common.h"

#define FUZZ_MAX_INPUT 16384

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern char **environ;

static char *config_path;
static char *saved_path;

static void remove_config(void)
{
	if (config_path != NULL)
		unlink(config_path);
	if (saved_path != NULL)
		unlink(saved_path);
}

static char *make_temp(const char *name)
{
	char *path = g_build_filename(g_get_tmp_dir(), name, NULL);
	int fd = mkstemp(path);

	if (fd < 0) {
		perror("fuzz_config: mkstemp");
		abort();
	}
	close(fd);
	return path;
}

static void unset_portolan_env(void)
{
	bool again = true;

	/* unsetenv() reshuffles environ: start over after each removal. */
	while (again) {
		again = false;
		for (char **e = environ; *e != NULL; e++) {
			if (strncmp(*e, "PORTOLAN_", 9) == 0) {
				char *name = g_strndup(*e, strcspn(*e, "="));

				unsetenv(name);
				g_free(name);
				again = true;
				break;
			}
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	fuzz_quiet_glib();
	unset_portolan_env();
	/* libconfig's @include could name /dev/stdin; keep it from waiting. */
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	config_path = make_temp("portolan-fuzz-config.XXXXXX");
	saved_path = make_temp("portolan-fuzz-saved.XXXXXX");
	atexit(remove_config);
	return 0;
}

static void write_config(const uint8_t *data, size_t size)
{
	FILE *f = fopen(config_path, "w");

	if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
		perror("fuzz_config: writing the config file");
		abort();
	}
}

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_config: %s%s%s\n", what, detail ? ": " : "",
		detail ? detail : "");
	abort();
}

/* "FILE:LINE: ..." (FILE may be an @include'd one). */
static bool has_file_line(const char *line)
{
	const char *colon = strchr(line, ':');
	size_t digits;

	if (g_str_has_prefix(line, config_path) && line[strlen(config_path)] == ':')
		colon = line + strlen(config_path);
	if (colon == NULL)
		return false;
	digits = strspn(colon + 1, "0123456789");
	return digits > 0 && colon[1 + digits] == ':' && colon[2 + digits] == ' ';
}

/* Problems in the file are collected one a line, each with its place; the
 * checks made once every source is applied give one line naming the value. */
static void check_error(const GError *err)
{
	char **lines;

	if (err == NULL || err->message == NULL || err->message[0] == '\0')
		fail("settings_load failed without a message", NULL);
	lines = g_strsplit(err->message, "\n", -1);
	for (char **l = lines; lines[1] != NULL && *l != NULL; l++)
		if (!has_file_line(*l))
			fail("a line of a multi-line error has no FILE:LINE:", err->message);
	g_strfreev(lines);
}

static void check_list(const GPtrArray *list, const char *what)
{
	if (list == NULL)
		fail("list is NULL", what);
	for (guint i = 0; i < list->len; i++)
		if (g_ptr_array_index(list, i) == NULL)
			fail("NULL item in list", what);
}

static void check_settings(const struct settings *s)
{
	unsigned mask;
	GError *err = NULL;

	if (s->states == NULL || settings_states_mask(s->states, &mask, &err) < 0)
		fail("loaded states do not parse", s->states);
	if (s->family == NULL || (strcmp(s->family, "any") != 0 &&
				  strcmp(s->family, "4") != 0 &&
				  strcmp(s->family, "6") != 0))
		fail("loaded family is not any, 4 or 6", s->family);
	if (s->ports == NULL)
		fail("ports is NULL", NULL);
	check_list(s->targets, "targets");
	check_list(s->exclude, "exclude");
	check_list(s->outputs, "outputs");
}

/* The settings as settings_save() writes them, as libconfig text. */
static char *save_text(const struct settings *s)
{
	config_t cfg;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	if (fp == NULL)
		abort();
	config_init(&cfg);
	settings_save(s, config_root_setting(&cfg));
	config_write(&cfg, fp);
	config_destroy(&cfg);
	if (fclose(fp) != 0)
		abort();
	return buf;
}

/* A saved config (a resume file is one) must load back to the same
 * settings: saving what was loaded gives the same text again. */
static void check_round_trip(const struct settings *s)
{
	char *argv[] = { "portolan", "-c", saved_path, NULL };
	struct settings again;
	GError *err = NULL;
	char *first = save_text(s), *second;
	FILE *f = fopen(saved_path, "w");

	if (f == NULL || fputs(first, f) == EOF || fclose(f) != 0) {
		perror("fuzz_config: writing the saved config");
		abort();
	}
	settings_init(&again);
	if (settings_load(&again, 3, argv, &err) != SETTINGS_OK) {
		fprintf(stderr, "fuzz_config: saved config:\n%s\n", first);
		fail("a saved config does not load", err ? err->message : NULL);
	}
	second = save_text(&again);
	if (strcmp(first, second) != 0) {
		fprintf(stderr, "fuzz_config: saved:\n%s\nloaded and saved again:\n%s\n",
			first, second);
		fail("settings change on a save and load round trip", NULL);
	}
	free(second);
	free(first);
	settings_clear(&again);
}

/* What a scan does next with the values: parse them. */
static void use_settings(const struct settings *s)
{
	struct target_set *ts = target_set_new();
	struct port_list pl;
	GError *err = NULL;

	if (ports_parse(s->ports, &pl, &err) == 0)
		ports_free(&pl);
	g_clear_error(&err);
	for (guint i = 0; i < s->targets->len; i++) {
		(void)target_set_add(ts, g_ptr_array_index(s->targets, i), &err);
		g_clear_error(&err);
	}
	for (guint i = 0; i < s->exclude->len; i++) {
		(void)target_set_exclude(ts, g_ptr_array_index(s->exclude, i), &err);
		g_clear_error(&err);
	}
	target_set_free(ts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[] = { "portolan", "-c", config_path, NULL };
	struct settings s;
	GError *err = NULL;
	enum settings_status st;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	/* A file that starts with the line "#resume" is given as a resume
	 * file, which may hold a resume group. */
	if (size >= 8 && memcmp(data, "#resume\n", 8) == 0)
		argv[1] = "--resume";
	write_config(data, size);
	settings_init(&s);
	st = settings_load(&s, 3, argv, &err);
	switch (st) {
	case SETTINGS_OK:
		if (err != NULL)
			fail("success with an error set", err->message);
		check_settings(&s);
		check_round_trip(&s);
		use_settings(&s);
		break;
	case SETTINGS_ERROR:
		check_error(err);
		break;
	case SETTINGS_DONE:
	default:
		fail("unexpected status from a config file", NULL);
	}
	g_clear_error(&err);
	settings_clear(&s);
	return 0;
}
