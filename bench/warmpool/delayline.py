#!/usr/bin/env python3
"""A point-to-point IP link with a fixed one-way delay, in user space (bench only).

Used by run.sh when the kernel has no netem (CONFIG_NET_SCH_NETEM unset and no module support).
Opens two TUN devices, A and B (created by this process, gone when it exits), and copies every
IP packet read from one to the other after DELAY_US microseconds: each direction is a FIFO with a
constant delay, so packet order is kept. run.sh moves B into the backend's namespace and gives each
end its address.

    delayline.py A_NAME B_NAME DELAY_US MAX_SECONDS

Prints "ready" once both devices exist, then runs until SIGTERM/SIGINT or MAX_SECONDS.
On exit prints counters: packets each way and the lateness of the forwarding (how much later than
due a packet was written), so the real delay can be judged.
"""
import collections
import ctypes
import fcntl
import os
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
PR_SET_TIMERSLACK = 29


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def main():
    a_name, b_name, delay_us, max_s = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    try:  # 1 ns timer slack: select() timeouts then wake close to when asked (default slack is 50 us)
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0)
    except OSError:
        pass
    a = open_tun(a_name)
    b = open_tun(b_name)
    peer = {a: b, b: a}
    queues = {a: collections.deque(), b: collections.deque()}  # read from key, due time + packet
    counts = {a: 0, b: 0}
    late = []  # lateness in us, sampled
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    delay = delay_us / 1e6
    end = time.monotonic() + max_s
    print("ready", flush=True)
    while not stop:
        now = time.monotonic()
        if now >= end:
            break
        for src, q in queues.items():
            while q and q[0][0] <= now:
                due, pkt = q.popleft()
                try:
                    os.write(peer[src], pkt)
                except OSError:
                    pass  # device down or full: the packet is lost, as on a wire
                counts[src] += 1
                if counts[src] % 16 == 0:
                    late.append((now - due) * 1e6)
        heads = [q[0][0] for q in queues.values() if q]
        timeout = max(0.0, min(heads) - time.monotonic()) if heads else 0.2
        try:
            ready, _, _ = select.select([a, b], [], [], timeout)
        except InterruptedError:
            continue
        now = time.monotonic()
        for fd in ready:
            while True:
                try:
                    pkt = os.read(fd, 65536)
                except BlockingIOError:
                    break
                except OSError:
                    break
                queues[fd].append((now + delay, pkt))
    late.sort()
    def pct(p):
        return late[min(len(late) - 1, int(p / 100 * len(late)))] if late else 0.0
    print("delayline packets a_to_b=%d b_to_a=%d lateness_us p50=%.0f p99=%.0f max=%.0f"
          % (counts[a], counts[b], pct(50), pct(99), late[-1] if late else 0.0), flush=True)


if __name__ == "__main__":
    main()
