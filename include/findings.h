/* findings.h: audit findings, their counts and the --findings file.
 *
 * A finding is one difference between what was expected (a policy in the
 * config, or a baseline scan) and what the scan found. Every finding is
 * counted by kind; when a findings file was given it is also written there,
 * one record per finding, as CSV, a JSON document or JSON Lines (from the
 * file's extension). The record's fields, in this order, are:
 *
 *   kind      one of the kind names below
 *   ip        the host's address (empty for target-not-scanned)
 *   host      the name the user gave for the host, or empty; for
 *             target-not-scanned the target spec as given
 *   port      the port (empty in CSV, null in JSON for
 *             target-not-scanned and the host kinds)
 *   proto     "tcp" or "udp", the port's (empty / null for the host
 *             kinds: host-down, newly-up, newly-down)
 *   expected  what the policy or baseline says (see docs/audit.md per kind)
 *   found     what the scan saw
 *   group     the policy group the host belongs to, or empty
 *
 * Text goes through textesc.h exactly as result fields do: CSV fields are
 * quoted and formula-neutralised, JSON strings escaped, invalid UTF-8
 * replaced. Only the results thread calls findings_add and findings_close. */
#ifndef PORTOLAN_FINDINGS_H
#define PORTOLAN_FINDINGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <glib.h>

#include "addr.h"
#include "result.h"

enum finding_kind {
	FINDING_UNEXPECTED_OPEN,     /* open, but the group does not allow it */
	FINDING_REQUIRED_NOT_OPEN,   /* required by the group, scanned, not open */
	/* A required UDP port found open|filtered: silence, which an open
	 * port and a dropping firewall both give; not proof either way. */
	FINDING_REQUIRED_UNCONFIRMED,
	FINDING_UNEXPECTED_SERVICE,  /* open, detection ran, not the expected service */
	FINDING_NEWLY_OPEN,          /* open now, not open in the baseline */
	FINDING_NEWLY_CLOSED,        /* open in the baseline, closed now */
	FINDING_NEWLY_FILTERED,      /* open in the baseline, filtered now */
	FINDING_CHANGED_SERVICE,     /* open in both, the service differs */
	FINDING_CHANGED_PRODUCT,
	FINDING_CHANGED_VERSION,
	FINDING_TARGET_NOT_SCANNED,  /* a target given produced no scanned host */
	/* Host discovery's (host rows: no port, no proto). */
	FINDING_HOST_DOWN,           /* the group requires its hosts up; found down */
	FINDING_NEWLY_UP,            /* down in the baseline, up now */
	FINDING_NEWLY_DOWN,          /* up in the baseline, down now */
	/* TLS (tlspolicy.h; a port with TLS facts). */
	FINDING_TLS_VERSION,         /* a version below the group's minimum */
	FINDING_CERT_EXPIRED,
	FINDING_CERT_EXPIRING,       /* fewer days left than cert-min-days */
	FINDING_CERT_SELF_SIGNED,
	FINDING_CERT_UNVERIFIED,     /* the chain did not verify */
	FINDING_WEAK_KEY,
	FINDING_WEAK_SIGNATURE,
	FINDING_SAN_MISSING,         /* a required name in no SAN */
	FINDING_CERT_CHANGED,        /* open in both, another certificate (SHA-256) */
	FINDING_KIND_COUNT
};

/* One finding; every pointer is borrowed for the call. NULL strings are
 * written as empty. */
struct finding {
	enum finding_kind kind;
	const struct pl_addr *addr;  /* NULL: no address (target-not-scanned) */
	const char *host;
	uint16_t port;               /* 0: no port (target-not-scanned, host kinds) */
	enum pl_proto proto;         /* the port's (PROTO_TCP, zero, unless said) */
	const char *expected;
	const char *found;
	const char *group;
};

/* A kind about a host's status (host discovery), with no port or proto. */
bool finding_is_host(enum finding_kind k);

/* "unexpected-open", ...; "unknown" for a value out of range. */
const char *finding_kind_name(enum finding_kind k);

struct findings;

/* A new set of counts, and the file to write findings to (path may be NULL:
 * count only). Fails, with an input error (exit 2), when the format cannot
 * be told from the extension (.csv, .json, .jsonl or .ndjson). Nothing is
 * opened yet. */
struct findings *findings_new(const char *path, GError **err);

/* Creates or truncates the file (a runtime error, exit 3, on failure) and
 * writes its header. Does nothing without a path. */
int findings_open(struct findings *f, GError **err);

/* Counts fd and writes it when a file is open. Returns 0, or -1 with *err
 * the first time the file cannot be written; later findings are still
 * counted but no longer written. */
int findings_add(struct findings *f, const struct finding *fd, GError **err);

uint64_t findings_count(const struct findings *f, enum finding_kind k);
uint64_t findings_total(const struct findings *f);

/* One line, "portolan: audit: 3 findings: 2 unexpected-open, 1 newly-open"
 * or "portolan: audit: no findings". */
void findings_print_summary(const struct findings *f, FILE *fp);

/* Writes the trailer (the JSON document's summary) and closes the file.
 * Returns 0, or -1 with *err when the file could not be written (unless
 * findings_add already reported that). */
int findings_close(struct findings *f, GError **err);

/* After an early failure: closes the file and removes it if findings_open
 * created it. */
void findings_discard(struct findings *f);

/* Closes the file without a trailer if still open, and frees f. */
void findings_free(struct findings *f);

#endif
