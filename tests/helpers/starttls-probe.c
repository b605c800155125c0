/* starttls-probe: runs portolan's STARTTLS dialogue (starttls.h) against a
 * real server, for tests/tls/starttls.sh.
 *
 *   starttls-probe SERVICE PORT [HOST]
 *
 * Connects to 127.0.0.1:PORT, runs starttls_upgrade for SERVICE and prints
 * its verdict: "ok", "refused", "failed" or "unsupported". After "ok" it
 * proves the server now speaks TLS: it sends a TLS 1.2 ClientHello (two
 * ECDHE/RSA suites, P-256) and prints "tls-record" when the answer is a
 * TLS record (handshake or alert, version 3.x), else "no-tls". Exit 0 for
 * "ok" and "tls-record", 1 otherwise, 2 on bad usage. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "starttls.h"

static const char *const words[] = {
	[STARTTLS_OK] = "ok", [STARTTLS_REFUSED] = "refused",
	[STARTTLS_FAILED] = "failed", [STARTTLS_UNSUPPORTED] = "unsupported",
};

int main(int argc, char **argv)
{
	/* RFC 5246 7.4.1.2, written out: record, handshake header, version,
	 * random, no session, two suites, null compression, and the
	 * supported_groups, ec_point_formats and signature_algorithms
	 * extensions. */
	static const unsigned char hello[] = {
		0x16, 0x03, 0x01, 0x00, 0x47,
		0x01, 0x00, 0x00, 0x43,
		0x03, 0x03,
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
		0x00,
		0x00, 0x04, 0xc0, 0x2f, 0x00, 0x9c,
		0x01, 0x00,
		0x00, 0x16,
		0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x17,
		0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,
		0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x01,
	};
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned char buf[8];
	enum starttls_status st;
	struct pollfd p;
	long port;
	ssize_t n;
	int fd;

	if (argc < 3 || (port = strtol(argv[2], NULL, 10)) < 1 || port > 65535) {
		fprintf(stderr, "usage: starttls-probe SERVICE PORT [HOST]\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		perror("starttls-probe: connect");
		return 1;
	}
	st = starttls_upgrade(fd, argv[1], argc > 3 ? argv[3] : NULL, mono_ms() + 10000);
	printf("%s\n", words[st]);
	if (st != STARTTLS_OK) {
		close(fd);
		return 1;
	}
	if (write(fd, hello, sizeof hello) != (ssize_t)sizeof hello) {
		close(fd);
		return 1;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	n = poll(&p, 1, 10000) == 1 ? read(fd, buf, sizeof buf) : -1;
	close(fd);
	if (n >= 3 && (buf[0] == 22 || buf[0] == 21) && buf[1] == 3) {
		printf("tls-record\n");
		return 0;
	}
	printf("no-tls\n");
	if (n > 0)
		fprintf(stderr, "starttls-probe: got %02x %02x %02x...\n", buf[0], n > 1 ? buf[1] : 0,
			n > 2 ? buf[2] : 0);
	return 1;
}
