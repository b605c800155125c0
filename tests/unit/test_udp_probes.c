/* test_udp_probes.c: the UDP payloads of probes/ and the reply matcher.
 *
 * The payloads are data (probes/80-udp.yaml); here each is read back and
 * checked against its protocol, field by field, as the RFC lays it out. The
 * replies are built here, byte by byte, as the daemons send them (BIND's
 * version.bind TXT, ntpd's and NTPsec's readvar, Net-SNMP's sysDescr and
 * engine id, memcached's stats, Asterisk's OPTIONS answer, coturn's STUN
 * SOFTWARE, NetBIOS NBSTAT, TFTP, portmapper, QUIC version negotiation),
 * and udp_match_reply must name the service, product and version. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <glib.h>

#include "probe_db.h"
#include "result.h"
#include "udpmatch.h"

#ifndef PROBES_DIR
#define PROBES_DIR "probes"
#endif

static struct probe_db *db;

static int load(void **state)
{
	GError *err = NULL;

	db = probe_db_load_dir(PROBES_DIR, &err);
	if (db == NULL) {
		fprintf(stderr, "cannot load %s: %s\n", PROBES_DIR, err->message);
		g_error_free(err);
		return -1;
	}
	return 0;
}

static int unload(void **state)
{
	probe_db_free(db);
	db = NULL;
	return 0;
}

static const struct probe *find(const char *name)
{
	for (size_t i = 0; i < probe_db_count(db); i++)
		if (strcmp(probe_name(probe_db_get(db, i)), name) == 0)
			return probe_db_get(db, i);
	fail_msg("no probe %s", name);
	return NULL;
}

static const uint8_t *payload(const char *name, size_t *len)
{
	return probe_payload(find(name), len);
}

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_every_udp_probe(void **state)
{
	static const uint16_t want_ports[] = { 53, 5353, 123, 161, 137, 1900, 500, 69, 111,
					       11211, 5060, 3478, 1812, 443 };
	size_t udp = 0;

	for (size_t i = 0; i < probe_db_count(db); i++) {
		const struct probe *p = probe_db_get(db, i);
		size_t len;

		/* Only TFTP answers from a port of its own (RFC 1350 4). */
		assert_int_equal(probe_reply_any_port(p), strcmp(probe_name(p), "udp-tftp-rrq") == 0);
		if (!probe_is_udp(p))
			continue;
		udp++;
		assert_non_null(probe_payload(p, &len));
		assert_true(len > 0 && len <= 1200);
	}
	assert_true(udp >= 19);
	for (size_t i = 0; i < G_N_ELEMENTS(want_ports); i++) {
		const struct probe *list[UDP_PROBES_MAX];

		if (probe_db_udp(db, want_ports[i], list, UDP_PROBES_MAX) == 0)
			fail_msg("no UDP payload for port %u", want_ports[i]);
	}
	/* TCP detection never sends them. */
	{
		const struct probe *list[256];
		size_t n = probe_db_order(db, 53, NULL, list, 256);

		for (size_t i = 0; i < n; i++)
			assert_false(probe_is_udp(list[i]));
	}
}

/* A DNS question section: the name's labels, then type and class. */
static void check_dns(const char *probe, const char *id, unsigned flags, const char *name,
		      unsigned qtype, unsigned qclass)
{
	size_t len, at = 12;
	const uint8_t *p = payload(probe, &len);
	GString *got = g_string_new(NULL);

	assert_true(len > 12);
	assert_memory_equal(p, id, 2);
	assert_int_equal(be16(p + 2), flags);
	assert_int_equal(be16(p + 4), 1);                 /* QDCOUNT */
	assert_int_equal(be16(p + 6) | be16(p + 8) | be16(p + 10), 0);
	while (at < len && p[at] != 0) {
		g_string_append_len(got, (const char *)p + at + 1, p[at]);
		g_string_append_c(got, '.');
		at += 1u + p[at];
	}
	assert_string_equal(got->str, name);
	assert_int_equal(len, at + 5);
	assert_int_equal(be16(p + at + 1), qtype);
	assert_int_equal(be16(p + at + 3), qclass);
	g_string_free(got, TRUE);
}

static void test_dns_payloads(void **state)
{
	check_dns("udp-dns-version-bind", "PT", 0x0000, "version.bind.", 16, 3);
	check_dns("udp-dns-query", "PU", 0x0100, "", 2, 1);
	check_dns("udp-mdns-services", "\0\0", 0x0000, "_services._dns-sd._udp.local.", 12, 1);
}

/* One BER TLV (X.690 8.1) at p: its tag, and its body and length. */
static const uint8_t *tlv(const uint8_t *p, const uint8_t *end, uint8_t tag, size_t *blen)
{
	size_t n;

	assert_true(p + 2 <= end);
	assert_int_equal(p[0], tag);
	n = p[1];
	p += 2;
	if (n == 0x81) {
		n = *p++;
	}
	assert_true(p + n <= end);
	*blen = n;
	return p;
}

static void check_snmp(const char *probe, unsigned version)
{
	static const uint8_t sysdescr[] = { 0x2b, 6, 1, 2, 1, 1, 1, 0 };
	size_t len, n, k;
	const uint8_t *p = payload(probe, &len), *end = p + len, *b, *pdu, *vb;

	b = tlv(p, end, 0x30, &n);
	assert_ptr_equal(b + n, end);                    /* the message is all of it */
	b = tlv(b, end, 0x02, &k);
	assert_int_equal(k, 1);
	assert_int_equal(b[0], version);
	b = tlv(b + k, end, 0x04, &k);
	assert_int_equal(k, 6);
	assert_memory_equal(b, "public", 6);
	pdu = tlv(b + k, end, 0xa0, &n);                 /* GetRequest-PDU */
	b = tlv(pdu, end, 0x02, &k);                     /* request-id */
	b = tlv(b + k, end, 0x02, &k);                   /* error-status 0 */
	assert_int_equal(b[0], 0);
	b = tlv(b + k, end, 0x02, &k);                   /* error-index 0 */
	vb = tlv(b + k, end, 0x30, &n);                  /* VarBindList */
	b = tlv(vb, end, 0x30, &n);                      /* one VarBind */
	b = tlv(b, end, 0x06, &k);
	assert_int_equal(k, sizeof(sysdescr));
	assert_memory_equal(b, sysdescr, sizeof(sysdescr));
	assert_int_equal(b[k], 0x05);                    /* NULL */
	assert_int_equal(b[k + 1], 0);
	assert_ptr_equal(b + k + 2, end);
}

static void test_snmp_payloads(void **state)
{
	size_t len, n, k;
	const uint8_t *p, *end, *b;

	check_snmp("udp-snmp-v1-sysdescr", 0);
	check_snmp("udp-snmp-v2c-sysdescr", 1);
	/* v3: version 3, msgGlobalData with the reportable flag and USM. */
	p = payload("udp-snmp-v3-discovery", &len);
	end = p + len;
	b = tlv(p, end, 0x30, &n);
	assert_ptr_equal(b + n, end);
	b = tlv(b, end, 0x02, &k);
	assert_int_equal(b[0], 3);
	b = tlv(b + k, end, 0x30, &n);                   /* msgGlobalData */
	b = tlv(b, end, 0x02, &k);                       /* msgID */
	b = tlv(b + k, end, 0x02, &k);                   /* msgMaxSize */
	b = tlv(b + k, end, 0x04, &k);                   /* msgFlags */
	assert_int_equal(k, 1);
	assert_int_equal(b[0], 0x04);                    /* reportable, no auth, no priv */
	b = tlv(b + k, end, 0x02, &k);                   /* msgSecurityModel */
	assert_int_equal(b[0], 3);                       /* USM */
}

static void test_other_payloads(void **state)
{
	size_t len;
	const uint8_t *p;

	p = payload("udp-ntp-client", &len);
	assert_int_equal(len, 48);
	assert_int_equal(p[0], 0x23);                    /* LI 0, VN 4, mode 3 */
	p = payload("udp-ntp-readvar", &len);
	assert_int_equal(len, 20);
	assert_int_equal(p[0] & 7, 6);                   /* mode 6 */
	assert_int_equal(p[1], 2);                       /* READVAR, a request */
	assert_int_equal(be16(p + 10), 7);               /* count: the variable list */
	assert_memory_equal(p + 12, "version\0", 8);
	p = payload("udp-netbios-nbstat", &len);
	assert_int_equal(len, 50);
	assert_int_equal(p[12], 32);
	assert_memory_equal(p + 13, "CK", 2);            /* '*' first-level encoded */
	assert_int_equal(be16(p + 46), 0x21);            /* NBSTAT */
	p = payload("udp-ike-main-mode", &len);
	assert_memory_equal(p, "PORTOLAN", 8);
	assert_int_equal(p[16], 1);                      /* next payload: SA */
	assert_int_equal(p[17], 0x10);                   /* version 1.0 */
	assert_int_equal(p[18], 2);                      /* identity protection */
	assert_int_equal(be32(p + 24), len);
	assert_int_equal(be16(p + 30), len - 28);        /* the SA payload is the rest */
	p = payload("udp-tftp-rrq", &len);
	assert_int_equal(be16(p), 1);                    /* RRQ */
	assert_int_equal(p[len - 1], 0);
	assert_memory_equal(p + len - 6, "octet", 5);
	p = payload("udp-rpc-portmap-dump", &len);
	assert_int_equal(len, 40);
	assert_int_equal(be32(p + 4), 0);                /* CALL */
	assert_int_equal(be32(p + 8), 2);                /* RPC version 2 */
	assert_int_equal(be32(p + 12), 100000);          /* portmapper */
	assert_int_equal(be32(p + 20), 4);               /* DUMP */
	p = payload("udp-memcached-stats", &len);
	assert_int_equal(be16(p + 4), 1);                /* one datagram */
	assert_memory_equal(p + 8, "stats\r\n", 7);
	p = payload("udp-stun-binding", &len);
	assert_int_equal(len, 20);
	assert_int_equal(be16(p), 1);
	assert_int_equal(be32(p + 4), 0x2112a442);
	p = payload("udp-radius-access-request", &len);
	assert_int_equal(p[0], 1);
	assert_int_equal(be16(p + 2), len);
	p = payload("udp-quic-version-negotiation", &len);
	assert_int_equal(len, 1200);
	assert_true(p[0] & 0x80);
	assert_int_equal(be32(p + 1) & 0x0f0f0f0f, 0x0a0a0a0a);
	p = payload("udp-sip-options", &len);
	assert_memory_equal(p, "OPTIONS sip:", 12);
	assert_memory_equal(p + len - 4, "\r\n\r\n", 4);
	p = payload("udp-ssdp-msearch", &len);
	assert_memory_equal(p, "M-SEARCH * HTTP/1.1\r\n", 21);
}

/* Matches reply at port, as the probe named sent it. */
static struct result *match(const char *sent, uint16_t port, const void *reply, size_t len)
{
	struct result *r = result_new();

	r->port = port;
	(void)udp_match_reply(db, port, sent != NULL ? find(sent) : NULL, reply, len, r);
	return r;
}

static void expect(struct result *r, const char *service, const char *product,
		   const char *version)
{
	if (g_strcmp0(r->service, service) != 0 || g_strcmp0(r->product, product) != 0 ||
	    g_strcmp0(r->version, version) != 0)
		fail_msg("got %s/%s/%s, want %s/%s/%s", r->service, r->product, r->version,
			 service, product, version);
	result_free(r);
}

/* A DNS answer to version.bind: the question echoed, one TXT in CHAOS. */
static size_t version_bind_reply(uint8_t *out, const char *text)
{
	size_t len, n = strlen(text);
	const uint8_t *q = payload("udp-dns-version-bind", &len);

	memcpy(out, q, len);
	out[2] = 0x84;                                   /* QR, AA */
	out[7] = 1;                                      /* ANCOUNT */
	memcpy(out + len, "\xc0\x0c\x00\x10\x00\x03\x00\x00\x00\x00", 10);
	out[len + 10] = 0;
	out[len + 11] = (uint8_t)(n + 1);
	out[len + 12] = (uint8_t)n;
	memcpy(out + len + 13, text, n);
	return len + 13 + n;
}

static size_t tlv_put(uint8_t *out, uint8_t tag, const void *body, size_t n)
{
	out[0] = tag;
	out[1] = (uint8_t)n;
	memmove(out + 2, body, n);
	return n + 2;
}

static void test_replies(void **state)
{
	uint8_t b[512], v[512];
	size_t n, k;

	n = version_bind_reply(b, "9.18.28-1~deb12u2-Debian");
	expect(match("udp-dns-version-bind", 53, b, n), "domain", "ISC BIND",
	       "9.18.28-1~deb12u2-Debian");
	n = version_bind_reply(b, "unbound 1.17.1");
	expect(match("udp-dns-version-bind", 53, b, n), "domain", "Unbound", "1.17.1");
	/* REFUSED, no answer: still a DNS server. */
	n = version_bind_reply(b, "x");
	b[3] = 0x05;
	b[7] = 0;
	expect(match("udp-dns-version-bind", 53, b, 30), "domain", NULL, NULL);
	/* Another id is not our answer. */
	b[0] = 'X';
	expect(match("udp-dns-version-bind", 53, b, n), NULL, NULL, NULL);

	{
		static const char ntpd[] = "\x16\x82\x00\x01\x06\x18\x00\x00\x00\x00\x00\x40"
			"version=\"ntpd 4.2.8p15@1.3728-o Wed Sep 23 11:46:38 UTC 2020 (1)\", "
			"processor=\"x86_64\"";
		/* NTPsec 1.2.2's answer, leap 3 (unsynchronised). */
		static const char ntpsec[] = "\xd6\x82\x00\x01\xc0\x16\x00\x00\x00\x00\x00\x1d"
			"version=\"ntpd ntpsec-1.2.2\"\r\n\x00\x00\x00";
		uint8_t mode4[48] = { 0x24, 2 };

		expect(match("udp-ntp-readvar", 123, ntpd, sizeof(ntpd) - 1), "ntp", "ntpd",
		       "4.2.8p15");
		expect(match("udp-ntp-readvar", 123, ntpsec, sizeof(ntpsec) - 1), "ntp", "NTPsec",
		       "1.2.2");
		expect(match("udp-ntp-client", 123, mode4, sizeof(mode4)), "ntp", NULL, NULL);
	}

	/* SNMP GetResponse with sysDescr (RFC 3416), built inside out. */
	{
		static const char descr[] = "Linux tgt 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC x86_64";
		static const uint8_t oid[] = { 0x2b, 6, 1, 2, 1, 1, 1, 0 };
		struct result *r;

		k = tlv_put(v, 0x06, oid, sizeof(oid));
		k += tlv_put(v + k, 0x04, descr, strlen(descr));
		k = tlv_put(b, 0x30, v, k);                  /* VarBind */
		k = tlv_put(v, 0x30, b, k);                  /* VarBindList */
		memmove(b + 11, v, k);
		memcpy(b, "\x02\x03PL\x02\x02\x01\x00\x02\x01\x00", 11);
		k = tlv_put(v, 0xa2, b, k + 11);             /* GetResponse-PDU */
		memmove(b + 11, v, k);
		memcpy(b, "\x02\x01\x01\x04\x06public", 11);
		n = tlv_put(v, 0x30, b, k + 11);
		r = match("udp-snmp-v2c-sysdescr", 161, v, n);
		assert_string_equal(r->info, descr);
		assert_string_equal(r->os_hint, "Linux");
		expect(r, "snmp", NULL, NULL);
	}
	{
		/* A Report with Net-SNMP's engine id (enterprise 8072). */
		static const char v3[] = "\x30\x3a\x02\x01\x03\x30\x10\x02\x03PL\x04\x02\x03\x00"
			"\xff\xe3\x04\x01\x00\x02\x01\x03\x04\x1f\x30\x1d\x04\x0d\x80\x00\x1f\x88"
			"\x80\x11\x22\x33\x44\x55\x66\x77\x88\x02\x01\x01\x02\x01\x05\x04\x00";
		struct result *r = match("udp-snmp-v3-discovery", 161, v3, sizeof(v3) - 1);

		assert_string_equal(r->info, "SNMPv3");
		expect(r, "snmp", "Net-SNMP", NULL);
	}
	{
		static const char stats[] = "PL\x00\x00\x00\x01\x00\x00STAT pid 4242\r\n"
			"STAT uptime 17\r\nSTAT time 1733450000\r\nSTAT version 1.6.18\r\nEND\r\n";

		expect(match("udp-memcached-stats", 11211, stats, sizeof(stats) - 1), "memcache",
		       "memcached", "1.6.18");
	}
	{
		static const char sip[] = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP portolan.invalid:5060"
			";branch=z9hG4bK-portolan\r\nServer: Asterisk PBX 20.1.0\r\n"
			"Content-Length: 0\r\n\r\n";

		expect(match("udp-sip-options", 5060, sip, sizeof(sip) - 1), "sip", "Asterisk",
		       "20.1.0");
	}
	{
		static const char stun[] = "\x01\x01\x00\x1c\x21\x12\xa4\x42PORTOLANSTUN"
			"\x80\x22\x00\x14" "Coturn-4.6.1 'Gorst'";

		expect(match("udp-stun-binding", 3478, stun, sizeof(stun) - 1), "stun", "coturn",
		       "4.6.1");
	}
	{
		/* NODE STATUS RESPONSE (RFC 1002 4.2.18): the name, then the
		 * node's names, each 15 bytes padded, a suffix and flags. */
		static const char nb[] = "PL\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00"
			"\x20" "CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\x00\x00\x21\x00\x01"
			"\x00\x00\x00\x00\x00\x41\x02TARGET         \x00\x04\x00"
			"WORKGROUP      \x00\x84\x00";
		struct result *r = match("udp-netbios-nbstat", 137, nb, sizeof(nb) - 1);

		/* The group name with suffix 0x00 (flags' high bit) is the
		 * workgroup; nothing names the software. */
		assert_non_null(r);
		assert_non_null(r->info);
		assert_string_equal(r->info, "workgroup WORKGROUP");
		expect(r, "netbios-ns", NULL, NULL);
	}
	{
		/* Only unique names: no workgroup to tell. */
		static const char nb[] = "PL\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00"
			"\x20" "CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\x00\x00\x21\x00\x01"
			"\x00\x00\x00\x00\x00\x41\x02TARGET         \x00\x04\x00"
			"TARGET         \x20\x04\x00";
		struct result *r = match("udp-netbios-nbstat", 137, nb, sizeof(nb) - 1);

		assert_non_null(r);
		assert_null(r->info);
		expect(r, "netbios-ns", NULL, NULL);
	}
	{
		static const char tftp[] = "\x00\x05\x00\x01" "File not found\x00";
		struct result *r = match("udp-tftp-rrq", 69, tftp, sizeof(tftp) - 1);

		assert_string_equal(r->info, "error: File not found");
		expect(r, "tftp", NULL, NULL);
	}
	{
		static const char rpc[] = "PLRD\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00"
			"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01";

		expect(match("udp-rpc-portmap-dump", 111, rpc, sizeof(rpc) - 1), "sunrpc", NULL,
		       NULL);
	}
	{
		/* DUMP from rpcbind: portmapper versions 4, 3, 2 over UDP
		 * (entries: follows, program, version, protocol 17, port 111). */
		static const char rpc[] = "PLRD\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00"
			"\x00\x00\x00\x00\x00\x00\x00\x00"
			"\x00\x00\x00\x01\x00\x01\x86\xa0\x00\x00\x00\x04\x00\x00\x00\x11\x00\x00\x00\x6f"
			"\x00\x00\x00\x01\x00\x01\x86\xa0\x00\x00\x00\x03\x00\x00\x00\x11\x00\x00\x00\x6f"
			"\x00\x00\x00\x01\x00\x01\x86\xa0\x00\x00\x00\x02\x00\x00\x00\x11\x00\x00\x00\x6f"
			"\x00\x00\x00\x00";
		struct result *r = match("udp-rpc-portmap-dump", 111, rpc, sizeof(rpc) - 1);

		assert_non_null(r);
		assert_non_null(r->info);
		assert_string_equal(r->info, "portmapper v2, DUMP answered; rpcbind protocol (v4) registered");
		expect(r, "sunrpc", NULL, NULL);
	}
	{
		static const char vn[] = "\xd3\x00\x00\x00\x00\x08QUICSCID\x08PORTOLAN"
			"\x00\x00\x00\x01";

		expect(match("udp-quic-version-negotiation", 443, vn, sizeof(vn) - 1), "quic",
		       NULL, NULL);
	}
	/* The sent probe's rules first, then the port's others: a plain
	 * query's answer matched while version.bind was the probe sent. */
	{
		size_t len;
		const uint8_t *q = payload("udp-dns-query", &len);

		memcpy(b, q, len);
		b[2] |= 0x80;
		expect(match("udp-dns-version-bind", 53, b, len), "domain", NULL, NULL);
	}
	/* Every truncation of a reply: no crash, and a banner. */
	n = version_bind_reply(b, "9.18.28-1~deb12u2-Debian");
	for (size_t cut = 0; cut <= n; cut++) {
		struct result *r = match(NULL, 53, b, cut);

		if (cut > 0)
			assert_non_null(r->banner);
		result_free(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_udp_probe),
		cmocka_unit_test(test_dns_payloads),
		cmocka_unit_test(test_snmp_payloads),
		cmocka_unit_test(test_other_payloads),
		cmocka_unit_test(test_replies),
	};

	return cmocka_run_group_tests(tests, load, unload);
}
