"""Task: one background job added to a Client, submitted by ``run_tasks()``.

The Client owns the ``gearman_task_st``: it keeps it (and the workload buffer,
which libgearman does not copy) until the server has created the job, then
copies what the task learned onto this object and frees the C task.  A Task
therefore never touches C memory itself, so no order of garbage collection,
``free()`` or ``Client.close()`` can reach freed memory.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, NamedTuple

from ._libgearman import ffi, lib
from .errors import ReturnCode

if TYPE_CHECKING:
    from .callbacks import TaskCallbacks
    from .client import Client


class Priority(enum.IntEnum):
    """A background job's queue priority (``gearman_job_priority_t``)."""

    HIGH = lib.GEARMAN_JOB_PRIORITY_HIGH
    NORMAL = lib.GEARMAN_JOB_PRIORITY_NORMAL
    LOW = lib.GEARMAN_JOB_PRIORITY_LOW


class JobStatus(NamedTuple):
    """What the server says about a job handle (``gearman_client_job_status``)."""

    is_known: bool
    is_running: bool
    numerator: int
    denominator: int


def _decode(value: Any) -> str:
    return ffi.string(value).decode("utf-8", "surrogateescape")  # type: ignore[no-any-return]


class Task:
    """A background job added with ``Client.add_task_background`` and friends.

    Until ``run_tasks()`` has sent it, ``job_handle`` is None and ``return_code``
    is ``UNKNOWN_STATE``; afterwards they hold what the server answered.
    """

    __slots__ = (
        "__weakref__",
        "_c_context",
        "_callbacks",
        "_client",
        "_freed",
        "_function_name",
        "_job_handle",
        "_priority",
        "_ptr",
        "_return_code",
        "_status",
        "_unique",
        "_workload",
        "context",
    )

    def __init__(self, client: Client, ptr: Any, workload: Any, priority: Priority, context: Any) -> None:
        self._client = client  # keeps the Client (and so the C client) alive
        self._ptr: Any = ptr  # the gearman_task_st while the Client holds it
        self._workload = workload  # the caller's buffer, referenced by the C task
        self._function_name = _decode(lib.gearman_task_function_name(ptr))
        self._unique = _decode(lib.gearman_task_unique(ptr))
        self._priority = priority
        self._job_handle: str | None = None
        self._return_code = ReturnCode.UNKNOWN_STATE
        self._status = JobStatus(False, False, 0, 0)
        self._freed = False
        self._callbacks: TaskCallbacks | None = None  # see callbacks.py
        self._c_context: Any = None  # ffi.new_handle(self) while the C task has it
        #: Any Python object the caller attached; libgearman never sees it.
        self.context = context

    # -- what the Client does with it -------------------------------------------------
    def _is_created(self) -> bool:
        """True once the server answered with a job handle (C task done with)."""
        return bool(lib.gearman_task_job_handle(self._ptr)[0] != b"\0")

    def _settle(self) -> None:
        """Copy the C task's final state onto this object (the C task is freed next)."""
        ptr = self._ptr
        self._job_handle = ffi.string(lib.gearman_task_job_handle(ptr)).decode("ascii", "replace") or None
        self._return_code = ReturnCode(lib.gearman_task_return(ptr))
        self._status = JobStatus(
            bool(lib.gearman_task_is_known(ptr)),
            bool(lib.gearman_task_is_running(ptr)),
            int(lib.gearman_task_numerator(ptr)),
            int(lib.gearman_task_denominator(ptr)),
        )
        self._detach()

    def _detach(self) -> None:
        self._ptr = None
        self._c_context = None
        self._workload = None

    # -- public -------------------------------------------------------------------
    @property
    def client(self) -> Client:
        return self._client

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def unique(self) -> str:
        """The unique sent with the job: the caller's, or the UUID libgearman assigned."""
        return self._unique

    @property
    def priority(self) -> Priority:
        return self._priority

    @property
    def job_handle(self) -> str | None:
        """The server's handle for the job, or None until it created the job."""
        return self._job_handle

    @property
    def return_code(self) -> ReturnCode:
        return self._return_code

    @property
    def is_pending(self) -> bool:
        """True while the task waits for ``run_tasks()`` to send it."""
        return self._ptr is not None

    @property
    def is_known(self) -> bool:
        return self._status.is_known

    @property
    def is_running(self) -> bool:
        return self._status.is_running

    @property
    def numerator(self) -> int:
        return self._status.numerator

    @property
    def denominator(self) -> int:
        return self._status.denominator

    @property
    def callbacks(self) -> TaskCallbacks | None:
        """The callbacks of this task: its client's when it was added, unless replaced."""
        return self._callbacks

    @callbacks.setter
    def callbacks(self, value: TaskCallbacks | None) -> None:
        from .callbacks import set_task_callbacks

        set_task_callbacks(self, value)

    def free(self) -> None:
        """Release the task; a task not sent yet is withdrawn from the batch.

        Idempotent, and safe after ``Client.close()``.
        """
        if not self._freed:
            self._freed = True
            self._client._withdraw(self)

    def __repr__(self) -> str:
        state = "pending" if self.is_pending else (self._job_handle or self._return_code.name)
        return f"<Task {self._function_name!r} unique={self._unique!r} {state}>"
