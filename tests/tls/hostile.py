#!/usr/bin/env python3
"""tests/tls/hostile.py MODE PORT STATEFILE: a TLS server that misbehaves.

Each connection that opens with a TLS handshake record (others are closed)
gets a real-looking TLS 1.2 ServerHello (so the scanner's
TLS probe matches and its handshake goes on), then, by MODE:

  drip     the Certificate message one byte every 100 ms, forever
  garbage  64 KiB of bytes that are no TLS record
  bigchain a Certificate message announcing ~100 MB, streamed in 64 KiB
           chunks until the client stops reading (never built in memory)
  hang     nothing: the handshake never finishes

STATEFILE receives "connections BYTES_SENT_MAX" after each connection, so
the test can check that the client gave up early. Written for
tests/tls/run; binds 127.0.0.1 only."""
import os
import socket
import struct
import sys
import threading
import time

MODE, PORT, STATE = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
stats = {"connections": 0, "max_sent": 0}


def server_hello():
    body = struct.pack("!H", 0x0303) + os.urandom(32) + b"\x00" + struct.pack("!H", 0xC02F) + b"\x00"
    hs = b"\x02" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs


def record(payload):
    return b"\x16\x03\x03" + struct.pack("!H", len(payload)) + payload


def serve(conn):
    sent = 0
    try:
        conn.settimeout(5)
        try:
            hello = conn.recv(65536)
        except socket.timeout:
            return
        if hello[:2] != b"\x16\x03":
            return  # not TLS: a TLS server closes, as these do

        conn.settimeout(30)
        conn.sendall(server_hello())
        if MODE == "drip":
            # Certificate: 3-byte length of 4000, then one byte at a time.
            msg = b"\x0b\x00\x0f\xa0" + b"\x00\x0f\x9d"
            data = b"\x16\x03\x03\x0f\xa4" + msg + b"\x30" * 4000
            for b in data:
                conn.sendall(bytes([b]))
                sent += 1
                time.sleep(0.1)
        elif MODE == "garbage":
            junk = bytes((i * 37 + 11) & 0xFF for i in range(65536))
            conn.sendall(junk)
            sent += len(junk)
        elif MODE == "bigchain":
            total = 100 * 1024 * 1024
            # The handshake message announces the whole chain; records carry
            # it 16 KiB at a time, as a real server would.
            head = b"\x0b" + struct.pack("!I", total + 3)[1:] + struct.pack("!I", total)[1:]
            chunk = b"\x30" * (16384 - len(head))
            conn.sendall(record(head + chunk))
            sent += 16384
            body = record(b"\x30" * 16384)
            while sent < total:
                conn.sendall(body * 4)
                sent += 4 * 16384
        elif MODE == "hang":
            time.sleep(30)
    except OSError:
        pass
    finally:
        conn.close()
        with lock:
            stats["connections"] += 1
            stats["max_sent"] = max(stats["max_sent"], sent)
            with open(STATE + ".tmp", "w") as f:
                f.write("%d %d\n" % (stats["connections"], stats["max_sent"]))
            os.replace(STATE + ".tmp", STATE)


def main():
    if MODE not in ("drip", "garbage", "bigchain", "hang"):
        sys.exit("hostile.py: unknown mode " + MODE)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", PORT))
    s.listen(16)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
