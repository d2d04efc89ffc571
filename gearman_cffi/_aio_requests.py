"""What the asyncio client's rounds carry: one class per kind of await.

Each request adds its tasks to the round's blocking client with the public
``add_task*`` methods (so the blocking and asyncio clients share one task
path) and, after the round's run (a foreground job: as soon as it is done),
turns its tasks into a value or an exception.  A task the run did not finish
is withdrawn (``Task.free()``), so it never rides along in a later round.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from . import errors as _errors
from ._aio_rounds import Request
from ._aio_task import hand_to, settle
from .errors import GearmanError, ReturnCode, error_class
from .task import Task as _Task

if TYPE_CHECKING:
    from ._aio_task import Task
    from .client import Client as Driver


def _unfinished(task: _Task, error: BaseException | None) -> BaseException:
    """The error for a task the run left unfinished: the run's, else its own code."""
    if error is not None:
        return error
    code = task.return_code
    return error_class(code)(code if code != ReturnCode.SUCCESS else ReturnCode.UNKNOWN_STATE)


def work_error(task: _Task) -> GearmanError:
    """A failed foreground job, as the blocking ``do()`` raises it."""
    data = getattr(task, "exception", None)
    code = ReturnCode.WORK_EXCEPTION if data is not None else task.return_code
    work_error_class = getattr(_errors, "GearmanWorkError", None)
    if work_error_class is None or code not in (ReturnCode.WORK_FAIL, ReturnCode.WORK_EXCEPTION):
        return error_class(code)(code)
    return work_error_class(code, data=data)  # type: ignore[no-any-return]


class Submission(Request):
    """``do*`` / ``do*_background``: one task; its handle or result."""

    __slots__ = ("foreground", "method", "name", "task", "unique", "workload")

    def __init__(self, future: asyncio.Future[Any], method: str, foreground: bool, name: object, workload: object,
                 unique: object) -> None:  # fmt: skip
        self.future = future  # (no super().__init__ call: thousands of these are made per second)
        self.method, self.foreground = method, foreground
        self.name, self.workload, self.unique = name, workload, unique
        self.task: _Task | None = None

    def add(self, driver: Driver) -> None:
        self.task = getattr(driver, self.method)(self.name, self.workload, self.unique)

    def done(self) -> bool:
        return self.task is not None and not self.task.is_pending

    def finish(self, driver: Driver, error: BaseException | None) -> Any:
        task = self.task
        assert task is not None
        if not task.is_pending:
            if not self.foreground:
                return task.job_handle
            if task.return_code == ReturnCode.SUCCESS:
                return task.result
            raise work_error(task)
        task.free()
        raise _unfinished(task, error)


class Batch(Request):
    """``run_tasks()``: the tasks added since the last one.  A finished task's
    blocking Task is published to its ``aio.Task`` once the
    run is over (nothing writes to it after that); an unfinished one keeps its
    unique so the next ``run_tasks()`` sends it again as the same job."""

    __slots__ = ("sent", "tasks")

    def __init__(self, future: asyncio.Future[Any], tasks: list[Task]) -> None:
        super().__init__(future)
        self.tasks = tasks
        self.sent: list[_Task] = []

    def add(self, driver: Driver) -> None:
        try:
            for task in self.tasks:
                self.sent.append(hand_to(task, driver))
        except BaseException:  # none of them may ride along in a later round
            for sent in self.sent:
                sent.free()
            raise

    def finish(self, driver: Driver, error: BaseException | None) -> Any:
        failure = None
        for task, sent in zip(self.tasks, self.sent):
            if settle(task, sent):
                continue
            sent.free()
            failure = failure or _unfinished(sent, error)
        if failure is not None:
            raise failure
        return None


__all__ = ["Batch", "Submission", "work_error"]
