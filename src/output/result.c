/* result.c: names for states and reasons, the result record's lifetime, and
 * the field table every writer walks.
 *
 * The field names and their order are a public contract: they are the CSV
 * header and the JSON keys that users' spreadsheets and scripts depend on.
 * Add new fields at the end; never rename or reorder. */
#include "result.h"

#include <string.h>

#include <glib.h>

#include "tls_facts.h"

static const char *const state_names[STATE_COUNT] = {
	[STATE_OPEN] = "open",
	[STATE_CLOSED] = "closed",
	[STATE_FILTERED] = "filtered",
	[STATE_ERROR] = "error",
	[STATE_UP] = "up",
	[STATE_DOWN] = "down",
	[STATE_OPEN_FILTERED] = "open|filtered",
};

static const char *const reason_names[REASON_COUNT] = {
	[REASON_SYN_ACK] = "syn-ack",
	[REASON_CONN_REFUSED] = "conn-refused",
	[REASON_NO_RESPONSE] = "no-response",
	[REASON_HOST_UNREACH] = "host-unreach",
	[REASON_NET_UNREACH] = "net-unreach",
	[REASON_ADMIN_PROHIBITED] = "admin-prohibited",
	[REASON_RESET] = "reset",
	[REASON_LOCAL_ERROR] = "local-error",
	[REASON_PROTO_UNREACH] = "proto-unreach",
	[REASON_ECHO_REPLY] = "echo-reply",
	[REASON_TIMESTAMP_REPLY] = "timestamp-reply",
	[REASON_ARP_RESPONSE] = "arp-response",
	[REASON_ND_RESPONSE] = "nd-response",
	[REASON_USER_SET] = "user-set",
	[REASON_UDP_RESPONSE] = "udp-response",
	[REASON_PORT_UNREACH] = "port-unreach",
};

const char *port_state_name(enum port_state s)
{
	/* A corrupt value must still print as something a reader can parse. */
	if ((unsigned)s >= STATE_COUNT)
		return "unknown";
	return state_names[s];
}

const char *reason_name(enum reason r)
{
	if ((unsigned)r >= REASON_COUNT)
		return "unknown";
	return reason_names[r];
}

int port_state_parse(const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = 0; i < STATE_COUNT; i++)
		if (strcmp(name, state_names[i]) == 0)
			return i;
	return -1;
}

bool result_is_host_row(const struct result *r)
{
	return r->state == STATE_UP || r->state == STATE_DOWN;
}

int reason_parse(const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = 0; i < REASON_COUNT; i++)
		if (strcmp(name, reason_names[i]) == 0)
			return i;
	return -1;
}

struct result *result_new(void)
{
	/* GLib allocation like the rest of the pipeline: the workers do not
	 * check for NULL, and an abort with a message beats a crash. */
	return g_new0(struct result, 1);
}

void result_free(struct result *r)
{
	if (r == NULL)
		return;
	g_free(r->ptr);   /* from rdns_cache_lookup(), a g_malloc'd string */
	g_free(r->service);
	g_free(r->product);
	g_free(r->version);
	g_free(r->info);
	g_free(r->os_hint);
	g_free(r->banner);
	g_free(r->os_ev);
	g_free(r->os_family);
	g_free(r->os_reason);
	tls_facts_free(r->tls);
	g_free(r);
}

enum field_id {
	F_IP,
	F_HOST,
	F_PORT,
	F_PROTO,
	F_STATE,
	F_REASON,
	F_LATENCY_MS,
	F_ATTEMPTS,
	F_PTR,
	F_ERROR,
	F_SERVICE,
	F_PRODUCT,
	F_VERSION,
	F_INFO,
	F_OS_HINT,
	F_BANNER,
	/* The OS hint: verdict, then the SYN-ACK's evidence (oshint.h). JSON
	 * nests them as one "os" object (result_field_group). */
	F_OS_FAMILY,
	F_OS_ACCURACY,
	F_OS_REASON,
	F_OS_TTL,
	F_OS_INITIAL_TTL,
	F_OS_WINDOW,
	F_OS_MSS,
	F_OS_OPTIONS,
	F_OS_WSCALE,
	F_OS_DF,
	F_OS_TIMESTAMPS,
	F_COUNT
};

static const char *const field_names[F_COUNT] = {
	[F_IP] = "ip",
	[F_HOST] = "host",
	[F_PORT] = "port",
	[F_PROTO] = "proto",
	[F_STATE] = "state",
	[F_REASON] = "reason",
	[F_LATENCY_MS] = "latency_ms",
	[F_ATTEMPTS] = "attempts",
	[F_PTR] = "ptr",
	[F_ERROR] = "error",
	[F_SERVICE] = "service",
	[F_PRODUCT] = "product",
	[F_VERSION] = "version",
	[F_INFO] = "info",
	[F_OS_HINT] = "os_hint",
	[F_BANNER] = "banner",
	[F_OS_FAMILY] = "os_family",
	[F_OS_ACCURACY] = "os_accuracy",
	[F_OS_REASON] = "os_reason",
	[F_OS_TTL] = "os_ttl",
	[F_OS_INITIAL_TTL] = "os_initial_ttl",
	[F_OS_WINDOW] = "os_window",
	[F_OS_MSS] = "os_mss",
	[F_OS_OPTIONS] = "os_options",
	[F_OS_WSCALE] = "os_wscale",
	[F_OS_DF] = "os_df",
	[F_OS_TIMESTAMPS] = "os_timestamps",
};

size_t result_field_count(void)
{
	return F_COUNT;
}

const char *result_field_name(size_t i)
{
	return i < F_COUNT ? field_names[i] : NULL;
}

const char *result_field_group(size_t i)
{
	return i >= F_OS_FAMILY && i < F_COUNT ? "os" : NULL;
}

static void set_str(struct field_value *v, const char *s)
{
	v->kind = FIELD_STR;
	v->str = s != NULL ? s : "";
	v->len = strlen(v->str);
}

static void set_int(struct field_value *v, int64_t i)
{
	v->kind = FIELD_INT;
	v->i = i;
}

/* The OS fields: none (FIELD_NULL) when there is nothing to say, so that
 * JSON gives "os":null and CSV empty columns. */
static void get_os(const struct result *r, enum field_id i, struct field_value *v)
{
	const struct os_evidence *ev = r->os_ev;

	v->kind = FIELD_NULL;
	if (i <= F_OS_REASON) {
		if (r->os_family == NULL)
			return;
		if (i == F_OS_FAMILY)
			set_str(v, r->os_family);
		else if (i == F_OS_ACCURACY)
			set_int(v, r->os_accuracy);
		else
			set_str(v, r->os_reason);
		return;
	}
	if (ev == NULL)
		return;
	switch (i) {
	case F_OS_TTL: set_int(v, ev->ttl); break;
	case F_OS_INITIAL_TTL: set_int(v, ev->initial_ttl); break;
	case F_OS_WINDOW: set_int(v, ev->window); break;
	case F_OS_MSS: if (ev->has_mss) set_int(v, ev->mss); break;
	case F_OS_OPTIONS: set_str(v, ev->options); break;
	case F_OS_WSCALE: if (ev->has_wscale) set_int(v, ev->wscale); break;
	case F_OS_DF: if (ev->df >= 0) set_int(v, ev->df); break;
	case F_OS_TIMESTAMPS: set_int(v, ev->timestamps); break;
	default: break;
	}
}

void result_field_get(const struct result *r, size_t i, struct field_value *v,
		      char *scratch, size_t scratch_len)
{
	memset(v, 0, sizeof *v);
	if (i >= F_OS_FAMILY && i < F_COUNT) {
		get_os(r, (enum field_id)i, v);
		return;
	}
	switch ((enum field_id)i) {
	case F_IP:
		if (scratch_len == 0) {
			set_str(v, "");
			break;
		}
		pl_addr_format(&r->addr, scratch, scratch_len);
		scratch[scratch_len - 1] = '\0';
		set_str(v, scratch);
		break;
	case F_HOST:
		set_str(v, r->host);
		break;
	case F_PORT:
		/* A host row has no port: empty in CSV, null in JSON. */
		if (!result_is_host_row(r))
			set_int(v, r->port);
		else
			v->kind = FIELD_NULL;
		break;
	case F_PROTO:
		if (!result_is_host_row(r))
			set_str(v, r->proto == PROTO_UDP ? "udp" : "tcp");
		else
			v->kind = FIELD_NULL;
		break;
	case F_STATE:
		set_str(v, port_state_name(r->state));
		break;
	case F_REASON:
		set_str(v, reason_name(r->reason));
		break;
	case F_LATENCY_MS:
		v->kind = FIELD_REAL;
		v->d = r->latency_ms;
		break;
	case F_ATTEMPTS:
		set_int(v, r->attempts);
		break;
	case F_PTR:
		set_str(v, r->ptr);
		break;
	case F_SERVICE:
		set_str(v, r->service);
		break;
	case F_PRODUCT:
		set_str(v, r->product);
		break;
	case F_VERSION:
		set_str(v, r->version);
		break;
	case F_INFO:
		set_str(v, r->info);
		break;
	case F_OS_HINT:
		set_str(v, r->os_hint);
		break;
	case F_BANNER:
		set_str(v, r->banner);
		break;
	case F_ERROR:
		/* strerror() is fine here: only the results thread formats
		 * results. An error state without an errno still says so.
		 * An open port with an errno: a SYN scan's port whose detection
		 * connect failed (enrich.c), so its service is empty. Any other
		 * state's errno is not reported. */
		if (r->state == STATE_OPEN && r->err != 0)
			set_str(v, strerror(r->err));
		else if (r->state != STATE_ERROR)
			set_str(v, "");
		else if (r->err != 0)
			set_str(v, strerror(r->err));
		else
			set_str(v, "unknown error");
		break;
	default:
		set_str(v, "");
		break;
	}
}

static void get_result(const void *rec, size_t i, struct field_value *v, char *scratch,
		       size_t scratch_len)
{
	result_field_get(rec, i, v, scratch, scratch_len);
}

const struct field_set result_fields = {
	.count = result_field_count, .name = result_field_name, .get = get_result,
	.group = result_field_group,
};
