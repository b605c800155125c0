/* privdrop.h: giving up root and capabilities once a privileged scan method
 * holds its raw sockets and its capture.
 *
 * The order in a scan (README "Privileges"): plan_build resolves the user
 * and refuses paths the scan would write after the drop that the user
 * cannot (privdrop_for, privdrop_check_path); scan_run opens the outputs;
 * the method's start() opens its raw sockets and capture; pool_start calls
 * privdrop_apply before any worker starts; then the first packet goes.
 *
 * Three cases:
 *   - run as root (euid 0): become the user (its groups, gid, uid, in that
 *     order), which also empties every capability set;
 *   - run as root with a user whose uid is 0 (--user root): nothing is
 *     given up; the user asked for it;
 *   - run as another user (a binary given CAP_NET_RAW by setcap): the user
 *     cannot change; its capabilities go.
 * On Linux every thread of the process ends with empty capability sets
 * (effective, permitted, inheritable, ambient) and no_new_privs set. */
#ifndef PORTOLAN_PRIVDROP_H
#define PORTOLAN_PRIVDROP_H

#include <stdbool.h>
#include <glib.h>

struct privdrop;

/* What a privileged scan gives up. as_root: whether the process runs with
 * euid 0 (geteuid() == 0; a parameter so that tests can ask either way).
 * As root, user is resolved now, groups and all, while the name service's
 * files are still readable: an unknown user is a usage error (exit 2).
 * Otherwise user is not looked up (the process cannot become anyone).
 * Returns the handle (privdrop_free), or NULL with *err set. */
struct privdrop *privdrop_for(const char *user, bool as_root, GError **err);

void privdrop_free(struct privdrop *pd);

/* Whether privdrop_apply changes anything: false for --user root. */
bool privdrop_active(const struct privdrop *pd);

/* Whether the process will change its user (run as root, user not root). */
bool privdrop_switches_user(const struct privdrop *pd);

/* The user the scan runs as after the drop. */
const char *privdrop_user(const struct privdrop *pd);

/* Whether, after the drop, the scan can create path in its directory and
 * rename a new file over it or remove it (as resume files and manifests
 * are written: a temporary file, then rename). what names the file and
 * option names the setting that moves it, for the message. Returns 0, or
 * -1 with a usage error (exit 2) naming the directory and the fix. Checked
 * as the user itself, in a child process, so permissions, groups, ACLs and
 * sticky directories answer exactly as they will. */
int privdrop_check_path(const struct privdrop *pd, const char *what, const char *option,
			const char *path, GError **err);

/* Gives up what pd says, in every thread of the process, and verifies
 * that it cannot be taken back (setuid(0) fails, no capability is left).
 * Call it once the raw sockets and capture are open and before anything is
 * sent. Returns 0, or -1 with a runtime error (exit 3): the scan must not
 * go on. */
int privdrop_apply(const struct privdrop *pd, GError **err);

#endif
