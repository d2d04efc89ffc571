"""Task: one job added to a Client, submitted by ``run_tasks()``.

The Client owns the ``gearman_task_st`` and the workload buffer (which
libgearman does not copy) until the server has created the job (a background
job) or the job completed or failed (a foreground one).  A Task owns
only its *slot* (``gearman_cffi_slot``, see ``include/10-fastpath.h``): the C
task's context, into which C copies the unique when the task is added and the
job handle, return code and status when the task finishes, just before
libgearman frees the C task (and a foreground job's WORK_COMPLETE or
WORK_EXCEPTION payload when it arrives).  A Task therefore never touches a C task, so no
order of garbage collection, ``free()`` or ``Client.close()`` can reach freed
memory.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, NamedTuple

from ._libgearman import ffi, lib
from .errors import GearmanWorkError, ReturnCode

if TYPE_CHECKING:
    from ._core import Core
    from ._owner import Owner
    from .callbacks import TaskCallbacks
    from .client import Client


class Priority(enum.IntEnum):
    """A job's queue priority (``gearman_job_priority_t``)."""

    HIGH = lib.GEARMAN_JOB_PRIORITY_HIGH
    NORMAL = lib.GEARMAN_JOB_PRIORITY_NORMAL
    LOW = lib.GEARMAN_JOB_PRIORITY_LOW


class JobStatus(NamedTuple):
    """What the server says about a job handle (``gearman_client_job_status``)."""

    is_known: bool
    is_running: bool
    numerator: int
    denominator: int


def new_slot(foreground: bool) -> Any:
    """A zeroed slot; a foreground one frees its result payloads with it."""
    slot = ffi.new("gearman_cffi_slot *")
    if foreground:
        slot.foreground = True
        slot = ffi.gc(slot, lib.gearman_cffi_slot_clear)
    return slot


def work_error(slot: Any) -> GearmanWorkError | None:
    """The worker's failure of a finished foreground job in ``slot``, or None.
    A WORK_EXCEPTION payload makes the code WORK_EXCEPTION even where
    libgearman reports the WORK_FAIL that follows it."""
    if slot.rc == lib.GEARMAN_SUCCESS:
        return None
    data = ffi.unpack(slot.exception, slot.exception_size) if slot.exception_size else None
    if slot.rc not in (lib.GEARMAN_WORK_FAIL, lib.GEARMAN_WORK_EXCEPTION) and data is None:
        return None
    code = lib.GEARMAN_WORK_EXCEPTION if data is not None else slot.rc
    return GearmanWorkError(code, data=data)


class Task:
    """A background job added with ``Client.add_task_background`` and friends.

    Until ``run_tasks()`` has sent it, ``job_handle`` is None and ``return_code``
    is ``UNKNOWN_STATE``; afterwards they hold what the server answered.
    """

    __slots__ = ("__weakref__", "_c_context", "_callbacks", "_client", "_core", "_dropped", "_name", "_priority",
                 "_slot", "context")  # fmt: skip

    def __init__(self, client: Client, core: Core, slot: Any, name: bytes, priority: Priority, context: Any) -> None:
        self._client = client  # keeps the Client (and so the C client) alive
        self._core = core  # the Client's core: flush_now(), withdraw()
        self._slot = slot  # gearman_cffi_slot: the C task's context, written by C
        self._name = name
        self._priority = priority
        self._dropped = False  # never sent: withdrawn, or its Client closed
        self._callbacks: TaskCallbacks | None = None  # see callbacks.py
        self._c_context: Any = None  # ffi.new_handle(self) in the slot, for callbacks
        #: Any Python object the caller attached; libgearman never sees it.
        self.context = context

    # -- public -------------------------------------------------------------------
    @property
    def client(self) -> Client:
        return self._client

    @property
    def function_name(self) -> str:
        return self._name.decode("utf-8", "surrogateescape")

    @property
    def unique(self) -> str:
        """The unique sent with the job: the caller's, or the one the Client
        assigned (see ``Client.add_task_background``); reading it adds a queued
        task to the C client at once.  Empty for an auto-unique task dropped
        before it was ever added."""
        if not self._slot.added and not self._dropped:  # queued: the unique is assigned when C adds it
            self._core.flush_now()
        return self._slot_unique()

    def _slot_unique(self) -> str:
        return ffi.string(self._slot.unique).decode("utf-8", "surrogateescape")  # type: ignore[no-any-return]

    @property
    def priority(self) -> Priority:
        return self._priority

    @property
    def job_handle(self) -> str | None:
        """The server's handle for the job, or None until it created the job."""
        if self._dropped or self._slot.job_handle[0] == b"\0":
            return None
        return ffi.string(self._slot.job_handle).decode("ascii", "replace")  # type: ignore[no-any-return]

    @property
    def return_code(self) -> ReturnCode:
        slot = self._slot
        return ReturnCode(slot.rc) if slot.added and not self._dropped else ReturnCode.UNKNOWN_STATE

    @property
    def is_pending(self) -> bool:
        """True until ``run_tasks()`` is done with the task: for a background job
        until the server created it, for a foreground job until it completed or failed."""
        slot = self._slot
        return not self._dropped and (slot.job_handle[0] == b"\0" or (slot.foreground and not slot.released))

    @property
    def result(self) -> bytes | None:
        """A foreground job's WORK_COMPLETE payload; None until it completed, on
        failure, and for a background job.  WORK_DATA chunks are not part of it
        (they reach the ``data`` callback as they arrive)."""
        slot = self._slot
        if self._dropped or not slot.foreground or not slot.released or slot.rc != lib.GEARMAN_SUCCESS:
            return None
        return ffi.unpack(slot.result, slot.result_size) if slot.result_size else b""

    @property
    def exception(self) -> bytes | None:
        """A foreground job's WORK_EXCEPTION payload (the worker's error text), if any."""
        slot = self._slot
        if self._dropped or not slot.exception_size:
            return None
        return ffi.unpack(slot.exception, slot.exception_size)  # type: ignore[no-any-return]

    def _work_error(self) -> GearmanWorkError | None:
        """The failure of a finished foreground job, as ``do()`` raises it."""
        return work_error(self._slot)

    @property
    def is_known(self) -> bool:
        return not self._dropped and bool(self._slot.is_known)

    @property
    def is_running(self) -> bool:
        return not self._dropped and bool(self._slot.is_running)

    @property
    def numerator(self) -> int:
        return 0 if self._dropped else int(self._slot.numerator)

    @property
    def denominator(self) -> int:
        return 0 if self._dropped else int(self._slot.denominator)

    @property
    def callbacks(self) -> TaskCallbacks | None:
        """The callbacks of this task: its client's when it was added, unless replaced."""
        return self._callbacks

    @callbacks.setter
    def callbacks(self, value: TaskCallbacks | None) -> None:
        """Only for a pending task added after ``Client.callbacks`` was set."""
        from .callbacks import validate  # callbacks.py imports this module

        callbacks = validate(value)
        if self._c_context is None or not self.is_pending:
            raise ValueError(
                "task callbacks can only be set on a pending task added after Client.callbacks was set "
                "(libgearman copies a client's callbacks into each task when it is added)"
            )
        self._callbacks = callbacks

    def free(self) -> None:
        """Release the task; a task not sent yet is withdrawn from the batch.

        Idempotent, and safe after ``Client.close()``.
        """
        if self.is_pending:
            self._core.withdraw(self)

    def __repr__(self) -> str:
        state = "pending" if self.is_pending else (self.job_handle or self.return_code.name)
        if self._slot.foreground:
            state = f"foreground {state}"
        unique = self._slot_unique() or None  # None: not assigned yet (repr never adds the task to C)
        return f"<Task {self.function_name!r} unique={unique!r} {state}>"


# -- the core's narrow contract with a Task (used by _core, _lane, _spread, callbacks) --------
def slot_of(task: Task) -> Any:
    """The task's slot: the C task's context, which C fills in."""
    return task._slot


def is_dropped(task: Task) -> bool:
    return task._dropped


def drop(task: Task) -> None:
    """The client dropped the task unsent (withdrawn, or its client closed)."""
    task._dropped = True


def bind_callbacks(task: Task, callbacks: TaskCallbacks | None) -> None:
    """Point a just-added task's slot (its C task's context) at the Task, so
    the C event handlers call its callbacks (``callbacks.py``)."""
    task._callbacks = callbacks
    task._c_context = ffi.new_handle(task)
    task._slot.handle = task._c_context


def owner_of(task: Task) -> Owner:
    """The Owner of the task's client (its lock is held while callbacks run)."""
    return task._core.owner

