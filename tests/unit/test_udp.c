/* test_udp.c: the UDP method's answers, on loopback and from tables.
 *
 * The classification of ICMP messages and errnos is checked row by row
 * against RFC 792 / RFC 4443 codes. The method itself probes ports on
 * 127.0.0.1 that the test opens: a port that answers (open, udp-response),
 * one that never answers (open|filtered, no-response, every retry made), no
 * listener (closed, port-unreach: Linux sends ICMP port unreachable on
 * loopback), a server that answers from another port (never credited: the
 * connected socket does not deliver it), and one that answers with a huge
 * datagram and then a flood (open, one bounded read). A TFTP-like server
 * answers from a new port of its own (RFC 1350 4): credited only to a probe
 * with `reply_from: any_port` and only when the probe's rules match the
 * reply; never from another address (127.0.0.2, where loopback has it),
 * whatever it says; a closed port of such a probe is still closed, by the
 * ICMP error IP_RECVERR queues on the unconnected socket. Nothing leaves
 * 127.0.0.0/8. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "method.h"
#include "metrics.h"
#include "plan.h"
#include "probe_db.h"
#include "timing.h"
#include "udp.h"

static void test_icmp_table(void **state)
{
	static const struct {
		bool v6;
		uint8_t type, code;
		bool from_target;
		enum port_state st;
		enum reason why;
	} rows[] = {
		{ false, 3, 3, true, STATE_CLOSED, REASON_PORT_UNREACH },
		{ false, 3, 3, false, STATE_FILTERED, REASON_PORT_UNREACH },
		{ false, 3, 0, true, STATE_FILTERED, REASON_NET_UNREACH },
		{ false, 3, 1, true, STATE_FILTERED, REASON_HOST_UNREACH },
		{ false, 3, 2, true, STATE_FILTERED, REASON_PROTO_UNREACH },
		{ false, 3, 9, true, STATE_FILTERED, REASON_ADMIN_PROHIBITED },
		{ false, 3, 10, true, STATE_FILTERED, REASON_ADMIN_PROHIBITED },
		{ false, 3, 13, true, STATE_FILTERED, REASON_ADMIN_PROHIBITED },
		{ false, 3, 4, true, STATE_FILTERED, REASON_HOST_UNREACH },   /* frag needed */
		{ true, 1, 4, true, STATE_CLOSED, REASON_PORT_UNREACH },
		{ true, 1, 4, false, STATE_FILTERED, REASON_PORT_UNREACH },
		{ true, 1, 0, true, STATE_FILTERED, REASON_NET_UNREACH },
		{ true, 1, 1, true, STATE_FILTERED, REASON_ADMIN_PROHIBITED },
		{ true, 1, 3, true, STATE_FILTERED, REASON_HOST_UNREACH },
		{ true, 1, 5, true, STATE_FILTERED, REASON_ADMIN_PROHIBITED },
		{ true, 1, 6, true, STATE_FILTERED, REASON_ADMIN_PROHIBITED },
		{ true, 4, 1, true, STATE_FILTERED, REASON_PROTO_UNREACH },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		struct udp_icmp ic = { .v6 = rows[i].v6, .type = rows[i].type, .code = rows[i].code };
		enum port_state st;
		enum reason why;

		udp_classify_icmp(&ic, rows[i].from_target, &st, &why);
		if (st != rows[i].st || why != rows[i].why)
			fail_msg("row %zu: %s/%s", i, port_state_name(st), reason_name(why));
	}
}

static void test_errno_table(void **state)
{
	static const struct {
		int e;
		enum port_state st;
		enum reason why;
	} rows[] = {
		{ ECONNREFUSED, STATE_CLOSED, REASON_PORT_UNREACH },
		{ EHOSTUNREACH, STATE_FILTERED, REASON_HOST_UNREACH },
		{ ENETUNREACH, STATE_FILTERED, REASON_NET_UNREACH },
		{ EACCES, STATE_FILTERED, REASON_ADMIN_PROHIBITED },
		{ EPERM, STATE_FILTERED, REASON_ADMIN_PROHIBITED },
		{ ENOPROTOOPT, STATE_FILTERED, REASON_PROTO_UNREACH },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		enum port_state st;
		enum reason why;

		udp_classify_errno(rows[i].e, &st, &why);
		if (st != rows[i].st || why != rows[i].why)
			fail_msg("errno %d: %s/%s", rows[i].e, port_state_name(st), reason_name(why));
	}
}

static void test_names(void **state)
{
	assert_string_equal(port_state_name(STATE_OPEN_FILTERED), "open|filtered");
	assert_int_equal(port_state_parse("open|filtered"), STATE_OPEN_FILTERED);
	assert_string_equal(reason_name(REASON_UDP_RESPONSE), "udp-response");
	assert_string_equal(reason_name(REASON_PORT_UNREACH), "port-unreach");
	assert_true(port_state_is_port(STATE_OPEN_FILTERED));
	assert_false(port_state_is_port(STATE_UP));
	assert_non_null(method_find("udp"));
	assert_int_equal(method_find("udp")->proto, PROTO_UDP);
	assert_int_equal(method_find("connect")->proto, PROTO_TCP);
	assert_true(method_has_reason(method_find("udp"), REASON_PORT_UNREACH));
}

/* The servers: each a bound socket on 127.0.0.1 and a way to answer. */
enum server_kind {
	SRV_ECHO, SRV_SILENT, SRV_OTHER_PORT, SRV_HUGE_FLOOD, SRV_ONLY_SECOND,
	SRV_TFTP,                /* ERROR "File not found" from another port */
	SRV_TFTP_JUNK,           /* a datagram not TFTP's, from another port */
	SRV_TFTP_ALIEN,          /* ERROR from 127.0.0.2, same and other port */
	SRV_TFTP_AFTER_STRAYS,   /* junk, 127.0.0.2's ERROR, then the real one */
};

/* TFTP ERROR, code 1 (RFC 1350 5). */
static const char tftp_error[] = "\x00\x05\x00\x01" "File not found";

struct server {
	enum server_kind kind;
	int fd, other;           /* other: the wrong port's socket */
	int alien, alien_same;   /* 127.0.0.2: any port, and fd's port number */
	uint16_t port;
	pthread_t thread;
	_Atomic bool stop;
	_Atomic unsigned received;
};

/* A socket bound to addr (host order) and *port (0: any, then *port says
 * which); -1 when addr cannot be bound here. */
static int bound_socket_at(uint32_t addr, uint16_t *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(addr),
				   .sin_port = htons(*port) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static int bound_socket(uint16_t *port)
{
	int fd;

	*port = 0;
	fd = bound_socket_at(INADDR_LOOPBACK, port);
	assert_true(fd >= 0);
	return fd;
}

static void *serve(void *arg)
{
	struct server *s = arg;
	static uint8_t big[60000];

	while (!atomic_load(&s->stop)) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		uint8_t buf[64];
		ssize_t n;

		if (poll(&pfd, 1, 20) <= 0)
			continue;
		n = recvfrom(s->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			continue;
		atomic_fetch_add(&s->received, 1);
		switch (s->kind) {
		case SRV_ECHO:
			(void)sendto(s->fd, "pong", 4, 0, (struct sockaddr *)&from, flen);
			break;
		case SRV_OTHER_PORT:
			(void)sendto(s->other, "spoof", 5, 0, (struct sockaddr *)&from, flen);
			break;
		case SRV_HUGE_FLOOD:
			(void)sendto(s->fd, big, sizeof(big), 0, (struct sockaddr *)&from, flen);
			for (int i = 0; i < 2000; i++)
				(void)sendto(s->fd, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&from, flen);
			break;
		case SRV_TFTP:
			(void)sendto(s->other, tftp_error, sizeof(tftp_error), 0,
				     (struct sockaddr *)&from, flen);
			break;
		case SRV_TFTP_JUNK:
			(void)sendto(s->other, "\x00\x09junk", 6, 0, (struct sockaddr *)&from, flen);
			break;
		case SRV_TFTP_ALIEN:
			(void)sendto(s->alien, tftp_error, sizeof(tftp_error), 0,
				     (struct sockaddr *)&from, flen);
			(void)sendto(s->alien_same, tftp_error, sizeof(tftp_error), 0,
				     (struct sockaddr *)&from, flen);
			break;
		case SRV_TFTP_AFTER_STRAYS:
			(void)sendto(s->other, "\x00\x09junk", 6, 0, (struct sockaddr *)&from, flen);
			(void)sendto(s->alien, tftp_error, sizeof(tftp_error), 0,
				     (struct sockaddr *)&from, flen);
			nanosleep(&(struct timespec){ .tv_nsec = 20000000L }, NULL);
			(void)sendto(s->other, tftp_error, sizeof(tftp_error), 0,
				     (struct sockaddr *)&from, flen);
			break;
		case SRV_ONLY_SECOND:
			/* A server that ignores all but its own protocol. */
			if (n == 6 && memcmp(buf, "second", 6) == 0)
				(void)sendto(s->fd, "SECOND-SERVER 2.5\r\n", 19, 0,
					     (struct sockaddr *)&from, flen);
			break;
		case SRV_SILENT:
		default:
			break;
		}
	}
	return NULL;
}

/* 127.0.0.2 is the target's "another address": where loopback is all of
 * 127.0.0.0/8 (Linux), a socket binds to it. Returns false elsewhere. */
static bool server_start(struct server *s, enum server_kind kind)
{
	uint16_t other_port, alien_port = 0;

	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->fd = bound_socket(&s->port);
	s->other = kind == SRV_OTHER_PORT || kind == SRV_TFTP || kind == SRV_TFTP_JUNK ||
			   kind == SRV_TFTP_AFTER_STRAYS ? bound_socket(&other_port) : -1;
	s->alien = s->alien_same = -1;
	if (kind == SRV_TFTP_ALIEN || kind == SRV_TFTP_AFTER_STRAYS) {
		uint16_t same = s->port;

		s->alien = bound_socket_at(INADDR_LOOPBACK + 1, &alien_port);
		s->alien_same = bound_socket_at(INADDR_LOOPBACK + 1, &same);
		if (s->alien == -1 || s->alien_same == -1) {
			close(s->fd);
			if (s->other != -1)
				close(s->other);
			if (s->alien != -1)
				close(s->alien);
			return false;
		}
	}
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
	return true;
}

static void server_stop(struct server *s)
{
	atomic_store(&s->stop, true);
	pthread_join(s->thread, NULL);
	close(s->fd);
	if (s->other != -1)
		close(s->other);
	if (s->alien != -1)
		close(s->alien);
	if (s->alien_same != -1)
		close(s->alien_same);
}

/* A port nothing is bound to: bind one, note it, close it. */
static uint16_t free_port(void)
{
	uint16_t port;
	int fd = bound_socket(&port);

	close(fd);
	return port;
}

#define RETRIES 2

/* Probes 127.0.0.1:port with the udp method as a pool worker would; with
 * probes (payloads and, detection on, their rules) when db is not NULL. */
static struct result *probe_port_with(uint16_t port, struct metrics *m, struct probe_db *db)
{
	const struct scan_method *udp = method_find("udp");
	struct scan_plan plan = { .method = udp, .retries = RETRIES, .probes = db,
				  .udp_payloads = db };
	struct timing *tm = timing_new(100, 20, 400);
	atomic_bool stopping = false;
	struct method_env env = { .plan = &plan, .timing = tm, .metrics = m,
				  .stopping = &stopping };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct result *r = result_new();
	struct method_task t = { .host = 0, .sa = (struct sockaddr *)&sin,
				 .salen = sizeof(sin), .r = r };
	void *st = NULL;

	r->port = port;
	assert_true(pl_addr_from_sockaddr((struct sockaddr *)&sin, &r->addr));
	assert_int_equal(udp->start(&env, &st, NULL), 0);
	assert_int_equal(udp->probe(&env, st, NULL, &t), METHOD_DONE);
	udp->finish(&env, st);
	timing_free(tm);
	assert_int_equal(r->proto, PROTO_UDP);
	return r;
}

static struct result *probe_port(uint16_t port, struct metrics *m)
{
	return probe_port_with(port, m, NULL);
}

/* The port's UDP probes are sent in turn, one an attempt; the reply is
 * matched by their rules. */
static void test_payload_rotation_and_match(void **state)
{
	struct metrics m = { 0 };
	struct server s;
	struct result *r;
	struct probe_db *db = probe_db_new();
	GError *err = NULL;
	char *yaml;

	assert_true(server_start(&s, SRV_ONLY_SECOND));
	yaml = g_strdup_printf(
		"- probe: first\n  protocol: udp\n  ports: [%u]\n  send: 'first'\n"
		"  matches:\n    - service: nope\n      pattern: '^never'\n"
		"- probe: second\n  protocol: udp\n  ports: [%u]\n  send: 'second'\n"
		"  matches:\n    - service: second-svc\n      pattern: '^SECOND-SERVER ([\\d.]+)'\n"
		"      product: Second\n      version: '$1'\n", s.port, s.port);
	if (probe_db_load_string(db, yaml, strlen(yaml), "test.yaml", &err) != 0)
		fail_msg("%s", err->message);
	r = probe_port_with(s.port, &m, db);
	assert_string_equal(port_state_name(r->state), "open");
	assert_string_equal(reason_name(r->reason), "udp-response");
	assert_int_equal(r->attempts, 2);
	assert_string_equal(r->service, "second-svc");
	assert_string_equal(r->product, "Second");
	assert_string_equal(r->version, "2.5");
	assert_non_null(r->banner);
	result_free(r);
	server_stop(&s);
	probe_db_free(db);
	g_free(yaml);
}

static void test_open(void **state)
{
	struct metrics m = { 0 };
	struct server s;
	struct result *r;

	assert_true(server_start(&s, SRV_ECHO));
	r = probe_port(s.port, &m);
	assert_string_equal(port_state_name(r->state), "open");
	assert_string_equal(reason_name(r->reason), "udp-response");
	assert_int_equal(r->attempts, 1);
	result_free(r);
	server_stop(&s);
}

static void test_silent(void **state)
{
	struct metrics m = { 0 };
	struct server s;
	struct result *r;

	assert_true(server_start(&s, SRV_SILENT));
	r = probe_port(s.port, &m);
	assert_string_equal(port_state_name(r->state), "open|filtered");
	assert_string_equal(reason_name(r->reason), "no-response");
	/* The host never sent a port unreachable: no extra paced tries. */
	assert_int_equal(r->attempts, 1 + RETRIES);
	assert_int_equal(atomic_load(&m.retries), RETRIES);
	result_free(r);
	server_stop(&s);
	/* Every attempt reached the server (a datagram each, empty). */
	assert_int_equal(atomic_load(&s.received), 1 + RETRIES);
}

static void test_closed(void **state)
{
	struct metrics m = { 0 };
	struct result *r = probe_port(free_port(), &m);

	assert_string_equal(port_state_name(r->state), "closed");
	assert_string_equal(reason_name(r->reason), "port-unreach");
	assert_int_equal(r->attempts, 1);
	result_free(r);
}

static void test_reply_from_other_port(void **state)
{
	struct metrics m = { 0 };
	struct server s;
	struct result *r;

	assert_true(server_start(&s, SRV_OTHER_PORT));
	r = probe_port(s.port, &m);
	/* The spoofed replies came, one per attempt, and none counted. */
	assert_string_equal(port_state_name(r->state), "open|filtered");
	assert_string_equal(reason_name(r->reason), "no-response");
	result_free(r);
	server_stop(&s);
	assert_int_equal(atomic_load(&s.received), 1 + RETRIES);
}

static void test_huge_and_flood(void **state)
{
	struct metrics m = { 0 };
	struct server s;
	struct result *r;

	assert_true(server_start(&s, SRV_HUGE_FLOOD));
	r = probe_port(s.port, &m);
	assert_string_equal(port_state_name(r->state), "open");
	assert_string_equal(reason_name(r->reason), "udp-response");
	assert_int_equal(r->attempts, 1);
	result_free(r);
	server_stop(&s);
}

/* A probe database with one TFTP probe for port, like probes/80-udp.yaml's;
 * reply_from: any_port when any_port. */
static struct probe_db *tftp_db(uint16_t port, bool any_port)
{
	struct probe_db *db = probe_db_new();
	GError *err = NULL;
	char *yaml = g_strdup_printf(
		"- probe: tftp\n  protocol: udp\n  ports: [%u]\n%s"
		"  send: '\\x00\\x01missing\\x00octet\\x00'\n"
		"  matches:\n"
		"    - service: tftp\n"
		"      pattern: '^\\x00\\x05\\x00[\\x00-\\x08]([\\x20-\\x7e]*)\\x00'\n"
		"      info: 'error: $1'\n"
		"    - service: tftp\n"
		"      pattern: '^\\x00\\x03\\x00\\x01'\n",
		port, any_port ? "  reply_from: any_port\n" : "");

	if (probe_db_load_string(db, yaml, strlen(yaml), "tftp.yaml", &err) != 0)
		fail_msg("%s", err->message);
	g_free(yaml);
	return db;
}

/* Probes a server of the kind with the TFTP probe (any_port or not). */
static struct result *probe_tftp(enum server_kind kind, bool any_port, struct server *s,
				 struct metrics *m)
{
	struct probe_db *db;
	struct result *r;

	if (!server_start(s, kind))
		return NULL;
	db = tftp_db(s->port, any_port);
	r = probe_port_with(s->port, m, db);
	server_stop(s);
	probe_db_free(db);
	return r;
}

/* RFC 1350 4: the server's ERROR comes from its new TID. */
static void test_tftp_new_port(void **state)
{
	struct metrics m = { 0 };
	struct server s;
	struct result *r = probe_tftp(SRV_TFTP, true, &s, &m);

	assert_string_equal(port_state_name(r->state), "open");
	assert_string_equal(reason_name(r->reason), "udp-response");
	assert_int_equal(r->attempts, 1);
	assert_string_equal(r->service, "tftp");
	assert_string_equal(r->info, "error: File not found");
	result_free(r);
}

/* The same reply to a probe that does not say reply_from: any_port is not
 * the port's: the connected socket never reads it. */
static void test_tftp_new_port_not_flagged(void **state)
{
	struct metrics m = { 0 };
	struct server s;
	struct result *r = probe_tftp(SRV_TFTP, false, &s, &m);

	assert_string_equal(port_state_name(r->state), "open|filtered");
	assert_string_equal(reason_name(r->reason), "no-response");
	assert_null(r->service);
	assert_int_equal(atomic_load(&s.received), 1 + RETRIES);
	result_free(r);
}

/* Another port's datagram that the probe's rules do not match is set
 * aside, every attempt. */
static void test_tftp_junk_from_new_port(void **state)
{
	struct metrics m = { 0 };
	struct server s;
	struct result *r = probe_tftp(SRV_TFTP_JUNK, true, &s, &m);

	assert_string_equal(port_state_name(r->state), "open|filtered");
	assert_string_equal(reason_name(r->reason), "no-response");
	assert_null(r->service);
	assert_int_equal(r->attempts, 1 + RETRIES);
	result_free(r);
}

/* Another address, from any port or the probed port's number, is never
 * the port's, even saying exactly what TFTP says. */
static void test_tftp_other_address(void **state)
{
	struct metrics m = { 0 };
	struct server s;
	struct result *r = probe_tftp(SRV_TFTP_ALIEN, true, &s, &m);

	if (r == NULL)
		skip();           /* 127.0.0.2 cannot be bound here */
	assert_string_equal(port_state_name(r->state), "open|filtered");
	assert_string_equal(reason_name(r->reason), "no-response");
	assert_null(r->service);
	result_free(r);
}

/* What is set aside does not end the wait: the real reply after it counts,
 * on the first attempt. */
static void test_tftp_after_strays(void **state)
{
	struct metrics m = { 0 };
	struct server s;
	struct result *r = probe_tftp(SRV_TFTP_AFTER_STRAYS, true, &s, &m);

	if (r == NULL)
		skip();
	assert_string_equal(port_state_name(r->state), "open");
	assert_string_equal(reason_name(r->reason), "udp-response");
	assert_int_equal(r->attempts, 1);
	assert_string_equal(r->service, "tftp");
	result_free(r);
}

/* The probed port's own reply still counts, and a closed port is still
 * closed: IP_RECVERR queues the port unreachable on the unconnected
 * socket, and it quotes the probed address and port. */
static void test_tftp_same_port_and_closed(void **state)
{
	struct metrics m = { 0 };
	struct server s;
	struct probe_db *db;
	struct result *r;
	uint16_t port;

	assert_true(server_start(&s, SRV_ECHO));
	db = tftp_db(s.port, true);
	r = probe_port_with(s.port, &m, db);
	assert_string_equal(port_state_name(r->state), "open");
	assert_string_equal(reason_name(r->reason), "udp-response");
	assert_null(r->service);        /* "pong" is no TFTP, but it came from the port */
	result_free(r);
	server_stop(&s);
	probe_db_free(db);

	port = free_port();
	db = tftp_db(port, true);
	r = probe_port_with(port, &m, db);
	assert_string_equal(port_state_name(r->state), "closed");
	assert_string_equal(reason_name(r->reason), "port-unreach");
	assert_int_equal(r->attempts, 1);
	result_free(r);
	probe_db_free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_icmp_table),
		cmocka_unit_test(test_errno_table),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_silent),
		cmocka_unit_test(test_closed),
		cmocka_unit_test(test_reply_from_other_port),
		cmocka_unit_test(test_huge_and_flood),
		cmocka_unit_test(test_payload_rotation_and_match),
		cmocka_unit_test(test_tftp_new_port),
		cmocka_unit_test(test_tftp_new_port_not_flagged),
		cmocka_unit_test(test_tftp_junk_from_new_port),
		cmocka_unit_test(test_tftp_other_address),
		cmocka_unit_test(test_tftp_after_strays),
		cmocka_unit_test(test_tftp_same_port_and_closed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
