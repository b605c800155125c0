/* errors.c: portolan's GError domain. */
#include "errors.h"

G_DEFINE_QUARK(portolan-error-quark, pl_error)
