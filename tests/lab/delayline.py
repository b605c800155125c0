#!/usr/bin/env python3
"""delayline.py: a delay line with jitter between two network namespaces.

The kernel here has no netem, so this relay stands in for it: it creates a
TUN device in each namespace (tunA in the first, tunB in the second; the
caller gives them addresses and routes) and copies every IP packet from one to
the other after a delay drawn uniformly from [DELAY - JITTER, DELAY + JITTER]
milliseconds, independently per packet and per direction (so packets may be
reordered, as on a jittery path). It prints "ready" once both devices exist,
runs until it gets SIGTERM or SIGINT, and removes nothing else: the devices
go with its file descriptors.

Usage: delayline.py NETNS_A NETNS_B DELAY_MS JITTER_MS [SEED]
"""
import ctypes
import fcntl
import heapq
import os
import random
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000

libc = ctypes.CDLL(None, use_errno=True)


def enter_netns(name):
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "setns %s: %s" % (name, os.strerror(e)))
    finally:
        os.close(fd)


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def main():
    if len(sys.argv) not in (5, 6):
        sys.stderr.write(__doc__)
        return 2
    ns_a, ns_b = sys.argv[1], sys.argv[2]
    delay, jitter = float(sys.argv[3]) / 1000.0, float(sys.argv[4]) / 1000.0
    rng = random.Random(int(sys.argv[5]) if len(sys.argv) == 6 else None)
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    enter_netns(ns_a)
    fd_a = open_tun("tunA")
    enter_netns(ns_b)
    fd_b = open_tun("tunB")
    if libc.setns(home, CLONE_NEWNET) != 0:
        return 1
    peer = {fd_a: fd_b, fd_b: fd_a}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    print("ready", flush=True)

    due = []  # (time due, sequence, output fd, packet)
    seq = 0
    while not stop:
        now = time.monotonic()
        while due and due[0][0] <= now:
            _, _, out, pkt = heapq.heappop(due)
            try:
                os.write(out, pkt)
            except OSError:
                pass  # the device's queue is full or it is down: a lost packet
        wait = max(0.0, due[0][0] - now) if due else 0.5
        try:
            ready, _, _ = select.select([fd_a, fd_b], [], [], wait)
        except InterruptedError:
            continue
        for fd in ready:
            for _ in range(256):
                try:
                    pkt = os.read(fd, 65536)
                except BlockingIOError:
                    break
                d = max(0.0, rng.uniform(delay - jitter, delay + jitter))
                seq += 1
                heapq.heappush(due, (time.monotonic() + d, seq, peer[fd], pkt))
    return 0


if __name__ == "__main__":
    sys.exit(main())
