/* oshint.c: OS families from SYN-ACK evidence and service banners.
 *
 * Two independent clues, each weak alone:
 *  - the initial TTL. Stacks start from a fixed default (IANA's "Default
 *    IP TTL", 64, used by Linux, the BSDs and macOS; 128 in Windows since
 *    NT 4; 255 in Solaris and in many routers' and switches' own stacks).
 *    It is a per-host setting anyone can change, so alone it says at most
 *    "Unix-like" or "Windows", at a low accuracy.
 *  - the order of the SYN-ACK's options, which is the stack's code and
 *    rarely configured. Linux writes MSS, then SACK-permitted and
 *    timestamps together (or each padded with NOP,NOP), then NOP,WS
 *    (net/ipv4/tcp_output.c's tcp_options_write, documented by its
 *    comments); Windows since Vista and FreeBSD answer MSS,NOP,WS then
 *    SACK-permitted and TS (Windows without TS: MSS,NOP,WS,NOP,NOP,SACK);
 *    macOS MSS,NOP,WS,NOP,NOP,TS,SACK,EOL; OpenBSD
 *    MSS,NOP,NOP,SACK,NOP,WS,NOP,NOP,TS. A bare MSS, or MSS,NOP,WS, is
 *    what many stacks send with options turned off: no clue.
 * Both agreeing make a confident claim; disagreeing, the option order
 * (harder to change) wins at a reduced accuracy and the reason says so.
 * The verdict is coarse on purpose: one SYN-ACK cannot tell versions apart,
 * and a reason the user can check beats a precise-looking guess. */
#include "oshint.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>

enum {
	OS_LINUX = 1u << 0,
	OS_WINDOWS = 1u << 1,
	OS_FREEBSD = 1u << 2,
	OS_MACOS = 1u << 3,
	OS_OPENBSD = 1u << 4,
	OS_DEVICE = 1u << 5,     /* Solaris or a network device */
	OS_UNIX = OS_LINUX | OS_FREEBSD | OS_MACOS | OS_OPENBSD,
};

/* Accuracies: what one clue, both, or a conflict may claim. */
#define ACC_TTL_ONLY 30
#define ACC_DEVICE_TTL 20
#define ACC_OPTIONS_ONLY 60
#define ACC_BOTH 85
#define ACC_CONFLICT 45
#define ACC_BANNER 60
#define ACC_AGREE_BONUS 10
#define ACC_DISAGREE_MALUS 25
#define ACC_MAX 95

/* A family's name by the set it stands for; the sets a clue can give. */
static const struct { unsigned set; const char *name; } family_names[] = {
	{ OS_LINUX, "Linux" },
	{ OS_WINDOWS, "Windows" },
	{ OS_FREEBSD, "FreeBSD" },
	{ OS_MACOS, "macOS" },
	{ OS_OPENBSD, "OpenBSD" },
	{ OS_DEVICE, "Solaris or network device" },
	{ OS_UNIX, "Unix-like" },
	{ OS_WINDOWS | OS_FREEBSD, "Windows or FreeBSD" },
};

static const char *family_name(unsigned set)
{
	for (size_t i = 0; i < G_N_ELEMENTS(family_names); i++)
		if (family_names[i].set == set)
			return family_names[i].name;
	return NULL;
}

/* The families an initial TTL allows (0: none, or no clue). */
static unsigned ttl_set(uint8_t initial)
{
	switch (initial) {
	case 64: return OS_UNIX;
	case 128: return OS_WINDOWS;
	case 255: return OS_DEVICE;
	default: return 0;    /* 32: Windows 9x and odd devices; too rare */
	}
}

/* The families an option order allows (0: no clue). Exact orders only: a
 * stack that pads differently is another stack. */
static unsigned options_set(const char *o)
{
	static const struct { const char *order; unsigned set; } orders[] = {
		{ "MSS,SACK,TS,NOP,WS", OS_LINUX },
		{ "MSS,SACK,TS", OS_LINUX },
		{ "MSS,NOP,NOP,TS,NOP,WS", OS_LINUX },
		{ "MSS,NOP,NOP,SACK,NOP,WS", OS_LINUX },
		{ "MSS,NOP,NOP,TS", OS_LINUX },
		{ "MSS,NOP,WS,SACK,TS", OS_WINDOWS | OS_FREEBSD },
		{ "MSS,NOP,WS,NOP,NOP,SACK", OS_WINDOWS },
		{ "MSS,NOP,WS,NOP,NOP,TS,SACK,EOL", OS_MACOS },
		{ "MSS,NOP,NOP,SACK,NOP,WS,NOP,NOP,TS", OS_OPENBSD },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(orders); i++)
		if (strcmp(o, orders[i].order) == 0)
			return orders[i].set;
	return 0;
}

bool oshint_classify(const struct os_evidence *ev, struct os_guess *g)
{
	unsigned t = ttl_set(ev->initial_ttl), o = options_set(ev->options), both = t & o;
	const char *opts = ev->options[0] != '\0' ? ev->options : "none";

	if (t == 0 && o == 0)
		return false;
	if (o == 0) {
		g->set = t;
		g->family = family_name(t);
		g->accuracy = t == OS_DEVICE ? ACC_DEVICE_TTL : ACC_TTL_ONLY;
		snprintf(g->reason, sizeof g->reason, "TTL %u: %s family (options %s say nothing more)",
			 ev->initial_ttl, g->family, opts);
		return true;
	}
	if (t == 0) {
		g->set = o;
		g->family = family_name(o);
		g->accuracy = ACC_OPTIONS_ONLY;
		snprintf(g->reason, sizeof g->reason, "options %s: %s family (TTL %u says nothing)",
			 opts, g->family, ev->initial_ttl);
		return true;
	}
	if (both != 0 && family_name(both) != NULL) {
		g->set = both;
		g->family = family_name(both);
		g->accuracy = ACC_BOTH;
		snprintf(g->reason, sizeof g->reason, "TTL %u, options %s: %s family",
			 ev->initial_ttl, opts, g->family);
		return true;
	}
	/* A TTL is a setting, an option order is code: the order wins, at
	 * an accuracy that says the evidence disagrees. */
	g->set = o;
	g->family = family_name(o);
	g->accuracy = ACC_CONFLICT;
	snprintf(g->reason, sizeof g->reason,
		 "options %s: %s family, but TTL %u suggests %s (conflicting evidence)", opts,
		 g->family, ev->initial_ttl, family_name(t));
	return true;
}

/* The family a banner's free text names (0: none known). */
static unsigned banner_set(const char *hint)
{
	static const struct { const char *word; unsigned set; } words[] = {
		{ "linux", OS_LINUX }, { "ubuntu", OS_LINUX }, { "debian", OS_LINUX },
		{ "centos", OS_LINUX }, { "red hat", OS_LINUX }, { "fedora", OS_LINUX },
		{ "alpine", OS_LINUX }, { "windows", OS_WINDOWS }, { "win32", OS_WINDOWS },
		{ "win64", OS_WINDOWS }, { "freebsd", OS_FREEBSD }, { "openbsd", OS_OPENBSD },
		{ "macos", OS_MACOS }, { "mac os", OS_MACOS }, { "darwin", OS_MACOS },
		{ "solaris", OS_DEVICE }, { "sunos", OS_DEVICE },
	};
	char *low = g_ascii_strdown(hint, -1);
	unsigned set = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(words) && set == 0; i++)
		if (strstr(low, words[i].word) != NULL)
			set = words[i].set;
	g_free(low);
	return set;
}

static void set_verdict(struct result *r, const char *family, unsigned accuracy, char *reason)
{
	r->os_family = g_strdup(family);
	r->os_accuracy = accuracy > ACC_MAX ? ACC_MAX : accuracy;
	r->os_reason = reason;
}

void oshint_finish(struct result *r)
{
	struct os_guess g;
	bool syn;
	unsigned b;
	const char *bfam;

	if (r->os_family != NULL)
		return;
	syn = r->os_ev != NULL && oshint_classify(r->os_ev, &g);
	if (r->os_hint == NULL || r->os_hint[0] == '\0') {
		if (syn)
			set_verdict(r, g.family, g.accuracy, g_strdup(g.reason));
		return;
	}
	b = banner_set(r->os_hint);
	/* A banner's words are the service's; unknown words stay as given. */
	bfam = b != 0 ? family_name(b) : r->os_hint;
	if (!syn) {
		set_verdict(r, bfam, ACC_BANNER,
			    g_strdup_printf("banner says %s", r->os_hint));
		return;
	}
	if (b != 0 && (b & g.set) != 0) {
		/* The banner names one family, so it is the more precise when
		 * the SYN-ACK allowed several ("Unix-like" and a Linux banner). */
		set_verdict(r, bfam,
			    (g.accuracy > ACC_BANNER ? g.accuracy : ACC_BANNER) + ACC_AGREE_BONUS,
			    g_strdup_printf("%s; banner says %s: they agree", g.reason, r->os_hint));
		return;
	}
	if (b == 0) {
		/* Words we cannot place neither confirm nor contradict. */
		set_verdict(r, g.family, g.accuracy,
			    g_strdup_printf("%s; banner says %s", g.reason, r->os_hint));
		return;
	}
	/* They disagree: the stronger clue, lowered, and both named. */
	if (g.accuracy >= ACC_BANNER)
		set_verdict(r, g.family, g.accuracy - ACC_DISAGREE_MALUS,
			    g_strdup_printf("%s; but banner says %s (conflicting evidence)",
					    g.reason, r->os_hint));
	else
		set_verdict(r, bfam, ACC_BANNER - ACC_DISAGREE_MALUS,
			    g_strdup_printf("banner says %s; but %s (conflicting evidence)",
					    r->os_hint, g.reason));
}
