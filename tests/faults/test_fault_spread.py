"""Client(spread=True) when servers die: a dead server's share moves to the
live ones and comes back when it answers; jobs in flight at a SIGKILL are sent
to the same server again (durable queue: none lost, none doubled); at most
one ConnectionError per server death."""

from __future__ import annotations

import collections
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gearmand import Gearmand, SilentServer
from test_fault_durable import sqlite_queue_available

from gearman_cffi import Client, GearmanConnectionError, GearmanTimeoutError

JOBS = 1500  # a durable gearmand stores each job in SQLite: about 5-20 ms a job here
BATCH = 30


@pytest.fixture
def trio(gearmand_factory: type[Gearmand]) -> Iterator[list[Gearmand]]:
    yield [gearmand_factory().start() for _ in range(3)]


@pytest.fixture
def durable_trio(gearmand_factory: type[Gearmand], tmp_path: Path) -> Iterator[list[Gearmand]]:
    if not sqlite_queue_available():
        pytest.skip("gearmand has no libsqlite3 queue")
    yield [gearmand_factory(extra_args=("-q", "libsqlite3", f"--libsqlite3-db={tmp_path / f'q{i}.db'}")).start()
           for i in range(3)]  # fmt: skip


def drain(server: Gearmand, fn: str, count: int) -> list[bytes]:
    """The ``gearman`` CLI worker (no command: it prints each workload) takes
    ``count`` jobs; the payloads are 7 bytes each."""
    out = subprocess.run(["gearman", "-h", server.host, "-p", str(server.port), "-w", "-f", fn, "-c", str(count)],
                         check=True, capture_output=True, timeout=300).stdout  # fmt: skip
    assert len(out) == 7 * count
    return [out[i : i + 7] for i in range(0, len(out), 7)]


def run_batch(client: Client, fn: str, uniques: list[str]) -> None:
    tasks = [client.add_task_background(fn, u.encode(), u) for u in uniques]
    client.run_tasks()
    assert all(t.job_handle for t in tasks)


def test_dead_server_share_moves_then_returns(trio: list[Gearmand], fn: str) -> None:
    alive, dead = trio[:2], trio[2]
    dead.kill()
    with Client([s.address for s in trio], timeout=30, spread=True) as client:
        run_batch(client, fn, [f"a-{i}" for i in range(600)])  # connect refused: moved, no error
        assert sum(s.queued(fn) for s in alive) == 600
        dead.start()  # same port, empty queue
        deadline = time.monotonic() + 30
        while dead.queued(fn) == 0:  # its probe (back-off <= 5 s) finds it: its share comes back
            assert time.monotonic() < deadline, "the returned server got no share"
            run_batch(client, fn, [f"b-{time.monotonic()}-{i}" for i in range(30)])
            time.sleep(0.05)
        before = [s.queued(fn) for s in trio]
        run_batch(client, fn, [f"c-{i}" for i in range(900)])
        share = [s.queued(fn) - b for s, b in zip(trio, before)]
    assert sum(share) == 900 and min(share) >= 0.15 * 900, share


def test_all_servers_down_raises_then_recovers(trio: list[Gearmand], fn: str) -> None:
    with Client([s.address for s in trio], timeout=30, spread=True) as client:
        for server in trio:
            server.kill()
        tasks = [client.add_task_background(fn, b"w", f"d-{i}") for i in range(30)]
        tasks += [client.add_task_background(fn, b"w") for _ in range(30)]
        with pytest.raises(GearmanConnectionError):
            client.run_tasks()
        assert len(client.pending_tasks) == 60 and not any(t.job_handle for t in tasks)
        trio[1].start()
        deadline = time.monotonic() + 30
        while client.pending_tasks:
            assert time.monotonic() < deadline
            try:
                client.run_tasks()
            except GearmanConnectionError:  # no server's probe due yet, or still down
                time.sleep(0.05)
        assert all(t.job_handle for t in tasks)
    assert trio[1].queued(fn) == 60


def test_hung_server_one_timeout_others_done(gearmand_factory: type[Gearmand], silent_server: SilentServer,
                                             fn: str) -> None:  # fmt: skip
    live = [gearmand_factory().start() for _ in range(2)]
    servers = [live[0].address, silent_server.address, live[1].address]
    with Client(servers, timeout=1, spread=True) as client:
        tasks = [client.add_task_background(fn, b"w") for _ in range(30)]
        with pytest.raises(GearmanTimeoutError, match="in doubt"):
            client.run_tasks()
        # the hung server's ten are parked for it (it may hold them); the rest were created
        assert sum(t.job_handle is not None for t in tasks) == 20 == sum(s.queued(fn) for s in live)
        assert len(client.pending_tasks) == 10


@pytest.mark.slow
def test_sigkill_mid_batch_durable_none_lost_none_doubled(durable_trio: list[Gearmand], fn: str) -> None:
    """Batches run while one of three durable gearmand is killed and restarted.
    Every task ends with a handle; draining every server gives each payload
    exactly once; at most one ConnectionError surfaced."""
    payloads = [f"k-{i:05d}" for i in range(JOBS)]  # 7 bytes: see drain()
    victim = durable_trio[1]
    errors: list[BaseException] = []
    tasks = []
    done = threading.Event()

    def submit() -> None:
        with Client([s.address for s in durable_trio], timeout=30, spread=True) as client:
            for start in range(0, JOBS, BATCH):
                for i in range(start, start + BATCH):  # half with an explicit unique, half without
                    tasks.append(client.add_task_background(fn, payloads[i], payloads[i] if i % 2 else None))
                while client.pending_tasks:
                    try:
                        client.run_tasks()
                    except ConnectionError as error:
                        errors.append(error)
                    if client.pending_tasks:  # parked for the dead server until it answers
                        time.sleep(0.02)
        done.set()

    thread = threading.Thread(target=submit)
    thread.start()
    while sum(t.job_handle is not None for t in list(tasks)) < JOBS // 4:
        time.sleep(0.005)
    victim.kill()
    killed_at = len(tasks)
    time.sleep(0.3)
    victim.start()
    thread.join(300)
    assert done.is_set()
    assert len(tasks) == JOBS and all(t.job_handle for t in tasks)
    assert len(errors) <= 1, errors
    counts = [s.queued(fn) for s in durable_trio]
    assert sum(counts) == JOBS, counts
    drained = [p for s, n in zip(durable_trio, counts) for p in drain(s, fn, n)]
    assert collections.Counter(drained) == collections.Counter(p.encode() for p in payloads)
    assert killed_at < JOBS and min(counts) > 0
    assert [s.queued(fn) for s in durable_trio] == [0, 0, 0]


def test_close_from_another_thread_stops_a_spread_run(gearmand: Gearmand, silent_server: SilentServer,
                                                      fn: str) -> None:  # fmt: skip
    client = Client([gearmand.address, silent_server.address], spread=True)  # no timeout: waits for ever
    tasks = [client.add_task_background(fn, b"w") for _ in range(10)]
    timer = threading.Timer(0.5, client.close)
    timer.start()
    with pytest.raises(ValueError, match="closed"):  # ClientClosedError
        client.run_tasks()
    timer.join()
    assert sum(t.job_handle is not None for t in tasks) == 5 == gearmand.queued(fn)  # handles kept
