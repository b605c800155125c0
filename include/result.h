/* result.h: the record that flows from the workers to the writers.
 *
 * This is the contract between scanning and output. A worker fills a result and
 * hands it to the results thread, which owns it from then on: it passes it to
 * every writer and frees it with result_free(). Writers never keep a pointer to
 * a result after write returns.
 *
 * Data writers (CSV, JSON) do not read the struct directly: they walk the field
 * table below, so adding a column is one line in result.c and every format
 * follows. Only the terminal table, a fixed human view, picks fields itself.
 * result_free() frees `ptr` (g_free); `host` is borrowed and never freed. */
#ifndef PORTOLAN_RESULT_H
#define PORTOLAN_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct tls_facts;

enum port_state {
	STATE_OPEN,
	STATE_CLOSED,
	STATE_FILTERED,
	STATE_ERROR,
	/* Host rows (host discovery, discovery.h): a result with port 0 that
	 * says whether its host is up, and why. --states "all" does not take
	 * them in: a user names up or down. */
	STATE_UP,
	STATE_DOWN,
	/* UDP (udp.c): no answer after the retries. UDP has no handshake, so
	 * silence may be a listener that ignores the probe or a filter that
	 * drops it; nmap's word for it, "open|filtered". A port state. */
	STATE_OPEN_FILTERED,
	STATE_COUNT
};

/* Why a port got its state: what the network (or the local stack) said. */
enum reason {
	REASON_SYN_ACK,          /* open: the handshake completed */
	REASON_CONN_REFUSED,     /* closed: RST in answer to the SYN */
	REASON_NO_RESPONSE,      /* filtered: nothing came back before the timeout */
	REASON_HOST_UNREACH,     /* filtered: ICMP host unreachable */
	REASON_NET_UNREACH,      /* filtered: ICMP network unreachable or no route */
	REASON_ADMIN_PROHIBITED, /* filtered: ICMP administratively prohibited, or a local firewall */
	REASON_RESET,            /* closed: connection reset during the handshake */
	REASON_LOCAL_ERROR,      /* error: the local system could not send the probe */
	REASON_PROTO_UNREACH,    /* filtered: ICMP protocol unreachable (a REJECT rule) */
	/* Host discovery's reasons (a host row's; nmap's words). A live host
	 * may also be up by REASON_SYN_ACK, REASON_CONN_REFUSED or
	 * REASON_RESET; a down one is REASON_NO_RESPONSE. */
	REASON_ECHO_REPLY,       /* up: ICMP or ICMPv6 echo reply */
	REASON_TIMESTAMP_REPLY,  /* up: ICMP timestamp reply */
	REASON_ARP_RESPONSE,     /* up: ARP reply on a local link */
	REASON_ND_RESPONSE,      /* up: IPv6 neighbour advertisement on a local link */
	REASON_USER_SET,         /* up: -Pn, not asked */
	/* UDP's (udp.c). Its silence is REASON_NO_RESPONSE (open|filtered);
	 * other ICMP unreachables are the filtered reasons above. */
	REASON_UDP_RESPONSE,     /* open: a UDP datagram came back from the probed address and port */
	REASON_PORT_UNREACH,     /* closed: ICMP (or ICMPv6) port unreachable */
	REASON_COUNT
};

/* The transport a result's port belongs to: its "proto" field. Zero (a
 * zeroed result) is TCP, so every TCP method is right without a word. */
enum pl_proto {
	PROTO_TCP,
	PROTO_UDP,
};

/* What a SYN-ACK says about the stack that sent it (packet.c reads it,
 * oshint.c judges it). TCP options carry at most 40 bytes, so at most 40
 * kinds, each at most 3 digits and a comma: the order string never truncates. */
#define OS_OPTIONS_LEN 161
struct os_evidence {
	uint8_t ttl;             /* as received (IPv6: the hop limit) */
	uint8_t initial_ttl;     /* ttl rounded up to 32, 64, 128 or 255 */
	uint16_t window;
	uint16_t mss;            /* valid when has_mss */
	uint8_t wscale;          /* valid when has_wscale */
	bool has_mss, has_wscale;
	bool timestamps;         /* a TS option was present */
	int8_t df;               /* IPv4 Don't Fragment: 1 or 0; -1 for IPv6 */
	char options[OS_OPTIONS_LEN];  /* kinds in order: "MSS,SACK,TS,NOP,WS" */
};

struct result {
	uint64_t index;          /* task index: which host and port */
	uint64_t seq;            /* position in the scan order, for resume */
	struct pl_addr addr;
	const char *host;        /* name the user gave, or NULL; borrowed, lives as long as the scan */
	uint16_t port;
	enum port_state state;
	enum reason reason;
	double latency_ms;       /* time of the deciding attempt */
	unsigned attempts;       /* connect() calls made, retries included */
	int err;                 /* errno behind STATE_ERROR; for an open port, why its
				    detection could not connect (enrich.h); else 0 */
	char *ptr;               /* reverse DNS name (owned, g_malloc'd), or NULL */
	/* Service detection (owned, g_free; NULL when not detected). */
	char *service;
	char *product;
	char *version;
	char *info;
	char *os_hint;
	char *banner;            /* first reply bytes, escaped (text_banner) */
	/* OS hints (oshint.h). os_ev: the SYN-ACK's evidence (owned, g_free),
	 * NULL without one. os_family/os_reason (owned, g_free) and
	 * os_accuracy (0-100) are the verdict the results thread gives from
	 * os_ev and os_hint; NULL when there is nothing to say. */
	struct os_evidence *os_ev;
	char *os_family;
	char *os_reason;
	unsigned os_accuracy;
	enum pl_proto proto;     /* PROTO_TCP unless a UDP method says so */
	/* What TLS said (tls_facts.h): owned, freed by result_free; NULL when
	 * detection found no TLS on the port (or did not run). */
	struct tls_facts *tls;
	struct result *next;     /* the next of a chain on the results queue */
};

/* Whether s is a port's state rather than a host row's (up, down). */
static inline bool port_state_is_port(enum port_state s)
{
	return s != STATE_UP && s != STATE_DOWN && s < STATE_COUNT;
}

const char *port_state_name(enum port_state s);
const char *reason_name(enum reason r);
/* Parses a state's name ("open", "open|filtered", ...); returns -1 when unknown. */
int port_state_parse(const char *name);
/* Parses a reason's name as reason_name gives it; -1 when unknown. */
int reason_parse(const char *name);

/* Is r a host row (state up or down: a host's discovery verdict, port 0)
 * rather than a port's result? */
bool result_is_host_row(const struct result *r);

/* A zeroed result (g_new0: never NULL). result_free() frees ptr and r. */
struct result *result_new(void);
void result_free(struct result *r);

/* The neutral field set every writer walks. FIELD_NULL: no value (empty in
 * CSV, null in JSON); results never have one, other records may. */
enum field_kind { FIELD_STR, FIELD_INT, FIELD_REAL, FIELD_NULL };

struct field_value {
	enum field_kind kind;
	const char *str;         /* FIELD_STR: bytes (not necessarily UTF-8), may be NULL for empty */
	size_t len;              /* FIELD_STR: length in bytes (strings may hold NUL) */
	int64_t i;               /* FIELD_INT */
	double d;                /* FIELD_REAL */
};

/* The scratch a writer lends result_field_get: room for an address, a
 * date, or a joined list (TLS SANs, cut at a whole item beyond it). */
#define RESULT_SCRATCH_LEN 4096

size_t result_field_count(void);
const char *result_field_name(size_t i);
/* Fills *v for field i of r. String values point into r or into static storage
 * (or into scratch, RESULT_SCRATCH_LEN bytes) and are valid until r or
 * scratch changes. */
void result_field_get(const struct result *r, size_t i, struct field_value *v,
		      char *scratch, size_t scratch_len);
/* The group field i belongs to ("os"), or NULL. A group's fields are
 * consecutive and named "<group>_<key>": CSV keeps them flat, JSON nests
 * them as one object of <key>s, null when every one of them is null. */
const char *result_field_group(size_t i);

/* A set of fields the data writers walk, for results (result_fields) and
 * for other records (writer.h's record_kind) alike. get fills *v for field
 * i of rec, as result_field_get does. */
struct field_set {
	size_t (*count)(void);
	const char *(*name)(size_t i);
	void (*get)(const void *rec, size_t i, struct field_value *v, char *scratch,
		    size_t scratch_len);
	const char *(*group)(size_t i);   /* NULL: no field is grouped */
};

extern const struct field_set result_fields;

#endif
