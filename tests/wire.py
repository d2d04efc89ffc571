"""Gearman's binary protocol over a plain socket, and a look at this process's
own TCP connections: independent of libgearman, for checking what it sends and
how its sockets are set up."""

from __future__ import annotations

import os
import socket
import struct

SUBMIT_JOB = 7
JOB_CREATED = 8
WORK_COMPLETE = 13
SUBMIT_JOB_BG = 18


def request(kind: int, *args: bytes) -> bytes:
    body = b"\0".join(args)
    return struct.pack(">4sII", b"\0REQ", kind, len(body)) + body


def read_exact(sock: socket.socket, size: int) -> bytes:
    buf = bytearray()
    while len(buf) < size:
        chunk = sock.recv(min(size - len(buf), 1 << 20))
        if not chunk:
            raise ConnectionError("peer closed the connection")
        buf += chunk
    return bytes(buf)


def response(sock: socket.socket) -> tuple[int, bytes]:
    """One response packet: (type, body)."""
    magic, kind, size = struct.unpack(">4sII", read_exact(sock, 12))
    assert magic == b"\0RES", magic
    return kind, read_exact(sock, size)


def connections_to(port: int) -> list[socket.socket]:
    """Duplicates of this process's TCP sockets connected to ``port`` (close them)."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            sock = socket.socket(fileno=os.dup(int(name)))
        except OSError:
            continue
        try:
            if sock.type == socket.SOCK_STREAM and sock.getpeername()[1] == port:
                found.append(sock)
                continue
        except OSError:
            pass
        sock.close()
    return found


def options(sock: socket.socket) -> dict[str, int]:
    """The socket options libgearman sets (or, for the buffers, used to set)."""
    on, _ = struct.unpack("ii", sock.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8))
    return {
        "sndbuf": sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF),
        "rcvbuf": sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
        "nodelay": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY),
        "keepalive": sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
        "linger": on,
    }
