"""Epoch-scheduled background jobs and what gearmand 1.1.20 does with them;
gearman_client_cancel_job, which gearmand 1.1.20 refuses."""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from pathlib import Path

import pytest
from gearmand import Gearmand
from internals import main_c_client

import gearman_cffi
from gearman_cffi import Priority, ffi, lib


class Worker:
    """A ``gearman`` CLI worker in the background that stores one job's workload."""

    def __init__(self, server: Gearmand, function: str, tmp_path: Path) -> None:
        self.out = tmp_path / "job"
        self.server, self.function = server, function
        self.proc = subprocess.Popen(
            ["gearman", "-h", server.host, "-p", str(server.port), "-w", "-f", function, "-c", "1",
             "--", "sh", "-c", f'cat > "{self.out}.tmp" && mv "{self.out}.tmp" "{self.out}"'],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def wait_registered(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.server.status().get(self.function, (0, 0, 0))[2] < 1:
            assert time.monotonic() < deadline, "worker did not register"
            time.sleep(0.05)

    def received(self, wait: float = 0) -> bytes | None:
        deadline = time.monotonic() + wait
        while not self.out.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.out.read_bytes() if self.out.exists() else None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


def test_do_background_at_queues_a_job_for_later(client: gearman_cffi.Client, gearmand_module: Gearmand, fn: str):
    handle = client.do_background_at(time.time() + 3600, fn, b"later")
    assert handle.startswith("H:")
    assert gearmand_module.queued(fn) == 1  # counted at once
    assert client.job_status(handle).is_known


def test_epoch_job_is_not_handed_out_early(gearmand_module: Gearmand, fn: str, tmp_path: Path):
    with gearman_cffi.Client(gearmand_module.address, timeout=10) as client:
        client.do_background_at(dt.datetime.now() + dt.timedelta(hours=1), fn, b"later")
    worker = Worker(gearmand_module, fn, tmp_path)
    try:
        worker.wait_registered()
        assert worker.received(wait=2) is None
        assert gearmand_module.queued(fn) == 1
    finally:
        worker.stop()


def test_epoch_job_runs_for_a_worker_that_asks_after_its_time(gearmand_module: Gearmand, fn: str, tmp_path: Path):
    with gearman_cffi.Client(gearmand_module.address, timeout=10) as client:
        client.do_background_at(time.time() + 1, fn, b"due soon", priority=Priority.HIGH)
    time.sleep(2.5)
    assert gearmand_module.drain(fn, 1) == [b"due soon"]


@pytest.mark.slow
def test_gearmand_1_1_20_wakes_no_sleeping_worker_when_an_epoch_job_falls_due(
    gearmand_module: Gearmand, fn: str, tmp_path: Path
):
    """gearmand issue 101: a worker already waiting gets the due epoch job only
    when another job for the function arrives and wakes it."""
    due = time.time() + 6
    with gearman_cffi.Client(gearmand_module.address, timeout=10) as client:
        client.do_background_at(due, fn, b"scheduled")
        worker = Worker(gearmand_module, fn, tmp_path)
        try:
            worker.wait_registered()
            if time.time() > due - 1:
                pytest.skip("machine too slow to start the worker before the job fell due")
            time.sleep(max(0.0, due - time.time()) + 3)
            assert worker.received() is None  # due for 3 s, worker idle, not woken
            client.do_background(fn, b"wake-up call")
            assert worker.received(wait=30) == b"scheduled"  # the due job goes first
        finally:
            worker.stop()
    assert gearmand_module.queued(fn) == 1  # the wake-up job is still queued


def test_do_background_at_leaves_pending_tasks_alone(client: gearman_cffi.Client, gearmand_module: Gearmand, fn: str):
    task = client.add_task_background(fn, b"pending")
    client.do_background_at(time.time() + 3600, fn, b"scheduled", unique=f"{fn}-s")
    assert client.pending_tasks == [task]
    assert gearmand_module.queued(fn) == 1
    client.run_tasks()
    assert gearmand_module.queued(fn) == 2


@pytest.mark.parametrize("when, error", [
    ("tomorrow", TypeError), (True, TypeError), (None, TypeError),
    (float("nan"), ValueError), (float("inf"), ValueError), (-5, ValueError), (0, ValueError),
])  # fmt: skip
def test_do_background_at_rejects_bad_times(client: gearman_cffi.Client, fn: str, when: object, error: type):
    with pytest.raises(error):
        client.do_background_at(when, fn, b"x")  # type: ignore[arg-type]


def test_do_background_at_connection_failure_leaves_client_usable(gearmand_module: Gearmand, fn: str):
    with gearman_cffi.Client("127.0.0.1:1", timeout=2) as client:
        with pytest.raises(gearman_cffi.GearmanConnectionError):
            client.do_background_at(time.time() + 60, fn, b"x")
    with gearman_cffi.Client(gearmand_module.address, timeout=10) as client:
        client.do_background_at(time.time() + 60, fn, b"x")
        assert client.do_background(fn, b"y").startswith("H:")


# -- cancel ---------------------------------------------------------------------------------
def test_gearman_client_cancel_job_does_not_work_against_gearmand_1_1_20(
    client: gearman_cffi.Client, gearmand_module: Gearmand, fn: str
):
    """libgearman's cancel sends WORK_FAIL from a client connection; gearmand
    accepts WORK_FAIL only from the worker running the job, so it answers
    JOB_NOT_FOUND and the job stays queued.  Hence no Client.cancel_job."""
    handle = client.do_background(fn, b"x")
    rc = lib.gearman_client_cancel_job(main_c_client(client), ffi.new("gearman_job_handle_t", handle.encode()))
    assert rc == lib.GEARMAN_JOB_NOT_FOUND
    assert gearmand_module.queued(fn) == 1
    assert not hasattr(client, "cancel_job")
    # Nor is gearadmin's text-protocol "cancel job" an alternative: it answers
    # OK, and the job stays queued and known.
    out = subprocess.run(["gearadmin", "-h", gearmand_module.host, "-p", str(gearmand_module.port), "--cancel-job",
                          handle], check=True, capture_output=True, text=True, timeout=30).stdout  # fmt: skip
    assert out.strip() == "OK"
    assert gearmand_module.queued(fn) == 1
    assert client.job_status(handle).is_known
