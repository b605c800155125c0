/* fuzz_starttls.c: libFuzzer target for the STARTTLS reply parsers
 * (src/tls/starttls.c, starttls_reply).
 *
 * Input: the first byte picks the dialogue (its value modulo 7: smtp, imap,
 * pop3, ftp, ldap, postgresql, xmpp) and the step (byte / 7, modulo the
 * dialogue's steps); the rest is the server's reply. Properties: the parser
 * never reads past the bytes (ASan); a complete reply (YES or NO) has a
 * length within the bytes and not zero; judging just those bytes gives the
 * same verdict and length (what follows a reply does not change it); and
 * no shorter prefix of it is already complete. Any violation aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "starttls.h"
#include "fuzz_common.h"

/* The driver never hands a parser more than its 4 KiB a reply. */
#define FUZZ_MAX_INPUT 4097

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_glib();
	return 0;
}

static void fail(const char *what, const char *d, int step, size_t len)
{
	fprintf(stderr, "fuzz_starttls: %s (%s step %d, %zu bytes)\n", what, d, step, len);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "smtp", "imap", "pop3", "ftp",
					     "ldap", "postgresql", "xmpp" };
	const char *d;
	int step;
	const uint8_t *buf;
	size_t len, used = 0, again = 0;
	enum starttls_verdict v, w;
	uint8_t *copy;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	d = names[data[0] % 7];
	step = (data[0] / 7) % starttls_steps(d);
	/* A heap copy of exactly the reply, so ASan sees a read past it. */
	len = size - 1;
	copy = malloc(len ? len : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, len);
	buf = copy;

	v = starttls_reply(d, step, buf, len, &used);
	if (v != STARTTLS_MORE && v != STARTTLS_YES && v != STARTTLS_NO && v != STARTTLS_BAD)
		fail("unknown verdict", d, step, len);
	if (v == STARTTLS_YES || v == STARTTLS_NO) {
		if (used == 0 || used > len)
			fail("complete reply of a length outside the bytes", d, step, len);
		w = starttls_reply(d, step, buf, used, &again);
		if (w != v || again != used)
			fail("the reply alone judged otherwise", d, step, len);
		for (size_t k = 0; k < used; k++) {
			w = starttls_reply(d, step, buf, k, NULL);
			if (w == STARTTLS_YES || w == STARTTLS_NO)
				fail("a shorter prefix is already complete", d, step, len);
		}
	}
	free(copy);
	return 0;
}
