/* ports.h: port specifications ("22,80,443,8000-8100", "-", "ssh,http").
 *
 * A port list is sorted and free of duplicates, so the task generator can
 * address it by index. */
#ifndef PORTOLAN_PORTS_H
#define PORTOLAN_PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

struct port_list {
	uint16_t *ports;     /* sorted ascending, unique, each 1..65535 */
	size_t count;
};

/* The default set, as a spec, used when no ports are given (documented in
 * README and etc/portolan.cfg). */
const char *ports_default_spec(void);

/* Parses a spec into *out (which it initialises). Items are separated by
 * commas: a port, a range "lo-hi" (open ends allowed: "-1024", "60000-"), "-"
 * alone for 1-65535, or a service name from the system services database
 * (tcp). On failure returns -1, leaves *out empty and sets *err to a message
 * naming the bad item, e.g. "invalid port '70000': out of range 1-65535". */
int ports_parse(const char *spec, struct port_list *out, GError **err);

/* Protocols of ports_parse_proto. */
enum { PORTS_ANY = 0, PORTS_TCP = 1, PORTS_UDP = 2 };

/* ports_parse with nmap's protocol prefixes: "T:22,80,U:53,161". A prefix
 * (T: or U:, either case) makes it and the items after it that protocol's,
 * until the next prefix; items before any prefix are every protocol's.
 * Keeps the ports of `want` (PORTS_TCP or PORTS_UDP; service names looked
 * up for it); PORTS_ANY reads no prefix at all (plain ports_parse). *named
 * (may be NULL) gets bit (1 << PORTS_TCP) or (1 << PORTS_UDP) for each
 * protocol a prefix named. The list may come out empty. Any other letter
 * before ':' fails: "'S:' is not a protocol (T: TCP, U: UDP)". */
int ports_parse_proto(const char *spec, int want, struct port_list *out, unsigned *named,
		      GError **err);

/* A compact spec for the list, e.g. "22,80,8000-8100" (g_free). */
char *ports_format(const struct port_list *pl);

/* portolan's ranking of ports, likeliest open first (docs/top-ports.md):
 * the default set, then the other ports the probe files list. Sets *list
 * to the static array and returns its length. */
size_t ports_ranked(const uint16_t **list);

/* A spec of the n highest-ranked ports (--top-ports, -F), 1 <= n <= 65535;
 * past the ranking the list continues in numeric order, so n = 65535 is
 * every port. Returns a compact spec (g_free). */
char *ports_top_spec(unsigned n);

/* The ranking of one protocol (PORTS_TCP: ports_ranked; PORTS_UDP: the UDP
 * ranking of docs/top-ports.md), and the spec of its n highest-ranked
 * ports, as ports_top_spec does for TCP: --top-ports applies per protocol. */
size_t ports_ranked_proto(int proto, const uint16_t **list);
char *ports_top_spec_proto(unsigned n, int proto);

/* Removes the ports of ex from pl (--exclude-ports); pl stays sorted. */
void ports_subtract(struct port_list *pl, const struct port_list *ex);

void ports_free(struct port_list *pl);

/* Whether port is in the list (binary search: the list is sorted). */
bool ports_contains(const struct port_list *pl, uint16_t port);

#endif
