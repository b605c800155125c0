/* yamltree.h: one YAML document read into a small, bounded tree.
 *
 * For the probe loader (detect/probe_*.c): libyaml's events become a tree of
 * scalars, sequences and mappings. Anchors, aliases and a second document
 * are refused and depth and node count are bounded, so a walk over the tree
 * cannot blow up whatever the input. The tree is plain data: the schema walk
 * reads its fields directly. */
#ifndef PORTOLAN_YAMLTREE_H
#define PORTOLAN_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

enum {
	YAML_DEPTH_MAX = 16,         /* nested sequences and mappings; the probe schema needs 5 */
	YAML_NODES_MAX = 200000,
};

enum ynode_kind { YN_SCALAR, YN_SEQUENCE, YN_MAPPING };

struct ynode {
	enum ynode_kind kind;
	size_t line;                 /* 1-based */
	bool plain;                  /* a scalar written without quotes */
	char *text;                  /* scalar bytes, NUL-terminated; may hold NULs */
	size_t len;
	GPtrArray *items;            /* sequence: values; mapping: key, value, ... (owned) */
};

/* Parses buf (len bytes of UTF-8; `name` stands for the file in messages).
 * Returns 0 with *root the document's root, owned by the caller (NULL for an
 * empty stream), or -1 with *err (PL_ERROR_USAGE, one line "name:line: ..."
 * or "name:line:col: YAML syntax error: ..."). */
int yaml_read_tree(const char *name, const char *buf, size_t len,
		   struct ynode **root, GError **err);

/* Frees n and everything below it; NULL is fine. */
void ynode_free(struct ynode *n);

/* "a scalar", "a sequence", "a mapping": for messages. */
const char *ynode_kind_name(enum ynode_kind kind);

#endif
