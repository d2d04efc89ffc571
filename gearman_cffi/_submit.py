"""Submitting one job (``do_background*``, ``do*``): the hot path of the core.

Kept apart from ``_core`` (which mixes it in) because it is the one operation
shaped for speed: the first C call runs at once and the usual answer returns
without a generator; only a job that needs more than one wait slice becomes
steps for the driver.
"""

from __future__ import annotations

from collections.abc import Generator
from types import GeneratorType
from typing import TYPE_CHECKING, Any, TypeVar, Union, cast

from . import _arguments as arg
from ._arguments import NAMES, cached_name
from ._lane import IO_WAIT, SLICE_MS, SUCCESS, Lane
from ._libgearman import ffi, lib
from ._wait import wait
from .errors import GearmanConnectionError, error_from
from .task import Priority, Task

if TYPE_CHECKING:
    from ._core import Core
    from ._owner import Owner
    from ._router import Failover
    from ._settings import Settings
    from ._spread import Spread
    from .client import Client

T = TypeVar("T")
#: An operation: yields between wait slices, returns its result.
Steps = Generator[None, None, T]

_COULD_NOT_CONNECT = lib.GEARMAN_COULD_NOT_CONNECT
NULL = ffi.NULL


def handle_of(slot: Any) -> str:
    return ffi.string(slot.job_handle).decode("ascii")  # type: ignore[no-any-return]


class CoreParts:
    """What the submitting mixins use of the :class:`~gearman_cffi._core.Core`
    they are mixed into."""

    owner: Owner
    router: Union[Failover, Spread]  # noqa: UP007 (evaluated nowhere, but keep 3.9's spelling)
    settings: Settings

    def _failed(self, lane: Lane, c_client: Any) -> None:
        raise NotImplementedError  # Core's

    def _replace(self, lane: Lane, c_client: Any) -> None:
        raise NotImplementedError  # Core's


class Submitting(CoreParts):
    """``Core.submit``: one job on a task-free C client, to its end."""

    def background(self, client: Client, priority: Priority, function_name: object, workload: object,
                   unique: object) -> str:  # fmt: skip
        """``do_background*``: the hot path, one Python frame and one C call for
        the usual job (bytes workload, one server, created in one slice)."""
        cache = NAMES.get(type(function_name))
        name = None if cache is None else cache.get(function_name)
        if name is None:
            name = cached_name(function_name)
        if type(workload) is bytes and workload:
            size = len(workload)
        else:
            workload, size = arg.workload(workload)
        unique_c = NULL if unique is None else arg.unique(unique)
        router = self.router
        if not router.single:
            slot = self.submit(client, ffi.new("gearman_cffi_slot *"), priority, name[0], name[1], unique_c, workload,
                               size)  # fmt: skip
            return handle_of(wait(slot) if type(slot) is GeneratorType else slot)
        owner = self.owner
        owner.enter()
        try:
            lane = router.lane
            target = lane.task_free(self.settings) if lane.flushed else lane.ptr
            rc = lib.gearman_cffi_background(target, lane.hot, priority, name[1], unique_c, workload, size)
        except BaseException:
            owner.leave()
            raise
        if rc == SUCCESS:
            owner.lock.release()
            return ffi.string(lane.handle).decode()  # type: ignore[no-any-return]
        slot = lane.new_spare()  # the job goes on with its slot (and may become a Task)
        steps = self._go_on(rc, lane, target, client, slot, priority, name[0], name[1], unique_c, workload, size)
        next(steps)
        return handle_of(wait(steps))

    def submit(
        self, client: Client, slot: Any, priority: Priority, name: bytes, name_c: Any, unique_c: Any, buffer: Any,
        size: int, foreground: bool = False, slice_ms: int = SLICE_MS,
    ) -> Any:
        """One job run to the end on a task-free C client (created, or for a
        foreground slot completed or failed).  The first slice runs now: the
        slot comes back if that finished the job (the usual case, with no
        generator on the hot path), else the steps that go on with it.

        An interrupted background submission is kept as a pending Task of the
        client, so the job the server may have created is not lost (the next
        ``run_tasks()`` collects it); an interrupted foreground one drops its C
        client (the job goes on without a listener; its unique lets a retry join it).
        ``slice_ms`` 0: no C call waits (the asyncio driver; see ``Core.waits``)."""
        self.owner.enter()
        try:
            router = self.router
            if foreground:  # a round trip to a worker: no fast path needed (``slot`` is a foreground one)
                steps = self._go_on(None, None, None, client, slot, priority, name, name_c, unique_c, buffer, size,
                                    slice_ms)  # fmt: skip
                next(steps)
                return steps
            lane = router.lane if router.single else router.lane_for_unique(unique_c)  # by the unique, or in turn
            target = lane.task_free(self.settings)
            rc = lib.gearman_cffi_submit(target, priority, False, name_c, unique_c, buffer, size, slot,
                                         lane.uniques, slice_ms, lane.run)  # fmt: skip
        except BaseException:
            self.owner.leave()
            raise
        if rc == SUCCESS:  # gearman_cffi_submit checked the slot: the job is done with
            if not router.single:
                router.remember(lane, [slot])  # for job_status: which server made the handle
            self.owner.leave()
            return slot
        steps = self._go_on(rc, lane, target, client, slot, priority, name, name_c, unique_c, buffer, size, slice_ms)
        next(steps)  # to its first yield: from now on its clean-up runs however it ends
        return steps

    def _go_on(
        self, rc: int | None, lane: Lane | None, target: Any, client: Client, slot: Any, priority: Priority,
        name: bytes, name_c: Any, unique_c: Any, buffer: Any, size: int, slice_ms: int = SLICE_MS,
    ) -> Steps[Any]:
        """The rest of :meth:`submit` (lock held; released when this ends);
        ``rc`` None: no attempt made yet."""
        yield
        try:
            attempts, foreground = self.router.attempts(), bool(slot.foreground)
            for attempt in attempts:
                if rc is None:  # Spread: the server by the unique (the one sent: retries keep it), or in turn
                    lane = self.router.lane if self.router.single else self.router.lane_for_unique(unique_c)
                    target = lane.task_free(self.settings)
                    if foreground:
                        try:
                            lane.ready_for_foreground(target, self.settings, self.owner.check_closing)
                        except GearmanConnectionError:
                            self._failed(lane, target)
                            if attempt == attempts[-1]:
                                raise
                            continue
                    rc = lib.gearman_cffi_submit(target, priority, foreground, name_c, unique_c, buffer, size,
                                                 slot, lane.uniques, slice_ms, lane.run)  # fmt: skip
                assert lane is not None
                run = lane.run
                try:
                    if run.idle_since_ms == 0:  # not added
                        raise error_from(rc, target)
                    unique_c = slot.unique  # a retry sends the same unique
                    while rc == IO_WAIT:
                        yield
                        self.owner.check_closing()
                        rc = lib.gearman_cffi_run_tasks(target, slice_ms, run)
                except BaseException:
                    if run.idle_since_ms != 0:
                        if foreground:
                            self._replace(lane, target)
                        else:
                            if type(buffer) is bytes:  # the slot keeps a pointer: one that lasts as long as the Task
                                buffer = slot.workload = ffi.from_buffer(buffer)
                            task = Task(client, cast("Core", self), slot, name, priority, None)
                            lane.adopt(task, (slot, name_c, buffer), target, self.settings)
                    raise
                if rc == SUCCESS and slot.released and slot.job_handle[0] != b"\0":
                    self.router.remember(lane, [slot])
                    return slot
                error = error_from(lib.GEARMAN_UNKNOWN_STATE if rc == SUCCESS else rc, target)
                self._failed(lane, target)  # frees the C task with its C client
                if rc != _COULD_NOT_CONNECT or attempt == attempts[-1]:
                    raise error
                rc = None
            raise AssertionError("unreachable")
        finally:
            self.owner.leave()
