"""Task callbacks (extern "Python" trampolines) against a real gearmand."""

from __future__ import annotations

import socket
import struct
import subprocess
import traceback

import pytest
from gearmand import Gearmand

import gearman_cffi
from gearman_cffi import TaskCallbacks


def test_created_fires_once_per_task_with_its_handle(client: gearman_cffi.Client, gearmand_module: Gearmand, fn: str):
    seen: list[tuple[str | None, object]] = []
    client.callbacks = TaskCallbacks(created=lambda task: seen.append((task.job_handle, task.context)))
    tasks = [client.add_task_background(fn, f"w{i}", context=i) for i in range(4)]
    client.run_tasks()
    assert sorted(seen, key=lambda s: s[1]) == [(t.job_handle, t.context) for t in tasks]
    assert all(h and h.startswith("H:") for h, _ in seen)
    assert gearmand_module.queued(fn) == 4


def test_client_callbacks_apply_to_tasks_added_afterwards(client: gearman_cffi.Client, fn: str):
    seen: list[str] = []
    before = client.add_task_background(fn, "before")  # added without callbacks
    client.callbacks = TaskCallbacks(created=lambda task: seen.append(task.unique))
    after = client.add_task_background(fn, "after")
    client.callbacks = None  # does not change `after`: its callbacks were copied when added
    last = client.add_task_background(fn, "last")
    client.run_tasks()
    assert seen == [after.unique]
    assert before.callbacks is None and last.callbacks is None
    assert after.callbacks is not None and after.callbacks.created is not None


def test_per_task_callbacks(client: gearman_cffi.Client, fn: str):
    early = client.add_task_background(fn, "early")
    with pytest.raises(ValueError, match="added"):
        early.callbacks = TaskCallbacks(created=print)
    client.callbacks = TaskCallbacks()  # trampolines on, no client-wide callables
    own: list[str] = []
    task = client.add_task_background(fn, "mine")
    other = client.add_task_background(fn, "other")
    task.callbacks = TaskCallbacks(created=lambda t: own.append(t.job_handle or ""))
    with pytest.raises(TypeError):
        other.callbacks = TaskCallbacks(created=42)  # type: ignore[arg-type]
    client.run_tasks()
    assert own == [task.job_handle]
    with pytest.raises(ValueError):  # no longer pending
        task.callbacks = None


class Boom(Exception):
    pass


def test_exception_in_callback_stops_run_tasks_and_keeps_the_client_usable(
    client: gearman_cffi.Client, gearmand_module: Gearmand, fn: str
):
    calls: list[str] = []

    def created(task: gearman_cffi.Task) -> None:
        calls.append(task.unique)
        if len(calls) == 2:
            raise Boom(task.unique)

    client.callbacks = TaskCallbacks(created=created)
    tasks = [client.add_task_background(fn, f"job {i}") for i in range(6)]
    with pytest.raises(Boom) as info:
        client.run_tasks()
    assert info.value.args == (calls[1],)
    frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert "created" in frames  # the callback's own frame survives the trip through C
    assert len(calls) == 2  # run_tasks stopped at once
    pending = client.pending_tasks
    assert 0 < len(pending) < 6
    assert all(t.job_handle for t in tasks if t not in pending)
    client.callbacks = None
    for t in pending:  # re-added on a fresh C client: callbacks come from the task
        t.callbacks = None
    client.run_tasks()
    assert client.pending_tasks == []
    assert len({t.job_handle for t in tasks}) == 6
    # The retry reuses each task's unique, so gearmand does not duplicate a job
    # that it created before the callback raised.
    assert gearmand_module.queued(fn) == 6
    assert sorted(gearmand_module.drain(fn, 6)) == sorted(f"job {i}".encode() for i in range(6))
    assert client.do_background(fn, "after").startswith("H:")


def test_base_exceptions_too_and_the_job_still_exists(client: gearman_cffi.Client, gearmand_module: Gearmand, fn: str):
    def created(task: gearman_cffi.Task) -> None:
        raise KeyboardInterrupt

    client.callbacks = TaskCallbacks(created=created)
    task = client.add_task_background(fn, "x")
    with pytest.raises(KeyboardInterrupt):
        client.run_tasks()
    # `created` runs after the server created the job: raising does not undo it.
    assert client.pending_tasks == [] and task.job_handle
    assert gearmand_module.queued(fn) == 1
    assert client.do_background(fn, "y").startswith("H:")


def test_a_callback_calling_its_own_client_raises_instead_of_deadlocking(client: gearman_cffi.Client, fn: str):
    results: list[str] = []
    other = client.clone()  # another Client is fine

    def created(task: gearman_cffi.Task) -> None:
        results.append(other.do_background(fn, b"from callback"))
        task.client.do_background(fn, b"same client")

    client.callbacks = TaskCallbacks(created=created)
    client.add_task_background(fn, b"x")
    with pytest.raises(RuntimeError, match="own Client"):
        client.run_tasks()
    assert len(results) == 1
    assert client.do_background(fn, b"after").startswith("H:")
    other.close()


def test_clone_keeps_callbacks(client: gearman_cffi.Client, fn: str):
    seen: list[str] = []
    client.callbacks = TaskCallbacks(created=lambda t: seen.append(t.unique))
    with client.clone() as other:
        task = other.add_task_background(fn, "x")
        other.run_tasks()
    assert seen == [task.unique]


# -- what gearmand sends a background submitter --------------------------------------------
REQ, RES = b"\0REQ", b"\0RES"
SUBMIT_JOB, JOB_CREATED, SUBMIT_JOB_BG = 7, 8, 18
WORK_COMPLETE, WORK_DATA = 13, 28


def _packet(command: int, *args: bytes) -> bytes:
    body = b"\0".join(args)
    return REQ + struct.pack(">II", command, len(body)) + body


def _read_packets(sock: socket.socket, seconds: float) -> list[int]:
    """Commands of every packet received until ``seconds`` of silence."""
    sock.settimeout(seconds)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except socket.timeout:
        pass
    commands = []
    while len(data) >= 12:
        assert data[:4] == RES
        command, size = struct.unpack(">II", data[4:12])
        commands.append(command)
        data = data[12 + size :]
    return commands


@pytest.mark.parametrize("command, expected", [
    (SUBMIT_JOB, [JOB_CREATED, WORK_DATA, WORK_DATA, WORK_COMPLETE]),
    (SUBMIT_JOB_BG, [JOB_CREATED]),
])  # fmt: skip
def test_gearmand_sends_a_background_submitter_nothing_but_job_created(
    gearmand_module: Gearmand, fn: str, command: int, expected: list[int]
):
    """Why only ``created`` fires for background tasks: gearmand 1.1.20 forwards
    WORK_DATA/STATUS/COMPLETE/... to foreground submitters only.  The CLI
    worker sends one WORK_DATA per output line (``-n``)."""
    with socket.create_connection((gearmand_module.host, gearmand_module.port)) as sock:
        sock.sendall(_packet(command, fn.encode(), b"", b"payload"))
        assert _read_packets(sock, 1.0) == [JOB_CREATED]
        subprocess.run(
            ["gearman", "-h", gearmand_module.host, "-p", str(gearmand_module.port), "-w", "-n", "-f", fn,
             "-c", "1", "--", "printf", "a\\nb\\n"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        assert [JOB_CREATED, *_read_packets(sock, 2.0)] == expected
