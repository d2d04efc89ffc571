"""Client: owns one ``gearman_client_st`` and every task added to it.

Three rules keep libgearman's traps out of reach:

* ``add_task_background`` queues the task in Python; ``run_tasks()`` adds the
  queued batch to the C client in one C call (``_flush``): cffi releases the GIL
  around every C call, and with several threads each release hands it over;
* a C task is freed only once the server has created its job (freeing an
  unsent task corrupts libgearman's counters and the next call spins): runs
  go through ``gearman_cffi_run_tasks`` (``include/fastpath.c``), which sets
  GEARMAN_CLIENT_FREE_TASKS for the run only, and libgearman frees each task as
  it finishes, after C copied its outcome into the Task's slot;
* after any failed network call the C client is replaced by a fresh clone, with
  the tasks not yet created re-added in order (libgearman leaves a client out
  of step after TIMEOUT, LOST_CONNECTION and the like);
* one-shot calls (``do_*_background``, ``job_status``, ``echo``) never run on a
  C client that has pending tasks: libgearman would send those tasks too and
  drop their job handles, so such calls go through a second, task-free clone;
* one lock serialises every C call on the client, since ``gearman_client_st``
  is not thread-safe and cffi releases the GIL around each call;
* network waits run in slices of at most ``_SLICE_MS`` (libgearman's non-blocking
  mode plus ``gearman_client_wait``, in C), so Python handles signals such as
  Ctrl-C between slices; an interrupted wait leaves the C client in step and its
  tasks pending (see ``_run``);
* after ``fork()`` the child never touches the C clients it inherited (their
  sockets are the parent's: freeing them would shutdown() the parent's
  connections); it carries on with a fresh clone (``_forget_parent``), and
  draws a new auto-unique prefix;
* each C client talks to one server of the list at a time: libgearman's own
  multi-server handling loses job handles when a listed server is down (its
  JOB_CREATED counters drift), so the Client moves on to the next server itself
  after a failed network call, and retries at once after a failed connect.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from . import _arguments as arg
from . import callbacks as _callbacks
from . import identity as _identity
from . import log as _log
from . import schedule as _schedule
from . import status as _status
from ._libgearman import ffi, lib
from .callbacks import TaskCallbacks
from .errors import ClientClosedError, GearmanMemoryError, check, error_from
from .identity import ClientOptions
from .log import Verbose
from .task import JobStatus, Priority, Task

#: The longest single wait inside libgearman; signals are handled in between.
_SLICE_MS = 100
_IO_WAIT = lib.GEARMAN_IO_WAIT
_SUCCESS = lib.GEARMAN_SUCCESS


class _Forks:
    """Counts fork()s in this process's lineage: a Client made in generation g
    and used in a later one is in a forked child (cheaper than getpid() per call)."""

    generation = 0

    @classmethod
    def after_in_child(cls) -> None:
        cls.generation += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_Forks.after_in_child)

#: Validated function names (exactly str or bytes -> the bytes and a C pointer to
#: them), so a batch checks each name once.  Exact types only: a memoryview or str
#: subclass may compare equal.
_names: dict[object, tuple[bytes, Any]] = {}
_NAME_TYPES = (str, bytes)


def _function_name(value: object) -> tuple[bytes, Any]:
    if type(value) in _NAME_TYPES:
        name = _names.get(value)
        if name is None:
            data = arg.function_name(value)
            name = data, ffi.from_buffer(data)
            if len(_names) >= 1024:
                _names.clear()
            _names[value] = name
        return name
    data = arg.function_name(value)
    return data, ffi.from_buffer(data)


def _workload(value: object) -> tuple[Any, int]:
    """``arg.workload``, with bytes passed as they are (cffi hands C their buffer
    for the call; ``_adopt`` takes a lasting pointer if the task outlives it)."""
    if type(value) is bytes and value:
        return value, len(value)
    return arg.workload(value)


def _new_uniques() -> Any:
    """A source of auto-assigned uniques: ``<first 24 characters of a uuid4><12 hex
    digits of a counter>``, 36 characters like libgearman's UUIDs, unique per job
    (libgearman's own costs a uuidd round trip or clock-file lock per job)."""
    source = ffi.new("gearman_cffi_uniques *")
    ffi.memmove(source.prefix, str(uuid.uuid4())[:24].encode("ascii"), 24)
    return source


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
        # libgearman's client_create adds $GEARMAN_SERVERS first; the list keeps its order.
        server_list = [(h.encode(), p) for h, p in _identity.environment_servers()] + arg.servers(servers)
        timeout_ms = arg.timeout_ms(timeout)
        ptr = _allocated(lib.gearman_client_create(ffi.NULL))
        try:
            for host, port in server_list:  # resolves each name: bad ones fail here
                check(lib.gearman_client_add_server(ptr, host, port), ptr)
            lib.gearman_client_remove_servers(ptr)  # then keep the first only (module docstring)
            check(lib.gearman_client_add_server(ptr, *server_list[0]), ptr)
            lib.gearman_client_set_timeout(ptr, timeout_ms)
        except BaseException:
            lib.gearman_client_free(ptr)
            raise
        self._own(ptr, server_list, 0)

    def _own(self, ptr: Any, servers: list[tuple[bytes, int]], server: int) -> None:
        self._servers = servers  # the C client holds servers[self._server] only
        self._server = server
        self._fork_generation = _Forks.generation  # whose sockets the C client holds
        self._lock = threading.Lock()
        self._pending: list[Task] = []  # added, job not created yet, in order
        self._keep: list[Any] = []  # (name, workload) of each: C points into them
        self._flushed = 0  # _pending[:_flushed] are in the C client (see _flush)
        self._uniques = _new_uniques()
        self._run_state = ffi.new("gearman_cffi_run *")
        self._ret = ffi.new("gearman_return_t *")
        self._ptr: Any = ptr
        self._side: Any = None  # task-free clone for one-shot calls, made on demand
        self._callbacks: TaskCallbacks | None = None  # for tasks added from now on
        self._callbacks_installed = False  # the C trampolines (see callbacks.py)

    # -- lifetime -------------------------------------------------------------------
    def close(self) -> None:
        """Free the C client.  Tasks not yet sent are dropped (``is_pending`` turns
        False with no ``job_handle``).  Idempotent."""
        lock = getattr(self, "_lock", None)
        if lock is None:  # __init__ failed before owning a client
            return
        if self._fork_generation != _Forks.generation:
            self._forget_parent()
        with self._lock:
            ptr, self._ptr = self._ptr, None
            if ptr is None:
                return
            self._drop_pending()
            self._free_side()
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
        clone._own(new, self._servers, self._server)
        clone._callbacks = self._callbacks
        clone._callbacks_installed = self._callbacks_installed  # gearman_client_clone copies them
        if hasattr(self, "_namespace"):
            clone._namespace = self._namespace
        return clone

    def _forget_parent(self) -> None:
        """First use in a forked child: drop (never free) the parent's C clients
        and continue on a fresh clone.  The parent's pending tasks stay the
        parent's: here they are detached, so the child never sends them."""
        self._fork_generation = _Forks.generation
        self._lock = threading.Lock()  # the parent's may have been held at fork()
        self._drop_pending()
        self._uniques = _new_uniques()  # the parent goes on counting from the same prefix
        self._side = None
        if self._ptr is not None:
            self._ptr = _allocated(lib.gearman_client_clone(ffi.NULL, self._ptr))

    def _drop_pending(self) -> None:
        for task in self._pending:
            task._detach()
        self._pending, self._keep, self._flushed = [], [], 0

    def _acquire(self) -> Any:
        """Take the lock (the caller releases it) and return the C client."""
        if self._fork_generation != _Forks.generation:
            self._forget_parent()
        if self._callbacks_installed and _callbacks.in_callback_of(self):  # run_tasks holds the lock
            raise RuntimeError("a task callback must not call its own Client (use another, e.g. a clone made before)")
        self._lock.acquire()
        if self._ptr is None:
            self._lock.release()
            raise ClientClosedError()
        return self._ptr

    @contextmanager
    def _locked(self) -> Iterator[Any]:
        ptr = self._acquire()
        try:
            yield ptr
        finally:
            self._lock.release()

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
        """One task run to completion on a task-free C client, waiting in slices
        (``_run``).  If interrupted (Ctrl-C), the submission is kept as a
        pending Task of this client, so the job the server may have created is
        not lost: the next ``run_tasks()`` collects its handle."""
        name, name_c = _function_name(function_name)
        unique_c = ffi.NULL if unique is None else arg.unique(unique)
        buffer, size = _workload(workload)
        slot, run = ffi.new("gearman_cffi_slot *"), self._run_state
        self._acquire()
        try:
            for attempt in range(len(self._servers)):  # a failed connect moves on
                if self._flushed and self._side is None:
                    self._side = _allocated(lib.gearman_client_clone(ffi.NULL, self._ptr))
                target = self._side if self._flushed else self._ptr
                try:
                    rc = lib.gearman_cffi_do_background(target, priority, name_c, unique_c, buffer, size, slot,
                                                        self._uniques, _SLICE_MS, run)  # fmt: skip
                    if run.idle_since_ms == 0:  # not added
                        raise error_from(rc, target)
                    unique_c = slot.unique  # a retry sends the same unique
                    while rc == _IO_WAIT:  # a slice passed: Python handles signals here
                        rc = lib.gearman_cffi_run_tasks(target, _SLICE_MS, run)
                except BaseException:
                    if run.idle_since_ms != 0:
                        self._adopt(Task(self, slot, name, priority, None), name_c, buffer, target)
                    raise
                if rc == _SUCCESS and slot.released and slot.job_handle[0] != b"\0":
                    return ffi.string(slot.job_handle).decode("ascii")  # type: ignore[no-any-return]
                error = error_from(lib.GEARMAN_UNKNOWN_STATE if rc == _SUCCESS else rc, target)
                self._failed(target)  # frees the C task with its C client
                if rc != lib.GEARMAN_COULD_NOT_CONNECT or attempt == len(self._servers) - 1:
                    raise error
            raise AssertionError("unreachable")
        finally:
            self._lock.release()

    def _adopt(self, task: Task, name_c: Any, buffer: Any, c_client: Any) -> None:
        """Keep an interrupted one-shot submission as a pending task, after the
        tasks added before it.  Alone on the main C client it stays in step (its
        JOB_CREATED is still to come); otherwise its C client is dropped and it
        is queued again with the same unique, which its slot now holds with
        the rest of the submission (the server coalesces a re-sent unique that
        is still queued)."""
        if c_client is self._side:
            self._free_side()
        if task._slot.job_handle[0] != b"\0":  # created before the interrupt: nothing to collect
            return
        if type(buffer) is bytes:  # the slot keeps a pointer: one that lasts as long as the Task
            buffer = task._slot.workload = ffi.from_buffer(buffer)
        if c_client is self._ptr:
            if not self._pending:  # the C client's only task: it stays in step
                self._flushed = 1
            else:  # queued tasks were added before it: keep that order
                self._reset()
        self._pending.append(task)
        self._keep.append((name_c, buffer))

    def job_status(self, job_handle: arg.Text) -> JobStatus:
        """Ask the server about a job handle; with several servers, each is asked
        (libgearman alone asks one: the last added) and the first that knows it answers."""
        if len(self._servers) > 1:
            return _status.job_status(self, job_handle)
        handle = ffi.new("gearman_job_handle_t", arg.job_handle(job_handle))
        flags, counts = ffi.new("bool[2]"), ffi.new("uint32_t[2]")
        self._one_shot(lib.gearman_client_job_status, handle, flags, flags + 1, counts, counts + 1)
        return JobStatus(bool(flags[0]), bool(flags[1]), int(counts[0]), int(counts[1]))

    def echo(self, workload: arg.Workload) -> None:
        """Round-trip ``workload`` through the server (a ping)."""
        buffer, size = arg.workload(workload)
        if not size:  # libgearman refuses both NULL and an empty buffer
            raise ValueError("echo needs a non-empty workload")
        self._one_shot(lib.gearman_client_echo, buffer, size)

    # -- batches ------------------------------------------------------------------------
    def add_task_background(
        self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None, context: Any = None
    ) -> Task:
        """Queue a background job for the next ``run_tasks()``.  The workload is
        not copied: it is kept (and a bytearray pinned) until the job is created.
        With ``unique=None`` the Client assigns a 36-character unique (see
        ``_new_uniques``); ``task.unique`` is the one sent."""
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
        """Queue the task in Python: ``run_tasks()`` adds the whole batch to the
        C client in one C call (see ``_flush``)."""
        name, name_c = _function_name(function_name)
        buffer, size = arg.workload(workload)
        slot = ffi.new("gearman_cffi_slot *", [ffi.NULL, name_c, buffer, size, priority])
        if unique is not None:
            slot.unique = arg.unique(unique)
        task = Task(self, slot, name, priority, context)
        self._acquire()
        try:
            if self._callbacks_installed:
                _callbacks.bind(task, self._callbacks)
            self._pending.append(task)
            self._keep.append((name_c, buffer))
        finally:
            self._lock.release()
        return task

    def _flush(self) -> None:
        """Add the tasks queued since the last run to the C client, in order, in
        one C call (one GIL release per batch, not per task).  Lock held."""
        count = len(self._pending) - self._flushed
        if count:
            slots = ffi.new("gearman_cffi_slot *[]", [task._slot for task in self._pending[self._flushed :]])
            added = lib.gearman_cffi_add_tasks(self._ptr, slots, count, self._uniques, self._ret)
            self._flushed += added
            if added < count:
                raise error_from(self._ret[0], self._ptr)

    def _flush_now(self) -> None:
        with self._locked():
            self._flush()

    def _run(self, c_client: Any) -> int:
        """``gearman_client_run_tasks`` in slices of ``_SLICE_MS``; Python handles
        signals between slices (a KeyboardInterrupt leaves the C client in step:
        the next run picks up where this one stopped)."""
        run = self._run_state
        run.idle_since_ms = 0
        rc = lib.gearman_cffi_run_tasks(c_client, _SLICE_MS, run)
        while rc == _IO_WAIT:
            rc = lib.gearman_cffi_run_tasks(c_client, _SLICE_MS, run)
        return rc  # type: ignore[no-any-return]

    def run_tasks(self) -> None:
        """Send every pending task and wait until the server created each job.

        On failure the tasks that got a job handle are done; the others stay
        pending, so calling ``run_tasks()`` again retries them with the same
        unique (``Task.free()`` withdraws one instead).
        """
        with self._locked(), _callbacks.reraise_stored():
            for attempt in range(len(self._servers)):  # a failed connect moves on
                self._flush()
                try:
                    rc = self._run(self._ptr)
                except BaseException:  # Ctrl-C: keep the handles already received
                    self._after_network(_SUCCESS)
                    raise
                if rc != lib.GEARMAN_COULD_NOT_CONNECT or attempt == len(self._servers) - 1:
                    break
                self._settle()
                self._reset(next_server=True)
            self._after_network(rc)

    @property
    def pending_tasks(self) -> list[Task]:
        """Tasks added but not yet created by the server, in the order added."""
        with self._lock:
            return list(self._pending)

    # -- bookkeeping --------------------------------------------------------------------
    def _one_shot(self, call: Any, *args: Any) -> None:
        """Run a C call that completes in one round trip, on a task-free C client."""
        with self._locked() as ptr:
            if not self._flushed:
                rc = call(ptr, *args)
                if rc != lib.GEARMAN_SUCCESS:
                    error = error_from(rc, ptr)
                    self._failed(ptr)
                    raise error
                return
            if self._side is None:
                self._side = _allocated(lib.gearman_client_clone(ffi.NULL, ptr))
            rc = call(self._side, *args)
            if rc != lib.GEARMAN_SUCCESS:
                error = error_from(rc, self._side)
                self._failed(self._side)
                raise error

    def _failed(self, c_client: Any) -> None:
        """After a failed call on ``c_client`` (the main C client or the side clone):
        drop it, and move the main C client on to the next server."""
        if c_client is self._side:
            self._free_side()
            if len(self._servers) == 1:
                return
        self._reset(next_server=True)

    @contextmanager
    def _task_free(self) -> Iterator[Any]:
        """Lock, and yield a C client with no pending tasks (this one, or the side
        clone); if the body raises, that C client is replaced."""
        with self._locked() as ptr:
            if self._flushed and self._side is None:
                self._side = _allocated(lib.gearman_client_clone(ffi.NULL, ptr))
            target = self._side if self._flushed else ptr
            try:
                yield target
            except BaseException:
                if target is ptr:
                    self._reset()
                else:
                    self._free_side()
                raise

    def _free_side(self) -> None:
        side, self._side = self._side, None
        if side is not None:
            lib.gearman_client_free(side)

    def _after_network(self, rc: int) -> None:
        """After a run on the main C client: drop the tasks whose job now exists;
        on failure, or if a C task ended without a job, swap in a fresh C client
        (the rest are added to it by the next run) and raise the failure."""
        if rc == _SUCCESS and self._run_state.created == len(self._pending):
            self._pending, self._keep, self._flushed = [], [], 0  # the usual case: every job created
            return
        lost = self._settle()
        if rc != _SUCCESS:
            error = error_from(rc, self._ptr)
            self._reset(next_server=True)
            raise error
        if lost:
            self._reset()

    def _settle(self) -> bool:
        """Drop the pending tasks whose job the server created.  True if a C task
        ended without a job (freed by libgearman) or is not done with despite a
        handle (a callback stopped the run): only a fresh C client is safe then."""
        flushed = self._flushed
        tasks, keep, lost = [], [], False
        for task, kept in zip(self._pending[:flushed], self._keep[:flushed]):
            slot = task._slot
            if slot.job_handle[0] != b"\0":
                lost = lost or not slot.released
            else:
                lost = lost or bool(slot.released)
                tasks.append(task)
                keep.append(kept)
        self._pending = tasks + self._pending[flushed:]
        self._keep = keep + self._keep[flushed:]
        self._flushed = len(tasks)
        return lost

    def _reset(self, next_server: bool = False) -> None:
        """Replace the C client with a clone (on the next server of the list if
        ``next_server``); the pending tasks are added to it by the next run, with
        the same uniques (their slots hold them)."""
        old = self._ptr
        new = _allocated(lib.gearman_client_clone(ffi.NULL, old))
        if next_server and len(self._servers) > 1:
            self._server = (self._server + 1) % len(self._servers)
            lib.gearman_client_remove_servers(new)
            rc = lib.gearman_client_add_server(new, *self._servers[self._server])
            if rc != lib.GEARMAN_SUCCESS:
                error = error_from(rc, new)
                lib.gearman_client_free(new)
                raise error
        self._ptr = new
        self._flushed = 0
        lib.gearman_client_free(old)

    def _withdraw(self, task: Task) -> None:
        """Task.free(): drop a task that has not been sent (see module docstring)."""
        with self._lock:
            if self._ptr is None or task not in self._pending:
                return
            index = self._pending.index(task)
            del self._pending[index], self._keep[index]
            task._detach()
            if index < self._flushed:  # its C task is in the C client
                self._reset()

    # -- status, scheduling, identity (issue 6) ------------------------------------
    def job_statuses(self, job_handles: Iterable[arg.Text]) -> list[JobStatus]:
        """Status of many jobs in one round trip per server (``add_task_status``)."""
        return _status.job_statuses(self, job_handles)

    add_task_status = job_statuses

    def unique_status(self, unique: arg.Text) -> JobStatus:
        """Status of the job submitted with ``unique`` (on a throwaway clone:
        libgearman 1.1.20's ``gearman_client_unique_status`` wedges its client)."""
        return _status.unique_status(self, unique)

    def do_background_at(
        self,
        when: _schedule.When,
        function_name: arg.Text,
        workload: arg.Workload,
        unique: arg.Text | None = None,
        priority: Priority = Priority.NORMAL,
    ) -> str:
        """Submit a background job to run no earlier than ``when`` (a datetime or
        Unix time); see ``schedule.py`` for what gearmand 1.1.20 does with it."""
        return _schedule.do_background_at(self, when, function_name, workload, unique, priority)

    @property
    def callbacks(self) -> TaskCallbacks | None:
        """The callbacks tasks added from now on get (libgearman copies them at add time)."""
        return self._callbacks

    @callbacks.setter
    def callbacks(self, value: TaskCallbacks | None) -> None:
        _callbacks.set_client_callbacks(self, value)

    @property
    def servers(self) -> list[tuple[str, int]]:
        """The servers this client uses, in libgearman's order ($GEARMAN_SERVERS first)."""
        return [(host.decode("utf-8", "surrogateescape"), port) for host, port in self._servers]

    @property
    def options(self) -> ClientOptions:
        with self._locked() as ptr:
            return _identity.read_options(ptr)

    @options.setter
    def options(self, value: ClientOptions) -> None:
        with self._locked() as ptr:
            wanted = _identity.checked_options(value, _identity.read_options(ptr))
            for target in (ptr, self._side):
                if target is not None:
                    _identity.apply_options(target, wanted)

    def set_namespace(self, namespace: arg.Text) -> None:
        """Prefix every function name this client submits with ``namespace``."""
        data = _identity.namespace_bytes(namespace)
        with self._locked() as ptr:
            for target in (ptr, self._side):
                if target is not None:
                    lib.gearman_client_set_namespace(target, data, len(data))
            self._namespace = data.decode("utf-8", "surrogateescape")

    @property
    def namespace(self) -> str | None:
        """The namespace set with ``set_namespace`` (libgearman does not export a getter)."""
        return getattr(self, "_namespace", None)

    def set_identifier(self, identifier: arg.Text) -> None:
        """Name this client to the server (SET_CLIENT_ID; shown by ``gearadmin --workers``)."""
        data = _identity.identifier_bytes(identifier)
        with self._locked() as ptr:
            for target in (ptr, self._side):
                if target is not None:
                    check(lib.gearman_client_set_identifier(target, data, len(data)), target)

    def ping(self) -> None:
        """Check that the servers answer (an ECHO round trip)."""
        self.echo(b"ping")

    def set_log_level(self, level: Verbose | None) -> None:
        """Send libgearman's log lines up to ``level`` to the ``gearman_cffi``
        logger; ``None`` turns logging off (the default)."""
        verbose = _log.checked_level(level)
        with self._locked() as ptr:
            for target in (ptr, self._side):
                if target is not None:
                    _log.install(target, verbose)

    def set_ssl(self, ca_file: str | None = None, certificate: str | None = None, key_file: str | None = None) -> None:
        """Use SSL for connections made from now on; raises RuntimeError if this
        libgearman was built without SSL (Debian's is)."""
        _identity.set_ssl(self, ca_file, certificate, key_file)

    def __repr__(self) -> str:
        state = "closed" if self._ptr is None else f"{len(self._pending)} pending"
        return f"<gearman_cffi.Client {state}>"
