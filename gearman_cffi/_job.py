"""Job: the job a Worker's handler runs, and how its outcome reaches the server.

The C job (``gearman_job_st``) lives only while the handler runs: libgearman
frees it when ``gearman_worker_work`` moves on.  A :class:`Job` copies what it
describes (handle, unique, workload) up front and refuses to send anything
once its handler has returned, so a Job kept past that never touches freed
memory.
"""

from __future__ import annotations

from typing import Any

from . import _arguments as arg
from ._libgearman import ffi, lib
from .errors import GearmanError, error_from

_UINT32_MAX = 2**32 - 1
_unpack = ffi.unpack


def _counter(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if not 0 <= value <= _UINT32_MAX:
        raise ValueError(f"{what} must be 0..{_UINT32_MAX}, not {value}")
    return value


def _text(pointer: Any) -> str:
    return "" if pointer == ffi.NULL else ffi.string(pointer).decode("utf-8", "surrogateescape")


class Job:
    """One job handed to a handler: ``function_name``, ``handle``, ``unique``
    (the submitter's), ``workload`` (bytes); ``send_status`` / ``send_data`` /
    ``send_warning`` reach a foreground submitter while the handler runs."""

    __slots__ = ("_broken", "_handle", "_ptr", "_unique", "_work", "function_name", "workload")

    def __init__(self, function_name: str, work: Any, ptr: Any, workload: Any, size: int) -> None:
        self.function_name = function_name
        self.workload: bytes = _unpack(workload, size) if size else b""
        self._work = work  # handle and unique are read from it on first use (see finish)
        self._handle: str | None = None
        self._unique: str | None = None
        self._ptr: Any = ptr
        #: the first failed send: libgearman then reconnects on the next send
        #: *without* registering the worker's functions, so nothing more is sent
        self._broken: GearmanError | None = None

    @property
    def handle(self) -> str:
        """The job handle the server gave the job (``"H:host:N"``)."""
        if self._handle is None:
            self._handle = _text(self._work.handle)
        return self._handle

    @property
    def unique(self) -> str:
        """The unique the submitter sent (GRAB_JOB_UNIQ)."""
        if self._unique is None:
            self._unique = _text(self._work.unique)
        return self._unique

    def _live(self) -> Any:
        ptr = self._ptr
        if ptr is None:
            raise RuntimeError("the job is finished: send_* work only while its handler runs")
        if self._broken is not None:
            raise self._broken
        return ptr

    def _check(self, rc: int, ptr: Any) -> None:
        if rc != lib.GEARMAN_SUCCESS:
            self._broken = error_from(rc, ptr, message_of=lib.gearman_job_error)
            raise self._broken

    def send_status(self, numerator: int, denominator: int) -> None:
        """WORK_STATUS: how far the job is (the submitter's ``numerator/denominator``)."""
        n, d = _counter(numerator, "numerator"), _counter(denominator, "denominator")
        ptr = self._live()
        self._check(lib.gearman_job_send_status(ptr, n, d), ptr)

    def send_data(self, data: arg.Workload) -> None:
        """WORK_DATA: a partial result for a foreground submitter."""
        buffer, size = arg.workload(data)
        ptr = self._live()
        self._check(lib.gearman_job_send_data(ptr, buffer, size), ptr)

    def send_warning(self, data: arg.Workload) -> None:
        """WORK_WARNING: a warning for a foreground submitter."""
        buffer, size = arg.workload(data)
        ptr = self._live()
        self._check(lib.gearman_job_send_warning(ptr, buffer, size), ptr)

    def __repr__(self) -> str:
        state = "running" if self._ptr is not None else "finished"
        return f"<gearman_cffi.Job {self.function_name!r} {self.handle} {len(self.workload)} bytes, {state}>"


def finish(job: Job, escaped: bool) -> GearmanError | None:
    """The handler returned: the C job is about to be freed.  A Job that
    outlives its handler (``escaped``) keeps copies of handle and unique.
    Returns the job's first failed send, if any (then nothing more is sent)."""
    if escaped:
        job._handle, job._unique = job.handle, job.unique
    job._ptr = job._work = None
    return job._broken


def result_bytes(value: object) -> bytes | bytearray | memoryview:
    """A handler's return value as the WORK_COMPLETE payload."""
    if value is None:
        return b""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return value
    raise TypeError(f"a handler must return bytes, str or None, not {type(value).__name__}")


def exception_text(exc: BaseException) -> bytes:
    """The WORK_EXCEPTION payload: the exception's text, or its class name when
    the text is empty (libgearman refuses an empty exception)."""
    text = str(exc) or type(exc).__name__
    return text.encode("utf-8", "replace")
