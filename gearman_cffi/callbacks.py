"""Task callbacks: libgearman's ``gearman_client_set_*_fn`` as Python callables.

Every C client the binding makes has the binding's C event handlers
(``gearman_cffi_install_events`` in ``include/fastpath.c``); for a task whose
slot has a ``handle`` (an ``ffi.new_handle`` the Task holds) they call the
cffi ``extern "Python"`` trampolines below, which find the Python
:class:`~gearman_cffi.Task` and call the callables in ``Task.callbacks``.

Once a Client has had callbacks, every task added to it gets a handle, so
which callables run is decided in Python alone: a task keeps the
:class:`TaskCallbacks` its client had when it was added, exactly as libgearman
copies a client's callbacks into each task at add time.

An exception raised by a callback is stored, the callback returns
``GEARMAN_PAUSE`` so ``gearman_client_run_tasks`` stops at once, and
``Client.run_tasks`` re-raises the stored exception with its traceback after
the usual failure handling (tasks created so far are settled, the rest stay
pending on a fresh C client).  This is pygit2's stored-exception pattern.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, TypeVar, overload

from ._libgearman import ffi, lib
from ._owner import Owner
from .task import owner_of

if TYPE_CHECKING:
    from .task import Task

#: ``callback(task)``: the task's job_handle, return_code and status are
#: up to date when it is called.
TaskCallback = Callable[["Task"], object]
#: ``callback(task, data)`` for events that carry a payload.
DataCallback = Callable[["Task", bytes], object]


class TaskCallbacks(NamedTuple):
    """What to call for each event of a task (``None``: nothing).

    Against gearmand a *background* task only ever gets ``created``: the server
    sends WORK_DATA/WARNING/STATUS/COMPLETE/FAIL/EXCEPTION to foreground
    submitters only, and for background tasks ``run_tasks`` returns as soon
    as every job is created.  Foreground tasks get every event as its packet
    arrives.
    """

    created: TaskCallback | None = None
    data: DataCallback | None = None
    warning: DataCallback | None = None
    status: TaskCallback | None = None
    complete: DataCallback | None = None
    exception: DataCallback | None = None
    fail: TaskCallback | None = None


_EVENTS_WITH_DATA = frozenset({"data", "warning", "complete", "exception"})

_F = TypeVar("_F", bound=Callable[..., Any])


@overload
def extern(fn: _F) -> _F: ...
@overload
def extern(*, onerror: Callable[..., Any]) -> Callable[[_F], _F]: ...
def extern(fn: _F | None = None, *, onerror: Callable[..., Any] | None = None) -> Any:
    """``@ffi.def_extern()`` with the function's type kept (for mypy);
    ``@extern(onerror=...)`` passes cffi's handler of an exception it raised."""

    def define(fn: _F) -> _F:
        ffi.def_extern(name=fn.__name__, onerror=onerror)(fn)
        return fn

    return define if fn is None else define(fn)


# Exceptions raised by callbacks, per thread (run_tasks runs the callbacks in
# the calling thread, holding the client's lock).
_stored = threading.local()


def validate(callbacks: object) -> TaskCallbacks | None:
    if callbacks is None or isinstance(callbacks, TaskCallbacks):
        for name, fn in zip(TaskCallbacks._fields, callbacks or ()):
            if fn is not None and not callable(fn):
                raise TypeError(f"callback {name!r} must be callable, not {type(fn).__name__}")
        return callbacks
    raise TypeError(f"callbacks must be a TaskCallbacks or None, not {type(callbacks).__name__}")


def store(error: BaseException) -> None:
    """Keep the first exception a callback raised, for :func:`reraise_stored`."""
    if getattr(_stored, "error", None) is None:
        _stored.error = error


@contextmanager
def reraise_stored() -> Iterator[None]:
    """Raise, after the body, the exception a callback stored during it."""
    _stored.error = None
    try:
        yield
    finally:
        error, _stored.error = getattr(_stored, "error", None), None
        if error is not None:
            raise error.with_traceback(error.__traceback__) from None


def _dispatch(event: str, c_task: Any) -> int:
    context = lib.gearman_task_context(c_task)
    if context == ffi.NULL:
        return int(lib.GEARMAN_SUCCESS)
    handle = ffi.cast("gearman_cffi_slot *", context).handle
    if handle == ffi.NULL:
        return int(lib.GEARMAN_SUCCESS)
    try:
        task: Task = ffi.from_handle(handle)
        callbacks = task.callbacks
        callback = getattr(callbacks, event, None) if callbacks is not None else None
        if callback is None:
            return int(lib.GEARMAN_SUCCESS)
        lib.gearman_cffi_refresh(c_task)  # the slot, so the callback sees handle and status
        owner = owner_of(task)
        with Owner.calling_back(owner):  # the Client's lock is held: calling it raises
            if event in _EVENTS_WITH_DATA:
                size = lib.gearman_task_data_size(c_task)
                data = bytes(ffi.buffer(lib.gearman_task_data(c_task), size)) if size else b""
                callback(task, data)
            else:
                callback(task)
        if owner.forked:  # the callback forked, this is the child: stop before reading the parent's socket
            raise RuntimeError("a callback forked: the child cannot go on with its parent's run_tasks()")
    except BaseException as error:  # re-raised by Client.run_tasks
        store(error)
        return int(lib.GEARMAN_PAUSE)
    return int(lib.GEARMAN_SUCCESS)


@extern
def _gearman_cffi_created(c_task: Any) -> int:
    return _dispatch("created", c_task)


@extern
def _gearman_cffi_data(c_task: Any) -> int:
    return _dispatch("data", c_task)


@extern
def _gearman_cffi_warning(c_task: Any) -> int:
    return _dispatch("warning", c_task)


@extern
def _gearman_cffi_status(c_task: Any) -> int:
    return _dispatch("status", c_task)


@extern
def _gearman_cffi_complete(c_task: Any) -> int:
    return _dispatch("complete", c_task)


@extern
def _gearman_cffi_exception(c_task: Any) -> int:
    return _dispatch("exception", c_task)


@extern
def _gearman_cffi_fail(c_task: Any) -> int:
    return _dispatch("fail", c_task)
