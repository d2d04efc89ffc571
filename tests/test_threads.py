"""Threads: one Client shared by eight threads (serialised), and one clone each."""

from __future__ import annotations

import threading
from collections.abc import Callable

from gearmand import Gearmand

from gearman_cffi import Client, ClientClosedError, Task, Verbose

THREADS = 8
PER_THREAD = 100


def _run_threads(target: Callable[[int], None]) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def wrapper(index: int) -> None:
        try:
            start.wait()
            target(index)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=wrapper, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert errors == []


def test_eight_threads_share_one_client(gearmand: Gearmand, fn: str) -> None:
    handles: list[str] = []
    tasks: list[Task] = []
    lock = threading.Lock()
    with Client(gearmand.address, timeout=30) as client:

        def work(index: int) -> None:
            mine: list[str] = []
            my_tasks: list[Task] = []
            submit = (client.do_background, client.do_high_background, client.do_low_background)
            for i in range(PER_THREAD):
                # interleave one-shot calls with batches other threads may send
                mine.append(submit[i % 3](fn, f"do {index} {i}"))
                my_tasks.append(client.add_task_background(fn, f"task {index} {i}"))
                if i % 5 == 4:
                    client.run_tasks()
                    assert client.job_status(mine[-1]).is_known
            client.run_tasks()
            with lock:
                handles.extend(mine)
                tasks.extend(my_tasks)

        _run_threads(work)
        client.run_tasks()
    assert all(t.job_handle for t in tasks)
    total = THREADS * PER_THREAD * 2
    assert len(set(handles) | {t.job_handle for t in tasks}) == total
    assert gearmand.queued(fn) == total  # gearadmin: every job exactly once


def test_one_clone_per_thread(gearmand: Gearmand, fn: str) -> None:
    with Client(gearmand.address, timeout=30) as parent:

        def work(index: int) -> None:
            with parent.clone() as client:
                for i in range(PER_THREAD):
                    client.do_background(fn, f"do {index} {i}")
                    client.add_task_low_background(fn, f"task {index} {i}")
                client.run_tasks()

        _run_threads(work)
    assert gearmand.queued(fn) == THREADS * PER_THREAD * 2


def test_close_while_other_threads_submit(gearmand: Gearmand, fn: str) -> None:
    client = Client(gearmand.address, timeout=30)
    done = [0] * THREADS
    closed_seen = threading.Event()

    def work(index: int) -> None:
        if index == 0:
            while sum(done) < THREADS * 5:
                threading.Event().wait(0.001)
            client.close()
            return
        try:
            while True:
                client.do_background(fn, b"x")
                done[index] += 1
        except ClientClosedError:
            closed_seen.set()

    _run_threads(work)
    assert closed_seen.is_set() and client.closed
    assert gearmand.queued(fn) == sum(done)


def test_set_log_level_from_another_thread_during_a_run(gearmand: Gearmand, fn: str) -> None:
    """Settings change between runs (the C client is not thread-safe): a change
    from another thread waits for the run in progress, which is not disturbed."""
    with Client(gearmand.address, timeout=30) as client:
        tasks = [client.add_task_background(fn, b"%d" % i) for i in range(5000)]
        errors: list[BaseException] = []

        def run() -> None:
            try:
                client.run_tasks()
            except BaseException as error:
                errors.append(error)

        runner = threading.Thread(target=run)
        runner.start()
        for level in [Verbose.CRAZY, None, Verbose.DEBUG, Verbose.CRAZY, None, Verbose.CRAZY]:
            client.set_log_level(level)
        runner.join(120)
        assert not runner.is_alive() and errors == []
        assert all(t.job_handle for t in tasks) and client.pending_tasks == []
        assert client.do_background(fn, b"after").startswith("H:")
    assert gearmand.queued(fn) == 5001
