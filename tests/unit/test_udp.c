/* test_udp.c: the UDP method's answers, on loopback and from tables.
 *
 * The classification of ICMP messages and errnos is checked row by row
 * against RFC 792 / RFC 4443 codes. The method itself probes ports on
 * 127.0.0.1 that the test opens: a port that answers (open, udp-response),
 * one that never answers (open|filtered, no-response, every retry made), no
 * listener (closed, port-unreach: Linux sends ICMP port unreachable on
 * loopback), a server that answers from another port (never credited: the
 * connected socket does not deliver it), and one that answers with a huge
 * datagram and then a flood (open, one bounded read). Nothing leaves
 * 127.0.0.1. */
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
enum server_kind { SRV_ECHO, SRV_SILENT, SRV_OTHER_PORT, SRV_HUGE_FLOOD, SRV_ONLY_SECOND };

struct server {
	enum server_kind kind;
	int fd, other;           /* other: the wrong port's socket */
	uint16_t port;
	pthread_t thread;
	_Atomic bool stop;
	_Atomic unsigned received;
};

static int bound_socket(uint16_t *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
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

static void server_start(struct server *s, enum server_kind kind)
{
	uint16_t other_port;

	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->fd = bound_socket(&s->port);
	s->other = kind == SRV_OTHER_PORT ? bound_socket(&other_port) : -1;
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
	atomic_store(&s->stop, true);
	pthread_join(s->thread, NULL);
	close(s->fd);
	if (s->other != -1)
		close(s->other);
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

	server_start(&s, SRV_ONLY_SECOND);
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

	server_start(&s, SRV_ECHO);
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

	server_start(&s, SRV_SILENT);
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

	server_start(&s, SRV_OTHER_PORT);
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

	server_start(&s, SRV_HUGE_FLOOD);
	r = probe_port(s.port, &m);
	assert_string_equal(port_state_name(r->state), "open");
	assert_string_equal(reason_name(r->reason), "udp-response");
	assert_int_equal(r->attempts, 1);
	result_free(r);
	server_stop(&s);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
