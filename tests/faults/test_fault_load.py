"""Load: many threads, one shared Client, and one long-lived Client's memory."""

from __future__ import annotations

import os
import threading

import pytest
from gearmand import Gearmand

from gearman_cffi import Client

THREADS = 16
PER_THREAD = 2000
BATCH = 100


def run_threads(target: object, count: int) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(index: int) -> None:
        try:
            target(index)  # type: ignore[operator]
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return errors


@pytest.mark.slow
def test_sixteen_threads_each_with_a_clone(gearmand: Gearmand, fn: str) -> None:
    handles: list[list[str | None]] = [[] for _ in range(THREADS)]
    with Client(gearmand.address, timeout=60) as parent:

        def work(index: int) -> None:
            with parent.clone() as client:
                for start in range(0, PER_THREAD, BATCH):
                    tasks = [client.add_task_background(fn, b"%d-%d" % (index, start + i)) for i in range(BATCH)]
                    client.run_tasks()
                    handles[index] += [t.job_handle for t in tasks]

        assert run_threads(work, THREADS) == []
    every = [h for per_thread in handles for h in per_thread]
    assert len(every) == THREADS * PER_THREAD and None not in every
    assert len(set(every)) == THREADS * PER_THREAD
    assert gearmand.queued(fn) == THREADS * PER_THREAD
    assert gearmand.job_handles() == set(every)


def test_eight_threads_share_one_client(gearmand: Gearmand, fn: str) -> None:
    """The lock serialises the C calls; a thread's run_tasks may send another
    thread's tasks too, and each task still ends up with its own handle."""
    threads, rounds = 8, 50
    found: list[list[str | None]] = [[] for _ in range(threads)]
    with Client(gearmand.address, timeout=60) as client:

        def work(index: int) -> None:
            for r in range(rounds):
                found[index].append(client.do_background(fn, b"do-%d-%d" % (index, r)))
                tasks = [client.add_task_background(fn, b"task-%d-%d-%d" % (index, r, i)) for i in range(5)]
                client.run_tasks()
                found[index] += [t.job_handle for t in tasks]

        assert run_threads(work, threads) == []
        assert client.pending_tasks == []
    every = [h for per_thread in found for h in per_thread]
    total = threads * rounds * 6
    assert len(every) == total and None not in every and len(set(every)) == total
    assert gearmand.queued(fn) == total
    assert gearmand.job_handles() == set(every)


def rss_kib() -> int:
    with open(f"/proc/{os.getpid()}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


#: Tasks for the RSS check.  The brief asks for one million; that takes about
#: 30 s here, so CI runs it whole (marked slow); GEARMAN_CFFI_RSS_TASKS overrides.
RSS_TASKS = int(os.environ.get("GEARMAN_CFFI_RSS_TASKS", "1000000"))
UNIQUES = 1000  # gearmand coalesces repeated uniques, so it holds at most this many jobs


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_one_client_many_tasks_rss_flat(gearmand: Gearmand, fn: str) -> None:
    batch = 1000
    with Client(gearmand.address, timeout=60) as client:

        def submit(rounds: int, first: int) -> int:
            created = 0
            for r in range(first, first + rounds):
                tasks = [
                    client.add_task_background(fn, b"payload-%d" % i, unique=f"u{i % UNIQUES}")
                    for i in range(r * batch, (r + 1) * batch)
                ]
                client.run_tasks()
                created += sum(t.job_handle is not None for t in tasks)
            if first == 0:
                client.do_background(fn, b"one-shot", unique="u0")
            return created

        warm_rounds = max(1, RSS_TASKS // batch // 10)
        created = submit(warm_rounds, 0)  # warm-up: allocator pools, caches
        before = rss_kib()
        created += submit(RSS_TASKS // batch - warm_rounds, warm_rounds)
        after = rss_kib()
    print(f"RSS over {RSS_TASKS} tasks: {before} KiB after warm-up, {after} KiB at the end")
    assert created == RSS_TASKS // batch * batch
    assert gearmand.queued(fn) == UNIQUES
    # A leak of even 8 bytes per task would show as ~7 MiB over 900k tasks.
    assert after - before < 4096, f"RSS grew {after - before} KiB over {RSS_TASKS} tasks"
