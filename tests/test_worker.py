"""Worker against real gearmand, checked through independent submitters: the
``gearman`` CLI, a raw-socket client and PHP's GearmanClient."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from gearmand import Gearmand
from workers import (
    HAVE_PHP_GEARMAN,
    WORK_COMPLETE,
    WORK_DATA,
    WORK_EXCEPTION,
    WORK_FAIL,
    WORK_STATUS,
    WORK_WARNING,
    RawClient,
    cli_submit,
    php_submit,
    serving,
)

from gearman_cffi import GearmanTimeoutError, Job, ReturnCode, Worker, WorkerClosedError

BINARY = bytes(range(256)) * 4 + b"\0\n\r\0"
MIB = bytes((i * 7 + i // 256) % 256 for i in range(1 << 20))


def test_cli_client_byte_exact(gearmand_module: Gearmand, fn: str) -> None:
    seen: list[Job] = []

    def handler(job: Job) -> bytes:
        seen.append(job)
        return job.workload[::-1] + b"\0end"

    with Worker(gearmand_module.address, timeout=30) as worker:
        worker.add_function(fn, handler)
        for workload in (BINARY, MIB, b"x"):
            proc = cli_submit(gearmand_module, fn, workload)
            worker.work()
            out, err = proc.communicate(timeout=30)
            assert proc.returncode == 0, err
            assert out == workload[::-1] + b"\0end"
    assert [job.workload for job in seen] == [BINARY, MIB, b"x"]
    assert all(job.function_name == fn and job.handle.startswith("H:") for job in seen)


def test_job_fields_and_unique(gearmand_module: Gearmand, fn: str) -> None:
    seen: list[Job] = []
    client = RawClient(gearmand_module)
    handle = client.submit(fn, b"payload", unique=b"my-unique-42")
    with Worker(gearmand_module.address, timeout=30) as worker:
        worker.add_function(fn, lambda job: seen.append(job))
        worker.work()
    assert client.packets_until_done() == [(WORK_COMPLETE, handle + b"\0")]
    job = seen[0]
    assert (job.function_name, job.handle, job.unique, job.workload) == (fn, handle.decode(), "my-unique-42", b"payload")
    with pytest.raises(RuntimeError, match="finished"):
        job.send_status(1, 2)  # the C job is gone: refused, not a use after free
    client.close()


@pytest.mark.parametrize(
    ("returned", "expected"),
    [(None, b""), ("héllo", "héllo".encode()), (bytearray(b"ba"), b"ba"), (memoryview(b"mv"), b"mv"), (b"", b"")],
)
def test_return_values(gearmand_module: Gearmand, fn: str, returned: object, expected: bytes) -> None:
    client = RawClient(gearmand_module)
    handle = client.submit(fn, b"x")
    with Worker(gearmand_module.address, timeout=30) as worker:
        worker.add_function(fn, lambda job: returned)
        worker.work()
    assert client.packets_until_done() == [(WORK_COMPLETE, handle + b"\0" + expected)]
    client.close()


def test_status_data_warning_reach_the_submitter(gearmand_module: Gearmand, fn: str) -> None:
    def handler(job: Job) -> str:
        job.send_status(1, 4)
        job.send_data(b"part\0one")
        job.send_warning("careful")
        job.send_status(4, 4)
        return "done"

    client = RawClient(gearmand_module)
    handle = client.submit(fn, b"x")
    with Worker(gearmand_module.address, timeout=30) as worker:
        worker.add_function(fn, handler)
        proc = cli_submit(gearmand_module, fn, b"y")
        worker.work()
        worker.work()
    h = handle + b"\0"
    assert client.packets_until_done() == [
        (WORK_STATUS, h + b"1\x004"), (WORK_DATA, h + b"part\0one"), (WORK_WARNING, h + b"careful"),
        (WORK_STATUS, h + b"4\x004"), (WORK_COMPLETE, h + b"done"),
    ]  # fmt: skip
    out, err = proc.communicate(timeout=30)  # the CLI: data and status on stdout, warnings on stderr
    statuses = b"25% Complete\n", b"100% Complete\n"  # printf()ed (buffered), data write()n
    assert all(line in out for line in statuses) and (err, proc.returncode) == (b"careful", 0)
    assert out.replace(statuses[0], b"").replace(statuses[1], b"") == b"part\0onedone"
    client.close()


def test_exception_fails_the_job_and_worker_goes_on(
    gearmand_module: Gearmand, fn: str, caplog: pytest.LogCaptureFixture
) -> None:
    def handler(job: Job) -> bytes:
        if job.workload == b"bad":
            raise ValueError("no good")
        if job.workload == b"type":
            return 42  # type: ignore[return-value]
        return b"ok"

    with Worker(gearmand_module.address, timeout=30) as worker:
        worker.add_function(fn, handler)
        for workload, rc, out, err in [(b"bad", 1, b"", b"Job failed\n"), (b"type", 1, b"", b"Job failed\n"),
                                       (b"fine", 0, b"ok", b"")]:  # fmt: skip
            proc = cli_submit(gearmand_module, fn, workload)
            with caplog.at_level(logging.ERROR, logger="gearman_cffi"):
                worker.work()
            assert proc.communicate(timeout=30) == (out, err)
            assert proc.returncode == rc
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert [type(r.exc_info[1]) for r in tracebacks if r.exc_info] == [ValueError, TypeError]
    assert "no good" in caplog.text and "Traceback" in caplog.text


def test_exceptions_option_sends_work_exception(gearmand_module: Gearmand, fn: str) -> None:
    aware = RawClient(gearmand_module, exceptions=True)
    handle = aware.submit(fn, b"x")
    with Worker(gearmand_module.address, timeout=30, exceptions=True) as worker:
        worker.add_function(fn, lambda job: 1 / 0)
        worker.add_function(fn + "e", lambda job: (_ for _ in ()).throw(KeyError()))
        worker.work()
        assert aware.packets_until_done() == [(WORK_EXCEPTION, handle + b"\0division by zero")]
        handle = aware.submit(fn + "e", b"x")
        worker.work()  # str(KeyError()) is empty: the class name is sent (libgearman refuses "")
        assert aware.packets_until_done() == [(WORK_EXCEPTION, handle + b"\0KeyError")]
    aware.close()


def test_default_sends_plain_work_fail(gearmand_module: Gearmand, fn: str) -> None:
    for exceptions in (False, True):  # a submitter that asked for exceptions gets WORK_FAIL too
        client = RawClient(gearmand_module, exceptions=exceptions)
        handle = client.submit(fn, b"x")
        with Worker(gearmand_module.address, timeout=30) as worker:
            worker.add_function(fn, lambda job: 1 / 0)
            worker.work()
        assert client.packets_until_done() == [(WORK_FAIL, handle)]
        client.close()


@pytest.mark.skipif(not HAVE_PHP_GEARMAN, reason="php-gearman not installed")
def test_php_client(gearmand_module: Gearmand, fn: str) -> None:
    with Worker(gearmand_module.address, timeout=30) as worker:
        worker.add_function(fn, lambda job: 1 / 0 if job.workload == b"bad" else job.workload + b"!")
        with serving(worker) as done:
            ok = php_submit(gearmand_module, fn, MIB)
            failed = php_submit(gearmand_module, fn, b"bad")
    assert ok.stdout == MIB + b"!" and b"rc=0" in ok.stderr, ok.stderr
    assert failed.stdout == b"" and f"rc={int(ReturnCode.WORK_FAIL)}\n".encode() == failed.stderr, failed.stderr
    assert done == [2]


def test_timeout_and_reuse(gearmand_module: Gearmand, fn: str) -> None:
    with Worker(gearmand_module.address, timeout=0.3) as worker:
        worker.add_function(fn, lambda job: b"r")
        start = time.monotonic()
        with pytest.raises(GearmanTimeoutError):
            worker.work()
        assert 0.25 < time.monotonic() - start < 5
        proc = cli_submit(gearmand_module, fn, b"x")
        worker.work()  # still usable
        assert proc.communicate(timeout=30)[0] == b"r"


def test_stop_from_another_thread_and_max_jobs(gearmand_module: Gearmand, fn: str) -> None:
    client = RawClient(gearmand_module)
    for i in range(5):
        client.submit(fn, str(i).encode())
    with Worker(gearmand_module.address) as worker:
        worker.add_function(fn, lambda job: job.workload)
        assert worker.run(max_jobs=3) == 3
        with serving(worker) as done:
            time.sleep(0.5)
        assert done == [2]
        worker.stop()  # before run(): the next run() returns at once
        assert worker.run() == 0
    client.close()


def test_handler_may_not_drive_its_own_worker(gearmand_module: Gearmand, fn: str) -> None:
    errors: list[BaseException] = []

    def handler(job: Job) -> bytes:
        for call in (worker.work, worker.close, lambda: worker.add_function("x", handler)):
            try:
                call()
            except RuntimeError as exc:
                errors.append(exc)
        worker.stop()  # allowed: only sets a flag
        return b"ok"

    with Worker(gearmand_module.address) as worker:
        worker.add_function(fn, handler)
        proc = cli_submit(gearmand_module, fn, b"x")
        assert worker.run() == 1
        assert proc.communicate(timeout=30)[0] == b"ok"
    assert len(errors) == 3


def test_close_from_another_thread_ends_run(gearmand_module: Gearmand, fn: str) -> None:
    worker = Worker(gearmand_module.address)
    worker.add_function(fn, lambda job: None)
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(worker.run()))
    thread.start()
    time.sleep(0.3)
    worker.close()
    thread.join(10)
    assert result == [0] and worker.closed
    for call in (worker.work, worker.run, lambda: worker.add_function(fn, print)):
        with pytest.raises(WorkerClosedError):
            call()
    worker.close()


def test_add_function_again_replaces_and_remove(gearmand_module: Gearmand, fn: str) -> None:
    with Worker(gearmand_module.address, timeout=30) as worker:
        worker.add_function(fn, lambda job: b"one")
        worker.add_function(fn, lambda job: b"two")
        worker.add_function(fn, lambda job: b"three", timeout=30)
        assert worker.functions == [fn]
        proc = cli_submit(gearmand_module, fn, b"x")
        worker.work()
        assert proc.communicate(timeout=30)[0] == b"three"
        worker.remove_function(fn)
        with pytest.raises(KeyError):
            worker.remove_function(fn)
        with pytest.raises(ValueError, match="add_function"):
            worker.work()
