"""Epoch-scheduled background jobs (SUBMIT_JOB_EPOCH).

libgearman has no ``gearman_client_do_epoch``: the one path is
``gearman_execute`` with a ``gearman_task_attr_init_epoch`` attribute, which
adds a task *and runs the client's whole task list*.  So it always runs on a
task-free C client (``Core.on_task_free``), and the task it returns is
freed only once the server created the job.

gearmand 1.1.20 keeps an epoch job queued (gearadmin counts it at once) and
hands it to a worker only when that worker asks for work after the epoch time.
A worker already asleep is not woken when the time comes: it gets the job
when something else wakes it, such as another job for the same function
(gearmand issue 101).
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import TYPE_CHECKING, Any, Union

from . import _arguments as arg
from ._libgearman import ffi, lib
from ._wait import interruptible, wait
from .errors import error_from
from .task import Priority

if TYPE_CHECKING:
    from ._core import Core, Steps

When = Union[_dt.datetime, int, float]

#: gearmand stores the time as a signed 64-bit count of seconds; time_t on
#: LP64 is the same, and anything past this is surely a mistake.
MAX_EPOCH = 2**63 - 1


def epoch_seconds(when: object) -> int:
    """A datetime (naive = local time) or a Unix time in seconds, as whole
    seconds (rounded up, so a job never runs before ``when``)."""
    if isinstance(when, _dt.datetime):
        seconds: float = when.timestamp()
    elif isinstance(when, (int, float)) and not isinstance(when, bool):
        seconds = when
    else:
        raise TypeError(f"when must be a datetime or a Unix time in seconds, not {type(when).__name__}")
    if math.isnan(seconds) or math.isinf(seconds):
        raise ValueError(f"when must be a finite time, not {when!r}")
    result = math.ceil(seconds)
    if not 0 < result <= MAX_EPOCH:
        raise ValueError(f"when must be after 1970-01-01 00:00:00 UTC, not {when!r}")
    return result


def do_background_at(
    core: Core,
    when: object,
    function_name: arg.Text,
    workload: arg.Workload,
    unique: arg.Text | None = None,
    priority: Priority = Priority.NORMAL,
) -> str:
    """Submit a background job that gearmand hands out no earlier than ``when``;
    return its job handle."""
    seconds = epoch_seconds(when)
    name = arg.function_name(function_name)
    unique_c = arg.unique(unique)
    unique_size = 0 if unique_c == ffi.NULL else len(unique_c)
    buffer, size = arg.workload(workload)
    if not isinstance(priority, Priority):
        raise TypeError(f"priority must be a Priority, not {type(priority).__name__}")
    attr = ffi.new("gearman_task_attr_t *", lib.gearman_task_attr_init_epoch(seconds, priority))
    argument = ffi.new("gearman_argument_t *")
    argument.value.c_str = ffi.cast("const char *", buffer)
    argument.value.size = size

    def steps(ptr: Any) -> Steps[str]:
        with interruptible(core.owner.check_closing):  # (it runs the whole task list inside libgearman)
            c_task: Any = lib.gearman_execute(ptr, name, len(name), unique_c, unique_size, attr, argument, ffi.NULL)
            if c_task == ffi.NULL:
                raise error_from(lib.gearman_client_error_code(ptr), ptr)
        handle = ffi.string(lib.gearman_task_job_handle(c_task))
        if not handle:  # not created: leave the task to the C client, which is replaced
            codes = (lib.gearman_task_return(c_task), lib.gearman_client_error_code(ptr))
            # (a task never answered says UNKNOWN_STATE; the client then says why: TIMEOUT ...)
            no_reason = (lib.GEARMAN_SUCCESS, lib.GEARMAN_IO_WAIT, lib.GEARMAN_UNKNOWN_STATE)
            failing = [c for c in codes if c not in no_reason]
            raise error_from(failing[0] if failing else lib.GEARMAN_UNKNOWN_STATE, ptr)
        lib.gearman_task_free(c_task)
        yield from ()
        return handle.decode("ascii")  # type: ignore[no-any-return]

    return wait(core.on_task_free(steps, unique_c))
