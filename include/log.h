/* log.h: GLib structured logging, printed as "portolan: ..." on stderr.
 * Verbosity: -1 errors only, 0 warnings and messages, 1 info, 2 debug. */
#ifndef PORTOLAN_LOG_H
#define PORTOLAN_LOG_H

void log_init(void);
void log_set_verbosity(int verbosity);
int log_verbosity(void);

#endif
