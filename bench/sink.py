#!/usr/bin/env python3
"""A discard server for bench/tls.sh's bulk workload: reads every connection to its end and appends one line per
connection, "bytes=N secs=S" (S from the first byte to the last), to LOGFILE. With --tls CERT KEY it terminates
TLS itself (the "direct" peer: how fast the client alone can send).

    python3 bench/sink.py PORT LOGFILE [--tls CERT KEY]
"""
import socket
import ssl
import sys
import threading
import time


def serve(conn, log, lock):
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    total = 0
    first = last = None
    try:
        while True:
            n = conn.recv_into(view)
            if n == 0:
                break
            last = time.monotonic()
            if first is None:
                first = last
            total += n
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()
    secs = (last - first) if first is not None else 0.0
    with lock:
        with open(log, 'a') as f:
            f.write(f'bytes={total} secs={secs:.6f}\n')


def main():
    port, log = int(sys.argv[1]), sys.argv[2]
    ctx = None
    if len(sys.argv) > 3 and sys.argv[3] == '--tls':
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[4], sys.argv[5])
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('127.0.0.1', port))
    srv.listen(64)
    lock = threading.Lock()
    while True:
        conn, _ = srv.accept()
        if ctx is not None:
            try:
                conn = ctx.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError):
                conn.close()
                continue
        threading.Thread(target=serve, args=(conn, log, lock), daemon=True).start()


if __name__ == '__main__':
    main()
