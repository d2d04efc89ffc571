"""The Owner's rules, from the outside (issue 11, defects 1, 2 and 9): every
entry point of a Client called from one of its own callbacks raises
RuntimeError instead of waiting for the lock its caller holds, also after a
nested callback of another client; ``close()`` from another thread stops a
wait that would never end by itself.

Each scenario that deadlocked runs in a fresh interpreter with a deadline
(``run_python``), so a regression is a failed test, not a hung run.
"""

from __future__ import annotations

import pytest
from gearmand import Gearmand, SilentServer
from peers import run_python

DEADLINE = 30.0

CALL_OWN_CLIENT = """
import sys
from gearman_cffi import Client, TaskCallbacks
address, fn, entry = sys.argv[1:]
client = Client(address, timeout=10)
seen = []

def created(task):
    if seen:
        return
    try:
        if entry == "close":
            client.close()
        elif entry == "pending_tasks":
            client.pending_tasks
        elif entry == "free":
            [rest] = [t for t in (first, other) if t is not task]
            if rest.is_pending:  # libgearman's order of JOB_CREATED is its own
                rest.free()
    except RuntimeError as error:
        seen.append(str(error))
        raise

client.callbacks = TaskCallbacks(created=created)
first = client.add_task_background(fn, b"first")
other = client.add_task_background(fn, b"other")
try:
    client.run_tasks()
except RuntimeError:
    pass
print("raised" if seen else "returned", len(seen))
client.run_tasks()  # the client is still usable: the rest is sent
print("handles", bool(first.job_handle), bool(other.job_handle), client.closed)
"""


@pytest.mark.parametrize("entry", ["close", "pending_tasks", "free"])
def test_own_client_from_a_callback_raises(gearmand_module: Gearmand, fn: str, entry: str) -> None:
    """close(), pending_tasks and another task's free() from a callback of the
    same client deadlocked (they took the lock run_tasks() holds)."""
    done = run_python(CALL_OWN_CLIENT, gearmand_module.address, fn, entry, timeout=DEADLINE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["raised 1", "handles True True False"], done.stdout


NESTED = """
import sys
from gearman_cffi import Client, TaskCallbacks
address, fn = sys.argv[1:]
a = Client(address, timeout=10)
b = Client(address, timeout=10)
inner = []
outcome = []
b.callbacks = TaskCallbacks(created=lambda task: inner.append(task.job_handle))

def created(task):
    b.add_task_background(fn, b"from a's callback")
    b.run_tasks()  # b's own callback runs inside a's
    try:
        a.do_background(fn, b"a from its own callback")
        outcome.append("returned")
    except RuntimeError:
        outcome.append("RuntimeError")

a.callbacks = TaskCallbacks(created=created)
a.add_task_background(fn, b"a")
a.run_tasks()
print(outcome, len(inner))
print(a.do_background(fn, b"after").startswith("H:"))
"""


def test_nested_callback_keeps_the_outer_check(gearmand_module: Gearmand, fn: str) -> None:
    """A callback of A drives client B, whose own callback runs; A's callback
    then calling A must still raise (the marker of the running callback nests)."""
    done = run_python(NESTED, gearmand_module.address, fn, timeout=DEADLINE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["['RuntimeError'] 1", "True"], done.stdout


CLOSE_FROM_ANOTHER_THREAD = """
import sys, threading, time
from gearman_cffi import Client
address, fn, api = sys.argv[1:]
servers = 2 if api.endswith("2") else 1
client = Client([address] * servers, timeout=None)
raised = []

def blocked():
    try:
        if api == "run_tasks":
            client.add_task_background(fn, b"never answered")
            client.run_tasks()
        elif api == "do_background":
            client.do_background(fn, b"never answered")
        else:  # job_statuses, on a server or on two
            client.job_statuses(["H:nowhere:1", "H:nowhere:2"])
    except BaseException as error:
        raised.append(error)

thread = threading.Thread(target=blocked)
thread.start()
time.sleep(0.5)
started = time.monotonic()
client.close()
closed_in = time.monotonic() - started
thread.join(10)
print(closed_in < 5, thread.is_alive(), [type(e).__name__ for e in raised], client.closed)
"""


@pytest.mark.parametrize("api", ["run_tasks", "do_background", "job_statuses", "job_statuses-on-2"])
def test_close_from_another_thread_stops_a_wait_on_a_silent_server(
    silent_server: SilentServer, fn: str, api: str
) -> None:
    """With timeout=None a wait on a silent server never ends by itself: close()
    from another thread blocked for ever; now it returns and the wait raises
    ClientClosedError (a ConnectionError)."""
    done = run_python(CLOSE_FROM_ANOTHER_THREAD, silent_server.address, fn, api, timeout=DEADLINE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True False ['ClientClosedError'] True", done.stdout
