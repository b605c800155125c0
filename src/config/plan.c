/* plan.c: from settings to a checked, resolved, immutable scan plan. */
#include "plan.h"

#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "errors.h"
#include "fileid.h"
#include "manifest.h"
#include "discovery.h"
#include "method.h"
#include "privdrop.h"
#include "specfile.h"
#include "taskgen.h"
#include "textesc.h"

static void output_spec_free(gpointer data)
{
	struct output_spec *o = data;

	g_free(o->path);
	g_free(o);
}

static int add_output(struct scan_plan *p, const char *path, const char *format, GError **err)
{
	struct output_spec *o = g_new0(struct output_spec, 1);
	char q[TEXT_QUOTE_SIZE];

	if (format != NULL)
		o->ops = writer_find(format);
	else if (strcmp(path, "-") == 0)
		o->ops = &writer_table;
	else
		o->ops = writer_for_filename(path);
	if (o->ops == NULL) {
		char *choice = writer_extension_choice(false);

		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "cannot tell the format of output '%s': name it %s, or use -f",
			    text_quote(q, path), choice);
		g_free(choice);
		g_free(o);
		return -1;
	}
	o->path = g_strdup(path);
	g_ptr_array_add(p->outputs, o);
	return 0;
}

/* One protocol's ports: -p (or --top-ports) less --exclude-ports, the
 * items before any T:/U: prefix counted for both (nmap's reading). */
static int build_proto_ports(struct scan_plan *p, const struct settings *s, enum pl_proto proto,
			     unsigned *named, GError **err)
{
	int want = proto == PROTO_UDP ? PORTS_UDP : PORTS_TCP;
	struct port_list *pl = &p->ports[proto], ex;
	/* --top-ports applies per protocol: UDP's ranking for UDP's ports. */
	char *top_udp = proto == PROTO_UDP && s->top_ports > 0 ?
			ports_top_spec_proto(s->top_ports, PORTS_UDP) : NULL;
	int rc = ports_parse_proto(top_udp != NULL ? top_udp : s->ports, want, pl, named, err);

	g_free(top_udp);
	if (rc != 0)
		return -1;
	if (s->exclude_ports == NULL)
		return 0;
	if (ports_parse_proto(s->exclude_ports, want, &ex, NULL, err) != 0) {
		g_prefix_error(err, "exclude-ports: ");
		return -1;
	}
	ports_subtract(pl, &ex);
	ports_free(&ex);
	return 0;
}

/* The ports of each protocol the methods scan. A port list naming a
 * protocol no method scans (U: without udp) is refused rather than half
 * scanned, and so is a method left without a port. */
static int build_ports(struct scan_plan *p, const struct settings *s, GError **err)
{
	bool tcp = plan_scans(p, PROTO_TCP), udp = plan_scans(p, PROTO_UDP);
	unsigned named = 0;
	char q[TEXT_QUOTE_SIZE];

	if ((tcp && build_proto_ports(p, s, PROTO_TCP, &named, err) != 0) ||
	    (udp && build_proto_ports(p, s, PROTO_UDP, &named, err) != 0))
		return -1;
	if (!udp && (named & (1u << PORTS_UDP))) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "invalid port list '%s': U: ports need the UDP scan too (-sU with -sT or "
			    "-sS; --method %s,udp)", text_quote(q, s->ports), p->method->name);
		return -1;
	}
	if (!tcp && (named & (1u << PORTS_TCP)) && udp && p->ports[PROTO_UDP].count > 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "invalid port list '%s': T: ports need a TCP scan too (-sT or -sS with "
			    "-sU; --method connect,udp)", text_quote(q, s->ports));
		return -1;
	}
	for (int proto = PROTO_TCP; proto <= PROTO_UDP; proto++) {
		if (p->methods[proto] == NULL || p->ports[proto].count > 0)
			continue;
		if (s->exclude_ports != NULL && ports_parse_proto(s->ports, proto == PROTO_UDP ?
				PORTS_UDP : PORTS_TCP, &p->ports[proto], NULL, NULL) == 0 &&
		    p->ports[proto].count > 0) {
			ports_free(&p->ports[proto]);
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "exclude-ports leaves no %s port to scan",
				    proto == PROTO_UDP ? "UDP" : "TCP");
			return -1;
		}
		ports_free(&p->ports[proto]);
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "invalid port list '%s': no %s port (%s)", text_quote(q, s->ports),
			    proto == PROTO_UDP ? "UDP" : "TCP", proto == PROTO_UDP ?
			    "U: names UDP ports" : tcp && udp ? "T: names TCP ports; drop the TCP "
			    "method to scan UDP alone" : "U: ports need the UDP scan, -sU");
		return -1;
	}
	p->nports = p->ports[PROTO_TCP].count + p->ports[PROTO_UDP].count;
	if (tcp && udp) {
		char *t = ports_format(&p->ports[PROTO_TCP]), *u = ports_format(&p->ports[PROTO_UDP]);

		p->ports_text = g_strdup_printf("T:%s,U:%s", t, u);
		g_free(t);
		g_free(u);
	} else {
		p->ports_text = ports_format(&p->ports[tcp ? PROTO_TCP : PROTO_UDP]);
	}
	return 0;
}

/* window: specs per target window (see targetwin.h). *file_digest: the
 * targets file's SHA-256 ("" without one; g_free). */
static int build_targets(struct scan_plan *p, const struct settings *s, uint64_t window,
			 char **file_digest, GError **err)
{
	enum target_family fam = TARGET_FAMILY_ANY;
	struct target_set *single = NULL;
	struct target_windows *tw;
	int rc;

	tw = target_windows_open((char *const *)s->targets->pdata, s->targets->len,
				 s->targets_file, window, (uint64_t)s->max_hosts, &single, err);
	if (tw == NULL) {
		settings_blame_env(s, "targets-file", s->targets_file, err);
		return -1;
	}
	*file_digest = g_strdup(target_windows_file_digest(tw));
	if (single != NULL) {
		/* One window: the whole scan is one set, as it always was. */
		target_windows_free(tw);
		target_set_free(p->targets);
		p->targets = single;
	} else {
		/* p->targets collects the exclusions every window shares. */
		p->windows = tw;
		g_info("%" G_GUINT64_FORMAT " target specs: %" G_GUINT64_FORMAT
		       " windows of up to %" G_GINT64_FORMAT, target_windows_specs(tw),
		       target_windows_count(tw), s->target_window);
	}
	for (guint i = 0; i < s->exclude->len; i++)
		if (target_set_exclude(p->targets, s->exclude->pdata[i], err) != 0)
			return -1;
	if (s->exclude_file != NULL &&
	    target_set_add_file(p->targets, s->exclude_file, true, err) != 0) {
		settings_blame_env(s, "exclude-file", s->exclude_file, err);
		return -1;
	}
	if (s->targets->len == 0 && s->targets_file == NULL) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "no targets given (name them as arguments, with -i, or in the config)");
		return -1;
	}
	if (strcmp(s->family, "4") == 0)
		fam = TARGET_FAMILY_V4;
	else if (strcmp(s->family, "6") == 0)
		fam = TARGET_FAMILY_V6;
	if (p->windows == NULL) {
		if (target_set_finalize(p->targets, fam, (uint64_t)s->max_hosts, err) != 0)
			return -1;
		if (p->audit != NULL)
			audit_targets_finalized(p->audit, p->targets);
		return 0;
	}
	rc = target_windows_exclude(p->windows, p->targets, fam, err);
	p->targets = NULL;
	return rc;
}

/* Reads and finalizes the window the scan starts in (windows only). */
static int preload_window(struct scan_plan *p, uint64_t k, GError **err)
{
	p->first_window = k;
	if (target_windows_preload(p->windows, k, err) != 0)
		return -1;
	if (p->audit != NULL)
		audit_targets_finalized(p->audit, target_windows_preloaded(p->windows, NULL));
	return 0;
}

/* The installed probes when present, else the source tree's (so a build
 * runs from its checkout); --probes-dir overrides both. */
static const char *probes_dir(const struct settings *s)
{
	if (s->probes_dir != NULL)
		return s->probes_dir;
	if (g_file_test(PORTOLAN_DATADIR "/probes", G_FILE_TEST_IS_DIR))
		return PORTOLAN_DATADIR "/probes";
	return "probes";
}

/* "I/N" with 1 <= I <= N, as masscan spells shards; stored 0-based. */
int plan_parse_shard(const char *text, uint64_t *shard, uint64_t *nshards, GError **err)
{
	unsigned long long i, n;
	char *end, q[TEXT_QUOTE_SIZE];

	/* Digits only: strtoull would also take blanks and a sign. */
	errno = 0;
	i = g_ascii_strtoull(text, &end, 10);
	if (errno == 0 && g_ascii_isdigit(text[0]) && *end == '/') {
		const char *rest = end + 1;

		n = g_ascii_strtoull(rest, &end, 10);
		if (errno == 0 && g_ascii_isdigit(rest[0]) && *end == '\0' && i >= 1 && n >= 1 &&
		    i <= n) {
			*shard = i - 1;
			*nshards = n;
			return 0;
		}
	}
	g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
		    "invalid shard '%s': expected I/N with 1 <= I <= N, e.g. 1/4", text_quote(q, text));
	return -1;
}

/* The value of placeholder name[0..len), or -1 when there is no such
 * placeholder. */
static int placeholder(const char *name, size_t len, uint64_t shard, uint64_t nshards,
		       uint64_t *value)
{
	static const char *const names[] = { "shard", "shards", "index0" };
	const uint64_t values[] = { shard + 1, nshards, shard };

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0) {
			*value = values[i];
			return 0;
		}
	return -1;
}

char *plan_expand_name(const char *what, const char *path, uint64_t shard, uint64_t nshards,
		       GError **err)
{
	GString *out = g_string_new(NULL);
	char q[TEXT_QUOTE_SIZE];
	const char *why = NULL;

	for (const char *c = path; *c != '\0' && why == NULL; c++) {
		const char *close;
		uint64_t v;

		if ((c[0] == '{' && c[1] == '{') || (c[0] == '}' && c[1] == '}')) {
			g_string_append_c(out, *c++);
		} else if (c[0] == '}') {
			why = "a '}' without its '{' (write }} for a brace)";
		} else if (c[0] != '{') {
			g_string_append_c(out, *c);
		} else if ((close = strchr(c, '}')) == NULL) {
			why = "a '{' without its '}' (write {{ for a brace)";
		} else if (placeholder(c + 1, (size_t)(close - c - 1), shard, nshards, &v) != 0) {
			why = "an unknown placeholder (expected {shard}, {shards} or {index0}; "
			      "{{ and }} for braces)";
		} else if (nshards == 0) {
			why = "a placeholder, but the scan is not sharded (--shard)";
		} else {
			g_string_append_printf(out, "%" G_GUINT64_FORMAT, v);
			c = close;
		}
	}
	if (why == NULL)
		return g_string_free(out, FALSE);
	g_string_free(out, TRUE);
	g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s '%s': %s", what, text_quote(q, path), why);
	return NULL;
}

/* What makes task position i mean the same (host, port) in two runs. */
static char *fingerprint(const struct scan_plan *p)
{
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	char *hex;

	if (p->windows != NULL)
		target_windows_digest(p->windows, sum);
	else
		target_set_digest(p->targets, sum);
	/* One protocol: its list's bytes, as before there were two, so an
	 * older resume file still matches. Both: where the lists meet too. */
	for (int proto = PROTO_TCP; proto <= PROTO_UDP; proto++)
		g_checksum_update(sum, (const guchar *)p->ports[proto].ports,
				  (gssize)(p->ports[proto].count * sizeof(uint16_t)));
	if (plan_scans(p, PROTO_TCP) && plan_scans(p, PROTO_UDP)) {
		uint64_t ntcp = p->ports[PROTO_TCP].count;

		g_checksum_update(sum, (const guchar *)"tcp+udp", 7);
		g_checksum_update(sum, (const guchar *)&ntcp, sizeof(ntcp));
	}
	/* -sn has a task space of its own: a position per host. */
	if (p->discovery_only)
		g_checksum_update(sum, (const guchar *)"discovery-only", 14);
	{
		uint64_t order[3] = { p->seed, p->shard, p->nshards };

		g_checksum_update(sum, (const guchar *)order, sizeof(order));
	}
	hex = g_strdup(g_checksum_get_string(sum));
	g_checksum_free(sum);
	return hex;
}

/* One "key length:value" line of a scan's definition: the length keeps any
 * value from passing for two. */
static void def_line(GChecksum *def, const char *key, const char *value)
{
	char *line = g_strdup_printf("%s %zu:%s\n", key, strlen(value), value);

	g_checksum_update(def, (const guchar *)line, (gssize)strlen(line));
	g_free(line);
}

/* The SHA-256 of an exclusions file's bytes; "-" (standard input, already
 * read) stands for itself. */
static char *exclude_file_digest(const char *path, GError **err)
{
	struct spec_file *sf;
	const char *spec;
	char *hex = NULL;
	int rc;

	if (strcmp(path, "-") == 0)
		return g_strdup("-");
	if ((sf = spec_file_open(path, false, err)) == NULL)
		return NULL;
	while ((rc = spec_file_next(sf, &spec, err)) > 0)
		;
	if (rc == 0)
		hex = g_strdup(spec_file_digest(sf));
	spec_file_close(sf);
	return hex;
}

/* The lines that define a scan's task space, as the user wrote it (target
 * specs in order, the targets file's bytes, exclusions, ports, family) and
 * the scan method. excl_digest: the exclusions file's, or NULL without one. */
static void scan_definition(GChecksum *def, const struct scan_plan *p, const struct settings *s,
			    const char *file_digest, const char *excl_digest)
{
	if (plan_scans(p, PROTO_TCP) && plan_scans(p, PROTO_UDP)) {
		char *both = g_strdup_printf("%s,%s", p->methods[PROTO_TCP]->name,
					     p->methods[PROTO_UDP]->name);

		def_line(def, "method", both);
		g_free(both);
	} else {
		def_line(def, "method", p->method->name);
	}
	def_line(def, "family", s->family);
	def_line(def, "ports", p->ports_text);
	for (guint i = 0; i < s->targets->len; i++)
		def_line(def, "target", s->targets->pdata[i]);
	def_line(def, "targets-file", file_digest);
	for (guint i = 0; i < s->exclude->len; i++)
		def_line(def, "exclude", s->exclude->pdata[i]);
	if (excl_digest != NULL)
		def_line(def, "exclude-file", excl_digest);
}

/* The seed of a sharded scan given no --seed: the first 63 bits of a
 * SHA-256 over the scan's definition. Each machine of a sharded scan
 * computes the same seed, so the shards partition the space with nothing to
 * agree on beforehand, and a repeated run repeats the order. 63 bits, so
 * --seed takes it back; never 0, which means index order. */
static void derive_seed(struct scan_plan *p, const struct settings *s, const char *file_digest,
			const char *excl_digest)
{
	GChecksum *def = g_checksum_new(G_CHECKSUM_SHA256);
	guint8 bytes[32];
	gsize len = sizeof(bytes);
	uint64_t seed = 0;

	def_line(def, "portolan", "shard seed 1");
	scan_definition(def, p, s, file_digest, excl_digest);
	g_checksum_get_digest(def, bytes, &len);
	g_checksum_free(def);
	for (int i = 0; i < 8; i++)
		seed = seed << 8 | bytes[i];
	seed &= (uint64_t)INT64_MAX;
	p->seed = seed != 0 ? seed : 1;
	p->seed_derived = true;
}

/* The scan's identity: the first 128 bits of a SHA-256 over its definition
 * and its seed, so the shards of one scan share it (they share the seed)
 * and nothing else does; it leaves out the shard, the threads, the timing
 * and the output names, which do not change what is scanned. */
static void derive_scan_id(struct scan_plan *p, const struct settings *s, const char *file_digest,
			   const char *excl_digest)
{
	GChecksum *def = g_checksum_new(G_CHECKSUM_SHA256);
	char seed[24];

	scan_definition(def, p, s, file_digest, excl_digest);
	g_snprintf(seed, sizeof(seed), "%" G_GUINT64_FORMAT, p->seed);
	def_line(def, "seed", seed);
	g_strlcpy(p->scan_id, g_checksum_get_string(def), sizeof(p->scan_id));
	g_checksum_free(def);
}

/* The seed (for a shard without one) and the identity, once the targets are
 * read (file_digest: the targets file's). */
static int scan_identity(struct scan_plan *p, const struct settings *s, const char *file_digest,
			 GError **err)
{
	char *excl = NULL;

	if (s->exclude_file != NULL && (excl = exclude_file_digest(s->exclude_file, err)) == NULL)
		return -1;
	/* A shard without a seed: settings_load left the seed 0. */
	if (s->shard != NULL && p->seed == 0 && !s->sequential)
		derive_seed(p, s, file_digest, excl);
	derive_scan_id(p, s, file_digest, excl);
	g_free(excl);
	return 0;
}

/* The parts a file can play in a scan; the first three are written. */
enum file_role {
	ROLE_OUTPUT, ROLE_FINDINGS, ROLE_RESUME_FILE,
	ROLE_RESUMED, ROLE_CONFIG, ROLE_BASELINE, ROLE_TARGETS, ROLE_EXCLUDE,
};

static const char *const role_names[] = {
	[ROLE_OUTPUT] = "output", [ROLE_FINDINGS] = "findings",
	[ROLE_RESUME_FILE] = "resume file", [ROLE_RESUMED] = "--resume file",
	[ROLE_CONFIG] = "config", [ROLE_BASELINE] = "baseline",
	[ROLE_TARGETS] = "targets file", [ROLE_EXCLUDE] = "exclude file",
};

struct named_file {
	enum file_role role;
	const char *path;
	struct output_spec *out; /* ROLE_OUTPUT only */
	bool merged;             /* an output named twice: this one is dropped */
	struct file_id id;
};

static void add_named(GArray *files, enum file_role role, const char *path,
		      struct output_spec *o)
{
	struct named_file f = { .role = role, .path = path, .out = o };

	/* "-" is stdin for the files we read: nothing to compare. */
	if (path == NULL || (role != ROLE_OUTPUT && strcmp(path, "-") == 0))
		return;
	file_id_of(path, role == ROLE_OUTPUT ? STDOUT_FILENO : -1, &f.id);
	g_array_append_val(files, f);
}

/* Whether two roles may name one file. Files that are only read may; the
 * baseline may be an output, since it is read whole before the output is
 * truncated (rolling it forward); a continued scan rewrites its own resume
 * file. Anything else written over another file loses it. */
static bool may_share(enum file_role a, enum file_role b)
{
	if (a > b)
		return may_share(b, a);
	if (a > ROLE_RESUME_FILE)
		return true;
	return (a == ROLE_OUTPUT && b == ROLE_BASELINE) ||
	       (a == ROLE_RESUME_FILE && b == ROLE_RESUMED);
}

/* Two names of one file, by device and inode, before anything is created
 * or truncated. An output named twice in one format is written once (as
 * "-" twice is one stdout); anything else is refused. */
static int check_pair(struct named_file *a, struct named_file *b, GError **err)
{
	if (!file_id_same(&a->id, &b->id))
		return 0;
	if (a->role == ROLE_OUTPUT && b->role == ROLE_OUTPUT && a->out->ops == b->out->ops) {
		b->merged = true;
		return 0;
	}
	if (a->role != ROLE_OUTPUT || b->role != ROLE_OUTPUT) {
		if (may_share(a->role, b->role))
			return 0;
	}
	g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
		    "%s '%s' and %s '%s' are the same file: give each a file of its own",
		    role_names[a->role], a->path, role_names[b->role], b->path);
	return -1;
}

static int check_files(struct scan_plan *p, const struct settings *s, GError **err)
{
	GArray *files = g_array_new(FALSE, TRUE, sizeof(struct named_file));
	int rc = 0;

	for (guint i = 0; i < p->outputs->len; i++) {
		struct output_spec *o = p->outputs->pdata[i];

		add_named(files, ROLE_OUTPUT, o->path, o);
	}
	add_named(files, ROLE_FINDINGS, p->findings_path, NULL);
	add_named(files, ROLE_RESUME_FILE, p->resume_file, NULL);
	add_named(files, ROLE_RESUMED, s->resume_from, NULL);
	add_named(files, ROLE_CONFIG, s->config_path, NULL);
	add_named(files, ROLE_BASELINE, s->baseline_path, NULL);
	add_named(files, ROLE_TARGETS, s->targets_file, NULL);
	add_named(files, ROLE_EXCLUDE, s->exclude_file, NULL);
	for (guint i = 0; i < files->len && rc == 0; i++)
		for (guint j = i + 1; j < files->len && rc == 0; j++)
			rc = check_pair(&g_array_index(files, struct named_file, i),
					&g_array_index(files, struct named_file, j), err);
	for (guint i = 0; i < files->len; i++) {
		struct named_file *f = &g_array_index(files, struct named_file, i);

		if (rc == 0 && f->merged)
			g_ptr_array_remove(p->outputs, f->out);
		file_id_clear(&f->id);
	}
	g_array_free(files, TRUE);
	return rc;
}

/* The audit: the config's policy and --baseline; findings are counted and
 * written to --findings. A resumed scan is not audited: its earlier results
 * never pass through this run (docs/audit.md). */
static int build_audit(struct scan_plan *p, const struct settings *s, GError **err)
{
	struct baseline *b = NULL;
	bool policy = audit_policy_group_count(s->policy) > 0;

	if (!policy && s->baseline_path == NULL) {
		if (p->findings_path == NULL)
			return 0;
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "findings '%s': nothing to audit (no policy in the config, no --baseline)",
			    p->findings_path);
		return -1;
	}
	if (s->resume_from != NULL) {
		g_warning("a resumed scan is not audited: the policy and the baseline need the whole "
			  "scan in one run");
		return 0;
	}
	if (s->baseline_path != NULL && (b = baseline_load(s->baseline_path, err)) == NULL)
		return -1;
	p->audit = audit_new(policy ? s->policy : NULL, b, s->service_detection, p->findings_path,
			     err);
	return p->audit != NULL ? 0 : -1;
}

/* A windowed scan continues in the window the resume file names; the
 * windows before it are passed over, their names never resolved. */
static int resume_window(struct scan_plan *p, const char *path, GError **err)
{
	const struct resume_state *rs = &p->resume;
	const char *digest;

	if (p->windows == NULL && !rs->windowed)
		return 0;
	if (p->windows == NULL || !rs->windowed ||
	    rs->window.count != target_windows_count(p->windows)) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "cannot resume '%s': its target windows do not match the targets", path);
		return -1;
	}
	if (preload_window(p, rs->window.index, err) != 0)
		return -1;
	(void)target_windows_preloaded(p->windows, &digest);
	/* An empty fingerprint: the scan stopped before this window began. */
	if (rs->window.fingerprint[0] != '\0' && strcmp(rs->window.fingerprint, digest) != 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "cannot resume '%s': the hosts of window %" G_GUINT64_FORMAT " of %"
			    G_GUINT64_FORMAT " no longer match the interrupted scan (a name resolves "
			    "differently)", path, rs->window.index + 1, rs->window.count);
		return -1;
	}
	return 0;
}

/* p->resume has been read. */
static int load_resume(struct scan_plan *p, const char *path, GError **err)
{
	if (strcmp(p->resume.fingerprint, p->fingerprint) != 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "cannot resume '%s': the targets or ports no longer match the interrupted "
			    "scan (a name resolves differently, or a targets file changed)", path);
		return -1;
	}
	if (resume_window(p, path, err) != 0)
		return -1;
	for (guint i = 0; i < p->outputs->len; i++) {
		const struct output_spec *o = p->outputs->pdata[i];

		if (o->ops->append == NULL) {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "cannot resume into '%s': %s output cannot be continued", o->path,
				    o->ops->name);
			return -1;
		}
		/* Continued only while it holds exactly what the interrupted run
		 * left: nothing lost, nothing written twice. */
		if (strcmp(o->path, "-") != 0 &&
		    resume_check_output(&p->resume, path, o->path, err) != 0)
			return -1;
	}
	p->resuming = true;
	return 0;
}

/* The outputs, the findings file and the resume file, their names'
 * placeholders expanded once for the whole run: the file checks, the
 * resume and the audit all see the names the files get. A format given for
 * one output (-oX) beats -f. */
static int build_outputs(struct scan_plan *p, const struct settings *s, GError **err)
{
	uint64_t n = p->sharded ? p->nshards : 0;

	for (guint i = 0; i < s->outputs->len; i++) {
		const char *own = i < s->output_formats->len ? s->output_formats->pdata[i] : "";
		char *path = plan_expand_name("output", s->outputs->pdata[i], p->shard, n, err);
		int rc = path != NULL ? add_output(p, path, own[0] != '\0' ? own : s->format, err)
				      : -1;

		g_free(path);
		if (rc != 0)
			return -1;
	}
	if (p->outputs->len == 0 && add_output(p, "-", s->format, err) != 0)
		return -1;
	if (s->findings_path != NULL &&
	    (p->findings_path = plan_expand_name("findings", s->findings_path, p->shard, n,
						 err)) == NULL)
		return -1;
	if (s->resume_file != NULL &&
	    (p->resume_file = plan_expand_name("resume-file", s->resume_file, p->shard, n,
					       err)) == NULL)
		return -1;
	return 0;
}

/* The scan's knobs, copied from the settings: threads, timeouts, rate,
 * seed, shard and retries. */
static int copy_settings(struct scan_plan *p, const struct settings *s, GError **err)
{
	p->threads = (unsigned)s->threads;
	p->timeout_ms = (unsigned)s->timeout_ms;
	p->min_timeout_ms = (unsigned)s->min_timeout_ms;
	p->max_timeout_ms = (unsigned)(s->max_timeout_ms ? s->max_timeout_ms : s->timeout_ms);
	p->max_rate = (uint64_t)s->max_rate;
	p->capture_buffer = (uint64_t)s->capture_buffer_kib * 1024;
	p->seed = s->sequential ? 0 : (uint64_t)s->seed;
	p->nshards = 1;
	if (s->shard != NULL && plan_parse_shard(s->shard, &p->shard, &p->nshards, err) != 0)
		return -1;
	p->sharded = s->shard != NULL;
	if (s->shard_source != NULL)
		g_info("shard %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " from %s", p->shard + 1,
		       p->nshards, s->shard_source);
	p->retries = (unsigned)s->retries;
	p->reverse_dns = s->reverse_dns;
	p->ptr_timeout_ms = (unsigned)s->ptr_timeout_ms;
	p->dry_run = s->dry_run;
	return 0;
}

/* --states as a mask, and as the text the metadata shows: the states'
 * names, whatever spelling selected them. */
static int build_states(struct scan_plan *p, const struct settings *s, GError **err)
{
	GString *st;
	/* -sn writes host rows only: unless told otherwise, the live hosts,
	 * as nmap lists them. */
	const char *states = s->discovery_only && !settings_given(s, "states") ? "up" : s->states;

	if (settings_states_mask(states, &p->states_mask, err) != 0)
		return -1;
	/* Only UDP has open|filtered ports: "all" of a TCP scan stays the
	 * four states it always was. A UDP scan shows them by default, as
	 * nmap does: most open UDP ports answer nothing to an empty or a
	 * foreign datagram; an explicit --states wins. */
	if (!plan_scans(p, PROTO_UDP))
		p->states_mask &= ~(1u << STATE_OPEN_FILTERED);
	else if (!s->discovery_only && !settings_given(s, "states"))
		p->states_mask |= 1u << STATE_OPEN_FILTERED;
	st = g_string_new(NULL);
	for (int i = 0; i < STATE_COUNT; i++)
		if (p->states_mask & (1u << i))
			g_string_append_printf(st, "%s%s", st->len ? "," : "",
					       port_state_name((enum port_state)i));
	p->states_text = g_string_free(st, FALSE);
	return 0;
}

/* Everything the scan writes, checked before any name is resolved: a typo
 * in -f should not wait for DNS. The outputs and their expanded names, no
 * file named twice, then the audit (its baseline and findings file). */
static int build_files(struct scan_plan *p, const struct settings *s, GError **err)
{
	if (build_outputs(p, s, err) != 0)
		return -1;
	if (check_files(p, s, err) != 0)
		return -1;
	if (build_audit(p, s, err) != 0) {
		settings_blame_env(s, "baseline", s->baseline_path, err);
		settings_blame_env(s, "findings", p->findings_path, err);
		return -1;
	}
	return 0;
}

/* The probe database and the detection budget, with -sV only. */
static int build_detection(struct scan_plan *p, const struct settings *s, GError **err)
{
	bool udp = plan_scans(p, PROTO_UDP);

	if (!s->service_detection) {
		/* A UDP scan sends protocol payloads, detection or not (as
		 * nmap -sU does): a port that ignores an empty datagram often
		 * answers its own protocol. */
		if (!udp)
			return 0;
		/* Without a probe directory (none given, none installed)
		 * every port gets the empty datagram: a scan still, with
		 * fewer answers. One given that fails is an error. */
		if (s->probes_dir == NULL && !g_file_test(probes_dir(s), G_FILE_TEST_IS_DIR)) {
			g_warning("no probe files (%s): every UDP port gets an empty datagram",
				  probes_dir(s));
			return 0;
		}
		p->udp_payloads = probe_db_load_dir(probes_dir(s), err);
		if (p->udp_payloads == NULL) {
			settings_blame_env(s, "probes-dir", s->probes_dir, err);
			return -1;
		}
		return 0;
	}
	p->probes = probe_db_load_dir(probes_dir(s), err);
	if (p->probes == NULL) {
		settings_blame_env(s, "probes-dir", s->probes_dir, err);
		return -1;
	}
	p->detect = (struct detect_config){
		.db = p->probes,
		.budget_ms = (unsigned)s->detect_timeout_ms,
		.banner_wait_ms = (unsigned)s->banner_wait_ms,
		.connect_timeout_ms = p->timeout_ms,
	};
	if (udp)
		p->udp_payloads = p->probes;
	return 0;
}

/* The target specs as given, for the metadata: "@FILE" for a targets file. */
static void copy_target_specs(struct scan_plan *p, const struct settings *s)
{
	p->target_specs = g_new0(char *, s->targets->len + 2);
	for (guint i = 0; i < s->targets->len; i++)
		p->target_specs[i] = g_strdup(s->targets->pdata[i]);
	if (s->targets_file != NULL)
		p->target_specs[s->targets->len] = g_strdup_printf("@%s", s->targets_file);
}

/* The task space: the resume file's record (read first), the targets and
 * their exclusions, then the seed and the scan's identity. A resume file
 * without a window group records a scan in one window, whatever
 * target-window says now (a file written before there were windows). A
 * file that is no resume file at all says so before its settings (an empty
 * one has no targets) do. */
static int build_task_space(struct scan_plan *p, const struct settings *s, GError **err)
{
	uint64_t window = (uint64_t)s->target_window;
	char *file_digest = NULL;
	int rc;

	if (s->resume_from != NULL && resume_read(s->resume_from, &p->resume, err) != 0)
		return -1;
	if (s->resume_from != NULL && !p->resume.windowed)
		window = UINT64_MAX;
	rc = build_targets(p, s, window, &file_digest, err);
	if (rc == 0)
		rc = scan_identity(p, s, file_digest, err);
	g_free(file_digest);
	return rc != 0 ? -1 : 0;
}

static void log_order(const struct scan_plan *p)
{
	struct scan_order o;
	char *text;

	plan_order(p, &o);
	text = scan_order_text(&o);
	g_info("scan order: %s", text);
	g_info("scan id %s", p->scan_id);
	g_free(text);
}

/* Whether the files a scan writes once its privileges are gone can be
 * written by the user it becomes: what is opened before the drop (outputs,
 * findings, the targets file, which is reread through its descriptor) need
 * not be. The resume file (and the one a resumed scan removes when done),
 * a shard's manifests (a temporary file renamed beside each output), and
 * the XML writer's spill files in TMPDIR are written after it. */
static int check_dropped_paths(const struct scan_plan *p, const struct settings *s,
			       GError **err)
{
	const struct privdrop *pd = p->privdrop;

	if (p->resume_file != NULL &&
	    privdrop_check_path(pd, "resume file", "--resume-file", p->resume_file, err) != 0)
		return -1;
	if (s->resume_from != NULL &&
	    privdrop_check_path(pd, "resume file", "--resume", s->resume_from, err) != 0)
		return -1;
	for (guint i = 0; i < p->outputs->len; i++) {
		const struct output_spec *o = p->outputs->pdata[i];
		int rc = 0;

		if (strcmp(o->path, "-") == 0)
			continue;
		if (p->sharded) {
			char *m = g_strconcat(o->path, MANIFEST_SUFFIX, NULL);

			rc = privdrop_check_path(pd, "shard manifest", "--output", m, err);
			g_free(m);
		}
		if (rc == 0 && o->ops == &writer_xml) {
			/* Any name in it: the spill files are new ones. */
			char *t = g_build_filename(g_get_tmp_dir(), "portolan-xml-check", NULL);

			rc = privdrop_check_path(pd, "XML writer's temporary directory", "TMPDIR", t,
						 err);
			g_free(t);
		}
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* The user to become when --user was left at its default: under sudo, the
 * user who ran sudo (SUDO_UID), whose working directory the default resume
 * file lies in, rather than nobody, who could write none of it. NULL: the
 * default stands. */
static char *sudo_user(const struct settings *s)
{
	const char *v = g_getenv("SUDO_UID");
	struct passwd *pw;
	char *end;
	guint64 uid;

	if (settings_given(s, "user") || v == NULL || *v == '\0')
		return NULL;
	errno = 0;
	uid = g_ascii_strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || uid == 0 || uid > G_MAXUINT32)
		return NULL;
	pw = getpwuid((uid_t)uid);
	return pw != NULL ? g_strdup(pw->pw_name) : NULL;
}

/* A method that needs privileges gives them up once its sockets are open:
 * resolved now, while the name service's files are readable, and checked
 * against what the scan writes after the drop. */
static int build_privdrop(struct scan_plan *p, const struct settings *s, GError **err)
{
	char *invoker;
	bool raw = false;

	/* Raw discovery probers open their sockets before the pool drops
	 * privileges. A method that needs none (connect, udp) drops them
	 * only when --user is given: root running a connect scan wrote its
	 * files as root before discovery came, and a drop by default would
	 * refuse every such scan whose directory only root can write. */
	for (size_t i = 0; p->discovery && i < p->ndisco_uses; i++)
		raw = raw || p->disco_uses[i].prober->privileged;
	if (!(p->method->caps & METHOD_CAP_PRIVILEGED) && !(raw && settings_given(s, "user")))
		return 0;
	if (p->dry_run)
		return 0;
	invoker = geteuid() == 0 ? sudo_user(s) : NULL;
	p->privdrop = privdrop_for(invoker != NULL ? invoker : s->user, geteuid() == 0, err);
	g_free(invoker);
	if (p->privdrop == NULL) {
		settings_blame_env(s, "user", s->user, err);
		return -1;
	}
	if (privdrop_active(p->privdrop))
		g_info("privileges drop to user '%s' once the raw sockets are open",
		       privdrop_user(p->privdrop));
	return check_dropped_paths(p, s, err);
}

/* Whether raw sockets can be opened here: root, or CAP_NET_RAW. */
static bool raw_allowed(void)
{
#ifdef SOCK_RAW
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);

	if (fd != -1) {
		close(fd);
		return true;
	}
#endif
	return false;
}

/* The defaults: nmap's with privileges (those the prober table has), else
 * the unprivileged two. */
static const char *const privileged_defaults[] = {
	"arp", "nd", "icmp-echo", "icmp-timestamp", "tcp-syn:443", "tcp-ack:80", NULL
};
static const char *const plain_defaults[] = { "tcp-connect", "icmp-echo", NULL };

static const char *prober_names(GString *out)
{
	for (size_t i = 0; disco_prober_at(i) != NULL; i++) {
		const struct disco_prober *pr = disco_prober_at(i);

		if (strstr(out->str, pr->name) == NULL)
			g_string_append_printf(out, "%s%s", out->len ? ", " : "", pr->name);
	}
	return out->str;
}

/* The ports a TCP prober tries without a list of its own. */
static const char *default_ports(const struct settings *s, const char *name)
{
	if (strcmp(name, "tcp-connect") == 0)
		return s->discovery_ports;
	if (strcmp(name, "tcp-syn") == 0)
		return "443";
	if (strcmp(name, "tcp-ack") == 0)
		return "80";
	return NULL;
}

/* One entry, "name" or "name:PORTS", into a use. quiet: a default entry
 * whose prober is missing or not allowed is left out (false, no error). */
static int add_use(struct scan_plan *p, const struct settings *s, GArray *uses,
		   const char *entry, bool privileged, bool quiet, GError **err)
{
	const char *colon = strchr(entry, ':');
	char *name = colon ? g_strndup(entry, (size_t)(colon - entry)) : g_strdup(entry);
	const char *ports = colon ? colon + 1 : NULL;
	struct disco_use u = { .prober = disco_prober_find(name, privileged), .optional = quiet };
	int rc = -1;

	if (u.prober == NULL || (quiet && privileged && !u.prober->privileged)) {
		GString *known = g_string_new(NULL);

		if (quiet) {
			rc = 1;
		} else if (disco_prober_find(name, true) != NULL) {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "discovery probe '%s' needs root or CAP_NET_RAW "
				    "(tcp-connect and icmp-echo need neither)", name);
		} else {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "unknown discovery probe '%s' (known: %s)", name,
				    prober_names(known));
		}
		g_string_free(known, TRUE);
		goto out;
	}
	if (ports == NULL)
		ports = default_ports(s, name);
	if (ports != NULL) {
		struct port_list pl;

		if (ports_parse(ports, &pl, err) != 0) {
			if (colon != NULL) {
				g_prefix_error(err, "discovery probe '%s': ", name);
			} else {
				g_prefix_error(err, "discovery-ports: ");
				settings_blame_env(s, "discovery-ports", ports, err);
			}
			goto out;
		}
		u.nports = pl.count;
		u.ports = g_memdup2(pl.ports, pl.count * sizeof(uint16_t));
		ports_free(&pl);
	}
	g_array_append_val(uses, u);
	rc = 0;
out:
	g_free(name);
	return rc;
}

/* discovery.probes: the items of the list, where an item that starts with
 * a digit continues the port list of the entry before it, since a list
 * given as "tcp-syn:22,80,icmp-echo" splits at every comma. */
static GPtrArray *probe_entries(GPtrArray *items)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < items->len; i++) {
		char **parts = g_strsplit(items->pdata[i], ",", -1);

		for (char **it = parts; *it != NULL; it++) {
			char *v = g_strstrip(*it);

			if (*v == '\0')
				continue;
			if (g_ascii_isdigit(*v) && out->len > 0) {
				char *prev = out->pdata[out->len - 1];

				out->pdata[out->len - 1] = g_strdup_printf("%s,%s", prev, v);
				g_free(prev);
			} else {
				g_ptr_array_add(out, g_strdup(v));
			}
		}
		g_strfreev(parts);
	}
	return out;
}

static void free_uses(struct disco_use *u, size_t n)
{
	for (size_t i = 0; i < n; i++)
		g_free(u[i].ports);
	g_free(u);
}

/* Host discovery's probes, timeout and retries; whether it runs is decided
 * once the targets are known (decide_discovery). */
static int build_discovery(struct scan_plan *p, const struct settings *s, GError **err)
{
	GArray *uses = g_array_new(FALSE, TRUE, sizeof(struct disco_use));
	bool privileged = geteuid() == 0 || raw_allowed();
	int rc = 0;

	p->discovery_only = s->discovery_only;
	p->disco_timeout_ms = (unsigned)s->discovery_timeout_ms;
	p->disco_retries = (unsigned)s->discovery_retries;
	if (s->no_discovery && !s->discovery_only)
		goto out;
	if (s->discovery_probes->len > 0) {
		GPtrArray *entries = probe_entries(s->discovery_probes);

		for (guint i = 0; i < entries->len && rc == 0; i++) {
			rc = add_use(p, s, uses, entries->pdata[i], privileged, false, err);
			if (rc != 0) {
				/* The error quotes the name: from the variable, say so. */
				char *name = g_strndup(entries->pdata[i],
						       strcspn(entries->pdata[i], ":"));

				settings_blame_env(s, "discovery-probes", name, err);
				g_free(name);
			}
		}
		g_ptr_array_unref(entries);
	} else {
		const char *const *names = privileged ? privileged_defaults : plain_defaults;

		for (; *names != NULL && rc >= 0; names++)
			rc = add_use(p, s, uses, *names, privileged, true, err);
		/* No raw prober in the table yet: the unprivileged ones. */
		if (rc >= 0 && uses->len == 0)
			for (names = plain_defaults; *names != NULL && rc >= 0; names++)
				rc = add_use(p, s, uses, *names, false, true, err);
		rc = rc < 0 ? -1 : 0;
	}
out:
	p->ndisco_uses = uses->len;
	p->disco_uses = (struct disco_use *)(void *)g_array_free(uses, FALSE);
	return rc;
}

/* Discovery runs unless -Pn, and by default only when the scan covers more
 * than one address: a single host was named, so it is meant to be scanned.
 * -sn asks for it whatever the count. */
static void decide_discovery(struct scan_plan *p, const struct settings *s)
{
	bool several = p->windows != NULL || target_set_count(p->targets) > 1;

	p->discovery = !s->no_discovery && !p->dry_run && (s->discovery_only || several);
	if (p->discovery)
		g_info("host discovery: %zu probes, %u ms, %u retries", p->ndisco_uses,
		       p->disco_timeout_ms, p->disco_retries);
}

/* What comes once the task space is known: the method's own check, the
 * fingerprint, and either the resume file's checks or the first window. */
static int finish_plan(struct scan_plan *p, const struct settings *s, GError **err)
{
	for (int proto = PROTO_TCP; proto <= PROTO_UDP; proto++)
		if (p->methods[proto] != NULL && p->methods[proto]->check != NULL &&
		    p->methods[proto]->check(p, err) != 0)
			return -1;
	decide_discovery(p, s);
	if (build_privdrop(p, s, err) != 0)
		return -1;
	p->settings = s;
	p->fingerprint = fingerprint(p);
	if (s->resume_from != NULL)
		return load_resume(p, s->resume_from, err);
	/* The first window is read now, so its errors come before any output
	 * is touched. */
	if (p->windows != NULL)
		return preload_window(p, 0, err);
	return 0;
}

/* The steps run in this order, each stopping the build at its first error:
 * cheap checks of what the user typed first, then the files the scan
 * writes, then the slow parts (probe files, name resolution). */
int plan_build(struct scan_plan *p, const struct settings *s, GError **err)
{
	memset(p, 0, sizeof(*p));
	p->targets = target_set_new();
	p->outputs = g_ptr_array_new_with_free_func(output_spec_free);
	if (method_parse_list(s->method != NULL ? s->method : "connect", p->methods, err) != 0)
		return -1;
	p->method = p->methods[PROTO_TCP] != NULL ? p->methods[PROTO_TCP] : p->methods[PROTO_UDP];
	if (copy_settings(p, s, err) != 0 || build_states(p, s, err) != 0 ||
	    build_ports(p, s, err) != 0)
		return -1;
	if (build_discovery(p, s, err) != 0)
		return -1;
	if (build_files(p, s, err) != 0 || build_detection(p, s, err) != 0)
		return -1;
	copy_target_specs(p, s);
	if (build_task_space(p, s, err) != 0)
		return -1;
	log_order(p);
	return finish_plan(p, s, err);
}

void plan_order(const struct scan_plan *p, struct scan_order *o)
{
	*o = (struct scan_order){
		.seed = p->seed, .derived = p->seed_derived,
		.shard = p->shard, .nshards = p->nshards, .sharded = p->sharded,
	};
	g_strlcpy(o->scan_id, p->scan_id, sizeof(o->scan_id));
}

struct outputs *plan_open_outputs(const struct scan_plan *p, GError **err)
{
	struct outputs *o = outputs_open(p->outputs, p->resuming, err);

	if (o == NULL)
		return NULL;
	/* Before any output is truncated, so a failure leaves them untouched. */
	if ((p->audit != NULL && audit_open(p->audit, err) != 0) ||
	    (!p->resuming && outputs_truncate(o, err) != 0)) {
		plan_discard_outputs(p, o);
		return NULL;
	}
	return o;
}

void plan_discard_outputs(const struct scan_plan *p, struct outputs *o)
{
	if (p->audit != NULL)
		audit_discard(p->audit);
	outputs_discard(o);
}

void plan_free(struct scan_plan *p)
{
	target_set_free(p->targets);
	target_windows_free(p->windows);
	if (p->udp_payloads != p->probes)
		probe_db_free(p->udp_payloads);
	probe_db_free(p->probes);
	ports_free(&p->ports[PROTO_TCP]);
	ports_free(&p->ports[PROTO_UDP]);
	g_free(p->ports_text);
	g_strfreev(p->target_specs);
	g_free(p->states_text);
	g_free(p->fingerprint);
	g_free(p->findings_path);
	g_free(p->resume_file);
	resume_state_clear(&p->resume);
	audit_free(p->audit);
	privdrop_free(p->privdrop);
	free_uses(p->disco_uses, p->ndisco_uses);
	if (p->outputs != NULL)
		g_ptr_array_unref(p->outputs);
	memset(p, 0, sizeof(*p));
}
