/* audit.c: the policy (parsed from the config's `policy` list), the check of
 * each result against it and against a baseline, and the audit's findings.
 *
 * Policy groups hold their targets as address ranges, parsed here with
 * pl_addr_parse: addresses, CIDR blocks and ranges as targets.h spells them,
 * but never names (a policy says which addresses are expected to do what, so
 * it must not change with DNS). Port sets are port_lists from ports_parse,
 * searched by bisection. The checks read only immutable data, so the audit
 * needs no state beyond the findings counts (see audit.h). */
#include "audit.h"

#include "targets.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "errors.h"
#include "ports.h"
#include "textesc.h"
#include "tlspolicy.h"

struct addr_range {
	int family;
	struct pl_u128 first, last;
};

/* An expectation on one port; patterns are ASCII-lowercased globs. */
struct expect {
	uint16_t port;
	uint8_t proto;             /* enum pl_proto: `proto = "udp";`, else TCP */
	GPatternSpec *what[3];     /* service, product, version; NULL: not checked */
	char *text[3];             /* as written, for the findings */
};

/* s lowercased in ASCII and as valid UTF-8 (g_free): GPatternSpec steps
 * over UTF-8 characters and must not be handed a truncated sequence. The
 * values are ASCII or UTF-8 from the probe files already; a stray byte in a
 * config string becomes U+FFFD. */
static char *glob_text(const char *s)
{
	char *valid = g_utf8_make_valid(s, -1);
	char *low = g_ascii_strdown(valid, -1);

	g_free(valid);
	return low;
}

/* The glob of docs/audit.md ('*' any run, '?' any one character, ASCII case
 * ignored), compiled once. */
static GPatternSpec *glob_new(const char *pattern)
{
	char *low = glob_text(pattern);
	GPatternSpec *spec = g_pattern_spec_new(low);

	g_free(low);
	return spec;
}

static void glob_free(GPatternSpec *spec)
{
	if (spec != NULL)
		g_pattern_spec_free(spec);
}

static bool glob_match(GPatternSpec *pat, const char *s)
{
	char *low = glob_text(s);
	bool ok;

#if GLIB_CHECK_VERSION(2, 70, 0)
	ok = g_pattern_spec_match_string(pat, low);
#else
	ok = g_pattern_match_string(pat, low);
#endif
	g_free(low);
	return ok;
}

static const char *const expect_keys[3] = { "service", "product", "version" };

struct group {
	char *name;
	GArray *ranges;            /* struct addr_range */
	bool has_allow;            /* without an allow list any port may be open */
	/* By protocol (PROTO_TCP, PROTO_UDP): a list's U: items are UDP's,
	 * the rest (T: or no prefix) TCP's, as policies always meant. */
	struct port_list allowed[2];  /* allow + require */
	char *allowed_text[2];     /* "22,80,443", "none" */
	struct port_list require[2];
	GArray *expects;           /* struct expect, sorted by port */
	bool require_up;           /* every host must be found up by discovery */
	struct tls_policy *tls;    /* the TLS keys (tlspolicy.h), or NULL */
};

struct audit_policy {
	GPtrArray *groups;         /* struct group *, in config order */
};

/* ---- policy parsing ---- */

struct parse {
	const char *path;
	GString *problems;
	const char *group;         /* name for messages, or NULL */
};

static void problem(struct parse *ps, const config_setting_t *cs, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);

static void problem(struct parse *ps, const config_setting_t *cs, const char *fmt, ...)
{
	va_list ap;

	if (ps->problems->len > 0)
		g_string_append_c(ps->problems, '\n');
	/* A group read from an @include'd file has that file's lines. */
	g_string_append_printf(ps->problems, "%s:%d: policy", config_setting_source_file(cs) != NULL ?
			       config_setting_source_file(cs) : ps->path, config_setting_source_line(cs));
	if (ps->group != NULL)
		g_string_append_printf(ps->problems, " group '%s'", ps->group);
	g_string_append(ps->problems, ": ");
	va_start(ap, fmt);
	g_string_append_vprintf(ps->problems, fmt, ap);
	va_end(ap);
}

static void group_free(gpointer data)
{
	struct group *g = data;

	g_free(g->name);
	tls_policy_free(g->tls);
	if (g->ranges != NULL)
		g_array_free(g->ranges, TRUE);
	for (int i = 0; i < 2; i++) {
		ports_free(&g->allowed[i]);
		g_free(g->allowed_text[i]);
		ports_free(&g->require[i]);
	}
	if (g->expects != NULL) {
		for (guint i = 0; i < g->expects->len; i++) {
			struct expect *e = &g_array_index(g->expects, struct expect, i);

			for (int k = 0; k < 3; k++) {
				glob_free(e->what[k]);
				g_free(e->text[k]);
			}
		}
		g_array_free(g->expects, TRUE);
	}
	g_free(g);
}

static void parse_targets(struct parse *ps, const config_setting_t *cs, struct group *g)
{
	int type = config_setting_type(cs);
	int n = type == CONFIG_TYPE_STRING ? 1 : config_setting_length(cs);

	if (type != CONFIG_TYPE_STRING && type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) {
		problem(ps, cs, "'targets': expected a list of strings");
		return;
	}
	if (n == 0) {
		problem(ps, cs, "'targets': empty");
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *el = type == CONFIG_TYPE_STRING ? cs :
					     config_setting_get_elem(cs, (unsigned)i);
		struct addr_range r;
		const char *spec;
		GError *e = NULL;
		int rc;

		if (config_setting_type(el) != CONFIG_TYPE_STRING) {
			problem(ps, el, "'targets': element %d is not a string", i + 1);
			continue;
		}
		spec = config_setting_get_string(el);
		/* The same literals as target specs (targets.c), names excepted:
		 * a policy must not depend on what DNS answers today. */
		rc = target_parse_literal(spec, &r.family, &r.first, &r.last, &e);
		if (rc < 0) {
			problem(ps, el, "%s", e->message);
			g_clear_error(&e);
			continue;
		}
		if (rc > 0) {
			char q[TEXT_QUOTE_SIZE];

			problem(ps, el, "invalid target '%s': expected an address, CIDR block or "
				"range (names are not allowed in a policy)", text_quote(q, spec));
			continue;
		}
		g_array_append_val(g->ranges, r);
	}
}

/* A number in a port list, appended to spec. Written as text, -5 would be
 * the open range 1-5: a negative number is refused instead. */
static bool append_port_number(struct parse *ps, const config_setting_t *cs, const char *key,
			       GString *spec)
{
	long long v = config_setting_get_int64(cs);

	if (v < 0) {
		problem(ps, cs, "'%s': %lld is not a port number (1 to 65535); write a range as a "
			"string, such as \"1-5\"", key, v);
		return false;
	}
	g_string_append_printf(spec, "%lld", v);
	return true;
}

/* spec into its TCP and UDP lists: the items before any prefix are TCP's
 * (a policy written before UDP meant TCP ports), so the spec is read as if
 * it began with "T:". */
static int split_protos(const char *spec, struct port_list out[2], GError **err)
{
	bool prefixed = g_ascii_isalpha(spec[0]) && spec[1] == ':';
	char *full = prefixed ? g_strdup(spec) : g_strconcat("T:", spec, NULL);
	int rc = ports_parse_proto(full, PORTS_TCP, &out[PROTO_TCP], NULL, err);

	if (rc == 0 && ports_parse_proto(full, PORTS_UDP, &out[PROTO_UDP], NULL, err) != 0) {
		ports_free(&out[PROTO_TCP]);
		rc = -1;
	}
	g_free(full);
	return rc;
}

/* A port spec written as a string ("22,80,8000-8100", "22,U:53,161"), a
 * number, or a list of either. Empty ("" or []) is a valid, empty set.
 * Returns false after reporting a problem. */
static bool parse_ports(struct parse *ps, const config_setting_t *cs, const char *key,
			struct port_list out[2])
{
	GString *spec = g_string_new(NULL);
	GError *e = NULL;
	int type = config_setting_type(cs);
	bool ok = true;

	if (type == CONFIG_TYPE_ARRAY || type == CONFIG_TYPE_LIST) {
		int n = config_setting_length(cs);

		for (int i = 0; i < n && ok; i++) {
			const config_setting_t *el = config_setting_get_elem(cs, (unsigned)i);

			if (i > 0)
				g_string_append_c(spec, ',');
			if (config_setting_type(el) == CONFIG_TYPE_STRING)
				g_string_append(spec, config_setting_get_string(el));
			else if (config_setting_type(el) == CONFIG_TYPE_INT ||
				 config_setting_type(el) == CONFIG_TYPE_INT64) {
				if (!append_port_number(ps, el, key, spec)) {
					g_string_free(spec, TRUE);
					return false;
				}
			} else {
				ok = false;
			}
		}
	} else if (type == CONFIG_TYPE_STRING) {
		g_string_append(spec, config_setting_get_string(cs));
	} else if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
		if (!append_port_number(ps, cs, key, spec)) {
			g_string_free(spec, TRUE);
			return false;
		}
	} else {
		ok = false;
	}
	if (!ok) {
		problem(ps, cs, "'%s': expected a port list such as \"22,80,8000-8100\"", key);
	} else if (g_strstrip(spec->str)[0] == '\0') {
		out[PROTO_TCP] = out[PROTO_UDP] = (struct port_list){ 0 };
	} else if (split_protos(spec->str, out, &e) != 0) {
		problem(ps, cs, "'%s': %s", key, e->message);
		g_error_free(e);
		ok = false;
	}
	g_string_free(spec, TRUE);
	return ok;
}

static gint expect_cmp(gconstpointer a, gconstpointer b)
{
	const struct expect *x = a, *y = b;

	if (x->proto != y->proto)
		return (int)x->proto - (int)y->proto;
	return (int)x->port - (int)y->port;
}

static void parse_services(struct parse *ps, const config_setting_t *cs, struct group *g)
{
	int n;

	if (config_setting_type(cs) != CONFIG_TYPE_LIST) {
		problem(ps, cs, "'services': expected a list of groups: ( { port = 22; product = \"OpenSSH\"; } )");
		return;
	}
	n = config_setting_length(cs);
	for (int i = 0; i < n; i++) {
		const config_setting_t *el = config_setting_get_elem(cs, (unsigned)i);
		struct expect ex = { 0 };
		bool ok = true, any = false, have_port = false;
		int m;

		if (config_setting_type(el) != CONFIG_TYPE_GROUP) {
			problem(ps, el, "'services': element %d is not a group { port = ...; ... }", i + 1);
			continue;
		}
		m = config_setting_length(el);
		for (int j = 0; j < m; j++) {
			const config_setting_t *f = config_setting_get_elem(el, (unsigned)j);
			const char *key = config_setting_name(f);
			int k;

			if (strcmp(key, "port") == 0) {
				long long port;

				if (config_setting_type(f) != CONFIG_TYPE_INT &&
				    config_setting_type(f) != CONFIG_TYPE_INT64) {
					problem(ps, f, "'services': 'port' must be a number");
					ok = false;
					continue;
				}
				port = config_setting_get_int64(f);
				if (port < 1 || port > 65535) {
					problem(ps, f, "'services': port %lld out of range 1-65535", port);
					ok = false;
					continue;
				}
				ex.port = (uint16_t)port;
				have_port = true;
				continue;
			}
			if (strcmp(key, "proto") == 0) {
				const char *v = config_setting_type(f) == CONFIG_TYPE_STRING ?
						config_setting_get_string(f) : NULL;

				if (v != NULL && g_ascii_strcasecmp(v, "tcp") == 0) {
					ex.proto = PROTO_TCP;
				} else if (v != NULL && g_ascii_strcasecmp(v, "udp") == 0) {
					ex.proto = PROTO_UDP;
				} else {
					problem(ps, f, "'services': 'proto' must be \"tcp\" or \"udp\"");
					ok = false;
				}
				continue;
			}
			for (k = 0; k < 3 && strcmp(key, expect_keys[k]) != 0; k++)
				;
			if (k == 3) {
				problem(ps, f, "'services': unknown setting '%s' (expected port, proto, "
					"service, product or version)", key);
				ok = false;
				continue;
			}
			if (config_setting_type(f) != CONFIG_TYPE_STRING) {
				problem(ps, f, "'services': '%s' must be a string", key);
				ok = false;
				continue;
			}
			g_free(ex.text[k]);
			glob_free(ex.what[k]);
			ex.text[k] = g_strdup(config_setting_get_string(f));
			ex.what[k] = glob_new(ex.text[k]);
			any = true;
		}
		if (ok && !have_port) {
			problem(ps, el, "'services': element %d has no port", i + 1);
			ok = false;
		}
		if (ok && !any) {
			problem(ps, el, "'services': port %u expects nothing (give service, product "
				"or version)", ex.port);
			ok = false;
		}
		for (guint j = 0; ok && j < g->expects->len; j++) {
			const struct expect *o = &g_array_index(g->expects, struct expect, j);

			if (o->port == ex.port && o->proto == ex.proto) {
				problem(ps, el, "'services': port %u/%s listed twice", ex.port,
					ex.proto == PROTO_UDP ? "udp" : "tcp");
				ok = false;
			}
		}
		if (!ok) {
			for (int k = 0; k < 3; k++) {
				g_free(ex.text[k]);
				glob_free(ex.what[k]);
			}
			continue;
		}
		g_array_append_val(g->expects, ex);
	}
	g_array_sort(g->expects, expect_cmp);
}

/* allowed = allow + require (a required port is allowed by definition):
 * a merge of two sorted, duplicate-free lists. */
static void merge_allowed(struct group *g, const struct port_list *allow, int proto)
{
	const struct port_list *req = &g->require[proto];
	size_t i = 0, j = 0, n = 0;
	uint16_t *out = g_new(uint16_t, allow->count + req->count + 1);

	while (i < allow->count || j < req->count) {
		uint16_t a = i < allow->count ? allow->ports[i] : UINT16_MAX;
		uint16_t r = j < req->count ? req->ports[j] : UINT16_MAX;
		uint16_t next = a < r ? a : r;

		if (i < allow->count && allow->ports[i] == next)
			i++;
		if (j < req->count && req->ports[j] == next)
			j++;
		out[n++] = next;
	}
	g->allowed[proto].ports = out;
	g->allowed[proto].count = n;
	g->allowed_text[proto] = n > 0 ? ports_format(&g->allowed[proto]) : g_strdup("none");
}

static struct group *parse_group(struct parse *ps, const config_setting_t *cs, int index,
				 GHashTable *names)
{
	struct group *g = g_new0(struct group, 1);
	const config_setting_t *name = config_setting_get_member(cs, "name");
	const config_setting_t *targets = NULL;
	struct port_list allow[2] = { { 0 }, { 0 } };
	bool ok = true, have_allow = false;
	size_t before = ps->problems->len;
	int n;

	g->ranges = g_array_new(FALSE, FALSE, sizeof(struct addr_range));
	g->expects = g_array_new(FALSE, FALSE, sizeof(struct expect));
	ps->group = NULL;
	if (name == NULL) {
		problem(ps, cs, "group %d has no name", index);
		g->name = g_strdup_printf("#%d", index);
	} else if (config_setting_type(name) != CONFIG_TYPE_STRING ||
		   config_setting_get_string(name)[0] == '\0') {
		problem(ps, name, "group %d: 'name' must be a non-empty string", index);
		g->name = g_strdup_printf("#%d", index);
	} else {
		g->name = g_strdup(config_setting_get_string(name));
		if (g_hash_table_contains(names, g->name))
			problem(ps, name, "group name '%s' used twice", g->name);
		else
			g_hash_table_add(names, g_strdup(g->name));
	}
	ps->group = g->name;

	n = config_setting_length(cs);
	for (int i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(cs, (unsigned)i);
		const char *key = config_setting_name(m);

		if (strcmp(key, "name") == 0)
			continue;
		if (strcmp(key, "targets") == 0) {
			targets = m;
			parse_targets(ps, m, g);
		} else if (strcmp(key, "allow") == 0) {
			have_allow = true;
			ok = parse_ports(ps, m, key, allow) && ok;
		} else if (strcmp(key, "require") == 0) {
			ok = parse_ports(ps, m, key, g->require) && ok;
		} else if (strcmp(key, "services") == 0) {
			parse_services(ps, m, g);
		} else if (strcmp(key, "require-up") == 0) {
			if (config_setting_type(m) != CONFIG_TYPE_BOOL)
				problem(ps, m, "'require-up': expected true or false");
			else
				g->require_up = config_setting_get_bool(m) != 0;
		} else if (tls_policy_is_key(key)) {
			char *why = tls_policy_parse_key(&g->tls, m);

			if (why != NULL)
				problem(ps, m, "%s", why);
			g_free(why);
		} else {
			problem(ps, m, "unknown setting '%s' (expected name, targets, allow, require, "
				"require-up or services)", key);
		}
	}
	if (targets == NULL)
		problem(ps, cs, "no targets");
	if (ok) {
		g->has_allow = have_allow;
		merge_allowed(g, &allow[PROTO_TCP], PROTO_TCP);
		merge_allowed(g, &allow[PROTO_UDP], PROTO_UDP);
	}
	ports_free(&allow[PROTO_TCP]);
	ports_free(&allow[PROTO_UDP]);
	ps->group = NULL;
	if (ps->problems->len != before) {
		group_free(g);
		return NULL;
	}
	return g;
}

struct audit_policy *audit_policy_parse(const config_setting_t *cs, const char *path,
					GError **err)
{
	struct audit_policy *p = g_new0(struct audit_policy, 1);
	struct parse ps = { .path = path, .problems = g_string_new(NULL) };
	GHashTable *names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	int n;

	p->groups = g_ptr_array_new_with_free_func(group_free);
	if (config_setting_type(cs) != CONFIG_TYPE_LIST) {
		problem(&ps, cs, "expected a list of groups: policy = ( { name = \"web\"; "
			"targets = [ \"198.18.1.0/24\" ]; allow = \"22,80,443\"; } );");
		goto out;
	}
	n = config_setting_length(cs);
	for (int i = 0; i < n; i++) {
		const config_setting_t *el = config_setting_get_elem(cs, (unsigned)i);
		struct group *g;

		if (config_setting_type(el) != CONFIG_TYPE_GROUP) {
			problem(&ps, el, "element %d is not a group { ... }", i + 1);
			continue;
		}
		g = parse_group(&ps, el, i + 1, names);
		if (g != NULL)
			g_ptr_array_add(p->groups, g);
	}
out:
	g_hash_table_destroy(names);
	if (ps.problems->len > 0) {
		g_set_error_literal(err, PL_ERROR, PL_ERROR_USAGE, ps.problems->str);
		g_string_free(ps.problems, TRUE);
		audit_policy_free(p);
		return NULL;
	}
	g_string_free(ps.problems, TRUE);
	return p;
}

void audit_policy_free(struct audit_policy *p)
{
	if (p == NULL)
		return;
	g_ptr_array_unref(p->groups);
	g_free(p);
}

size_t audit_policy_group_count(const struct audit_policy *p)
{
	return p != NULL ? p->groups->len : 0;
}

/* ---- checks ---- */

static const struct group *group_of(const struct audit_policy *p, const struct pl_addr *a)
{
	for (guint i = 0; i < p->groups->len; i++) {
		const struct group *g = p->groups->pdata[i];

		for (guint j = 0; j < g->ranges->len; j++) {
			const struct addr_range *r = &g_array_index(g->ranges, struct addr_range, j);

			if (r->family == a->family && pl_u128_cmp(r->first, a->v) <= 0 &&
			    pl_u128_cmp(a->v, r->last) <= 0)
				return g;
		}
	}
	return NULL;
}

const char *audit_policy_group_of(const struct audit_policy *p, const struct pl_addr *a)
{
	const struct group *g = p != NULL ? group_of(p, a) : NULL;

	return g != NULL ? g->name : NULL;
}

static const struct expect *expect_for(const struct group *g, enum pl_proto proto,
				       uint16_t port)
{
	for (guint i = 0; i < g->expects->len; i++) {
		const struct expect *e = &g_array_index(g->expects, struct expect, i);

		if (e->port == port && e->proto == proto)
			return e;
	}
	return NULL;
}

static void check_services(const struct group *g, const struct result *r, struct finding *f,
			   audit_emit_fn emit, void *ud)
{
	const struct expect *e = expect_for(g, r->proto, r->port);
	const char *values[3] = { r->service, r->product, r->version };

	if (e == NULL)
		return;
	for (int k = 0; k < 3; k++) {
		char *expected, *found;

		if (e->what[k] == NULL)
			continue;
		if (!glob_match(e->what[k], values[k] != NULL ? values[k] : "")) {
			expected = g_strdup_printf("%s=%s", expect_keys[k], e->text[k]);
			found = g_strdup_printf("%s=%s", expect_keys[k],
						values[k] != NULL ? values[k] : "");
			f->kind = FINDING_UNEXPECTED_SERVICE;
			f->expected = expected;
			f->found = found;
			emit(ud, f);
			g_free(expected);
			g_free(found);
		}
	}
}

struct tls_ctx {
	struct finding *f;
	audit_emit_fn emit;
	void *ud;
};

static void from_tls(void *ud, enum finding_kind kind, const char *expected, const char *found)
{
	struct tls_ctx *c = ud;

	c->f->kind = kind;
	c->f->expected = expected;
	c->f->found = found;
	c->emit(c->ud, c->f);
}

/* The TLS facts of an open port against the group's TLS keys. */
static void check_tls(const struct group *g, const struct result *r, struct finding *f,
		      audit_emit_fn emit, void *ud)
{
	struct tls_ctx c = { .f = f, .emit = emit, .ud = ud };

	tls_policy_check(g->tls, r->tls, from_tls, &c);
}

struct baseline_ctx {
	struct finding *f;
	audit_emit_fn emit;
	void *ud;
};

static void from_baseline(void *ud, enum finding_kind kind, const char *expected,
			  const char *found)
{
	struct baseline_ctx *c = ud;

	c->f->kind = kind;
	c->f->expected = expected;
	c->f->found = found;
	c->emit(c->ud, c->f);
}

void audit_check(const struct audit_policy *p, const struct baseline *b, bool detection,
		 const struct result *r, audit_emit_fn emit, void *ud)
{
	const struct group *g = p != NULL ? group_of(p, &r->addr) : NULL;
	struct finding f = {
		.addr = &r->addr, .host = r->host, .port = r->port, .proto = r->proto,
		.group = g != NULL ? g->name : NULL,
	};
	int proto = r->proto == PROTO_UDP ? PROTO_UDP : PROTO_TCP;

	/* A host row: the host's status, no port to check against the
	 * group's ports. */
	if (result_is_host_row(r)) {
		char found[64];

		f.port = 0;
		snprintf(found, sizeof found, "%s (%s)", port_state_name(r->state),
			 reason_name(r->reason));
		/* Ports required open need their host up: a -Pn scan would
		 * have found them not open, a discovering one must not
		 * find nothing. */
		if (g != NULL && (g->require_up || g->require[PROTO_TCP].count > 0 ||
				  g->require[PROTO_UDP].count > 0) &&
		    r->state == STATE_DOWN) {
			f.kind = FINDING_HOST_DOWN;
			f.expected = "up";
			f.found = found;
			emit(ud, &f);
		}
		if (b != NULL) {
			struct baseline_ctx c = { .f = &f, .emit = emit, .ud = ud };

			baseline_compare(b, r, detection, from_baseline, &c);
		}
		return;
	}
	if (g != NULL) {
		if (r->state == STATE_OPEN) {
			if (g->has_allow && !ports_contains(&g->allowed[proto], r->port)) {
				f.kind = FINDING_UNEXPECTED_OPEN;
				f.expected = g->allowed_text[proto];
				f.found = "open";
				emit(ud, &f);
			}
			if (detection)
				check_services(g, r, &f, emit, ud);
			check_tls(g, r, &f, emit, ud);
		} else if (r->state == STATE_OPEN_FILTERED) {
			/* Silence: no proof of open, none of closed. Never an
			 * unexpected-open; a required port says it could not
			 * be confirmed. */
			if (ports_contains(&g->require[proto], r->port)) {
				f.kind = FINDING_REQUIRED_UNCONFIRMED;
				f.expected = "open";
				f.found = port_state_name(r->state);
				emit(ud, &f);
			}
		} else if (ports_contains(&g->require[proto], r->port)) {
			/* Error counts too: a required port that could not be
			 * checked must not pass the audit silently. */
			f.kind = FINDING_REQUIRED_NOT_OPEN;
			f.expected = "open";
			f.found = port_state_name(r->state);
			emit(ud, &f);
		}
	}
	if (b != NULL) {
		struct baseline_ctx c = { .f = &f, .emit = emit, .ud = ud };

		baseline_compare(b, r, detection, from_baseline, &c);
	}
}

/* ---- the audit of one scan ---- */

/* A target that left no host, waiting to be written as a finding. */
struct unscanned {
	char *spec;
	char *why;
	char *group;               /* a literal's policy group, or NULL */
};

struct audit {
	const struct audit_policy *policy;
	struct baseline *baseline;
	bool detection;
	struct findings *findings;
	GArray *unscanned;         /* struct unscanned, not yet written */
};

static void unscanned_free(gpointer p)
{
	struct unscanned *u = p;

	g_free(u->spec);
	g_free(u->why);
	g_free(u->group);
}

struct audit *audit_new(const struct audit_policy *policy, struct baseline *baseline,
			bool detection, const char *findings_path, GError **err)
{
	struct audit *a;
	struct findings *f = findings_new(findings_path, err);

	if (f == NULL) {
		baseline_free(baseline);
		return NULL;
	}
	a = g_new0(struct audit, 1);
	a->policy = policy;
	a->baseline = baseline;
	a->detection = detection;
	a->findings = f;
	a->unscanned = g_array_new(FALSE, FALSE, sizeof(struct unscanned));
	g_array_set_clear_func(a->unscanned, unscanned_free);
	return a;
}

/* Writes the targets noted so far as findings. */
static int flush_unscanned(struct audit *a, GError **err)
{
	GError *e = NULL;

	for (guint i = 0; i < a->unscanned->len; i++) {
		const struct unscanned *u = &g_array_index(a->unscanned, struct unscanned, i);
		struct finding f = {
			.kind = FINDING_TARGET_NOT_SCANNED, .host = u->spec,
			.expected = "scanned", .found = u->why, .group = u->group,
		};

		(void)findings_add(a->findings, &f, e == NULL ? &e : NULL);
	}
	g_array_set_size(a->unscanned, 0);
	if (e != NULL) {
		g_propagate_error(err, e);
		return -1;
	}
	return 0;
}

void audit_targets_finalized(struct audit *a, const struct target_set *ts)
{
	for (size_t i = 0; i < target_set_unscanned_count(ts); i++) {
		const struct target_unscanned *t = target_set_unscanned(ts, i);
		const char *group = t->literal ? audit_policy_group_of(a->policy, &t->first) : NULL;
		struct unscanned u = {
			.spec = g_strdup(t->spec), .why = g_strdup(t->why), .group = g_strdup(group),
		};

		g_array_append_val(a->unscanned, u);
	}
}

int audit_open(struct audit *a, GError **err)
{
	if (findings_open(a->findings, err) != 0)
		return -1;
	/* The first window's (or the whole scan's) targets are known by now. */
	return flush_unscanned(a, err);
}

void audit_discard(struct audit *a)
{
	findings_discard(a->findings);
}

struct sink {
	struct findings *findings;
	GError *err;
};

static void to_findings(void *ud, const struct finding *f)
{
	struct sink *s = ud;

	(void)findings_add(s->findings, f, s->err == NULL ? &s->err : NULL);
}

int audit_result(struct audit *a, const struct result *r, GError **err)
{
	struct sink s = { .findings = a->findings };

	audit_check(a->policy, a->baseline, a->detection, r, to_findings, &s);
	if (s.err != NULL) {
		g_propagate_error(err, s.err);
		return -1;
	}
	return 0;
}

int audit_close(struct audit *a, GError **err)
{
	GError *e = NULL;

	/* Later windows' targets: the results thread is done, so no finding
	 * is being written meanwhile. */
	if (flush_unscanned(a, &e) != 0) {
		(void)findings_close(a->findings, NULL);
		g_propagate_error(err, e);
		return -1;
	}
	return findings_close(a->findings, err);
}

uint64_t audit_findings(const struct audit *a)
{
	return findings_total(a->findings);
}

void audit_print_summary(const struct audit *a, FILE *fp)
{
	findings_print_summary(a->findings, fp);
}

void audit_free(struct audit *a)
{
	if (a == NULL)
		return;
	baseline_free(a->baseline);
	findings_free(a->findings);
	g_array_free(a->unscanned, TRUE);
	g_free(a);
}
