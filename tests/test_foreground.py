"""Foreground jobs: ``do*`` and ``add_task*`` + ``run_tasks`` wait for a worker's
result.  Workers are independent peers: the ``gearman`` CLI worker and PHP's
GearmanWorker (tests/php/worker.php)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest
from gearmand import Gearmand
from peers import cli_worker, php_worker

from gearman_cffi import (
    Client,
    GearmanError,
    GearmanTimeoutError,
    GearmanWorkError,
    ReturnCode,
    TaskCallbacks,
    ffi,
    lib,
)


@pytest.fixture
def echo_worker(gearmand_module: Gearmand, fn: str) -> Iterator[str]:
    """``cat`` behind the CLI worker: every job's result is its workload, byte for byte."""
    worker = cli_worker(gearmand_module, fn, 1000, "cat")
    yield fn
    worker.kill()
    worker.wait()


def test_do_returns_the_work_complete_payload(client: Client, echo_worker: str) -> None:
    payload = bytes(range(256)) * 64 + b"\0end"
    assert client.do(echo_worker, payload) == payload
    assert client.do_high(echo_worker, "high é") == "high é".encode()
    assert client.do_low(echo_worker, bytearray(b"low")) == b"low"
    assert client.do(echo_worker, b"") == b""  # an empty result is b"", not None


def test_one_mib_result_byte_exact(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    payload = os.urandom(1 << 20)
    worker = php_worker(gearmand_module, fn, "reverse", 1)  # the CLI worker deadlocks on a pipe this size
    try:
        assert client.do(fn, payload) == payload[::-1]
    finally:
        worker.kill()


def test_batch_of_foreground_tasks(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    worker = php_worker(gearmand_module, fn, "reverse", 300)
    try:
        tasks = [client.add_task(fn, f"job {i}", context=i) for i in range(300)]
        assert all(t.is_pending and t.result is None for t in tasks)
        client.run_tasks()
        assert [t.result for t in tasks] == [f"job {i}"[::-1].encode() for i in range(300)]
        assert all(t.return_code is ReturnCode.SUCCESS and not t.is_pending for t in tasks)
        assert client.pending_tasks == [] and worker.wait(30) == 0
    finally:
        worker.kill()


def test_data_status_warning_reach_callbacks_as_they_arrive(client: Client, gearmand_module: Gearmand, fn: str):
    events: list[tuple[str, object]] = []
    client.callbacks = TaskCallbacks(
        created=lambda t: events.append(("created", t.job_handle is not None)),
        data=lambda t, d: events.append(("data", d)),
        status=lambda t: events.append(("status", (t.numerator, t.denominator))),
        warning=lambda t, d: events.append(("warning", d)),
        complete=lambda t, d: events.append(("complete", d)),
    )
    worker = php_worker(gearmand_module, fn, "chunks", 1)
    try:
        task = client.add_task(fn, b"x")
        client.run_tasks()
    finally:
        worker.kill()
    assert events == [("created", True), ("data", b"a"), ("data", b"bb"), ("data", b"ccc"), ("status", (1, 2)),
                      ("warning", b"careful"), ("complete", b"done")]  # fmt: skip
    assert task.result == b"done"  # WORK_DATA chunks are not part of the result


def test_worker_exception_raises_gearman_work_error(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    worker = php_worker(gearmand_module, fn, "exception", 1)
    try:
        with pytest.raises(GearmanWorkError) as info:
            client.do(fn, b"payload")
    finally:
        worker.kill()
    assert info.value.code is ReturnCode.WORK_EXCEPTION and info.value.data == b"boom: payload"
    assert isinstance(info.value, GearmanError)


def test_worker_fail_raises_gearman_work_error_without_data(client: Client, gearmand_module: Gearmand, fn: str):
    worker = php_worker(gearmand_module, fn, "fail", 1)
    try:
        with pytest.raises(GearmanWorkError) as info:
            client.do(fn, b"payload")
    finally:
        worker.kill()
    assert info.value.code is ReturnCode.WORK_FAIL and info.value.data is None


def test_a_failed_task_does_not_stop_the_batch(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    good, bad = f"{fn}_good", f"{fn}_bad"
    workers = [php_worker(gearmand_module, good, "reverse", 5), php_worker(gearmand_module, bad, "exception", 1)]
    try:
        tasks = [client.add_task(good, f"{i}") for i in range(2)] + [client.add_task(bad, b"b")]
        tasks += [client.add_task(good, f"{i}") for i in range(2, 5)]
        client.run_tasks()
    finally:
        for worker in workers:
            worker.kill()
    assert [t.result for t in tasks] == [b"0", b"1", None, b"2", b"3", b"4"]
    assert tasks[2].return_code in (ReturnCode.WORK_EXCEPTION, ReturnCode.WORK_FAIL)
    assert tasks[2].exception == b"boom: b" and not tasks[2].is_pending


def test_trap_a_client_that_did_not_ask_for_exceptions_is_never_told(gearmand_module: Gearmand, fn: str) -> None:
    """Raw libgearman without GEARMAN_CLIENT_EXCEPTION, against a worker that
    sends WORK_EXCEPTION then WORK_FAIL: gearmand 1.1.20 ends the job at the
    exception and tells only clients that asked for exceptions, so this one
    waits until its timeout.  The binding asks on every connection."""
    worker = php_worker(gearmand_module, fn, "exception", 1)
    ptr = lib.gearman_client_create(ffi.NULL)
    try:
        lib.gearman_client_add_server(ptr, gearmand_module.host.encode(), gearmand_module.port)
        lib.gearman_client_set_timeout(ptr, 2_000)
        size, ret = ffi.new("size_t *"), ffi.new("gearman_return_t *")
        result = lib.gearman_client_do(ptr, fn.encode(), ffi.NULL, b"x", 1, size, ret)
        assert result == ffi.NULL and ret[0] == lib.GEARMAN_TIMEOUT
        assert worker.wait(10) == 0  # the worker did the job and sent its exception
    finally:
        lib.gearman_client_free(ptr)
        worker.kill()


def test_priorities_order_the_queue(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    tasks = [client.add_task_low(fn, b"low"), client.add_task(fn, b"normal"), client.add_task_high(fn, b"high")]
    runner = threading.Thread(target=client.run_tasks)
    runner.start()
    deadline = time.monotonic() + 10
    while gearmand_module.queued(fn) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    order = gearmand_module.drain(fn, 3)  # the CLI worker takes them in priority order
    runner.join(30)
    assert order == [b"high", b"normal", b"low"]
    assert not runner.is_alive() and all(t.result == b"" for t in tasks)


def test_timeout_with_no_worker_leaves_the_client_usable(gearmand_module: Gearmand, fn: str) -> None:
    with Client(gearmand_module.address, timeout=0.5) as client:
        started = time.monotonic()
        with pytest.raises(GearmanTimeoutError):
            client.do(fn, b"nobody listens")
        assert time.monotonic() - started < 5
        worker = cli_worker(gearmand_module, f"{fn}_echo", 1, "cat")
        try:
            client.timeout = 10
            assert client.do(f"{fn}_echo", b"after") == b"after"
        finally:
            worker.kill()


def test_ctrl_c_interrupts_a_foreground_wait_promptly(gearmand_module: Gearmand, fn: str) -> None:
    sent: list[float] = []

    def fire() -> None:
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    with Client(gearmand_module.address) as client:  # timeout=None: only the signal ends the wait
        timer = threading.Timer(0.3, fire)
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            client.do(fn, b"nobody listens yet")
        assert time.monotonic() - sent[0] < 1.0
        worker = cli_worker(gearmand_module, f"{fn}_echo", 1, "cat")
        try:
            assert client.do(f"{fn}_echo", b"still usable") == b"still usable"
        finally:
            worker.kill()


def test_interrupted_batch_resumes_with_the_same_results(gearmand_module: Gearmand, fn: str) -> None:
    """Ctrl-C in run_tasks keeps the unfinished foreground tasks pending; the
    next run_tasks collects their results."""
    with Client(gearmand_module.address) as client:
        tasks = [client.add_task(fn, f"{i}") for i in range(3)]
        timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            client.run_tasks()
        assert client.pending_tasks == tasks and all(t.job_handle for t in tasks)
        worker = php_worker(gearmand_module, fn, "reverse", 3)
        try:
            client.run_tasks()
        finally:
            worker.kill()
        assert [t.result for t in tasks] == [b"0", b"1", b"2"]


def test_same_unique_twice_in_a_batch_is_one_job_with_two_listeners(
    client: Client, gearmand_module: Gearmand, fn: str
) -> None:
    """gearmand coalesces the second submission into the first job; libgearman
    hands the one WORK_COMPLETE to both tasks."""
    tasks = [client.add_task(fn, b"abc", unique="same-u"), client.add_task(fn, b"abc", unique="same-u")]
    worker = php_worker(gearmand_module, fn, "reverse", 1)
    try:
        client.run_tasks()
        assert worker.wait(10) == 0  # one job was enough for both
    finally:
        worker.kill()
    assert [t.result for t in tasks] == [b"cba", b"cba"] and tasks[0].job_handle == tasks[1].job_handle
