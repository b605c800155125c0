/* tls_facts.c: the TLS facts record's life and its version words. */
#include "tls_facts.h"

#include <string.h>
#include <glib.h>

static const char *const version_names[TLS_VERSION_COUNT] = {
	[TLS_V1_0] = "TLSv1.0",
	[TLS_V1_1] = "TLSv1.1",
	[TLS_V1_2] = "TLSv1.2",
	[TLS_V1_3] = "TLSv1.3",
};

const char *tls_version_name(enum tls_version v)
{
	return (unsigned)v < TLS_VERSION_COUNT ? version_names[v] : "?";
}

int tls_version_parse(const char *name)
{
	if (name == NULL)
		return -1;
	for (int v = 0; v < TLS_VERSION_COUNT; v++)
		/* "TLSv1.2" or the bare "1.2" */
		if (strcmp(name, version_names[v]) == 0 || strcmp(name, version_names[v] + 4) == 0)
			return v;
	return -1;
}

struct tls_facts *tls_facts_new(void)
{
	return g_new0(struct tls_facts, 1);
}

void tls_facts_free(struct tls_facts *f)
{
	if (f == NULL)
		return;
	g_free(f->starttls);
	g_free(f->sni);
	g_free(f->version);
	g_free(f->cipher);
	g_free(f->subject);
	g_free(f->subject_cn);
	g_free(f->issuer);
	g_free(f->issuer_cn);
	g_strfreev(f->subject_attrs);
	g_strfreev(f->issuer_attrs);
	g_strfreev(f->sans);
	g_free(f->key_type);
	g_free(f->key_curve);
	g_free(f->sig_alg);
	g_free(f->sha256);
	g_free(f->sha1);
	g_free(f->md5);
	g_free(f->pem);
	g_free(f->verify);
	for (int v = 0; v < TLS_VERSION_COUNT; v++)
		g_free(f->version_cipher[v]);
	g_free(f);
}
