"""One connection to gearmand's text admin protocol: a line out, lines back.

Pure Python sockets (libgearman has no admin API).  Every command has one
deadline (the Admin's timeout) for connect, send and the whole reply; any
failure in the middle of a command closes the socket, since the rest of the
reply would otherwise be read as the answer to the next command.  A forked
child never writes on its parent's socket: it connects anew.
"""

from __future__ import annotations

import math
import os
import socket
import time

from . import _arguments as arg
from .errors import GearmanConnectionError, GearmanServerError, GearmanTimeoutError, ReturnCode

_RECV = 65536


class AdminError(GearmanServerError):
    """gearmand answered a command with ``ERR ...``; ``.reply`` is that line
    (decoded, ``+`` as spaces), ``.command`` the command sent."""

    def __init__(self, code: int = ReturnCode.SERVER_ERROR, message: str | None = None, *,
                 reply: str = "", command: str = "") -> None:  # fmt: skip
        super().__init__(code, message)
        self.reply = reply
        self.command = command


class UnknownCommandError(AdminError):
    """``ERR UNKNOWN_COMMAND``: this gearmand does not know the command."""


def error_for(command: str, line: bytes) -> AdminError:
    """The exception for an ``ERR`` reply line."""
    reply = line.rstrip(b"\r").decode("utf-8", "replace").replace("+", " ")
    if reply.startswith("ERR UNKNOWN_COMMAND"):
        message = f"gearmand does not know the command {command!r} ({reply.split(' ', 2)[1]})"
        return UnknownCommandError(message=message, reply=reply, command=command)
    return AdminError(message=f"gearmand refused {command!r}: {reply}", reply=reply, command=command)


def is_error(line: bytes) -> bool:
    """gearmand's ERR replies end in CRLF; data lines end in LF alone."""
    return line.startswith(b"ERR ") and line.endswith(b"\r")


def decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def counts(line: bytes, fields: int, command: str) -> tuple[str, list[int]]:
    """``name\\tN\\tN...``: split from the right, so a tab in a name survives."""
    parts = line.split(b"\t")
    if len(parts) < fields + 1:
        raise GearmanServerError(ReturnCode.INVALID_PACKET, f"unexpected {command!r} line from gearmand: {line!r}")
    try:
        numbers = [int(p) for p in parts[-fields:]]
    except ValueError:
        raise GearmanServerError(ReturnCode.INVALID_PACKET, f"unexpected {command!r} line: {line!r}") from None
    return decode(b"\t".join(parts[:-fields])), numbers


def parse_server(server: object) -> tuple[str, int]:
    entries = arg.servers(server if not isinstance(server, tuple) else [server])
    if len(entries) != 1:
        raise ValueError(f"Admin talks to one server, not {len(entries)}")
    host, port = entries[0]
    return host.decode("utf-8"), port


def parse_timeout(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"timeout must be a number of seconds or None, not {type(value).__name__}")
    if math.isnan(value) or value <= 0:
        raise ValueError(f"timeout must be positive (or None to block), not {value!r}")
    return None if math.isinf(value) else float(value)


class Wire:
    """A lazily (re)connected socket to one gearmand, with a read buffer."""

    def __init__(self, host: str, port: int, timeout: float | None) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._pid = 0
        self._buf = bytearray()
        self._deadline: float | None = None
        self._command = ""
        #: the command went out on a connection opened for an earlier one and
        #: nothing came back yet: a failure then means that connection was dead
        #: before this command (gearmand restarted), so a resend is safe
        self.stale = False

    @property
    def where(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def close(self) -> None:
        sock, self._sock = self._sock, None
        self._buf.clear()
        if sock is not None:
            sock.close()  # in a forked child this closes only the child's copy of the fd

    # -- one command ------------------------------------------------------------------
    def begin(self, command: bytes) -> None:
        """Start a command: (re)connect if needed, then send ``command`` + CRLF."""
        self._command = command.decode("utf-8", "replace")
        self._deadline = None if self.timeout is None else time.monotonic() + self.timeout
        if self._sock is not None and self._pid != os.getpid():
            self.close()
        self.stale = self._sock is not None
        if self._sock is None:
            self._connect()
        assert self._sock is not None
        try:
            self._sock.settimeout(self._remaining())
            self._sock.sendall(command + b"\r\n")
        except BaseException as exc:
            self.close()
            raise self._translate(exc) from exc

    def line(self) -> bytes:
        """The next reply line, without its LF (a CR before it is kept)."""
        while True:
            end = self._buf.find(b"\n")
            if end >= 0:
                line = bytes(self._buf[:end])
                del self._buf[: end + 1]
                return line
            self._fill()

    def block(self) -> list[bytes]:
        """A multi-line reply up to its ``.`` line; raises AdminError for ERR."""
        first = self.line()
        if is_error(first):
            raise error_for(self._command, first)
        lines = []
        while first not in (b".", b".\r"):
            lines.append(first)
            first = self.line()
        return lines

    def buffer_back(self, line: bytes) -> None:
        """Put a line read by :meth:`line` back in front of the buffer."""
        self._buf[0:0] = line + b"\n"

    def single(self) -> bytes:
        """A one-line reply (``OK ...``), its CR stripped; raises AdminError for ERR."""
        line = self.line()
        if is_error(line):
            raise error_for(self._command, line)
        return line.rstrip(b"\r")

    # -- plumbing ---------------------------------------------------------------------
    def _remaining(self) -> float | None:
        if self._deadline is None:
            return None
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("timed out")
        return left

    def _connect(self) -> None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self._remaining())
        except BaseException as exc:
            raise self._translate(exc, connecting=True) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock, self._pid = sock, os.getpid()
        self._buf.clear()

    def _fill(self) -> None:
        assert self._sock is not None
        try:
            self._sock.settimeout(self._remaining())
            chunk = self._sock.recv(_RECV)
        except BaseException as exc:
            self.close()
            raise self._translate(exc) from exc
        if chunk:
            self.stale = False
        else:
            self.close()
            raise GearmanConnectionError(
                ReturnCode.LOST_CONNECTION, f"gearmand at {self.where} closed the connection during {self._command!r}"
            )
        self._buf += chunk

    def _translate(self, exc: BaseException, connecting: bool = False) -> BaseException:
        """OSError -> GearmanConnectionError / GearmanTimeoutError; anything else
        (KeyboardInterrupt, ...) unchanged."""
        if isinstance(exc, (socket.timeout, TimeoutError)):
            what = "accept a connection" if connecting else f"answer {self._command!r}"
            message = f"gearmand at {self.where} did not {what} within {self.timeout} s"
            return GearmanTimeoutError(ReturnCode.TIMEOUT, message)
        if isinstance(exc, OSError):
            code = ReturnCode.COULD_NOT_CONNECT if connecting else ReturnCode.LOST_CONNECTION
            verb = "cannot connect to" if connecting else "lost the connection to"
            reason = exc.strerror or str(exc) or type(exc).__name__
            return GearmanConnectionError(code, f"{verb} gearmand at {self.where}: {reason}")
        return exc
