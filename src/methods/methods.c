/* methods.c: the table of scan methods, looked up by name.
 *
 * Adding a method is a file src/methods/NAME.c that defines
 * `const struct scan_method method_NAME` and one line below. */
#include <string.h>

#include "method.h"

#include "errors.h"
#include "textesc.h"

#define METHOD_TABLE(M) \
	M(connect) \
	M(syn) \
	M(udp)

#define METHOD_DECLARE(name) extern const struct scan_method method_##name;
#define METHOD_ENTRY(name) &method_##name,

METHOD_TABLE(METHOD_DECLARE)

static const struct scan_method *const methods[] = {
	METHOD_TABLE(METHOD_ENTRY)
};

const struct scan_method *method_at(size_t i)
{
	return i < G_N_ELEMENTS(methods) ? methods[i] : NULL;
}

const struct scan_method *method_find(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(methods); i++)
		if (strcmp(methods[i]->name, name) == 0)
			return methods[i];
	return NULL;
}

gboolean method_has_reason(const struct scan_method *m, enum reason r)
{
	for (const enum reason *p = m->reasons; p != NULL && *p != REASON_COUNT; p++)
		if (*p == r)
			return TRUE;
	return FALSE;
}

int method_parse_list(const char *text, const struct scan_method *by_proto[2], GError **err)
{
	char **names = g_strsplit(text, ",", -1);
	char q[TEXT_QUOTE_SIZE];
	int rc = -1;

	by_proto[PROTO_TCP] = by_proto[PROTO_UDP] = NULL;
	for (char **n = names; *n != NULL; n++) {
		const struct scan_method *m = method_find(g_strstrip(*n));

		if (m == NULL) {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "unknown scan method '%s': expected connect, syn or udp, or a TCP "
				    "one and udp (syn,udp)", text_quote(q, *n));
			goto out;
		}
		if (by_proto[m->proto] != NULL) {
			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "scan methods '%s': one %s method at a time (connect or syn%s)",
				    text_quote(q, text), m->proto == PROTO_UDP ? "UDP" : "TCP",
				    m->proto == PROTO_UDP ? "; udp once" : ", with udp if wanted");
			goto out;
		}
		by_proto[m->proto] = m;
	}
	if (by_proto[PROTO_TCP] == NULL && by_proto[PROTO_UDP] == NULL) {
		g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
			    "no scan method in '%s': expected connect, syn or udp", text_quote(q, text));
		goto out;
	}
	rc = 0;
out:
	g_strfreev(names);
	return rc;
}
