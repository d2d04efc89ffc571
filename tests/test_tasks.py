"""Batches: pending tasks survive withdrawals and failures (the C client is
replaced and the tasks re-added), and are then sent exactly once."""

from __future__ import annotations

import array
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from gearmand import Gearmand, free_port
from peers import gearadmin, unique_jobs

from gearman_cffi import Client, ReturnCode

ALL_BYTES = bytes(range(256))
KINDS: list[tuple[object, bytes]] = [
    (ALL_BYTES, ALL_BYTES),
    (bytearray(b"\0bytearray\0"), b"\0bytearray\0"),
    (memoryview(ALL_BYTES)[3:9], ALL_BYTES[3:9]),
    (memoryview(ALL_BYTES).cast("B", (16, 16)), ALL_BYTES),
    (array.array("i", [7, 8]), array.array("i", [7, 8]).tobytes()),
    ("str \u20ac", "str \u20ac".encode()),
    (b"", b""),
    ("", b""),
]


def test_withdrawing_a_task_keeps_the_others_byte_exact(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    tasks = [client.add_task_background(fn, workload) for workload, _ in KINDS]
    uniques = [t.unique for t in tasks]
    victim = client.add_task_high_background(fn, b"withdrawn")
    victim.free()  # the C client is replaced; the others are re-added from their buffers
    assert client.pending_tasks == tasks and [t.unique for t in tasks] == uniques
    client.run_tasks()
    assert all(t.return_code is ReturnCode.SUCCESS for t in tasks)
    assert sorted(gearmand_module.drain(fn, len(KINDS))) == sorted(expected for _, expected in KINDS)


def test_non_utf8_names_survive_a_reset(gearmand: Gearmand, fn: str) -> None:
    # A fresh server: gearadmin output with these bytes is not text.
    name, unique = fn.encode() + b"\xff\xfe", b"u\xfe" + fn.encode()[:40]
    with Client(gearmand.address, timeout=10) as client:
        task = client.add_task_background(name, b"x", unique)
        assert task.function_name.encode("utf-8", "surrogateescape") == name
        client.add_task_background(name, b"y").free()
        client.run_tasks()
        assert task.job_handle
        assert name + b"\t1\t" in gearadmin(gearmand, "--status")
        assert unique in unique_jobs(gearmand)
        assert client.do_background(name, b"z", unique) == task.job_handle  # same unique: coalesced


def test_utf8_function_name(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    name = fn + "_f\u00fcnkti\u00f6n_\u20ac"
    task = client.add_task_background(name, b"x")
    client.run_tasks()
    assert task.function_name == name
    assert gearmand_module.queued(name) == 1


def test_pending_tasks_order_and_withdrawal(client: Client, fn: str) -> None:
    tasks = [client.add_task_background(fn, f"{i}") for i in range(5)]
    tasks[2].free()
    tasks[0].free()
    assert client.pending_tasks == [tasks[1], tasks[3], tasks[4]]
    client.run_tasks()
    assert [t.job_handle is not None for t in tasks] == [False, True, False, True, True]
    tasks[1].free()  # a sent task: nothing to withdraw, handle kept
    assert tasks[1].job_handle is not None


def test_failed_batch_is_retried_exactly_once_per_task(gearmand_factory: type[Gearmand], fn: str) -> None:
    port = free_port()
    client = Client(f"127.0.0.1:{port}", timeout=10)
    tasks = [client.add_task_background(fn, f"job {i}") for i in range(10)]
    for _ in range(3):
        with pytest.raises(ConnectionError):
            client.run_tasks()
    server = gearmand_factory(port=port).start()
    client.run_tasks()
    client.run_tasks()
    assert len({t.job_handle for t in tasks}) == 10
    assert server.queued(fn) == 10
    client.close()


def test_server_restart_between_batches(gearmand_factory: type[Gearmand], fn: str) -> None:
    server = gearmand_factory().start()
    with Client(server.address, timeout=10) as client:
        client.add_task_background(fn, b"first batch")
        client.run_tasks()
        server.restart()  # drops the queue and the client's connection
        tasks = [client.add_task_background(fn, f"second {i}") for i in range(5)]
        try:
            client.run_tasks()
        except ConnectionError:
            client.run_tasks()  # one lost connection may surface; the retry sends each task once
        assert all(t.job_handle for t in tasks)
    assert server.queued(fn) == 5


@pytest.fixture
def dropping_server() -> Iterator[str]:
    """Accepts, reads a request, then closes the connection: a server that crashes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def test_connection_dropped_by_the_server(dropping_server: str, gearmand_factory: type[Gearmand], fn: str) -> None:
    client = Client(dropping_server, timeout=5)
    tasks = [client.add_task_background(fn, f"{i}") for i in range(3)]
    with pytest.raises(ConnectionError):
        client.run_tasks()
    with pytest.raises(ConnectionError):
        client.do_background(fn, b"x")
    assert client.pending_tasks == tasks
    client.close()


def test_dropping_server_then_live_server(dropping_server: str, gearmand_module: Gearmand, fn: str) -> None:
    with Client([dropping_server, gearmand_module.address], timeout=5) as client:
        tasks = [client.add_task_background(fn, f"{i}") for i in range(5)]
        try:
            client.run_tasks()
        except ConnectionError:
            client.run_tasks()
        assert all(t.job_handle for t in tasks)
    assert gearmand_module.queued(fn) == 5


def test_one_of_two_servers_restarted(gearmand_factory: type[Gearmand], fn: str) -> None:
    first, second = gearmand_factory().start(), gearmand_factory().start()
    with Client([first.address, second.address], timeout=10) as client:
        client.add_task_background(fn, b"warm up both connections")
        client.run_tasks()
        client.do_background(fn, b"one-shot")
        first.restart()
        tasks = [client.add_task_background(fn, f"{i}") for i in range(5)]
        try:
            client.run_tasks()
        except ConnectionError:
            client.run_tasks()
        assert all(t.job_handle for t in tasks)
        jobs = [job for server in (first, second) if server.queued(fn) for job in server.drain(fn, server.queued(fn))]
    assert sorted(j for j in jobs if j.isdigit()) == [b"0", b"1", b"2", b"3", b"4"]  # each exactly once


@pytest.mark.slow
@pytest.mark.parametrize("added", [False, True], ids=["queued", "added-to-C"])
def test_free_every_other_task_of_a_200k_batch(gearmand: Gearmand, fn: str, added: bool) -> None:
    """Withdrawing a task was O(n) (a search of the pending list), so freeing
    half of a 200,000-task batch took about a quarter of an hour; it is O(1)
    now (removed at the next flush): a few seconds, bounded very loosely here."""
    with Client(gearmand.address, timeout=60) as client:
        tasks = [client.add_task_background(fn, b"%d" % i) for i in range(200_000)]
        if added:
            assert tasks[0].unique  # reading a unique adds every queued task to the C client
        deadline = time.monotonic() + 120
        for task in tasks[::2]:
            task.free()
            assert time.monotonic() < deadline, "free() is not O(1)"
        assert len(client.pending_tasks) == 100_000
        client.run_tasks()
        assert all(t.job_handle for t in tasks[1::2])
        assert not any(t.job_handle or t.is_pending for t in tasks[::2])
    assert gearmand.queued(fn) == 100_000
    assert {int(w) % 2 for w in gearmand.drain(fn, 10)} == {1}
