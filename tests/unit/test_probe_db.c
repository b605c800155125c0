/* test_probe_db.c: the probe loader and matcher, tested as data.
 *
 * The first table holds replies recorded from (or written byte for byte
 * after) real daemons, each next to what the probes in probes/ must say
 * about it; the test loads the real probes/ directory, so it runs from the
 * top of the tree. The second table holds broken probe files next to the
 * exact one-line error each must produce. Then the order of probes, the
 * templates, hostile replies, concurrent matching and a small mutation
 * fuzz of the loader.
 *
 * The binary replies were built from the protocol specifications (field by
 * field: lengths, ids, flags) and checked against captures where we have
 * them. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "probe_db.h"

#define PROBES_DIR "probes"

/* A recorded reply and what the probe must make of it. service NULL: the
 * probe must not match. product, version, hostname and os are compared
 * exactly (NULL: must be NULL); info, when given, must be a substring. */
struct recorded {
	const char *probe;
	const char *resp;
	size_t len;
	const char *service;
	const char *product;
	const char *version;
	const char *info;
	const char *hostname;
	const char *os;
	bool soft;
};

#define RESP(s) .resp = (s), .len = sizeof(s) - 1

static const struct recorded recorded[] = {
	/* openssh-server, Debian 12 */
	{ .probe = "banner",
	  RESP("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
	  .service = "ssh", .product = "OpenSSH", .version = "9.2p1", .info = "Debian-2+deb12u3", .os = "Linux" },
	{ .probe = "banner",
	  RESP("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10\r\n"),
	  .service = "ssh", .product = "OpenSSH", .version = "8.9p1", .info = "Ubuntu-3ubuntu0.10", .os = "Linux" },
	/* OpenBSD: no comment */
	{ .probe = "banner",
	  RESP("SSH-2.0-OpenSSH_9.6\r\n"),
	  .service = "ssh", .product = "OpenSSH", .version = "9.6", .info = "protocol 2.0" },
	{ .probe = "banner",
	  RESP("SSH-2.0-OpenSSH_for_Windows_8.1\r\n"),
	  .service = "ssh", .product = "OpenSSH", .version = "8.1", .os = "Windows" },
	{ .probe = "banner",
	  RESP("SSH-2.0-dropbear_2022.83\r\n"),
	  .service = "ssh", .product = "Dropbear sshd", .version = "2022.83" },
	{ .probe = "banner",
	  RESP("SSH-2.0-libssh_0.10.4\r\n"),
	  .service = "ssh", .product = "libssh", .version = "0.10.4" },
	{ .probe = "banner",
	  RESP("SSH-2.0-Go\r\n"),
	  .service = "ssh", .info = "protocol 2.0 Go" },
	/* vsftpd, Debian 12 */
	{ .probe = "banner",
	  RESP("220 (vsFTPd 3.0.3)\r\n"),
	  .service = "ftp", .product = "vsftpd", .version = "3.0.3" },
	/* proftpd-basic, Debian 12 */
	{ .probe = "banner",
	  RESP("220 ProFTPD Server (Debian) [::ffff:192.0.2.10]\r\n"),
	  .service = "ftp", .product = "ProFTPD", .info = "Debian" },
	{ .probe = "banner",
	  RESP("220 ProFTPD 1.3.8 Server (ProFTPD Default Installation) "
	       "[192.0.2.10]\r\n"),
	  .service = "ftp", .product = "ProFTPD", .version = "1.3.8" },
	{ .probe = "banner",
	  RESP("220---------- Welcome to Pure-FTPd [privsep] [TLS] -----"
	       "-----\r\n"
	       "220-You are user number 1 of 50 allowed.\r\n"
	       "220-Local time is now 10:00. Server port: 21.\r\n"
	       "220 You will be disconnected after 15 minutes of inactiv"
	       "ity.\r\n"),
	  .service = "ftp", .product = "Pure-FTPd" },
	{ .probe = "banner",
	  RESP("220-FileZilla Server 1.7.3\r\n"
	       "220 Please visit https://filezilla-project.org/\r\n"),
	  .service = "ftp", .product = "FileZilla ftpd", .version = "1.7.3" },
	{ .probe = "banner",
	  RESP("220 Microsoft FTP Service\r\n"),
	  .service = "ftp", .product = "Microsoft ftpd", .os = "Windows" },
	{ .probe = "banner",
	  RESP("220 files.example.com FTP server ready.\r\n"),
	  .service = "ftp" },
	/* postfix, Debian 12: no version in the banner */
	{ .probe = "banner",
	  RESP("220 mail.example.com ESMTP Postfix (Debian/GNU)\r\n"),
	  .service = "smtp", .product = "Postfix", .info = "Debian/GNU", .hostname = "mail.example.com" },
	/* exim4, Debian 12 */
	{ .probe = "banner",
	  RESP("220 mx.example.org ESMTP Exim 4.96 Tue, 02 Jan 2024 10:0"
	       "0:00 +0000\r\n"),
	  .service = "smtp", .product = "Exim", .version = "4.96", .hostname = "mx.example.org" },
	{ .probe = "banner",
	  RESP("220 mail.example.net ESMTP Sendmail 8.17.1.9/8.17.1.9/De"
	       "bian-2+deb12u2; Tue, 2 Jan 2024 10:00:00 GMT; (No UCE/UB"
	       "E) logging access from: [192.0.2.1](FORGED)-192.0.2.1 (m"
	       "ay be forged)\r\n"),
	  .service = "smtp", .product = "Sendmail", .version = "8.17.1.9", .info = "Debian-2+deb12u2", .hostname = "mail.example.net" },
	{ .probe = "banner",
	  RESP("220 mx.example.com ESMTP OpenSMTPD\r\n"),
	  .service = "smtp", .product = "OpenSMTPD", .hostname = "mx.example.com" },
	{ .probe = "banner",
	  RESP("220 EX01.corp.example.com Microsoft ESMTP MAIL Service r"
	       "eady at Tue, 2 Jan 2024 10:00:00 +0000\r\n"),
	  .service = "smtp", .product = "Microsoft Exchange smtpd", .hostname = "EX01.corp.example.com", .os = "Windows" },
	/* generic SMTP wins over generic FTP */
	{ .probe = "banner",
	  RESP("220 ftp.example.com ESMTP\r\n"),
	  .service = "smtp", .hostname = "ftp.example.com" },
	/* dovecot-pop3d, Debian 12 */
	{ .probe = "banner",
	  RESP("+OK Dovecot (Debian) ready.\r\n"),
	  .service = "pop3", .product = "Dovecot pop3d", .info = "Debian" },
	{ .probe = "banner",
	  RESP("+OK Hello there.\r\n"),
	  .service = "pop3", .product = "Courier pop3d" },
	{ .probe = "banner",
	  RESP("+OK pop.example.com Cyrus POP3 3.6.1-Debian-3.6.1-4 serv"
	       "er ready <1896.1704189600@pop.example.com>\r\n"),
	  .service = "pop3", .product = "Cyrus pop3d", .version = "3.6.1", .info = "Debian-3.6.1-4", .hostname = "pop.example.com" },
	{ .probe = "banner",
	  RESP("+OK POP3 server ready\r\n"),
	  .service = "pop3" },
	/* dovecot-imapd, Debian 12 */
	{ .probe = "banner",
	  RESP("* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID EN"
	       "ABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian)"
	       " ready.\r\n"),
	  .service = "imap", .product = "Dovecot imapd", .info = "Debian" },
	{ .probe = "banner",
	  RESP("* OK [CAPABILITY IMAP4rev1 UIDPLUS CHILDREN NAMESPACE TH"
	       "READ=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE AC"
	       "L ACL2=UNION STARTTLS] Courier-IMAP ready. Copyright 199"
	       "8-2018 Double Precision, Inc.  See COPYING for distribut"
	       "ion information.\r\n"),
	  .service = "imap", .product = "Courier imapd" },
	{ .probe = "banner",
	  RESP("* OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE STARTTLS A"
	       "UTH=PLAIN SASL-IR] imap.example.com Cyrus IMAP 3.6.1-Deb"
	       "ian-3.6.1-4 server ready\r\n"),
	  .service = "imap", .product = "Cyrus imapd", .version = "3.6.1", .info = "Debian-3.6.1-4", .hostname = "imap.example.com" },
	{ .probe = "banner",
	  RESP("* OK IMAP4rev1 Service Ready\r\n"),
	  .service = "imap" },
	/* inn2, Debian 12 */
	{ .probe = "banner",
	  RESP("200 news.example.com InterNetNews NNRP server INN 2.7.1 "
	       "ready (posting ok)\r\n"),
	  .service = "nntp", .product = "INN", .version = "2.7.1", .hostname = "news.example.com" },
	{ .probe = "banner",
	  RESP("200 Leafnode NNTP Daemon, version 1.12.0 running at news"
	       ".example.com (my fqdn: news.example.com)\r\n"),
	  .service = "nntp", .product = "Leafnode", .version = "1.12.0" },
	{ .probe = "banner",
	  RESP("RFB 003.008\n"),
	  .service = "rfb", .info = "protocol 3.8" },
	{ .probe = "banner",
	  RESP("RFB 003.889\n"),
	  .service = "rfb", .product = "Apple remote desktop vnc", .os = "macOS" },
	/* rsync 3.2.7, Debian 12 */
	{ .probe = "banner",
	  RESP("@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n"),
	  .service = "rsync", .product = "rsync", .info = "protocol 31.0" },
	{ .probe = "banner",
	  RESP("@RSYNCD: 30.0\n"),
	  .service = "rsync", .info = "protocol 30.0" },
	/* mariadb-server, Debian 12 */
	{ .probe = "banner",
	  RESP("c\x00\x00\x00\n"
	       "5.5.5-10.11.6-MariaDB-0+deb12u1\x00*\x00\x00\x00Pz{7/V(b\x00\xfe\xf7-\x02\x00\xff\x81\x15\x00\x00\x00"
	       "\x00\x00\x00\x1d\x00\x00\x00" "8Ml1&aO2!;x^\x00mysql_native_password\x00"),
	  .service = "mysql", .product = "MariaDB", .version = "10.11.6", .info = "0+deb12u1" },
	/* MariaDB 11: no 5.5.5- prefix */
	{ .probe = "banner",
	  RESP("Z\x00\x00\x00\n"
	       "11.4.2-MariaDB-ubu2404\x00*\x00\x00\x00Pz{7/V(b\x00\xfe\xf7-\x02\x00\xff\x81\x15\x00\x00\x00\x00\x00\x00\x1d\x00\x00\x00" "8M"
	       "l1&aO2!;x^\x00mysql_native_password\x00"),
	  .service = "mysql", .product = "MariaDB", .version = "11.4.2" },
	{ .probe = "banner",
	  RESP("J\x00\x00\x00\n"
	       "8.0.36\x00*\x00\x00\x00Pz{7/V(b\x00\xfe\xf7-\x02\x00\xff\x81\x15\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" "8Ml1&aO2!;x^\x00" "cachi"
	       "ng_sha2_password\x00"),
	  .service = "mysql", .product = "MySQL", .version = "8.0.36" },
	{ .probe = "banner",
	  RESP("N\x00\x00\x00\n"
	       "5.7.44-log\x00*\x00\x00\x00Pz{7/V(b\x00\xfe\xf7-\x02\x00\xff\x81\x15\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" "8Ml1&aO2!;x^\x00m"
	       "ysql_native_password\x00"),
	  .service = "mysql", .product = "MySQL", .version = "5.7.44", .info = "log" },
	{ .probe = "banner",
	  RESP("D\x00\x00\x00\xffj\x04Host '192.0.2.1' is not allowed to connect to thi"
	       "s MariaDB server"),
	  .service = "mysql", .product = "MariaDB", .info = "not allowed to connect" },
	{ .probe = "banner",
	  RESP("B\x00\x00\x00\xffj\x04Host '192.0.2.1' is not allowed to connect to thi"
	       "s MySQL server"),
	  .service = "mysql", .product = "MySQL", .info = "not allowed to connect" },
	/* inetutils-telnetd */
	{ .probe = "banner",
	  RESP("\xff\xfd\x18\xff\xfd \xff\xfd#\xff\xfd'"),
	  .service = "telnet" },
	/* busybox telnetd */
	{ .probe = "banner",
	  RESP("\xff\xfd\x01\xff\xfd\x1f\xff\xfb\x01\xff\xfb\x03"),
	  .service = "telnet" },
	{ .probe = "banner",
	  RESP(":irc.example.net NOTICE * :*** Looking up your hostname."
	       "..\r\n"),
	  .service = "irc", .hostname = "irc.example.net", .soft = true },
	{ .probe = "banner",
	  RESP("NOTICE AUTH :*** Processing connection to irc.example.ne"
	       "t\r\n"),
	  .service = "irc", .soft = true },
	/* not a banner service */
	{ .probe = "banner",
	  RESP("HTTP/1.0 400 Bad Request\r\n"
	       "\r\n"),
	  .service = NULL },
	{ .probe = "banner",
	  RESP("\x00\x00\x00\x00"),
	  .service = NULL },
	/* nginx, Debian 12 */
	{ .probe = "http-get",
	  RESP("HTTP/1.1 200 OK\r\n"
	       "Server: nginx/1.22.1\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "Content-Type: text/html\r\n"
	       "Content-Length: 615\r\n"
	       "Last-Modified: Tue, 02 Jan 2024 09:00:00 GMT\r\n"
	       "Connection: close\r\n"
	       "ETag: \"6593d0d0-267\"\r\n"
	       "Accept-Ranges: bytes\r\n"
	       "\r\n"
	       "<!DOCTYPE html>\n"
	       "<html>\n"
	       "<head>\n"
	       "<title>Welcome to nginx!</title>"),
	  .service = "http", .product = "nginx", .version = "1.22.1" },
	/* server_tokens off */
	{ .probe = "http-get",
	  RESP("HTTP/1.1 200 OK\r\n"
	       "Server: nginx\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "Content-Type: text/html\r\n"
	       "\r\n"),
	  .service = "http", .product = "nginx" },
	/* apache2, Debian 12 */
	{ .probe = "http-get",
	  RESP("HTTP/1.1 200 OK\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "Server: Apache/2.4.62 (Debian)\r\n"
	       "Last-Modified: Tue, 02 Jan 2024 09:00:00 GMT\r\n"
	       "ETag: \"29cd-60d8a0e5a5d40\"\r\n"
	       "Accept-Ranges: bytes\r\n"
	       "Content-Length: 10701\r\n"
	       "Vary: Accept-Encoding\r\n"
	       "Connection: close\r\n"
	       "Content-Type: text/html\r\n"
	       "\r\n"
	       "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitiona"
	       "l//EN\""),
	  .service = "http", .product = "Apache httpd", .version = "2.4.62", .info = "Debian", .os = "Linux" },
	{ .probe = "http-get",
	  RESP("HTTP/1.1 200 OK\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "Server: Apache/2.4.58 (Unix) OpenSSL/3.0.13\r\n"
	       "Content-Type: text/html\r\n"
	       "\r\n"),
	  .service = "http", .product = "Apache httpd", .version = "2.4.58", .info = "Unix OpenSSL/3.0.13" },
	/* ServerTokens Prod */
	{ .probe = "http-get",
	  RESP("HTTP/1.1 403 Forbidden\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "Server: Apache\r\n"
	       "Content-Type: text/html\r\n"
	       "\r\n"),
	  .service = "http", .product = "Apache httpd" },
	/* lighttpd, Debian 12 */
	{ .probe = "http-get",
	  RESP("HTTP/1.1 200 OK\r\n"
	       "Content-Type: text/html\r\n"
	       "Accept-Ranges: bytes\r\n"
	       "ETag: \"3410531787\"\r\n"
	       "Last-Modified: Tue, 02 Jan 2024 09:00:00 GMT\r\n"
	       "Content-Length: 3495\r\n"
	       "Connection: close\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "Server: lighttpd/1.4.69\r\n"
	       "\r\n"),
	  .service = "http", .product = "lighttpd", .version = "1.4.69" },
	{ .probe = "http-get",
	  RESP("HTTP/1.1 308 Permanent Redirect\r\n"
	       "Connection: close\r\n"
	       "Location: https://example.com/\r\n"
	       "Server: Caddy\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "Content-Length: 0\r\n"
	       "\r\n"),
	  .service = "http", .product = "Caddy" },
	{ .probe = "http-get",
	  RESP("HTTP/1.1 200 OK\r\n"
	       "Content-Type: text/html\r\n"
	       "Last-Modified: Tue, 02 Jan 2024 09:00:00 GMT\r\n"
	       "Accept-Ranges: bytes\r\n"
	       "ETag: \"0f7e6c4f83dda1:0\"\r\n"
	       "Server: Microsoft-IIS/10.0\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "Content-Length: 703\r\n"
	       "\r\n"),
	  .service = "http", .product = "Microsoft IIS httpd", .version = "10.0", .os = "Windows" },
	{ .probe = "http-get",
	  RESP("HTTP/1.1 404 Not Found\r\n"
	       "Cache-Control: must-revalidate,no-cache,no-store\r\n"
	       "Content-Type: text/html;charset=iso-8859-1\r\n"
	       "Content-Length: 431\r\n"
	       "Server: Jetty(9.4.50.v20221201)\r\n"
	       "\r\n"),
	  .service = "http", .product = "Jetty", .version = "9.4.50.v20221201" },
	{ .probe = "http-get",
	  RESP("HTTP/1.1 200 OK\r\n"
	       "Server: gunicorn\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "Connection: close\r\n"
	       "Content-Type: text/html; charset=utf-8\r\n"
	       "Content-Length: 12\r\n"
	       "\r\n"
	       "Hello World!"),
	  .service = "http", .product = "Gunicorn" },
	{ .probe = "http-get",
	  RESP("HTTP/1.1 200 OK\r\n"
	       "Server: gunicorn/20.1.0\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "Connection: close\r\n"
	       "Content-Length: 12\r\n"
	       "\r\n"
	       "Hello World!"),
	  .service = "http", .product = "Gunicorn", .version = "20.1.0" },
	{ .probe = "http-get",
	  RESP("HTTP/1.1 200 OK\r\n"
	       "Server: Werkzeug/2.2.2 Python/3.11.2\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "Content-Type: text/html; charset=utf-8\r\n"
	       "Content-Length: 13\r\n"
	       "Connection: close\r\n"
	       "\r\n"
	       "Hello, World!"),
	  .service = "http", .product = "Werkzeug httpd", .version = "2.2.2", .info = "Python 3.11.2" },
	{ .probe = "http-get",
	  RESP("HTTP/1.0 200 OK\r\n"
	       "Server: SimpleHTTP/0.6 Python/3.11.2\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "Content-type: text/html; charset=utf-8\r\n"
	       "Content-Length: 390\r\n"
	       "\r\n"),
	  .service = "http", .product = "Python http.server", .version = "3.11.2" },
	{ .probe = "http-get",
	  RESP("HTTP/1.1 200 OK\r\n"
	       "date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "server: uvicorn\r\n"
	       "content-length: 25\r\n"
	       "content-type: application/json\r\n"
	       "\r\n"
	       "{\"message\":\"Hello World\"}"),
	  .service = "http", .product = "Uvicorn" },
	{ .probe = "http-get",
	  RESP("HTTP/1.1 200 OK\r\n"
	       "Server: openresty/1.21.4.3\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "\r\n"),
	  .service = "http", .product = "OpenResty", .version = "1.21.4.3" },
	{ .probe = "http-get",
	  RESP("HTTP/1.1 200 OK\r\n"
	       "Server: CouchDB/3.3.3 (Erlang OTP/24)\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "Content-Type: application/json\r\n"
	       "\r\n"
	       "{\"couchdb\":\"Welcome\",\"version\":\"3.3.3\"}"),
	  .service = "http", .product = "CouchDB", .version = "3.3.3", .info = "Erlang OTP/24" },
	{ .probe = "http-get",
	  RESP("HTTP/1.1 200 OK\r\n"
	       "Server: SomethingElse/1.0\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "\r\n"),
	  .service = "http", .info = "SomethingElse/1.0" },
	{ .probe = "http-get",
	  RESP("HTTP/1.0 200 OK\r\n"
	       "Content-Type: text/plain\r\n"
	       "\r\n"
	       "hello"),
	  .service = "http" },
	{ .probe = "http-get",
	  RESP("HTTP/1.1 200 OK\r\n"
	       "X-elastic-product: Elasticsearch\r\n"
	       "content-type: application/json\r\n"
	       "content-length: 532\r\n"
	       "\r\n"
	       "{\n"
	       "  \"name\" : \"es01\",\n"
	       "  \"cluster_name\" : \"docker-cluster\",\n"
	       "  \"cluster_uuid\" : \"Wl5q1dxhQ0Kp0wX1b2Wm3A\",\n"
	       "  \"version\" : {\n"
	       "    \"number\" : \"8.11.1\",\n"
	       "    \"build_flavor\" : \"default\",\n"
	       "    \"build_type\" : \"docker\",\n"
	       "    \"build_hash\" : \"6f9ff581fbcde658e6f69d6ce03050f060d1"
	       "fd0c\",\n"
	       "    \"build_date\" : \"2023-11-11T10:05:59.421038163Z\",\n"
	       "    \"build_snapshot\" : false,\n"
	       "    \"lucene_version\" : \"9.8.0\",\n"
	       "    \"minimum_wire_compatibility_version\" : \"7.17.0\",\n"
	       "    \"minimum_index_compatibility_version\" : \"7.0.0\"\n"
	       "  },\n"
	       "  \"tagline\" : \"You Know, for Search\"\n"
	       "}\n"),
	  .service = "elasticsearch", .product = "Elasticsearch", .version = "8.11.1", .info = "cluster docker-cluster" },
	{ .probe = "http-get",
	  RESP("HTTP/1.1 401 Unauthorized\r\n"
	       "WWW-Authenticate: Basic realm=\"security\" charset=\"UTF-8\""
	       "\r\n"
	       "WWW-Authenticate: ApiKey\r\n"
	       "content-type: application/json\r\n"
	       "content-length: 403\r\n"
	       "\r\n"
	       "{\"error\":{\"root_cause\":[{\"type\":\"security_exception\",\"re"
	       "ason\":\"missing authentication credentials for REST reque"
	       "st [/]\",\"header\":{\"WWW-Authenticate\":[\"Basic realm=\\\"sec"
	       "urity\\\" charset=\\\"UTF-8\\\"\",\"ApiKey\"]}}],\"type\":\"security"
	       "_exception\",\"reason\":\"missing authentication credentials"
	       " for REST request [/]\",\"header\":{\"WWW-Authenticate\":[\"Ba"
	       "sic realm=\\\"security\\\" charset=\\\"UTF-8\\\"\",\"ApiKey\"]}},\"s"
	       "tatus\":401}"),
	  .service = "elasticsearch", .product = "Elasticsearch", .info = "authentication required" },
	{ .probe = "http-get",
	  RESP("HTTP/1.1 200 OK\r\n"
	       "content-type: application/json; charset=UTF-8\r\n"
	       "content-length: 323\r\n"
	       "\r\n"
	       "{\n"
	       "  \"name\" : \"opensearch-node1\",\n"
	       "  \"cluster_name\" : \"opensearch-cluster\",\n"
	       "  \"cluster_uuid\" : \"2XbJp0dRT0qUq8pT0M0X6w\",\n"
	       "  \"version\" : {\n"
	       "    \"distribution\" : \"opensearch\",\n"
	       "    \"number\" : \"2.11.1\",\n"
	       "    \"build_type\" : \"tar\",\n"
	       "    \"lucene_version\" : \"9.7.0\"\n"
	       "  },\n"
	       "  \"tagline\" : \"The OpenSearch Project: https://opensearc"
	       "h.org/\"\n"
	       "}\n"),
	  .service = "elasticsearch", .product = "OpenSearch", .version = "2.11.1" },
	/* cups, Debian 12 */
	{ .probe = "http-get",
	  RESP("HTTP/1.1 200 OK\r\n"
	       "Connection: close\r\n"
	       "Content-Language: en_US\r\n"
	       "Content-Length: 2363\r\n"
	       "Content-Type: text/html; charset=utf-8\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "Accept-Encoding: gzip, deflate, identity\r\n"
	       "Server: CUPS/2.4 IPP/2.1\r\n"
	       "X-Frame-Options: DENY\r\n"
	       "Content-Security-Policy: frame-ancestors 'none'\r\n"
	       "\r\n"
	       "<!DOCTYPE HTML>\n"
	       "<html>"),
	  .service = "ipp", .product = "CUPS", .version = "2.4", .info = "IPP 2.1" },
	{ .probe = "http-get",
	  RESP("HTTP/1.1 400 Bad Request\r\n"
	       "Server: nginx/1.22.1\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "Content-Type: text/html\r\n"
	       "Content-Length: 255\r\n"
	       "Connection: close\r\n"
	       "\r\n"
	       "<html>\r\n"
	       "<head><title>400 The plain HTTP request was sent to HTTP"
	       "S port</title></head>\r\n"
	       "<body>\r\n"
	       "<center><h1>400 Bad Request</h1></center>\r\n"
	       "<center>The plain HTTP request was sent to HTTPS port</c"
	       "enter>\r\n"
	       "<hr><center>nginx/1.22.1</center>\r\n"
	       "</body>\r\n"
	       "</html>\r\n"),
	  .service = "https", .product = "nginx", .version = "1.22.1" },
	/* squid, Debian 12 */
	{ .probe = "http-get",
	  RESP("HTTP/1.1 400 Bad Request\r\n"
	       "Server: squid/5.7\r\n"
	       "Mime-Version: 1.0\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "Content-Type: text/html;charset=utf-8\r\n"
	       "Content-Length: 3505\r\n"
	       "X-Squid-Error: ERR_INVALID_URL 0\r\n"
	       "Vary: Accept-Language\r\n"
	       "Content-Language: en\r\n"
	       "X-Cache: MISS from proxy\r\n"
	       "X-Cache-Lookup: NONE from proxy:3128\r\n"
	       "Via: 1.1 proxy (squid/5.7)\r\n"
	       "Connection: close\r\n"
	       "\r\n"),
	  .service = "http-proxy", .product = "Squid http proxy", .version = "5.7" },
	{ .probe = "http-get",
	  RESP("-ERR wrong number of arguments for 'get' command\r\n"),
	  .service = "redis", .soft = true },
	/* TLS server: unexpected_message alert */
	{ .probe = "http-get",
	  RESP("\x15\x03\x01\x00\x02\x02\n"),
	  .service = "tls", .info = "alert" },
	{ .probe = "http-get",
	  RESP("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"
	       "Invalid SSH identification string.\r\n"),
	  .service = NULL },
	{ .probe = "http-proxy",
	  RESP("HTTP/1.1 403 Forbidden\r\n"
	       "Server: squid/5.7\r\n"
	       "Mime-Version: 1.0\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "Content-Type: text/html;charset=utf-8\r\n"
	       "Content-Length: 3504\r\n"
	       "X-Squid-Error: ERR_ACCESS_DENIED 0\r\n"
	       "Vary: Accept-Language\r\n"
	       "Content-Language: en\r\n"
	       "X-Cache: MISS from proxy\r\n"
	       "X-Cache-Lookup: NONE from proxy:3128\r\n"
	       "Via: 1.1 proxy (squid/5.7)\r\n"
	       "Connection: close\r\n"
	       "\r\n"),
	  .service = "http-proxy", .product = "Squid http proxy", .version = "5.7" },
	{ .probe = "http-proxy",
	  RESP("HTTP/1.1 503 Service Unavailable\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "Content-Type: text/html\r\n"
	       "Via: 1.1 proxy (squid)\r\n"
	       "Connection: close\r\n"
	       "\r\n"),
	  .service = "http-proxy", .product = "Squid http proxy" },
	/* tinyproxy, Debian 12 */
	{ .probe = "http-proxy",
	  RESP("HTTP/1.0 500 Unable to connect\r\n"
	       "Server: tinyproxy/1.11.1\r\n"
	       "Content-Type: text/html\r\n"
	       "Connection: close\r\n"
	       "\r\n"
	       "<\?xml version=\"1.0\" encoding=\"UTF-8\" \?>\n"
	       "<html><body><h1>Unable to connect</h1><hr />\n"
	       "<p><em>Generated by tinyproxy version 1.11.1.</em></p></"
	       "body></html>\n"),
	  .service = "http-proxy", .product = "tinyproxy", .version = "1.11.1" },
	{ .probe = "http-proxy",
	  RESP("HTTP/1.1 407 Proxy Authentication Required\r\n"
	       "Proxy-Authenticate: Basic realm=\"proxy\"\r\n"
	       "Content-Length: 0\r\n"
	       "\r\n"),
	  .service = "http-proxy", .info = "proxy authentication required" },
	{ .probe = "http-proxy",
	  RESP("HTTP/1.1 502 Bad Gateway\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "Via: 1.1 gateway.example.com\r\n"
	       "Content-Length: 0\r\n"
	       "\r\n"),
	  .service = "http-proxy", .info = "gateway.example.com" },
	/* a web server, not a proxy */
	{ .probe = "http-proxy",
	  RESP("HTTP/1.1 404 Not Found\r\n"
	       "Server: nginx/1.22.1\r\n"
	       "Date: Tue, 02 Jan 2024 10:00:00 GMT\r\n"
	       "\r\n"),
	  .service = "http", .info = "nginx/1.22.1" },
	/* OpenSSL 3 ServerHello, then the Certificate record begins */
	{ .probe = "tls-client-hello",
	  RESP("\x16\x03\x03\x00]\x02\x00\x00Y\x03\x03@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_ `abcdefghijk"
	       "lmnopqrstuvwxyz{|}~\x7f\xc0/\x00\x00\x11\xff\x01\x00\x01\x00\x00\x0b\x00\x04\x03\x00\x01\x02\x00\x17\x00\x00\x16\x03\x03\x04\x00\x0b\x00\x03\xfc"),
	  .service = "tls", .info = "TLS 1.2" },
	{ .probe = "tls-client-hello",
	  RESP("\x16\x03\x01\x00]\x02\x00\x00Y\x03\x01@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_ `abcdefghijk"
	       "lmnopqrstuvwxyz{|}~\x7f\xc0/\x00\x00\x11\xff\x01\x00\x01\x00\x00\x0b\x00\x04\x03\x00\x01\x02\x00\x17\x00\x00"),
	  .service = "tls", .info = "TLS 1.0" },
	{ .probe = "tls-client-hello",
	  RESP("\x15\x03\x03\x00\x02\x02" "F"),
	  .service = "tls", .info = "protocol version" },
	{ .probe = "tls-client-hello",
	  RESP("\x15\x03\x01\x00\x02\x02("),
	  .service = "tls", .info = "handshake failure" },
	{ .probe = "tls-client-hello",
	  RESP("\x15\x03\x03\x00\x02\x02" "2"),
	  .service = "tls", .info = "alert" },
	{ .probe = "tls-client-hello",
	  RESP("HTTP/1.1 400 Bad Request\r\n"
	       "\r\n"),
	  .service = NULL },
	/* postgresql 15, Debian 12 (scram-sha-256 in pg_hba.conf) */
	{ .probe = "postgresql-startup",
	  RESP("R\x00\x00\x00\x17\x00\x00\x00\n"
	       "SCRAM-SHA-256\x00\x00"),
	  .service = "postgresql", .product = "PostgreSQL", .info = "authentication SCRAM-SHA-256" },
	{ .probe = "postgresql-startup",
	  RESP("R\x00\x00\x00\x0c\x00\x00\x00\x05\x9a" "1\x0c~"),
	  .service = "postgresql", .product = "PostgreSQL", .info = "MD5" },
	{ .probe = "postgresql-startup",
	  RESP("E\x00\x00\x00\x9dSFATAL\x00VFATAL\x00" "C28000\x00Mno pg_hba.conf entry for host"
	       " \"192.0.2.1\", user \"portolan\", database \"postgres\", no e"
	       "ncryption\x00" "Fauth.c\x00L543\x00RClientAuthentication\x00\x00"),
	  .service = "postgresql", .product = "PostgreSQL", .info = "no pg_hba.conf entry" },
	{ .probe = "postgresql-startup",
	  RESP("E\x00\x00\x00hSFATAL\x00VFATAL\x00" "C28P01\x00Mpassword authentication faile"
	       "d for user \"portolan\"\x00" "Fauth.c\x00L323\x00Rauth_failed\x00\x00"),
	  .service = "postgresql", .product = "PostgreSQL", .info = "password authentication failed" },
	/* trust authentication: the version is revealed */
	{ .probe = "postgresql-startup",
	  RESP("R\x00\x00\x00\x08\x00\x00\x00\x00S\x00\x00\x00\x16" "application_name\x00\x00S\x00\x00\x00\x19" "client_encoding\x00UTF"
	       "8\x00S\x00\x00\x00\x17" "DateStyle\x00ISO, MDY\x00S\x00\x00\x00\x19integer_datetimes\x00on\x00S\x00\x00\x00"
	       "\x19server_encoding\x00UTF8\x00S\x00\x00\x00" "0server_version\x00" "15.8 (Debian 1"
	       "5.8-0+deb12u1)\x00S\x00\x00\x00#session_authorization\x00portolan\x00K\x00\x00\x00\x0c"
	       "\x00\x00\x10\x92\x1b\xad\xca\xfeZ\x00\x00\x00\x05I"),
	  .service = "postgresql", .product = "PostgreSQL", .version = "15.8", .info = "Debian 15.8-0+deb12u1" },
	{ .probe = "postgresql-sslrequest",
	  RESP("N"),
	  .service = "postgresql", .product = "PostgreSQL", .info = "TLS not supported" },
	{ .probe = "postgresql-sslrequest",
	  RESP("S"),
	  .service = "postgresql", .product = "PostgreSQL", .info = "TLS supported" },
	{ .probe = "postgresql-sslrequest",
	  RESP("NO"),
	  .service = NULL },
	/* redis-server, Debian 12 */
	{ .probe = "redis-info",
	  RESP("$606\r\n"
	       "# Server\r\n"
	       "redis_version:7.0.15\r\n"
	       "redis_git_sha1:00000000\r\n"
	       "redis_git_dirty:0\r\n"
	       "redis_build_id:3f1b4f8c5e2a9b1d\r\n"
	       "redis_mode:standalone\r\n"
	       "os:Linux 6.1.0-28-amd64 x86_64\r\n"
	       "arch_bits:64\r\n"
	       "monotonic_clock:POSIX clock_gettime\r\n"
	       "multiplexing_api:epoll\r\n"
	       "atomicvar_api:c11-builtin\r\n"
	       "gcc_version:12.2.0\r\n"
	       "process_id:812\r\n"
	       "process_supervised:systemd\r\n"
	       "run_id:7c6a0fd7e1d54bbf9c1c2b1e0b6a4f6e3f2c1d0e\r\n"
	       "tcp_port:6379\r\n"
	       "server_time_usec:1704189600000000\r\n"
	       "uptime_in_seconds:86400\r\n"
	       "uptime_in_days:1\r\n"
	       "hz:10\r\n"
	       "configured_hz:10\r\n"
	       "lru_clock:1234567\r\n"
	       "executable:/usr/bin/redis-server\r\n"
	       "config_file:/etc/redis/redis.conf\r\n"
	       "io_threads_active:0\r\n"
	       "\r\n"),
	  .service = "redis", .product = "Redis", .version = "7.0.15", .info = "standalone", .os = "Linux 6.1.0-28-amd64 x86_64" },
	{ .probe = "redis-info",
	  RESP("$153\r\n"
	       "# Server\r\n"
	       "redis_version:7.2.4\r\n"
	       "server_name:valkey\r\n"
	       "valkey_version:8.0.1\r\n"
	       "redis_git_sha1:00000000\r\n"
	       "redis_mode:standalone\r\n"
	       "os:Linux 6.1.0-28-amd64 x86_64\r\n"
	       "\r\n"),
	  .service = "redis", .product = "Valkey", .version = "8.0.1" },
	{ .probe = "redis-info",
	  RESP("-NOAUTH Authentication required.\r\n"),
	  .service = "redis", .info = "authentication required" },
	{ .probe = "redis-info",
	  RESP("-DENIED Redis is running in protected mode because prote"
	       "cted mode is enabled and no password is set for the defa"
	       "ult user. In this mode connections are only accepted fro"
	       "m the loopback interface.\r\n"),
	  .service = "redis", .product = "Redis", .info = "protected mode" },
	{ .probe = "redis-ping",
	  RESP("+PONG\r\n"),
	  .service = "redis" },
	{ .probe = "redis-ping",
	  RESP("-NOAUTH Authentication required.\r\n"),
	  .service = "redis", .info = "authentication required" },
	/* memcached, Debian 12 */
	{ .probe = "memcached-version",
	  RESP("VERSION 1.6.18\r\n"),
	  .service = "memcache", .product = "memcached", .version = "1.6.18" },
	{ .probe = "memcached-version",
	  RESP("ERROR\r\n"),
	  .service = NULL },
	{ .probe = "mongodb-buildinfo",
	  RESP("\xdd\x00\x00\x00M\x00\x00\x00\x01\x00\x00\x00\xdd\x07\x00\x00\x00\x00\x00\x00\x00\xc8\x00\x00\x00\x02version\x00\x06\x00\x00\x00" "7.0.5\x00\x02gitVersion\x00"
	       ")\x00\x00\x00" "7809d71e84e314b497f282ea8aa06d7ded3eb205\x00\x04modules\x00\x05\x00"
	       "\x00\x00\x00\x02" "allocator\x00\t\x00\x00\x00tcmalloc\x00\x02javascriptEngine\x00\x06\x00\x00\x00mozjs\x00\x10"
	       "bits\x00@\x00\x00\x00\x08" "debug\x00\x00\x10maxBsonObjectSize\x00\x00\x00\x00\x01\x01ok\x00\x00\x00\x00\x00\x00\x00\xf0\?\x00"),
	  .service = "mongodb", .product = "MongoDB", .version = "7.0.5" },
	{ .probe = "mongodb-ismaster",
	  RESP("\xa2\x00\x00\x00N\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00~\x00\x00\x00\x08ismaster\x00\x01\x08hell"
	       "oOk\x00\x01\x10maxBsonObjectSize\x00\x00\x00\x00\x01\x10maxMessageSizeBytes\x00\x00l\xdc\x02\x10ma"
	       "xWireVersion\x00\x15\x00\x00\x00\x10minWireVersion\x00\x00\x00\x00\x00\x01ok\x00\x00\x00\x00\x00\x00\x00\xf0\?\x00"),
	  .service = "mongodb", .product = "MongoDB" },
	{ .probe = "zookeeper-srvr",
	  RESP("Zookeeper version: 3.8.0-5a02a05eddb59aee6ac762f7ea82e92"
	       "a68eb9c0f, built on 2022-02-25 08:49 UTC\n"
	       "Latency min/avg/max: 0/0.0/0\n"
	       "Received: 1\n"
	       "Sent: 0\n"
	       "Connections: 1\n"
	       "Outstanding: 0\n"
	       "Zxid: 0x0\n"
	       "Mode: standalone\n"
	       "Node count: 5\n"),
	  .service = "zookeeper", .product = "Apache ZooKeeper", .version = "3.8.0", .info = "standalone" },
	{ .probe = "zookeeper-srvr",
	  RESP("srvr is not executed because it is not in the whitelist."
	       "\n"),
	  .service = "zookeeper", .product = "Apache ZooKeeper", .info = "disabled" },
	/* mosquitto: CONNACK names no broker */
	{ .probe = "mqtt-connect",
	  RESP(" \x02\x00\x00"),
	  .service = "mqtt", .info = "accepted" },
	{ .probe = "mqtt-connect",
	  RESP(" \x02\x00\x05"),
	  .service = "mqtt", .info = "not authorized" },
	/* rabbitmq-server, Debian 12 */
	{ .probe = "amqp-header",
	  RESP("\x01\x00\x00\x00\x00\x01\xf4\x00\n"
	       "\x00\n"
	       "\x00\t\x00\x00\x01\xcf\x0c" "capabilitiesF\x00\x00\x00\xc7\x12publisher_confirmst\x01\x1a" "exchange_e"
	       "xchange_bindingst\x01\n"
	       "basic.nackt\x01\x16" "consumer_cancel_notifyt\x01\x12" "connection.blocked"
	       "t\x01\x13" "consumer_prioritiest\x01\x1c" "authentication_failure_closet\x01\x10"
	       "per_consumer_qost\x01\x0f" "direct_reply_tot\x01\x0c" "cluster_nameS\x00\x00\x00\rra"
	       "bbit@broker\tcopyrightS\x00\x00\x00" "7Copyright (c) 2007-2022 VMware"
	       ", Inc. or its affiliates.\x0binformationS\x00\x00\x00" "9Licensed under"
	       " the MPL 2.0. Website: https://rabbitmq.com\x08platformS\x00\x00\x00"
	       "\x11" "Erlang/OTP 25.2.3\x07productS\x00\x00\x00\x08RabbitMQ\x07versionS\x00\x00\x00\x06" "3.10"
	       ".8\x00\x00\x00\x0ePLAIN AMQPLAIN\x00\x00\x00\x05" "en_US\xce"),
	  .service = "amqp", .product = "RabbitMQ", .version = "3.10.8", .info = "Erlang/OTP 25.2.3" },
	/* an AMQP 1.0 broker (SASL layer) refusing 0-9-1 */
	{ .probe = "amqp-header",
	  RESP("AMQP\x03\x01\x00\x00"),
	  .service = "amqp", .info = "AMQP 1.0" },
	/* prosody, Debian 12: no caps before TLS */
	{ .probe = "xmpp-client",
	  RESP("<\?xml version='1.0'\?><stream:stream xmlns='jabber:client"
	       "' xml:lang='en' id='a7c2f0e4-5b0e-4b8e-9a37-0b8a3e1c2d4f"
	       "' version='1.0' xmlns:stream='http://etherx.jabber.org/s"
	       "treams' from='localhost'><stream:features><starttls xmln"
	       "s='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttl"
	       "s></stream:features>"),
	  .service = "xmpp-client", .hostname = "localhost" },
	{ .probe = "xmpp-client",
	  RESP("<\?xml version='1.0'\?><stream:stream id='1187420945417013"
	       "561' version='1.0' xml:lang='en' xmlns:stream='http://et"
	       "herx.jabber.org/streams' from='chat.example.org' xmlns='"
	       "jabber:client'><stream:features><c xmlns='http://jabber."
	       "org/protocol/caps' hash='sha-1' node='http://www.process"
	       "-one.net/en/ejabberd/' ver='0bq2DUdd4lGRu2Hvt4RV2fKZx+M="
	       "'/><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></"
	       "stream:features>"),
	  .service = "xmpp-client", .product = "ejabberd", .hostname = "chat.example.org" },
	{ .probe = "xmpp-client",
	  RESP("<\?xml version='1.0' encoding='UTF-8'\?><stream:stream xml"
	       "ns:stream=\"http://etherx.jabber.org/streams\" xmlns=\"jabb"
	       "er:client\" from=\"im.example.com\" id=\"4vbq8wd5ua\" xml:lan"
	       "g=\"en\" version=\"1.0\"><stream:features><starttls xmlns=\"u"
	       "rn:ietf:params:xml:ns:xmpp-tls\"></starttls><mechanisms x"
	       "mlns=\"urn:ietf:params:xml:ns:xmpp-sasl\"><mechanism>PLAIN"
	       "</mechanism></mechanisms><c hash=\"sha-1\" xmlns=\"http://j"
	       "abber.org/protocol/caps\" ver=\"7S9Dz3GZ5uPpT0+vkZ0QGoYJ7M"
	       "c=\" node=\"http://www.igniterealtime.org/projects/openfir"
	       "e/\"/></stream:features>"),
	  .service = "xmpp-client", .product = "Openfire", .hostname = "im.example.com" },
	/* ngircd, Debian 12 */
	{ .probe = "irc-register",
	  RESP(":irc.example.net NOTICE * :*** Looking up your hostname."
	       "..\r\n"
	       ":irc.example.net NOTICE * :*** Could not resolve your ho"
	       "stname: Domain not found; using your IP address (192.0.2"
	       ".1) instead.\r\n"
	       ":irc.example.net 001 portolan :Welcome to the Internet R"
	       "elay Network portolan!~portolan@192.0.2.1\r\n"
	       ":irc.example.net 002 portolan :Your host is irc.example."
	       "net, running version ngircd-26.1 (x86_64/pc/linux-gnu)\r\n"
	       ":irc.example.net 003 portolan :This server has been star"
	       "ted Tue Jan 02 2024 at 10:00:00 (UTC)\r\n"),
	  .service = "irc", .product = "ngircd", .version = "26.1", .hostname = "irc.example.net" },
	{ .probe = "irc-register",
	  RESP(":irc.example.org 001 portolan :Welcome to the ExampleNet"
	       " IRC Network portolan!portolan@192.0.2.1\r\n"
	       ":irc.example.org 002 portolan :Your host is irc.example."
	       "org, running version InspIRCd-3\r\n"),
	  .service = "irc", .product = "InspIRCd", .version = "3", .hostname = "irc.example.org" },
	{ .probe = "irc-register",
	  RESP(":irc.example.org 002 portolan :Your host is irc.example."
	       "org, running version UnrealIRCd-6.1.4\r\n"),
	  .service = "irc", .product = "UnrealIRCd", .version = "6.1.4", .hostname = "irc.example.org" },
	{ .probe = "irc-register",
	  RESP(":irc.example.net NOTICE * :*** Checking Ident\r\n"),
	  .service = "irc", .hostname = "irc.example.net", .soft = true },
	{ .probe = "irc-register",
	  RESP("ERROR :Closing link: (portolan@192.0.2.1) [Registration "
	       "timeout]\r\n"),
	  .service = "irc" },
	{ .probe = "sip-options",
	  RESP("SIP/2.0 200 OK\r\n"
	       "Via: SIP/2.0/TCP portolan.invalid:5060;rport=51234;recei"
	       "ved=192.0.2.1;branch=z9hG4bK-portolan-1\r\n"
	       "Call-ID: portolan-probe-1@portolan.invalid\r\n"
	       "From: <sip:probe@portolan.invalid>;tag=portolan1\r\n"
	       "To: <sip:portolan.invalid>;tag=z9hG4bK-portolan-1\r\n"
	       "CSeq: 1 OPTIONS\r\n"
	       "Accept: application/sdp, application/sdp\r\n"
	       "Allow: OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, IN"
	       "VITE, ACK, BYE, CANCEL, UPDATE, PRACK, MESSAGE, REFER\r\n"
	       "Supported: 100rel, timer, replaces, norefersub\r\n"
	       "Accept-Encoding: identity\r\n"
	       "Accept-Language: en\r\n"
	       "Server: Asterisk PBX 20.5.2\r\n"
	       "Content-Length:  0\r\n"
	       "\r\n"),
	  .service = "sip", .product = "Asterisk", .version = "20.5.2" },
	{ .probe = "sip-options",
	  RESP("SIP/2.0 404 Not Here\r\n"
	       "Via: SIP/2.0/TCP portolan.invalid:5060;rport=51234;recei"
	       "ved=192.0.2.1;branch=z9hG4bK-portolan-1\r\n"
	       "Call-ID: portolan-probe-1@portolan.invalid\r\n"
	       "From: <sip:probe@portolan.invalid>;tag=portolan1\r\n"
	       "To: <sip:portolan.invalid>;tag=z9hG4bK-portolan-1\r\n"
	       "CSeq: 1 OPTIONS\r\n"
	       "Server: kamailio (5.6.3 (x86_64/linux))\r\n"
	       "Content-Length: 0\r\n"
	       "\r\n"),
	  .service = "sip", .product = "Kamailio", .version = "5.6.3", .info = "x86_64/linux" },
	{ .probe = "sip-options",
	  RESP("SIP/2.0 200 OK\r\n"
	       "Via: SIP/2.0/TCP portolan.invalid:5060;rport=51234;recei"
	       "ved=192.0.2.1;branch=z9hG4bK-portolan-1\r\n"
	       "Call-ID: portolan-probe-1@portolan.invalid\r\n"
	       "From: <sip:probe@portolan.invalid>;tag=portolan1\r\n"
	       "To: <sip:portolan.invalid>;tag=z9hG4bK-portolan-1\r\n"
	       "CSeq: 1 OPTIONS\r\n"
	       "Contact: <sip:192.0.2.10:5060;transport=tcp>\r\n"
	       "User-Agent: FreeSWITCH-mod_sofia/1.10.9-release~64bit\r\n"
	       "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n"
	       "Content-Length: 0\r\n"
	       "\r\n"),
	  .service = "sip", .product = "FreeSWITCH", .version = "1.10.9", .info = "64bit" },
	{ .probe = "sip-options",
	  RESP("SIP/2.0 401 Unauthorized\r\n"
	       "Via: SIP/2.0/TCP portolan.invalid:5060;rport=51234;recei"
	       "ved=192.0.2.1;branch=z9hG4bK-portolan-1\r\n"
	       "Call-ID: portolan-probe-1@portolan.invalid\r\n"
	       "From: <sip:probe@portolan.invalid>;tag=portolan1\r\n"
	       "To: <sip:portolan.invalid>;tag=z9hG4bK-portolan-1\r\n"
	       "CSeq: 1 OPTIONS\r\n"
	       "WWW-Authenticate: Digest realm=\"asterisk\",nonce=\"1704189"
	       "600/abc\",opaque=\"0123\",algorithm=MD5,qop=\"auth\"\r\n"
	       "Content-Length: 0\r\n"
	       "\r\n"),
	  .service = "sip" },
	/* bind9, Debian 12 */
	{ .probe = "dns-version-bind",
	  RESP("\x00QPL\x84\x00\x00\x01\x00\x01\x00\x01\x00\x00\x07version\x04" "bind\x00\x00\x10\x00\x03\xc0\x0c\x00\x10\x00\x03\x00\x00\x00\x00\x00\x19\x18" "9.18.28-1~d"
	       "eb12u2-Debian\xc0\x0c\x00\x02\x00\x03\x00\x00\x00\x00\x00\x02\xc0\x0c"),
	  .service = "domain", .product = "ISC BIND", .version = "9.18.28", .info = "1~deb12u2-Debian" },
	/* unbound, Debian 12 */
	{ .probe = "dns-version-bind",
	  RESP("\x00" "9PL\x84\x00\x00\x01\x00\x01\x00\x00\x00\x00\x07version\x04" "bind\x00\x00\x10\x00\x03\xc0\x0c\x00\x10\x00\x03\x00\x00\x00\x00\x00\x0f\x0eunbound 1.1"
	       "7.1"),
	  .service = "domain", .product = "Unbound", .version = "1.17.1" },
	/* dnsmasq, Debian 12 */
	{ .probe = "dns-version-bind",
	  RESP("\x00" "7PL\x84\x00\x00\x01\x00\x01\x00\x00\x00\x00\x07version\x04" "bind\x00\x00\x10\x00\x03\xc0\x0c\x00\x10\x00\x03\x00\x00\x00\x00\x00\r\x0c" "dnsmasq-2.8"
	       "9"),
	  .service = "domain", .product = "dnsmasq", .version = "2.89" },
	{ .probe = "dns-version-bind",
	  RESP("\x00qPL\x84\x00\x00\x01\x00\x01\x00\x00\x00\x00\x07version\x04" "bind\x00\x00\x10\x00\x03\xc0\x0c\x00\x10\x00\x03\x00\x00\x00\x00\x00GFPowerDNS Re"
	       "cursor 4.8.4 (built Jan  1 2024 00:00:00 by root@localho"
	       "st)"),
	  .service = "domain", .product = "PowerDNS Recursor", .version = "4.8.4" },
	{ .probe = "dns-version-bind",
	  RESP("\x00" "9PL\x84\x00\x00\x01\x00\x01\x00\x00\x00\x00\x07version\x04" "bind\x00\x00\x10\x00\x03\xc0\x0c\x00\x10\x00\x03\x00\x00\x00\x00\x00\x0f\x0eKnot DNS 3."
	       "2.6"),
	  .service = "domain", .product = "Knot DNS", .version = "3.2.6" },
	{ .probe = "dns-version-bind",
	  RESP("\x00@PL\x84\x00\x00\x01\x00\x01\x00\x00\x00\x00\x07version\x04" "bind\x00\x00\x10\x00\x03\xc0\x0c\x00\x10\x00\x03\x00\x00\x00\x00\x00\x16\x15none of you"
	       "r business"),
	  .service = "domain", .info = "version.bind: none of your business" },
	/* REFUSED */
	{ .probe = "dns-version-bind",
	  RESP("\x00\x1ePL\x80\x05\x00\x01\x00\x00\x00\x00\x00\x00\x07version\x04" "bind\x00\x00\x10\x00\x03"),
	  .service = "domain" },
	/* slapd, Debian 12 */
	{ .probe = "ldap-bind",
	  RESP("0\x0c\x02\x01\x01" "a\x07\n"
	       "\x01\x00\x04\x00\x04\x00"),
	  .service = "ldap", .info = "anonymous bind accepted" },
	/* Active Directory, long-form lengths */
	{ .probe = "ldap-bind",
	  RESP("0\x84\x00\x00\x00\x10\x02\x01\x01" "a\x84\x00\x00\x00\x07\n"
	       "\x01\x00\x04\x00\x04\x00"),
	  .service = "ldap", .info = "anonymous bind accepted" },
	/* unwillingToPerform */
	{ .probe = "ldap-bind",
	  RESP("0\x0c\x02\x01\x01" "a\x07\n"
	       "\x01" "5\x04\x00\x04\x00"),
	  .service = "ldap" },
	/* samba, Debian 12 */
	{ .probe = "smb2-negotiate",
	  RESP("\x00\x00\x00\xf8\xfeSMB@\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xfe\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	       "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" "A\x00\x01\x00\x02\x03\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n"
	       "\x0b\x0c\r\x0e\x0f/\x00\x00\x00\x00\x00\x80\x00\x00\x00\x80\x00\x00\x00\x80\x00\x00\x10\x8e[o=\xda\x01\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00x\x00\x00\x00\x00\x00`t\x06\x06+\x06\x01\x05\x05\x02\xa0"
	       "j0h\xa0<0:\x06\n"
	       "+\x06\x01\x04\x01\x82" "7\x02\x02\n"
	       "\x06\t*\x86H\x82\xf7\x12\x01\x02\x02\x06\t*\x86H\x86\xf7\x12\x01\x02\x02\x06\n"
	       "*\x86H\x86\xf7\x12\x01\x02\x02\x03\x06\n"
	       "+\x06\x01\x04\x01\x82" "7\x02\x02\x1e\xa3(0&\xa0$\x1b\"not_defined_in_RFC4178@please_ignore"),
	  .service = "microsoft-ds", .info = "SMB 3.0.2" },
	{ .probe = "smb2-negotiate",
	  RESP("\x00\x00\x00\xf8\xfeSMB@\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xfe\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	       "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" "A\x00\x01\x00\x10\x02\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n"
	       "\x0b\x0c\r\x0e\x0f/\x00\x00\x00\x00\x00\x80\x00\x00\x00\x80\x00\x00\x00\x80\x00\x00\x10\x8e[o=\xda\x01\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00x\x00\x00\x00\x00\x00`t\x06\x06+\x06\x01\x05\x05\x02\xa0"
	       "j0h\xa0<0:\x06\n"
	       "+\x06\x01\x04\x01\x82" "7\x02\x02\n"
	       "\x06\t*\x86H\x82\xf7\x12\x01\x02\x02\x06\t*\x86H\x86\xf7\x12\x01\x02\x02\x06\n"
	       "*\x86H\x86\xf7\x12\x01\x02\x02\x03\x06\n"
	       "+\x06\x01\x04\x01\x82" "7\x02\x02\x1e\xa3(0&\xa0$\x1b\"not_defined_in_RFC4178@please_ignore"),
	  .service = "microsoft-ds", .info = "SMB 2.1" },
	/* git daemon, Debian 12 */
	{ .probe = "git-upload-pack",
	  RESP("0036ERR access denied or repository not exported: /"),
	  .service = "git", .info = "access denied" },
	{ .probe = "git-upload-pack",
	  RESP("01033f2c0a4e6b1d9c8e7f6a5b4c3d2e1f0a9b8c7d6e HEAD\x00multi_"
	       "ack thin-pack side-band side-band-64k ofs-delta shallow "
	       "deepen-since deepen-not deepen-relative no-progress incl"
	       "ude-tag multi_ack_detailed symref=HEAD:refs/heads/main o"
	       "bject-format=sha1 agent=git/2.39.5\n"
	       "0000"),
	  .service = "git", .product = "git daemon", .version = "2.39.5" },
	/* Windows with NLA */
	{ .probe = "rdp-x224",
	  RESP("\x03\x00\x00\x13\x0e\xd0\x00\x00\x12" "4\x00\x02\x1f\x08\x00\x02\x00\x00\x00"),
	  .service = "ms-wbt-server", .info = "CredSSP" },
	/* xrdp, Debian 12 */
	{ .probe = "rdp-x224",
	  RESP("\x03\x00\x00\x13\x0e\xd0\x00\x00\x12" "4\x00\x02\x00\x08\x00\x01\x00\x00\x00"),
	  .service = "ms-wbt-server", .info = "TLS" },
	{ .probe = "rdp-x224",
	  RESP("\x03\x00\x00\x13\x0e\xd0\x00\x00\x12" "4\x00\x03\x00\x08\x00\x05\x00\x00\x00"),
	  .service = "ms-wbt-server", .info = "negotiation failure" },
	/* old server: no negotiation response */
	{ .probe = "rdp-x224",
	  RESP("\x03\x00\x00\x0b\x06\xd0\x00\x00\x12" "4\x00"),
	  .service = "ms-wbt-server" },
	/* Xorg/Xvfb with access control off */
	{ .probe = "x11-setup",
	  RESP("\x01\x00\x0b\x00\x00\x00\x11\x00\x90\xa5\xb8\x00\x00\x00@\x00\xff\xff\x1f\x00\x00\x01\x00\x00\x14\x00\xff\xff\x01\x07\x00\x00  \x08\xff\x00\x00\x00\x00The X.Org Founda"
	       "tion\x01\x01 \x00\x00\x00\x00\x00\x04\x08 \x00\x00\x00\x00\x00"),
	  .service = "x11", .product = "X.Org X server", .info = "access granted" },
	{ .probe = "x11-setup",
	  RESP("\x00@\x0b\x00\x00\x00\x10\x00" "Authorization required, but no authorization pro"
	       "tocol specified\n"),
	  .service = "x11", .info = "access denied: Authorization required" },
	/* issue 17's daemons, Debian 12 (tests/daemons) */
	/* slapd 2.5.13: the root DSE (ldap-rootdse), then SearchResultDone */
	{ .probe = "ldap-rootdse",
	  RESP("00\x02\x01\x02" "d+\x04\x00" "0'0%\x04\x0bobjectClass1\x16\x04\x03top\x04\x0fOpenLDAProotDSE"
	       "0\x0c\x02\x01\x02" "e\x07\n\x01\x00\x04\x00\x04\x00"),
	  .service = "ldap", .product = "OpenLDAP" },
	/* a server that lists no OpenLDAProotDSE: LDAP, nothing more */
	{ .probe = "ldap-rootdse",
	  RESP("0\x0c\x02\x01\x02" "e\x07\n\x01\x00\x04\x00\x04\x00"),
	  .service = "ldap" },
	/* privoxy 3.0.34 answers an origin-form request with its own phrase
	 * (soft), then the http-proxy probe's error page (abridged) */
	{ .probe = "http-get",
	  RESP("HTTP/1.1 400 Invalid header received from client\r\nContent-Type: text/plain\r\nConnection: close\r\n"
	       "\r\nInvalid header received from client.\n"),
	  .service = "http-proxy", .product = "Privoxy", .soft = true },
	{ .probe = "http-proxy",
	  RESP("HTTP/1.0 404 No such domain\r\nContent-Length: 6519\r\nContent-Type: text/html\r\nCache-Control: no-cache\r\n"
	       "Last-Modified: Wed, 08 Jun 1955 12:00:00 GMT\r\nConnection: close\r\n\r\n<html>\n<head>\n"
	       "  <title>502 - Bad Gateway (Privoxy@localhost)</title>\n</head>\n<body>\n"
	       "          This is <a href=\"https://www.privoxy.org/\">Privoxy</a> 3.0.34 on localhost (127.0.0.1), port 28118\n"),
	  .service = "http-proxy", .product = "Privoxy", .version = "3.0.34" },
	/* the headers alone (Privoxy may send them first): soft, read on */
	{ .probe = "http-proxy",
	  RESP("HTTP/1.0 404 No such domain\r\nContent-Length: 6519\r\nContent-Type: text/html\r\nCache-Control: no-cache\r\n"
	       "Last-Modified: Wed, 08 Jun 1955 12:00:00 GMT\r\nConnection: close\r\n\r\n"),
	  .service = "http-proxy", .product = "Privoxy", .soft = true },
	/* haproxy 2.6.12, no server in the backend */
	{ .probe = "http-get",
	  RESP("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n"
	       "connection: close\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n"
	       "</body></html>\n"),
	  .service = "http", .product = "HAProxy" },
	/* icecast2 2.4.4 */
	{ .probe = "http-get",
	  RESP("HTTP/1.0 404 File Not Found\r\nServer: Icecast 2.4.4\r\nConnection: Close\r\nDate: Sun, 06 Dec 2026 15:53:15 GMT\r\n"
	       "Content-Type: text/html; charset=utf-8\r\n\r\n<html><head><title>Error 404</title></head>"),
	  .service = "http", .product = "Icecast", .version = "2.4.4" },
	/* zabbix-agent 6.0.14 */
	{ .probe = "zabbix-agent-version",
	  RESP("ZBXD\x01\x06\x00\x00\x00\x00\x00\x00\x00" "6.0.14"),
	  .service = "zabbix-agent", .product = "Zabbix agent", .version = "6.0.14" },
	{ .probe = "zabbix-agent-version",
	  RESP("ZBXD\x01\x10\x00\x00\x00\x00\x00\x00\x00ZBX_NOTSUPPORTED"),
	  .service = "zabbix-agent", .product = "Zabbix agent" },
	/* a length that is not 8 bytes: nothing */
	{ .probe = "zabbix-agent-version",
	  RESP("ZBXD\x01\x06\x00\x00" "6.0.14") },
	/* beanstalkd 1.12: stats (abridged), and its answer to HTTP (soft) */
	{ .probe = "beanstalkd-stats",
	  RESP("OK 63\r\n---\ncurrent-jobs-urgent: 0\npid: 7717\nversion: \"1.12\"\nrusage-utime: 0.010028\n\r\n"),
	  .service = "beanstalkd", .product = "beanstalkd", .version = "1.12" },
	{ .probe = "http-get",
	  RESP("UNKNOWN_COMMAND\r\nUNKNOWN_COMMAND\r\nUNKNOWN_COMMAND\r\nUNKNOWN_COMMAND\r\n"),
	  .service = "beanstalkd", .soft = true },
	/* gearman-job-server 1.1.20+ds */
	{ .probe = "gearman-version",
	  RESP("OK 1.1.20+ds\n"),
	  .service = "gearman", .product = "gearmand", .version = "1.1.20" },
	{ .probe = "http-get",
	  RESP("ERR UNKNOWN_COMMAND Unknown+server+commandGET\r\nERR UNKNOWN_COMMAND Unknown+server+commandUser-Agent:\r\n"),
	  .service = "gearman", .product = "gearmand", .soft = true },
	/* redis-sentinel 7.0.15: no GET (soft), INFO server says the mode */
	{ .probe = "http-get",
	  RESP("-ERR unknown command 'GET', with args beginning with: '/' 'HTTP/1.0' \r\n"),
	  .service = "redis", .soft = true },
	{ .probe = "redis-info",
	  RESP("$632\r\n# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\n"
	       "redis_build_id:ae4d7c971a948f0\r\nredis_mode:sentinel\r\nos:Linux 6.1.0-28-amd64 x86_64\r\narch_bits:64\r\n"),
	  .service = "redis", .product = "Redis", .version = "7.0.15", .info = "sentinel", .os = "Linux 6.1.0-28-amd64 x86_64" },
	/* ngircd 26.1 told HTTP (soft; irc-register finds the version) */
	{ .probe = "http-get",
	  RESP("ERROR :\"Oops, HTTP request received? This is IRC!\"\r\n"),
	  .service = "irc", .product = "ngircd", .soft = true },
	/* subversion 1.14.2 svnserve */
	{ .probe = "banner",
	  RESP("( success ( 2 2 ( ) ( edit-pipeline svndiff1 accepts-svndiff2 absent-entries commit-revprops depth "
	       "log-revprops atomic-revprops partial-replay inherited-props ephemeral-txnprops file-revs-reverse list ) ) ) "),
	  .service = "svn", .product = "Subversion svnserve", .info = "protocol 2-2" },
	/* rsync, this Debian 12's (security update): protocol 32 */
	{ .probe = "banner",
	  RESP("@RSYNCD: 32.0 sha512 sha256 sha1 md5 md4\n"),
	  .service = "rsync", .product = "rsync", .info = "protocol 32.0" },
	/* nut-server 2.8.0 */
	{ .probe = "nut-ver",
	  RESP("Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/\n"),
	  .service = "nut", .product = "NUT upsd", .version = "2.8.0" },
};

static struct probe_db *db;

static int load_probes(void **state)
{
	GError *err = NULL;

	(void)state;
	db = probe_db_load_dir(PROBES_DIR, &err);
	if (!db) {
		fprintf(stderr, "cannot load %s: %s\n", PROBES_DIR, err->message);
		g_error_free(err);
		return -1;
	}
	return 0;
}

static int free_probes(void **state)
{
	(void)state;
	probe_db_free(db);
	db = NULL;
	return 0;
}

static const struct probe *find_probe(const struct probe_db *d, const char *name)
{
	const struct probe *all[256];
	size_t n = probe_db_order(d, 0, NULL, all, G_N_ELEMENTS(all));

	for (size_t i = 0; i < n; i++) {
		if (strcmp(probe_name(all[i]), name) == 0)
			return all[i];
	}
	return NULL;
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Checks one recorded reply; prints what differs and returns false. */
static bool check_recorded(const struct recorded *r, size_t idx, bool quiet)
{
	const struct probe *p = find_probe(db, r->probe);
	struct service_match m = { 0 };
	bool hit, ok = true;

	if (!p) {
		fprintf(stderr, "recorded[%zu]: no probe '%s'\n", idx, r->probe);
		return false;
	}
	hit = probe_match(p, (const uint8_t *)r->resp, r->len, &m);
	if (!r->service) {
		if (hit && !quiet)
			fprintf(stderr, "recorded[%zu] (%s): expected no match, got %s/%s\n",
				idx, r->probe, m.service, m.product ? m.product : "-");
		service_match_clear(&m);
		return !hit;
	}
	if (!hit) {
		if (!quiet)
			fprintf(stderr, "recorded[%zu] (%s): expected %s, no match\n", idx,
				r->probe, r->service);
		return false;
	}
	ok = same(m.service, r->service) && same(m.product, r->product) &&
	     same(m.version, r->version) && same(m.hostname, r->hostname) &&
	     same(m.os_hint, r->os) && m.soft == r->soft &&
	     (!r->info || (m.info && strstr(m.info, r->info)));
	if (!ok && !quiet)
		fprintf(stderr, "recorded[%zu] (%s):\n"
			"  want service=%s product=%s version=%s info~%s hostname=%s os=%s soft=%d\n"
			"  got  service=%s product=%s version=%s info=%s hostname=%s os=%s soft=%d\n",
			idx, r->probe, r->service, r->product, r->version, r->info,
			r->hostname, r->os, r->soft, m.service, m.product, m.version,
			m.info, m.hostname, m.os_hint, m.soft);
	service_match_clear(&m);
	return ok;
}

static void test_recorded_replies(void **state)
{
	size_t failed = 0;

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(recorded); i++) {
		if (!check_recorded(&recorded[i], i, false))
			failed++;
	}
	if (failed)
		fprintf(stderr, "%zu of %zu recorded replies failed\n", failed,
			G_N_ELEMENTS(recorded));
	assert_int_equal(failed, 0);
}

/* Every probe in probes/ has at least one recorded reply it matches. */
static void test_every_probe_has_a_recording(void **state)
{
	const struct probe *all[256];
	size_t n = probe_db_order(db, 0, NULL, all, G_N_ELEMENTS(all));

	(void)state;
	assert_true(n >= 20);
	for (size_t i = 0; i < n; i++) {
		bool found = false;

		for (size_t j = 0; j < G_N_ELEMENTS(recorded) && !found; j++)
			found = recorded[j].service &&
				strcmp(recorded[j].probe, probe_name(all[i])) == 0;
		if (!found)
			fprintf(stderr, "probe '%s' has no recorded reply\n", probe_name(all[i]));
		assert_true(found);
	}
}

/* At least 30 services are recognised by a hard match. */
static void test_service_coverage(void **state)
{
	GHashTable *services = g_hash_table_new(g_str_hash, g_str_equal);
	guint n;

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(recorded); i++) {
		if (recorded[i].service && !recorded[i].soft)
			g_hash_table_add(services, (gpointer)recorded[i].service);
	}
	n = g_hash_table_size(services);
	g_hash_table_destroy(services);
	assert_true(n >= 30);
}

/* ------------------------------------------------------------------ */
/* Loader errors: each broken file and its exact message.              */

struct bad_file {
	const char *yaml;
	const char *message;    /* exact, or the prefix when prefix is set */
	bool prefix;
};

#define GOOD_MATCH "  matches:\n    - service: x\n      pattern: '^x'\n"

static const struct bad_file bad_files[] = {
	{ .yaml = "- probe: http-get\n  sned: 'GET /'\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:2: probe 'http-get': unknown key 'sned'" },
	{ .yaml = "- probe: x\n" GOOD_MATCH "      prodcut: y\n",
	  .message = "probes/foo.yaml:5: probe 'x': unknown key 'prodcut'" },
	{ .yaml = "- probe: x\n  matches:\n    - service: x\n      pattern: '('\n",
	  .message = "probes/foo.yaml:4: probe 'x': invalid pattern '(': ", .prefix = true },
	{ .yaml = "- probe: x\n  send: a: b\n",
	  .message = "probes/foo.yaml:2:10: YAML syntax error: mapping values are not allowed in this context" },
	{ .yaml = "- probe: x\n  ports: [1, 2\n",
	  .message = "probes/foo.yaml:3:1: YAML syntax error: did not find expected ',' or ']' "
	  "(while parsing a flow sequence at line 2)" },
	{ .yaml = "- probe: x\n  send: '\xff'\n",
	  .message = "probes/foo.yaml:2:10: YAML syntax error: invalid leading UTF-8 octet (#FF)" },
	{ .yaml = "- probe: a\n" GOOD_MATCH "- probe: b\n" GOOD_MATCH "- probe: a\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:9: probe 'a': duplicate probe name (first defined at probes/foo.yaml:1)" },
	{ .yaml = "- send: ''\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:1: probe #1: missing key 'probe'" },
	{ .yaml = "- probe: a\n" GOOD_MATCH "- probe: b\n  send: 'x'\n",
	  .message = "probes/foo.yaml:5: probe 'b': missing key 'matches'" },
	{ .yaml = "- probe: x\n  matches: []\n",
	  .message = "probes/foo.yaml:2: probe 'x': 'matches' is empty" },
	{ .yaml = "- probe: x\n  matches: {service: x, pattern: x}\n",
	  .message = "probes/foo.yaml:2: probe 'x': 'matches' must be a sequence, not a mapping" },
	{ .yaml = "- probe: x\n  send: 'a\\qb'\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:2: probe 'x': bad escape '\\q' in 'send'" },
	{ .yaml = "- probe: x\n  send: 'a\\x4'\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:2: probe 'x': bad escape in 'send': \\x needs two hex digits" },
	{ .yaml = "- probe: x\n  send: 'a\\'\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:2: probe 'x': 'send' ends with a lone backslash" },
	{ .yaml = "- probe: x\n  send: \"\\xff\"\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:2: probe 'x': non-ASCII character in 'send' (write bytes as \\xNN)" },
	{ .yaml = "- probe: x\n  ports: [80,\n    70000]\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:3: probe 'x': bad port '70000' (use 1-65535 or a range 'low-high')" },
	{ .yaml = "- probe: x\n  ports: [0]\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:2: probe 'x': bad port '0' (use 1-65535 or a range 'low-high')" },
	{ .yaml = "- probe: x\n  ports: [\"90-80\"]\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:2: probe 'x': bad port '90-80' (use 1-65535 or a range 'low-high')" },
	{ .yaml = "- probe: x\n  ports: [http]\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:2: probe 'x': bad port 'http' (use 1-65535 or a range 'low-high')" },
	{ .yaml = "- probe: x\n  ports: 80\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:2: probe 'x': 'ports' must be a sequence, not a scalar" },
	{ .yaml = "- probe: x\n  ports: [[80]]\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:2: probe 'x': 'ports' must be a scalar, not a sequence" },
	{ .yaml = "- probe: x\n  wait_ms: 0\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:2: probe 'x': wait_ms '0' out of range (1-30000)" },
	{ .yaml = "- probe: x\n  wait_ms: 30001\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:2: probe 'x': wait_ms '30001' out of range (1-30000)" },
	{ .yaml = "- probe: x\n  wait_ms: -5\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:2: probe 'x': wait_ms '-5' out of range (1-30000)" },
	{ .yaml = "- probe: x\n  fresh: maybe\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:2: probe 'x': 'fresh' must be true or false" },
	{ .yaml = "- probe: x\n  protocol: udp\n  ports: [69]\n  send: 'x'\n"
		  "  reply_from: any-port\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:5: probe 'x': reply_from 'any-port': expected same_port or any_port" },
	{ .yaml = "- probe: x\n  protocol: udp\n  ports: [69]\n  send: 'x'\n"
		  "  reply_from: [any_port]\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:5: probe 'x': 'reply_from' must be a scalar, not a sequence" },
	{ .yaml = "- probe: x\n  send: 'x'\n  reply_from: any_port\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:3: probe 'x': 'reply_from: any_port' needs 'protocol: udp'" },
	{ .yaml = "probe: x\nsend: y\n",
	  .message = "probes/foo.yaml:1: a probe file must be a sequence of probes, not a mapping" },
	{ .yaml = "- just a string\n",
	  .message = "probes/foo.yaml:1: probe #1: a probe must be a mapping, not a scalar" },
	{ .yaml = "",
	  .message = "probes/foo.yaml:1: no probes: a probe file is a YAML sequence of probes" },
	{ .yaml = "# nothing but a comment\n\n",
	  .message = "probes/foo.yaml:1: no probes: a probe file is a YAML sequence of probes" },
	{ .yaml = "[]\n",
	  .message = "probes/foo.yaml:1: no probes: the sequence is empty" },
	{ .yaml = "- probe: x\n  matches:\n    - service: x\n",
	  .message = "probes/foo.yaml:3: probe 'x': match without 'pattern'" },
	{ .yaml = "- probe: x\n  matches:\n    - pattern: x\n",
	  .message = "probes/foo.yaml:3: probe 'x': match without 'service'" },
	{ .yaml = "- probe: x\n  matches:\n    - service: X Y\n      pattern: x\n",
	  .message = "probes/foo.yaml:3: probe 'x': bad service name 'X Y' (use a-z, 0-9, '-', '_', '.', '/')" },
	{ .yaml = "- probe: x\n  matches:\n    - service: x\n      pattern: ''\n",
	  .message = "probes/foo.yaml:4: probe 'x': empty pattern" },
	{ .yaml = "- probe: x\n  matches:\n    - service: x\n      pattern: \"a\\0b\"\n",
	  .message = "probes/foo.yaml:4: probe 'x': 'pattern' contains a NUL character" },
	{ .yaml = "- probe: x\n" GOOD_MATCH "      flags: [caseless, fast]\n",
	  .message = "probes/foo.yaml:5: probe 'x': unknown flag 'fast' (caseless, dotall, multiline, extended, ungreedy)" },
	{ .yaml = "- probe: x\n" GOOD_MATCH "      flags: caseless\n",
	  .message = "probes/foo.yaml:5: probe 'x': 'flags' must be a sequence, not a scalar" },
	{ .yaml = "- probe: x\n" GOOD_MATCH "      version: \"$1\"\n",
	  .message = "probes/foo.yaml:5: probe 'x': 'version' uses $1 but the pattern has 0 groups" },
	{ .yaml = "- probe: x\n  matches:\n    - service: x\n      pattern: '(a)(b)'\n      info: \"$3\"\n",
	  .message = "probes/foo.yaml:5: probe 'x': 'info' uses $3 but the pattern has 2 groups" },
	{ .yaml = "- probe: x\n" GOOD_MATCH "      product: \"a $x\"\n",
	  .message = "probes/foo.yaml:5: probe 'x': bad template in 'product': '$' must be followed by 1-9 or '$'" },
	{ .yaml = "- probe: x\n" GOOD_MATCH "      soft: yes\n",
	  .message = "probes/foo.yaml:5: probe 'x': 'soft' must be true or false" },
	{ .yaml = "- probe: x\n" GOOD_MATCH "      product: [a]\n",
	  .message = "probes/foo.yaml:5: probe 'x': 'product' must be a scalar, not a sequence" },
	{ .yaml = "- probe: x\n  send: a\n  send: b\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:3: probe 'x': duplicate key 'send'" },
	{ .yaml = "- probe: x\n  ? [a]\n  : b\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:2: probe 'x': probe keys must be scalars, not a sequence" },
	{ .yaml = "- probe: has space\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:1: probe #1: bad probe name (use 1-64 of A-Z, a-z, 0-9, '-', '_', '.', '/')" },
	{ .yaml = "- probe: [x]\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:1: probe #1: bad probe name (use 1-64 of A-Z, a-z, 0-9, '-', '_', '.', '/')" },
	{ .yaml = "- &p probe: x\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:1: YAML anchors are not supported" },
	{ .yaml = "- probe: x\n  matches: *m\n",
	  .message = "probes/foo.yaml:2: YAML aliases are not supported" },
	{ .yaml = "--- [a]\n--- [b]\n",
	  .message = "probes/foo.yaml:2: only one YAML document per file" },
	{ .yaml = "- [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
	  .message = "probes/foo.yaml:1: YAML nested deeper than 16 levels" },
	/* Quoted user text: bytes outside printable ASCII as text_printable()
	 * shows them, printable ASCII (backslashes too) as written, and long
	 * text cut after 80 bytes. */
	{ .yaml = "- probe: x\n  \"a\\x01b\\u00e9\": 1\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:2: probe 'x': unknown key 'a\\x01b\u00e9'" },
	{ .yaml = "- probe: x\n  send: 'a\\\xc3\xa9'\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:2: probe 'x': bad escape '\\\\xc3' in 'send'" },
	{ .yaml = "- probe: x\n  matches:\n    - service: x\n      pattern: '(\\d+'\n",
	  .message = "probes/foo.yaml:4: probe 'x': invalid pattern '(\\d+': ", .prefix = true },
	{ .yaml = "- probe: x\n  k123456789k123456789k123456789k123456789k123456789k123456789"
		  "k123456789k123456789k123456789: 1\n" GOOD_MATCH,
	  .message = "probes/foo.yaml:2: probe 'x': unknown key 'k123456789k123456789k123456789"
		     "k123456789k123456789k123456789k123456789k123456789...'" },
};

static void test_loader_errors(void **state)
{
	size_t failed = 0;

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(bad_files); i++) {
		const struct bad_file *b = &bad_files[i];
		struct probe_db *d = probe_db_new();
		GError *err = NULL;
		int rc = probe_db_load_string(d, b->yaml, strlen(b->yaml), "probes/foo.yaml", &err);
		bool ok;

		if (rc == 0) {
			fprintf(stderr, "bad_files[%zu]: loaded, expected: %s\n", i, b->message);
			failed++;
		} else {
			ok = err && err->domain == PL_ERROR && err->code == PL_ERROR_USAGE &&
			     (b->prefix ? g_str_has_prefix(err->message, b->message) &&
					  strlen(err->message) > strlen(b->message)
					: strcmp(err->message, b->message) == 0) &&
			     !strchr(err->message, '\n');
			if (!ok) {
				fprintf(stderr, "bad_files[%zu]:\n  want: %s\n  got:  %s\n", i,
					b->message, err ? err->message : "(no error)");
				failed++;
			}
			assert_int_equal(probe_db_count(d), 0);
		}
		g_clear_error(&err);
		probe_db_free(d);
	}
	assert_int_equal(failed, 0);
}

/* A file that fails leaves the database as it was; names stay unique
 * across files. */
static void test_failed_load_changes_nothing(void **state)
{
	static const char one[] = "- probe: one\n" GOOD_MATCH;
	static const char two_bad[] = "- probe: two\n" GOOD_MATCH "- probe: three\n  wait_ms: 0\n" GOOD_MATCH;
	static const char dup[] = "- probe: four\n" GOOD_MATCH "- probe: one\n" GOOD_MATCH;
	struct probe_db *d = probe_db_new();
	GError *err = NULL;

	(void)state;
	assert_int_equal(probe_db_load_string(d, one, strlen(one), "a.yaml", &err), 0);
	assert_null(err);
	assert_int_equal(probe_db_load_string(d, two_bad, strlen(two_bad), "b.yaml", &err), -1);
	assert_string_equal(err->message, "b.yaml:6: probe 'three': wait_ms '0' out of range (1-30000)");
	g_clear_error(&err);
	assert_int_equal(probe_db_count(d), 1);
	assert_null(find_probe(d, "two"));
	assert_int_equal(probe_db_load_string(d, dup, strlen(dup), "c.yaml", &err), -1);
	assert_string_equal(err->message,
			    "c.yaml:5: probe 'one': duplicate probe name (first defined at a.yaml:1)");
	g_clear_error(&err);
	assert_int_equal(probe_db_count(d), 1);
	assert_null(find_probe(d, "four"));
	probe_db_free(d);
}

static void test_load_file_errors(void **state)
{
	char dir[] = "/tmp/portolan-probe-test-XXXXXX";
	struct probe_db *d;
	GError *err = NULL;
	char *path, *big;
	FILE *f;

	(void)state;
	assert_non_null(g_mkdtemp(dir));

	d = probe_db_load_dir(dir, &err);
	assert_null(d);
	assert_true(g_str_has_suffix(err->message, ": no *.yaml probe files"));
	g_clear_error(&err);

	path = g_build_filename(dir, "missing", NULL);
	assert_null(probe_db_load_dir(path, &err));
	assert_true(g_str_has_prefix(err->message, path));
	g_clear_error(&err);
	d = probe_db_new();
	assert_int_equal(probe_db_load_file(d, path, &err), -1);
	assert_true(g_str_has_prefix(err->message, path));
	g_clear_error(&err);
	assert_int_equal(probe_db_load_file(d, dir, &err), -1);
	assert_true(g_str_has_suffix(err->message, ": not a regular file"));
	g_clear_error(&err);
	g_free(path);

	/* One byte over the 4 MiB bound, as a file and as a string. */
	big = g_malloc(4 * 1024 * 1024 + 1);
	memset(big, '#', 4 * 1024 * 1024 + 1);
	path = g_build_filename(dir, "big.yaml", NULL);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(big, 1, 4 * 1024 * 1024 + 1, f), 4 * 1024 * 1024 + 1);
	fclose(f);
	assert_int_equal(probe_db_load_file(d, path, &err), -1);
	assert_true(strstr(err->message, "file too large") != NULL);
	g_clear_error(&err);
	assert_int_equal(probe_db_load_string(d, big, 4 * 1024 * 1024 + 1, "big", &err), -1);
	assert_true(strstr(err->message, "file too large") != NULL);
	g_clear_error(&err);
	assert_null(probe_db_load_dir(dir, &err));
	assert_true(g_str_has_prefix(err->message, path));
	g_clear_error(&err);
	unlink(path);
	g_free(path);
	g_free(big);

	assert_int_equal(probe_db_count(d), 0);
	probe_db_free(d);
	rmdir(dir);
}

/* ------------------------------------------------------------------ */
/* What a good file loads into.                                        */

static void test_probe_fields(void **state)
{
	static const char yaml[] =
		"- probe: quiet\n"
		"  matches:\n"
		"    - service: a\n"
		"      pattern: '^a'\n"
		"- probe: bytes\n"
		"  send: 'A\\r\\n\\t\\0\\\\\\x7f\\xFF'\n"
		"  wait_ms: 30000\n"
		"  ports: [1, \"10-12\", 65535]\n"
		"  fresh: false\n"
		"  matches:\n"
		"    - service: b\n"
		"      pattern: '^B'\n"
		"      flags: [caseless]\n";
	static const uint8_t want[] = { 'A', '\r', '\n', '\t', 0, '\\', 0x7f, 0xff };
	struct probe_db *d = probe_db_new();
	const struct probe *p, *order[4];
	struct service_match m = { 0 };
	GError *err = NULL;
	const uint8_t *bytes;
	size_t len;

	(void)state;
	assert_int_equal(probe_db_load_string(d, yaml, strlen(yaml), "t.yaml", &err), 0);
	assert_int_equal(probe_db_count(d), 2);

	p = find_probe(d, "quiet");
	bytes = probe_payload(p, &len);
	assert_int_equal(len, 0);
	(void)bytes;
	assert_int_equal(probe_wait_ms(p), 3000);
	assert_true(probe_needs_fresh_connection(p));

	p = find_probe(d, "bytes");
	bytes = probe_payload(p, &len);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(bytes, want, sizeof(want));
	assert_int_equal(probe_wait_ms(p), 30000);
	assert_false(probe_needs_fresh_connection(p));
	assert_true(probe_match(p, (const uint8_t *)"b", 1, &m));
	assert_string_equal(m.service, "b");
	service_match_clear(&m);

	for (unsigned port = 10; port <= 12; port++) {
		assert_int_equal(probe_db_order(d, (uint16_t)port, NULL, order, 4), 2);
		assert_string_equal(probe_name(order[1]), "bytes");
	}
	assert_int_equal(probe_db_order(d, 65535, NULL, order, 4), 2);
	probe_db_free(d);
}

static void test_order(void **state)
{
	static const char yaml[] =
		"- probe: web\n"
		"  send: 'GET'\n"
		"  ports: [80, 8080]\n"
		"  matches: [{service: http, pattern: '^HTTP'}]\n"
		"- probe: mail\n"
		"  send: 'EHLO'\n"
		"  ports: [25]\n"
		"  matches: [{service: smtp, pattern: '^250'}]\n"
		"- probe: alt\n"
		"  send: 'X'\n"
		"  ports: [8080]\n"
		"  matches: [{service: http, pattern: '^X'}, {service: other, pattern: '^Y'}]\n"
		"- probe: banner\n"
		"  send: ''\n"
		"  matches: [{service: ssh, pattern: '^SSH-'}, {service: http, pattern: '^H', soft: true}]\n";
	struct probe_db *d = probe_db_new();
	const struct probe *o[8];
	GError *err = NULL;
	size_t n;

	(void)state;
	assert_int_equal(probe_db_load_string(d, yaml, strlen(yaml), "o.yaml", &err), 0);

	/* The banner first, then the probes listing the port, then the rest. */
	n = probe_db_order(d, 8080, NULL, o, 8);
	assert_int_equal(n, 4);
	assert_string_equal(probe_name(o[0]), "banner");
	assert_string_equal(probe_name(o[1]), "web");
	assert_string_equal(probe_name(o[2]), "alt");
	assert_string_equal(probe_name(o[3]), "mail");

	n = probe_db_order(d, 25, NULL, o, 8);
	assert_int_equal(n, 4);
	assert_string_equal(probe_name(o[0]), "banner");
	assert_string_equal(probe_name(o[1]), "mail");
	assert_string_equal(probe_name(o[2]), "web");
	assert_string_equal(probe_name(o[3]), "alt");

	/* A soft match so far: only probes that can name that service. */
	n = probe_db_order(d, 25, "http", o, 8);
	assert_int_equal(n, 3);
	assert_string_equal(probe_name(o[0]), "banner");
	assert_string_equal(probe_name(o[1]), "web");
	assert_string_equal(probe_name(o[2]), "alt");
	n = probe_db_order(d, 25, "other", o, 8);
	assert_int_equal(n, 1);
	assert_string_equal(probe_name(o[0]), "alt");
	assert_int_equal(probe_db_order(d, 25, "nothing", o, 8), 0);

	/* max bounds the output. */
	assert_int_equal(probe_db_order(d, 8080, NULL, o, 2), 2);
	assert_string_equal(probe_name(o[1]), "web");
	assert_int_equal(probe_db_order(d, 8080, NULL, o, 0), 0);
	probe_db_free(d);

	/* In the real database the banner comes first too, then the port's own. */
	n = probe_db_order(db, 5432, NULL, o, 8);
	assert_true(n >= 3);
	assert_string_equal(probe_name(o[0]), "banner");
	assert_string_equal(probe_name(o[1]), "postgresql-startup");
	n = probe_db_order(db, 443, NULL, o, 8);
	assert_string_equal(probe_name(o[1]), "tls-client-hello");
}

/* ------------------------------------------------------------------ */
/* Templates                                                           */

static void test_templates(void **state)
{
	static const char yaml[] =
		"- probe: t\n"
		"  send: 'x'\n"
		"  matches:\n"
		"    - service: s\n"
		"      pattern: '^A(\\w*)(?:-(\\d+))?:(.*)$'\n"
		"      flags: [dotall]\n"
		"      product: \"  $1  \"\n"
		"      version: \"$2\"\n"
		"      info: \"cost $$5 $3\"\n"
		"      hostname: \"$2$2\"\n"
		"    - service: long\n"
		"      pattern: '^L(.*)'\n"
		"      flags: [dotall]\n"
		"      info: \"$1\"\n";
	static const char resp[] = "Aname:\x01in\tfo\r\n\x80\xff end \x00!";
	struct probe_db *d = probe_db_new();
	struct service_match m = { 0 };
	const struct probe *p;
	GError *err = NULL;
	char *longresp;

	(void)state;
	assert_int_equal(probe_db_load_string(d, yaml, strlen(yaml), "t.yaml", &err), 0);
	p = find_probe(d, "t");

	assert_true(probe_match(p, (const uint8_t *)resp, sizeof(resp) - 1, &m));
	assert_string_equal(m.service, "s");
	assert_string_equal(m.product, "name");      /* trimmed */
	assert_null(m.version);                      /* group 2 did not take part */
	assert_null(m.hostname);                     /* "$2$2": empty */
	/* Controls and high bytes dropped, whitespace folded, NUL removed. */
	assert_string_equal(m.info, "cost $5 in fo end !");
	assert_false(m.soft);
	service_match_clear(&m);

	/* Fields are cut at 256 bytes. */
	longresp = g_malloc(70000);
	memset(longresp, 'z', 70000);
	longresp[0] = 'L';
	assert_true(probe_match(p, (const uint8_t *)longresp, 70000, &m));
	assert_string_equal(m.service, "long");
	assert_int_equal(strlen(m.info), 256);
	service_match_clear(&m);
	g_free(longresp);

	/* No match leaves the result alone. */
	assert_false(probe_match(p, (const uint8_t *)"nope", 4, &m));
	assert_null(m.service);
	service_match_clear(&m);
	service_match_clear(NULL);
	probe_db_free(d);
}

/* ------------------------------------------------------------------ */
/* Hostile replies                                                     */

static void match_everything(const uint8_t *resp, size_t len, bool expect_none)
{
	const struct probe *all[256];
	size_t n = probe_db_order(db, 0, NULL, all, G_N_ELEMENTS(all));

	for (size_t i = 0; i < n; i++) {
		struct service_match m = { 0 };
		bool hit = probe_match(all[i], resp, len, &m);

		if (hit && expect_none)
			fprintf(stderr, "probe '%s' matched a hostile reply as %s\n",
				probe_name(all[i]), m.service);
		if (expect_none)
			assert_false(hit);
		service_match_clear(&m);
	}
}

static void test_hostile_replies(void **state)
{
	const size_t big = 64 * 1024;
	uint8_t *buf = g_malloc(big);
	GRand *rnd = g_rand_new_with_seed(20240102);
	gint64 start;

	(void)state;
	match_everything(NULL, 0, true);
	match_everything((const uint8_t *)"", 0, true);

	memset(buf, 0, big);
	match_everything(buf, 1, true);
	match_everything(buf, big, true);

	for (int round = 0; round < 8; round++) {
		for (size_t i = 0; i < big; i++)
			buf[i] = (uint8_t)g_rand_int_range(rnd, 0, 256);
		match_everything(buf, big, false);
	}

	/* Replies that pass the anchors and then go on for 64 KiB: the lazy
	 * header walks must stay linear. */
	start = g_get_monotonic_time();
	memcpy(buf, "HTTP/1.1 200 OK", 15);
	for (size_t i = 15; i + 1 < big; i += 2)
		memcpy(buf + i, "\r\n", 2);
	match_everything(buf, big, false);
	memcpy(buf, "SIP/2.0 200 OK\r\nServer:", 23);
	for (size_t i = 23; i < big; i++)
		buf[i] = (uint8_t)"\r\nServer: Asterisk PBX "[i % 23];
	match_everything(buf, big, false);
	memset(buf, 0, big);
	memcpy(buf, "\x01\x00\x00\x00\x00\x01\xfc\x00\x0a\x00\x0a\x00\x09", 13);
	for (size_t i = 13; i + 9 < big; i += 9)
		memcpy(buf + i, "\x07product", 8);
	match_everything(buf, big, false);
	memset(buf, ':', big);
	buf[big - 1] = '\n';
	match_everything(buf, big, false);
	assert_true(g_get_monotonic_time() - start < 20 * G_USEC_PER_SEC);

	g_rand_free(rnd);
	g_free(buf);
}

/* ------------------------------------------------------------------ */
/* Concurrent matching                                                 */

struct worker {
	pthread_t thread;
	unsigned seed;
	size_t failures;
};

static void *match_worker(void *arg)
{
	struct worker *w = arg;

	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < G_N_ELEMENTS(recorded); i++) {
			size_t k = (i + w->seed) % G_N_ELEMENTS(recorded);

			if (!check_recorded(&recorded[k], k, true))
				w->failures++;
		}
	}
	return NULL;
}

static void test_concurrent_matching(void **state)
{
	struct worker w[8];

	(void)state;
	for (unsigned i = 0; i < G_N_ELEMENTS(w); i++) {
		w[i].seed = i * 7;
		w[i].failures = 0;
		assert_int_equal(pthread_create(&w[i].thread, NULL, match_worker, &w[i]), 0);
	}
	for (unsigned i = 0; i < G_N_ELEMENTS(w); i++) {
		assert_int_equal(pthread_join(w[i].thread, NULL), 0);
		assert_int_equal(w[i].failures, 0);
	}
}

/* ------------------------------------------------------------------ */
/* The loader on garbage and on mutated real files                     */

static void load_garbage(const char *buf, size_t len)
{
	struct probe_db *d = probe_db_new();
	GError *err = NULL;

	if (probe_db_load_string(d, buf, len, "fuzz.yaml", &err) < 0) {
		assert_non_null(err);
		assert_null(strchr(err->message, '\n'));
		g_clear_error(&err);
	} else {
		assert_null(err);
	}
	probe_db_free(d);
}

static void test_loader_garbage(void **state)
{
	static const char *const names[] = {
		"10-banner.yaml", "20-http.yaml", "40-databases.yaml", "50-messaging.yaml",
	};
	GRand *rnd = g_rand_new_with_seed(42);
	char buf[4096];

	(void)state;
	/* Binary garbage. */
	for (int round = 0; round < 200; round++) {
		size_t len = (size_t)g_rand_int_range(rnd, 0, sizeof(buf));

		for (size_t i = 0; i < len; i++)
			buf[i] = (char)g_rand_int_range(rnd, 0, 256);
		load_garbage(buf, len);
	}
	load_garbage(NULL, 0);
	load_garbage("\0\0\0\0", 4);

	/* Real files with a few bytes flipped, or cut short. */
	for (size_t f = 0; f < G_N_ELEMENTS(names); f++) {
		char *path = g_build_filename(PROBES_DIR, names[f], NULL);
		char *text, *copy;
		gsize len;

		assert_true(g_file_get_contents(path, &text, &len, NULL));
		load_garbage(text, len);
		copy = g_malloc(len + 1);
		for (int round = 0; round < 150; round++) {
			size_t cut = len;

			memcpy(copy, text, len);
			for (int k = g_rand_int_range(rnd, 1, 4); k > 0; k--) {
				static const char pool[] = "-:[]{}'\"\\$()?*&!|>#\n \t0x";
				size_t at = (size_t)g_rand_int_range(rnd, 0, (gint32)len);

				copy[at] = pool[g_rand_int_range(rnd, 0, sizeof(pool) - 1)];
			}
			if (round % 5 == 0)
				cut = (size_t)g_rand_int_range(rnd, 0, (gint32)len);
			load_garbage(copy, cut);
		}
		g_free(copy);
		g_free(text);
		g_free(path);
	}
	g_rand_free(rnd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded_replies),
		cmocka_unit_test(test_every_probe_has_a_recording),
		cmocka_unit_test(test_service_coverage),
		cmocka_unit_test(test_loader_errors),
		cmocka_unit_test(test_failed_load_changes_nothing),
		cmocka_unit_test(test_load_file_errors),
		cmocka_unit_test(test_probe_fields),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_hostile_replies),
		cmocka_unit_test(test_concurrent_matching),
		cmocka_unit_test(test_loader_garbage),
	};

	return cmocka_run_group_tests(tests, load_probes, free_probes);
}
