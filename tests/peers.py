"""More independent views of a gearmand (gearadmin) and a subprocess runner.

Kept apart from gearmand.py so the fixtures module stays small; nothing here
uses gearman_cffi to check gearman_cffi.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from gearmand import Gearmand

TESTS = Path(__file__).resolve().parent


def gearadmin(server: Gearmand, *args: str) -> bytes:
    return subprocess.run(
        ["gearadmin", "-h", server.host, "-p", str(server.port), *args],
        check=True, capture_output=True, timeout=30,
    ).stdout  # fmt: skip


def unique_jobs(server: Gearmand) -> list[bytes]:
    """``gearadmin --show-unique-jobs``: the unique of every job the server holds."""
    lines = gearadmin(server, "--show-unique-jobs").split(b"\n")
    return [line for line in lines if line and line != b"."]


def priority_status(server: Gearmand, function: str) -> tuple[int, int, int]:
    """``gearadmin --priority-status``: queued (high, normal, low) for ``function``."""
    for line in gearadmin(server, "--priority-status").decode().splitlines():
        parts = line.split("\t")
        if parts[0] == function:
            return int(parts[1]), int(parts[2]), int(parts[3])
    return 0, 0, 0


def run_python(code: str, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (tests/ on its path), so a crash or a
    hang is a failed assertion instead of a dead test run."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", code, *args],
        capture_output=True, text=True, timeout=timeout, env=env,
    )  # fmt: skip


def admin_command(server: Gearmand, command: str) -> bytes:
    """One line of gearmand's text protocol (e.g. ``maxqueue FN 3``), which
    gearadmin has no option for; returns the server's reply line."""
    with socket.create_connection((server.host, server.port), timeout=30) as sock:
        sock.sendall(command.encode() + b"\n")
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    return reply.strip()


def php_worker(server: Gearmand, function: str, mode: str, count: int) -> subprocess.Popen[bytes]:
    """PHP's GearmanWorker (tests/php/worker.php) serving ``count`` jobs of
    ``function`` in ``mode`` (reverse, chunks, exception, fail, sleep); the
    caller waits for it or kills it."""
    return subprocess.Popen(
        ["php", str(TESTS / "php" / "worker.php"), server.host, str(server.port), function, mode, str(count)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def cli_worker(server: Gearmand, function: str, count: int, *command: str) -> subprocess.Popen[bytes]:
    """The ``gearman`` CLI worker: each job's workload on ``command``'s stdin, its stdout the result."""
    return subprocess.Popen(
        ["gearman", "-h", server.host, "-p", str(server.port), "-w", "-f", function, "-c", str(count), "--", *command],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
