/* xml-tls: the XML writer's output for one open TLS port with the facts
 * given on the command line, for tests/integration/test-xml.sh to compare
 * with what nmap's ssl-cert writes for the same certificate (until the TLS
 * backend fills the facts in a real scan, this is how the writer's side is
 * put next to nmap's).
 *
 *   xml-tls OUT.xml PORT KEY=VALUE...
 *
 * Keys: subject, issuer (attributes "longName=value" separated by '|'),
 * sans ('|'), not_before, not_after (seconds since the epoch), key_type,
 * key_bits, key_curve, sig_alg, md5, sha1, pem_file (a file's text),
 * version. Exit 0 when written, 1 on failure, 2 on bad usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <glib.h>

#include "tls_facts.h"
#include "writer.h"

int main(int argc, char **argv)
{
	struct tls_facts *t = tls_facts_new();
	struct result r;
	FILE *fp;
	void *st;
	int rc = 1;

	if (argc < 3) {
		fprintf(stderr, "usage: xml-tls OUT.xml PORT KEY=VALUE...\n");
		return 2;
	}
	memset(&r, 0, sizeof r);
	if (!pl_addr_parse("127.0.0.1", &r.addr))
		return 1;
	r.port = (uint16_t)atoi(argv[2]);
	r.state = STATE_OPEN;
	r.reason = REASON_SYN_ACK;
	r.attempts = 1;
	t->have_cert = true;
	for (int i = 3; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		const char *k = argv[i], *v;

		if (eq == NULL) {
			fprintf(stderr, "xml-tls: '%s' is not KEY=VALUE\n", argv[i]);
			return 2;
		}
		*eq = '\0';
		v = eq + 1;
		if (strcmp(k, "subject") == 0)
			t->subject_attrs = g_strsplit(v, "|", -1);
		else if (strcmp(k, "issuer") == 0)
			t->issuer_attrs = g_strsplit(v, "|", -1);
		else if (strcmp(k, "sans") == 0)
			t->sans = g_strsplit(v, "|", -1);
		else if (strcmp(k, "not_before") == 0)
			t->not_before = g_ascii_strtoll(v, NULL, 10);
		else if (strcmp(k, "not_after") == 0)
			t->not_after = g_ascii_strtoll(v, NULL, 10);
		else if (strcmp(k, "key_type") == 0)
			t->key_type = g_strdup(v);
		else if (strcmp(k, "key_bits") == 0)
			t->key_bits = (unsigned)atoi(v);
		else if (strcmp(k, "key_curve") == 0)
			t->key_curve = g_strdup(v);
		else if (strcmp(k, "sig_alg") == 0)
			t->sig_alg = g_strdup(v);
		else if (strcmp(k, "md5") == 0)
			t->md5 = g_strdup(v);
		else if (strcmp(k, "sha1") == 0)
			t->sha1 = g_strdup(v);
		else if (strcmp(k, "version") == 0)
			t->version = g_strdup(v);
		else if (strcmp(k, "pem_file") == 0) {
			if (!g_file_get_contents(v, &t->pem, NULL, NULL))
				return 1;
		} else {
			fprintf(stderr, "xml-tls: unknown key '%s'\n", k);
			return 2;
		}
	}
	r.tls = t;
	fp = fopen(argv[1], "w");
	if (fp == NULL)
		return 1;
	st = writer_xml.open(fp, NULL);
	if (st != NULL && writer_xml.write(st, fp, &r) == 0 &&
	    writer_xml.close(st, fp, NULL, time(NULL)) == 0)
		rc = 0;
	if (fclose(fp) != 0)
		rc = 1;
	tls_facts_free(t);
	return rc;
}
