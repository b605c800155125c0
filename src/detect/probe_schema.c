/* probe_schema.c: the probe file schema (see probe_schema.h).
 *
 * A walk over the tree yamltree.c built: each probe and each of its match
 * rules is a mapping of known keys, checked one by one. The first problem
 * becomes one GError line naming the file, the line and the probe, and the
 * walk stops there. Patterns are compiled here, once, without
 * G_REGEX_OPTIMIZE: its JIT set-up writes into the regex on first use, and
 * the matcher shares every regex between threads. */
#include "probe_schema.h"
#include "errors.h"
#include "textesc.h"

#include <stdarg.h>
#include <string.h>

enum {
	PAYLOAD_MAX = 65536,              /* bytes a probe may send */
	WAIT_MS_DEFAULT = 3000,
	WAIT_MS_MAX = 30000,
	NAME_MAX_LEN = 64,
	MSG_TEXT_MAX = 80,                /* bytes of user text quoted in a message */
};

/* Patterns run over raw bytes; CR, LF and CRLF end a line for '$', '.' and
 * multiline mode (PCRE's default here, "any newline", would also treat the
 * bytes 0x0b, 0x0c and 0x85 as line ends, which surprises in binary data). */
#define PATTERN_BASE_FLAGS (G_REGEX_RAW | G_REGEX_NEWLINE_ANYCRLF)

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

void probe_free(struct probe *p)
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

/* ------------------------------------------------------------------ */
/* Messages                                                            */

/* User text fit for a one-line message (g_free): cut after MSG_TEXT_MAX
 * bytes and marked "...", and shown by text_printable() when it holds
 * anything but printable ASCII. Printable ASCII is quoted as written,
 * backslashes too: a pattern such as '(\d+' must read as the user typed it,
 * and a quote without any \xNN in it cannot be misread. */
static char *quote_text(const char *s, size_t len)
{
	size_t n = len > MSG_TEXT_MAX ? MSG_TEXT_MAX : len;
	bool plain = true;
	char *shown, *out;

	for (size_t i = 0; i < n && plain; i++)
		plain = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f;
	shown = plain ? g_strndup(s, n) : text_printable(s, n);
	if (!shown)
		shown = g_strdup("");
	if (n == len)
		return shown;
	out = g_strconcat(shown, "...", NULL);
	g_free(shown);
	return out;
}

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
	load_error(ld, n, "'%s' must be %s, not %s", what, ynode_kind_name(kind),
		   ynode_kind_name(n->kind));
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
				char *shown = quote_text(&e, 1);

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
			char *shown = quote_text(n->text, n->len);

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
			char *shown = quote_text(n->text, n->len);

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
				   ynode_kind_name(k->kind));
			return -1;
		}
		for (size_t j = 0; j < nkeys; j++) {
			if (key_is(k, keys[j])) {
				idx = j;
				break;
			}
		}
		if (idx == nkeys) {
			char *shown = quote_text(k->text, k->len);

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
		char *shown = quote_text(f[RK_SERVICE]->text, f[RK_SERVICE]->len);

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
		char *shown = quote_text(f[RK_PATTERN]->text, f[RK_PATTERN]->len);
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

enum probe_key {
	PK_PROBE, PK_SEND, PK_WAIT_MS, PK_PORTS, PK_FRESH, PK_MATCHES, PK_PROTOCOL,
	PK_REPLY_FROM, PK_COUNT
};

static const char *const probe_keys[PK_COUNT] = {
	"probe", "send", "wait_ms", "ports", "fresh", "matches", "protocol", "reply_from",
};

/* `protocol`: tcp (the default) or udp. */
static int read_protocol(struct load *ld, const struct ynode *n, struct probe *p)
{
	if (want_kind(ld, n, YN_SCALAR, "protocol") < 0)
		return -1;
	if (key_is(n, "udp")) {
		p->udp = true;
		return 0;
	}
	if (key_is(n, "tcp"))
		return 0;
	{
		char *shown = quote_text(n->text, n->len);

		load_error(ld, n, "protocol '%s': expected tcp or udp", shown);
		g_free(shown);
	}
	return -1;
}

/* `reply_from`: same_port (the default) or any_port, the latter for a
 * protocol whose server answers from a port of its own (TFTP's new TID,
 * RFC 1350 section 4). Only a UDP probe may say so: a TCP reply comes on
 * the connection. */
static int read_reply_from(struct load *ld, const struct ynode *n, struct probe *p)
{
	if (want_kind(ld, n, YN_SCALAR, "reply_from") < 0)
		return -1;
	if (key_is(n, "any_port")) {
		p->reply_any_port = true;
		return 0;
	}
	if (key_is(n, "same_port"))
		return 0;
	{
		char *shown = quote_text(n->text, n->len);

		load_error(ld, n, "reply_from '%s': expected same_port or any_port", shown);
		g_free(shown);
	}
	return -1;
}

/* The name first, so that every later message can say which probe. */
static int read_name(struct load *ld, const struct ynode *map, struct probe *p)
{
	const struct ynode *n = NULL;

	for (guint i = 0; i + 1 < map->items->len; i += 2) {
		if (key_is(g_ptr_array_index(map->items, i), "probe")) {
			n = g_ptr_array_index(map->items, i + 1);
			break;
		}
	}
	if (!n) {
		load_error(ld, map, "missing key 'probe'");
		return -1;
	}
	if (n->kind != YN_SCALAR || !valid_name(n->text, n->len, NAME_MAX_LEN, false)) {
		load_error(ld, n, "bad probe name (use 1-%d of A-Z, a-z, 0-9, "
			   "'-', '_', '.', '/')", NAME_MAX_LEN);
		return -1;
	}
	p->name = g_strndup(n->text, n->len);
	p->origin = g_strdup_printf("%s:%zu", ld->name, n->line);
	ld->probe = p->name;
	return 0;
}

static int read_send(struct load *ld, const struct ynode *n, struct probe *p)
{
	GByteArray *payload;

	if (want_kind(ld, n, YN_SCALAR, "send") < 0)
		return -1;
	payload = g_byte_array_new();
	if (decode_send(ld, n, payload) < 0) {
		g_byte_array_free(payload, TRUE);
		return -1;
	}
	p->payload_len = payload->len;
	if (p->payload_len > 0)
		p->payload = g_byte_array_free(payload, FALSE);
	else
		g_byte_array_free(payload, TRUE);
	return 0;
}

static int read_wait_ms(struct load *ld, const struct ynode *n, struct probe *p)
{
	unsigned long v;

	if (want_kind(ld, n, YN_SCALAR, "wait_ms") < 0)
		return -1;
	if (!parse_decimal(n->text, n->len, WAIT_MS_MAX, &v) || v == 0) {
		char *shown = quote_text(n->text, n->len);

		load_error(ld, n, "wait_ms '%s' out of range (1-%d)", shown, WAIT_MS_MAX);
		g_free(shown);
		return -1;
	}
	p->wait_ms = (unsigned)v;
	return 0;
}

static int read_ports(struct load *ld, const struct ynode *n, struct probe *p)
{
	GArray *ports = g_array_new(FALSE, FALSE, sizeof(struct port_range));

	if (parse_ports(ld, n, ports) < 0) {
		g_array_free(ports, TRUE);
		return -1;
	}
	p->nports = ports->len;
	p->ports = (struct port_range *)(void *)g_array_free(ports, FALSE);
	return 0;
}

static int read_matches(struct load *ld, const struct ynode *map, const struct ynode *m,
			struct probe *p)
{
	if (!m) {
		load_error(ld, map, "missing key 'matches'");
		return -1;
	}
	if (want_kind(ld, m, YN_SEQUENCE, "matches") < 0)
		return -1;
	if (m->items->len == 0) {
		load_error(ld, m, "'matches' is empty");
		return -1;
	}
	p->rules = g_new0(struct match_rule, m->items->len);
	for (guint i = 0; i < m->items->len; i++) {
		/* Counted as it goes, so that probe_free clears a partial rule. */
		p->nrules++;
		if (parse_rule(ld, g_ptr_array_index(m->items, i), &p->rules[i]) < 0)
			return -1;
	}
	return 0;
}

static struct probe *parse_probe(struct load *ld, const struct ynode *map)
{
	const struct ynode *f[PK_COUNT] = { 0 };
	struct probe *p = g_new0(struct probe, 1);

	p->wait_ms = WAIT_MS_DEFAULT;
	p->fresh = true;
	if (map->kind != YN_MAPPING) {
		load_error(ld, map, "a probe must be a mapping, not %s", ynode_kind_name(map->kind));
		goto fail;
	}
	if (read_name(ld, map, p) < 0)
		goto fail;
	if (collect_keys(ld, map, probe_keys, PK_COUNT, f, "probe") < 0)
		goto fail;
	if (f[PK_SEND] && read_send(ld, f[PK_SEND], p) < 0)
		goto fail;
	if (f[PK_WAIT_MS] && read_wait_ms(ld, f[PK_WAIT_MS], p) < 0)
		goto fail;
	if (f[PK_PORTS] && read_ports(ld, f[PK_PORTS], p) < 0)
		goto fail;
	if (f[PK_FRESH] && want_bool(ld, f[PK_FRESH], "fresh", &p->fresh) < 0)
		goto fail;
	if (f[PK_PROTOCOL] && read_protocol(ld, f[PK_PROTOCOL], p) < 0)
		goto fail;
	if (f[PK_REPLY_FROM] && read_reply_from(ld, f[PK_REPLY_FROM], p) < 0)
		goto fail;
	if (p->reply_any_port && !p->udp) {
		load_error(ld, f[PK_REPLY_FROM], "'reply_from: any_port' needs 'protocol: udp'");
		goto fail;
	}
	/* A UDP probe is a port's payload: it must say which ports, and say
	 * something (an empty datagram is what every other port gets). */
	if (p->udp && (p->nports == 0 || p->payload_len == 0)) {
		load_error(ld, map, "a udp probe needs 'ports' and a non-empty 'send'");
		goto fail;
	}
	if (read_matches(ld, map, f[PK_MATCHES], p) < 0)
		goto fail;
	return p;

fail:
	probe_free(p);
	return NULL;
}

int probe_schema_check_root(const char *file, const struct ynode *root, GError **err)
{
	struct load ld = { .name = file, .err = err };

	if (root->kind != YN_SEQUENCE) {
		load_error(&ld, root, "a probe file must be a sequence of probes, not %s",
			   ynode_kind_name(root->kind));
		return -1;
	}
	if (root->items->len == 0) {
		load_error(&ld, root, "no probes: the sequence is empty");
		return -1;
	}
	return 0;
}

struct probe *probe_schema_parse(const char *file, size_t index, const struct ynode *map,
				 GError **err)
{
	struct load ld = { .name = file, .err = err, .index = index };

	return parse_probe(&ld, map);
}
