"""Worker: bad input is a clear Python exception before any C call, a handler's
KeyboardInterrupt gives its job back, and a long-lived worker stays flat."""

from __future__ import annotations

import logging
import os

import pytest
from gearmand import Gearmand
from test_memory import rss_bytes
from worker_peers import RawClient, cli_submit

from gearman_cffi import Client, Job, Verbose, Worker


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"servers": 4730}, TypeError),
        ({"servers": ""}, ValueError),
        ({"servers": "h:0"}, ValueError),
        ({"timeout": "1"}, TypeError),
        ({"timeout": -1}, ValueError),
        ({"timeout": float("nan")}, ValueError),
        ({"exceptions": 1}, TypeError),
    ],
)
def test_bad_constructor_arguments(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        Worker(**kwargs)  # type: ignore[arg-type]


def test_bad_add_function_and_run_arguments(gearmand_module: Gearmand, fn: str) -> None:
    with Worker(gearmand_module.address, timeout=30) as worker:
        bad: list[tuple[tuple[object, ...], dict[str, object], type[Exception]]] = [
            ((fn, "not callable"), {}, TypeError),
            ((fn, None), {}, TypeError),
            ((42, print), {}, TypeError),
            (("", print), {}, ValueError),
            (("a\0b", print), {}, ValueError),
            (("x" * 512, print), {}, ValueError),
            (("\udc80", print), {}, ValueError),
            ((fn, print), {"timeout": "5"}, TypeError),
            ((fn, print), {"timeout": 0}, ValueError),
            ((fn, print), {"timeout": True}, TypeError),
        ]
        for args, kwargs, error in bad:
            with pytest.raises(error):
                worker.add_function(*args, **kwargs)  # type: ignore[arg-type]
        assert worker.functions == []
        for max_jobs, error in ((-1, ValueError), (1.5, TypeError), (True, TypeError)):
            with pytest.raises(error):
                worker.run(max_jobs)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="add_function"):
            worker.work()
        with pytest.raises(TypeError):
            worker.set_log_level("debug")  # type: ignore[arg-type]
        worker.set_log_level(Verbose.ERROR)
        worker.add_function(fn, lambda job: b"still fine", timeout=5)  # still usable
        proc = cli_submit(gearmand_module, fn, b"x")
        worker.work()
        assert proc.communicate(timeout=30)[0] == b"still fine"


def test_bad_job_send_arguments(gearmand_module: Gearmand, fn: str) -> None:
    errors: list[type[BaseException]] = []

    def handler(job: Job) -> bytes:
        for call in (lambda: job.send_status(-1, 2), lambda: job.send_status(1, 2**32), lambda: job.send_status(1.0, 2),
                     lambda: job.send_data(42), lambda: job.send_warning(None)):  # fmt: skip
            try:
                call()  # type: ignore[no-untyped-call]
            except (TypeError, ValueError) as exc:
                errors.append(type(exc))
        job.send_status(1, 2)  # still fine
        return b"ok"

    client = RawClient(gearmand_module)
    client.submit(fn, b"x")
    with Worker(gearmand_module.address, timeout=30) as worker:
        worker.add_function(fn, handler)
        worker.work()
    assert errors == [ValueError, ValueError, TypeError, TypeError, TypeError]
    assert [c for c, _ in client.packets_until_done()] == [12, 13]  # WORK_STATUS, WORK_COMPLETE
    client.close()


def test_keyboard_interrupt_in_handler_gives_the_job_back(
    gearmand_module: Gearmand, fn: str, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[bytes] = []

    def handler(job: Job) -> bytes:
        calls.append(job.handle.encode())
        if len(calls) == 1:
            raise KeyboardInterrupt
        return b"second try"

    proc = cli_submit(gearmand_module, fn, b"x")
    with Worker(gearmand_module.address, timeout=30) as worker:
        worker.add_function(fn, handler)
        with pytest.raises(KeyboardInterrupt):
            worker.work()
        with caplog.at_level(logging.WARNING, logger="gearman_cffi"):
            worker.work()  # the server hands the same job out again
    assert proc.communicate(timeout=30) == (b"second try", b"")
    assert calls[0] == calls[1]


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_memory_flat_over_many_jobs(gearmand: Gearmand, fn: str) -> None:
    rounds, per_round = 6, 5_000
    samples = []
    with Client(gearmand.address, timeout=60) as client, Worker(gearmand.address) as worker:
        worker.add_function(fn, lambda job: job.workload + b"!" * 100)
        for _ in range(rounds):
            for _ in range(per_round):
                client.add_task_background(fn, b"x" * 30)
            client.run_tasks()
            assert worker.run(max_jobs=per_round) == per_round
            samples.append(rss_bytes())
    growth = samples[-1] - samples[1]
    # a leaked C job (~1 KiB) or Job per job would be > 20 MiB over 25,000 jobs
    assert growth < 4 * 1024 * 1024, [s // 1024 for s in samples]
    assert gearmand.queued(fn) == 0
