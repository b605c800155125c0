/* probe_db.h: service-detection probes, loaded from the YAML files in probes/
 * and matched with GRegex. Probes are data: adding a service needs no C.
 *
 * A loaded database is read-only: any number of worker threads may call
 * probe_db_order() and probe_match() on it at once without a lock. */
#ifndef PORTOLAN_PROBE_DB_H
#define PORTOLAN_PROBE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

struct probe_db;
struct probe;

/* What a match says about a service. Every string is owned by the struct
 * (g_free through service_match_clear) and NULL when the match does not say. */
struct service_match {
	char *service;     /* "ssh", "http", ... */
	char *product;     /* "OpenSSH" */
	char *version;     /* "9.2p1" */
	char *info;        /* extra information, "protocol 2.0" */
	char *hostname;
	char *os_hint;
	bool soft;         /* names the service only; detection goes on for a version */
};

void service_match_clear(struct service_match *m);

/* Loads every *.yaml file of dir, in name order; NULL and *err (PL_ERROR_USAGE,
 * one line: "file:line: ...") on the first problem. */
struct probe_db *probe_db_load_dir(const char *dir, GError **err);
/* Loads one file into db (for tests and for --probes-file). Returns 0, or -1
 * and *err; a file that fails adds nothing to db. */
int probe_db_load_file(struct probe_db *db, const char *path, GError **err);
/* Loads probes from a YAML string, as probe_db_load_file; `name` stands for
 * the file in messages. */
int probe_db_load_string(struct probe_db *db, const char *yaml, size_t len,
			 const char *name, GError **err);
struct probe_db *probe_db_new(void);
void probe_db_free(struct probe_db *db);
size_t probe_db_count(const struct probe_db *db);

/* The probes to try on a port, best first: the banner probe (empty payload),
 * those listing the port, then the rest, each group in file order. When
 * `service` is non-NULL (a soft match so far), only probes that can match
 * that service are returned. Fills out (at most max) and returns how many. */
size_t probe_db_order(const struct probe_db *db, uint16_t port,
		      const char *service, const struct probe **out, size_t max);

const char *probe_name(const struct probe *p);
/* The bytes to send; len 0 means "send nothing, wait for a banner". */
const uint8_t *probe_payload(const struct probe *p, size_t *len);
unsigned probe_wait_ms(const struct probe *p);
/* True (the default, `fresh: true`) when the payload must go out on a new
 * connection; false when it may also be sent on a connection that already
 * received a banner or another probe's reply. */
bool probe_needs_fresh_connection(const struct probe *p);
/* Whether p names port among the ports it is most likely useful on. */
bool probe_lists_port(const struct probe *p, uint16_t port);

/* The UDP probes (`protocol: udp`) that list port, in load order, into
 * out (at most max); returns how many. probe_db_order never gives them:
 * they are the UDP scan's payloads and its replies' match rules. */
size_t probe_db_udp(const struct probe_db *db, uint16_t port, const struct probe **out,
		    size_t max);
bool probe_is_udp(const struct probe *p);
/* True for a UDP probe with `reply_from: any_port`: its server may answer
 * from another port of the probed address (TFTP, RFC 1350 section 4). Such
 * a reply counts only when one of p's own rules matches it (the caller
 * checks, see udp_reply_credited); false for every other probe. */
bool probe_reply_any_port(const struct probe *p);
/* The i-th probe loaded (0 <= i < probe_db_count), TCP and UDP alike, or
 * NULL past the last: for tests and fuzzers that want every probe. */
const struct probe *probe_db_get(const struct probe_db *db, size_t i);

/* Runs p's matches, in order, over a response; on the first that matches,
 * fills *out (templates expanded: $1..$9 capture groups, with non-printable
 * bytes removed) and returns true. *out is overwritten without being freed
 * and must be released with service_match_clear; it is left untouched when
 * nothing matches. resp may be NULL when len is 0. */
bool probe_match(const struct probe *p, const uint8_t *resp, size_t len,
		 struct service_match *out);

#endif
