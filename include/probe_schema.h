/* probe_schema.h: the probe file schema, for the probe modules only
 * (detect/probe_db.c loads, detect/probe_match.c matches); everyone else
 * sees probes through probe_db.h.
 *
 * The schema walk turns one node of a YAML tree (yamltree.h) into a probe:
 * every key known and unique, every value of its type and in range, every
 * pattern compiled once and every template checked against its pattern's
 * groups. The format is documented in probes/README.md. */
#ifndef PORTOLAN_PROBE_SCHEMA_H
#define PORTOLAN_PROBE_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "yamltree.h"

/* One `matches` entry: a compiled pattern and the templates it fills. */
struct match_rule {
	char *service;
	GRegex *re;                  /* immutable once compiled: shared by threads */
	/* Templates, NULL when the rule does not set the field. */
	char *product;
	char *version;
	char *info;
	char *hostname;
	char *os;
	bool soft;
};

struct port_range {
	uint16_t lo;
	uint16_t hi;
};

struct probe {
	char *name;
	char *origin;                /* "file:line", for duplicate-name messages */
	uint8_t *payload;            /* NULL when payload_len is 0 */
	size_t payload_len;
	unsigned wait_ms;
	bool fresh;
	bool udp;                    /* `protocol: udp`: a UDP scan's payload, never TCP's */
	bool reply_any_port;         /* `reply_from: any_port`: UDP only */
	struct port_range *ports;
	size_t nports;
	struct match_rule *rules;
	size_t nrules;
};

/* Checks that a file's root is a non-empty sequence of probes. Returns 0, or
 * -1 and *err ("file:line: ..."). */
int probe_schema_check_root(const char *file, const struct ynode *root, GError **err);

/* Reads the probe at `map`, the index-th (1-based) of `file`. Returns a new
 * probe (free with probe_free), or NULL and *err ("file:line: probe 'name':
 * ...", or "probe #index" before the name is known). */
struct probe *probe_schema_parse(const char *file, size_t index, const struct ynode *map,
				 GError **err);

/* Frees p and all it holds; NULL is fine. */
void probe_free(struct probe *p);

#endif
