/* tlspolicy.h: the TLS part of an audit policy group (docs/audit.md): the
 * keys tls-min-version, cert-min-days, allow-self-signed, allow-unverified,
 * min-rsa-bits, min-ec-bits, forbid-signatures and require-san, and the
 * check of a result's TLS facts (result->tls) against them.
 *
 * audit.c owns the groups; each group owns one struct tls_policy (NULL
 * while the group has no TLS key). Every finding is about an open port
 * whose result carries TLS facts:
 *   a version accepted (or, not enumerated, negotiated) below the minimum
 *                                                    -> tls-version
 *   the leaf expired (days left < 0), with cert-min-days set -> cert-expired
 *   days left below cert-min-days                    -> cert-expiring
 *   self-signed, allow-self-signed = false           -> cert-self-signed
 *   chain verdict not "ok", allow-unverified = false -> cert-unverified
 *   an RSA (or DSA) key under min-rsa-bits, an EC key under min-ec-bits
 *                                                    -> weak-key
 *   a signature algorithm naming a forbidden digest  -> weak-signature
 *   a required name covered by no DNS/IP SAN         -> san-missing
 */
#ifndef PORTOLAN_TLSPOLICY_H
#define PORTOLAN_TLSPOLICY_H

#include <stdbool.h>
#include <libconfig.h>

#include "findings.h"
#include "tls_facts.h"

struct tls_policy;

/* Whether key is one of the TLS keys above. */
bool tls_policy_is_key(const char *key);

/* Reads one TLS key's setting into *p (created on the first key). Returns
 * NULL, or a problem for the caller to report at the setting's line
 * (g_free). */
char *tls_policy_parse_key(struct tls_policy **p, const config_setting_t *cs);

void tls_policy_free(struct tls_policy *p);

/* Called once per violation; expected and found are valid for the call. */
typedef void (*tls_policy_emit_fn)(void *ud, enum finding_kind kind, const char *expected,
				   const char *found);

/* Checks an open port's TLS facts (t may be NULL: nothing to check). */
void tls_policy_check(const struct tls_policy *p, const struct tls_facts *t,
		      tls_policy_emit_fn emit, void *ud);

#endif
