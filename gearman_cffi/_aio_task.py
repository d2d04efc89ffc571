"""aio.Task: a job added to an asyncio Client, sent by ``await run_tasks()``.

It holds the caller's arguments until a run takes it; once a run finished it,
the blocking :class:`gearman_cffi.Task` that carried it is published here
(after the run: nothing writes to that Task any more), and the
attributes are that Task's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from .errors import ReturnCode
from .task import Priority
from .task import Task as _Task

if TYPE_CHECKING:
    from .aio import Client
    from .client import Client as Driver


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    assert isinstance(value, bytes)
    return value.decode("utf-8", "surrogateescape")


class Task:
    """A job added with ``add_task*``; ``await client.run_tasks()`` sends it.

    Until then ``job_handle`` and ``result`` are None, ``is_pending`` is True
    and ``unique`` is the one given (or None: assigned when sent).  After a
    successful run every attribute is the blocking :class:`gearman_cffi.Task`'s.
    """

    __slots__ = ("_client", "_dropped", "_inner", "_method", "_name", "_unique", "_withdraw", "_workload", "context",
                 "priority")  # fmt: skip

    def __init__(self, client: Client, withdraw: Callable[[Task], None], method: str, priority: Priority,
                 name: object, workload: object, unique: object, context: Any) -> None:  # fmt: skip
        self._client = client  # keeps it alive
        self._withdraw = withdraw  # the client's: drops the task from its queue
        self._method, self.priority = method, priority
        self._name, self._workload, self._unique = name, workload, unique
        self._inner: _Task | None = None  # set once a run finished it
        self._dropped = False
        #: Any Python object the caller attached.
        self.context = context

    @property
    def foreground(self) -> bool:
        return not self._method.endswith("_background")

    @property
    def function_name(self) -> str:
        return _text(self._name) or ""

    @property
    def unique(self) -> str | None:
        if self._inner is not None:
            return self._inner.unique
        return _text(self._unique)

    @property
    def is_pending(self) -> bool:
        return self._inner is None and not self._dropped

    @property
    def job_handle(self) -> str | None:
        return None if self._inner is None else self._inner.job_handle

    @property
    def return_code(self) -> ReturnCode:
        return ReturnCode.UNKNOWN_STATE if self._inner is None else self._inner.return_code

    @property
    def result(self) -> bytes | None:
        """A foreground job's WORK_COMPLETE payload (None until then)."""
        return None if self._inner is None else getattr(self._inner, "result", None)

    @property
    def exception(self) -> bytes | None:
        """A foreground job's WORK_EXCEPTION payload, if any."""
        return None if self._inner is None else getattr(self._inner, "exception", None)

    def free(self) -> None:
        """Withdraw a task not sent yet (no effect on one a run is sending)."""
        self._withdraw(self)

    def __repr__(self) -> str:
        state = "pending" if self.is_pending else (self.job_handle or self.return_code.name)
        return f"<aio.Task {self.function_name!r} unique={self.unique!r} {state}>"


# -- the aio package's narrow contract with its Task (used by aio.py and _aio_requests.py) --
def hand_to(task: Task, driver: Driver) -> _Task:
    """Add ``task`` to a round's blocking client; returns that client's Task."""
    return getattr(driver, task._method)(task._name, task._workload, task._unique)  # type: ignore[no-any-return]


def settle(task: Task, sent: _Task) -> bool:
    """After a run: True if ``sent`` (what ``hand_to`` returned) is done with, and
    then ``task`` shows its outcome; else ``task`` is dropped, keeping the unique
    it was sent with (the auto-assigned one too: a retry is the same job)."""
    if not sent.is_pending:
        task._inner = sent
        return True
    task._unique = sent.unique
    task._dropped = True  # until run_tasks() puts it back in the queue (not if it was cancelled)
    return False


def set_dropped(task: Task, dropped: bool) -> None:
    task._dropped = dropped


def is_finished(task: Task) -> bool:
    return task._inner is not None


__all__ = ["Task"]
