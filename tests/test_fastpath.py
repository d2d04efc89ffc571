"""The C fast path (include/fastpath.c): the Client's own auto unique, task
slots, and GEARMAN_CLIENT_FREE_TASKS set only inside the binding's run.

Results are checked against gearmand through gearadmin (the uniques and the
number of jobs it holds): gearmand coalesces jobs that share a unique, so a
unique sent twice shows up as a missing job.
"""

from __future__ import annotations

import os
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from gearmand import Gearmand, SilentServer
from internals import c_clients, main_c_client
from peers import unique_jobs

from gearman_cffi import Client, lib

UUID_FORM = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _no_free_tasks(client: Client) -> bool:
    options = (lib.GEARMAN_CLIENT_FREE_TASKS, lib.GEARMAN_CLIENT_NON_BLOCKING)
    live = c_clients(client)
    return not any(lib.gearman_client_has_option(c, option) for c in live for option in options)


def test_auto_unique_form_and_server_copy(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    tasks = [client.add_task_background(fn, b"x") for _ in range(50)]
    client.do_background(fn, b"one-shot")
    client.run_tasks()
    uniques = [t.unique for t in tasks]
    assert all(UUID_FORM.match(u) for u in uniques), uniques[:3]
    assert len(set(uniques)) == 50
    assert gearmand_module.queued(fn) == 51  # nothing coalesced
    assert {u.encode() for u in uniques} <= set(unique_jobs(gearmand_module))


def test_auto_unique_is_what_the_server_coalesces_on(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    task = client.add_task_background(fn, b"first")
    client.run_tasks()
    again = client.do_background(fn, b"second", unique=task.unique)
    assert again == task.job_handle
    assert gearmand_module.queued(fn) == 1


def test_clones_use_their_own_uniques(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    clone = client.clone()
    try:
        mine = [client.add_task_background(fn, b"a") for _ in range(20)]
        theirs = [clone.add_task_background(fn, b"b") for _ in range(20)]
        client.run_tasks()
        clone.run_tasks()
    finally:
        clone.close()
    assert {t.unique[:24] for t in mine} != {t.unique[:24] for t in theirs}
    assert gearmand_module.queued(fn) == 40


def test_forked_child_draws_new_uniques(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    """Without a new prefix the child would send the parent's next uniques and
    gearmand would coalesce the two processes' jobs."""
    client.do_background(fn, b"before fork")
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            for i in range(20):
                client.do_background(fn, f"child {i}")
            code = 0
        finally:
            os._exit(code)
    for i in range(20):
        client.do_background(fn, f"parent {i}")
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert gearmand_module.queued(fn) == 41


def test_many_threads_many_uniques(gearmand_module: Gearmand, fn: str) -> None:
    base = Client(gearmand_module.address, timeout=30)
    clients = [base.clone() for _ in range(8)]
    tasks: list[list[object]] = [[] for _ in clients]

    def work(n: int) -> None:
        for _ in range(5):
            tasks[n] += [clients[n].add_task_background(fn, b"t") for _ in range(100)]
            clients[n].run_tasks()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    uniques = {t.unique for per in tasks for t in per}  # type: ignore[attr-defined]
    assert len(uniques) == 8 * 500
    assert gearmand_module.queued(fn) == 8 * 500
    for c in [*clients, base]:
        c.close()


def test_hash_unique_is_read_back_from_libgearman(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    """``"#"`` asks libgearman for a hash of the workload (libgearman/unique.cc): the slot holds the result."""
    task = client.add_task_background(fn, b"hash me", unique="#")
    assert task.unique not in ("#", "") and not UUID_FORM.match(task.unique)
    client.run_tasks()
    assert task.unique.encode() in set(unique_jobs(gearmand_module))
    same = client.do_background(fn, b"hash me", unique="#")  # same workload, same hash: coalesced
    assert same == task.job_handle


def test_created_tasks_report_through_their_slots(client: Client, fn: str) -> None:
    tasks = [client.add_task_background(fn, f"{i}") for i in range(10)]
    assert all(t.is_pending and t.job_handle is None and not t.is_known for t in tasks)
    client.run_tasks()
    assert all(t._slot.released for t in tasks)
    assert all(not t.is_pending and t.job_handle and t.is_known and not t.is_running for t in tasks)
    assert len({t.job_handle for t in tasks}) == 10
    assert _no_free_tasks(client)


@contextmanager
def _interrupt_after(seconds: float) -> Iterator[None]:
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_options_off_after_an_interrupted_run(silent_server: SilentServer, fn: str) -> None:
    client = Client(silent_server.address)  # blocks: only the interrupt ends the wait
    task = client.add_task_background(fn, b"x")
    with pytest.raises(KeyboardInterrupt), _interrupt_after(0.3):
        client.run_tasks()
    assert task.is_pending and not task._slot.released
    assert _no_free_tasks(client)
    with pytest.raises(KeyboardInterrupt), _interrupt_after(0.3):
        client.do_background(fn, b"y")  # runs on the side clone; adopted as pending
    assert len(client.pending_tasks) == 2
    assert _no_free_tasks(client)
    client.close()
    assert not task.is_pending and task.job_handle is None


def test_failed_run_keeps_slots_and_uniques_for_the_retry(gearmand_factory: type[Gearmand], fn: str) -> None:
    from gearmand import free_port

    port = free_port()
    client = Client(f"127.0.0.1:{port}", timeout=10)
    tasks = [client.add_task_background(fn, b"x") for _ in range(5)]
    before = [t.unique for t in tasks]
    with pytest.raises(ConnectionError):
        client.run_tasks()
    assert all(t.is_pending for t in tasks) and [t.unique for t in tasks] == before
    server = gearmand_factory(port=port).start()
    client.run_tasks()
    assert all(t.job_handle for t in tasks) and [t.unique for t in tasks] == before
    assert {u.encode() for u in before} <= set(unique_jobs(server))
    client.close()


def test_tasks_wait_in_python_until_run_tasks(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    """add_task_background queues; run_tasks adds the batch to libgearman at once."""
    tasks = [client.add_task_background(fn, f"{i}") for i in range(3)]
    assert not lib.gearman_client_has_tasks(main_c_client(client)) and not any(t._slot.added for t in tasks)
    c_client = main_c_client(client)
    tasks[1].free()  # a queued task is just dropped: the C client is not rebuilt
    assert main_c_client(client) == c_client and client.pending_tasks == [tasks[0], tasks[2]]
    early = tasks[2].unique  # reading a unique adds the queue to the C client
    assert lib.gearman_client_has_tasks(main_c_client(client)) and tasks[0]._slot.added
    client.run_tasks()
    assert tasks[2].unique == early and early.encode() in set(unique_jobs(gearmand_module))
    assert gearmand_module.queued(fn) == 2 and tasks[1].job_handle is None
