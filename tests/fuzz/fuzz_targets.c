/* fuzz_targets.c: libFuzzer target for target specs and the target set.
 *
 * Input: one option byte, then text.
 *   bits 0-1  family for names: any, 4, 6, any
 *   bits 2-4  max_hosts, from max_hosts_table
 *   bit 5     the text is a targets file (target_set_add_file) instead of
 *             one spec a line; bit 6 then reads it as an exclude file
 *   bit 7     windows: the next byte sets a window size (1 to 16 specs), the
 *             rest is a targets file read by targetwin.c as well as by
 *             target_set_add_file, and the two must agree
 * In line mode a line starting with '!' is an exclusion, any other line a
 * target.
 *
 * Hermetic: this file defines getaddrinfo() and freeaddrinfo(), which take
 * precedence over libc's (and over the sanitizer's interceptor, which is a
 * weak symbol) in this executable. The fake resolver answers every name from
 * the name's own bytes, with no network, no DNS and no /etc/hosts, so name
 * handling in target_set_finalize() is covered too.
 *
 * Properties checked after a successful finalize: 0 < count <= max_hosts;
 * hosts come in strictly ascending order (IPv4 before IPv6) at every sampled
 * index; a host carrying a name has the requested family; and, when the set is
 * small enough to walk whole, a plain address given as a target is present
 * unless excluded, and a plain address given as an exclusion is absent.
 *
 * In windows mode: the first pass fails exactly when target_set_add_file
 * fails, with the same message; within one window the set it hands back
 * finalizes as the whole file's does; over several, every window's hosts
 * are hosts of the whole file's set, and together they are all of them. */
#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <glib.h>

#include "addr.h"
#include "targets.h"
#include "targetwin.h"
#include "fuzz_common.h"

#define FUZZ_MAX_INPUT 4096
/* Sets up to this size are walked host by host; larger ones are sampled. */
#define WALK_MAX 4096
#define SAMPLES 512

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint64_t max_hosts_table[8] = {
	1, 2, 16, 256, 65536, TARGET_DEFAULT_MAX_HOSTS, TARGET_LIMIT_MAX_HOSTS,
	UINT64_MAX,
};

static char *file_path;

/* ---- the fake resolver ---- */

struct fake_ai {
	struct addrinfo ai;
	struct sockaddr_storage ss;
};

static struct addrinfo *fake_entry(int family, const char *name, size_t k)
{
	struct fake_ai *f = calloc(1, sizeof(*f));
	size_t len = strlen(name);
	unsigned char last = len > 0 ? (unsigned char)name[len - 1] : 0;

	if (f == NULL)
		return NULL;
	f->ai.ai_family = family;
	f->ai.ai_socktype = SOCK_STREAM;
	f->ai.ai_protocol = IPPROTO_TCP;
	f->ai.ai_addr = (struct sockaddr *)&f->ss;
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&f->ss;
		uint32_t a = (UINT32_C(10) << 24) | ((uint32_t)(len & 0xff) << 8) |
			     (uint32_t)((last + k) & 0xff);

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(a);
		f->ai.ai_addrlen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&f->ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr.s6_addr[0] = 0xfd;
		sin6->sin6_addr.s6_addr[13] = (unsigned char)len;
		sin6->sin6_addr.s6_addr[15] = (unsigned char)(last + k);
		f->ai.ai_addrlen = sizeof(*sin6);
	}
	return &f->ai;
}

/* Deterministic from the name: about one name in seven does not resolve;
 * the others get one to three addresses of each family asked for. */
int getaddrinfo(const char *node, const char *service,
		const struct addrinfo *hints, struct addrinfo **res)
{
	uint32_t h = 2166136261u;
	struct addrinfo *head = NULL, **tail = &head;
	int family = hints != NULL ? hints->ai_family : AF_UNSPEC;
	size_t n;

	*res = NULL;
	if (node == NULL || node[0] == '\0')
		return EAI_NONAME;
	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6) {
		fprintf(stderr, "fuzz_targets: getaddrinfo with family %d\n", family);
		abort();
	}
	for (const char *p = node; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	if (h % 7 == 0)
		return EAI_NONAME;
	n = 1 + h % 3;
	for (size_t k = 0; k < n; k++) {
		for (int pass = 0; pass < 2; pass++) {
			int fam = pass == 0 ? AF_INET : AF_INET6;

			if (family != AF_UNSPEC && family != fam)
				continue;
			*tail = fake_entry(fam, node, k);
			if (*tail == NULL) {
				freeaddrinfo(head);
				return EAI_MEMORY;
			}
			tail = &(*tail)->ai_next;
		}
	}
	*res = head;
	return 0;
}

void freeaddrinfo(struct addrinfo *ai)
{
	while (ai != NULL) {
		struct addrinfo *next = ai->ai_next;

		/* ai is the first member of its fake_ai. */
		free(ai);
		ai = next;
	}
}

/* ---- set-up ---- */

static void remove_file(void)
{
	if (file_path != NULL)
		unlink(file_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = g_get_tmp_dir();
	int fd;

	fuzz_quiet_glib();
	file_path = g_build_filename(dir, "portolan-fuzz-targets.XXXXXX", NULL);
	fd = mkstemp(file_path);
	if (fd < 0) {
		perror("fuzz_targets: mkstemp");
		abort();
	}
	close(fd);
	atexit(remove_file);
	return 0;
}

static void write_file(const char *text, size_t len)
{
	FILE *f = fopen(file_path, "w");

	if (f == NULL || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		perror("fuzz_targets: writing the targets file");
		abort();
	}
}

/* ---- properties ---- */

static int family_rank(int family)
{
	return family == AF_INET ? 0 : 1;
}

static int addr_order(const struct pl_addr *a, const struct pl_addr *b)
{
	if (a->family != b->family)
		return family_rank(a->family) - family_rank(b->family);
	return pl_u128_cmp(a->v, b->v);
}

static void fail(const char *what, uint64_t index, const struct pl_addr *a)
{
	char buf[PL_ADDRSTRLEN];

	buf[0] = '\0';
	if (a != NULL)
		pl_addr_format(a, buf, sizeof(buf));
	fprintf(stderr, "fuzz_targets: %s (index %llu, address '%s')\n", what,
		(unsigned long long)index, buf);
	abort();
}

static void check_host(const struct target_set *ts, uint64_t index,
		       enum target_family family, struct pl_addr *prev,
		       bool *have_prev, struct pl_addr *out)
{
	const char *name = NULL;

	target_set_get(ts, index, out, &name);
	if (out->family != AF_INET && out->family != AF_INET6)
		fail("bad family", index, out);
	if (out->family == AF_INET && (out->v.hi != 0 || out->v.lo > UINT32_MAX))
		fail("IPv4 address out of range", index, out);
	if (name != NULL) {
		if (name[0] == '\0')
			fail("empty name", index, out);
		if ((family == TARGET_FAMILY_V4 && out->family != AF_INET) ||
		    (family == TARGET_FAMILY_V6 && out->family != AF_INET6))
			fail("named host of the wrong family", index, out);
	}
	if (*have_prev && addr_order(prev, out) >= 0)
		fail("hosts not strictly ascending", index, out);
	*prev = *out;
	*have_prev = true;
}

/* Plain addresses from the line-mode input, for the membership checks. */
struct plain {
	GArray *include;      /* struct pl_addr */
	GArray *exclude;      /* struct pl_addr */
	bool other_exclude;   /* an exclusion that is a range, CIDR or name */
};

static bool walk_contains(const GArray *walk, const struct pl_addr *a)
{
	for (guint i = 0; i < walk->len; i++)
		if (pl_addr_equal(&g_array_index(walk, struct pl_addr, i), a))
			return true;
	return false;
}

static void check_set(const struct target_set *ts, enum target_family family,
		      uint64_t max_hosts, const struct plain *pl)
{
	uint64_t count = target_set_count(ts);
	struct pl_addr prev, a;
	bool have_prev = false;

	if (count == 0 || count > max_hosts)
		fail("count out of bounds after finalize", count, NULL);
	if (count <= WALK_MAX) {
		GArray *walk = g_array_sized_new(FALSE, FALSE, sizeof(a), (guint)count);

		for (uint64_t i = 0; i < count; i++) {
			check_host(ts, i, family, &prev, &have_prev, &a);
			g_array_append_val(walk, a);
		}
		for (guint i = 0; pl != NULL && i < pl->exclude->len; i++)
			if (walk_contains(walk, &g_array_index(pl->exclude, struct pl_addr, i)))
				fail("excluded address present", i, NULL);
		for (guint i = 0; pl != NULL && !pl->other_exclude &&
				  i < pl->include->len; i++) {
			const struct pl_addr *t = &g_array_index(pl->include, struct pl_addr, i);

			if (!walk_contains(pl->exclude, t) && !walk_contains(walk, t))
				fail("target address missing", i, t);
		}
		g_array_free(walk, TRUE);
		return;
	}
	/* Sampled in increasing index order, so order still shows. */
	for (uint64_t s = 0; s < SAMPLES; s++)
		check_host(ts, s * (count / SAMPLES), family, &prev, &have_prev, &a);
	check_host(ts, count - 1, family, &prev, &have_prev, &a);
}

/* ---- windows ---- */

static int addr_cmp(const void *a, const void *b)
{
	return addr_order(a, b);
}

/* Every host of a finalized set, sorted, or NULL when it is too large. */
static GArray *hosts_of(const struct target_set *ts)
{
	uint64_t count = target_set_count(ts);
	GArray *out;

	if (count > WALK_MAX)
		return NULL;
	out = g_array_sized_new(FALSE, FALSE, sizeof(struct pl_addr), (guint)count);
	for (uint64_t i = 0; i < count; i++) {
		struct pl_addr a;

		target_set_get(ts, i, &a, NULL);
		g_array_append_val(out, a);
	}
	return out;
}

static void windows_mode(size_t size, enum target_family family, uint64_t max_hosts)
{
	struct target_set *ref = target_set_new(), *single = NULL;
	struct target_windows *tw;
	GError *ref_err = NULL, *err = NULL;
	GArray *want = NULL, *got = NULL;
	bool ref_ok, complete = true;
	int ref_rc;

	ref_rc = target_set_add_file(ref, file_path, false, &ref_err);
	tw = target_windows_open(NULL, 0, file_path, size, max_hosts, &single, &err);
	if ((ref_rc < 0) != (tw == NULL))
		fail("the first pass and target_set_add_file disagree", 0, NULL);
	if (tw == NULL) {
		if (strcmp(ref_err->message, err->message) != 0)
			fail("the first pass and target_set_add_file differ in their error", 0, NULL);
		goto out;
	}
	ref_ok = target_set_finalize(ref, family, max_hosts, &ref_err) == 0;
	if (ref_ok)
		want = hosts_of(ref);
	if (single != NULL) {
		if (target_windows_count(tw) > 1)
			fail("a single set handed back for several windows", 0, NULL);
		if ((target_set_finalize(single, family, max_hosts, &err) == 0) != ref_ok)
			fail("one window finalizes unlike the whole file", 0, NULL);
		if (ref_ok && target_set_count(single) != target_set_count(ref))
			fail("one window holds other hosts than the whole file", 0, NULL);
		goto out;
	}
	if (target_windows_exclude(tw, target_set_new_window(NULL), family, &err) != 0)
		goto out;          /* a window over max-hosts: refused before any scan */
	got = g_array_new(FALSE, FALSE, sizeof(struct pl_addr));
	for (uint64_t k = 0; k < target_windows_count(tw); k++) {
		struct target_set *ts = NULL;
		GArray *h;

		if (target_windows_load(tw, k, &ts, NULL, &err) != 0) {
			/* Names can push a window over max-hosts. */
			g_clear_error(&err);
			complete = false;
			continue;
		}
		h = hosts_of(ts);
		if (h == NULL)
			complete = false;
		else
			g_array_append_vals(got, h->data, h->len);
		if (h != NULL && want != NULL)
			for (guint i = 0; i < h->len; i++)
				if (bsearch(&g_array_index(h, struct pl_addr, i), want->data, want->len,
					    sizeof(struct pl_addr), addr_cmp) == NULL)
					fail("a window's host is not in the whole file's set", k,
					     &g_array_index(h, struct pl_addr, i));
		if (h != NULL)
			g_array_free(h, TRUE);
		target_set_free(ts);
	}
	if (complete && want != NULL) {
		guint n = 0;

		if (got->len > 1)
			qsort(got->data, got->len, sizeof(struct pl_addr), addr_cmp);
		for (guint i = 0; i < got->len; i++)
			if (n == 0 || !pl_addr_equal(&g_array_index(got, struct pl_addr, n - 1),
						     &g_array_index(got, struct pl_addr, i)))
				g_array_index(got, struct pl_addr, n++) =
					g_array_index(got, struct pl_addr, i);
		if (n != want->len)
			fail("the windows together hold other hosts than the whole file", n, NULL);
	}
	if (complete && !ref_ok && got->len > 0 &&
	    strcmp(ref_err->message, "no targets to scan") == 0)
		fail("windows found hosts where the whole file has none", 0, NULL);
out:
	if (got != NULL)
		g_array_free(got, TRUE);
	if (want != NULL)
		g_array_free(want, TRUE);
	g_clear_error(&ref_err);
	g_clear_error(&err);
	target_set_free(single);
	target_set_free(ref);
	target_windows_free(tw);
}

/* ---- the target ---- */

static void add_lines(struct target_set *ts, char *text, struct plain *pl)
{
	char **lines = g_strsplit(text, "\n", -1);

	for (char **l = lines; *l != NULL; l++) {
		bool exclude = (*l)[0] == '!';
		const char *spec = *l + (exclude ? 1 : 0);
		GError *err = NULL;
		struct pl_addr a;
		int rc;

		rc = exclude ? target_set_exclude(ts, spec, &err)
			     : target_set_add(ts, spec, &err);
		if (rc < 0) {
			if (err == NULL)
				fail("spec rejected without an error", 0, NULL);
			g_error_free(err);
			continue;
		}
		if (err != NULL)
			fail("spec accepted with an error set", 0, NULL);
		if (strchr(spec, '/') == NULL && pl_addr_parse(spec, &a))
			g_array_append_val(exclude ? pl->exclude : pl->include, a);
		else if (exclude)
			pl->other_exclude = true;
	}
	g_strfreev(lines);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum target_family families[4] = {
		TARGET_FAMILY_ANY, TARGET_FAMILY_V4, TARGET_FAMILY_V6, TARGET_FAMILY_ANY,
	};
	struct plain pl = { NULL, NULL, false };
	struct target_set *ts;
	enum target_family family;
	uint64_t max_hosts;
	GError *err = NULL;
	bool file_mode;
	char *text;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	family = families[data[0] & 3];
	max_hosts = max_hosts_table[(data[0] >> 2) & 7];
	if ((data[0] & 0x80) != 0) {
		if (size < 2)
			return 0;
		write_file((const char *)data + 2, size - 2);
		windows_mode(1 + data[1] % 16, family, max_hosts);
		return 0;
	}
	file_mode = (data[0] & 0x20) != 0;
	text = g_strndup((const char *)data + 1, size - 1);
	ts = target_set_new();
	pl.include = g_array_new(FALSE, FALSE, sizeof(struct pl_addr));
	pl.exclude = g_array_new(FALSE, FALSE, sizeof(struct pl_addr));

	if (file_mode) {
		/* The raw bytes, NULs included: the reader must refuse them. */
		write_file((const char *)data + 1, size - 1);
		if (target_set_add_file(ts, file_path, (data[0] & 0x40) != 0, &err) < 0) {
			if (err == NULL)
				fail("file rejected without an error", 0, NULL);
			g_clear_error(&err);
			goto out;
		}
	} else {
		add_lines(ts, text, &pl);
	}

	if (target_set_finalize(ts, family, max_hosts, &err) < 0) {
		if (err == NULL)
			fail("finalize failed without an error", 0, NULL);
		if (target_set_count(ts) != 0)
			fail("failed finalize left a count", 0, NULL);
		g_clear_error(&err);
		goto out;
	}
	check_set(ts, family, max_hosts, file_mode ? NULL : &pl);
out:
	g_array_free(pl.include, TRUE);
	g_array_free(pl.exclude, TRUE);
	target_set_free(ts);
	g_free(text);
	return 0;
}
