/* targets.c: the set of hosts to scan, kept as ranges and addressed by index.
 *
 * Specs are collected as they come (targets and exclusions in any order);
 * target_set_finalize() then resolves the host names concurrently, merges
 * overlapping ranges, subtracts the exclusions and freezes the result as a
 * sorted array of disjoint ranges with prefix sums. target_set_get() is a
 * binary search over that array, so a /8 costs one entry and a lookup costs
 * O(log ranges) with no lock.
 *
 * Index order: IPv4 ranges ascending by address, then IPv6 ranges ascending.
 * A host that came from a name is kept as a one-address range carrying that
 * name, which splits any literal range it falls in; this is how "the name
 * wins" over a CIDR that also covers the address. */
#include "targets.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "errors.h"
#include "resolve.h"
#include "specfile.h"
#include "textesc.h"

struct range {
	int family;               /* AF_INET or AF_INET6 */
	struct pl_u128 first, last;
	const char *name;         /* owned by target_set.names; NULL for literals */
	uint64_t start;           /* index of `first` in the frozen set */
};

/* A host name as the user gave it, waiting for finalize. */
struct name_spec {
	char *name;
	bool exclude;
	size_t lookup;            /* index into the lookup table at finalize */
	guint spec;               /* a target's index in target_set.specs */
};

struct target_set {
	GArray *include;          /* struct range: literal specs to scan */
	GArray *exclude;          /* struct range: literal specs to skip */
	GPtrArray *names;         /* struct name_spec *, in the order given */
	GPtrArray *specs;         /* char *: every spec to scan, in the order given */
	GArray *include_spec;     /* guint: the index in specs of each include range */
	GArray *unscanned;        /* struct target_unscanned, after finalize */
	bool allow_empty;         /* a window: finalize may leave nothing */
	bool finalized;
	struct range *ranges;     /* frozen, sorted, disjoint */
	size_t nranges;
	uint64_t count;
};

static const struct pl_u128 u128_one = { 0, 1 };

static void name_spec_free(gpointer p)
{
	struct name_spec *ns = p;

	g_free(ns->name);
	g_free(ns);
}

struct target_set *target_set_new(void)
{
	struct target_set *ts = g_new0(struct target_set, 1);

	ts->include = g_array_new(FALSE, FALSE, sizeof(struct range));
	ts->exclude = g_array_new(FALSE, FALSE, sizeof(struct range));
	ts->names = g_ptr_array_new_with_free_func(name_spec_free);
	ts->specs = g_ptr_array_new_with_free_func(g_free);
	ts->include_spec = g_array_new(FALSE, FALSE, sizeof(guint));
	ts->unscanned = g_array_new(FALSE, FALSE, sizeof(struct target_unscanned));
	return ts;
}

static void unscanned_clear(GArray *u)
{
	for (guint i = 0; i < u->len; i++)
		g_free(g_array_index(u, struct target_unscanned, i).why);
	g_array_set_size(u, 0);
}

void target_set_free(struct target_set *ts)
{
	if (ts == NULL)
		return;
	g_array_free(ts->include, TRUE);
	g_array_free(ts->exclude, TRUE);
	g_ptr_array_free(ts->names, TRUE);
	g_ptr_array_free(ts->specs, TRUE);
	g_array_free(ts->include_spec, TRUE);
	unscanned_clear(ts->unscanned);
	g_array_free(ts->unscanned, TRUE);
	g_free(ts->ranges);
	g_free(ts);
}

/* ---- spec parsing ---- */

/* "invalid target 'SPEC': WHY", the spec escaped and cut (text_quote): it
 * may come from a file, and a CR or an escape sequence must not reach the
 * terminal as it is. */
static void bad_target(GError **err, const char *spec, const char *why)
{
	char q[TEXT_QUOTE_SIZE];

	g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "invalid target '%s'%s%s", text_quote(q, spec),
		    why != NULL ? ": " : "", why != NULL ? why : "");
}

static int parse_cidr(const char *spec, const char *slash, struct range *r,
		      GError **err)
{
	char *base = g_strndup(spec, (size_t)(slash - spec));
	const char *plen = slash + 1;
	struct pl_addr a;
	unsigned long prefix;
	unsigned bits;
	char *end;
	int ret = -1;

	if (!pl_addr_parse(base, &a)) {
		bad_target(err, spec, "bad address");
		goto out;
	}
	bits = a.family == AF_INET ? 32 : 128;
	if (!g_ascii_isdigit(plen[0])) {
		bad_target(err, spec, "bad prefix length");
		goto out;
	}
	errno = 0;
	prefix = strtoul(plen, &end, 10);
	if (*end != '\0') {
		bad_target(err, spec, "bad prefix length");
		goto out;
	}
	if (errno == ERANGE || prefix > bits) {
		bad_target(err, spec, "prefix length out of range");
		goto out;
	}

	/* Host bits set in the base are masked off, as nmap does:
	 * 192.0.2.7/24 means 192.0.2.0/24. */
	r->family = a.family;
	pl_u128_prefix_block(a.v, bits, (unsigned)prefix, &r->first, &r->last);
	ret = 0;
out:
	g_free(base);
	return ret;
}

/* "a-b": a is an address; b is a full address of the same family or, for
 * IPv4, the last octet alone. Returns 1 when spec is not a range at all (the
 * part before the dash is no address), so the caller can try a host name. */
static int parse_range(const char *spec, const char *dash, struct range *r,
		       GError **err)
{
	char *left = g_strndup(spec, (size_t)(dash - spec));
	const char *right = dash + 1;
	struct pl_addr a, b;
	int ret = -1;

	if (!pl_addr_parse(left, &a)) {
		ret = 1;
		goto out;
	}
	if (a.family == AF_INET && g_ascii_isdigit(right[0]) &&
	    strspn(right, "0123456789") == strlen(right)) {
		char *end;
		unsigned long octet;

		errno = 0;
		octet = strtoul(right, &end, 10);
		if (errno == ERANGE || octet > 255) {
			bad_target(err, spec, "last octet out of range 0-255");
			goto out;
		}
		b.family = AF_INET;
		b.v.hi = 0;
		b.v.lo = (a.v.lo & ~UINT64_C(0xff)) | octet;
	} else if (!pl_addr_parse(right, &b)) {
		bad_target(err, spec, "bad range end");
		goto out;
	} else if (b.family != a.family) {
		bad_target(err, spec, "range mixes IPv4 and IPv6");
		goto out;
	}
	if (pl_u128_cmp(a.v, b.v) > 0) {
		bad_target(err, spec, "range start above end");
		goto out;
	}
	r->family = a.family;
	r->first = a.v;
	r->last = b.v;
	ret = 0;
out:
	g_free(left);
	return ret;
}

/* A DNS name: labels of letters, digits, '-' and '_', 1-63 bytes, not
 * starting with '-', at most 253 bytes, an optional final dot. The last label
 * must not be all digits (RFC 3696, 2): that rejects "300.1.1.1" and "10",
 * which getaddrinfo would otherwise read as inet_aton numbers, as would a
 * final label like "0x7f000001", so hex-looking final labels go too. */
static bool valid_hostname(const char *s)
{
	size_t len = strlen(s);
	const char *label = s;
	const char *last_label = s;
	size_t last_len = 0;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			size_t l = (size_t)(s + i - label);

			if (l == 0 || l > 63 || label[0] == '-')
				return false;
			last_label = label;
			last_len = l;
			label = s + i + 1;
			continue;
		}
		if (!g_ascii_isalnum(s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	}

	bool digits = true, hex = last_len >= 2 && last_label[0] == '0' &&
				  (last_label[1] == 'x' || last_label[1] == 'X');

	for (size_t i = 0; i < last_len; i++) {
		digits = digits && g_ascii_isdigit(last_label[i]);
		hex = hex && (i < 2 || g_ascii_isxdigit(last_label[i]));
	}
	return !digits && !hex;
}

/* An address, CIDR block or range: 0 with *r filled; 1 when spec is no
 * literal (perhaps a name); -1 with *err for a malformed literal. */
static int parse_literal(const char *spec, struct range *r, GError **err)
{
	struct pl_addr a;
	const char *p;
	int rc;

	if ((p = strchr(spec, '/')) != NULL)
		return parse_cidr(spec, p, r, err) < 0 ? -1 : 0;
	if ((p = strchr(spec, '-')) != NULL) {
		rc = parse_range(spec, p, r, err);
		if (rc <= 0)
			return rc;
		/* Not an address before the dash: maybe a name with a hyphen. */
	}
	if (!pl_addr_parse(spec, &a))
		return 1;
	r->family = a.family;
	r->first = r->last = a.v;
	return 0;
}

int target_parse_literal(const char *spec, int *family, struct pl_u128 *first,
			 struct pl_u128 *last, GError **err)
{
	struct range r = { 0 };
	int rc = parse_literal(spec, &r, err);

	if (rc == 0) {
		*family = r.family;
		*first = r.first;
		*last = r.last;
	}
	return rc;
}

static int add_spec(struct target_set *ts, const char *spec, bool exclude,
		    GError **err)
{
	struct range r = { 0 };
	int rc;

	g_return_val_if_fail(!ts->finalized, -1);

	if (spec[0] == '\0') {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "invalid target '': empty");
		return -1;
	}
	rc = parse_literal(spec, &r, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		goto add_range;
	if (!valid_hostname(spec)) {
		bad_target(err, spec, NULL);
		return -1;
	}

	struct name_spec *ns = g_new0(struct name_spec, 1);

	ns->name = g_strdup(spec);
	ns->exclude = exclude;
	ns->spec = ts->specs->len;
	if (!exclude)
		g_ptr_array_add(ts->specs, g_strdup(spec));
	g_ptr_array_add(ts->names, ns);
	return 0;

add_range:
	if (!exclude) {
		g_array_append_val(ts->include_spec, ts->specs->len);
		g_ptr_array_add(ts->specs, g_strdup(spec));
	}
	g_array_append_val(exclude ? ts->exclude : ts->include, r);
	return 0;
}

int target_set_add(struct target_set *ts, const char *spec, GError **err)
{
	return add_spec(ts, spec, false, err);
}

int target_set_exclude(struct target_set *ts, const char *spec, GError **err)
{
	return add_spec(ts, spec, true, err);
}

/* ---- file reader ---- */

int target_set_add_file(struct target_set *ts, const char *path, bool exclude,
			GError **err)
{
	struct spec_file *sf = spec_file_open(path, false, err);
	const char *spec;
	int rc;

	if (sf == NULL)
		return -1;
	while ((rc = spec_file_next(sf, &spec, err)) > 0) {
		if (add_spec(ts, spec, exclude, err) < 0) {
			g_prefix_error(err, "%s:%lu: ", spec_file_label(sf), spec_file_line(sf));
			rc = -1;
			break;
		}
	}
	spec_file_close(sf);
	return rc < 0 ? -1 : 0;
}

/* ---- range algebra ---- */

static int range_cmp(const void *pa, const void *pb)
{
	const struct range *a = pa, *b = pb;

	return pl_addr_order(a->family, a->first, b->family, b->first);
}

struct point {
	struct pl_addr addr;
	const char *name;
	size_t order;             /* position of the name on the command line */
};

static int point_cmp(const void *pa, const void *pb)
{
	const struct point *a = pa, *b = pb;
	int c = pl_addr_order(a->addr.family, a->addr.v, b->addr.family, b->addr.v);

	if (c != 0)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* Sorts r and merges overlapping or adjacent ranges, in place. Names are
 * dropped: only literal ranges and exclusions go through here. */
static void merge_ranges(GArray *r)
{
	struct range *v = (struct range *)(void *)r->data;
	size_t out = 0;

	if (r->len == 0)
		return;
	qsort(v, r->len, sizeof(*v), range_cmp);
	for (size_t i = 1; i < r->len; i++) {
		struct range *cur = &v[out];

		if (v[i].family == cur->family &&
		    (pl_u128_cmp(v[i].first, cur->last) <= 0 ||
		     pl_u128_cmp(v[i].first, pl_u128_add64(cur->last, 1)) == 0)) {
			if (pl_u128_cmp(v[i].last, cur->last) > 0)
				cur->last = v[i].last;
			continue;
		}
		v[++out] = v[i];
	}
	g_array_set_size(r, out + 1);
}

static void emit(GArray *out, int family, struct pl_u128 first,
		 struct pl_u128 last, const char *name)
{
	struct range r = { .family = family, .first = first, .last = last,
			   .name = name };

	g_array_append_val(out, r);
}

/* Lays the named hosts (sorted, unique) over the merged literal ranges: a
 * name inside a range splits it, so the host appears once, with its name. */
static GArray *overlay_names(GArray *lits, const struct point *pts, size_t npts)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(struct range));
	const struct range *u = (const struct range *)(void *)lits->data;
	size_t j = 0;

	for (size_t i = 0; i < lits->len; i++) {
		struct pl_u128 lo = u[i].first;
		bool done = false;

		while (j < npts && pl_addr_order(pts[j].addr.family, pts[j].addr.v,
						 u[i].family, u[i].first) < 0) {
			emit(out, pts[j].addr.family, pts[j].addr.v, pts[j].addr.v,
			     pts[j].name);
			j++;
		}
		while (j < npts && pts[j].addr.family == u[i].family &&
		       pl_u128_cmp(pts[j].addr.v, u[i].last) <= 0) {
			struct pl_u128 p = pts[j].addr.v;

			if (pl_u128_cmp(p, lo) > 0)
				emit(out, u[i].family, lo, pl_u128_sub(p, u128_one), NULL);
			emit(out, u[i].family, p, p, pts[j].name);
			if (pl_u128_cmp(p, u[i].last) == 0)
				done = true;
			else
				lo = pl_u128_add64(p, 1);
			j++;
		}
		if (!done)
			emit(out, u[i].family, lo, u[i].last, NULL);
	}
	for (; j < npts; j++)
		emit(out, pts[j].addr.family, pts[j].addr.v, pts[j].addr.v,
		     pts[j].name);
	return out;
}

/* a minus ex; both sorted, disjoint (ex merged). */
static GArray *subtract(GArray *a, GArray *ex)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(struct range));
	const struct range *av = (const struct range *)(void *)a->data;
	const struct range *ev = (const struct range *)(void *)ex->data;
	size_t j = 0;

	for (size_t i = 0; i < a->len; i++) {
		const struct range *r = &av[i];
		struct pl_u128 lo = r->first;
		bool done = false;

		/* Skip exclusions that end before this range starts. */
		while (j < ex->len && pl_addr_order(ev[j].family, ev[j].last,
						    r->family, lo) < 0)
			j++;
		for (size_t k = j; !done && k < ex->len &&
				   ev[k].family == r->family &&
				   pl_u128_cmp(ev[k].first, r->last) <= 0; k++) {
			if (pl_u128_cmp(ev[k].first, lo) > 0)
				emit(out, r->family, lo,
				     pl_u128_sub(ev[k].first, u128_one), r->name);
			if (pl_u128_cmp(ev[k].last, r->last) >= 0)
				done = true;
			else
				lo = pl_u128_add64(ev[k].last, 1);
		}
		if (!done)
			emit(out, r->family, lo, r->last, r->name);
	}
	return out;
}

/* ---- counting ---- */

/* The number of hosts in the ranges, saturating at 2^128 - 1 (the whole IPv6
 * space plus anything else does not fit). Sets *saturated then. */
static struct pl_u128 count_hosts(const struct range *r, size_t n,
				  bool *saturated)
{
	struct pl_u128 total = { 0, 0 };

	*saturated = false;
	for (size_t i = 0; i < n; i++) {
		if (!pl_u128_add_span(&total, r[i].first, r[i].last)) {
			*saturated = true;
			break;
		}
	}
	return total;
}

/* ---- finalize ---- */

static int lookup_family(enum target_family family)
{
	switch (family) {
	case TARGET_FAMILY_V4:
		return AF_INET;
	case TARGET_FAMILY_V6:
		return AF_INET6;
	default:
		return AF_UNSPEC;
	}
}

/* Does the merged ex hold every address from first to last? A range that
 * merged ex covers lies inside one of its ranges (adjacent ones are merged). */
static bool ex_covers(const GArray *ex, int family, struct pl_u128 first, struct pl_u128 last)
{
	const struct range *v = (const struct range *)(void *)ex->data;
	size_t lo = 0, hi = ex->len;

	/* The last range that starts at or before first. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pl_addr_order(v[mid].family, v[mid].first, family, first) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && v[lo - 1].family == family && pl_u128_cmp(last, v[lo - 1].last) <= 0;
}

static void add_unscanned(struct target_set *ts, guint spec, char *why, bool literal,
			  int family, struct pl_u128 first)
{
	struct target_unscanned u = {
		.spec = g_ptr_array_index(ts->specs, spec), .why = why, .index = spec,
		.literal = literal, .first = { .family = family, .v = first },
	};

	g_array_append_val(ts->unscanned, u);
}

/* The names to scan that leave no host: not resolved, or every address
 * excluded (ex merged). */
static void note_unscanned_names(struct target_set *ts, const struct name_lookup *lk, const GArray *ex)
{
	for (guint i = 0; i < ts->names->len; i++) {
		const struct name_spec *ns = g_ptr_array_index(ts->names, i);
		const struct name_lookup *l = &lk[ns->lookup];
		const struct pl_addr *a = (const struct pl_addr *)(void *)l->addrs->data;
		bool all_excluded = true;

		if (ns->exclude)
			continue;
		if (l->rc != 0 || l->addrs->len == 0) {
			add_unscanned(ts, ns->spec, g_strdup_printf("not resolved (%s)",
				      l->rc != 0 ? gai_strerror(l->rc) : "no address"),
				      false, 0, (struct pl_u128){ 0, 0 });
			continue;
		}
		for (guint k = 0; k < l->addrs->len && all_excluded; k++)
			all_excluded = ex_covers(ex, a[k].family, a[k].v, a[k].v);
		if (all_excluded)
			add_unscanned(ts, ns->spec, g_strdup("excluded (every address)"), false, 0,
				      (struct pl_u128){ 0, 0 });
	}
}

/* The literal specs to scan that leave no host: every address excluded. */
static void note_unscanned_literals(struct target_set *ts, const GArray *ex)
{
	const struct range *r = (const struct range *)(void *)ts->include->data;

	for (guint i = 0; i < ts->include->len; i++)
		if (ex_covers(ex, r[i].family, r[i].first, r[i].last))
			add_unscanned(ts, g_array_index(ts->include_spec, guint, i),
				      g_strdup("excluded (every address)"), true, r[i].family,
				      r[i].first);
}

static gint unscanned_cmp(gconstpointer a, gconstpointer b)
{
	const struct target_unscanned *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

/* Resolves every name and returns the hosts they name, sorted and unique
 * (first name wins), as points; exclusion hosts go into ex as ranges. */
static struct point *resolve_names(struct target_set *ts,
				   enum target_family family, GArray *ex,
				   size_t *npts)
{
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						 NULL);
	GArray *jobs = g_array_new(FALSE, TRUE, sizeof(struct name_lookup));
	GArray *pts = g_array_new(FALSE, FALSE, sizeof(struct point));
	struct name_lookup *lk;

	/* Exclusions take every address of a name, whatever the family, so
	 * "--exclude host" also removes it from literal ranges of the other
	 * family. Targets take only addresses of the chosen family. */
	for (guint i = 0; i < ts->names->len; i++) {
		struct name_spec *ns = g_ptr_array_index(ts->names, i);
		int fam = ns->exclude ? AF_UNSPEC : lookup_family(family);
		char *key = g_strdup_printf("%d:%s", fam, ns->name);
		gpointer idx;

		/* One lookup serves every spec with the same name and family,
		 * so a name given twice is looked up once. */
		if (g_hash_table_lookup_extended(seen, key, NULL, &idx)) {
			ns->lookup = GPOINTER_TO_SIZE(idx);
			g_free(key);
			continue;
		}
		struct name_lookup nl = { .name = ns->name, .family = fam };

		nl.addrs = g_array_new(FALSE, FALSE, sizeof(struct pl_addr));
		ns->lookup = jobs->len;
		g_array_append_val(jobs, nl);
		g_hash_table_insert(seen, key, GSIZE_TO_POINTER(ns->lookup));
	}

	lk = (struct name_lookup *)(void *)jobs->data;
	resolve_run(lk, jobs->len);

	/* Warnings come from this thread, once per lookup, in input order. */
	for (guint i = 0; i < jobs->len; i++)
		if (lk[i].rc != 0)
			g_warning("cannot resolve '%s': %s", lk[i].name,
				  gai_strerror(lk[i].rc));

	for (guint i = 0; i < ts->names->len; i++) {
		struct name_spec *ns = g_ptr_array_index(ts->names, i);
		const struct name_lookup *l = &lk[ns->lookup];
		const struct pl_addr *addrs = (const struct pl_addr *)(void *)l->addrs->data;

		for (guint k = 0; k < l->addrs->len; k++) {
			if (ns->exclude) {
				emit(ex, addrs[k].family, addrs[k].v, addrs[k].v, NULL);
			} else {
				struct point p = { .addr = addrs[k], .name = ns->name,
						   .order = i };

				g_array_append_val(pts, p);
			}
		}
	}
	merge_ranges(ex);
	note_unscanned_names(ts, lk, ex);
	for (guint i = 0; i < jobs->len; i++)
		g_array_free(lk[i].addrs, TRUE);
	g_array_free(jobs, TRUE);
	g_hash_table_destroy(seen);

	/* Sorted by address then order, the first of equal addresses is the
	 * first name given: keep it, drop the rest. */
	struct point *pv = (struct point *)(void *)pts->data;
	size_t n = 0;

	/* An empty GArray has no data: qsort must not see the NULL. */
	if (pts->len > 1)
		qsort(pv, pts->len, sizeof(*pv), point_cmp);
	for (guint i = 0; i < pts->len; i++)
		if (n == 0 || !pl_addr_equal(&pv[n - 1].addr, &pv[i].addr))
			pv[n++] = pv[i];
	*npts = n;
	return (struct point *)(void *)g_array_free(pts, FALSE);
}

/* The size check of finalize: final (sorted, disjoint) must hold at most
 * max_hosts hosts. */
static int check_size(const GArray *final, uint64_t max_hosts, GError **err)
{
	struct pl_u128 total;
	bool saturated;
	char num[48];

	total = count_hosts((const struct range *)(void *)final->data, final->len,
			    &saturated);
	if (!saturated && total.hi == 0 && total.lo <= max_hosts)
		return 0;
	pl_u128_to_decimal(total, num, sizeof(num));
	g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
		    "target space of %s%s hosts exceeds max-hosts (%" G_GUINT64_FORMAT
		    "); raise max-hosts to scan it",
		    saturated ? "more than " : "", num, (guint64)max_hosts);
	return -1;
}

int target_set_finalize(struct target_set *ts, enum target_family family,
			uint64_t max_hosts, GError **err)
{
	GArray *lits = NULL, *ex = NULL, *named = NULL, *final = NULL;
	struct point *pts = NULL;
	size_t npts = 0;
	int ret = -1;

	g_return_val_if_fail(!ts->finalized, -1);

	/* Work on copies so a failed finalize leaves the input as it was. */
	lits = g_array_copy(ts->include);
	ex = g_array_copy(ts->exclude);
	unscanned_clear(ts->unscanned);
	pts = resolve_names(ts, family, ex, &npts);

	merge_ranges(lits);
	merge_ranges(ex);
	note_unscanned_literals(ts, ex);
	g_array_sort(ts->unscanned, unscanned_cmp);
	named = overlay_names(lits, pts, npts);
	final = subtract(named, ex);

	if (final->len == 0 && !ts->allow_empty) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "no targets to scan");
		goto out;
	}
	if (check_size(final, max_hosts, err) != 0)
		goto out;

	/* Prefix sums: the total fits in 64 bits now, so every start does. */
	struct range *rv = (struct range *)(void *)final->data;
	uint64_t start = 0;

	for (guint i = 0; i < final->len; i++) {
		rv[i].start = start;
		start += pl_u128_sub(rv[i].last, rv[i].first).lo + 1;
	}
	ts->nranges = final->len;
	ts->count = start;
	ts->ranges = (struct range *)(void *)g_array_free(final, FALSE);
	final = NULL;
	ts->finalized = true;
	ret = 0;
out:
	if (final != NULL)
		g_array_free(final, TRUE);
	g_array_free(named, TRUE);
	g_array_free(lits, TRUE);
	g_array_free(ex, TRUE);
	g_free(pts);
	return ret;
}

/* ---- windows of a long targets file ---- */

struct target_set *target_set_new_window(const struct target_set *exclusions)
{
	struct target_set *ts = target_set_new();

	ts->allow_empty = true;
	if (exclusions == NULL)
		return ts;
	g_array_append_vals(ts->exclude, exclusions->exclude->data, exclusions->exclude->len);
	for (guint i = 0; i < exclusions->names->len; i++) {
		const struct name_spec *ns = g_ptr_array_index(exclusions->names, i);

		if (!ns->exclude)
			continue;
		struct name_spec *copy = g_new0(struct name_spec, 1);

		copy->name = g_strdup(ns->name);
		copy->exclude = true;
		g_ptr_array_add(ts->names, copy);
	}
	return ts;
}

void target_set_resolve_exclusions(struct target_set *ts)
{
	GPtrArray *targets = g_ptr_array_new_with_free_func(name_spec_free);
	GPtrArray *excl = g_ptr_array_new_with_free_func(name_spec_free);
	struct point *pts;
	size_t npts;

	g_return_if_fail(!ts->finalized);
	/* Split the names; the exclusions go through resolve_names alone. */
	for (guint i = 0; i < ts->names->len; i++) {
		struct name_spec *ns = g_ptr_array_index(ts->names, i);

		g_ptr_array_add(ns->exclude ? excl : targets, ns);
	}
	g_ptr_array_set_free_func(ts->names, NULL);
	g_ptr_array_free(ts->names, TRUE);
	ts->names = excl;
	pts = resolve_names(ts, TARGET_FAMILY_ANY, ts->exclude, &npts);
	g_free(pts);
	g_ptr_array_free(excl, TRUE);
	ts->names = targets;
	merge_ranges(ts->exclude);
}

void target_set_digest_exclusions(const struct target_set *ts, GChecksum *sum)
{
	GArray *ex = g_array_copy(ts->exclude);
	const struct range *r;

	merge_ranges(ex);
	r = (const struct range *)(void *)ex->data;
	for (guint i = 0; i < ex->len; i++) {
		uint64_t words[5] = { (uint64_t)r[i].family, r[i].first.hi, r[i].first.lo,
				      r[i].last.hi, r[i].last.lo };

		g_checksum_update(sum, (const guchar *)words, sizeof(words));
	}
	/* Names not resolved yet stand for themselves. */
	for (guint i = 0; i < ts->names->len; i++) {
		const struct name_spec *ns = g_ptr_array_index(ts->names, i);

		if (ns->exclude)
			g_checksum_update(sum, (const guchar *)ns->name,
					  (gssize)strlen(ns->name) + 1);
	}
	g_array_free(ex, TRUE);
}

int target_set_check_literals(const struct target_set *ts, uint64_t max_hosts,
			      GError **err)
{
	GArray *lits = g_array_copy(ts->include);
	GArray *ex = g_array_copy(ts->exclude);
	GArray *final;
	int rc;

	merge_ranges(lits);
	merge_ranges(ex);
	final = subtract(lits, ex);
	rc = check_size(final, max_hosts, err);
	g_array_free(final, TRUE);
	g_array_free(lits, TRUE);
	g_array_free(ex, TRUE);
	return rc;
}

void target_set_digest(const struct target_set *ts, GChecksum *sum)
{
	for (size_t i = 0; i < ts->nranges; i++) {
		const struct range *r = &ts->ranges[i];
		uint64_t words[5] = { (uint64_t)r->family, r->first.hi, r->first.lo,
				      r->last.hi, r->last.lo };

		g_checksum_update(sum, (const guchar *)words, sizeof(words));
		/* The name is part of what a host's rows say. */
		g_checksum_update(sum, (const guchar *)(r->name ? r->name : ""),
				  (gssize)strlen(r->name ? r->name : "") + 1);
	}
}

uint64_t target_set_count(const struct target_set *ts)
{
	return ts->finalized ? ts->count : 0;
}

void target_set_get(const struct target_set *ts, uint64_t index,
		    struct pl_addr *addr, const char **name)
{
	size_t lo = 0, hi = ts->nranges;

	g_return_if_fail(ts->finalized && index < ts->count);

	/* The last range whose start is <= index. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ts->ranges[mid].start <= index)
			lo = mid;
		else
			hi = mid;
	}
	addr->family = ts->ranges[lo].family;
	addr->v = pl_u128_add64(ts->ranges[lo].first, index - ts->ranges[lo].start);
	if (name != NULL)
		*name = ts->ranges[lo].name;
}

size_t target_set_unscanned_count(const struct target_set *ts)
{
	return ts->finalized ? ts->unscanned->len : 0;
}

const struct target_unscanned *target_set_unscanned(const struct target_set *ts, size_t i)
{
	g_return_val_if_fail(ts->finalized && i < ts->unscanned->len, NULL);
	return &g_array_index(ts->unscanned, struct target_unscanned, i);
}
