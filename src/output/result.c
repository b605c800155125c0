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
	/* What TLS said (tls_facts.h). JSON nests them as one "tls" object. */
	F_TLS_VERSION,
	F_TLS_CIPHER,
	F_TLS_STARTTLS,
	F_TLS_SNI,
	F_TLS_SUBJECT,
	F_TLS_SUBJECT_CN,
	F_TLS_ISSUER,
	F_TLS_ISSUER_CN,
	F_TLS_SANS,
	F_TLS_NOT_BEFORE,
	F_TLS_NOT_AFTER,
	F_TLS_DAYS_LEFT,
	F_TLS_SELF_SIGNED,
	F_TLS_KEY_TYPE,
	F_TLS_KEY_BITS,
	F_TLS_KEY_CURVE,
	F_TLS_SIG_ALG,
	F_TLS_SHA256,
	F_TLS_SHA1,
	F_TLS_VERIFY,
	F_TLS_VERSIONS,
	F_TLS_CIPHER_V1_0,
	F_TLS_CIPHER_V1_1,
	F_TLS_CIPHER_V1_2,
	F_TLS_CIPHER_V1_3,
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
	[F_TLS_VERSION] = "tls_version",
	[F_TLS_CIPHER] = "tls_cipher",
	[F_TLS_STARTTLS] = "tls_starttls",
	[F_TLS_SNI] = "tls_sni",
	[F_TLS_SUBJECT] = "tls_subject",
	[F_TLS_SUBJECT_CN] = "tls_subject_cn",
	[F_TLS_ISSUER] = "tls_issuer",
	[F_TLS_ISSUER_CN] = "tls_issuer_cn",
	[F_TLS_SANS] = "tls_sans",
	[F_TLS_NOT_BEFORE] = "tls_not_before",
	[F_TLS_NOT_AFTER] = "tls_not_after",
	[F_TLS_DAYS_LEFT] = "tls_days_left",
	[F_TLS_SELF_SIGNED] = "tls_self_signed",
	[F_TLS_KEY_TYPE] = "tls_key_type",
	[F_TLS_KEY_BITS] = "tls_key_bits",
	[F_TLS_KEY_CURVE] = "tls_key_curve",
	[F_TLS_SIG_ALG] = "tls_sig_alg",
	[F_TLS_SHA256] = "tls_sha256",
	[F_TLS_SHA1] = "tls_sha1",
	[F_TLS_VERIFY] = "tls_verify",
	[F_TLS_VERSIONS] = "tls_versions",
	[F_TLS_CIPHER_V1_0] = "tls_cipher_v1_0",
	[F_TLS_CIPHER_V1_1] = "tls_cipher_v1_1",
	[F_TLS_CIPHER_V1_2] = "tls_cipher_v1_2",
	[F_TLS_CIPHER_V1_3] = "tls_cipher_v1_3",
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
	if (i >= F_TLS_VERSION && i < F_COUNT)
		return "tls";
	return i >= F_OS_FAMILY && i < F_TLS_VERSION ? "os" : NULL;
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

static void set_opt_str(struct field_value *v, const char *s)
{
	if (s != NULL)
		set_str(v, s);
}

/* Seconds since the epoch as ISO 8601 UTC ("2027-01-31T12:00:00Z"), the
 * form nmap's ssl-cert gives and spreadsheets read. */
static void set_time(struct field_value *v, int64_t t, char *scratch, size_t scratch_len)
{
	GDateTime *dt = g_date_time_new_from_unix_utc(t);
	char *text;

	if (dt == NULL || scratch_len == 0)
		goto out;
	text = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
	if (text != NULL) {
		g_strlcpy(scratch, text, scratch_len);
		set_str(v, scratch);
	}
	g_free(text);
out:
	if (dt != NULL)
		g_date_time_unref(dt);
}

/* Joins into scratch; a list too long for it is cut at a whole item, so
 * what is shown is never a broken name. */
static void set_joined(struct field_value *v, char *const *items, const char *sep,
		       char *scratch, size_t scratch_len)
{
	size_t used = 0, seplen = strlen(sep);

	if (scratch_len == 0)
		return;
	scratch[0] = '\0';
	for (size_t k = 0; items != NULL && items[k] != NULL; k++) {
		size_t need = strlen(items[k]) + (used > 0 ? seplen : 0);

		if (used + need >= scratch_len)
			break;
		if (used > 0) {
			memcpy(scratch + used, sep, seplen);
			used += seplen;
		}
		memcpy(scratch + used, items[k], strlen(items[k]));
		used += strlen(items[k]);
		scratch[used] = '\0';
	}
	set_str(v, scratch);
}

/* The TLS fields: none (FIELD_NULL) when the port spoke no TLS, so JSON
 * gives "tls":null; certificate fields are null too when no certificate
 * came. scratch holds a joined list or a date. */
static void get_tls(const struct result *r, enum field_id i, struct field_value *v,
		    char *scratch, size_t scratch_len)
{
	const struct tls_facts *t = r->tls;
	char *accepted[TLS_VERSION_COUNT + 1];
	size_t n = 0;

	v->kind = FIELD_NULL;
	if (t == NULL)
		return;
	switch (i) {
	case F_TLS_VERSION: set_opt_str(v, t->version); return;
	case F_TLS_CIPHER: set_opt_str(v, t->cipher); return;
	case F_TLS_STARTTLS: set_opt_str(v, t->starttls); return;
	case F_TLS_SNI: set_opt_str(v, t->sni); return;
	case F_TLS_VERIFY: set_opt_str(v, t->verify); return;
	case F_TLS_VERSIONS:
		if (!t->versions_tested)
			return;
		for (int k = 0; k < TLS_VERSION_COUNT; k++)
			if (t->accepted & (1u << k))
				accepted[n++] = (char *)tls_version_name((enum tls_version)k);
		accepted[n] = NULL;
		set_joined(v, accepted, " ", scratch, scratch_len);
		return;
	case F_TLS_CIPHER_V1_0:
	case F_TLS_CIPHER_V1_1:
	case F_TLS_CIPHER_V1_2:
	case F_TLS_CIPHER_V1_3:
		set_opt_str(v, t->version_cipher[i - F_TLS_CIPHER_V1_0]);
		return;
	default:
		break;
	}
	if (!t->have_cert)
		return;
	switch (i) {
	case F_TLS_SUBJECT: set_opt_str(v, t->subject); break;
	case F_TLS_SUBJECT_CN: set_opt_str(v, t->subject_cn); break;
	case F_TLS_ISSUER: set_opt_str(v, t->issuer); break;
	case F_TLS_ISSUER_CN: set_opt_str(v, t->issuer_cn); break;
	case F_TLS_SANS: set_joined(v, t->sans, ", ", scratch, scratch_len); break;
	case F_TLS_NOT_BEFORE: set_time(v, t->not_before, scratch, scratch_len); break;
	case F_TLS_NOT_AFTER: set_time(v, t->not_after, scratch, scratch_len); break;
	case F_TLS_DAYS_LEFT: set_int(v, t->days_left); break;
	case F_TLS_SELF_SIGNED: set_int(v, t->self_signed); break;
	case F_TLS_KEY_TYPE: set_opt_str(v, t->key_type); break;
	case F_TLS_KEY_BITS: set_int(v, t->key_bits); break;
	case F_TLS_KEY_CURVE: set_opt_str(v, t->key_curve); break;
	case F_TLS_SIG_ALG: set_opt_str(v, t->sig_alg); break;
	case F_TLS_SHA256: set_opt_str(v, t->sha256); break;
	case F_TLS_SHA1: set_opt_str(v, t->sha1); break;
	default: break;
	}
}

void result_field_get(const struct result *r, size_t i, struct field_value *v,
		      char *scratch, size_t scratch_len)
{
	memset(v, 0, sizeof *v);
	if (i >= F_TLS_VERSION && i < F_COUNT) {
		get_tls(r, (enum field_id)i, v, scratch, scratch_len);
		return;
	}
	if (i >= F_OS_FAMILY && i < F_TLS_VERSION) {
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
