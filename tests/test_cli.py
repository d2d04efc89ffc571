"""``gearman-cffi`` (python -m gearman_cffi) against real gearmand; results read
back with gearadmin and the ``gearman`` CLI, never with gearman_cffi itself."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from gearmand import Gearmand
from peers import priority_status

CLI = [sys.executable, "-m", "gearman_cffi"]
BATCH_LOG = "GEARMAN_CFFI_CLI_BATCH_LOG"


def cli(*args: str, input: bytes = b"", timeout: float = 120, **kw: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*CLI, *args], input=input, capture_output=True, timeout=timeout, **kw)  # type: ignore[call-overload, no-any-return]


def lines(count: int, fmt: str = "line {}") -> bytes:
    return b"".join(fmt.format(i).encode() + b"\n" for i in range(count))


@pytest.mark.slow  # the gearman CLI worker runs a shell per job
def test_submit_1000_lines(gearmand_module: Gearmand, fn: str):
    result = cli("submit", fn, "-s", gearmand_module.address, input=lines(1000))
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""  # no progress bar: stderr is a pipe
    handles = result.stdout.decode().splitlines()
    assert len(handles) == len(set(handles)) == 1000
    assert set(handles) <= gearmand_module.job_handles()
    assert gearmand_module.queued(fn) == 1000
    # the server queued them in input order, each line exactly
    assert gearmand_module.drain(fn, 1000) == [f"line {i}".encode() for i in range(1000)]


def test_handles_follow_input_order(gearmand_module: Gearmand, fn: str):
    """Across batches, the server creates (and numbers) the jobs in input order."""
    result = cli("submit", fn, "-s", gearmand_module.address, "--batch", "7", input=lines(20))
    handles = result.stdout.decode().splitlines()
    numbers = [int(h.rsplit(":", 1)[1]) for h in handles]  # gearmand numbers handles as it creates jobs
    assert numbers == sorted(numbers)
    assert gearmand_module.drain(fn, 20) == [f"line {i}".encode() for i in range(20)]


def test_null_separated_payloads_with_newlines(gearmand_module: Gearmand, fn: str):
    payloads = [b"a\nb", b"line\r\nwith crlf", b"", b"\xff\xfe binary \x01", b"last, no terminator"]
    result = cli("submit", "-0", fn, "-s", gearmand_module.address, input=b"\0".join(payloads))
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(b"\0")
    handles = result.stdout[:-1].split(b"\0")
    assert len(handles) == len(payloads)
    assert gearmand_module.drain(fn, len(payloads)) == payloads


def test_empty_input_and_empty_lines(gearmand_module: Gearmand, fn: str):
    result = cli("submit", fn, "-s", gearmand_module.address, input=b"")
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
    assert fn not in gearmand_module.status()
    result = cli("submit", fn, "-s", gearmand_module.address, input=b"x\n\ny")  # empty line: empty job
    assert len(result.stdout.splitlines()) == 3
    assert gearmand_module.drain(fn, 3) == [b"x", b"", b"y"]


def test_priorities(gearmand_module: Gearmand, fn: str):
    for priority, count in (("high", 3), ("low", 2), ("normal", 1)):
        result = cli("submit", fn, "--priority", priority, "-s", gearmand_module.address, input=lines(count, priority))
        assert result.returncode == 0, result.stderr
    assert priority_status(gearmand_module, fn) == (3, 1, 2)
    assert gearmand_module.drain(fn, 6) == [b"high", b"high", b"high", b"normal", b"low", b"low"]


def test_unreachable_server_exit_1_one_line(fn: str):
    result = cli("submit", fn, "-s", "127.0.0.1:1", input=lines(10))
    assert result.returncode == 1
    err = result.stderr.decode()
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("gearman-cffi: GEARMAN_COULD_NOT_CONNECT") and "127.0.0.1:1" in err
    assert "0 jobs submitted" in err
    assert result.stdout == b""
    status = cli("status", "-s", "127.0.0.1:1")
    assert status.returncode == 1 and status.stderr.decode().count("\n") == 1
    assert b"cannot connect" in status.stderr and b"Traceback" not in status.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        ((), b"required: COMMAND"),
        (("frobnicate",), b"invalid choice"),
        (("submit",), b"required: FUNCTION"),
        (("submit", "f", "--priority", "urgent"), b"invalid choice"),
        (("submit", "f", "--batch", "0"), b"at least 1"),
        (("submit", "f", "-s", "host:port"), b"malformed port"),
        (("submit", "f", "--timeout=-1"), b"must be positive"),
        (("submit", "f", "--timeout", "soon"), b"not a number"),
        (("submit", ""), b"must not be empty"),
        (("status", "-s", "[::1"), b"malformed server"),
        (("worker", "f"), b"needs a command after '--'"),
        (("worker", "f", "--", "no-such-command-here"), b"command not found"),
        (("status", "--", "x"), b"unrecognized arguments"),
    ],
)
def test_bad_arguments_exit_2(args: tuple[str, ...], message: bytes):
    result = cli(*args)
    assert result.returncode == 2
    assert message in result.stderr and b"Traceback" not in result.stderr


def test_help_has_examples():
    for args in ((), ("submit",), ("worker",), ("status",)):
        result = cli(*args, "--help")
        assert result.returncode == 0 and b"example" in result.stdout
    assert cli("--version").stdout.startswith(b"gearman-cffi ")


def test_console_script_installed():
    script = Path(sys.executable).with_name("gearman-cffi")
    if not script.exists():
        pytest.skip("no gearman-cffi script next to this interpreter")
    result = subprocess.run([str(script), "--version"], capture_output=True, timeout=60)
    assert result.returncode == 0 and b"libgearman" in result.stdout


def test_head_closes_the_pipe_quietly(gearmand_module: Gearmand, fn: str, tmp_path: Path):
    (tmp_path / "in").write_bytes(lines(20000))
    submit = f"{' '.join(CLI)} submit {fn} -s {gearmand_module.address} --batch 100"
    script = f'{submit} < in | head -2; echo "${{PIPESTATUS[0]}}"'
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, timeout=120)
    out = result.stdout.decode().splitlines()
    assert len(out) == 3 and out[0].startswith("H:")
    assert out[2] == "141"  # as if killed by SIGPIPE
    assert result.stderr == b""  # no BrokenPipeError
    assert gearmand_module.queued(fn) < 20000  # it stopped early


def test_ctrl_c_says_how_many_were_submitted(gearmand_module: Gearmand, fn: str):
    proc = subprocess.Popen(
        [*CLI, "submit", fn, "-s", gearmand_module.address],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(lines(10))
    proc.stdin.flush()
    # a batch goes out as soon as stdin has nothing more right now: no waiting for 5000
    handles = [proc.stdout.readline() for _ in range(10)]
    assert all(h.startswith(b"H:") for h in handles)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(30) == 130
    err = proc.stderr.read().decode()
    assert err == "gearman-cffi: interrupted: 10 jobs submitted\n"
    proc.stdin.close()
    proc.stdout.close()
    proc.stderr.close()
    assert gearmand_module.queued(fn) == 10


def test_20000_lines_in_few_batches_and_reads(gearmand_module: Gearmand, fn: str, tmp_path: Path):
    (tmp_path / "in").write_bytes(lines(20000))
    log = tmp_path / "batches"
    env = dict(os.environ, **{BATCH_LOG: str(log)})
    with open(tmp_path / "in", "rb") as stdin:
        result = cli("submit", fn, "-s", gearmand_module.address, stdin=stdin, input=None, env=env)
    assert result.returncode == 0, result.stderr
    assert log.read_text().split() == ["5000"] * 4  # 4 run_tasks calls for 20,000 jobs
    assert gearmand_module.queued(fn) == 20000
    if shutil.which("strace") is None:
        return
    trace = tmp_path / "strace"
    with open(tmp_path / "in", "rb") as stdin:
        traced = subprocess.run(
            ["strace", "-f", "-c", "-e", "trace=recvfrom,recvmsg", "-o", str(trace),
             *CLI, "submit", fn + "_2", "-s", gearmand_module.address],
            stdin=stdin, capture_output=True, timeout=300,
        )  # fmt: skip
    if traced.returncode != 0 and b"ptrace" in traced.stderr:
        pytest.skip("strace cannot trace here")
    assert traced.returncode == 0, traced.stderr
    rows = [row.split() for row in trace.read_text().splitlines() if row.strip().endswith(("recvfrom", "recvmsg"))]
    calls = sum(int(row[3]) for row in rows)
    # one round trip per line would need 20,000 reads at least; libgearman reads the
    # JOB_CREATED replies as they arrive while it sends (seen: 660 to 3,200 reads, 160 sends)
    assert 0 < calls < 20000 / 4, trace.read_text()
    assert gearmand_module.queued(fn + "_2") == 20000


def _run_under_pty(args: list[str], stdin_path: Path) -> tuple[int, bytes]:
    import pty

    master, slave = pty.openpty()
    with open(stdin_path, "rb") as stdin:
        proc = subprocess.Popen(args, stdin=stdin, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    return proc.wait(60), seen


def test_progress_bar_on_a_terminal_only(gearmand_module: Gearmand, fn: str, tmp_path: Path):
    pytest.importorskip("tqdm")
    (tmp_path / "in").write_bytes(lines(3000))
    code, seen = _run_under_pty([*CLI, "submit", fn, "-s", gearmand_module.address, "--batch", "1000"], tmp_path / "in")
    assert code == 0, seen
    text = seen.decode(errors="replace")
    assert "3.00k jobs" in text  # the count
    assert "jobs/s" in text and "00:0" in text  # the rate and the elapsed time
    code, seen = _run_under_pty([*CLI, "submit", fn, "-s", gearmand_module.address, "--no-progress"], tmp_path / "in")
    assert (code, seen) == (0, b"")
    # in a pipe: nothing on stderr (test_submit_1000_lines), and without tqdm no bar either
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    (tmp_path / "tqdm.py").write_text("raise ImportError('tqdm hidden for this test')\n")
    code, seen = _run_under_pty(
        ["env", f"PYTHONPATH={env['PYTHONPATH']}", *CLI, "submit", fn, "-s", gearmand_module.address],
        tmp_path / "in",
    )  # fmt: skip
    assert (code, seen) == (0, b"")
    assert gearmand_module.queued(fn) == 9000


def test_status_table_and_json(gearmand_module: Gearmand, fn: str):
    cli("submit", fn, "-s", gearmand_module.address, input=lines(7))
    theirs = gearmand_module.status()
    table = cli("status", "-s", gearmand_module.address)
    assert table.returncode == 0, table.stderr
    rows = [line.split() for line in table.stdout.decode().splitlines()]
    assert rows[0] == ["FUNCTION", "QUEUED", "RUNNING", "WORKERS"]
    assert {r[0]: tuple(map(int, r[1:])) for r in rows[1:]} == theirs
    assert theirs[fn] == (7, 0, 0)
    data = json.loads(cli("status", "--json", "-s", gearmand_module.address).stdout)
    mine = next(d for d in data if d["function"] == fn)
    assert mine == {"server": gearmand_module.address, "function": fn, "queued": 7, "running": 0, "workers": 0}


@pytest.mark.slow
def test_memory_stays_flat(gearmand_factory: type[Gearmand], fn: str):
    """200,000 lines from a pipe need no more memory than 20,000."""
    server = gearmand_factory(extra_args=("--hashtable-buckets=100003",)).start()
    peaks = []
    for count in (20000, 200000):
        proc = subprocess.Popen(
            [*CLI, "submit", fn, "-s", server.address], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
        )  # fmt: skip
        assert proc.stdin is not None
        writer = threading.Thread(target=lambda s=proc.stdin, n=count: (s.write(lines(n, "{:030d}")), s.close()))
        writer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        writer.join()
        assert proc.returncode == 0
        peaks.append(usage.ru_maxrss)  # KiB
    assert server.queued(fn) == 220000
    assert peaks[1] < peaks[0] + 20 * 1024, peaks  # ten times the input, not ten times the memory


def test_status_of_several_servers(gearmand_factory: type[Gearmand], fn: str):
    first, second = gearmand_factory().start(), gearmand_factory().start()
    cli("submit", fn, "-s", first.address, input=lines(2))
    cli("submit", fn, "-s", second.address, input=lines(5))
    table = cli("status", "-s", first.address, "-s", second.address)
    assert table.returncode == 0, table.stderr
    rows = [line.split() for line in table.stdout.decode().splitlines()]
    assert rows == [
        ["SERVER", "FUNCTION", "QUEUED", "RUNNING", "WORKERS"],
        [first.address, fn, "2", "0", "0"],
        [second.address, fn, "5", "0", "0"],
    ]
    data = json.loads(cli("status", "--json", "-s", first.address, "-s", second.address).stdout)
    assert [(d["server"], d["queued"]) for d in data] == [(first.address, 2), (second.address, 5)]


def test_submit_fails_over_to_the_next_server(gearmand_module: Gearmand, fn: str):
    result = cli("submit", fn, "-s", "127.0.0.1:1", "-s", gearmand_module.address, input=lines(50))
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 50
    assert gearmand_module.queued(fn) == 50
