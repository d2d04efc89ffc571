"""fork(): a child that uses (or merely drops) its parent's Client gets its own
connection; the parent's connection and pending tasks are untouched."""

from __future__ import annotations

import os
import sys

import pytest
from gearmand import Gearmand
from peers import run_python

from gearman_cffi import Client

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")


def run_child(body: str, client: Client, fn: str, read_fd: int, write_fd: int) -> tuple[int, str]:
    """Fork; the child runs ``body`` (with ``client``, ``fn``, ``out``) and exits
    normally, so finalizers run; returns its exit status and what it wrote."""
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.close(read_fd)
            with os.fdopen(write_fd, "w") as out:
                exec(body, {"client": client, "fn": fn, "out": out})
        except BaseException as error:
            print(f"child failed: {error!r}", file=sys.stderr)
            code = 1
        finally:
            del client
            import gc

            gc.collect()  # the Client's finalizer runs here, in the child
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        written = pipe.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), written


def test_child_uses_parent_client_parent_unharmed(gearmand: Gearmand, fn: str) -> None:
    with Client(gearmand.address, timeout=10) as client:
        parent_first = client.do_background(fn, b"parent-1")  # the connection is open
        pending = client.add_task_background(fn, b"parent-pending")
        code, written = run_child(
            "out.write(client.do_background(fn, b'child-do') + '\\n')\n"
            "t = client.add_task_background(fn, b'child-task')\n"
            "client.run_tasks()\n"
            "out.write(t.job_handle + '\\n')\n"
            "assert not client.pending_tasks  # the parent's pending task is not the child's\n"
            "client.close()\n",
            client, fn, *os.pipe(),
        )  # fmt: skip
        assert code == 0
        child_handles = written.split()
        assert len(child_handles) == 2
        # The parent's connection still works first time, with no reset, and its
        # pending task was never sent by the child.
        assert client.pending_tasks == [pending]
        parent_second = client.do_background(fn, b"parent-2")
        client.run_tasks()
        parent_handles = {parent_first, parent_second, pending.job_handle}
        assert len(parent_handles | set(child_handles)) == 5
        assert gearmand.job_handles() == parent_handles | set(child_handles)
        assert sorted(gearmand.drain(fn, 5)) == sorted(
            [b"parent-1", b"parent-2", b"parent-pending", b"child-do", b"child-task"]
        )


def test_child_dropping_parent_client_does_not_close_parent_connection(gearmand: Gearmand, fn: str) -> None:
    """Freeing the inherited C client would shutdown() the shared socket."""
    with Client(gearmand.address, timeout=10) as client:
        client.do_background(fn, b"before")
        code, _ = run_child("client.close()\n", client, fn, *os.pipe())
        assert code == 0
        code, _ = run_child("pass\n", client, fn, *os.pipe())  # just the finalizer
        assert code == 0
        tasks = [client.add_task_background(fn, b"after-%d" % i) for i in range(10)]
        client.run_tasks()  # raises if the connection had been shut down
        assert all(t.job_handle for t in tasks)
        assert gearmand.queued(fn) == 11


FORK_DURING_A_RUN = """
import os, signal, sys, threading, time
from gearman_cffi import Client
from gearmand import wait_stopped
address, fn, gearmand_pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
client = Client(address, timeout=30)
client.do_background(fn, b"warm-up")  # connected
tasks = [client.add_task_background(fn, b"parent-%d" % i) for i in range(100)]
os.kill(gearmand_pid, signal.SIGSTOP)  # the run waits inside libgearman
wait_stopped(gearmand_pid)  # (kill only queues SIGSTOP; on a busy machine a thread may still answer)
try:
    runner = threading.Thread(target=client.run_tasks)
    runner.start()
    time.sleep(0.5)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: only this thread, the other one's run half done
        try:
            handle = client.do_background(fn, b"child")
            lines = [handle.startswith("H:"), client.job_status(handle).is_known,
                     [s.is_known for s in client.job_statuses([handle, handle])],
                     client.do_background_at(time.time() + 3600, fn, b"child-later").startswith("H:")]
            task = client.add_task_background(fn, b"child-task")
            client.run_tasks()
            lines += [bool(task.job_handle), client.pending_tasks == []]
            os.write(write_fd, repr(lines).encode())
        except BaseException as error:
            os.write(write_fd, repr(error).encode())
        os._exit(0)
    os.close(write_fd)
finally:
    os.kill(gearmand_pid, signal.SIGCONT)
with os.fdopen(read_fd) as pipe:
    print(pipe.read())
os.waitpid(pid, 0)
runner.join(60)
print(all(t.job_handle for t in tasks), client.pending_tasks == [])
"""


def test_fork_while_another_thread_runs_tasks(gearmand: Gearmand, fn: str) -> None:
    """The child's C client was a clone of one in the middle of a run (its
    NON_BLOCKING and FREE_TASKS options, its run-time flags): every call in the
    child failed (NO_ACTIVE_FDS, IO_WAIT, UNKNOWN_STATE, timeouts).  Now the
    child makes its C clients afresh from the Client's settings."""
    assert gearmand.proc is not None
    done = run_python(FORK_DURING_A_RUN, gearmand.address, fn, str(gearmand.proc.pid), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[True, True, [True, True], True, True, True]", "True True"], done.stdout
    assert gearmand.queued(fn) == 1 + 100 + 3  # warm-up, the parent's 100, the child's 3 (with the scheduled one)


FORK_IN_A_CALLBACK = """
import os, sys
from gearman_cffi import Client, TaskCallbacks
address, fn = sys.argv[1:]
client = Client(address, timeout=30)
client.do_background(fn, b"warm-up")
forked = []

def created(task):
    if not forked:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        forked.append((pid, read_fd, write_fd))  # the child returns into its parent's run

client.callbacks = TaskCallbacks(created=created)
tasks = [client.add_task_background(fn, b"parent-%d" % i) for i in range(2000)]
try:
    client.run_tasks()
    outcome = "returned"
except BaseException as error:
    outcome = type(error).__name__ + (": forked" if "callback forked" in str(error) else "")
pid, read_fd, write_fd = forked[0]
if pid == 0:
    lines = [outcome, client.pending_tasks == [], client.do_background(fn, b"child").startswith("H:")]
    os.write(write_fd, repr(lines).encode())
    os._exit(0)
os.close(write_fd)
with os.fdopen(read_fd) as pipe:
    print(pipe.read())
os.waitpid(pid, 0)
print(outcome, all(t.job_handle for t in tasks), client.do_background(fn, b"parent").startswith("H:"))
"""


def test_fork_inside_a_callback(gearmand: Gearmand, fn: str) -> None:
    """A child forked by a callback returns into its parent's run: it went on
    reading the parent's socket (the parent's run failed with INVALID_MAGIC).
    Now the child's run_tasks() stops at once with RuntimeError, never touching
    the parent's C clients, and its Client then works on a fresh connection."""
    done = run_python(FORK_IN_A_CALLBACK, gearmand.address, fn, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["['RuntimeError: forked', True, True]", "returned True True"], done.stdout
    assert gearmand.queued(fn) == 1 + 2000 + 2
    assert len(gearmand.job_handles()) == 1 + 2000 + 2
