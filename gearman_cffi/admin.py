"""Admin: gearmand's text admin protocol (what ``gearadmin`` speaks).

libgearman has no admin API, so this is pure Python sockets: one line per
command, typed results.  Every command gearmand 1.1.20 answers is here except
``shutdown`` (gone from gearmand).  Names and uniques come back as ``str``
decoded from UTF-8 with ``surrogateescape``, so a non-UTF-8 name round-trips
into the methods that take one (they accept ``bytes`` too).

gearmand splits a command on spaces and ends it at a newline, so names with a
space, CR, LF or NUL cannot be sent and raise ``ValueError``.  Known gearmand
behaviours worth knowing (tests/test_admin.py shows each):

* ``maxqueue`` on a function gearmand does not know yet does nothing (it still
  answers OK): call :meth:`Admin.create_function` first;
* ``cancel_job`` marks the job ignored; it stays counted in ``status()`` until
  a worker would have taken it;
* ``drop_function`` matches names case-insensitively.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Callable, NamedTuple, TypeVar, Union

from . import _arguments as arg
from ._admin_wire import AdminError, UnknownCommandError, Wire
from ._admin_wire import counts as _ints
from ._admin_wire import decode as _decode
from ._admin_wire import parse_server as _server
from ._admin_wire import parse_timeout as _timeout
from .errors import ClientClosedError, GearmanConnectionError, GearmanServerError, ReturnCode

__all__ = [
    "Admin",
    "AdminError",
    "FunctionStatus",
    "JobInfo",
    "PriorityStatus",
    "UnknownCommandError",
    "WorkerInfo",
]

Name = Union[str, bytes]
T = TypeVar("T")
_MAX_QUEUE = 2**31 - 1  # gearmand reads the size with atoi()


class FunctionStatus(NamedTuple):
    """One line of ``status``: jobs queued (including running), running, and
    workers registered for ``function``."""

    function: str
    queued: int
    running: int
    workers: int


class PriorityStatus(NamedTuple):
    """One line of ``prioritystatus``: jobs waiting per priority, and workers."""

    function: str
    high: int
    normal: int
    low: int
    workers: int


class WorkerInfo(NamedTuple):
    """One line of ``workers``: a connection, its peer address, the id it set
    (``"-"`` if none) and the functions it can do (empty for clients)."""

    fd: int
    ip: str
    client_id: str
    functions: tuple[str, ...]


class JobInfo(NamedTuple):
    """One line of ``show jobs``: ``ignored`` is set by ``cancel job``;
    ``persisted`` is gearmand's ``job_queued`` flag: a background job handed to
    its persistent-queue layer (set even with no queue configured; cleared
    by ``cancel job``)."""

    handle: str
    retries: int
    ignored: bool
    persisted: bool


def _word(value: object, what: str, max_bytes: int) -> bytes:
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogateescape")
    data = arg.text(value, what, max_bytes)
    for bad, name in ((b" ", "spaces"), (b"\r", "carriage returns"), (b"\n", "newlines")):
        if bad in data:
            raise ValueError(f"{what} must not contain {name}: gearmand's admin protocol cannot send {value!r}")
    return data


def _name(value: object) -> bytes:
    return _word(value, "function_name", arg.MAX_FUNCTION_NAME)


def _size(value: object, what: str) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if not 0 <= value <= _MAX_QUEUE:
        raise ValueError(f"{what} must be 0 (no limit) to {_MAX_QUEUE}, not {value}")
    return str(value).encode()


class Admin:
    """A connection to one gearmand's admin port.

    ``server`` is ``"host:port"``, ``"[v6]:port"``, ``"host"`` or ``(host, port)``.
    ``timeout`` (seconds, ``None`` blocks) bounds each whole command: connect,
    send and reply.  Connects on the first command and again after a failure
    (a command that finds its kept connection dead goes once more).
    Unreachable: ``GearmanConnectionError``; silent: ``GearmanTimeoutError``;
    an ``ERR`` reply: :class:`AdminError`.  Thread-safe (one command at a time).
    """

    def __init__(self, server: str | tuple[str, int] = "localhost:4730", *, timeout: float | None = 5.0) -> None:
        host, port = _server(server)
        self._wire = Wire(host, port, _timeout(timeout))
        self._lock = threading.Lock()
        self._closed = False

    @property
    def server(self) -> tuple[str, int]:
        return self._wire.host, self._wire.port

    @property
    def timeout(self) -> float | None:
        return self._wire.timeout

    def close(self) -> None:
        """Close the connection; idempotent."""
        with self._lock:
            self._closed = True
            self._wire.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Admin:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<gearman_cffi.Admin {self._wire.where} {state}>"

    # -- transport --------------------------------------------------------------------
    def _exchange(self, words: Sequence[bytes], read: Callable[[], T], resend: bool = True) -> T:
        """One command and its reply.  If the connection kept from an earlier
        command turns out dead before any reply (gearmand restarted), the
        command goes once more on a new connection (unless ``resend`` is off)."""
        with self._lock:
            self._check_open()
            try:
                self._wire.begin(b" ".join(words))
                return read()
            except GearmanConnectionError:
                if not (resend and self._wire.stale):
                    raise
            self._wire.begin(b" ".join(words))
            return read()

    def _lines(self, *words: bytes) -> list[bytes]:
        return self._exchange(words, self._wire.block)

    def _one(self, *words: bytes) -> bytes:
        return self._exchange(words, self._wire.single)

    def _ok(self, *words: bytes) -> str:
        """Send a command answered by ``OK [value]``; return the value."""
        line = self._one(*words)
        if line != b"OK" and not line.startswith(b"OK "):
            raise GearmanServerError(ReturnCode.INVALID_PACKET, f"unexpected reply to {words[0]!r}: {line!r}")
        return _decode(line[3:])

    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosedError(message="the Admin is closed")

    # -- reports ----------------------------------------------------------------------
    def status(self) -> list[FunctionStatus]:
        """Every function gearmand knows, with queued / running / workers."""
        result = []
        for line in self._lines(b"status"):
            name, (queued, running, workers) = _ints(line, 3, "status")
            result.append(FunctionStatus(name, queued, running, workers))
        return result

    def priority_status(self) -> list[PriorityStatus]:
        """Jobs waiting per priority (high, normal, low) and workers, per function."""
        result = []
        for line in self._lines(b"prioritystatus"):
            name, (high, normal, low, workers) = _ints(line, 4, "prioritystatus")
            result.append(PriorityStatus(name, high, normal, low, workers))
        return result

    def workers(self) -> list[WorkerInfo]:
        """Every connection (this one included) and the functions it registered."""
        result = []
        for line in self._lines(b"workers"):
            head, _, functions = line.partition(b" :")
            fd, _, rest = head.partition(b" ")
            ip, _, client_id = rest.partition(b" ")
            try:
                number = int(fd)
            except ValueError:
                raise GearmanServerError(ReturnCode.INVALID_PACKET, f"unexpected 'workers' line: {line!r}") from None
            names = tuple(_decode(f) for f in functions.split(b" ") if f)
            result.append(WorkerInfo(number, _decode(ip), _decode(client_id), names))
        return result

    def show_jobs(self) -> list[JobInfo]:
        """Every job gearmand holds (queued or running)."""
        result = []
        for line in self._lines(b"show", b"jobs"):
            handle, (retries, ignored, persisted) = _ints(line, 3, "show jobs")
            result.append(JobInfo(handle, retries, bool(ignored), bool(persisted)))
        return result

    def show_unique_jobs(self) -> list[str]:
        """The unique id of every job gearmand holds."""
        return [_decode(line) for line in self._lines(b"show", b"unique", b"jobs")]

    def version(self) -> str:
        """gearmand's version, e.g. ``"1.1.20"``."""
        return self._ok(b"version")

    def getpid(self) -> int:
        """gearmand's process id."""
        return int(self._ok(b"getpid"))

    def verbose(self) -> str:
        """gearmand's log level name, e.g. ``"WARNING"``."""
        return self._ok(b"verbose")

    # -- changes ----------------------------------------------------------------------
    def maxqueue(self, function: Name, size: int | None = None, *,
                 high: int | None = None, normal: int | None = None, low: int | None = None) -> None:  # fmt: skip
        """Limit ``function``'s queue: ``size`` for every priority, or per priority
        with ``high`` / ``normal`` / ``low`` (an omitted one takes ``size``).
        0 or ``None`` means no limit; ``maxqueue(fn)`` lifts the limits.
        gearmand counts all of the function's jobs against each priority's limit,
        and ignores a function it does not know yet (see :meth:`create_function`)."""
        words = [b"maxqueue", _name(function)]
        if high is None and normal is None and low is None:
            if size is not None:
                words.append(_size(size, "size"))
        else:
            fallback = 0 if size is None else size
            for what, value in (("high", high), ("normal", normal), ("low", low)):
                words.append(_size(fallback if value is None else value, what))
        self._ok(*words)

    def create_function(self, function: Name) -> None:
        """Make gearmand know ``function`` (no worker or job needed)."""
        self._ok(b"create", b"function", _name(function))

    def drop_function(self, function: Name) -> None:
        """Forget ``function`` and its queued jobs; refused (AdminError) while a
        worker is registered or a job runs.  gearmand matches the name ignoring case."""
        self._ok(b"drop", b"function", _name(function))

    def cancel_job(self, handle: Name) -> None:
        """Cancel a job by handle: waiting clients get WORK_FAIL and no worker
        will get it; AdminError (``ERR UNKNOWN_JOB``) if gearmand has no such job."""
        self._ok(b"cancel", b"job", _word(handle, "job_handle", arg.MAX_JOB_HANDLE))

    def command(self, *words: Name) -> list[str]:
        """Send any other command; the reply's lines (one for ``OK``, else up to
        the ``.`` line).  For commands a newer gearmand may add."""
        data = [_word(w, "command word", 1024) for w in words]
        if not data:
            raise ValueError("command needs at least one word")

        def read() -> list[bytes]:
            first = self._wire.line()
            self._wire.buffer_back(first)
            return [self._wire.single()] if first.startswith((b"OK", b"ERR ")) else self._wire.block()

        return [_decode(line) for line in self._exchange(data, read, resend=False)]
