"""libgearman's (and gearmand's) traps on the worker path, each reproduced with
the raw ``lib`` worker API, next to the test that the Worker avoids it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from gearmand import Gearmand
from workers import WORK_COMPLETE, WORK_FAIL, RawClient, cli_submit, serving

from gearman_cffi import Job, Worker, ffi, lib

V1 = "void *(gearman_job_st *, void *, size_t *, gearman_return_t *)"


@pytest.fixture
def raw_worker(gearmand: Gearmand) -> Iterator[Any]:
    worker = lib.gearman_worker_create(ffi.NULL)
    assert lib.gearman_worker_add_server(worker, gearmand.host.encode(), gearmand.port) == lib.GEARMAN_SUCCESS
    yield worker
    lib.gearman_worker_free(worker)


def test_trap_work_after_failing_return_runs_no_job(gearmand: Gearmand, raw_worker: Any, fn: str) -> None:
    """After a function sends WORK_EXCEPTION and returns a failure,
    gearman_worker_work returns the failure, and the next call returns
    SUCCESS without running any job: count jobs, not calls."""
    calls = []

    @ffi.callback(V1)
    def function(job: Any, context: Any, size: Any, ret: Any) -> Any:
        calls.append(1)
        assert lib.gearman_job_send_exception(job, b"boom", 4) == lib.GEARMAN_SUCCESS
        assert lib.gearman_job_send_fail(job) == lib.GEARMAN_SUCCESS  # a no-op: the job is finished
        ret[0] = lib.GEARMAN_WORK_FAIL
        size[0] = 0
        return ffi.NULL

    client = RawClient(gearmand, exceptions=True)
    client.submit(fn, b"x")
    assert lib.gearman_worker_add_function(raw_worker, fn.encode(), 0, function, ffi.NULL) == lib.GEARMAN_SUCCESS
    lib.gearman_worker_set_timeout(raw_worker, 2000)
    assert lib.gearman_worker_work(raw_worker) != lib.GEARMAN_SUCCESS and len(calls) == 1
    start = time.monotonic()
    assert lib.gearman_worker_work(raw_worker) == lib.GEARMAN_SUCCESS  # no job queued, none run
    assert len(calls) == 1 and time.monotonic() - start < 1.5  # it did not even wait
    assert [command for command, _ in client.packets_until_done()] == [25]  # WORK_EXCEPTION only: no WORK_FAIL
    client.close()


def test_worker_counts_jobs_not_calls(gearmand: Gearmand, fn: str) -> None:
    client = RawClient(gearmand)
    handles = [client.submit(fn, workload) for workload in (b"bad", b"good", b"bad", b"good")]
    with Worker(gearmand.address, exceptions=True) as worker:
        worker.add_function(fn, lambda job: 1 / 0 if job.workload == b"bad" else b"ok")
        assert worker.run(max_jobs=4) == 4
    assert gearmand.queued(fn) == 0
    assert [client.packets_until_done()[0][0] for _ in handles] == [WORK_FAIL, WORK_COMPLETE, WORK_FAIL, WORK_COMPLETE]
    client.close()


def test_trap_gearmand_work_fail_with_nul_for_unaware_submitter(
    gearmand: Gearmand, raw_worker: Any, fn: str
) -> None:
    """gearmand turns WORK_EXCEPTION into WORK_FAIL for a submitter that did not
    ask for exceptions, with the handle's NUL separator still on it, which
    libgearman clients (``gearman`` CLI, PHP) do not match: they wait forever.
    So the Worker sends WORK_FAIL unless ``exceptions=True``."""

    @ffi.callback(V1)
    def function(job: Any, context: Any, size: Any, ret: Any) -> Any:
        lib.gearman_job_send_exception(job, b"boom", 4)
        ret[0] = lib.GEARMAN_SUCCESS
        size[0] = 0
        return ffi.NULL

    client = RawClient(gearmand)
    handle = client.submit(fn, b"x")
    lib.gearman_worker_add_function(raw_worker, fn.encode(), 0, function, ffi.NULL)
    assert lib.gearman_worker_work(raw_worker) == lib.GEARMAN_SUCCESS
    assert client.packets_until_done() == [(WORK_FAIL, handle + b"\0")]  # not the handle alone
    client.close()


def test_trap_send_after_lost_connection_skips_registration(gearmand: Gearmand, raw_worker: Any, fn: str) -> None:
    """A send after the server went away reconnects to the restarted server
    and sends the packet there without CAN_DO first: the server answers
    ERROR and the worker, connected but registered for nothing, never gets
    a job again."""

    @ffi.callback(V1)
    def function(job: Any, context: Any, size: Any, ret: Any) -> Any:
        gearmand.restart()
        codes = []
        for _ in range(3):  # the first write after the restart may still succeed
            codes.append(lib.gearman_job_send_data(job, b"d", 1))
            time.sleep(0.1)
        assert lib.GEARMAN_LOST_CONNECTION in codes
        ret[0] = lib.GEARMAN_SUCCESS  # libgearman then sends WORK_COMPLETE on a new connection
        size[0] = 0
        return ffi.NULL

    cli = cli_submit(gearmand, fn, b"x")
    lib.gearman_worker_add_function(raw_worker, fn.encode(), 0, function, ffi.NULL)
    lib.gearman_worker_set_timeout(raw_worker, 300)
    lib.gearman_worker_work(raw_worker)
    cli.communicate(timeout=30)
    for _ in range(3):
        lib.gearman_worker_work(raw_worker)  # UNEXPECTED_PACKET (the ERROR), then timeouts
    assert gearmand.status().get(fn, (0, 0, 0))[2] == 0  # connected, yet no function registered


def test_worker_reregisters_after_a_failed_send(gearmand: Gearmand, fn: str) -> None:
    entered, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def handler(job: Job) -> bytes:
        if job.workload == b"hold":
            entered.set()
            release.wait(30)
            try:
                for _ in range(3):
                    job.send_data(b"d")
                    time.sleep(0.1)
            except ConnectionError as exc:
                errors.append(exc)
                job.send_data(b"again")  # refused in Python: raises the same error
        return b"r:" + job.workload

    with Worker(gearmand.address) as worker:
        worker.add_function(fn, handler)
        with serving(worker) as done:
            held = cli_submit(gearmand, fn, b"hold")
            assert entered.wait(30)
            gearmand.restart()
            release.set()
            held.communicate(timeout=30)
            assert cli_submit(gearmand, fn, b"after").communicate(timeout=30)[0] == b"r:after"
    assert len(errors) == 1 and done == [2]


def test_trap_non_blocking_worker_with_no_server(raw_worker: Any, gearmand: Gearmand, fn: str) -> None:
    """In non-blocking mode an unreachable server shows as IO_WAIT (the
    connect), then NO_JOBS, and gearman_worker_wait says NO_ACTIVE_FDS: never
    COULD_NOT_CONNECT.  The Worker naps a slice on NO_ACTIVE_FDS and retries."""
    gearmand.kill()
    lib.gearman_worker_register(raw_worker, fn.encode(), 0)
    lib.gearman_worker_add_options(raw_worker, lib.GEARMAN_WORKER_NON_BLOCKING)
    lib.gearman_worker_set_timeout(raw_worker, 100)
    for _ in range(2):
        assert lib.gearman_worker_work(raw_worker) == lib.GEARMAN_IO_WAIT
        assert lib.gearman_worker_wait(raw_worker) == lib.GEARMAN_SUCCESS
        assert lib.gearman_worker_work(raw_worker) == lib.GEARMAN_NO_JOBS
        assert lib.gearman_worker_wait(raw_worker) == lib.GEARMAN_NO_ACTIVE_FDS


def test_trap_timeout_option_coupling(raw_worker: Any) -> None:
    """set_timeout turns TIMEOUT_RETURN on; removing TIMEOUT_RETURN resets the
    timeout to GEARMAN_WORKER_WAIT_TIMEOUT (10 s), not to "block"."""
    lib.gearman_worker_set_timeout(raw_worker, 250)
    assert lib.gearman_worker_options(raw_worker) & lib.GEARMAN_WORKER_TIMEOUT_RETURN
    lib.gearman_worker_remove_options(raw_worker, lib.GEARMAN_WORKER_TIMEOUT_RETURN)
    assert lib.gearman_worker_timeout(raw_worker) == lib.GEARMAN_WORKER_WAIT_TIMEOUT
