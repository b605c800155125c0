/* test_certfacts.c: the certificate facts (certfacts.c) of certificates made
 * here with OpenSSL's API, each fact against what was put in or what OpenSSL
 * computes on its own (digests over i2d_X509's bytes). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certfacts.h"
#include "tls_facts.h"

#define NOW 1800000000   /* 2027-01-15T08:00:00Z */

struct made {
	uint8_t *der;
	size_t len;
	X509 *x;
};

static EVP_PKEY *key_rsa(unsigned bits)
{
	EVP_PKEY *k = EVP_RSA_gen(bits);

	assert_non_null(k);
	return k;
}

static EVP_PKEY *key_ec(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

static void add_name(X509_NAME *n, const char *field, const char *value)
{
	assert_int_equal(X509_NAME_add_entry_by_txt(n, field, MBSTRING_UTF8,
						    (const unsigned char *)value, -1, -1, 0), 1);
}

/* A certificate for `key` named by cn/o, valid [nb, na] (epoch seconds),
 * signed by signer (itself when NULL) with md, with SANs "DNS:..,IP:.." or
 * NULL. */
static struct made make_cert(EVP_PKEY *key, const char *cn, const char *o, int64_t nb,
			     int64_t na, EVP_PKEY *signer, X509_NAME *issuer, const EVP_MD *md,
			     const char *sans)
{
	struct made m = { 0 };
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	unsigned char *p = NULL;
	int len;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na));
	add_name(n, "C", "DE");
	if (o != NULL)
		add_name(n, "O", o);
	add_name(n, "CN", cn);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer != NULL ? issuer : n);
	X509_NAME_free(n);
	X509_set_pubkey(x, key);
	if (sans != NULL) {
		X509V3_CTX ctx;
		X509_EXTENSION *ext;

		X509V3_set_ctx_nodb(&ctx);
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, sans);
		assert_non_null(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, signer != NULL ? signer : key, md) > 0);
	len = i2d_X509(x, &p);
	assert_true(len > 0);
	m.der = g_memdup2(p, (gsize)len);
	m.len = (size_t)len;
	OPENSSL_free(p);
	m.x = x;
	return m;
}

static void made_free(struct made *m)
{
	g_free(m->der);
	X509_free(m->x);
}

static void assert_digest(const struct made *m, const EVP_MD *md, const char *hex)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	GString *want = g_string_new(NULL);

	assert_int_equal(X509_digest(m->x, md, d, &n), 1);
	for (unsigned i = 0; i < n; i++)
		g_string_append_printf(want, "%02x", d[i]);
	assert_non_null(hex);
	assert_string_equal(hex, want->str);
	g_string_free(want, TRUE);
}

static void test_rsa_self_signed(void **state)
{
	EVP_PKEY *k = key_rsa(2048);
	int64_t nb = NOW - 10 * 86400, na = NOW + 30 * 86400 + 3600;
	struct made m = make_cert(k, "www.example.test", "Example Org", nb, na, NULL, NULL,
				  EVP_sha256(), "DNS:www.example.test,DNS:example.test,IP:127.0.0.1,IP:::1");
	struct tls_facts *f = tls_facts_new();

	assert_true(certfacts_from_der(m.der, m.len, NOW, f));
	assert_true(f->have_cert);
	assert_string_equal(f->subject, "CN=www.example.test,O=Example Org,C=DE");
	assert_string_equal(f->subject_cn, "www.example.test");
	assert_string_equal(f->issuer, f->subject);
	assert_string_equal(f->issuer_cn, "www.example.test");
	assert_non_null(f->subject_attrs);
	assert_string_equal(f->subject_attrs[0], "countryName=DE");
	assert_string_equal(f->subject_attrs[1], "organizationName=Example Org");
	assert_string_equal(f->subject_attrs[2], "commonName=www.example.test");
	assert_null(f->subject_attrs[3]);
	assert_non_null(f->sans);
	assert_string_equal(f->sans[0], "DNS:www.example.test");
	assert_string_equal(f->sans[1], "DNS:example.test");
	assert_string_equal(f->sans[2], "IP:127.0.0.1");
	assert_string_equal(f->sans[3], "IP:::1");
	assert_null(f->sans[4]);
	assert_int_equal(f->not_before, nb);
	assert_int_equal(f->not_after, na);
	assert_int_equal(f->days_left, 30);
	assert_true(f->self_signed);
	assert_string_equal(f->key_type, "rsa");
	assert_int_equal(f->key_bits, 2048);
	assert_null(f->key_curve);
	assert_string_equal(f->sig_alg, "sha256WithRSAEncryption");
	assert_digest(&m, EVP_sha256(), f->sha256);
	assert_digest(&m, EVP_sha1(), f->sha1);
	assert_digest(&m, EVP_md5(), f->md5);
	assert_non_null(f->pem);
	assert_non_null(strstr(f->pem, "-----BEGIN CERTIFICATE-----\n"));
	tls_facts_free(f);
	made_free(&m);
	EVP_PKEY_free(k);
}

/* An EC leaf signed by an RSA CA with SHA-1, expired: not self-signed, its
 * days negative, the issuer the CA's name. */
static void test_ec_leaf_expired_sha1(void **state)
{
	EVP_PKEY *ca = key_rsa(1024), *leaf = key_ec();
	struct made cam = make_cert(ca, "Test CA", "Portolan", NOW - 400 * 86400, NOW + 400 * 86400,
				    NULL, NULL, EVP_sha256(), NULL);
	int64_t na = NOW - 86400 - 60;
	struct made m = make_cert(leaf, "old.example.test", NULL, NOW - 100 * 86400, na, ca,
				  X509_get_subject_name(cam.x), EVP_sha1(), NULL);
	struct tls_facts *f = tls_facts_new();

	assert_true(certfacts_from_der(m.der, m.len, NOW, f));
	assert_string_equal(f->subject, "CN=old.example.test,C=DE");
	assert_string_equal(f->issuer, "CN=Test CA,O=Portolan,C=DE");
	assert_string_equal(f->issuer_cn, "Test CA");
	assert_string_equal(f->issuer_attrs[1], "organizationName=Portolan");
	assert_null(f->sans);
	assert_false(f->self_signed);
	assert_int_equal(f->not_after, na);
	assert_int_equal(f->days_left, -2);      /* 1 day and a minute ago: floor */
	assert_string_equal(f->key_type, "ec");
	assert_int_equal(f->key_bits, 256);
	assert_string_equal(f->key_curve, "prime256v1");
	assert_string_equal(f->sig_alg, "sha1WithRSAEncryption");
	tls_facts_free(f);

	/* The CA's own: self-signed, 1024 bits. */
	f = tls_facts_new();
	assert_true(certfacts_from_der(cam.der, cam.len, NOW, f));
	assert_true(f->self_signed);
	assert_int_equal(f->key_bits, 1024);
	tls_facts_free(f);
	made_free(&m);
	made_free(&cam);
	EVP_PKEY_free(leaf);
	EVP_PKEY_free(ca);
}

/* Same names, but the signature is not the subject's key's: not self-signed. */
static void test_same_name_other_key(void **state)
{
	EVP_PKEY *a = key_ec(), *b = key_ec();
	struct made m = make_cert(a, "twin", NULL, NOW, NOW + 86400, b, NULL, EVP_sha256(), NULL);
	struct tls_facts *f = tls_facts_new();

	assert_true(certfacts_from_der(m.der, m.len, NOW, f));
	assert_string_equal(f->subject, f->issuer);
	assert_false(f->self_signed);
	assert_string_equal(f->sig_alg, "ecdsa-with-SHA256");
	tls_facts_free(f);
	made_free(&m);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

/* UTF-8 names stay UTF-8 in the values, and the RFC 2253 text is valid UTF-8. */
static void test_utf8(void **state)
{
	EVP_PKEY *k = key_ec();
	struct made m = make_cert(k, "Z\xc3\xbcrich", NULL, NOW, NOW + 86400, NULL, NULL,
				  EVP_sha256(), NULL);
	struct tls_facts *f = tls_facts_new();

	assert_true(certfacts_from_der(m.der, m.len, NOW, f));
	assert_string_equal(f->subject_cn, "Z\xc3\xbcrich");
	assert_true(g_utf8_validate(f->subject, -1, NULL));
	tls_facts_free(f);
	made_free(&m);
	EVP_PKEY_free(k);
}

static void test_not_a_certificate(void **state)
{
	EVP_PKEY *k = key_ec();
	struct made m = make_cert(k, "cut", NULL, NOW, NOW + 86400, NULL, NULL, EVP_sha256(), NULL);
	struct tls_facts *f = tls_facts_new();
	static const uint8_t junk[] = "\x30\x82\xff\xffnot DER at all";

	assert_false(certfacts_from_der(junk, sizeof junk - 1, NOW, f));
	assert_false(certfacts_from_der(m.der, m.len / 2, NOW, f));
	assert_false(certfacts_from_der(m.der, 0, NOW, f));
	assert_false(f->have_cert);
	assert_null(f->subject);
	assert_null(f->sha256);
	tls_facts_free(f);
	made_free(&m);
	EVP_PKEY_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsa_self_signed),
		cmocka_unit_test(test_ec_leaf_expired_sha1),
		cmocka_unit_test(test_same_name_other_key),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_not_a_certificate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) != 0;
}
