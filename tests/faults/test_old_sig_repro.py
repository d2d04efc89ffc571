"""Ctrl-C: a call blocked with no timeout raises KeyboardInterrupt within a second
of SIGINT, and the submission it interrupted is not lost: it stays a pending
Task, and the next ``run_tasks()`` collects its handle (exactly one job)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from gearmand import Gearmand, SilentServer

from gearman_cffi import Client, Task

DELAY = 0.5
LATENCY = 1.0  # the brief: within one second of the signal


def interrupted(call: Callable[[], object]) -> float:
    """Run ``call`` (which must block), SIGINT this process from another thread
    after DELAY; return the seconds from the signal to the KeyboardInterrupt."""
    sent: list[float] = []

    def fire() -> None:
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(DELAY, fire)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            call()
        return time.monotonic() - sent[0]
    finally:
        timer.cancel()


@contextmanager
def stopped(server: Gearmand) -> Iterator[None]:
    """gearmand frozen with SIGSTOP: it accepts (the kernel does) but never answers."""
    assert server.proc is not None
    server.proc.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        server.proc.send_signal(signal.SIGCONT)


def submit_one(client: Client, api: str, fn: str, payload: bytes) -> None:
    if api == "do_background":
        client.do_background(fn, payload)
    else:
        client.add_task_background(fn, payload)
        client.run_tasks()


@pytest.mark.parametrize("api", ["do_background", "run_tasks"])
def test_sigint_interrupts_a_call_blocked_on_a_silent_server(api: str, fn: str) -> None:
    silent = SilentServer()
    port = silent.port
    with Client(silent.address, timeout=None) as client:
        latency = interrupted(lambda: submit_one(client, api, fn, b"interrupted"))
        assert latency < LATENCY
        [task] = client.pending_tasks  # the interrupted submission is kept
        assert task.job_handle is None and task.is_pending
        # A second Ctrl-C in a row works the same.
        assert interrupted(client.run_tasks) < LATENCY
        silent.close()
        server = Gearmand(port=port).start()
        try:
            for _attempt in range(2):  # the silent server's socket is gone: one reset
                try:
                    client.run_tasks()
                    break
                except ConnectionError:
                    pass
            assert task.job_handle is not None
            assert server.job_handles() == {task.job_handle}
            assert server.drain(fn, 1) == [b"interrupted"]
        finally:
            server.stop()


@pytest.mark.parametrize("api", ["do_background", "run_tasks"])
def test_interrupted_submission_is_collected_not_duplicated(gearmand: Gearmand, api: str, fn: str) -> None:
    """The server has the job in its socket buffer when Ctrl-C comes: after it
    resumes, the next run_tasks() on the same connection receives that job's
    handle; the job is neither lost nor sent twice."""
    with Client(gearmand.address, timeout=None) as client:
        first = client.do_background(fn, b"first")  # connected
        with stopped(gearmand):
            latency = interrupted(lambda: submit_one(client, api, fn, b"second"))
        assert latency < LATENCY
        [task] = client.pending_tasks
        client.run_tasks()  # no error: the connection stayed in step
        assert task.job_handle is not None and task.job_handle != first
        assert gearmand.job_handles() == {first, task.job_handle}
        assert sorted(gearmand.drain(fn, 2)) == [b"first", b"second"]


def test_interrupted_batch_keeps_every_handle(gearmand: Gearmand, fn: str) -> None:
    with Client(gearmand.address, timeout=None) as client:
        client.do_background(fn, b"warm-up")
        tasks = [client.add_task_background(fn, b"batch-%d" % i) for i in range(200)]
        with stopped(gearmand):
            assert interrupted(client.run_tasks) < LATENCY
        client.run_tasks()
        handles = {t.job_handle for t in tasks}
        assert None not in handles and len(handles) == 200
        assert len(gearmand.job_handles()) == 201
        assert gearmand.queued(fn) == 201


def test_interrupted_do_background_beside_pending_tasks(gearmand: Gearmand, fn: str) -> None:
    """With tasks pending, do_background runs on a side connection; interrupted,
    its submission moves to the client's pending tasks with the same unique, and
    gearmand coalesces the re-sent unique: one job, not two."""
    with Client(gearmand.address, timeout=None) as client:
        client.do_background(fn, b"warm-up")
        waiting = client.add_task_background(fn, b"waiting")
        with stopped(gearmand):
            assert interrupted(lambda: client.do_background(fn, b"side", unique="side-unique")) < LATENCY
        assert [t.unique for t in client.pending_tasks] == [waiting.unique, "side-unique"]
        side = client.pending_tasks[1]
        client.run_tasks()
        assert waiting.job_handle and side.job_handle and waiting.job_handle != side.job_handle
        assert len(gearmand.job_handles()) == 3
        assert gearmand.queued(fn) == 3
        assert sorted(gearmand.drain(fn, 3)) == [b"side", b"waiting", b"warm-up"]


class Alarm(Exception):
    """Raised by a SIGALRM handler: any exception from a signal handler, not only Ctrl-C."""


@contextmanager
def alarm_mid_batch(tasks: list[Task]) -> Iterator[None]:
    """Raise Alarm from a SIGALRM handler (checked every 5 ms) once the run has
    created part of the batch, not all of it (a sample of 100 tasks tells)."""
    sample = tasks[:: max(1, len(tasks) // 100)]

    def handler(signum: int, frame: object) -> None:
        created = sum(t.job_handle is not None for t in sample)
        if 0 < created < len(sample):
            signal.setitimer(signal.ITIMER_REAL, 0)
            raise Alarm

    previous = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, 0.005, 0.005)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


BATCH = 100_000


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs setitimer")
def test_one_shot_calls_and_clones_work_after_an_interrupted_batch(gearmand: Gearmand, fn: str) -> None:
    """A C client interrupted mid-run keeps libgearman's run-time state (NON_BLOCKING,
    FREE_TASKS, "no new tasks"); clones and side clients once copied it, so after
    the interrupt do_background, job_status and clone().do_background failed
    (NO_ACTIVE_FDS) or timed out although gearmand had created the job."""
    with Client(gearmand.address, timeout=5) as client:
        handles = [client.do_background(fn, b"warm-up")]
        tasks = [client.add_task_background(fn, b"batch-%d" % i) for i in range(BATCH)]
        with alarm_mid_batch(tasks), pytest.raises(Alarm):
            client.run_tasks()
        assert 0 < len(client.pending_tasks) < BATCH
        time.sleep(0.5)  # the server has done all it was sent: idle
        handles.append(client.do_background(fn, b"after"))
        assert client.job_status(handles[-1]).is_known
        assert client.job_statuses(handles) == [client.job_status(h) for h in handles]
        with client.clone() as clone:
            handles.append(clone.do_background(fn, b"from a clone"))
            assert clone.job_status(handles[-1]).is_known
        client.run_tasks()  # the rest of the batch, same uniques
        assert not client.pending_tasks
        handles += [t.job_handle for t in tasks]
        assert None not in handles and len(set(handles)) == BATCH + 3
        # Every job gearmand holds is one the caller has a handle for: none lost, none twice.
        assert gearmand.job_handles() == set(handles)
        assert len({t.unique for t in tasks}) == BATCH
