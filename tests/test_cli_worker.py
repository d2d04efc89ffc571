"""``gearman-cffi worker`` (on gearman_cffi.Worker) and ``submit --foreground``,
with the ``gearman`` CLI as the independent client and worker."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import ClassVar

import pytest
from gearmand import Gearmand
from test_cli import CLI, cli, lines

import gearman_cffi

needs_worker = pytest.mark.skipif(
    not hasattr(gearman_cffi, "Worker"), reason="gearman_cffi.Worker not in this build yet (branch worker)"
)
needs_foreground = pytest.mark.skipif(
    not hasattr(gearman_cffi.Client, "add_task"),
    reason="foreground jobs (Client.add_task / run_tasks / task.result) not in this build yet: the lead adds them",
)


def start_worker(server: Gearmand, function: str, *args: str) -> subprocess.Popen[bytes]:
    """``gearman-cffi worker`` in its own process group, registered before returning."""
    proc = subprocess.Popen(
        [*CLI, "worker", function, "-s", server.address, *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while server.status().get(function, (0, 0, 0))[2] < 1:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the worker did not register"
        time.sleep(0.05)
    return proc


def gearman_client(server: Gearmand, function: str, payload: bytes) -> subprocess.CompletedProcess[bytes]:
    """A foreground job from the ``gearman`` CLI (workload on its stdin)."""
    return subprocess.run(
        ["gearman", "-h", server.host, "-p", str(server.port), "-f", function],
        input=payload, capture_output=True, timeout=60,
    )  # fmt: skip


@needs_worker
def test_worker_count_and_byte_exact_results(gearmand_module: Gearmand, fn: str):
    worker = start_worker(gearmand_module, fn, "-c", "3", "--", "tr", "a-z", "A-Z")
    payloads = [b"abc", b"two\nlines\n", b"\x00\xffbin ary\r\n"]
    for payload in payloads:
        done = gearman_client(gearmand_module, fn, payload)
        assert (done.returncode, done.stdout) == (0, payload.upper()), done.stderr
    out, err = worker.communicate(timeout=30)
    assert (worker.returncode, out, err) == (0, b"", b"")  # stopped after exactly 3, quietly
    assert gearmand_module.status()[fn][2] == 0


@needs_worker
def test_worker_drains_what_submit_queued(gearmand_module: Gearmand, fn: str, tmp_path: Path):
    out = tmp_path / "out"
    assert cli("submit", fn, "-s", gearmand_module.address, input=lines(100)).returncode == 0
    record = f'cat >> "{out}"; printf "\\0" >> "{out}"'
    worker = start_worker(gearmand_module, fn, "-c", "100", "--", "sh", "-c", record)
    assert worker.wait(120) == 0
    assert out.read_bytes().split(b"\0")[:-1] == [f"line {i}".encode() for i in range(100)]
    assert gearmand_module.status()[fn] == (0, 0, 0)


@needs_worker
def test_failing_command_fails_the_job_and_the_worker_goes_on(gearmand_module: Gearmand, fn: str):
    script = 'x=$(cat); [ "$x" != bad ] || exit 3; printf %s "ok:$x"'
    worker = start_worker(gearmand_module, fn, "-c", "2", "--", "sh", "-c", script)
    failed = gearman_client(gearmand_module, fn, b"bad")
    assert failed.returncode != 0 and b"failed" in failed.stderr.lower()
    fine = gearman_client(gearmand_module, fn, b"good")
    assert (fine.returncode, fine.stdout) == (0, b"ok:good")
    _, err = worker.communicate(timeout=30)
    assert worker.returncode == 0
    text = err.decode()  # one line per failed job, no traceback
    assert text.count("\n") == 1 and "Traceback" not in text
    assert text.startswith(f"gearman-cffi: gearman_cffi worker: {fn} failed job H:")
    assert text.endswith(": sh exited with status 3\n")


@needs_worker
def test_ctrl_c_lets_the_job_in_hand_finish(gearmand_module: Gearmand, fn: str):
    worker = start_worker(gearmand_module, fn, "--", "sh", "-c", "sleep 1; cat")
    client = subprocess.Popen(
        ["gearman", "-h", gearmand_module.host, "-p", str(gearmand_module.port), "-f", fn, "slow"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while gearmand_module.status()[fn][1] != 1:  # the job is running
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(worker.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
    assert client.communicate(timeout=30)[0] == b"slow"  # the command was not killed
    _, err = worker.communicate(timeout=30)
    assert worker.returncode == 0
    assert err == b"gearman-cffi: worker stopped after 1 jobs\n"


@needs_worker
def test_idle_worker_stops_on_sigterm(gearmand_module: Gearmand, fn: str):
    worker = start_worker(gearmand_module, fn, "--", "cat")
    start = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    _, err = worker.communicate(timeout=30)
    assert time.monotonic() - start < 10  # loose: only a hang fails this
    assert (worker.returncode, err) == (0, b"gearman-cffi: worker stopped after 0 jobs\n")


# -- submit --foreground ---------------------------------------------------------------
def gearman_workers(server: Gearmand, function: str, count: int, script: str) -> list[subprocess.Popen[bytes]]:
    command = ["gearman", "-h", server.host, "-p", str(server.port), "-w", "-f", function, "--", "sh", "-c", script]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True}
    procs = [subprocess.Popen(command, **quiet) for _ in range(count)]  # type: ignore[call-overload]
    deadline = time.monotonic() + 30
    while server.status().get(function, (0, 0, 0))[2] < count:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return procs


def stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


@needs_foreground
def test_foreground_results_in_input_order(gearmand_module: Gearmand, fn: str):
    # three workers; the first job takes longest, so jobs finish out of input order
    workers = gearman_workers(gearmand_module, fn, 3, 'x=$(cat); sleep "$x"; printf %s "r$x"')
    try:
        result = cli("submit", "--foreground", fn, "-s", gearmand_module.address, input=b"0.8\n0.1\n0.4\n")
        assert result.returncode == 0, result.stderr
        assert result.stdout == b"r0.8\nr0.1\nr0.4\n"
        result = cli("submit", "--foreground", "-0", fn, "-s", gearmand_module.address, input=b"0.2\x000.1\x00")
        assert result.stdout == b"r0.2\0r0.1\0"
    finally:
        stop_all(workers)


@needs_foreground
def test_foreground_failed_job_exit_1(gearmand_module: Gearmand, fn: str):
    workers = gearman_workers(gearmand_module, fn, 1, 'x=$(cat); [ "$x" != bad ] || exit 1; printf %s "ok$x"')
    try:
        result = cli("submit", "--foreground", fn, "-s", gearmand_module.address, input=b"1\nbad\n3\n")
        assert result.returncode == 1
        assert result.stdout == b"ok1\n\nok3\n"  # an empty record keeps the lines aligned
        assert result.stderr == b"gearman-cffi: 1 of 3 jobs failed (first: record 2, WORK_FAIL)\n"
    finally:
        stop_all(workers)


@pytest.mark.skipif(hasattr(gearman_cffi.Client, "add_task"), reason="this build has foreground jobs")
def test_foreground_says_clearly_when_the_client_lacks_it(gearmand_module: Gearmand, fn: str):
    result = cli("submit", "--foreground", fn, "-s", gearmand_module.address, input=b"x\n")
    assert result.returncode == 1 and result.stdout == b""
    assert b"--foreground needs Client.add_task (foreground jobs)" in result.stderr
    assert fn not in gearmand_module.status()  # nothing was submitted


class _FakeTask:
    def __init__(self, n: int, workload: bytes) -> None:
        self.job_handle: str | None = None
        self.result: bytes | None = None
        self.return_code = gearman_cffi.ReturnCode.IO_WAIT
        self.workload, self.n = workload, n


class _FakeForegroundClient:
    """Stands in for a Client with foreground jobs: finishes its tasks in reverse
    order of adding and fails the workload b"bad", to check only the command's
    side (order, empty records, counts, exit status) before the core has them."""

    added: ClassVar[list[bytes]] = []

    def __init__(self, servers: object, *, timeout: float | None = None) -> None:
        self.pending: list[_FakeTask] = []

    def __enter__(self) -> _FakeForegroundClient:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def add_task(self, function: str, workload: bytes) -> _FakeTask:
        task = _FakeTask(len(self.added), workload)
        self.added.append(workload)
        self.pending.append(task)
        return task

    def run_tasks(self) -> None:
        for task in reversed(self.pending):
            task.job_handle = f"H:fake:{task.n}"
            if task.workload == b"bad":
                task.return_code = gearman_cffi.ReturnCode.WORK_FAIL
            else:
                task.return_code, task.result = gearman_cffi.ReturnCode.SUCCESS, task.workload.upper()
        self.pending = []


def test_foreground_output_logic_with_a_fake_client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    import io
    import sys

    from gearman_cffi.cli import main, submit

    monkeypatch.setattr(submit, "Client", _FakeForegroundClient)
    (tmp_path / "in").write_bytes(b"a\nbad\nc\n" * 3)
    out = io.TextIOWrapper(io.BytesIO())
    err = io.StringIO()
    with open(tmp_path / "in", "rb") as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        monkeypatch.setattr(sys, "stdout", out)
        monkeypatch.setattr(sys, "stderr", err)
        code = main(["submit", "--foreground", "--batch", "2", "upper"])
    assert code == 1
    out.flush()
    assert out.buffer.getvalue() == b"A\n\nC\n" * 3  # input order, an empty record per failure
    assert err.getvalue() == "gearman-cffi: 3 of 9 jobs failed (first: record 2, WORK_FAIL)\n"
    # each batch was added backwards (so the server queues it in input order)
    assert _FakeForegroundClient.added == [b"bad", b"a", b"a", b"c", b"c", b"bad", b"bad", b"a", b"c"]
