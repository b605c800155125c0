/* certfacts.h: the facts of one X.509 certificate, read from its DER bytes.
 *
 * Separate from the TLS session (tls.h) so that it can be fed any bytes: the
 * handshake's leaf certificate, a unit test's file, a fuzzer's input. */
#ifndef PORTOLAN_CERTFACTS_H
#define PORTOLAN_CERTFACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tls_facts.h"

/* Fills f's certificate fields (have_cert through pem, tls_facts.h) from the
 * DER certificate in der[0..len). now: the scan's time, seconds since the
 * epoch, for days_left. f's certificate fields must be empty (a fresh
 * tls_facts_new). Returns false, leaving f as it was, when the bytes are not
 * a certificate. Strings are valid UTF-8 whatever the certificate holds. */
bool certfacts_from_der(const uint8_t *der, size_t len, int64_t now, struct tls_facts *f);

#endif
