"""Object-lifetime scenarios, run both in the test process and in a fresh
interpreter (``python gc_scenarios.py ADDRESS``) so that a use-after-free that
crashes shows up as a failed test rather than a dead test run."""

from __future__ import annotations

import gc
import random
import sys
import weakref
from collections.abc import Callable

from gearman_cffi import Client, ClientClosedError

SCENARIOS: dict[str, Callable[[str], None]] = {}


def scenario(func: Callable[[str], None]) -> Callable[[str], None]:
    SCENARIOS[func.__name__] = func
    return func


@scenario
def client_dropped_before_pending_tasks(address: str) -> None:
    client = Client(address, timeout=10)
    tasks = [client.add_task_background("gc_never_sent", b"x") for _ in range(3)]
    ref = weakref.ref(client)
    del client
    gc.collect()
    assert ref() is not None, "a Task must keep its Client alive"
    assert all(t.is_pending for t in tasks)
    del tasks
    gc.collect()
    assert ref() is None


@scenario
def tasks_dropped_before_client(address: str) -> None:
    client = Client(address, timeout=10)
    tasks = [client.add_task_background("gc_sent", b"x") for _ in range(3)]
    client.run_tasks()
    del tasks
    gc.collect()
    client.do_background("gc_sent", b"y")
    del client
    gc.collect()


@scenario
def reference_cycles_pending(address: str) -> None:
    client = Client(address, timeout=10)
    for _ in range(3):
        task = client.add_task_background("gc_never_sent", b"x")
        task.context = (task, client)  # task -> context -> task and client
    client.me = client  # type: ignore[attr-defined]
    ref = weakref.ref(client)
    del client, task
    gc.collect()
    assert ref() is None, "cycles through Task.context must be collectable"


@scenario
def reference_cycles_after_run(address: str) -> None:
    client = Client(address, timeout=10)
    tasks = [client.add_task_background("gc_sent", b"x") for _ in range(3)]
    client.run_tasks()
    client.tasks = tasks  # type: ignore[attr-defined]
    for task in tasks:
        task.context = tasks
    ref = weakref.ref(client)
    del client, tasks, task
    gc.collect()
    assert ref() is None


@scenario
def task_outlives_closed_client(address: str) -> None:
    client = Client(address, timeout=10)
    sent = client.add_task_background("gc_sent", b"x")
    client.run_tasks()
    pending = client.add_task_background("gc_never_sent", b"y")
    client.close()
    del client
    gc.collect()
    for task in (sent, pending):  # every property still readable, nothing touches C
        (task.function_name, task.unique, task.job_handle, task.return_code, task.is_known,
         task.is_running, task.numerator, task.denominator, task.is_pending, task.priority, repr(task))  # fmt: skip
    assert sent.job_handle and not pending.is_pending and pending.job_handle is None
    for task in (sent, pending):
        task.free()
        task.free()


@scenario
def free_in_every_state(address: str) -> None:
    client = Client(address, timeout=10)
    pending = client.add_task_background("gc_never_sent", b"x")
    pending.free()
    pending.free()
    assert not pending.is_pending and client.pending_tasks == []
    sent = client.add_task_background("gc_sent", b"x")
    client.run_tasks()
    sent.free()
    sent.free()
    assert sent.job_handle
    late = client.add_task_background("gc_never_sent", b"y")
    client.close()
    late.free()
    late.free()
    client.close()


@scenario
def clones_and_side_clients(address: str) -> None:
    client = Client(address, timeout=10)
    pending = client.add_task_background("gc_sent", b"x")
    client.do_background("gc_sent", b"one-shot on the side clone")
    clone = client.clone()
    clone_pending = clone.add_task_background("gc_never_sent", b"y")
    del client
    gc.collect()
    clone.do_background("gc_sent", b"z")
    del clone
    gc.collect()
    pending.client.run_tasks()
    assert pending.job_handle
    assert clone_pending.is_pending
    clone_pending.client.close()
    try:
        clone_pending.client.run_tasks()
    except ClientClosedError:
        pass
    else:
        raise AssertionError("run_tasks on a closed clone must raise")


@scenario
def failed_constructor(address: str) -> None:
    for bad in ("", [], "host:notaport", "no-such-host.invalid:1"):
        try:
            Client(bad)
        except (TypeError, ValueError, ConnectionError):
            pass
    gc.collect()


@scenario
def random_orders(address: str) -> None:
    rng = random.Random(1234)
    for _ in range(20):
        objects: list[object] = []
        for _ in range(3):
            client = Client(address, timeout=10)
            objects.append(client)
            for i in range(rng.randrange(4)):
                objects.append(client.add_task_background("gc_sent", f"{i}"))
            if rng.random() < 0.5:
                client.run_tasks()
            if rng.random() < 0.3:
                objects.append(client.clone())
        del client
        rng.shuffle(objects)
        while objects:
            obj = objects.pop()
            action = rng.random()
            if action < 0.3 and isinstance(obj, Client):
                obj.close()
            elif action < 0.6 and not isinstance(obj, Client):
                obj.free()  # type: ignore[attr-defined]
            del obj
            if rng.random() < 0.3:
                gc.collect()
        gc.collect()


def run_all(address: str) -> None:
    for name, func in SCENARIOS.items():
        func(address)
        gc.collect()
        print("ok", name)


if __name__ == "__main__":
    run_all(sys.argv[1])
