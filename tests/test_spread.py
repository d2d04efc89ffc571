"""Client(spread=True) over three gearmand: distribution, the same unique on
the same server (also from another process), coalescing, status by unique and
by handle.  Where a job went is read with gearadmin, never through the binding."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
from gearmand import Gearmand

from gearman_cffi import Client, JobStatus

JOBS = 3000
BATCH = 500
UNKNOWN = JobStatus(False, False, 0, 0)


@pytest.fixture
def trio(gearmand_factory: type[Gearmand]) -> Iterator[list[Gearmand]]:
    yield [gearmand_factory().start() for _ in range(3)]


def spread_client(servers: list[Gearmand]) -> Client:
    return Client([s.address for s in servers], timeout=30, spread=True)


def uniques_on(server: Gearmand) -> set[str]:
    """``gearadmin --show-unique-jobs``: the uniques of the jobs the server holds."""
    out = subprocess.run(
        ["gearadmin", "-h", server.host, "-p", str(server.port), "--show-unique-jobs"],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout  # fmt: skip
    return {line.strip() for line in out.splitlines() if line.strip() and line.strip() != "."}


def submit(client: Client, fn: str, uniques: list[str | None]) -> list[str]:
    handles: list[str] = []
    for start in range(0, len(uniques), BATCH):
        tasks = [client.add_task_background(fn, b"w", u) for u in uniques[start : start + BATCH]]
        client.run_tasks()
        handles += [t.job_handle or "" for t in tasks]
    return handles


def test_explicit_uniques_spread_over_every_server(trio: list[Gearmand], fn: str) -> None:
    with spread_client(trio) as client:
        handles = submit(client, fn, [f"job-{i}" for i in range(JOBS)])
    assert all(handles)
    counts = [s.queued(fn) for s in trio]
    assert sum(counts) == JOBS
    assert min(counts) >= 0.15 * JOBS, counts


def test_tasks_without_unique_spread_evenly(trio: list[Gearmand], fn: str) -> None:
    with spread_client(trio) as client:
        handles = submit(client, fn, [None] * JOBS)
        for _ in range(30):
            client.do_background(fn, b"one")
    counts = [s.queued(fn) for s in trio]
    assert sum(counts) == JOBS + 30 and all(handles)
    assert min(counts) >= 0.20 * (JOBS + 30), counts


def test_do_background_follows_the_ring_too(trio: list[Gearmand], fn: str) -> None:
    uniques = [f"one-{i}" for i in range(60)]
    with spread_client(trio) as client:
        for u in uniques:
            client.do_background(fn, b"w", u)
    with spread_client(trio) as client:
        submit(client, fn, uniques)  # the same uniques in a batch: coalesced, on the same server
    assert sum(s.queued(fn) for s in trio) == 60
    assert set().union(*(uniques_on(s) for s in trio)) == set(uniques)


SECOND_PROCESS = textwrap.dedent("""
    import json, sys
    from gearman_cffi import Client
    servers, fn, uniques = json.loads(sys.argv[1])
    with Client(servers, timeout=30, spread=True) as client:
        tasks = [client.add_task_background(fn, b"again", u) for u in uniques]
        client.run_tasks()
        assert all(t.job_handle for t in tasks)
""")


def test_same_unique_same_server_across_processes_and_batches(trio: list[Gearmand], fn: str) -> None:
    uniques = [f"u-{i:05d}" for i in range(900)]
    with spread_client(trio) as client:
        submit(client, fn, uniques)
        before = [uniques_on(s) for s in trio]
        submit(client, fn, uniques[::-1])  # again, other batches, other order: coalesced
    assert [uniques_on(s) for s in trio] == before
    assert sum(map(len, before)) == len(uniques) and set().union(*before) == set(uniques)
    # another interpreter, the server list in another order: the same server for each unique
    servers = [s.address for s in reversed(trio)]
    subprocess.run([sys.executable, "-c", SECOND_PROCESS, json.dumps([servers, fn, uniques])], check=True, timeout=120)
    assert [uniques_on(s) for s in trio] == before
    assert [s.queued(fn) for s in trio] == [len(b) for b in before]


def test_status_by_unique_and_by_handle(trio: list[Gearmand], fn: str) -> None:
    with spread_client(trio) as client:
        tasks = [client.add_task_background(fn, b"w", f"s-{i}") for i in range(30)]
        client.run_tasks()
        handles = [t.job_handle or "" for t in tasks] + [client.do_background(fn, b"w", "s-one")]
        assert client.job_statuses(handles) == [JobStatus(True, False, 0, 0)] * 31
        assert client.job_status(handles[-1]) == JobStatus(True, False, 0, 0)
        for i in range(30):
            assert client.unique_status(f"s-{i}") == JobStatus(True, False, 0, 0)
        assert client.unique_status("s-nothing") == UNKNOWN
        assert client.job_status("H:nowhere:1") == UNKNOWN


def test_job_status_asks_the_server_that_created_the_handle(trio: list[Gearmand], fn: str) -> None:
    """gearmands on one host number their handles alike (each one's first job is
    "H:<host>:1"): the Client asks the server that returned the handle."""
    with spread_client(trio) as client:
        handle = client.do_background(fn, b"w", "the-unique")
        (home,) = [s for s in trio if handle in s.job_handles()]
        other = next(s for s in trio if s is not home)
        with Client(other.address, timeout=30) as plain:
            assert plain.do_background(fn, b"other job") == handle  # the same string, another job
        assert client.job_status(handle) == JobStatus(True, False, 0, 0)
        assert home.drain(fn, 1) == [b"w"]  # its own job is done: the server forgets it
        assert client.job_status(handle) == UNKNOWN  # not the other server's job of that name
        assert client.job_statuses([handle, handle]) == [UNKNOWN, UNKNOWN]
    with spread_client(trio) as memoryless:  # a handle it did not return: every server is asked
        assert memoryless.job_status(handle) == JobStatus(True, False, 0, 0)


def test_withdrawn_and_pending_tasks_across_lanes(trio: list[Gearmand], fn: str) -> None:
    with spread_client(trio) as client:
        tasks = [client.add_task_background(fn, b"w", f"p-{i}") for i in range(30)]
        tasks += [client.add_task_background(fn, b"w") for _ in range(30)]
        assert client.pending_tasks and set(client.pending_tasks) == set(tasks)
        assert tasks[3].unique == "p-3" and len(tasks[40].unique) == 36  # read early: added to its C client
        for task in tasks[::2]:
            task.free()
        client.run_tasks()
        assert not client.pending_tasks
        assert all(t.job_handle for t in tasks[1::2]) and not any(t.job_handle for t in tasks[::2])
    assert sum(s.queued(fn) for s in trio) == 30
    assert set().union(*(uniques_on(s) for s in trio)) == {t.unique for t in tasks[1::2]}


def test_spread_is_checked_and_cloned(trio: list[Gearmand], fn: str) -> None:
    with pytest.raises(TypeError):
        Client([s.address for s in trio], spread="yes")  # type: ignore[arg-type]
    with spread_client(trio) as client, client.clone() as clone:
        submit(clone, fn, [None] * 30)
    assert [s.queued(fn) for s in trio] == [10, 10, 10]


def test_callbacks_and_scheduled_jobs_follow_the_ring(trio: list[Gearmand], fn: str) -> None:
    from gearman_cffi import TaskCallbacks

    seen: list[str] = []
    with spread_client(trio) as client:
        client.callbacks = TaskCallbacks(created=lambda task: seen.append(task.unique))
        tasks = [client.add_task_background(fn, b"w", f"cb-{i}") for i in range(30)]
        client.run_tasks()
        assert sorted(seen) == sorted(t.unique for t in tasks)
        before = [uniques_on(s) for s in trio]
        for i in range(30):  # the same uniques, scheduled: coalesced on the same servers
            client.do_background_at(2**31 - 1, fn, b"later", f"cb-{i}")
    assert [uniques_on(s) for s in trio] == before


def test_foreground_jobs_spread_and_complete(trio: list[Gearmand], fn: str) -> None:
    """One ``cat`` worker per server (as every worker should: all servers); a
    foreground batch and do() get each result from whichever server took the job."""
    from peers import cli_worker

    workers = [cli_worker(s, fn, 1000, "cat") for s in trio]
    try:
        with spread_client(trio) as client:
            tasks = [client.add_task(fn, f"r-{i}".encode(), f"fg-{i}") for i in range(60)]
            tasks += [client.add_task(fn, f"a-{i}".encode()) for i in range(30)]
            client.run_tasks()
            assert [t.result for t in tasks] == [f"r-{i}".encode() for i in range(60)] + [
                f"a-{i}".encode() for i in range(30)]  # fmt: skip
            assert [client.do(fn, b"one %d" % i) for i in range(6)] == [b"one %d" % i for i in range(6)]
            assert client.do(fn, b"by unique", "fg-unique") == b"by unique"
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
    counts = [s.status().get(fn, (0, 0, 0))[0] for s in trio]
    assert counts == [0, 0, 0]
