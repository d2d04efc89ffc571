"""Worker lifetimes across processes and servers: signals, gearmand restarts,
a listed server down, fork and several worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from gearmand import Gearmand, free_port, wait_listening
from peers import TESTS, run_python
from worker_peers import RawClient, cli_submit, serving

from gearman_cffi import Job, Worker

WORKER_SCRIPT = """
import sys, time
from gearman_cffi import Worker
def handler(job):
    print("start", job.workload.decode(), flush=True)
    time.sleep(float(job.workload))
    return b"slept " + job.workload
with Worker(sys.argv[1]) as worker:
    worker.add_function(sys.argv[2], handler)
    print("ready", flush=True)
    done = worker.run() if sys.argv[3] == "run" else worker.work()
    print("done", done, flush=True)
"""


def start_worker(server: Gearmand, fn: str, mode: str = "run") -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(TESTS))
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER_SCRIPT, server.address, fn, mode],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    wait_registered(server, fn)
    return proc


def wait_registered(server: Gearmand, fn: str, timeout: float = 30) -> float:
    """Seconds until gearadmin shows a worker for ``fn``."""
    start = time.monotonic()
    while server.status().get(fn, (0, 0, 0))[2] == 0:
        assert time.monotonic() - start < timeout, f"no worker registered {fn}"
        time.sleep(0.01)
    return time.monotonic() - start


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_finishes_the_job_in_hand(gearmand_module: Gearmand, fn: str, signum: int) -> None:
    proc = start_worker(gearmand_module, fn)
    client = cli_submit(gearmand_module, fn, b"1.0")
    assert proc.stdout is not None and proc.stdout.readline() == "start 1.0\n"
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    assert (out, proc.returncode) == ("done 1\n", 0), err
    assert client.communicate(timeout=30) == (b"slept 1.0", b"")


@pytest.mark.parametrize("mode", ["run", "work"])
def test_ctrl_c_while_idle_is_quick(gearmand_module: Gearmand, fn: str, mode: str) -> None:
    proc = start_worker(gearmand_module, fn, mode)
    time.sleep(0.3)
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    elapsed = time.monotonic() - start
    if mode == "run":  # run() returns the count
        assert (out, proc.returncode) == ("done 0\n", 0), err
    else:  # work() installs no handler: KeyboardInterrupt
        assert proc.returncode != 0 and "KeyboardInterrupt" in err
    assert elapsed < 5.0  # 50 ms slices; a blocking wait would never return


def test_gearmand_restart_during_run(gearmand: Gearmand, fn: str, capsys: pytest.CaptureFixture[str]) -> None:
    with Worker(gearmand.address) as worker:
        worker.add_function(fn, lambda job: b"r:" + job.workload)
        with serving(worker) as done:
            assert cli_submit(gearmand, fn, b"1").communicate(timeout=30)[0] == b"r:1"
            comebacks = []
            for n in range(3):
                gearmand.restart()
                comebacks.append(wait_registered(gearmand, fn))
                assert cli_submit(gearmand, fn, b"%d" % n).communicate(timeout=30)[0] == b"r:%d" % n
    assert done == [4]
    with capsys.disabled():
        print(f"\n  worker back after gearmand restart: {', '.join(f'{c * 1000:.0f} ms' for c in comebacks)}")
    assert max(comebacks) < 5


def test_gearmand_restart_while_a_handler_runs(gearmand: Gearmand, fn: str) -> None:
    """The result of a job whose server went away must not go to the new server
    on a connection that never sent CAN_DO (the worker would get no more jobs)."""
    entered, release = threading.Event(), threading.Event()

    def handler(job: Job) -> bytes:
        if job.workload == b"hold":
            entered.set()
            release.wait(30)
        return b"r:" + job.workload

    with Worker(gearmand.address) as worker:
        worker.add_function(fn, handler)
        with serving(worker) as done:
            held = cli_submit(gearmand, fn, b"hold")
            assert entered.wait(30)
            gearmand.restart()
            release.set()
            held.communicate(timeout=30)  # its server is gone: the CLI fails
            wait_registered(gearmand, fn)
            assert cli_submit(gearmand, fn, b"after").communicate(timeout=30)[0] == b"r:after"
    assert done == [2]


def test_listed_server_down(gearmand: Gearmand, fn: str) -> None:
    down_port = free_port()
    with Worker([f"127.0.0.1:{down_port}", gearmand.address]) as worker:
        worker.add_function(fn, lambda job: b"r:" + job.workload)
        with serving(worker) as done:
            assert cli_submit(gearmand, fn, b"1").communicate(timeout=30)[0] == b"r:1"
            late = Gearmand(port=down_port).start()  # the server comes up later
            try:
                wait_listening(late.host, late.port)
                wait_registered(late, fn)
                assert cli_submit(late, fn, b"2").communicate(timeout=30)[0] == b"r:2"
                assert cli_submit(gearmand, fn, b"3").communicate(timeout=30)[0] == b"r:3"
            finally:
                late.stop()
    assert done == [3]


FORK_SCRIPT = """
import os, sys
from gearman_cffi import Worker
address, fn, children, per_child = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
seen = []
worker = Worker(address, timeout=30)
worker.add_function(fn, lambda job: seen.append(job.workload) or job.workload)
worker.work()  # the parent's connection is in use before the fork
pids = []
for n in range(children):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        count = worker.run(max_jobs=per_child)
        os.write(write, b" ".join(seen[1:]) + b"\\n")
        os._exit(0 if count == per_child else 3)
    os.close(write)
    pids.append((pid, read))
for pid, read in pids:
    print(os.read(read, 1 << 20).decode().strip(), flush=True)
    assert os.waitpid(pid, 0)[1] == 0
worker.work()  # the parent's own connection still works
print("parent", b" ".join(seen).decode())
"""


def test_fork_n_worker_processes(gearmand: Gearmand, fn: str) -> None:
    children, per_child = 3, 4
    client = RawClient(gearmand)
    for i in range(1 + children * per_child):
        client.submit(fn, b"j%d" % i)
    last = cli_submit(gearmand, fn, b"last")  # after every child is done, for the parent
    result = run_python(FORK_SCRIPT, gearmand.address, fn, str(children), str(per_child))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    served = [w for line in lines[:-1] for w in line.split()]
    assert len(lines) == children + 1 and all(len(line.split()) == per_child for line in lines[:-1])
    assert sorted([*served, "j0"]) == sorted(f"j{i}" for i in range(1 + children * per_child))
    assert lines[-1] == "parent j0 last"
    assert last.communicate(timeout=30)[0] == b"last"
    client.close()


EXAMPLE = TESTS.parent / "examples" / "worker.py"


@pytest.mark.skipif(not EXAMPLE.is_file(), reason="needs the source tree's examples/ (not the installed-wheel run)")
def test_example_worker_processes(gearmand: Gearmand) -> None:
    example = EXAMPLE
    proc = subprocess.Popen(
        [sys.executable, str(example), "--server", gearmand.address, "-n", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        wait_registered(gearmand, "count_words")
        while gearmand.status()["reverse"][2] < 2:  # both processes registered
            time.sleep(0.05)
        assert cli_submit(gearmand, "reverse", b"hello").communicate(timeout=30) == (b"olleh", b"")
        counted, _ = cli_submit(gearmand, "count_words", b"a b\nc\n" * 1500).communicate(timeout=30)
        # status lines are printf()ed (buffered), the result write()n: compare apart
        for status in (b"33% Complete\n", b"66% Complete\n", b"100% Complete\n"):  # 3,000 lines
            assert status in counted
            counted = counted.replace(status, b"", 1)
        assert counted == b"4500"
        assert cli_submit(gearmand, "fail", b"x").communicate(timeout=30) == (b"", b"Job failed\n")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.count("serving reverse, count_words, fail") == 2 and out.count("stopped after") == 2, out
    assert "RuntimeError: job H:" in err  # the failing handler's traceback, logged
