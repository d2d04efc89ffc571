"""The asyncio driver's wake-up path (gearman_cffi/_aio_wait.py, the poll hook
in include/sockets.c): a run with slices of 0 never waits in C and says which
descriptor libgearman would have polled; the blocking client never sees the hook."""

from __future__ import annotations

import asyncio
import os
import socket
import time

import pytest
from gearmand import Gearmand, SilentServer

from gearman_cffi import Client, _sockets
from gearman_cffi._aio_wait import POLLIN, drive
from gearman_cffi.client import core_of

pytestmark = pytest.mark.skipif(not _sockets.poll_hook(), reason="no poll hook on this platform")


def peer_port(fd: int) -> int:
    """The remote port of a descriptor (a dup: the original stays libgearman's)."""
    with socket.socket(fileno=os.dup(fd)) as sock:
        return int(sock.getpeername()[1])


def test_a_step_yields_the_descriptor_libgearman_would_poll(silent_server: SilentServer) -> None:
    with Client(silent_server.address, timeout=2) as c:
        c.add_task_background("f", b"x")
        steps = core_of(c).run_tasks(0)
        started = time.perf_counter()
        for _ in range(20):  # connect, send: each step returns at once, then JOB_CREATED never comes
            next(steps)
            fds, due = core_of(c).waits()
            if fds and fds[0][1] & POLLIN:
                break
        assert time.perf_counter() - started < 0.5  # no step waited (the client's timeout is 2 s)
        assert len(fds) == 1 and peer_port(fds[0][0]) == silent_server.port
        assert 0 < due <= 2.0  # the time left before the client's timeout
        steps.close()


def test_drive_runs_a_batch_and_the_timeout_still_applies(gearmand_module: Gearmand, silent_server: SilentServer,
                                                          fn: str) -> None:  # fmt: skip
    async def main() -> BaseException:
        with Client(gearmand_module.address, timeout=5) as c:
            tasks = [c.add_task_background(fn, b"%d" % i) for i in range(50)]
            await drive(core_of(c).run_tasks(0), lambda: core_of(c).waits())
            assert all(t.job_handle for t in tasks)
        with Client(silent_server.address, timeout=0.3) as c:
            c.add_task_background("f", b"x")
            try:
                await drive(core_of(c).run_tasks(0), lambda: core_of(c).waits())
            except BaseException as error:
                return error
        raise AssertionError("a silent server answered")

    assert isinstance(asyncio.run(asyncio.wait_for(main(), 30)), TimeoutError)
    assert sorted(gearmand_module.drain(fn, 50)) == sorted(b"%d" % i for i in range(50))


def test_the_blocking_client_still_waits_in_c(silent_server: SilentServer) -> None:
    """The hook is the real poll() outside a slice of 0: a blocking call on a
    silent server waits its whole timeout (not a captured poll returning at once)."""
    with Client(silent_server.address, timeout=0.5) as c:
        started = time.perf_counter()
        with pytest.raises(TimeoutError):
            c.do_background("f", b"x")
        assert time.perf_counter() - started >= 0.45
