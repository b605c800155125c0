/* tlspolicy.c: the TLS keys of a policy group and their check (tlspolicy.h).
 *
 * Every key is optional and checks nothing until set, so a group without
 * them audits TLS not at all. Facts the scan could not learn (no
 * certificate, versions not enumerated, no chain verdict) give no finding:
 * a policy finding states a fact, never a guess. */
#include "tlspolicy.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <glib.h>

struct tls_policy {
	int min_version;            /* enum tls_version; -1: not checked */
	bool have_min_days;
	long long min_days;
	int allow_self_signed;      /* -1 unset, 0 false, 1 true */
	int allow_unverified;
	unsigned min_rsa_bits, min_ec_bits; /* 0: not checked */
	char **forbid_sigs;         /* lower case; NULL: none */
	char **require_san;         /* lower case; NULL: none */
};

static const char *const keys[] = {
	"tls-min-version", "cert-min-days", "allow-self-signed", "allow-unverified",
	"min-rsa-bits", "min-ec-bits", "forbid-signatures", "require-san",
};

bool tls_policy_is_key(const char *key)
{
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

void tls_policy_free(struct tls_policy *p)
{
	if (p == NULL)
		return;
	g_strfreev(p->forbid_sigs);
	g_strfreev(p->require_san);
	g_free(p);
}

static bool is_int(const config_setting_t *cs)
{
	return config_setting_type(cs) == CONFIG_TYPE_INT ||
	       config_setting_type(cs) == CONFIG_TYPE_INT64;
}

/* A string or a list of non-empty strings, lower-cased. */
static char *string_list(const config_setting_t *cs, const char *key, char ***out)
{
	int type = config_setting_type(cs);
	int n = type == CONFIG_TYPE_STRING ? 1 : config_setting_length(cs);
	GPtrArray *a;

	if (type != CONFIG_TYPE_STRING && type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		return g_strdup_printf("'%s': expected a list of strings", key);
	if (n == 0)
		return g_strdup_printf("'%s': empty", key);
	a = g_ptr_array_new();
	for (int i = 0; i < n; i++) {
		const config_setting_t *el = type == CONFIG_TYPE_STRING ? cs :
					     config_setting_get_elem(cs, (unsigned)i);
		const char *s = config_setting_type(el) == CONFIG_TYPE_STRING ?
					config_setting_get_string(el) : NULL;

		if (s == NULL || s[0] == '\0') {
			g_ptr_array_add(a, NULL);
			g_strfreev((char **)g_ptr_array_free(a, FALSE));
			return g_strdup_printf("'%s': element %d is not a non-empty string", key, i + 1);
		}
		g_ptr_array_add(a, g_ascii_strdown(s, -1));
	}
	g_ptr_array_add(a, NULL);
	g_strfreev(*out);
	*out = (char **)g_ptr_array_free(a, FALSE);
	return NULL;
}

static char *bits(const config_setting_t *cs, const char *key, unsigned *out)
{
	long long v;

	if (!is_int(cs))
		return g_strdup_printf("'%s': expected a number of bits", key);
	v = config_setting_get_int64(cs);
	if (v < 1 || v > 65536)
		return g_strdup_printf("'%s': %lld out of range 1-65536", key, v);
	*out = (unsigned)v;
	return NULL;
}

char *tls_policy_parse_key(struct tls_policy **pp, const config_setting_t *cs)
{
	const char *key = config_setting_name(cs);
	struct tls_policy *p = *pp;

	if (p == NULL) {
		p = *pp = g_new0(struct tls_policy, 1);
		p->min_version = -1;
		p->allow_self_signed = -1;
		p->allow_unverified = -1;
	}
	if (strcmp(key, "tls-min-version") == 0) {
		const char *s = config_setting_type(cs) == CONFIG_TYPE_STRING ?
					config_setting_get_string(cs) : NULL;
		int v = tls_version_parse(s);

		if (v < 0)
			return g_strdup("'tls-min-version': expected \"TLSv1.0\", \"TLSv1.1\", "
					"\"TLSv1.2\" or \"TLSv1.3\"");
		p->min_version = v;
		return NULL;
	}
	if (strcmp(key, "cert-min-days") == 0) {
		if (!is_int(cs) || config_setting_get_int64(cs) < 0 ||
		    config_setting_get_int64(cs) > 36500)
			return g_strdup("'cert-min-days': expected a number of days from 0 to 36500");
		p->have_min_days = true;
		p->min_days = config_setting_get_int64(cs);
		return NULL;
	}
	if (strcmp(key, "allow-self-signed") == 0 || strcmp(key, "allow-unverified") == 0) {
		if (config_setting_type(cs) != CONFIG_TYPE_BOOL)
			return g_strdup_printf("'%s': expected true or false", key);
		*(key[6] == 's' ? &p->allow_self_signed : &p->allow_unverified) =
			config_setting_get_bool(cs) != 0;
		return NULL;
	}
	if (strcmp(key, "min-rsa-bits") == 0)
		return bits(cs, key, &p->min_rsa_bits);
	if (strcmp(key, "min-ec-bits") == 0)
		return bits(cs, key, &p->min_ec_bits);
	if (strcmp(key, "forbid-signatures") == 0)
		return string_list(cs, key, &p->forbid_sigs);
	if (strcmp(key, "require-san") == 0)
		return string_list(cs, key, &p->require_san);
	return g_strdup_printf("unknown TLS setting '%s'", key);
}

/* ---- checks ---- */

static void iso_date(char *buf, size_t len, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/* Whether a SAN ("DNS:name", "IP:addr") covers the required name: equal
 * in ASCII case, or a "*." wildcard standing for exactly the first label
 * (RFC 6125 6.4.3). */
static bool san_covers(const char *san, const char *want)
{
	const char *v;

	if (g_ascii_strncasecmp(san, "DNS:", 4) == 0) {
		v = san + 4;
		if (g_ascii_strcasecmp(v, want) == 0)
			return true;
		if (v[0] == '*' && v[1] == '.') {
			const char *dot = strchr(want, '.');

			return dot != NULL && dot != want && g_ascii_strcasecmp(dot, v + 1) == 0;
		}
		return false;
	}
	if (g_ascii_strncasecmp(san, "IP:", 3) == 0 || g_ascii_strncasecmp(san, "IP Address:", 11) == 0) {
		v = strchr(san, ':') + 1;
		return g_ascii_strcasecmp(v, want) == 0;
	}
	return false;
}

static void check_versions(const struct tls_policy *p, const struct tls_facts *t,
			   tls_policy_emit_fn emit, void *ud)
{
	char expected[32], found[64];

	snprintf(expected, sizeof expected, ">= %s", tls_version_name((enum tls_version)p->min_version));
	if (t->versions_tested) {
		for (int v = 0; v < p->min_version; v++)
			if (t->accepted & (1u << v)) {
				snprintf(found, sizeof found, "%s accepted",
					 tls_version_name((enum tls_version)v));
				emit(ud, FINDING_TLS_VERSION, expected, found);
			}
		return;
	}
	/* Not enumerated: the detection handshake's own version is a fact. */
	if (t->version != NULL) {
		int v = tls_version_parse(t->version);

		/* SSLv3 and older have no tls_version and are below any minimum. */
		if (v < p->min_version) {
			snprintf(found, sizeof found, "%s negotiated", t->version);
			emit(ud, FINDING_TLS_VERSION, expected, found);
		}
	}
}

static void check_cert(const struct tls_policy *p, const struct tls_facts *t,
		       tls_policy_emit_fn emit, void *ud)
{
	char expected[128], found[160], date[32];

	if (p->have_min_days) {
		iso_date(date, sizeof date, t->not_after);
		if (t->days_left < 0) {
			snprintf(found, sizeof found, "notAfter %s (%lld days ago)", date,
				 -(long long)t->days_left);
			emit(ud, FINDING_CERT_EXPIRED, "not expired", found);
		} else if (t->days_left < p->min_days) {
			snprintf(expected, sizeof expected, ">= %lld days left", p->min_days);
			snprintf(found, sizeof found, "%lld days left (notAfter %s)",
				 (long long)t->days_left, date);
			emit(ud, FINDING_CERT_EXPIRING, expected, found);
		}
	}
	if (p->allow_self_signed == 0 && t->self_signed)
		emit(ud, FINDING_CERT_SELF_SIGNED, "not self-signed",
		     t->subject != NULL ? t->subject : "self-signed");
	if (p->allow_unverified == 0 && t->verify != NULL && strcmp(t->verify, "ok") != 0)
		emit(ud, FINDING_CERT_UNVERIFIED, "ok", t->verify);
	if (t->key_type != NULL && t->key_bits > 0) {
		bool rsa = strcmp(t->key_type, "rsa") == 0 || strcmp(t->key_type, "dsa") == 0;
		bool ec = strcmp(t->key_type, "ec") == 0;
		unsigned min = rsa ? p->min_rsa_bits : ec ? p->min_ec_bits : 0;

		if (min > 0 && t->key_bits < min) {
			snprintf(expected, sizeof expected, "%s >= %u bits", t->key_type, min);
			snprintf(found, sizeof found, "%s %u bits", t->key_type, t->key_bits);
			emit(ud, FINDING_WEAK_KEY, expected, found);
		}
	}
	if (p->forbid_sigs != NULL && t->sig_alg != NULL) {
		char *low = g_ascii_strdown(t->sig_alg, -1);

		for (char **f = p->forbid_sigs; *f != NULL; f++)
			if (strstr(low, *f) != NULL) {
				snprintf(expected, sizeof expected, "not %s", *f);
				emit(ud, FINDING_WEAK_SIGNATURE, expected, t->sig_alg);
				break;
			}
		g_free(low);
	}
	for (char **w = p->require_san; w != NULL && *w != NULL; w++) {
		bool ok = false;

		for (char **s = t->sans; s != NULL && *s != NULL && !ok; s++)
			ok = san_covers(*s, *w);
		if (!ok) {
			char *have = t->sans != NULL ? g_strjoinv(", ", t->sans) : g_strdup("no SAN");

			emit(ud, FINDING_SAN_MISSING, *w, have);
			g_free(have);
		}
	}
}

void tls_policy_check(const struct tls_policy *p, const struct tls_facts *t,
		      tls_policy_emit_fn emit, void *ud)
{
	if (p == NULL || t == NULL)
		return;
	if (p->min_version >= 0)
		check_versions(p, t, emit, ud);
	if (t->have_cert)
		check_cert(p, t, emit, ud);
}
