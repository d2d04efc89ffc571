"""Servers that are down, die, come back, or never answer: every error is clean,
bounded in time, and the same Client works again once a server is reachable.

Every check of what the server holds goes through gearadmin / the gearman CLI worker.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest
from gearmand import HOST, Gearmand, SilentServer, free_port

import gearman_cffi
from gearman_cffi import Client

TIMEOUT = 2.0
MARGIN = 2.0  # generous: two cores shared with other jobs


def submit_both(client: Client, fn: str, payload: bytes) -> list[str]:
    """One job through each API; returns the two handles."""
    handle = client.do_background(fn, payload + b"/do")
    task = client.add_task_background(fn, payload + b"/task")
    client.run_tasks()
    assert task.job_handle is not None
    return [handle, task.job_handle]


@pytest.mark.parametrize("api", ["do_background", "run_tasks"])
def test_server_down_at_submit_raises_connection_error_in_time(api: str, fn: str) -> None:
    port = free_port()
    with Client(f"{HOST}:{port}", timeout=TIMEOUT) as client:
        start = time.monotonic()
        with pytest.raises(ConnectionError) as info:
            if api == "do_background":
                client.do_background(fn, b"x")
            else:
                client.add_task_background(fn, b"x")
                client.run_tasks()
        assert isinstance(info.value, gearman_cffi.GearmanConnectionError)
        assert info.value.code == gearman_cffi.ReturnCode.COULD_NOT_CONNECT
        assert time.monotonic() - start < TIMEOUT + MARGIN
        # The same client submits once a server listens on that port.
        server = Gearmand(port=port).start()
        try:
            if api == "run_tasks":
                client.run_tasks()  # the task stayed pending
                assert not client.pending_tasks
            else:
                client.do_background(fn, b"x")
            assert server.queued(fn) == 1
            assert server.drain(fn, 1) == [b"x"]
        finally:
            server.stop()


def test_restart_same_client_errors_while_down_then_recovers(gearmand: Gearmand, fn: str) -> None:
    with Client(gearmand.address, timeout=TIMEOUT) as client:
        before = submit_both(client, fn, b"before")
        assert set(before) == gearmand.job_handles()
        gearmand.kill()  # SIGKILL: the in-memory queue is gone
        for attempt in range(3):  # a clear error every time while it is down
            start = time.monotonic()
            with pytest.raises(ConnectionError):
                submit_both(client, fn, b"down%d" % attempt)
            assert time.monotonic() - start < TIMEOUT + MARGIN
        assert not client.pending_tasks  # do_background failed first each time
        gearmand.start()
        after = submit_both(client, fn, b"after")
        # Not a stale handle from before the restart, nor one of another job:
        # exactly our two jobs are on the server, under the handles we got.
        assert len(set(after)) == 2
        assert set(after) == gearmand.job_handles()
        assert sorted(gearmand.drain(fn, 2)) == [b"after/do", b"after/task"]


@dataclass
class Batches:
    """What a submitting thread saw: the payloads of each successful batch, and
    when its run_tasks() started and returned."""

    ok: list[tuple[float, float, list[bytes], list[str]]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)


def submit_batches(client: Client, fn: str, seen: Batches) -> None:
    n = 0
    while not seen.stop.is_set():
        payloads = [b"job-%06d" % (n + i) for i in range(20)]
        n += 20
        tasks = [client.add_task_background(fn, p) for p in payloads]
        started = time.monotonic()
        try:
            client.run_tasks()
        except gearman_cffi.GearmanError as error:
            seen.errors.append(error)
            for task in client.pending_tasks:
                task.free()  # this batch is abandoned; its payloads never counted
            time.sleep(0.05)
            continue
        seen.ok.append((started, time.monotonic(), payloads, [t.job_handle or "" for t in tasks]))


def test_sigkill_mid_stream_and_restart(gearmand: Gearmand, fn: str) -> None:
    """A thread submits batches without pause; the server is SIGKILLed under it
    and restarted on the same port.  The thread sees only connection errors while
    it is down, and every batch acknowledged after the restart is on the new
    server exactly once, under the handles the client returned."""
    seen = Batches()
    with Client(gearmand.address, timeout=TIMEOUT) as client:
        thread = threading.Thread(target=submit_batches, args=(client, fn, seen))
        thread.start()
        try:
            while len(seen.ok) < 20:
                time.sleep(0.01)
            gearmand.kill()  # returns once the process is gone
            killed_at = time.monotonic()
            time.sleep(0.5)
            restarted_at = time.monotonic()  # any batch acknowledged from here is on the new server
            gearmand.start()
            while sum(end > restarted_at for _, end, _, _ in seen.ok) < 20:
                time.sleep(0.01)
        finally:
            seen.stop.set()
            thread.join(60)
    assert seen.errors, "the thread never noticed the server was gone"
    assert all(isinstance(e, ConnectionError) for e in seen.errors), seen.errors
    # No batch sent after the kill can have been acknowledged before the restart.
    # (A batch acknowledged just before the kill may return to the thread after
    # killed_at on a loaded machine, so start times are compared, not end times.)
    assert not [end for start, end, _, _ in seen.ok if start > killed_at and end < restarted_at]
    after = [(payloads, handles) for _, end, payloads, handles in seen.ok if end > restarted_at]
    payloads = [p for batch, _ in after for p in batch]
    handles = [h for _, batch in after for h in batch]
    assert len(set(handles)) == len(handles) == len(payloads)
    assert set(handles) == gearmand.job_handles()
    assert sorted(gearmand.drain(fn, len(payloads))) == sorted(payloads)


@pytest.mark.parametrize("dead_position", [0, 1])
def test_dead_server_in_list_is_skipped(gearmand: Gearmand, fn: str, dead_position: int) -> None:
    servers = [gearmand.address]
    servers.insert(dead_position, f"{HOST}:{free_port()}")
    with Client(servers, timeout=TIMEOUT) as client:
        for round_ in range(3):
            handles = submit_both(client, fn, b"r%d" % round_)
            assert len(set(handles)) == 2
            tasks = [client.add_task_background(fn, b"batch%d-%d" % (round_, i)) for i in range(50)]
            client.run_tasks()
            assert all(t.job_handle for t in tasks)
    assert gearmand.queued(fn) == 3 * 52
    assert len(gearmand.job_handles()) == 3 * 52


def test_server_dying_between_batches_fails_over(gearmand_factory: type[Gearmand], fn: str) -> None:
    first, second = gearmand_factory().start(), gearmand_factory().start()
    with Client([first.address, second.address], timeout=TIMEOUT) as client:
        batch1 = [client.add_task_background(fn, b"one-%d" % i) for i in range(50)]
        client.run_tasks()
        assert first.queued(fn) == 50 and second.queued(fn) == 0
        first.kill()
        batch2 = [client.add_task_background(fn, b"two-%d" % i) for i in range(50)]
        failures = 0
        while client.pending_tasks:  # at most one LOST_CONNECTION, then the next server
            try:
                client.run_tasks()
            except ConnectionError:
                failures += 1
                assert failures == 1
        handles = {t.job_handle for t in batch2}
        assert len(handles) == 50 and None not in handles
        assert handles == second.job_handles()
        assert sorted(second.drain(fn, 50)) == sorted(b"two-%d" % i for i in range(50))
        assert all(t.job_handle for t in batch1)
        # do_background follows the same server.
        client.do_background(fn, b"three")
        assert second.drain(fn, 1) == [b"three"]


@pytest.mark.parametrize("api", ["do_background", "run_tasks"])
def test_silent_server_times_out_and_client_recovers(api: str, fn: str) -> None:
    silent = SilentServer()
    port = silent.port
    with Client(silent.address, timeout=TIMEOUT) as client:
        for _ in range(2):  # twice: the reset after the first leaves nothing stuck
            start = time.monotonic()
            with pytest.raises(TimeoutError) as info:
                if api == "do_background":
                    client.do_background(fn, b"x")
                else:
                    client.add_task_background(fn, b"x", unique="silent-1")
                    client.run_tasks()
            elapsed = time.monotonic() - start
            assert isinstance(info.value, gearman_cffi.GearmanTimeoutError)
            assert TIMEOUT - 0.1 <= elapsed < TIMEOUT + MARGIN
            for task in client.pending_tasks:
                task.free()
        silent.close()
        server = Gearmand(port=port).start()  # a real server on the same port
        try:
            handles = submit_both(client, fn, b"ok")
            assert set(handles) == server.job_handles()
            assert sorted(server.drain(fn, 2)) == [b"ok/do", b"ok/task"]
        finally:
            server.stop()
