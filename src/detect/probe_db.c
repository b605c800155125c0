/* probe_db.c: the service-detection probe database.
 *
 * Probe files are YAML (the format is documented in probes/README.md).
 * Loading takes two steps. libyaml's event parser first builds a small tree
 * of scalars, sequences and mappings; anchors and aliases are refused and
 * depth and size are bounded, so hostile input cannot make the walk blow up.
 * A schema walk then turns the tree into probes and compiles every pattern
 * once. Any problem becomes one GError line, "file:line: ...", and leaves the
 * database as it was.
 *
 * Nothing is written after loading: GRegex objects are immutable once
 * compiled (no G_REGEX_OPTIMIZE, whose JIT set-up writes into the regex on
 * first use), and every match uses its own GMatchInfo, so any number of
 * threads may match at once without a lock. */

#include "probe_db.h"
#include "errors.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

enum {
	PROBE_FILE_MAX = 4 * 1024 * 1024, /* bytes in one probe file */
	YAML_DEPTH_MAX = 16,              /* the schema needs 5 */
	YAML_NODES_MAX = 200000,
	PAYLOAD_MAX = 65536,              /* bytes a probe may send */
	WAIT_MS_DEFAULT = 3000,
	WAIT_MS_MAX = 30000,
	NAME_MAX_LEN = 64,
	FIELD_MAX = 256,                  /* bytes in an expanded field */
	MATCH_INPUT_MAX = 16 * 1024 * 1024, /* GRegex offsets are gint */
	MSG_TEXT_MAX = 80,                /* bytes of user text quoted in a message */
};

/* Patterns run over raw bytes; CR, LF and CRLF end a line for '$', '.' and
 * multiline mode (PCRE's default here, "any newline", would also treat the
 * bytes 0x0b, 0x0c and 0x85 as line ends, which surprises in binary data). */
#define PATTERN_BASE_FLAGS (G_REGEX_RAW | G_REGEX_NEWLINE_ANYCRLF)

/* ------------------------------------------------------------------ */
/* The loaded database                                                 */

struct match_rule {
	char *service;
	GRegex *re;
	/* Templates, NULL when the rule does not set the field. */
	char *product;
	char *version;
	char *info;
	char *hostname;
	char *os;
	bool soft;
};

struct port_range {
	uint16_t lo;
	uint16_t hi;
};

struct probe {
	char *name;
	char *origin;                /* "file:line", for duplicate-name messages */
	uint8_t *payload;
	size_t payload_len;
	unsigned wait_ms;
	bool fresh;
	struct port_range *ports;
	size_t nports;
	struct match_rule *rules;
	size_t nrules;
};

struct probe_db {
	GPtrArray *probes;           /* struct probe *, load order; owned */
	GHashTable *names;           /* name -> struct probe *, borrowed */
};

static void match_rule_clear(struct match_rule *r)
{
	g_free(r->service);
	if (r->re)
		g_regex_unref(r->re);
	g_free(r->product);
	g_free(r->version);
	g_free(r->info);
	g_free(r->hostname);
	g_free(r->os);
	memset(r, 0, sizeof(*r));
}

static void probe_free(struct probe *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nrules; i++)
		match_rule_clear(&p->rules[i]);
	g_free(p->rules);
	g_free(p->ports);
	g_free(p->payload);
	g_free(p->origin);
	g_free(p->name);
	g_free(p);
}

static void probe_free_cb(gpointer p)
{
	probe_free(p);
}

void service_match_clear(struct service_match *m)
{
	if (!m)
		return;
	g_free(m->service);
	g_free(m->product);
	g_free(m->version);
	g_free(m->info);
	g_free(m->hostname);
	g_free(m->os_hint);
	memset(m, 0, sizeof(*m));
}

struct probe_db *probe_db_new(void)
{
	struct probe_db *db = g_new0(struct probe_db, 1);

	db->probes = g_ptr_array_new_with_free_func(probe_free_cb);
	db->names = g_hash_table_new(g_str_hash, g_str_equal);
	return db;
}

void probe_db_free(struct probe_db *db)
{
	if (!db)
		return;
	g_hash_table_destroy(db->names);
	g_ptr_array_free(db->probes, TRUE);
	g_free(db);
}

size_t probe_db_count(const struct probe_db *db)
{
	return db ? db->probes->len : 0;
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */

/* A copy of user text fit for a one-line message: bytes outside printable
 * ASCII become '?', and long text is cut with "...". */
static char *printable(const char *s, size_t len)
{
	GString *out = g_string_sized_new(len < MSG_TEXT_MAX ? len + 1 : MSG_TEXT_MAX + 4);

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (out->len >= MSG_TEXT_MAX) {
			g_string_append(out, "...");
			break;
		}
		g_string_append_c(out, c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
	return g_string_free(out, FALSE);
}

/* ------------------------------------------------------------------ */
/* YAML to a small tree                                                */

enum ynode_kind { YN_SCALAR, YN_SEQUENCE, YN_MAPPING };

struct ynode {
	enum ynode_kind kind;
	size_t line;                 /* 1-based */
	bool plain;                  /* a scalar written without quotes */
	char *text;                  /* scalar bytes, NUL-terminated; may hold NULs */
	size_t len;
	GPtrArray *items;            /* sequence: values; mapping: key, value, ... */
};

static void ynode_free(struct ynode *n)
{
	if (!n)
		return;
	if (n->items)
		g_ptr_array_free(n->items, TRUE);
	g_free(n->text);
	g_free(n);
}

static void ynode_free_cb(gpointer n)
{
	ynode_free(n);
}

static struct ynode *ynode_new(enum ynode_kind kind, const yaml_mark_t *mark)
{
	struct ynode *n = g_new0(struct ynode, 1);

	n->kind = kind;
	n->line = mark->line + 1;
	if (kind != YN_SCALAR)
		n->items = g_ptr_array_new_with_free_func(ynode_free_cb);
	return n;
}

static const char *kind_name(enum ynode_kind kind)
{
	switch (kind) {
	case YN_SCALAR:
		return "a scalar";
	case YN_SEQUENCE:
		return "a sequence";
	case YN_MAPPING:
		return "a mapping";
	}
	return "a node";
}

/* libyaml's reader reports a byte offset, not a mark: find its line. */
static void offset_position(const char *buf, size_t len, size_t offset,
			    size_t *line, size_t *col)
{
	size_t l = 1, start = 0;

	if (offset > len)
		offset = len;
	for (size_t i = 0; i < offset; i++) {
		if (buf[i] == '\n' || (buf[i] == '\r' && (i + 1 >= len || buf[i + 1] != '\n'))) {
			l++;
			start = i + 1;
		}
	}
	*line = l;
	*col = offset - start + 1;
}

static void set_syntax_error(const yaml_parser_t *parser, const char *name,
			     const char *buf, size_t len, GError **err)
{
	const char *problem = parser->problem ? parser->problem : "unknown problem";
	size_t line, col;

	switch (parser->error) {
	case YAML_MEMORY_ERROR:
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "%s: YAML parser out of memory", name);
		return;
	case YAML_READER_ERROR:
		offset_position(buf, len, parser->problem_offset, &line, &col);
		if (parser->problem_value >= 0)
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "%s:%zu:%zu: YAML syntax error: %s (#%X)", name,
				    line, col, problem, (unsigned)parser->problem_value);
		else
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "%s:%zu:%zu: YAML syntax error: %s", name, line, col,
				    problem);
		return;
	default:
		line = parser->problem_mark.line + 1;
		col = parser->problem_mark.column + 1;
		if (parser->context)
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "%s:%zu:%zu: YAML syntax error: %s (%s at line %zu)",
				    name, line, col, problem, parser->context,
				    (size_t)parser->context_mark.line + 1);
		else
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "%s:%zu:%zu: YAML syntax error: %s", name, line, col,
				    problem);
		return;
	}
}

/* Parses one YAML document into a tree. *root is NULL for an empty stream. */
static int yaml_read_tree(const char *name, const char *buf, size_t len,
			  struct ynode **root, GError **err)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	GPtrArray *stack = g_ptr_array_new();   /* open containers, borrowed */
	struct ynode *top = NULL;               /* the document's root, owned */
	size_t nodes = 0, documents = 0;
	bool done = false;
	int result = -1;

	*root = NULL;
	if (!yaml_parser_initialize(&parser)) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "%s: cannot initialise the YAML parser", name);
		g_ptr_array_free(stack, TRUE);
		return -1;
	}
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);

	while (!done) {
		struct ynode *node = NULL;
		const unsigned char *anchor = NULL;
		size_t line;

		if (!yaml_parser_parse(&parser, &ev)) {
			set_syntax_error(&parser, name, buf, len, err);
			goto out;
		}
		line = ev.start_mark.line + 1;
		switch (ev.type) {
		case YAML_NO_EVENT:
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++documents > 1) {
				g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
					    "%s:%zu: only one YAML document per file", name, line);
				goto fail_event;
			}
			break;
		case YAML_ALIAS_EVENT:
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "%s:%zu: YAML aliases are not supported", name, line);
			goto fail_event;
		case YAML_SCALAR_EVENT:
			anchor = ev.data.scalar.anchor;
			node = ynode_new(YN_SCALAR, &ev.start_mark);
			node->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			node->len = ev.data.scalar.length;
			node->text = g_malloc(node->len + 1);
			memcpy(node->text, ev.data.scalar.value, node->len);
			node->text[node->len] = '\0';
			break;
		case YAML_SEQUENCE_START_EVENT:
			anchor = ev.data.sequence_start.anchor;
			node = ynode_new(YN_SEQUENCE, &ev.start_mark);
			break;
		case YAML_MAPPING_START_EVENT:
			anchor = ev.data.mapping_start.anchor;
			node = ynode_new(YN_MAPPING, &ev.start_mark);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (stack->len > 0)
				g_ptr_array_set_size(stack, stack->len - 1);
			break;
		default:
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "%s:%zu: unexpected YAML event", name, line);
			goto fail_event;
		}
		if (node) {
			if (anchor) {
				g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
					    "%s:%zu: YAML anchors are not supported", name, line);
				ynode_free(node);
				goto fail_event;
			}
			if (++nodes > YAML_NODES_MAX) {
				g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
					    "%s:%zu: more than %d YAML nodes", name, line,
					    YAML_NODES_MAX);
				ynode_free(node);
				goto fail_event;
			}
			if (stack->len == 0) {
				/* One document, so one root; libyaml guarantees it. */
				ynode_free(top);
				top = node;
			} else {
				struct ynode *parent = g_ptr_array_index(stack, stack->len - 1);

				g_ptr_array_add(parent->items, node);
			}
			if (node->kind != YN_SCALAR) {
				if (stack->len >= YAML_DEPTH_MAX) {
					g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
						    "%s:%zu: YAML nested deeper than %d levels",
						    name, line, YAML_DEPTH_MAX);
					goto fail_event;
				}
				g_ptr_array_add(stack, node);
			}
		}
		yaml_event_delete(&ev);
	}
	*root = top;
	top = NULL;
	result = 0;
	goto out;

fail_event:
	yaml_event_delete(&ev);
out:
	ynode_free(top);
	yaml_parser_delete(&parser);
	g_ptr_array_free(stack, TRUE);
	return result;
}

/* ------------------------------------------------------------------ */
/* The schema walk                                                     */

struct load {
	const char *name;            /* the file, for messages */
	GError **err;
	const char *probe;           /* the probe being read, once its name is known */
	size_t index;                /* its 1-based position in the file */
};

static void G_GNUC_PRINTF(3, 4)
load_error(struct load *ld, const struct ynode *at, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (ld->probe)
		g_set_error(ld->err, PL_ERROR, PL_ERROR_USAGE, "%s:%zu: probe '%s': %s",
			    ld->name, at->line, ld->probe, msg);
	else if (ld->index)
		g_set_error(ld->err, PL_ERROR, PL_ERROR_USAGE, "%s:%zu: probe #%zu: %s",
			    ld->name, at->line, ld->index, msg);
	else
		g_set_error(ld->err, PL_ERROR, PL_ERROR_USAGE, "%s:%zu: %s",
			    ld->name, at->line, msg);
	g_free(msg);
}

static bool key_is(const struct ynode *key, const char *s)
{
	size_t n = strlen(s);

	return key->kind == YN_SCALAR && key->len == n && memcmp(key->text, s, n) == 0;
}

static int want_kind(struct load *ld, const struct ynode *n, enum ynode_kind kind,
		     const char *what)
{
	if (n->kind == kind)
		return 0;
	load_error(ld, n, "'%s' must be %s, not %s", what, kind_name(kind),
		   kind_name(n->kind));
	return -1;
}

/* A scalar as a NUL-free string; "what" names the key in messages. */
static int want_string(struct load *ld, const struct ynode *n, const char *what)
{
	if (want_kind(ld, n, YN_SCALAR, what) < 0)
		return -1;
	if (memchr(n->text, '\0', n->len)) {
		load_error(ld, n, "'%s' contains a NUL character", what);
		return -1;
	}
	return 0;
}

static int want_bool(struct load *ld, const struct ynode *n, const char *what, bool *out)
{
	if (want_kind(ld, n, YN_SCALAR, what) < 0)
		return -1;
	if (n->plain && strcmp(n->text, "true") == 0 && n->len == 4) {
		*out = true;
		return 0;
	}
	if (n->plain && strcmp(n->text, "false") == 0 && n->len == 5) {
		*out = false;
		return 0;
	}
	load_error(ld, n, "'%s' must be true or false", what);
	return -1;
}

/* Parses digits only (no sign, no spaces) into *out; false on anything else
 * or on a value above limit. */
static bool parse_decimal(const char *s, size_t len, unsigned long limit,
			  unsigned long *out)
{
	unsigned long v = 0;

	if (len == 0 || len > 9)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > limit)
		return false;
	*out = v;
	return true;
}

/* Our escapes on top of whatever YAML quoting produced: \r \n \t \0 \\ \xNN.
 * Only ASCII is accepted, so that "\xff" written in double quotes (which YAML
 * turns into the two UTF-8 bytes of U+00FF) is caught instead of sent. */
static int decode_send(struct load *ld, const struct ynode *n, GByteArray *out)
{
	for (size_t i = 0; i < n->len; i++) {
		unsigned char c = (unsigned char)n->text[i];

		if (c >= 0x80) {
			load_error(ld, n, "non-ASCII character in 'send' (write bytes as \\xNN)");
			return -1;
		}
		if (c == '\\') {
			char e;

			if (i + 1 >= n->len) {
				load_error(ld, n, "'send' ends with a lone backslash");
				return -1;
			}
			e = n->text[++i];
			switch (e) {
			case 'r':
				c = '\r';
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case '0':
				c = '\0';
				break;
			case '\\':
				c = '\\';
				break;
			case 'x':
				if (i + 2 >= n->len || !g_ascii_isxdigit(n->text[i + 1]) ||
				    !g_ascii_isxdigit(n->text[i + 2])) {
					load_error(ld, n, "bad escape in 'send': \\x needs two hex digits");
					return -1;
				}
				c = (unsigned char)(g_ascii_xdigit_value(n->text[i + 1]) * 16 +
						    g_ascii_xdigit_value(n->text[i + 2]));
				i += 2;
				break;
			default: {
				char *shown = printable(&e, 1);

				load_error(ld, n, "bad escape '\\%s' in 'send'", shown);
				g_free(shown);
				return -1;
			}
			}
		}
		if (out->len >= PAYLOAD_MAX) {
			load_error(ld, n, "'send' is longer than %d bytes", PAYLOAD_MAX);
			return -1;
		}
		g_byte_array_append(out, &c, 1);
	}
	return 0;
}

static int parse_ports(struct load *ld, const struct ynode *seq, GArray *out)
{
	if (want_kind(ld, seq, YN_SEQUENCE, "ports") < 0)
		return -1;
	for (guint i = 0; i < seq->items->len; i++) {
		const struct ynode *n = g_ptr_array_index(seq->items, i);
		struct port_range r;
		unsigned long lo, hi;
		const char *dash;

		if (want_kind(ld, n, YN_SCALAR, "ports") < 0)
			return -1;
		dash = memchr(n->text, '-', n->len);
		if (dash) {
			size_t left = (size_t)(dash - n->text);

			if (!parse_decimal(n->text, left, 65535, &lo) ||
			    !parse_decimal(dash + 1, n->len - left - 1, 65535, &hi))
				lo = hi = 0;
		} else if (!parse_decimal(n->text, n->len, 65535, &lo)) {
			lo = hi = 0;
		} else {
			hi = lo;
		}
		if (lo == 0 || hi < lo) {
			char *shown = printable(n->text, n->len);

			load_error(ld, n, "bad port '%s' (use 1-65535 or a range 'low-high')",
				   shown);
			g_free(shown);
			return -1;
		}
		r.lo = (uint16_t)lo;
		r.hi = (uint16_t)hi;
		g_array_append_val(out, r);
	}
	return 0;
}

static const struct {
	const char *name;
	GRegexCompileFlags flag;
} pattern_flags[] = {
	{ "caseless", G_REGEX_CASELESS },
	{ "dotall", G_REGEX_DOTALL },
	{ "multiline", G_REGEX_MULTILINE },
	{ "extended", G_REGEX_EXTENDED },
	{ "ungreedy", G_REGEX_UNGREEDY },
};

static int parse_flags(struct load *ld, const struct ynode *seq, GRegexCompileFlags *out)
{
	if (want_kind(ld, seq, YN_SEQUENCE, "flags") < 0)
		return -1;
	for (guint i = 0; i < seq->items->len; i++) {
		const struct ynode *n = g_ptr_array_index(seq->items, i);
		bool found = false;

		if (want_kind(ld, n, YN_SCALAR, "flags") < 0)
			return -1;
		for (size_t f = 0; f < G_N_ELEMENTS(pattern_flags); f++) {
			if (key_is(n, pattern_flags[f].name)) {
				*out |= pattern_flags[f].flag;
				found = true;
			}
		}
		if (!found) {
			char *shown = printable(n->text, n->len);

			load_error(ld, n, "unknown flag '%s' (caseless, dotall, multiline, "
				   "extended, ungreedy)", shown);
			g_free(shown);
			return -1;
		}
	}
	return 0;
}

/* Checks a template: '$' must be followed by 1-9 naming an existing group,
 * or by another '$'. */
static int check_template(struct load *ld, const struct ynode *n, const char *what,
			  int groups)
{
	for (size_t i = 0; i < n->len; i++) {
		if (n->text[i] != '$')
			continue;
		if (i + 1 < n->len && n->text[i + 1] == '$') {
			i++;
			continue;
		}
		if (i + 1 >= n->len || n->text[i + 1] < '1' || n->text[i + 1] > '9') {
			load_error(ld, n, "bad template in '%s': '$' must be followed by "
				   "1-9 or '$'", what);
			return -1;
		}
		if (n->text[i + 1] - '0' > groups) {
			load_error(ld, n, "'%s' uses $%c but the pattern has %d group%s", what,
				   n->text[i + 1], groups, groups == 1 ? "" : "s");
			return -1;
		}
		i++;
	}
	return 0;
}

static bool valid_name(const char *s, size_t len, size_t max, bool lower_only)
{
	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!(g_ascii_isdigit(c) || g_ascii_islower(c) || c == '-' || c == '_' ||
		      c == '.' || c == '/' || (!lower_only && g_ascii_isupper(c))))
			return false;
	}
	return true;
}

/* The keys of a match rule, with where each lands. */
enum rule_key {
	RK_SERVICE, RK_PATTERN, RK_FLAGS, RK_SOFT, RK_PRODUCT, RK_VERSION, RK_INFO,
	RK_HOSTNAME, RK_OS, RK_COUNT
};

static const char *const rule_keys[RK_COUNT] = {
	"service", "pattern", "flags", "soft", "product", "version", "info",
	"hostname", "os",
};

/* Shared key handling for probes and rules: every key a known, unique
 * scalar; values land in found[] by index. */
static int collect_keys(struct load *ld, const struct ynode *map,
			const char *const *keys, size_t nkeys,
			const struct ynode **found, const char *where)
{
	for (guint i = 0; i + 1 < map->items->len; i += 2) {
		const struct ynode *k = g_ptr_array_index(map->items, i);
		const struct ynode *v = g_ptr_array_index(map->items, i + 1);
		size_t idx = nkeys;

		if (k->kind != YN_SCALAR) {
			load_error(ld, k, "%s keys must be scalars, not %s", where,
				   kind_name(k->kind));
			return -1;
		}
		for (size_t j = 0; j < nkeys; j++) {
			if (key_is(k, keys[j])) {
				idx = j;
				break;
			}
		}
		if (idx == nkeys) {
			char *shown = printable(k->text, k->len);

			load_error(ld, k, "unknown key '%s'", shown);
			g_free(shown);
			return -1;
		}
		if (found[idx]) {
			load_error(ld, k, "duplicate key '%s'", keys[idx]);
			return -1;
		}
		found[idx] = v;
	}
	return 0;
}

static int parse_rule(struct load *ld, const struct ynode *map, struct match_rule *r)
{
	const struct ynode *f[RK_COUNT] = { 0 };
	GRegexCompileFlags flags = PATTERN_BASE_FLAGS;
	char **fields[RK_COUNT] = { 0 };
	GError *gerr = NULL;
	int groups;

	if (want_kind(ld, map, YN_MAPPING, "matches") < 0)
		return -1;
	if (collect_keys(ld, map, rule_keys, RK_COUNT, f, "match") < 0)
		return -1;
	if (!f[RK_SERVICE] || !f[RK_PATTERN]) {
		load_error(ld, map, "match without '%s'",
			   f[RK_SERVICE] ? "pattern" : "service");
		return -1;
	}
	if (want_string(ld, f[RK_SERVICE], "service") < 0)
		return -1;
	if (!valid_name(f[RK_SERVICE]->text, f[RK_SERVICE]->len, NAME_MAX_LEN, true)) {
		char *shown = printable(f[RK_SERVICE]->text, f[RK_SERVICE]->len);

		load_error(ld, f[RK_SERVICE], "bad service name '%s' (use a-z, 0-9, "
			   "'-', '_', '.', '/')", shown);
		g_free(shown);
		return -1;
	}
	if (want_string(ld, f[RK_PATTERN], "pattern") < 0)
		return -1;
	if (f[RK_PATTERN]->len == 0) {
		load_error(ld, f[RK_PATTERN], "empty pattern");
		return -1;
	}
	if (f[RK_FLAGS] && parse_flags(ld, f[RK_FLAGS], &flags) < 0)
		return -1;
	if (f[RK_SOFT] && want_bool(ld, f[RK_SOFT], "soft", &r->soft) < 0)
		return -1;

	r->re = g_regex_new(f[RK_PATTERN]->text, flags, 0, &gerr);
	if (!r->re) {
		char *shown = printable(f[RK_PATTERN]->text, f[RK_PATTERN]->len);
		char *why = g_strdup(gerr->message);

		/* GLib's message may be translated UTF-8: keep it, but on one line. */
		for (char *c = why; *c; c++) {
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = ' ';
		}

		load_error(ld, f[RK_PATTERN], "invalid pattern '%s': %s", shown, why);
		g_free(why);
		g_free(shown);
		g_error_free(gerr);
		return -1;
	}
	groups = g_regex_get_capture_count(r->re);
	r->service = g_strndup(f[RK_SERVICE]->text, f[RK_SERVICE]->len);

	fields[RK_PRODUCT] = &r->product;
	fields[RK_VERSION] = &r->version;
	fields[RK_INFO] = &r->info;
	fields[RK_HOSTNAME] = &r->hostname;
	fields[RK_OS] = &r->os;
	for (size_t k = 0; k < RK_COUNT; k++) {
		if (!fields[k] || !f[k])
			continue;
		if (want_string(ld, f[k], rule_keys[k]) < 0 ||
		    check_template(ld, f[k], rule_keys[k], groups) < 0)
			return -1;
		*fields[k] = g_strndup(f[k]->text, f[k]->len);
	}
	return 0;
}

enum probe_key { PK_PROBE, PK_SEND, PK_WAIT_MS, PK_PORTS, PK_FRESH, PK_MATCHES, PK_COUNT };

static const char *const probe_keys[PK_COUNT] = {
	"probe", "send", "wait_ms", "ports", "fresh", "matches",
};

static struct probe *parse_probe(struct load *ld, const struct ynode *map)
{
	const struct ynode *f[PK_COUNT] = { 0 };
	struct probe *p = g_new0(struct probe, 1);
	GByteArray *payload = NULL;
	GArray *ports = NULL;
	const struct ynode *m;

	p->wait_ms = WAIT_MS_DEFAULT;
	p->fresh = true;
	if (map->kind != YN_MAPPING) {
		load_error(ld, map, "a probe must be a mapping, not %s", kind_name(map->kind));
		goto fail;
	}
	/* The name first, so that every later message can say which probe. */
	for (guint i = 0; i + 1 < map->items->len; i += 2) {
		if (key_is(g_ptr_array_index(map->items, i), "probe")) {
			f[PK_PROBE] = g_ptr_array_index(map->items, i + 1);
			break;
		}
	}
	if (!f[PK_PROBE]) {
		load_error(ld, map, "missing key 'probe'");
		goto fail;
	}
	if (f[PK_PROBE]->kind != YN_SCALAR ||
	    !valid_name(f[PK_PROBE]->text, f[PK_PROBE]->len, NAME_MAX_LEN, false)) {
		load_error(ld, f[PK_PROBE], "bad probe name (use 1-%d of A-Z, a-z, 0-9, "
			   "'-', '_', '.', '/')", NAME_MAX_LEN);
		goto fail;
	}
	p->name = g_strndup(f[PK_PROBE]->text, f[PK_PROBE]->len);
	p->origin = g_strdup_printf("%s:%zu", ld->name, f[PK_PROBE]->line);
	ld->probe = p->name;

	f[PK_PROBE] = NULL;
	if (collect_keys(ld, map, probe_keys, PK_COUNT, f, "probe") < 0)
		goto fail;

	if (f[PK_SEND]) {
		if (want_kind(ld, f[PK_SEND], YN_SCALAR, "send") < 0)
			goto fail;
		payload = g_byte_array_new();
		if (decode_send(ld, f[PK_SEND], payload) < 0)
			goto fail;
		p->payload_len = payload->len;
		if (p->payload_len > 0)
			p->payload = g_byte_array_free(payload, FALSE);
		else
			g_byte_array_free(payload, TRUE);
		payload = NULL;
	}
	if (f[PK_WAIT_MS]) {
		unsigned long v;

		if (want_kind(ld, f[PK_WAIT_MS], YN_SCALAR, "wait_ms") < 0)
			goto fail;
		if (!parse_decimal(f[PK_WAIT_MS]->text, f[PK_WAIT_MS]->len, WAIT_MS_MAX, &v) ||
		    v == 0) {
			char *shown = printable(f[PK_WAIT_MS]->text, f[PK_WAIT_MS]->len);

			load_error(ld, f[PK_WAIT_MS], "wait_ms '%s' out of range (1-%d)",
				   shown, WAIT_MS_MAX);
			g_free(shown);
			goto fail;
		}
		p->wait_ms = (unsigned)v;
	}
	if (f[PK_PORTS]) {
		ports = g_array_new(FALSE, FALSE, sizeof(struct port_range));
		if (parse_ports(ld, f[PK_PORTS], ports) < 0)
			goto fail;
		p->nports = ports->len;
		p->ports = (struct port_range *)(void *)g_array_free(ports, FALSE);
		ports = NULL;
	}
	if (f[PK_FRESH] && want_bool(ld, f[PK_FRESH], "fresh", &p->fresh) < 0)
		goto fail;

	m = f[PK_MATCHES];
	if (!m) {
		load_error(ld, map, "missing key 'matches'");
		goto fail;
	}
	if (want_kind(ld, m, YN_SEQUENCE, "matches") < 0)
		goto fail;
	if (m->items->len == 0) {
		load_error(ld, m, "'matches' is empty");
		goto fail;
	}
	p->rules = g_new0(struct match_rule, m->items->len);
	for (guint i = 0; i < m->items->len; i++) {
		/* Counted as it goes, so that probe_free clears a partial rule. */
		p->nrules++;
		if (parse_rule(ld, g_ptr_array_index(m->items, i), &p->rules[i]) < 0)
			goto fail;
	}
	return p;

fail:
	if (payload)
		g_byte_array_free(payload, TRUE);
	if (ports)
		g_array_free(ports, TRUE);
	probe_free(p);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */

int probe_db_load_string(struct probe_db *db, const char *yaml, size_t len,
			 const char *name, GError **err)
{
	struct ynode *root = NULL;
	GPtrArray *loaded = NULL;
	GHashTable *local = NULL;
	struct load ld = { .err = err };
	int result = -1;

	if (!name)
		name = "<string>";
	ld.name = name;
	if (!db || (!yaml && len > 0)) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s: no probe data", name);
		return -1;
	}
	if (len > PROBE_FILE_MAX) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "%s: file too large (%zu bytes, at most %d)", name, len,
			    PROBE_FILE_MAX);
		return -1;
	}
	if (yaml_read_tree(name, yaml ? yaml : "", len, &root, err) < 0)
		return -1;
	if (!root) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "%s:1: no probes: a probe file is a YAML sequence of probes", name);
		return -1;
	}
	if (root->kind != YN_SEQUENCE) {
		load_error(&ld, root, "a probe file must be a sequence of probes, not %s",
			   kind_name(root->kind));
		goto out;
	}
	if (root->items->len == 0) {
		load_error(&ld, root, "no probes: the sequence is empty");
		goto out;
	}

	loaded = g_ptr_array_new_with_free_func(probe_free_cb);
	local = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < root->items->len; i++) {
		const struct ynode *item = g_ptr_array_index(root->items, i);
		const struct probe *prev;
		struct probe *p;

		ld.index = i + 1;
		ld.probe = NULL;
		p = parse_probe(&ld, item);
		if (!p)
			goto out;
		prev = g_hash_table_lookup(local, p->name);
		if (!prev)
			prev = g_hash_table_lookup(db->names, p->name);
		if (prev) {
			/* The probe's own line: the name's is in its origin. */
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "%s: probe '%s': duplicate probe name (first defined at %s)",
				    p->origin, p->name, prev->origin);
			probe_free(p);
			goto out;
		}
		g_hash_table_insert(local, p->name, p);
		g_ptr_array_add(loaded, p);
	}

	/* All good: the database takes the probes over. */
	for (guint i = 0; i < loaded->len; i++) {
		struct probe *p = g_ptr_array_index(loaded, i);

		g_ptr_array_add(db->probes, p);
		g_hash_table_insert(db->names, p->name, p);
	}
	g_ptr_array_set_free_func(loaded, NULL);
	result = 0;
out:
	if (local)
		g_hash_table_destroy(local);
	if (loaded)
		g_ptr_array_free(loaded, TRUE);
	ynode_free(root);
	return result;
}

int probe_db_load_file(struct probe_db *db, const char *path, GError **err)
{
	struct stat st;
	char *buf = NULL;
	size_t n;
	FILE *f;
	int result = -1;

	f = fopen(path, "rb");
	if (!f) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s: %s", path, g_strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s: not a regular file", path);
		goto out;
	}
	/* One byte more than allowed tells a too-large file from a full one. */
	buf = g_malloc((size_t)PROBE_FILE_MAX + 1);
	n = fread(buf, 1, (size_t)PROBE_FILE_MAX + 1, f);
	if (ferror(f)) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s: read error", path);
		goto out;
	}
	if (n > PROBE_FILE_MAX) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "%s: file too large (more than %d bytes)", path, PROBE_FILE_MAX);
		goto out;
	}
	result = probe_db_load_string(db, buf, n, path, err);
out:
	g_free(buf);
	fclose(f);
	return result;
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct probe_db *probe_db_load_dir(const char *dir, GError **err)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	struct probe_db *db = NULL;
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s: cannot open probe directory: %s",
			    dir, g_strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' && g_str_has_suffix(de->d_name, ".yaml"))
			g_ptr_array_add(files, g_strdup(de->d_name));
	}
	closedir(d);
	if (files->len == 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "%s: no *.yaml probe files", dir);
		goto out;
	}
	g_ptr_array_sort(files, compare_names);

	db = probe_db_new();
	for (guint i = 0; i < files->len; i++) {
		char *path = g_build_filename(dir, g_ptr_array_index(files, i), NULL);
		int rc = probe_db_load_file(db, path, err);

		g_free(path);
		if (rc < 0) {
			probe_db_free(db);
			db = NULL;
			goto out;
		}
	}
out:
	g_ptr_array_free(files, TRUE);
	return db;
}

/* ------------------------------------------------------------------ */
/* Ordering                                                            */

bool probe_lists_port(const struct probe *p, uint16_t port)
{
	for (size_t i = 0; i < p->nports; i++) {
		if (port >= p->ports[i].lo && port <= p->ports[i].hi)
			return true;
	}
	return false;
}

static bool probe_names_service(const struct probe *p, const char *service)
{
	for (size_t i = 0; i < p->nrules; i++) {
		if (strcmp(p->rules[i].service, service) == 0)
			return true;
	}
	return false;
}

size_t probe_db_order(const struct probe_db *db, uint16_t port,
		      const char *service, const struct probe **out, size_t max)
{
	size_t n = 0;

	if (!db || !out)
		return 0;
	/* Pass 0: the banner probe(s); 1: probes listing the port; 2: the rest. */
	for (int pass = 0; pass < 3; pass++) {
		for (guint i = 0; i < db->probes->len; i++) {
			const struct probe *p = g_ptr_array_index(db->probes, i);
			int want;

			if (p->payload_len == 0)
				want = 0;
			else
				want = probe_lists_port(p, port) ? 1 : 2;
			if (want != pass)
				continue;
			if (service && !probe_names_service(p, service))
				continue;
			if (n >= max)
				return n;
			out[n++] = p;
		}
	}
	return n;
}

const char *probe_name(const struct probe *p)
{
	return p->name;
}

const uint8_t *probe_payload(const struct probe *p, size_t *len)
{
	if (len)
		*len = p->payload_len;
	return p->payload;
}

unsigned probe_wait_ms(const struct probe *p)
{
	return p->wait_ms;
}

bool probe_needs_fresh_connection(const struct probe *p)
{
	return p->fresh;
}

/* ------------------------------------------------------------------ */
/* Matching                                                            */

/* Appends bytes keeping printable ASCII only: tabs, CR and LF become one
 * space, other bytes are dropped, runs of spaces collapse, and the field
 * stops at FIELD_MAX bytes. */
static void append_clean(GString *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n && out->len < FIELD_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\t' || c == '\r' || c == '\n')
			c = ' ';
		if (c < 0x20 || c >= 0x7f)
			continue;
		if (c == ' ' && (out->len == 0 || out->str[out->len - 1] == ' '))
			continue;
		g_string_append_c(out, (char)c);
	}
}

static char *expand(const char *tmpl, const GMatchInfo *mi, const uint8_t *resp)
{
	GString *out;

	if (!tmpl)
		return NULL;
	out = g_string_sized_new(32);
	for (const char *t = tmpl; *t; t++) {
		if (t[0] == '$' && t[1] >= '1' && t[1] <= '9') {
			gint start = -1, end = -1;

			if (g_match_info_fetch_pos(mi, t[1] - '0', &start, &end) &&
			    start >= 0 && end > start)
				append_clean(out, (const char *)resp + start, (size_t)(end - start));
			t++;
		} else if (t[0] == '$' && t[1] == '$') {
			append_clean(out, "$", 1);
			t++;
		} else {
			append_clean(out, t, 1);
		}
	}
	while (out->len > 0 && out->str[out->len - 1] == ' ')
		g_string_truncate(out, out->len - 1);
	if (out->len == 0) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

bool probe_match(const struct probe *p, const uint8_t *resp, size_t len,
		 struct service_match *out)
{
	if (!p || !out)
		return false;
	if (!resp) {
		resp = (const uint8_t *)"";
		len = 0;
	}
	if (len > MATCH_INPUT_MAX)
		len = MATCH_INPUT_MAX;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct match_rule *r = &p->rules[i];
		GMatchInfo *mi = NULL;
		GError *gerr = NULL;
		gboolean hit;

		/* Errors (a hostile response hitting PCRE's match limit) count
		 * as no match. */
		hit = g_regex_match_full(r->re, (const gchar *)resp, (gssize)len, 0, 0,
					 &mi, &gerr);
		g_clear_error(&gerr);
		if (hit) {
			out->service = g_strdup(r->service);
			out->product = expand(r->product, mi, resp);
			out->version = expand(r->version, mi, resp);
			out->info = expand(r->info, mi, resp);
			out->hostname = expand(r->hostname, mi, resp);
			out->os_hint = expand(r->os, mi, resp);
			out->soft = r->soft;
			g_match_info_free(mi);
			return true;
		}
		g_match_info_free(mi);
	}
	return false;
}
