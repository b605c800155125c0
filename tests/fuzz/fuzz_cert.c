/* fuzz_cert.c: libFuzzer target for the certificate facts (certfacts.c).
 *
 * Each input is what a TLS server may send as its leaf certificate: DER
 * bytes, read by certfacts_from_der as detection reads the handshake's.
 *
 * Properties: a refused input leaves the facts empty; an accepted one says
 * so (have_cert), every string is valid UTF-8, the fingerprints are lower
 * hex of the right lengths, and the SAN entries say "DNS:" or "IP:". */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "certfacts.h"
#include "fuzz_common.h"

/* A TLS record layer would not pass more than the chain cap (tls_openssl.c). */
#define FUZZ_MAX_INPUT (256 * 1024)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_glib();
	return 0;
}

static void check_text(const char *what, const char *s)
{
	if (s != NULL && !g_utf8_validate(s, -1, NULL)) {
		fprintf(stderr, "fuzz_cert: %s is not valid UTF-8\n", what);
		abort();
	}
}

static void check_hex(const char *what, const char *s, size_t len)
{
	if (s == NULL || strlen(s) != len || strspn(s, "0123456789abcdef") != len) {
		fprintf(stderr, "fuzz_cert: %s is not %zu lower-case hex digits\n", what, len);
		abort();
	}
}

static void check_list(const char *what, char **l, bool sans)
{
	for (size_t i = 0; l != NULL && l[i] != NULL; i++) {
		check_text(what, l[i]);
		if (sans && strncmp(l[i], "DNS:", 4) != 0 && strncmp(l[i], "IP:", 3) != 0) {
			fprintf(stderr, "fuzz_cert: SAN entry '%s' is neither DNS: nor IP:\n", l[i]);
			abort();
		}
		if (!sans && strchr(l[i], '=') == NULL) {
			fprintf(stderr, "fuzz_cert: attribute '%s' has no '='\n", l[i]);
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_facts *f;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	f = tls_facts_new();
	if (!certfacts_from_der(data, size, 1700000000, f)) {
		if (f->have_cert || f->subject != NULL || f->sha256 != NULL) {
			fprintf(stderr, "fuzz_cert: a refused input left facts behind\n");
			abort();
		}
		tls_facts_free(f);
		return 0;
	}
	if (!f->have_cert) {
		fprintf(stderr, "fuzz_cert: accepted without have_cert\n");
		abort();
	}
	check_text("subject", f->subject);
	check_text("subject_cn", f->subject_cn);
	check_text("issuer", f->issuer);
	check_text("issuer_cn", f->issuer_cn);
	check_text("key_type", f->key_type);
	check_text("key_curve", f->key_curve);
	check_text("sig_alg", f->sig_alg);
	check_list("subject_attrs", f->subject_attrs, false);
	check_list("issuer_attrs", f->issuer_attrs, false);
	check_list("sans", f->sans, true);
	check_hex("sha256", f->sha256, 64);
	check_hex("sha1", f->sha1, 40);
	check_hex("md5", f->md5, 32);
	tls_facts_free(f);
	return 0;
}
