/* yamltree.c: one YAML document into a small tree (see yamltree.h).
 *
 * libyaml's event parser drives a builder that keeps the open containers on
 * a stack. Everything that could make a later walk expensive is refused
 * here, at the event that brings it: anchors and aliases (an alias can
 * multiply a tree exponentially), a second document, nesting deeper than
 * YAML_DEPTH_MAX and more than YAML_NODES_MAX nodes. */
#include "yamltree.h"
#include "errors.h"

#include <string.h>
#include <yaml.h>

void ynode_free(struct ynode *n)
{
	if (!n)
		return;
	if (n->items)
		g_ptr_array_free(n->items, TRUE);
	g_free(n->text);
	g_free(n);
}

static void ynode_free_cb(gpointer n)
{
	ynode_free(n);
}

static struct ynode *ynode_new(enum ynode_kind kind, const yaml_mark_t *mark)
{
	struct ynode *n = g_new0(struct ynode, 1);

	n->kind = kind;
	n->line = mark->line + 1;
	if (kind != YN_SCALAR)
		n->items = g_ptr_array_new_with_free_func(ynode_free_cb);
	return n;
}

const char *ynode_kind_name(enum ynode_kind kind)
{
	switch (kind) {
	case YN_SCALAR:
		return "a scalar";
	case YN_SEQUENCE:
		return "a sequence";
	case YN_MAPPING:
		return "a mapping";
	}
	return "a node";
}

/* ------------------------------------------------------------------ */
/* Syntax errors                                                       */

/* libyaml's reader reports a byte offset, not a mark: find its line. */
static void offset_position(const char *buf, size_t len, size_t offset,
			    size_t *line, size_t *col)
{
	size_t l = 1, start = 0;

	if (offset > len)
		offset = len;
	for (size_t i = 0; i < offset; i++) {
		if (buf[i] == '\n' || (buf[i] == '\r' && (i + 1 >= len || buf[i + 1] != '\n'))) {
			l++;
			start = i + 1;
		}
	}
	*line = l;
	*col = offset - start + 1;
}

static void set_syntax_error(const yaml_parser_t *parser, const char *name,
			     const char *buf, size_t len, GError **err)
{
	const char *problem = parser->problem ? parser->problem : "unknown problem";
	size_t line, col;

	switch (parser->error) {
	case YAML_MEMORY_ERROR:
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "%s: YAML parser out of memory", name);
		return;
	case YAML_READER_ERROR:
		offset_position(buf, len, parser->problem_offset, &line, &col);
		if (parser->problem_value >= 0)
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "%s:%zu:%zu: YAML syntax error: %s (#%X)", name,
				    line, col, problem, (unsigned)parser->problem_value);
		else
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "%s:%zu:%zu: YAML syntax error: %s", name, line, col,
				    problem);
		return;
	default:
		line = parser->problem_mark.line + 1;
		col = parser->problem_mark.column + 1;
		if (parser->context)
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "%s:%zu:%zu: YAML syntax error: %s (%s at line %zu)",
				    name, line, col, problem, parser->context,
				    (size_t)parser->context_mark.line + 1);
		else
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "%s:%zu:%zu: YAML syntax error: %s", name, line, col,
				    problem);
		return;
	}
}

/* ------------------------------------------------------------------ */
/* The builder                                                         */

struct builder {
	const char *name;            /* the file, for messages */
	GError **err;
	GPtrArray *stack;            /* open containers, borrowed */
	struct ynode *top;           /* the document's root, owned */
	size_t nodes;
	size_t documents;
	bool done;                   /* the stream ended */
};

/* The node an event opens, or NULL for an event that opens none; *anchor
 * is the anchor it names, if any. */
static struct ynode *node_from_event(const yaml_event_t *ev, const unsigned char **anchor)
{
	struct ynode *node;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		*anchor = ev->data.scalar.anchor;
		node = ynode_new(YN_SCALAR, &ev->start_mark);
		node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		node->len = ev->data.scalar.length;
		node->text = g_malloc(node->len + 1);
		memcpy(node->text, ev->data.scalar.value, node->len);
		node->text[node->len] = '\0';
		return node;
	case YAML_SEQUENCE_START_EVENT:
		*anchor = ev->data.sequence_start.anchor;
		return ynode_new(YN_SEQUENCE, &ev->start_mark);
	case YAML_MAPPING_START_EVENT:
		*anchor = ev->data.mapping_start.anchor;
		return ynode_new(YN_MAPPING, &ev->start_mark);
	default:
		return NULL;
	}
}

/* Hangs a new node into the tree (the builder owns it from then on, also
 * on failure) and opens it when it is a container. */
static int builder_add(struct builder *b, struct ynode *node, const unsigned char *anchor,
		       size_t line)
{
	if (anchor) {
		g_set_error(b->err, PL_ERROR, PL_ERROR_USAGE,
			    "%s:%zu: YAML anchors are not supported", b->name, line);
		ynode_free(node);
		return -1;
	}
	if (++b->nodes > YAML_NODES_MAX) {
		g_set_error(b->err, PL_ERROR, PL_ERROR_USAGE,
			    "%s:%zu: more than %d YAML nodes", b->name, line, YAML_NODES_MAX);
		ynode_free(node);
		return -1;
	}
	if (b->stack->len == 0) {
		/* One document, so one root; libyaml guarantees it. */
		ynode_free(b->top);
		b->top = node;
	} else {
		struct ynode *parent = g_ptr_array_index(b->stack, b->stack->len - 1);

		g_ptr_array_add(parent->items, node);
	}
	if (node->kind == YN_SCALAR)
		return 0;
	if (b->stack->len >= YAML_DEPTH_MAX) {
		g_set_error(b->err, PL_ERROR, PL_ERROR_USAGE,
			    "%s:%zu: YAML nested deeper than %d levels",
			    b->name, line, YAML_DEPTH_MAX);
		return -1;
	}
	g_ptr_array_add(b->stack, node);
	return 0;
}

static int builder_event(struct builder *b, const yaml_event_t *ev)
{
	size_t line = ev->start_mark.line + 1;
	const unsigned char *anchor = NULL;
	struct ynode *node;

	switch (ev->type) {
	case YAML_NO_EVENT:
	case YAML_STREAM_END_EVENT:
		b->done = true;
		return 0;
	case YAML_STREAM_START_EVENT:
	case YAML_DOCUMENT_END_EVENT:
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (++b->documents > 1) {
			g_set_error(b->err, PL_ERROR, PL_ERROR_USAGE,
				    "%s:%zu: only one YAML document per file", b->name, line);
			return -1;
		}
		return 0;
	case YAML_ALIAS_EVENT:
		g_set_error(b->err, PL_ERROR, PL_ERROR_USAGE,
			    "%s:%zu: YAML aliases are not supported", b->name, line);
		return -1;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->stack->len > 0)
			g_ptr_array_set_size(b->stack, b->stack->len - 1);
		return 0;
	default:
		node = node_from_event(ev, &anchor);
		if (node)
			return builder_add(b, node, anchor, line);
		g_set_error(b->err, PL_ERROR, PL_ERROR_USAGE,
			    "%s:%zu: unexpected YAML event", b->name, line);
		return -1;
	}
}

int yaml_read_tree(const char *name, const char *buf, size_t len,
		   struct ynode **root, GError **err)
{
	struct builder b = { .name = name, .err = err };
	yaml_parser_t parser;
	int result = -1;

	*root = NULL;
	if (!yaml_parser_initialize(&parser)) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "%s: cannot initialise the YAML parser", name);
		return -1;
	}
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	b.stack = g_ptr_array_new();

	while (!b.done) {
		yaml_event_t ev;
		int rc;

		if (!yaml_parser_parse(&parser, &ev)) {
			set_syntax_error(&parser, name, buf, len, err);
			goto out;
		}
		rc = builder_event(&b, &ev);
		yaml_event_delete(&ev);
		if (rc < 0)
			goto out;
	}
	*root = b.top;
	b.top = NULL;
	result = 0;
out:
	ynode_free(b.top);
	yaml_parser_delete(&parser);
	g_ptr_array_free(b.stack, TRUE);
	return result;
}
