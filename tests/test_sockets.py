"""libgearman's sockets keep the kernel's buffer autotuning (gearman_cffi/_sockets.py).

libgearman pins SO_SNDBUF/SO_RCVBUF to 32 KiB, so every large send used to wait
~40 ms per 64 KiB for a delayed ACK.  The buffers are read back with getsockopt
on duplicates of this process's own descriptors; a subprocess with the hook
switched off shows the pinned values, so the checks can tell the two apart.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from c_worker import CWorker
from gearmand import Gearmand
from wire import JOB_CREATED, SUBMIT_JOB, WORK_COMPLETE, connections_to, options, request, response

import gearman_cffi
from gearman_cffi import Client, _sockets

#: libgearman's 32 KiB, as Linux reports a buffer set with setsockopt (doubled).
PINNED = 2 * 32768
MIB = 1 << 20
#: 20 jobs of 1 MiB took ~11 s with the stall (0.55 s each) and take ~0.1 s without.
JOBS, BOUND_S = 20, 5.0
HOOKABLE = sys.platform.startswith("linux") and platform.machine() in ("x86_64", "aarch64", "arm64")
TESTS = Path(__file__).resolve().parent

pytestmark = pytest.mark.skipif(not HOOKABLE, reason="the hook is for ELF Linux on x86_64/aarch64")

PROBE = """
import json, socket, sys
from gearman_cffi import Client, _sockets
from wire import connections_to, options
host, port = sys.argv[1].rsplit(":", 1)
with Client(sys.argv[1], timeout=10) as c:
    c.do_background(sys.argv[2], b"x" * (1 << 20))
    [sock] = connections_to(int(port))
    with socket.create_connection((host, int(port))) as plain:
        default = plain.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    print(json.dumps({"status": _sockets._hook_status(), "default_rcvbuf": default, **options(sock)}))
"""


def client_options(server: Gearmand, fn: str, keep_buffers: bool) -> dict[str, object]:
    """The options of a fresh process's Client connection after a 1 MiB job."""
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    env.pop(_sockets.KEEP_ENV, None)
    if keep_buffers:
        env[_sockets.KEEP_ENV] = "1"
    out = subprocess.run([sys.executable, "-c", PROBE, server.address, fn], env=env, check=True,
                         capture_output=True, text=True, timeout=60).stdout  # fmt: skip
    result: dict[str, object] = json.loads(out)
    return result


def test_hook_is_active() -> None:
    assert _sockets._autotuned_buffers(), _sockets._hook_status()
    assert _sockets._hook_status().startswith("active")
    assert _sockets.install() == gearman_cffi.lib.gearman_cffi_sockets_state() > 0  # once only


def test_client_connection_is_autotuned(gearmand: Gearmand, fn: str) -> None:
    dropped = gearman_cffi.lib.gearman_cffi_sockets_skipped()
    with Client(gearmand.address, timeout=10) as client:
        client.do_background(fn, b"x" * MIB)
        socks = connections_to(gearmand.port)
        with socket.create_connection((gearmand.host, gearmand.port)) as plain:
            default_rcvbuf = plain.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        found = [options(sock) for sock in socks]
        for sock in socks:
            sock.close()
    assert found, "the Client has no connection to gearmand"
    # exactly libgearman's SO_SNDBUF and SO_RCVBUF calls, two per connection, were dropped
    assert gearman_cffi.lib.gearman_cffi_sockets_skipped() - dropped == 2 * len(found)
    for opts in found:
        assert opts["sndbuf"] > PINNED
        assert opts["rcvbuf"] >= default_rcvbuf
        # every other option libgearman sets still reaches the socket
        assert (opts["nodelay"], opts["keepalive"], opts["linger"]) == (1, 1, 1)
    assert gearmand.queued(fn) == 1


def test_without_the_hook_the_buffers_are_pinned(gearmand: Gearmand, fn: str) -> None:
    """The control: the same probe, hook off, sees libgearman's 32 KiB."""
    kept = client_options(gearmand, fn, keep_buffers=True)
    assert kept["status"] == f"off: {_sockets.KEEP_ENV} is set"
    assert (kept["sndbuf"], kept["rcvbuf"]) == (PINNED, PINNED)
    tuned = client_options(gearmand, fn, keep_buffers=False)
    assert str(tuned["status"]).startswith("active")
    assert isinstance(tuned["sndbuf"], int) and tuned["sndbuf"] > PINNED
    assert isinstance(tuned["rcvbuf"], int) and isinstance(tuned["default_rcvbuf"], int)
    assert tuned["rcvbuf"] >= tuned["default_rcvbuf"]


def test_sockets_the_binding_does_not_own_are_untouched() -> None:
    dropped = gearman_cffi.lib.gearman_cffi_sockets_skipped()
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32768)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
        assert s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == PINNED
        assert s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) == PINNED
    assert gearman_cffi.lib.gearman_cffi_sockets_skipped() == dropped


@pytest.mark.parametrize("mode", ["do", "task"])
def test_1mib_jobs_do_not_stall(gearmand: Gearmand, fn: str, mode: str) -> None:
    payload = os.urandom(MIB)
    with Client(gearmand.address, timeout=30) as client:
        client.echo(b"x")  # connected before the clock starts
        started = time.monotonic()
        if mode == "do":
            for _ in range(JOBS):
                client.do_background(fn, payload)
        else:
            for _ in range(JOBS):
                client.add_task_background(fn, payload)
            client.run_tasks()
        elapsed = time.monotonic() - started
    assert gearmand.queued(fn) == JOBS
    assert elapsed < BOUND_S, f"{JOBS} jobs of 1 MiB took {elapsed:.1f} s: libgearman's 32 KiB send buffer is back"


def test_c_worker_sends_1mib_results_without_stalling(gearmand: Gearmand, fn: str) -> None:
    """libgearman's worker connections are covered too: a 1 MiB WORK_COMPLETE per job,
    read back byte for byte by a plain-socket foreground client."""
    result = os.urandom(MIB)
    worker = CWorker(gearmand.host, gearmand.port, fn)
    try:
        with socket.create_connection((gearmand.host, gearmand.port), timeout=30) as peer:
            started = time.monotonic()
            for n in range(JOBS):
                peer.sendall(request(SUBMIT_JOB, fn.encode(), b"u%d" % n, b"work"))
                kind, handle = response(peer)
                assert kind == JOB_CREATED
                worker.complete_one(result)
                kind, body = response(peer)
                assert (kind, body) == (WORK_COMPLETE, handle + b"\0" + result)
            elapsed = time.monotonic() - started
            socks = connections_to(gearmand.port)
            found = [options(s) for s in socks if s.getsockname() != peer.getsockname()]
            for s in socks:
                s.close()
    finally:
        worker.close()
    assert found and all(opts["sndbuf"] > PINNED and opts["nodelay"] == 1 for opts in found)
    assert elapsed < BOUND_S, f"{JOBS} results of 1 MiB took {elapsed:.1f} s: the worker's send buffer is pinned"
