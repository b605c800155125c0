/* fuzz_ping.c: libFuzzer target for the icmp-echo prober's reply check,
 * src/discovery/probe_ping.c: what a ping socket reads is untrusted bytes.
 *
 * Input: byte 0 picks the family (even IPv4, odd IPv6), bytes 1-16 the
 * cookie key, bytes 17-32 the address the reply came from, the rest the
 * reply (an ICMP or ICMPv6 message without its IP header). Properties:
 * the check never reads past the reply (ASan); when it accepts, the reply is
 * an echo reply of the address's family, code 0, carrying exactly the
 * cookie of our request to that address; our own request to the address,
 * turned into a reply, is accepted, and the same request is not (it is a
 * request, not a reply). Any violation aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <glib.h>

#include "probe_ping.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_glib();
	return 0;
}

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_ping: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t key[2];
	struct pl_addr from = { 0 };
	uint8_t req[PING_PACKET_LEN], *reply;
	size_t len;

	if (size < 33)
		return 0;
	from.family = data[0] & 1 ? AF_INET6 : AF_INET;
	memcpy(key, data + 1, sizeof(key));
	memcpy(&from.v.hi, data + 17, 8);
	memcpy(&from.v.lo, data + 25, 8);
	if (from.family == AF_INET) {
		from.v.hi = 0;
		from.v.lo &= 0xffffffffu;
	}
	/* An exact-size copy, so ASan sees any read past the end. */
	len = size - 33;
	reply = malloc(len ? len : 1);
	if (reply == NULL)
		return 0;
	memcpy(reply, data + 33, len);

	if (ping_request_build(key, &from, 1, req) != PING_PACKET_LEN)
		fail("request length");
	if (ping_reply_check(key, &from, reply, len)) {
		uint8_t want_type = from.family == AF_INET ? 0 : 129;

		if (len < PING_PACKET_LEN || reply[0] != want_type || reply[1] != 0)
			fail("accepted something that is no echo reply");
		if (memcmp(reply + 8, req + 8, PING_COOKIE_LEN) != 0)
			fail("accepted a reply without the address's cookie");
	}
	/* The request itself is no reply; turned into one, it is ours. */
	if (ping_reply_check(key, &from, req, sizeof(req)))
		fail("accepted our own request as a reply");
	req[0] = from.family == AF_INET ? 0 : 129;
	if (!ping_reply_check(key, &from, req, sizeof(req)))
		fail("refused the reply to our own request");
	if (ping_reply_check(key, &from, req, sizeof(req) - 1))
		fail("accepted a reply cut short");
	free(reply);
	return 0;
}
