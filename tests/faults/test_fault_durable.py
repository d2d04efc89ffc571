"""Durable queue: every job that got a handle survives a SIGKILL of a gearmand
with a libsqlite3 queue, exactly once."""

from __future__ import annotations

import collections
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gearmand import Gearmand

from gearman_cffi import Client

JOBS = 2000
BATCH = 250


def sqlite_queue_available() -> bool:
    exe = shutil.which("gearmand") or "/usr/sbin/gearmand"
    try:
        out = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return False
    return "--libsqlite3-db" in out


@pytest.fixture
def durable_gearmand(tmp_path: Path) -> Iterator[Gearmand]:
    if not sqlite_queue_available():
        pytest.skip("gearmand has no libsqlite3 queue")
    server = Gearmand(extra_args=("-q", "libsqlite3", f"--libsqlite3-db={tmp_path / 'queue.db'}")).start()
    yield server
    server.stop()


@pytest.mark.slow
def test_sigkill_keeps_every_acknowledged_job_exactly_once(durable_gearmand: Gearmand, fn: str) -> None:
    payloads = [b"durable-%05d-" % i + bytes(range(i % 7)) for i in range(JOBS)]  # some carry NUL bytes
    handles = []
    with Client(durable_gearmand.address, timeout=30) as client:
        for start in range(0, JOBS, BATCH):
            tasks = [client.add_task_background(fn, p) for p in payloads[start : start + BATCH]]
            client.run_tasks()
            handles += [t.job_handle for t in tasks]
    assert None not in handles and len(set(handles)) == JOBS
    durable_gearmand.restart()  # SIGKILL, then the same port and database
    assert durable_gearmand.queued(fn) == JOBS
    drained = durable_gearmand.drain(fn, JOBS, timeout=300)
    assert collections.Counter(drained) == collections.Counter(payloads)  # none missing, none doubled
    assert durable_gearmand.queued(fn) == 0


@pytest.mark.slow
def test_sigkill_mid_batch_then_resend_pending_exactly_once(durable_gearmand: Gearmand, fn: str) -> None:
    """SIGKILL while batches are in flight; the same Client keeps calling
    run_tasks() until every task has a handle.  Tasks caught in flight are
    re-sent with their unique; a copy the dead server had already stored is
    coalesced with it after the restart, so each payload is drained once."""
    payloads = [b"mid-%05d" % i for i in range(JOBS)]
    done = threading.Event()
    errors: list[BaseException] = []
    tasks = []

    def submit() -> None:
        with Client(durable_gearmand.address, timeout=30) as client:
            for start in range(0, JOBS, BATCH // 5):
                tasks.extend(client.add_task_background(fn, p) for p in payloads[start : start + BATCH // 5])
                while client.pending_tasks:
                    try:
                        client.run_tasks()
                    except ConnectionError as error:
                        errors.append(error)
                        time.sleep(0.05)
        done.set()

    thread = threading.Thread(target=submit)
    thread.start()
    while sum(t.job_handle is not None for t in list(tasks)) < JOBS // 4:
        time.sleep(0.005)
    durable_gearmand.kill()
    time.sleep(0.3)
    durable_gearmand.start()
    thread.join(300)
    assert done.is_set()
    assert errors, "the kill came too late to hit a batch in flight"
    assert len(tasks) == JOBS and all(t.job_handle for t in tasks)
    assert durable_gearmand.queued(fn) == JOBS
    assert collections.Counter(durable_gearmand.drain(fn, JOBS, timeout=300)) == collections.Counter(payloads)
