"""Plain-socket reference for bench/payloads.py; same arguments as bench/c/gearman_bench.c
(THREADS must be 1, PRIORITY normal|high|low, UNIQUE ignored: every job gets its own).

A Python socket with the kernel's default (autotuned) buffers and TCP_NODELAY
(as libgearman sets it) speaks gearman's binary protocol itself: ``do`` sends one
SUBMIT_JOB_BG and reads its JOB_CREATED before the next; ``batch`` sends BATCH
of them back to back, then reads the BATCH JOB_CREATED replies.  It is what the
wire and gearmand allow, with no client library in the way.
Prints {"jobs": N, "seconds": wall time of the submissions, "cpu": process CPU time}.
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import time
import uuid

SUBMIT = {"normal": 18, "high": 32, "low": 34}  # SUBMIT_JOB_BG, _HIGH_BG, _LOW_BG
JOB_CREATED = 8


def read_exact(sock: socket.socket, size: int) -> bytes:
    buf = bytearray()
    while len(buf) < size:
        chunk = sock.recv(size - len(buf))
        if not chunk:
            raise ConnectionError("gearmand closed the connection")
        buf += chunk
    return bytes(buf)


def created(sock: socket.socket) -> None:
    magic, kind, size = struct.unpack(">4sII", read_exact(sock, 12))
    read_exact(sock, size)
    if magic != b"\0RES" or kind != JOB_CREATED:
        sys.exit(f"expected JOB_CREATED, got {magic!r} type {kind}")


def send_job(sock: socket.socket, kind: int, unique: bytes, payload: bytes) -> None:
    head = b"bench\0" + unique + b"\0"
    sock.sendall(struct.pack(">4sII", b"\0REQ", kind, len(head) + len(payload)) + head)
    sock.sendall(payload)


def main() -> None:
    host, port, mode, jobs_s, size, priority, _unique, _threads, batch_s = sys.argv[1:10]
    jobs, batch, kind = int(jobs_s), int(batch_s), SUBMIT[priority]
    payload = b"x" * int(size)
    prefix = str(uuid.uuid4())[:24].encode()
    sock = socket.create_connection((host, int(port)))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    send_job(sock, kind, prefix + b"warm", b"x")  # connect and warm up before the clock starts
    created(sock)
    start, cpu_start = time.perf_counter(), time.process_time()
    if mode == "do":
        for n in range(jobs):
            send_job(sock, kind, prefix + b"%012x" % n, payload)
            created(sock)
    else:
        for first in range(0, jobs, batch):
            last = min(first + batch, jobs)
            for n in range(first, last):
                send_job(sock, kind, prefix + b"%012x" % n, payload)
            for _ in range(first, last):
                created(sock)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    sock.close()
    print(json.dumps({"jobs": jobs, "seconds": seconds, "cpu": cpu}))


if __name__ == "__main__":
    main()
