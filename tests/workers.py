"""Helpers for the Worker tests: independent submitters (the ``gearman`` CLI, a
raw-socket client speaking the binary protocol, PHP's GearmanClient) and a
Worker served from a thread."""

from __future__ import annotations

import shutil
import socket
import struct
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from gearmand import Gearmand

from gearman_cffi import Worker

# Binary protocol commands (gearmand's protocol document).
SUBMIT_JOB, JOB_CREATED, WORK_STATUS, WORK_COMPLETE, WORK_FAIL = 7, 8, 12, 13, 14
WORK_EXCEPTION, OPTION_REQ, OPTION_RES, WORK_DATA, WORK_WARNING = 25, 26, 27, 28, 29
TERMINAL = {WORK_COMPLETE, WORK_FAIL, WORK_EXCEPTION}

HAVE_PHP_GEARMAN = shutil.which("php") is not None and b"gearman" in subprocess.run(
    ["php", "-m"], capture_output=True, check=False
).stdout


def cli_submit(server: Gearmand, function: str, workload: bytes) -> subprocess.Popen[bytes]:
    """``gearman -f FUNCTION`` with the workload on stdin (the whole of it, any bytes)."""
    with tempfile.TemporaryFile() as stdin:
        stdin.write(workload)
        stdin.seek(0)
        return subprocess.Popen(
            ["gearman", "-h", server.host, "-p", str(server.port), "-f", function],
            stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip


class RawClient:
    """A submitter that is not libgearman: packets as they come off the wire."""

    def __init__(self, server: Gearmand, exceptions: bool = False) -> None:
        self.sock = socket.create_connection((server.host, server.port), timeout=30)
        if exceptions:
            self.send(OPTION_REQ, b"exceptions")
            assert self.read() == (OPTION_RES, b"exceptions")

    def send(self, command: int, *args: bytes) -> None:
        data = b"\0".join(args)
        self.sock.sendall(b"\0REQ" + struct.pack(">II", command, len(data)) + data)

    def _exactly(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("server closed the connection")
            data += chunk
        return data

    def read(self) -> tuple[int, bytes]:
        magic, command, size = struct.unpack(">4sII", self._exactly(12))
        assert magic == b"\0RES"
        return command, self._exactly(size)

    def submit(self, function: str, workload: bytes, unique: bytes = b"") -> bytes:
        self.send(SUBMIT_JOB, function.encode(), unique, workload)
        command, handle = self.read()
        assert command == JOB_CREATED
        return handle

    def packets_until_done(self) -> list[tuple[int, bytes]]:
        packets = []
        while True:
            packets.append(self.read())
            if packets[-1][0] in TERMINAL:
                return packets

    def close(self) -> None:
        self.sock.close()


@contextmanager
def serving(worker: Worker) -> Iterator[list[int]]:
    """Run ``worker.run()`` in a thread (off the main thread: no signal
    handlers); on exit stop it and yield-list the jobs it ran."""
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(worker.run()), daemon=True)
    thread.start()
    try:
        yield result
    finally:
        worker.stop()
        thread.join(30)
        assert not thread.is_alive(), "run() did not return after stop()"


PHP_CLIENT = r"""
$c = new GearmanClient();
$c->addServer($argv[1], (int)$argv[2]);
$c->setTimeout(30000);
$w = file_get_contents('php://stdin');
$r = $c->doNormal($argv[3], $w);
fwrite(STDOUT, $r);
fwrite(STDERR, "rc=" . $c->returnCode() . "\n");
"""


def php_submit(server: Gearmand, function: str, workload: bytes) -> subprocess.CompletedProcess[bytes]:
    """PHP's GearmanClient::doNormal; stdout is the result, stderr ``rc=N``."""
    return subprocess.run(
        ["php", "-r", PHP_CLIENT, server.host, str(server.port), function],
        input=workload, capture_output=True, timeout=60,
    )  # fmt: skip
