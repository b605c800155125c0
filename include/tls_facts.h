/* tls_facts.h: what TLS said about a port: the leaf certificate's facts,
 * the chain's verdict, and the protocol versions the server accepts.
 *
 * The TLS backend (tls.h) fills it during service detection; a result
 * carries it (result.h's `tls`, NULL when the port spoke no TLS); the
 * writers show it (a "tls" group of fields, nmap's ssl-cert script in XML)
 * and the audit checks it against the policy and the baseline. Every string
 * is owned (g_malloc) and freed by tls_facts_free; NULL means "not known". */
#ifndef PORTOLAN_TLS_FACTS_H
#define PORTOLAN_TLS_FACTS_H

#include <stdbool.h>
#include <stdint.h>

enum tls_version {
	TLS_V1_0,
	TLS_V1_1,
	TLS_V1_2,
	TLS_V1_3,
	TLS_VERSION_COUNT
};

struct tls_facts {
	/* How TLS was reached: from the first byte, or by a STARTTLS upgrade
	 * of the plain-text protocol named here ("smtp", "imap", ...). */
	char *starttls;
	char *sni;                /* the server name sent, or NULL (none) */
	/* The detection handshake, the server's own choice of version. */
	char *version;            /* tls_version_name's words, e.g. "TLSv1.3" */
	/* Cipher suites are named as IANA's registry does (OpenSSL's
	 * SSL_CIPHER_standard_name, nmap's ssl-enum-ciphers words), e.g.
	 * "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256". */
	char *cipher;

	/* The leaf certificate, read whatever verification says. */
	bool have_cert;
	char *subject;            /* RFC 2253, e.g. "CN=www.example.org,O=Example" */
	char *subject_cn;         /* the subject's commonName, or NULL */
	char *issuer;             /* RFC 2253 */
	char *issuer_cn;
	/* The names' attributes in certificate order, NULL-terminated, each
	 * "longName=value" with OpenSSL's long names ("commonName",
	 * "organizationName", "countryName", ...: nmap's ssl-cert keys too).
	 * A long name holds no '=': split at the first one. NULL: none. */
	char **subject_attrs;
	char **issuer_attrs;
	char **sans;              /* NULL-terminated, "DNS:name" or "IP:addr"; NULL: none */
	int64_t not_before;       /* seconds since the epoch, UTC */
	int64_t not_after;
	int64_t days_left;        /* whole days from the scan to not_after; < 0 once expired */
	bool self_signed;         /* issuer == subject and the key verifies its own signature */
	char *key_type;           /* "rsa", "ec", "dsa", "ed25519", "ed448", ... */
	unsigned key_bits;
	char *key_curve;          /* EC: the curve's name ("prime256v1"); else NULL */
	char *sig_alg;            /* e.g. "sha256WithRSAEncryption" */
	char *sha256;             /* lower-case hex of the DER's SHA-256, 64 digits */
	char *sha1;               /* lower-case hex of the DER's SHA-1 (nmap shows it) */
	char *md5;                /* lower-case hex of the DER's MD5 (nmap shows it) */
	char *pem;                /* the leaf in PEM: nmap's ssl-cert "pem" */

	/* The chain, against the system trust store: "ok", or why not
	 * (OpenSSL's words, e.g. "self-signed certificate"). */
	char *verify;

	/* Each version tried with the version pinned: accepted has bit v
	 * for each tls_version v the server completed a handshake with,
	 * version_cipher[v] the suite it chose then. versions_tested is false
	 * when the enumeration did not run (or ran out of time). */
	bool versions_tested;
	uint8_t accepted;
	char *version_cipher[TLS_VERSION_COUNT];
};

/* "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3" (OpenSSL's and nmap's words). */
const char *tls_version_name(enum tls_version v);
/* Parses those words (and "1.0".."1.3"); -1 when unknown. */
int tls_version_parse(const char *name);

struct tls_facts *tls_facts_new(void);
/* Frees f and everything it owns; accepts NULL. */
void tls_facts_free(struct tls_facts *f);

#endif
