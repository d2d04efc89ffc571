"""``gearman-cffi worker`` (on gearman_cffi.Worker) and ``submit --foreground``,
with the ``gearman`` CLI as the independent client and worker."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from gearmand import Gearmand
from test_cli import CLI, cli, lines


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


def test_worker_count_and_byte_exact_results(gearmand_module: Gearmand, fn: str):
    worker = start_worker(gearmand_module, fn, "-c", "3", "--", "tr", "a-z", "A-Z")
    payloads = [b"abc", b"two\nlines\n", b"\x00\xffbin ary\r\n"]
    for payload in payloads:
        done = gearman_client(gearmand_module, fn, payload)
        assert (done.returncode, done.stdout) == (0, payload.upper()), done.stderr
    out, err = worker.communicate(timeout=30)
    assert (worker.returncode, out, err) == (0, b"", b"")  # stopped after exactly 3, quietly
    assert gearmand_module.status()[fn][2] == 0


def test_worker_drains_what_submit_queued(gearmand_module: Gearmand, fn: str, tmp_path: Path):
    out = tmp_path / "out"
    assert cli("submit", fn, "-s", gearmand_module.address, input=lines(100)).returncode == 0
    record = f'cat >> "{out}"; printf "\\0" >> "{out}"'
    worker = start_worker(gearmand_module, fn, "-c", "100", "--", "sh", "-c", record)
    assert worker.wait(120) == 0
    assert out.read_bytes().split(b"\0")[:-1] == [f"line {i}".encode() for i in range(100)]
    assert gearmand_module.status()[fn] == (0, 0, 0)


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


def test_foreground_failed_job_exit_1(gearmand_module: Gearmand, fn: str):
    workers = gearman_workers(gearmand_module, fn, 1, 'x=$(cat); [ "$x" != bad ] || exit 1; printf %s "ok$x"')
    try:
        result = cli("submit", "--foreground", fn, "-s", gearmand_module.address, input=b"1\nbad\n3\n")
        assert result.returncode == 1
        assert result.stdout == b"ok1\n\nok3\n"  # an empty record keeps the lines aligned
        assert result.stderr == b"gearman-cffi: 1 of 3 jobs failed (first: record 2, WORK_FAIL)\n"
    finally:
        stop_all(workers)
