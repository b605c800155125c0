/* nmapopts.c: nmap's spellings rewritten into portolan's, before getopt.
 *
 * The rules work on whole tokens at option positions only: a token that is
 * the argument of a portolan option (-o FILE, --exclude SPEC) or follows
 * "--" is never touched, so a file or host that happens to look like an nmap
 * option keeps its meaning. Where an nmap token could also be read as a
 * group of portolan's short options (-sV, -sn, -oXfile), nmap's reading
 * wins or the token is refused: nothing is guessed silently. */
#include "nmapopts.h"

#include <stdbool.h>
#include <string.h>

#include "errors.h"
#include "textesc.h"

/* nmap's long options that portolan has no equivalent for, with what to
 * use instead. Matched on the name before any '='. */
static const struct {
	const char *name;
	const char *why;
} refused_long[] = {
	{ "script", "NSE scripts are not supported: -s (-sV) identifies services" },
	{ "script-args", "NSE scripts are not supported" },
	{ "script-args-file", "NSE scripts are not supported" },
	{ "script-help", "NSE scripts are not supported" },
	{ "script-trace", "NSE scripts are not supported" },
	{ "script-updatedb", "NSE scripts are not supported" },
	{ "traceroute", "traceroute is not supported" },
	{ "osscan-limit", "OS detection is not supported" },
	{ "osscan-guess", "OS detection is not supported" },
	{ "max-os-tries", "OS detection is not supported" },
	{ "version-intensity", "not supported: -s tries every probe that fits the port "
	  "within --detect-timeout" },
	{ "version-light", "not supported: -s is bounded by --detect-timeout" },
	{ "version-all", "not supported: -s tries every probe that fits the port" },
	{ "version-trace", "not supported: -vv shows detection at work" },
	{ "min-rate", "not supported: the rate follows -t and the timeouts; --max-rate caps it" },
	{ "max-rtt-timeout", "use --max-timeout MS (milliseconds, no unit)" },
	{ "min-rtt-timeout", "use --min-timeout MS (milliseconds, no unit)" },
	{ "initial-rtt-timeout", "use --timeout MS (milliseconds, no unit)" },
	{ "host-timeout", "not supported: --timeout, --retries and --max-timeout bound each port" },
	{ "scan-delay", "use --max-rate N (connect attempts per second)" },
	{ "max-scan-delay", "use --max-rate N (connect attempts per second)" },
	{ "min-parallelism", "use -t N (concurrent connects)" },
	{ "max-parallelism", "use -t N (concurrent connects)" },
	{ "min-hostgroup", "not supported: --target-window N reads a targets file N specs at a time" },
	{ "max-hostgroup", "not supported: --target-window N reads a targets file N specs at a time" },
	{ "port-ratio", "use --top-ports N" },
	{ "randomize-hosts", "not needed: the scan order is a random permutation unless --sequential" },
	{ "source-port", "not supported: the system picks the source port of a connect()" },
	{ "spoof-mac", "not supported: portolan sends through the system's TCP stack" },
	{ "data", "not supported: a connect scan sends no payload" },
	{ "data-string", "not supported: a connect scan sends no payload" },
	{ "data-length", "not supported: a connect scan sends no payload" },
	{ "ttl", "not supported: portolan sends through the system's TCP stack" },
	{ "badsum", "not supported: portolan sends through the system's TCP stack" },
	{ "mtu", "not supported: portolan sends through the system's TCP stack" },
	{ "ip-options", "not supported: portolan sends through the system's TCP stack" },
	{ "proxies", "not supported" },
	{ "privileged", "not needed: a connect scan needs no privileges" },
	{ "unprivileged", "not needed: a connect scan needs no privileges" },
	{ "send-eth", "not supported: portolan sends through the system's TCP stack" },
	{ "send-ip", "not supported: portolan sends through the system's TCP stack" },
	{ "packet-trace", "not supported: -vv shows the scan at work" },
	{ "iflist", "not supported: see ip route" },
	{ "append-output", "not supported: --resume continues an interrupted scan's outputs" },
	{ "stylesheet", "not supported: the XML names nmap's stylesheet" },
	{ "webxml", "not supported" },
	{ "no-stylesheet", "not supported" },
	{ "dns-servers", "not supported: names resolve through the system resolver" },
	{ "system-dns", "not needed: names always resolve through the system resolver" },
	{ "stats-every", "not supported: a progress line shows on a terminal" },
	{ "datadir", "use --probes-dir DIR" },
	{ "servicedb", "not supported: service names come from the system services database" },
	{ "versiondb", "use --probes-dir DIR (portolan-probes(5))" },
	{ "allports", "not needed: -s probes whatever port it finds open" },
	{ "defeat-rst-ratelimit", "not supported" },
	{ "defeat-icmp-ratelimit", "not supported" },
	{ "disable-arp-ping", "use --discovery-probes without arp" },
	{ "discovery-ignore-rst", "not supported: a reset proves a host up" },
};

/* nmap's long options that ask for what portolan always does. */
static const char *const noop_long[] = { "reason" };

static int refuse(GError **err, const char *tok, const char *why)
{
	char shown[TEXT_QUOTE_SIZE];

	g_set_error(err, PL_ERROR, PL_ERROR_USAGE, "nmap's '%s': %s (portolan(1), NMAP SPELLINGS)",
		    text_quote(shown, tok), why);
	return -1;
}

/* Whether the long option tok (after "--", up to '=') takes the next token
 * as its argument. getopt_long also accepts a unique prefix. */
static bool long_takes_next(const char *tok, const struct option *longopts)
{
	const char *eq = strchr(tok, '=');
	size_t len = eq ? (size_t)(eq - tok) : strlen(tok);
	const struct option *hit = NULL;
	int hits = 0;

	if (eq != NULL)
		return false;
	for (const struct option *o = longopts; o->name != NULL; o++) {
		if (strncmp(o->name, tok, len) != 0)
			continue;
		if (o->name[len] == '\0')
			return o->has_arg == required_argument;
		hit = o;
		hits++;
	}
	return hits == 1 && hit->has_arg == required_argument;
}

/* Whether a group of portolan's short options ("-vp", "-t") takes the next
 * token as an argument: its last letter needs one and nothing is attached. */
static bool short_takes_next(const char *tok, const char *shortopts)
{
	for (const char *c = tok + 1; *c != '\0'; c++) {
		const char *at = *c == ':' ? NULL : strchr(shortopts, *c);

		if (at == NULL)
			return false;       /* getopt will refuse it */
		if (at[1] == ':')
			return c[1] == '\0';
	}
	return false;
}

/* --name: 1 rewritten (nothing to add), 0 not nmap's, -1 refused. */
static int long_rule(const char *tok, GError **err)
{
	const char *name = tok + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);

	for (size_t i = 0; i < G_N_ELEMENTS(noop_long); i++)
		if (strlen(noop_long[i]) == len && strncmp(noop_long[i], name, len) == 0)
			return 1;
	for (size_t i = 0; i < G_N_ELEMENTS(refused_long); i++)
		if (strlen(refused_long[i].name) == len &&
		    strncmp(refused_long[i].name, name, len) == 0)
			return refuse(err, tok, refused_long[i].why);
	return 0;
}

/* Why a letter of nmap's -s group is refused. */
static const char *scan_type_why(char c)
{
	switch (c) {
	case 'n':
	case 'P': return "write -sn alone (host discovery only)";
	case 'L': return "list scan is not supported: --dry-run lists the tasks "
			 "(address and port) without sending anything";
	case 'C': return "NSE scripts are not supported: -s (-sV) identifies services";
	case 'R': return "nmap's RPC scan is now -sV: write -sV for service detection "
			 "(or -s -R for detection and reverse DNS)";
	case 'O': return "IP protocol scan is not supported";
	case 'Y':
	case 'Z': return "SCTP scans are not supported";
	default:
		if (g_ascii_isupper(c))
			return "only the connect scan (-sT), the SYN scan (-sS), the UDP scan "
			       "(-sU) and service detection (-sV) are supported";
		return "write nmap's -s letters apart from portolan's options (-sV -v)";
	}
}

/* -s<letters> read as nmap's scan types: -sV, -sT, -sS, -sU, -sTV, -sSV,
 * -sUV, -sSU. *seen collects the scan types of the -s tokens so far (SEEN_*):
 * -sS -sU (or -sSU) scans TCP and UDP in one run, --method=syn,udp, each
 * token restating the whole list so the last one holds all of it. */
enum { SEEN_T = 1u << 0, SEEN_S = 1u << 1, SEEN_U = 1u << 2 };

static int scan_types(const char *tok, GPtrArray *out, unsigned *seen, GError **err)
{
	static const char *const methods[] = {
		[SEEN_T] = "--method=connect", [SEEN_S] = "--method=syn",
		[SEEN_U] = "--method=udp", [SEEN_T | SEEN_U] = "--method=connect,udp",
		[SEEN_S | SEEN_U] = "--method=syn,udp",
	};
	bool version = false;
	unsigned now = 0;

	/* nmap's ping scan, and its older spelling. */
	if (strcmp(tok, "-sn") == 0 || strcmp(tok, "-sP") == 0) {
		g_ptr_array_add(out, g_strdup("--discovery-only"));
		return 1;
	}
	for (const char *c = tok + 2; *c != '\0'; c++) {
		if (*c == 'V')
			version = true;
		else if (*c == 'T')
			now |= SEEN_T;
		else if (*c == 'S')
			now |= SEEN_S;
		else if (*c == 'U')
			now |= SEEN_U;
		else
			return refuse(err, tok, scan_type_why(*c));
	}
	if ((now & (SEEN_T | SEEN_S)) == (SEEN_T | SEEN_S))
		return refuse(err, tok, "one TCP scan type at a time: -sT (connect) or -sS (SYN); "
			      "-sU may go with either");
	if (now != 0) {
		/* A later TCP type replaces an earlier one, as a later
		 * --method does; -sU adds to either. */
		if (now & (SEEN_T | SEEN_S))
			*seen &= ~(SEEN_T | SEEN_S);
		*seen |= now;
		g_ptr_array_add(out, g_strdup(methods[*seen]));
	}
	if (version)
		g_ptr_array_add(out, g_strdup("-s"));
	return 1;
}

/* -P<x>: nmap's discovery probes, each one entry of --discovery-probes
 * (repeated, they add up): -PE, -PP, -PR, -PS[PORTS], -PA[PORTS]. */
static int ping_rule(const char *tok, GPtrArray *out, GError **err)
{
	const char *name = NULL, *ports = tok + 3;

	switch (tok[2]) {
	case 'E': name = "icmp-echo"; break;
	case 'P': name = "icmp-timestamp"; break;
	case 'R': name = "arp"; break;
	case 'S': name = "tcp-syn"; break;
	case 'A': name = "tcp-ack"; break;
	case 'U': return refuse(err, tok, "UDP discovery is not supported");
	case 'Y': return refuse(err, tok, "SCTP discovery is not supported");
	case 'O': return refuse(err, tok, "IP protocol ping is not supported");
	case 'M': return refuse(err, tok, "ICMP netmask ping is not supported");
	default:
		return refuse(err, tok, "the discovery probes are -PE, -PP, -PS, -PA and -PR "
			      "(--discovery-probes)");
	}
	if (*ports != '\0' && tok[2] != 'S' && tok[2] != 'A')
		return refuse(err, tok, "only -PS and -PA take ports");
	if (*ports != '\0' && !g_ascii_isdigit(*ports))
		return refuse(err, tok, "write the ports attached: -PS22,80");
	g_ptr_array_add(out, *ports != '\0' ?
			g_strdup_printf("--discovery-probes=%s:%s", name, ports) :
			g_strdup_printf("--discovery-probes=%s", name));
	return 1;
}

/* -o<X>: nmap's output options. */
static int output_rule(const char *tok, GPtrArray *out, bool *takes_next, GError **err)
{
	char kind = tok[2];

	if (strchr("GSMH", kind) != NULL)
		return refuse(err, tok, "only -oX (XML), -oJ (JSON), -oN (the table) and "
			      "-oA (all of them) are supported");
	if (tok[3] == '\0') {
		g_ptr_array_add(out, g_strdup_printf("--o%c", kind));
		*takes_next = true;
		return 1;
	}
	if (tok[3] == '=') {            /* nmap's getopt_long_only takes -oX=FILE */
		g_ptr_array_add(out, g_strdup_printf("--o%c%s", kind, tok + 3));
		return 1;
	}
	return refuse(err, tok, "ambiguous: nmap's -oX takes its file as the next "
		      "argument (-oX FILE); for an output named like the rest write -o FILE");
}

/* A short token at an option position: 1 rewritten into out, 0 not nmap's
 * (copy it), -1 refused. *takes_next: the next token is the argument of
 * what was written. */
static int short_rule(const char *tok, GPtrArray *out, bool *takes_next, unsigned *seen,
		      GError **err)
{
	char a = tok[1], b = tok[2];

	*takes_next = false;
	if (a == 's' && (g_ascii_isupper(b) || b == 'n'))
		return scan_types(tok, out, seen, err);
	if (a == 'o' && b != '\0' && strchr("XJNAGSMH", b) != NULL)
		return output_rule(tok, out, takes_next, err);
	if (a == 'i' && b == 'L' && tok[3] == '\0') {
		g_ptr_array_add(out, g_strdup("-i"));
		*takes_next = true;
		return 1;
	}
	if (a == 'i' && b == 'L')
		return refuse(err, tok, "ambiguous: nmap's -iL takes its file as the next "
			      "argument (-iL FILE); for a targets file named like the rest write -i FILE");
	if (a == 'i' && b == 'R')
		return refuse(err, tok, "random targets are not supported: name the targets");
	if (strcmp(tok, "-Pn") == 0 || strcmp(tok, "-P0") == 0) {
		g_ptr_array_add(out, g_strdup("--no-discovery"));
		return 1;
	}
	if (a == 'P')
		return ping_rule(tok, out, err);
	if (strcmp(tok, "-F") == 0) {
		g_ptr_array_add(out, g_strdup("--top-ports=100"));
		return 1;
	}
	switch (a) {
	case 'F': return refuse(err, tok, "write -F apart from other options");
	case 'O': return refuse(err, tok, "OS detection is not supported");
	case 'A': return refuse(err, tok, "OS detection, scripts and traceroute are not "
				"supported: -s (-sV) identifies services");
	case 'd': return refuse(err, tok, "use -v, -vv for more messages");
	case 'D': return refuse(err, tok, "decoys are not supported");
	case 'S': return refuse(err, tok, "spoofing the source address is not supported");
	case 'e': return refuse(err, tok, "not supported: the routing table chooses the interface");
	case 'g': return refuse(err, tok, "not supported: the system picks the source port");
	case 'b': return refuse(err, tok, "FTP bounce scan is not supported");
	case 'r': return refuse(err, tok, "not supported: --sequential scans in index order, "
				"hosts interleaved");
	default: return 0;
	}
}

GPtrArray *nmap_translate(int argc, char *const *argv, const char *shortopts,
			  const struct option *longopts, GError **err)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	bool options = true;
	unsigned seen = 0;   /* the scan types the -s tokens named (SEEN_*) */

	if (argc > 0)
		g_ptr_array_add(out, g_strdup(argv[0]));
	for (int i = 1; i < argc; i++) {
		const char *tok = argv[i];
		bool takes_next = false;
		int rc;

		if (!options || tok[0] != '-' || tok[1] == '\0') {
			g_ptr_array_add(out, g_strdup(tok));
			continue;
		}
		if (strcmp(tok, "--") == 0) {
			options = false;
			g_ptr_array_add(out, g_strdup(tok));
			continue;
		}
		if (tok[1] == '-') {
			rc = long_rule(tok, err);
			takes_next = rc == 0 && long_takes_next(tok + 2, longopts);
		} else {
			rc = short_rule(tok, out, &takes_next, &seen, err);
			if (rc == 0)
				takes_next = short_takes_next(tok, shortopts);
		}
		if (rc < 0)
			goto fail;
		if (rc == 0)
			g_ptr_array_add(out, g_strdup(tok));
		if (takes_next && i + 1 < argc)
			g_ptr_array_add(out, g_strdup(argv[++i]));
	}
	g_ptr_array_add(out, NULL);
	return out;
fail:
	g_ptr_array_unref(out);
	return NULL;
}
