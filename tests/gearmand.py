"""Real gearmand servers and gearman-tools peers for the tests.

Every server listens on a free 127.0.0.1 port and is killed by its fixture;
results are read back through ``gearadmin`` and the ``gearman`` CLI worker,
never through gearman_cffi itself.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_listening(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"gearmand did not start listening on {host}:{port}")


def wait_stopped(pid: int, timeout: float = 10.0) -> None:
    """Return once every thread of ``pid`` is stopped.  ``kill`` only queues
    SIGSTOP: until each thread is next scheduled, a busy machine lets it run on
    (and answer a request) after ``kill`` returned."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                states.append(task.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0])
            except (OSError, IndexError):
                pass  # a thread that ended meanwhile
        if states and all(state in ("T", "t") for state in states):
            return
        time.sleep(0.001)
    raise RuntimeError(f"process {pid} did not stop")


class Gearmand:
    """One gearmand process on a loopback port; ``restart()`` keeps the port."""

    def __init__(self, port: int | None = None, host: str = HOST, extra_args: tuple[str, ...] = ()) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.extra_args = extra_args
        self.dir = Path(tempfile.mkdtemp(prefix="gearmand-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def start(self) -> Gearmand:
        exe = shutil.which("gearmand") or "/usr/sbin/gearmand"
        self.proc = subprocess.Popen(
            [exe, f"--listen={self.host}", f"--port={self.port}", f"--log-file={self.dir / 'gearmand.log'}",
             "--verbose=WARNING", *self.extra_args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_listening(self.host, self.port)
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)
        self.proc = None

    def restart(self) -> Gearmand:
        self.kill()
        return self.start()

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """gearmand stopped (SIGSTOP, every thread seen stopped): the kernel
        still accepts and buffers, but nothing answers until the block ends."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)
        try:
            wait_stopped(self.proc.pid)
            yield
        finally:
            self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- independent peers ------------------------------------------------------------
    def status(self) -> dict[str, tuple[int, int, int]]:
        """``gearadmin --status``: function -> (queued, running, workers)."""
        out = subprocess.run(
            ["gearadmin", "-h", self.host, "-p", str(self.port), "--status"],
            check=True, capture_output=True, text=True, timeout=30,
        ).stdout  # fmt: skip
        result = {}
        for line in out.splitlines():
            parts = line.split("\t")
            if len(parts) == 4:
                result[parts[0]] = (int(parts[1]), int(parts[2]), int(parts[3]))
        return result

    def job_handles(self) -> set[str]:
        """Every job handle the server holds (``gearadmin --show-jobs``)."""
        out = subprocess.run(
            ["gearadmin", "-h", self.host, "-p", str(self.port), "--show-jobs"],
            check=True, capture_output=True, text=True, timeout=60,
        ).stdout  # fmt: skip
        return {line.split("\t")[0] for line in out.splitlines() if line.startswith("H:")}

    def queued(self, function: str) -> int:
        return self.status().get(function, (0, 0, 0))[0]

    def drain(self, function: str, count: int, timeout: float = 60.0) -> list[bytes]:
        """Run the ``gearman`` CLI worker for ``count`` jobs and return each
        workload byte for byte, in the order the worker received them."""
        out_dir = Path(tempfile.mkdtemp(prefix="drain-", dir=self.dir))
        # Each job's workload arrives on stdin; the shell script stores it in a
        # numbered file, so payloads with any bytes (NUL, newlines) survive.
        script = f'n=$(ls "{out_dir}" | wc -l); cat > "{out_dir}/$(printf %08d $n)"'
        worker = subprocess.run(
            ["gearman", "-h", self.host, "-p", str(self.port), "-w", "-f", function, "-c", str(count),
             "--", "sh", "-c", script],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout,
        )  # fmt: skip
        if worker.returncode != 0:
            raise RuntimeError(f"gearman worker failed: {worker.stderr.decode(errors='replace')}")
        return [p.read_bytes() for p in sorted(out_dir.iterdir())]


class SilentServer:
    """Accepts TCP connections on loopback and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind((HOST, 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.address = f"{HOST}:{self.port}"

    def close(self) -> None:
        self.sock.close()


def env_without_proxy() -> dict[str, Any]:
    return {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
