"""Submitting jobs, both APIs, checked through gearadmin and the CLI worker."""

from __future__ import annotations

import subprocess
import time
import uuid

import pytest
from gearmand import Gearmand
from peers import priority_status, unique_jobs

from gearman_cffi import Client, JobStatus, Priority, ReturnCode, Task

DO = {Priority.HIGH: Client.do_high_background, Priority.NORMAL: Client.do_background,
      Priority.LOW: Client.do_low_background}  # fmt: skip
ADD = {Priority.HIGH: Client.add_task_high_background, Priority.NORMAL: Client.add_task_background,
       Priority.LOW: Client.add_task_low_background}  # fmt: skip
SLOT = {Priority.HIGH: 0, Priority.NORMAL: 1, Priority.LOW: 2}


@pytest.mark.parametrize("priority", list(Priority))
def test_do_background_each_priority(client: Client, gearmand_module: Gearmand, fn: str, priority: Priority) -> None:
    handles = [DO[priority](client, fn, f"job {i}") for i in range(3)]
    assert len(set(handles)) == 3 and all(h.startswith("H:") for h in handles)
    expected = [0, 0, 0]
    expected[SLOT[priority]] = 3
    assert priority_status(gearmand_module, fn) == tuple(expected)
    assert gearmand_module.drain(fn, 3) == [b"job 0", b"job 1", b"job 2"]


@pytest.mark.parametrize("priority", list(Priority))
def test_add_task_each_priority(client: Client, gearmand_module: Gearmand, fn: str, priority: Priority) -> None:
    context = object()
    tasks = [ADD[priority](client, fn, f"job {i}", context=context) for i in range(3)]
    for task in tasks:
        assert isinstance(task, Task)
        assert task.is_pending and task.job_handle is None
        assert task.return_code is ReturnCode.UNKNOWN_STATE
        assert task.priority is priority and task.client is client and task.context is context
    assert client.pending_tasks == tasks
    assert gearmand_module.queued(fn) == 0  # nothing sent before run_tasks()
    client.run_tasks()
    assert client.pending_tasks == []
    for task in tasks:
        assert not task.is_pending
        assert task.job_handle is not None and task.job_handle.startswith("H:")
        assert task.return_code is ReturnCode.SUCCESS
        assert task.function_name == fn
        assert not task.is_running and (task.numerator, task.denominator) == (0, 0)
        assert isinstance(task.is_known, bool)
        assert task.context is context
    assert len({t.job_handle for t in tasks}) == 3
    expected = [0, 0, 0]
    expected[SLOT[priority]] = 3
    assert priority_status(gearmand_module, fn) == tuple(expected)
    assert sorted(gearmand_module.drain(fn, 3)) == [b"job 0", b"job 1", b"job 2"]


def test_run_tasks_with_nothing_pending(client: Client) -> None:
    client.run_tasks()
    client.run_tasks()


def test_task_context_is_any_object_and_settable(client: Client, fn: str) -> None:
    task = client.add_task_background(fn, b"x")
    assert task.context is None
    task.context = {"k": [1]}
    client.run_tasks()
    assert task.context == {"k": [1]}


def test_auto_unique_is_a_uuid(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    tasks = [client.add_task_background(fn, b"x") for _ in range(3)]
    for task in tasks:
        assert len(task.unique) == 36
        uuid.UUID(task.unique)
    assert len({t.unique for t in tasks}) == 3
    client.run_tasks()
    assert gearmand_module.queued(fn) == 3
    assert {t.unique.encode() for t in tasks} <= set(unique_jobs(gearmand_module))


def test_explicit_unique_reaches_the_server(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    task = client.add_task_background(fn, b"x", unique=f"task-{fn}")
    client.do_background(fn, b"y", unique=f"do-{fn}".encode())
    assert task.unique == f"task-{fn}"
    client.run_tasks()
    seen = set(unique_jobs(gearmand_module))
    assert {f"task-{fn}".encode(), f"do-{fn}".encode()} <= seen


def test_same_unique_coalesces_do_background(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    first = client.do_background(fn, b"first", unique="same")
    second = client.do_background(fn, b"second", unique="same")
    assert first == second
    assert gearmand_module.queued(fn) == 1
    assert gearmand_module.drain(fn, 1) == [b"first"]


def test_same_unique_coalesces_in_a_batch(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    tasks = [client.add_task_background(fn, f"job {i}", unique="same") for i in range(3)]
    other = client.add_task_background(fn, b"other", unique="other")
    client.run_tasks()
    assert len({t.job_handle for t in tasks}) == 1
    assert other.job_handle not in {t.job_handle for t in tasks}
    assert gearmand_module.queued(fn) == 2


def test_same_unique_different_functions_do_not_coalesce(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    client.do_background(fn + "a", b"x", unique="same")
    client.do_background(fn + "b", b"x", unique="same")
    assert (gearmand_module.queued(fn + "a"), gearmand_module.queued(fn + "b")) == (1, 1)


def test_job_status_of_a_queued_job(client: Client, fn: str) -> None:
    handle = client.do_background(fn, b"x")
    status = client.job_status(handle)
    assert isinstance(status, JobStatus)
    assert status == JobStatus(is_known=True, is_running=False, numerator=0, denominator=0)
    task = client.add_task_background(fn, b"y")
    client.run_tasks()
    assert task.job_handle is not None
    assert client.job_status(task.job_handle.encode()).is_known


def test_job_status_of_an_unknown_handle(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    handle = client.do_background(fn, b"x")
    assert gearmand_module.drain(fn, 1) == [b"x"]  # the job is done: the server forgets it
    # drain() returns when the CLI worker exits, which does not wait for gearmand to
    # read its WORK_COMPLETE (gearmand reads each connection in its own I/O thread):
    # the job may still be known and running for a moment.  Poll, with a deadline.
    deadline = time.monotonic() + 30
    status = client.job_status(handle)
    while status.is_known and time.monotonic() < deadline:
        assert status == JobStatus(True, True, 0, 0)  # only ever "still running" on the way
        time.sleep(0.01)
        status = client.job_status(handle)
    assert status == JobStatus(False, False, 0, 0)
    assert handle not in gearmand_module.job_handles()
    assert not client.job_status("H:no-such-host:999999").is_known


def test_job_status_of_a_running_job(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    handle = client.do_background(fn, b"x")
    worker = subprocess.Popen(
        ["gearman", "-h", gearmand_module.host, "-p", str(gearmand_module.port), "-w", "-f", fn, "-c", "1",
         "--", "sh", "-c", "cat >/dev/null; sleep 30"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not client.job_status(handle).is_running and time.monotonic() < deadline:
            time.sleep(0.05)
        status = client.job_status(handle)
        assert status.is_known and status.is_running
        assert gearmand_module.status()[fn][1] == 1  # gearadmin agrees: one running
    finally:
        worker.kill()
        worker.wait()


def test_echo(client: Client) -> None:
    client.echo(b"ping")
    client.echo("ping \u20ac")
    client.echo(bytes(range(256)) * 64)


def test_timeout_property(gearmand_module: Gearmand, fn: str) -> None:
    with Client(gearmand_module.address) as blocking:
        assert blocking.timeout is None
        blocking.timeout = 2.5
        assert blocking.timeout == 2.5
        blocking.do_background(fn, b"x")
        blocking.timeout = None
        assert blocking.timeout is None
    with Client(gearmand_module.address, timeout=3) as client:
        assert client.timeout == 3
        client.timeout = float("inf")
        assert client.timeout is None


def test_clone_is_independent(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    client.timeout = 7
    pending = client.add_task_background(fn, b"pending")
    clone = client.clone()
    try:
        assert isinstance(clone, Client) and clone is not client
        assert clone.timeout == 7
        assert clone.pending_tasks == []
        clone.run_tasks()  # does not send the original's task
        assert gearmand_module.queued(fn) == 0
        clone.do_background(fn, b"from clone")
        client.close()
        assert not clone.closed  # closing the original leaves the clone alone
        clone.do_background(fn, b"after close")
        assert gearmand_module.queued(fn) == 2
        assert pending.job_handle is None and not pending.is_pending
    finally:
        clone.close()


@pytest.mark.parametrize(
    "servers",
    [lambda s: s.address, lambda s: [s.address], lambda s: [(s.host, s.port)], lambda s: f" {s.address} ",
     lambda s: (a for a in [s.address])],
    ids=["str", "list-str", "list-tuple", "spaces", "generator"],
)  # fmt: skip
def test_server_forms(gearmand_module: Gearmand, fn: str, servers) -> None:  # type: ignore[no-untyped-def]
    with Client(servers(gearmand_module), timeout=10) as client:
        client.do_background(fn, b"x")
    assert gearmand_module.queued(fn) == 1


def test_ipv6_server(gearmand_factory: type[Gearmand], fn: str) -> None:
    try:
        server = gearmand_factory(host="::1").start()
    except RuntimeError:
        pytest.skip("no IPv6 loopback")
    with Client(f"[::1]:{server.port}", timeout=10) as client:
        client.do_background(fn, b"x")
    with Client([("::1", server.port)], timeout=10) as client:
        client.do_background(fn, b"y")
    assert server.queued(fn) == 2


def test_default_servers_string_is_accepted() -> None:
    with Client() as client:  # no network until the first call
        assert not client.closed


def test_reprs(client: Client, fn: str) -> None:
    assert "0 pending" in repr(client)
    task = client.add_task_background(fn, b"x", unique="u")
    assert "1 pending" in repr(client)
    assert "pending" in repr(task) and fn in repr(task) and "'u'" in repr(task)
    client.run_tasks()
    assert task.job_handle is not None and task.job_handle in repr(task)
    client.close()
    assert "closed" in repr(client)
