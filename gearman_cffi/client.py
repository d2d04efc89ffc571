"""Client: owns one ``gearman_client_st`` and every task added to it.

Three rules keep libgearman's traps out of reach:

* a C task is freed only once the server has created its job (freeing an
  unsent task corrupts libgearman's counters and the next call spins);
* after any failed network call the C client is replaced by a fresh clone, with
  the tasks not yet created re-added in order (libgearman leaves a client out
  of step after TIMEOUT, LOST_CONNECTION and the like);
* one-shot calls (``do_*_background``, ``job_status``, ``echo``) never run on a
  C client that has pending tasks: libgearman would send those tasks too and
  drop their job handles, so such calls go through a second, task-free clone;
* one lock serialises every C call on the client, since ``gearman_client_st``
  is not thread-safe and cffi releases the GIL around each call.

For speed, the C client runs with GEARMAN_CLIENT_FREE_TASKS: libgearman frees a
background task once its job is created, after a C callback has copied the
outcome into the task's slot (include/batch.c); and ``unique=None`` sends a
UUID-form unique made here rather than libgearman's costly time-based one.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from . import _arguments as arg
from ._libgearman import ffi, lib
from .errors import ClientClosedError, GearmanMemoryError, check, error_from
from .task import JobStatus, Priority, Task

_DO_BACKGROUND = {
    Priority.HIGH: lib.gearman_client_do_high_background,
    Priority.NORMAL: lib.gearman_client_do_background,
    Priority.LOW: lib.gearman_client_do_low_background,
}
_ADD_TASK_BACKGROUND = {
    Priority.HIGH: lib.gearman_client_add_task_high_background,
    Priority.NORMAL: lib.gearman_client_add_task_background,
    Priority.LOW: lib.gearman_client_add_task_low_background,
}


_NULL = ffi.NULL


def _allocated(ptr: Any) -> Any:
    if ptr == ffi.NULL:
        raise GearmanMemoryError(lib.GEARMAN_MEMORY_ALLOCATION_FAILURE)
    return ptr


class Client:
    """A libgearman client for background jobs.

    ``servers`` is ``"h1:4730,h2"`` or a list of ``"host:port"`` / ``(host, port)``;
    ``timeout`` is in seconds, ``None`` to block.  Use one Client per thread
    (``clone()``) for parallel speed; sharing one is safe but serialised.
    """

    def __init__(self, servers: arg.Servers = "localhost:4730", *, timeout: float | None = None) -> None:
        server_list = arg.servers(servers)
        timeout_ms = arg.timeout_ms(timeout)
        ptr = _allocated(lib.gearman_client_create(ffi.NULL))
        try:
            for host, port in server_list:
                check(lib.gearman_client_add_server(ptr, host, port), ptr)
            lib.gearman_client_set_timeout(ptr, timeout_ms)
        except BaseException:
            lib.gearman_client_free(ptr)
            raise
        self._own(ptr)

    def _own(self, ptr: Any) -> None:
        lib.gearman_cffi_watch_tasks(ptr)  # FREE_TASKS + slot reports (include/batch.c)
        self._lock = threading.Lock()
        self._pending: list[Task] = []  # added, job not created yet; C order
        self._ptr: Any = ptr
        self._side: Any = None  # task-free clone for one-shot calls, made on demand
        self._ret: Any = ffi.new("gearman_return_t *")  # reused under the lock
        # Auto uniques: a random UUID's first 24 characters, then a 12-hex-digit counter.
        self._unique_prefix = str(uuid.uuid4())[:24]
        self._unique_count = itertools.count()

    # -- lifetime -------------------------------------------------------------------
    def close(self) -> None:
        """Free the C client.  Tasks not yet sent are dropped (``is_pending`` turns
        False with no ``job_handle``).  Idempotent."""
        lock = getattr(self, "_lock", None)
        if lock is None:  # __init__ failed before owning a client
            return
        with lock:
            ptr, self._ptr = self._ptr, None
            if ptr is None:
                return
            for task in self._pending:
                task._detach()
            self._pending = []
            self._free_side()
            lib.gearman_cffi_unwatch_tasks(ptr)  # the Tasks' slots may go before the C tasks
            lib.gearman_client_free(ptr)  # frees every C task too

    def __del__(self) -> None:
        self.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._ptr is None

    def clone(self) -> Client:
        """An independent Client with the same servers, timeout and options
        (``gearman_client_clone``); its own connection, no pending tasks."""
        with self._locked() as ptr:
            new = _allocated(lib.gearman_client_clone(ffi.NULL, ptr))
        clone = Client.__new__(Client)
        clone._own(new)
        return clone

    @contextmanager
    def _locked(self) -> Iterator[Any]:
        with self._lock:
            if self._ptr is None:
                raise ClientClosedError()
            yield self._ptr

    # -- settings ---------------------------------------------------------------------
    @property
    def timeout(self) -> float | None:
        """Seconds each network wait may take; None blocks."""
        with self._locked() as ptr:
            ms = lib.gearman_client_timeout(ptr)
        return None if ms < 0 else ms / 1000

    @timeout.setter
    def timeout(self, seconds: float | None) -> None:
        ms = arg.timeout_ms(seconds)
        with self._locked() as ptr:
            for client in (ptr, self._side):
                if client is not None:
                    lib.gearman_client_set_timeout(client, ms)

    # -- one job, one round trip ----------------------------------------------------
    def do_background(self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None) -> str:
        """Submit a background job and return its job handle."""
        return self._do_background(Priority.NORMAL, function_name, workload, unique)

    def do_high_background(
        self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None
    ) -> str:
        return self._do_background(Priority.HIGH, function_name, workload, unique)

    def do_low_background(self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None) -> str:
        return self._do_background(Priority.LOW, function_name, workload, unique)

    def _do_background(self, priority: Priority, function_name: object, workload: object, unique: object) -> str:
        name = arg.function_name(function_name)
        unique_c = self._auto_unique().encode("ascii") if unique is None else arg.unique(unique)
        buffer, size = arg.workload(workload)
        handle = ffi.new("gearman_job_handle_t")
        self._one_shot(_DO_BACKGROUND[priority], name, unique_c, buffer, size, handle)
        return ffi.string(handle).decode("ascii")  # type: ignore[no-any-return]

    def job_status(self, job_handle: arg.Text) -> JobStatus:
        """Ask the (first) server about a job handle."""
        handle = ffi.new("gearman_job_handle_t", arg.job_handle(job_handle))
        flags, counts = ffi.new("bool[2]"), ffi.new("uint32_t[2]")
        self._one_shot(lib.gearman_client_job_status, handle, flags, flags + 1, counts, counts + 1)
        return JobStatus(bool(flags[0]), bool(flags[1]), int(counts[0]), int(counts[1]))

    def echo(self, workload: arg.Workload) -> None:
        """Round-trip ``workload`` through the server (a ping)."""
        buffer, size = arg.workload(workload)
        self._one_shot(lib.gearman_client_echo, buffer, size)

    # -- batches ------------------------------------------------------------------------
    def add_task_background(
        self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None, context: Any = None
    ) -> Task:
        """Queue a background job for the next ``run_tasks()``.  The workload is
        not copied: it is kept (and a bytearray pinned) until the job is created."""
        return self._add_task_background(Priority.NORMAL, function_name, workload, unique, context)

    def add_task_high_background(
        self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None, context: Any = None
    ) -> Task:
        return self._add_task_background(Priority.HIGH, function_name, workload, unique, context)

    def add_task_low_background(
        self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None, context: Any = None
    ) -> Task:
        return self._add_task_background(Priority.LOW, function_name, workload, unique, context)

    def _add_task_background(
        self, priority: Priority, function_name: object, workload: object, unique: object, context: Any
    ) -> Task:
        name, name_text = arg.function_name_and_text(function_name)
        unique_text: str | None
        if unique is None:
            unique_text = f"{self._unique_prefix}{next(self._unique_count):012x}"  # _auto_unique(), inlined
            unique_c = unique_text.encode("ascii")
        else:
            unique_c = arg.unique(unique)
            # "-" asks libgearman for a hash of the workload: Task reads that back from C.
            unique_text = None if unique_c == b"-" else unique_c.decode("utf-8", "surrogateescape")
        buffer, size = arg.workload(workload)
        with self._lock:  # inline rather than _locked(): this is the hot path
            ptr = self._ptr
            if ptr is None:
                raise ClientClosedError()
            ret, slot = self._ret, ffi.new("gearman_cffi_slot *")  # the C task's context
            c_task = _ADD_TASK_BACKGROUND[priority](ptr, _NULL, slot, name, unique_c, buffer, size, ret)
            if c_task == _NULL:
                raise error_from(ret[0], ptr)
            task = Task(self, c_task, buffer, priority, context, name_text, unique_text)
            task._slot = slot
            self._pending.append(task)
        return task

    def _auto_unique(self) -> str:
        """The unique sent when the caller gives none: unique per job and in the
        36-character UUID form, like libgearman's own, but without its ~4 us
        time-based UUID call (random per-Client prefix + per-Client counter).
        Inlined in _add_task_background."""
        return f"{self._unique_prefix}{next(self._unique_count):012x}"

    @staticmethod
    def _add_c_task(
        ptr: Any, priority: Priority, name: bytes, unique: Any, buffer: Any, size: int, slot: Any = _NULL
    ) -> Any:
        ret = ffi.new("gearman_return_t *")
        c_task = _ADD_TASK_BACKGROUND[priority](ptr, ffi.NULL, slot, name, unique, buffer, size, ret)
        if c_task == ffi.NULL:
            raise error_from(ret[0], ptr)
        return c_task

    def run_tasks(self) -> None:
        """Send every pending task and wait until the server created each job.

        On failure the tasks that got a job handle are done; the others stay
        pending, so calling ``run_tasks()`` again retries them with the same
        unique (``Task.free()`` withdraws one instead).
        """
        with self._lock:
            ptr = self._ptr
            if ptr is None:
                raise ClientClosedError()
            self._after_network(lib.gearman_client_run_tasks(ptr))

    @property
    def pending_tasks(self) -> list[Task]:
        """Tasks added but not yet created by the server, in the order added."""
        with self._lock:
            return list(self._pending)

    # -- bookkeeping --------------------------------------------------------------------
    def _one_shot(self, call: Any, *args: Any) -> None:
        """Run a C call that completes in one round trip, on a task-free C client."""
        with self._lock:
            ptr = self._ptr
            if ptr is None:
                raise ClientClosedError()
            if not self._pending:
                rc = call(ptr, *args)
                if rc != lib.GEARMAN_SUCCESS:
                    error = error_from(rc, ptr)
                    self._reset()
                    raise error
                return
            if self._side is None:
                self._side = _allocated(lib.gearman_client_clone(ffi.NULL, ptr))
            rc = call(self._side, *args)
            if rc != lib.GEARMAN_SUCCESS:
                error = error_from(rc, self._side)
                self._free_side()
                raise error

    def _free_side(self) -> None:
        side, self._side = self._side, None
        if side is not None:
            lib.gearman_client_free(side)

    def _after_network(self, rc: int) -> None:
        """After a network call: free the C tasks whose job now exists, and on
        failure swap in a fresh C client before raising."""
        ptr = self._ptr
        pending = self._pending
        lost = False
        if pending:
            # libgearman freed every finished task (FREE_TASKS) after reporting it to
            # its slot; one C call sorts the slots (include/batch.c).
            count = len(pending)
            handles = ffi.new("char[]", count * lib.GEARMAN_JOB_HANDLE_SIZE)
            states = ffi.new("unsigned char[]", count)
            used = lib.gearman_cffi_collect(ffi.new("gearman_cffi_slot *[]", [t._slot for t in pending]), count,
                                            handles, states)  # fmt: skip
            job_handles = iter(ffi.buffer(handles, used)[:].decode("ascii", "replace").split("\0"))
            waiting = []
            for task, state in zip(pending, ffi.buffer(states)[:]):
                if state == 1:
                    task._created(next(job_handles))
                elif state == 0:
                    waiting.append(task)
                elif task._slot.job_handle[0] != b"\0":
                    task._settle_slot()
                else:  # finished and freed without a job: stays pending, re-added by _reset
                    task._slot.released = False
                    waiting.append(task)
                    lost = True
            self._pending = waiting
        if rc != lib.GEARMAN_SUCCESS:
            error = error_from(rc, ptr)
            self._reset()
            raise error
        if lost:
            self._reset()

    def _reset(self) -> None:
        """Replace the C client with a clone and re-add the pending tasks to it."""
        old = self._ptr
        new = _allocated(lib.gearman_client_clone(ffi.NULL, old))
        for task in self._pending:
            task._ptr = Client._add_c_task(
                new,
                task.priority,
                task.function_name.encode("utf-8", "surrogateescape"),
                task.unique.encode("utf-8", "surrogateescape"),
                task._workload,
                0 if task._workload == ffi.NULL else len(task._workload),
                task._slot,
            )
        lib.gearman_cffi_watch_tasks(new)
        self._ptr = new
        lib.gearman_cffi_unwatch_tasks(old)
        lib.gearman_client_free(old)

    def _withdraw(self, task: Task) -> None:
        """Task.free(): drop a task that has not been sent (see module docstring)."""
        with self._lock:
            if self._ptr is None or task._ptr is None or task not in self._pending:
                return
            self._pending.remove(task)
            task._detach()
            self._reset()

    def __repr__(self) -> str:
        state = "closed" if self._ptr is None else f"{len(self._pending)} pending"
        return f"<gearman_cffi.Client {state}>"
