/* methods.c: the table of scan methods, looked up by name.
 *
 * Adding a method is a file src/methods/NAME.c that defines
 * `const struct scan_method method_NAME` and one line below. */
#include <string.h>

#include "method.h"

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
