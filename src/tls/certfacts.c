/* certfacts.c: an X.509 certificate's facts (certfacts.h), with OpenSSL.
 *
 * Every string a certificate carries is the sender's choice: names are
 * printed RFC 2253 style (non-ASCII escaped), values are converted to UTF-8
 * and made valid, and lists are capped, so a hostile certificate yields
 * bounded, printable text. */
#include "certfacts.h"

#include <arpa/inet.h>
#include <limits.h>
#include <sys/socket.h>
#include <string.h>
#include <glib.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define NAME_MAX_ATTRS 64        /* attributes kept per name */
#define SANS_MAX 1024            /* alternative names kept */
#define TEXT_MAX 4096            /* bytes kept of one printed name or value */

/* Valid UTF-8 of at most TEXT_MAX bytes, NULs and bad bytes replaced. */
static char *clean_text(const char *s, size_t len)
{
	if (len > TEXT_MAX)
		len = TEXT_MAX;
	return g_utf8_make_valid(s, (gssize)len);
}

static char *asn1_text(const ASN1_STRING *a)
{
	unsigned char *u = NULL;
	int n = ASN1_STRING_to_UTF8(&u, a);
	char *s;

	if (n < 0)
		return NULL;
	s = clean_text((const char *)u, (size_t)n);
	OPENSSL_free(u);
	return s;
}

static char *bio_text(BIO *b)
{
	char *p = NULL;
	long n = BIO_get_mem_data(b, &p);

	return n >= 0 && p != NULL ? clean_text(p, (size_t)n) : NULL;
}

static char *name_rfc2253(const X509_NAME *name)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL;

	if (b == NULL)
		return NULL;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0)
		s = bio_text(b);
	BIO_free(b);
	return s;
}

static char *obj_long_name(const ASN1_OBJECT *o)
{
	int nid = OBJ_obj2nid(o);
	char buf[128];

	if (nid != NID_undef && OBJ_nid2ln(nid) != NULL)
		return g_strdup(OBJ_nid2ln(nid));
	if (OBJ_obj2txt(buf, sizeof buf, o, 1) <= 0)
		return g_strdup("?");
	return g_strdup(buf);
}

/* The name's commonName (the last one, as verifiers use), or NULL. */
static char *name_cn(const X509_NAME *name)
{
	int i = -1, last = -1;

	while ((i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) >= 0)
		last = i;
	if (last < 0)
		return NULL;
	return asn1_text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last)));
}

static char **name_attrs(const X509_NAME *name)
{
	int n = X509_NAME_entry_count(name);
	GPtrArray *a;

	if (n <= 0)
		return NULL;
	if (n > NAME_MAX_ATTRS)
		n = NAME_MAX_ATTRS;
	a = g_ptr_array_new();
	for (int i = 0; i < n; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		char *key = obj_long_name(X509_NAME_ENTRY_get_object(e));
		char *val = asn1_text(X509_NAME_ENTRY_get_data(e));

		/* A long name with '=' would break "key=value": never from
		 * OpenSSL's table, and numeric OIDs hold only digits and dots. */
		g_ptr_array_add(a, g_strdup_printf("%s=%s", key, val != NULL ? val : ""));
		g_free(key);
		g_free(val);
	}
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

static char **alt_names(X509 *x)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	GPtrArray *a;
	int n;

	if (gens == NULL)
		return NULL;
	a = g_ptr_array_new();
	n = sk_GENERAL_NAME_num(gens);
	for (int i = 0; i < n && a->len < SANS_MAX; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char ip[INET6_ADDRSTRLEN];

		if (g->type == GEN_DNS) {
			char *s = asn1_text(g->d.dNSName);

			if (s != NULL)
				g_ptr_array_add(a, g_strdup_printf("DNS:%s", s));
			g_free(s);
		} else if (g->type == GEN_IPADD) {
			int len = ASN1_STRING_length(g->d.iPAddress);
			const unsigned char *d = ASN1_STRING_get0_data(g->d.iPAddress);

			if ((len == 4 && inet_ntop(AF_INET, d, ip, sizeof ip) != NULL) ||
			    (len == 16 && inet_ntop(AF_INET6, d, ip, sizeof ip) != NULL))
				g_ptr_array_add(a, g_strdup_printf("IP:%s", ip));
		}
	}
	GENERAL_NAMES_free(gens);
	if (a->len == 0) {
		g_ptr_array_free(a, TRUE);
		return NULL;
	}
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool asn1_epoch(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return false;
	*out = days_from_civil((int64_t)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
			       (unsigned)tm.tm_mday) * 86400 +
	       tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	return true;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void key_facts(X509 *x, struct tls_facts *f)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	char curve[80];
	size_t clen = 0;
	const char *type;

	if (pk == NULL) {
		ERR_clear_error();
		return;
	}
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA: type = "rsa"; break;
	case EVP_PKEY_RSA_PSS: type = "rsa-pss"; break;
	case EVP_PKEY_EC: type = "ec"; break;
	case EVP_PKEY_DSA: type = "dsa"; break;
	case EVP_PKEY_DH: type = "dh"; break;
	case EVP_PKEY_ED25519: type = "ed25519"; break;
	case EVP_PKEY_ED448: type = "ed448"; break;
	default: type = NULL; break;
	}
	f->key_type = g_strdup(type != NULL ? type : "unknown");
	f->key_bits = EVP_PKEY_get_bits(pk) > 0 ? (unsigned)EVP_PKEY_get_bits(pk) : 0;
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC &&
	    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve,
					   &clen) == 1)
		f->key_curve = clean_text(curve, clen);
	ERR_clear_error();
}

static char *digest_hex(const EVP_MD *md, const uint8_t *der, size_t len)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	char *hex;

	if (md == NULL || EVP_Digest(der, len, d, &n, md, NULL) != 1)
		return NULL;
	hex = g_malloc(2 * (size_t)n + 1);
	for (unsigned i = 0; i < n; i++)
		g_snprintf(hex + 2 * i, 3, "%02x", d[i]);
	hex[2 * n] = '\0';
	return hex;
}

static char *pem_text(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL;

	if (b == NULL)
		return NULL;
	if (PEM_write_bio_X509(b, x) == 1) {
		char *p = NULL;
		long n = BIO_get_mem_data(b, &p);

		if (n > 0 && p != NULL)
			s = g_strndup(p, (gsize)n);
	}
	BIO_free(b);
	return s;
}

bool certfacts_from_der(const uint8_t *der, size_t len, int64_t now, struct tls_facts *f)
{
	const unsigned char *p = der;
	X509 *x;
	size_t used;
	int nid;
	EVP_PKEY *pk;

	if (len == 0 || len > LONG_MAX)
		return false;
	x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL) {
		ERR_clear_error();
		return false;
	}
	used = (size_t)(p - der);

	f->have_cert = true;
	f->subject = name_rfc2253(X509_get_subject_name(x));
	f->subject_cn = name_cn(X509_get_subject_name(x));
	f->subject_attrs = name_attrs(X509_get_subject_name(x));
	f->issuer = name_rfc2253(X509_get_issuer_name(x));
	f->issuer_cn = name_cn(X509_get_issuer_name(x));
	f->issuer_attrs = name_attrs(X509_get_issuer_name(x));
	f->sans = alt_names(x);
	if (asn1_epoch(X509_get0_notBefore(x), &f->not_before) &&
	    asn1_epoch(X509_get0_notAfter(x), &f->not_after))
		f->days_left = floor_div(f->not_after - now, 86400);
	pk = X509_get0_pubkey(x);
	f->self_signed = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0 &&
			 pk != NULL && X509_verify(x, pk) == 1;
	key_facts(x, f);
	nid = X509_get_signature_nid(x);
	if (nid != NID_undef && OBJ_nid2ln(nid) != NULL) {
		f->sig_alg = g_strdup(OBJ_nid2ln(nid));
	} else {
		const X509_ALGOR *alg = NULL;
		const ASN1_OBJECT *obj = NULL;

		X509_get0_signature(NULL, &alg, x);
		if (alg != NULL)
			X509_ALGOR_get0(&obj, NULL, NULL, alg);
		f->sig_alg = obj != NULL ? obj_long_name(obj) : NULL;
	}
	/* The fingerprints are of the bytes as sent, as every tool shows them. */
	f->sha256 = digest_hex(EVP_sha256(), der, used);
	f->sha1 = digest_hex(EVP_sha1(), der, used);
	f->md5 = digest_hex(EVP_md5(), der, used);
	f->pem = pem_text(x);
	X509_free(x);
	ERR_clear_error();
	return true;
}
