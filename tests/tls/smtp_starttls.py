#!/usr/bin/env python3
"""tests/tls/smtp_starttls.py PORT CERT KEY: a minimal SMTP server offering
STARTTLS (RFC 3207) on 127.0.0.1, for tests/tls/run.

It greets "220 <name> ESMTP Postfix (Debian/GNU)", answers EHLO with
STARTTLS among its extensions, answers STARTTLS with 220 and then speaks
TLS with CERT/KEY (Python's ssl module: OpenSSL underneath, so the
versions are the system's defaults). Inside TLS it answers EHLO and QUIT.
Anything else gets 502. One thread per connection."""
import socket
import ssl
import sys
import threading

PORT, CERT, KEY = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)


def lines(f):
    while True:
        line = f.readline(1024)
        if not line:
            return
        yield line.decode("ascii", "replace").strip()


def serve(conn):
    try:
        conn.settimeout(20)
        f = conn.makefile("rb")
        conn.sendall(b"220 mail.portolan.test ESMTP Postfix (Debian/GNU)\r\n")
        for cmd in lines(f):
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                conn.sendall(b"250-mail.portolan.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
                             b"250-STARTTLS\r\n250 8BITMIME\r\n")
            elif verb == "STARTTLS":
                conn.sendall(b"220 2.0.0 Ready to start TLS\r\n")
                tls = ctx.wrap_socket(conn, server_side=True)
                tf = tls.makefile("rb")
                for c in lines(tf):
                    v = c.split(" ", 1)[0].upper()
                    if v == "EHLO":
                        tls.sendall(b"250-mail.portolan.test\r\n250 8BITMIME\r\n")
                    elif v == "QUIT":
                        tls.sendall(b"221 2.0.0 Bye\r\n")
                        break
                    else:
                        tls.sendall(b"502 5.5.2 Error: command not recognized\r\n")
                return
            elif verb == "QUIT":
                conn.sendall(b"221 2.0.0 Bye\r\n")
                return
            else:
                conn.sendall(b"502 5.5.2 Error: command not recognized\r\n")
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()


def main():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", PORT))
    s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
