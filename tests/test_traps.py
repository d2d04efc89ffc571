"""The six libgearman 1.1.20 traps from the issue, each unreachable from Python.

Each test would fail against a naive wrapper that passes calls straight to C.
"""

from __future__ import annotations

import time

import pytest
from gearmand import Gearmand, free_port
from internals import main_c_client, side_c_client
from peers import run_python, unique_jobs

from gearman_cffi import Client, GearmanTimeoutError, ffi, lib

# -- 1. freeing a task that has not run yet ---------------------------------------------

FREE_UNSENT = """
import sys, gearman_cffi
address, fn = sys.argv[1], sys.argv[2]
client = gearman_cffi.Client(address, timeout=5)
first = client.add_task_background(fn, b"withdrawn 1")
kept = client.add_task_background(fn, b"kept")
last = client.add_task_background(fn, b"withdrawn 2")
first.free()
last.free()
print(client.do_background(fn, b"one-shot"))
client.run_tasks()
assert kept.job_handle, kept
assert first.job_handle is None and last.job_handle is None
lone = client.add_task_background(fn, b"withdrawn 3")
lone.free()
client.run_tasks()
print(client.do_background(fn, b"after"))
print("ok")
"""


def test_freeing_an_unsent_task_keeps_the_client_working(gearmand_module: Gearmand, fn: str) -> None:
    """Raw libgearman spins at 100% CPU in the next do_background, ignoring the
    timeout; run in a subprocess so that would be a failure, not a hang."""
    result = run_python(FREE_UNSENT, gearmand_module.address, fn, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "ok"
    assert gearmand_module.queued(fn) == 3
    assert sorted(gearmand_module.drain(fn, 3)) == [b"after", b"kept", b"one-shot"]


def test_free_unsent_task_in_process(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    task = client.add_task_high_background(fn, b"withdrawn", unique="w")
    task.free()
    assert not task.is_pending and task.job_handle is None and client.pending_tasks == []
    client.do_background(fn, b"done")
    assert gearmand_module.queued(fn) == 1
    assert b"w" not in unique_jobs(gearmand_module)


# -- 2. a unique of exactly 64 bytes is silently truncated --------------------------------


@pytest.mark.parametrize("size", [lib.GEARMAN_MAX_UNIQUE_SIZE, lib.GEARMAN_MAX_UNIQUE_SIZE + 1])
def test_unique_of_64_and_65_bytes_is_refused(client: Client, gearmand_module: Gearmand, fn: str, size: int) -> None:
    for unique in ("u" * size, b"u" * size, "\u00e9" * (size // 2) + "u" * (size % 2)):
        for call in (client.do_background, client.add_task_background):
            with pytest.raises(ValueError, match="unique"):
                call(fn, b"x", unique)
    assert client.pending_tasks == []
    client.do_background(fn, b"usable")
    assert gearmand_module.queued(fn) == 1


@pytest.mark.parametrize("api", ["do", "task"])
def test_unique_of_63_bytes_reaches_the_server_intact(
    client: Client, gearmand_module: Gearmand, fn: str, api: str
) -> None:
    size = lib.GEARMAN_MAX_UNIQUE_SIZE - 1
    uniques = [f"{api}{fn}".ljust(size, "x")[: size - 1] + "A", "\u20ac" * (size // 3)]  # ASCII and 3-byte UTF-8
    assert all(len(u.encode()) == size for u in uniques)
    for unique in uniques:
        if api == "do":
            client.do_background(fn, b"x", unique)
        else:
            assert client.add_task_background(fn, b"x", unique).unique == unique
            client.run_tasks()
    seen = unique_jobs(gearmand_module)
    for unique in uniques:
        assert unique.encode() in seen  # all 63 bytes, as gearadmin sees them
    # and a unique differing only in its last byte is a different job
    variant = uniques[0][:-1] + "B"
    client.do_background(fn, b"y", variant)
    assert gearmand_module.queued(fn) == 3


# -- 3. a timeout of 0 wedges a fresh client ------------------------------------------------


def test_timeout_zero_is_refused(gearmand_module: Gearmand) -> None:
    for zero in (0, 0.0, -0.0):
        with pytest.raises(ValueError, match="timeout"):
            Client(gearmand_module.address, timeout=zero)
    with Client(gearmand_module.address, timeout=1) as client:
        with pytest.raises(ValueError, match="timeout"):
            client.timeout = 0
        assert client.timeout == 1


@pytest.mark.parametrize("tiny", [1e-9, 1e-4, 0.001])
def test_tiny_timeouts_never_wedge(gearmand_module: Gearmand, fn: str, tiny: float) -> None:
    """A naive seconds->ms conversion gives 0 ms, and later calls fail with
    NO_ACTIVE_FDS forever; here each call succeeds or times out, then works."""
    with Client(gearmand_module.address, timeout=tiny) as client:
        assert client.timeout is not None and 0 < client.timeout <= 0.001
        successes = 0
        for _ in range(3):
            try:
                client.do_background(fn, b"tiny")
                successes += 1
            except GearmanTimeoutError:
                pass
        client.timeout = 10
        client.do_background(fn, b"normal")
    assert gearmand_module.queued(fn) >= successes + 1


# -- 4. FREE_TASKS / NON_BLOCKING never left set; finished tasks freed ---------------------------


def _assert_blocking_and_owning(c_client: object) -> None:
    assert c_client is not None and c_client != ffi.NULL
    assert not lib.gearman_client_has_option(c_client, lib.GEARMAN_CLIENT_FREE_TASKS)
    assert not lib.gearman_client_has_option(c_client, lib.GEARMAN_CLIENT_NON_BLOCKING)


def test_options_never_set_on_any_c_client(gearmand_module: Gearmand, fn: str) -> None:
    client = Client(gearmand_module.address, timeout=10)
    _assert_blocking_and_owning(main_c_client(client))
    pending = client.add_task_background(fn, b"pending")
    assert pending.unique  # reading it adds the task to the C client now
    client.do_background(fn, b"one-shot")  # runs on the task-free side clone
    _assert_blocking_and_owning(side_c_client(client))
    pending.free()  # the C client is replaced
    _assert_blocking_and_owning(main_c_client(client))
    clone = client.clone()
    _assert_blocking_and_owning(main_c_client(clone))
    refused = Client(f"127.0.0.1:{free_port()}", timeout=10)
    refused.add_task_background(fn, b"x")
    with pytest.raises(ConnectionError):
        refused.run_tasks()  # failure: the C client is replaced
    _assert_blocking_and_owning(main_c_client(refused))
    for c in (client, clone, refused):
        c.close()


def test_sent_tasks_release_their_c_task(client: Client, fn: str) -> None:
    """FREE_TASKS is on only inside the binding's run: libgearman frees each task
    once its job exists, after C copied the outcome into the Task's slot."""
    tasks = [client.add_task_background(fn, b"x") for _ in range(5)]
    assert not lib.gearman_client_has_tasks(main_c_client(client))  # queued in Python until the run
    assert [t.unique for t in tasks[:2]]  # reading a unique adds the queued tasks to the C client
    assert lib.gearman_client_has_tasks(main_c_client(client)) and all(t._slot.added for t in tasks)
    assert not any(t._slot.released for t in tasks)
    client.run_tasks()
    assert not lib.gearman_client_has_tasks(main_c_client(client))  # freed (memory: test_memory.py)
    assert all(t._slot.released for t in tasks)
    assert all(t.job_handle for t in tasks)  # the state was copied first
    _assert_blocking_and_owning(main_c_client(client))  # and the options are off again


# -- 5. do_background on a non-blocking client loses the handle; pending tasks ---------------


def test_one_shot_calls_leave_pending_tasks_alone(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    """libgearman sends a client's pending tasks along with any one-shot call and
    drops their handles; the binding runs one-shots on a side clone instead."""
    pending = [client.add_task_background(fn, f"pending {i}") for i in range(3)]
    handle = client.do_background(fn, b"one-shot")
    assert handle.startswith("H:")
    assert client.job_status(handle).is_known
    client.echo(b"ping")
    client.do_low_background(fn, b"low one-shot")
    assert gearmand_module.queued(fn) == 2  # the pending tasks were not sent
    assert all(t.is_pending and t.job_handle is None for t in pending)
    client.run_tasks()
    handles = {t.job_handle for t in pending}
    assert None not in handles and len(handles) == 3 and handle not in handles
    for task in pending:
        assert task.job_handle is not None and client.job_status(task.job_handle).is_known
    assert gearmand_module.queued(fn) == 5


def test_do_background_always_returns_the_created_handle(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    for i in range(20):
        handle = client.do_background(fn, f"{i}")
        assert handle.startswith("H:") and client.job_status(handle).is_known
    assert gearmand_module.queued(fn) == 20


def test_one_shot_during_a_pending_batch_after_a_failure(gearmand_factory: type[Gearmand], fn: str) -> None:
    """Side-clone rule after a reset: pending tasks survive a failed one-shot."""
    port = free_port()
    client = Client(f"127.0.0.1:{port}", timeout=10)
    task = client.add_task_background(fn, b"pending", unique=f"p-{fn}")
    with pytest.raises(ConnectionError):
        client.do_background(fn, b"refused")
    server = gearmand_factory(port=port).start()
    client.do_background(fn, b"one-shot")
    assert task.is_pending
    client.run_tasks()
    assert task.job_handle and server.queued(fn) == 2
    client.close()


# -- 6. unique_status wedges later submits --------------------------------------------------


def test_unique_status_runs_on_a_throwaway_clone(gearmand_module: Gearmand, fn: str) -> None:
    """libgearman's own call wedges its client (tests/test_status_queries.py shows
    that); the binding's unique_status leaves the client submitting normally."""
    with Client(gearmand_module.address, timeout=5) as client:
        client.do_background(fn, b"x", unique=f"{fn}-u")
        assert client.unique_status(f"{fn}-u").is_known
        assert client.do_background(fn, b"after").startswith("H:")
    assert gearmand_module.queued(fn) == 2


def test_timeout_is_honoured_after_withdrawing_tasks(gearmand_module: Gearmand, fn: str) -> None:
    """Trap 1's symptom was a spin that ignores the timeout: after withdrawing,
    a refused server still fails promptly (generous margin, no tight timing)."""
    client = Client(f"127.0.0.1:{free_port()}", timeout=2)
    for _ in range(3):
        client.add_task_background(fn, b"x").free()
    start = time.monotonic()
    with pytest.raises(ConnectionError):
        client.do_background(fn, b"x")
    assert time.monotonic() - start < 30
    client.close()
