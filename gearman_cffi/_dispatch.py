"""The handler side of a Worker: what the C trampoline calls for each job.

The trampoline (``include/worker.c``) is the ``gearman_function_fn`` of every
function a Worker defines; its context is a :class:`Function`'s handle.  It
notes the job and calls :func:`_gearman_cffi_job`, which runs the handler
through the Worker's :class:`Dispatch`, which sends the outcome itself
(WORK_COMPLETE; for a handler that raised WORK_FAIL, or with
``exceptions=True`` WORK_EXCEPTION with the exception's text); the trampoline
returns GEARMAN_SUCCESS to libgearman, never a failure: libgearman's
failing-return path makes the next ``gearman_worker_work`` return SUCCESS with
no job run.

Why WORK_FAIL by default: gearmand (1.1.20 and its master) ends the job on
WORK_EXCEPTION and sends submitters that did not ask for exceptions a WORK_FAIL
whose handle carries a trailing NUL; libgearman clients (the ``gearman`` CLI,
PHP's extension) do not recognise it and wait forever.
"""

from __future__ import annotations

from sys import getrefcount
from typing import Any, Callable, Union

from . import _arguments as arg
from ._job import Job, exception_text, finish, result_bytes
from ._libgearman import ffi, lib
from ._owner import Owner
from .callbacks import extern
from .errors import GearmanError, error_from
from .log import logger

Handler = Callable[[Job], Union[bytes, bytearray, memoryview, str, None]]

_SUCCESS: int = lib.GEARMAN_SUCCESS
_send_complete = lib.gearman_job_send_complete
#: a handler's return that makes libgearman drop the connections (the server
#: then gives the job to a worker again)
DROP: int = lib.GEARMAN_ERROR
#: a handler's return when it sent the job's outcome itself
_SENT: int = lib.GEARMAN_PAUSE
#: references to a Job while run_job holds it: its local and getrefcount's argument
_OWN_REFERENCES = 2
_MAX_CAN_DO_TIMEOUT = 2**32 - 1


class Function:
    """One defined function: what the C trampoline's context points at."""

    __slots__ = ("c_handle", "dispatch", "handler", "name", "name_c", "timeout")

    def __init__(self, dispatch: Dispatch, name_c: bytes, handler: Handler, timeout: int) -> None:
        self.dispatch = dispatch
        self.name_c = name_c
        self.name = name_c.decode("utf-8", "surrogateescape")
        self.handler = handler
        self.timeout = timeout
        self.c_handle = ffi.new_handle(self)


def can_do_timeout(seconds: object) -> int:
    """add_function's timeout: whole seconds gearmand gives a job (0: none)."""
    if seconds is None:
        return 0
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"timeout must be a number of seconds or None, not {type(seconds).__name__}")
    if not 0 < seconds <= _MAX_CAN_DO_TIMEOUT:  # also refuses NaN
        raise ValueError(f"timeout must be positive seconds (or None), not {seconds!r}")
    return max(1, round(seconds))


class Dispatch:
    """Runs a Worker's handlers: the state a handler's turn reads and sets."""

    __slots__ = ("exceptions", "keep", "owner", "stashed", "stop")

    def __init__(self, owner: Owner, exceptions: bool) -> None:
        self.owner = owner
        self.exceptions = exceptions
        #: stop() was called: the C call ends after the job in hand
        self.stop = False
        #: a handler's KeyboardInterrupt / SystemExit, re-raised after the C call
        self.stashed: BaseException | None = None
        #: the result of a job whose send failed: libgearman's packet points into it
        self.keep: Any = None

    def run_job(self, function: Function, work: Any, ptr: Any, workload: Any, size: int) -> int:
        """The handler's turn (called by the C trampoline, the Worker's lock
        held): run it, send the outcome, return _SENT (or DROP)."""
        job = Job(function.name, work, ptr, workload, size)
        try:
            result = function.handler(job)
            if type(result) is bytes:  # the usual case, without the general checks
                buffer, length = result, len(result)
            else:
                buffer, length = arg.workload(result_bytes(result))
        except Exception as exc:
            logger.exception("gearman_cffi worker: %s failed job %s", function.name, job.handle)
            return self._failed(job, finish(job, True), exc, work, ptr)
        except BaseException as exc:  # KeyboardInterrupt, SystemExit: not this job's fault
            finish(job, True)
            self.stashed = exc
            work.stop = 1
            return DROP
        escaped = getrefcount(job) > _OWN_REFERENCES  # the handler kept it (count before any call takes it)
        broken = finish(job, escaped)
        if self.stop or self.owner.closing:
            work.stop = 1
        if broken is not None:
            log_unsent(job.handle, broken)
            return DROP
        rc: int = _send_complete(ptr, buffer, length)
        if rc != _SUCCESS:
            self.keep = buffer  # libgearman's packet points into it
            log_unsent(job.handle, error_from(rc, ptr, message_of=lib.gearman_job_error))
            return DROP
        return _SENT

    def _failed(self, job: Job, broken: GearmanError | None, exc: Exception, work: Any, ptr: Any) -> int:
        if self.stop or self.owner.closing:
            work.stop = 1
        if broken is not None:
            log_unsent(job.handle, broken)
            return DROP
        if self.exceptions:
            text = exception_text(exc)
            rc = lib.gearman_job_send_exception(ptr, text, len(text))
        else:
            rc = lib.gearman_job_send_fail(ptr)
        if rc != _SUCCESS:
            log_unsent(job.handle, error_from(rc, ptr, message_of=lib.gearman_job_error))
            return DROP
        return _SENT


def log_unsent(handle: str, error: BaseException) -> None:
    """A send for a job failed: nothing more is sent for it (libgearman would
    send it on a new connection that never registered the functions: the
    server answers ERROR and the worker gets no job again); GEARMAN_ERROR makes
    libgearman close every connection, so the next wait reconnects and
    registers, and the server gives the job to a worker again."""
    logger.warning("gearman_cffi worker: job %s: a send failed (%s); reconnecting", handle, error)


@extern
def _gearman_cffi_job(work: Any, context: Any, ptr: Any, workload: Any, size: int) -> int:
    function: Function = ffi.from_handle(context)
    try:
        return function.dispatch.run_job(function, work, ptr, workload, size)
    except BaseException as exc:  # never let an exception escape into C
        function.dispatch.stashed = exc
        work.stop = 1
        return DROP
