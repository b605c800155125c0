/* nmapopts.h: nmap's spellings of portolan's options.
 *
 * People come to portolan from nmap and type its options. Left to getopt,
 * several would be misread without a word: -sV is -s and -V (print the
 * version and exit), -oX FILE an output named "X" and a target named FILE,
 * -iL FILE a targets file named "L". nmap_translate() rewrites nmap's
 * spellings into portolan's before getopt sees them, and refuses the nmap
 * options portolan has no equivalent for, with one line naming what to use
 * instead. portolan(1), NMAP SPELLINGS, lists both. */
#ifndef PORTOLAN_NMAPOPTS_H
#define PORTOLAN_NMAPOPTS_H

#include <getopt.h>
#include <glib.h>

/* Returns a new argument vector (argv[0] first, NULL-terminated, so len is
 * the count plus one; strings owned by the array) in which nmap's spellings
 * are portolan's, or NULL with *err set for an nmap option portolan does not
 * have. shortopts and longopts are getopt's tables for portolan's options:
 * they tell which tokens are option arguments, never rewritten. Tokens after
 * "--" are left alone. */
GPtrArray *nmap_translate(int argc, char *const *argv, const char *shortopts,
			  const struct option *longopts, GError **err);

#endif
