"""Worker: libgearman's worker API (``gearman_worker_work``) for Python.

Each function is defined on the C worker with one C trampoline
(``include/worker.c``) whose context is the function's record here; the
trampoline notes the job and calls :func:`_gearman_cffi_job`, which runs the
handler; the trampoline then sends its result as WORK_COMPLETE (for a handler
that raised, Python sends WORK_FAIL, or with ``exceptions=True`` WORK_EXCEPTION
with the exception's text) and returns GEARMAN_SUCCESS to libgearman.  That sidesteps libgearman's failing-return
path, whose next ``gearman_worker_work`` returns SUCCESS with no job run.

Why WORK_FAIL by default: gearmand (1.1.20 and its master) ends the job on
WORK_EXCEPTION and sends submitters that did not ask for exceptions a WORK_FAIL
whose handle carries a trailing NUL; libgearman clients (the ``gearman`` CLI,
PHP's extension) do not recognise it and wait forever.

Waits run in C in non-blocking mode, in slices of ``_SLICE_MS`` (jobs in a row
run within one C call): Python handles signals, ``stop()`` and ``close()``
between slices and in the handler's turn, which ends the call after its job.  When no server is
connected (gearmand restarting) the C loop naps out the slice and reconnects
on the next, re-registering every function.
"""

from __future__ import annotations

import signal
from sys import getrefcount
import threading
import time
from typing import Any, Callable, Union

from . import _arguments as arg
from ._job import Job, exception_text, result_bytes
from ._libgearman import ffi, lib
from ._owner import Owner
from .callbacks import extern
from .errors import GearmanMemoryError, GearmanTimeoutError, WorkerClosedError, check, error_from
from .log import Verbose, checked_level, install, logger

Handler = Callable[[Job], Union[bytes, bytearray, memoryview, str, None]]

_SLICE_MS = 50
_SUCCESS: int = lib.GEARMAN_SUCCESS
_IO_WAIT: int = lib.GEARMAN_IO_WAIT
_TIMEOUT: int = lib.GEARMAN_TIMEOUT
#: a handler's return that makes libgearman drop the connections (the server
#: then gives the job to another worker)
_DROP: int = lib.GEARMAN_ERROR
#: a handler's return when it sent the job's outcome itself
_SENT: int = lib.GEARMAN_PAUSE
_UNLIMITED = 2**63
#: references to a Job while _run_job holds it: its local and getrefcount's argument
_OWN_REFERENCES = 2
_MAX_CAN_DO_TIMEOUT = 2**32 - 1


class _Function:
    """One defined function: what the C trampoline's context points at."""

    __slots__ = ("c_handle", "handler", "name", "name_c", "timeout", "worker")

    def __init__(self, worker: Worker, name_c: bytes, handler: Handler, timeout: int) -> None:
        self.worker = worker
        self.name_c = name_c
        self.name = name_c.decode("utf-8", "surrogateescape")
        self.handler = handler
        self.timeout = timeout
        self.c_handle = ffi.new_handle(self)


def _can_do_timeout(seconds: object) -> int:
    """add_function's timeout: whole seconds gearmand gives a job (0: none)."""
    if seconds is None:
        return 0
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"timeout must be a number of seconds or None, not {type(seconds).__name__}")
    if not 0 < seconds <= _MAX_CAN_DO_TIMEOUT:  # also refuses NaN
        raise ValueError(f"timeout must be positive seconds (or None), not {seconds!r}")
    return max(1, round(seconds))


class Worker:
    """A libgearman worker: ``add_function`` then ``work()`` or ``run()``.

    ``servers`` as for :class:`~gearman_cffi.Client` (every listed server is
    asked for jobs); ``timeout`` (seconds, ``None`` blocks) bounds ``work()``'s
    wait for a job.  A handler that raises fails its job with WORK_FAIL; with
    ``exceptions=True`` with WORK_EXCEPTION and the exception's text instead,
    which only submitters that asked for exceptions understand (see above).
    One thread drives a Worker at a time; ``stop()`` and ``close()`` work
    from any thread.
    """

    def __init__(
        self, servers: arg.Servers = "localhost:4730", *, timeout: float | None = None, exceptions: bool = False
    ) -> None:
        if not isinstance(exceptions, bool):
            raise TypeError(f"exceptions must be a bool, not {type(exceptions).__name__}")
        self._exceptions = exceptions
        self._servers = arg.servers(servers)
        self._timeout_ms = arg.timeout_ms(timeout)
        self._functions: dict[bytes, _Function] = {}
        self._retired: list[_Function] = []  # unregistered: the C worker may still hold their context
        self._log_level: Verbose | None = None
        self._stop = False
        self._stashed: BaseException | None = None
        self._keep: Any = None  # the last result's buffer: libgearman may resend it
        self._work = ffi.new("gearman_cffi_work *")
        self._ptr: Any = None
        self._ptr = self._new_c_worker()
        self._owner = Owner(self._after_fork, WorkerClosedError, "Worker")

    def _new_c_worker(self) -> Any:
        ptr = lib.gearman_worker_create(ffi.NULL)
        if ptr == ffi.NULL:
            raise GearmanMemoryError(lib.GEARMAN_MEMORY_ALLOCATION_FAILURE)
        try:
            lib.gearman_worker_add_options(ptr, lib.GEARMAN_WORKER_GRAB_UNIQ)
            for host, port in self._servers:
                check(lib.gearman_worker_add_server(ptr, host, port), ptr, lib.gearman_worker_error)
            for function in self._functions.values():
                self._define(ptr, function)
            install(ptr, self._log_level, set_log_fn=lib.gearman_worker_set_log_fn)
        except BaseException:
            lib.gearman_worker_free(ptr)
            raise
        return ptr

    @staticmethod
    def _define(ptr: Any, function: _Function) -> None:
        rc = lib.gearman_cffi_worker_define(ptr, function.name_c, len(function.name_c), function.timeout,
                                            function.c_handle)  # fmt: skip
        check(rc, ptr, lib.gearman_worker_error)

    def _after_fork(self) -> None:
        """In a forked child: drop (never free) the parent's C worker and its
        connections; a fresh one with the same functions connects on first use."""
        self._ptr = None if self._owner.closed else self._new_c_worker()

    # -- lifetime ------------------------------------------------------------------------
    def close(self) -> None:
        """Free the C worker (its connections close; gearmand requeues nothing:
        a job in hand is finished first).  Idempotent; from any thread."""
        owner = getattr(self, "_owner", None)
        if owner is None:  # __init__ failed
            return
        with owner.closing_from_any_thread() as live:
            if live:
                ptr, self._ptr = self._ptr, None
                if ptr is not None:
                    lib.gearman_worker_free(ptr)
                self._functions, self._retired = {}, []
                self._keep = None

    def __del__(self) -> None:
        owner = getattr(self, "_owner", None)
        if owner is not None and not owner.closed and not owner.lock.locked():
            self.close()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._owner.closed

    # -- functions -----------------------------------------------------------------------
    def add_function(self, function_name: arg.Text, handler: Handler, *, timeout: float | None = None) -> None:
        """Serve ``function_name`` with ``handler(job)``; its return (bytes, str as
        UTF-8, None as empty) is the result.  ``timeout``: seconds gearmand gives
        each job before it fails it (CAN_DO_TIMEOUT).  Again for the same name
        replaces the handler and timeout."""
        name_c = arg.function_name(function_name)
        if not callable(handler):
            raise TypeError(f"handler must be callable, not {type(handler).__name__}")
        seconds = _can_do_timeout(timeout)
        with self._owner.locked():
            old = self._functions.get(name_c)
            if old is not None and old.timeout == seconds:
                old.handler = handler
                return
            function = _Function(self, name_c, handler, seconds)
            if old is not None:
                check(lib.gearman_worker_unregister(self._ptr, name_c), self._ptr, lib.gearman_worker_error)
                self._retired.append(old)
            self._define(self._ptr, function)
            self._functions[name_c] = function

    def remove_function(self, function_name: arg.Text) -> None:
        """Stop serving ``function_name`` (CANT_DO); KeyError if not served."""
        name_c = arg.function_name(function_name)
        with self._owner.locked():
            if name_c not in self._functions:
                raise KeyError(function_name)
            check(lib.gearman_worker_unregister(self._ptr, name_c), self._ptr, lib.gearman_worker_error)
            self._retired.append(self._functions.pop(name_c))

    @property
    def functions(self) -> list[str]:
        return [function.name for function in self._functions.values()]

    def set_log_level(self, level: Verbose | None) -> None:
        """Send libgearman's log lines up to ``level`` to the ``gearman_cffi`` logger."""
        verbose = checked_level(level)
        with self._owner.locked():
            self._log_level = verbose
            install(self._ptr, verbose, set_log_fn=lib.gearman_worker_set_log_fn)

    # -- working -------------------------------------------------------------------------
    def _slice(self, max_jobs: int) -> int:
        """One wait slice, running up to ``max_jobs`` jobs (lock held by the
        caller); returns the C helper's code."""
        if not self._functions:
            raise ValueError("no functions: call add_function() first")
        work = self._work
        work.max_jobs = max_jobs
        unsent = work.unsent
        with Owner.calling_back(self._owner):  # every handler runs inside this call
            rc: int = lib.gearman_cffi_worker_work(self._ptr, _SLICE_MS, work)
        if work.unsent != unsent:
            handle = ffi.string(work.unsent_handle).decode("utf-8", "replace")
            _log_unsent(handle, error_from(work.unsent_rc, self._ptr, lib.gearman_worker_error))
        stashed, self._stashed = self._stashed, None
        if stashed is not None:  # Ctrl-C or SystemExit inside a handler: its job went back to the server
            raise stashed
        return rc

    def work(self) -> None:
        """Wait for one job and run its handler; GearmanTimeoutError if the
        Worker's timeout passes with no job.  Across a lost server it waits
        (reconnecting) like ``run()``."""
        self._owner.enter()
        try:
            work = self._work
            work.timeout_ms, work.idle_since_ms = self._timeout_ms, 0
            jobs = work.jobs
            while True:
                rc = self._slice(1)
                if work.jobs != jobs:
                    return
                if rc == _TIMEOUT:
                    raise GearmanTimeoutError(rc, "no job within the worker's timeout")
                if rc != _IO_WAIT:
                    raise error_from(rc, self._ptr, lib.gearman_worker_error)
                self._owner.check_closing()
        finally:
            self._owner.leave()

    def run(self, max_jobs: int | None = None) -> int:
        """Run jobs until ``stop()``, SIGTERM/SIGINT (in the main thread) or
        ``max_jobs``; returns how many jobs ran.  The job in hand is finished
        first.  Keeps going across gearmand restarts and failures, logging them."""
        if max_jobs is not None and (isinstance(max_jobs, bool) or not isinstance(max_jobs, int)):
            raise TypeError(f"max_jobs must be an int or None, not {type(max_jobs).__name__}")
        if max_jobs is not None and max_jobs < 0:
            raise ValueError(f"max_jobs must be >= 0, not {max_jobs}")
        if self._owner.closed:
            raise WorkerClosedError()
        previous = self._install_signal_handlers()
        done = 0
        try:
            work = self._work
            while not self._stop and (max_jobs is None or done < max_jobs):
                try:
                    self._owner.enter()
                except WorkerClosedError:
                    break
                try:
                    if self._owner.closing:
                        break
                    work.timeout_ms, work.idle_since_ms = -1, 0
                    jobs = work.jobs
                    rc = self._slice(_UNLIMITED if max_jobs is None else max_jobs - done)
                    done += work.jobs - jobs
                    failed = rc not in (_SUCCESS, _IO_WAIT)
                    if failed:
                        logger.warning(
                            "gearman_cffi worker: %s; going on", error_from(rc, self._ptr, lib.gearman_worker_error)
                        )
                finally:
                    self._owner.leave()
                if failed:  # e.g. an ERROR packet from the server: do not spin on it
                    time.sleep(_SLICE_MS / 1000)
        finally:
            self._stop = False
            for signum, handler in previous:
                signal.signal(signum, handler)
        return done

    def _install_signal_handlers(self) -> list[tuple[int, Any]]:
        if threading.current_thread() is not threading.main_thread():
            return []
        previous: list[tuple[int, Any]] = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous.append((signum, signal.signal(signum, lambda *_: self.stop())))
        return previous

    def stop(self) -> None:
        """Make ``run()`` return after the job in hand (within a wait slice when
        idle).  From any thread or a signal handler; a stop() while no run() is
        going makes the next run() return at once."""
        self._stop = True

    def _run_job(self, function: _Function, work: Any) -> int:
        """The handler's turn (called by the C trampoline, lock held).  Returns
        _SUCCESS to have the trampoline send ``work.result`` as WORK_COMPLETE."""
        job = Job(function.name, work)
        try:
            result = function.handler(job)
            if type(result) is bytes:  # the usual case, without the general checks
                buffer, size = (ffi.from_buffer(result) if result else ffi.NULL), len(result)
            else:
                buffer, size = arg.workload(result_bytes(result))
        except Exception as exc:
            logger.exception("gearman_cffi worker: %s failed job %s", function.name, job.handle)
            job._finish(True)
            return self._failed(job, exc, work)
        except BaseException as exc:  # KeyboardInterrupt, SystemExit: not this job's fault
            job._finish(True)
            self._stashed = exc
            work.stop = 1
            return _DROP
        job._ptr = None
        if getrefcount(job) > _OWN_REFERENCES:  # the handler kept it
            job._finish(True)
        if self._stop or self._owner.closing:
            work.stop = 1
        if job._broken is not None:
            _log_unsent(job.handle, job._broken)
            return _DROP
        self._keep = buffer  # libgearman keeps a pointer to it: it must outlive the send
        work.result, work.result_size = buffer, size
        return _SUCCESS

    def _failed(self, job: Job, exc: Exception, work: Any) -> int:
        if self._stop or self._owner.closing:
            work.stop = 1
        if job._broken is not None:
            _log_unsent(job.handle, job._broken)
            return _DROP
        if self._exceptions:
            text = exception_text(exc)
            rc = lib.gearman_job_send_exception(work.job, text, len(text))
        else:
            rc = lib.gearman_job_send_fail(work.job)
        if rc != _SUCCESS:
            _log_unsent(job.handle, error_from(rc, work.job, message_of=lib.gearman_job_error))
            return _DROP
        return _SENT

    def __repr__(self) -> str:
        state = "closed" if self._owner.closed else f"{len(self._functions)} functions"
        return f"<gearman_cffi.Worker {state}>"


def _log_unsent(handle: str, error: BaseException) -> None:
    """A send for a job failed: nothing more is sent for it (libgearman would
    send it on a new connection that never registered the functions: the
    server answers ERROR and the worker gets no job again); GEARMAN_ERROR makes
    libgearman close every connection, so the next wait reconnects and
    registers, and the server gives the job to a worker again."""
    logger.warning("gearman_cffi worker: job %s: a send failed (%s); reconnecting", handle, error)


@extern
def _gearman_cffi_job(work: Any, context: Any) -> int:
    function: _Function = ffi.from_handle(context)
    try:
        return function.worker._run_job(function, work)
    except BaseException as exc:  # never let an exception escape into C
        function.worker._stashed = exc
        work.stop = 1
        return _DROP
