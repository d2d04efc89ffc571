"""Core: a Client's C clients, settings and queue, and its operations as steps.

An operation (run the batch, submit one job, ask a status) is a generator that
does its C calls and yields between wait slices; how one waits for the next
slice is the driver's business (``_wait.wait`` blocks; an asyncio driver
runs the same steps in its I/O thread).  Every operation goes through the
:class:`~gearman_cffi._owner.Owner` (lock, fork, close, re-entrancy) and the
router (which lane, which server next); each is written once.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from . import callbacks as _callbacks
from ._lane import IO_WAIT, SLICE_MS, SUCCESS, Lane
from ._libgearman import ffi, lib
from ._owner import Owner
from ._router import Failover
from ._settings import Server, Settings, check_servers, configure, new_c_client
from ._wait import wait
from .errors import ClientClosedError, GearmanConnectionError, GearmanError, error_from
from .task import Priority, Task

if TYPE_CHECKING:
    from .client import Client

T = TypeVar("T")
#: An operation: yields between wait slices, returns its result.
Steps = Generator[None, None, T]

_COULD_NOT_CONNECT = lib.GEARMAN_COULD_NOT_CONNECT


class Core:
    """The C side of one Client, used through its methods only."""

    def __init__(self, settings: Settings, index: int = 0) -> None:
        self.owner = Owner(self._forget_parent, ClientClosedError, "Client")
        if index == 0:
            check_servers(settings.servers)
        self.settings = settings
        self.router = Failover(settings, index)

    # -- lifetime ---------------------------------------------------------------------
    def close(self) -> None:
        """Free every C client; from any thread (a wait in progress elsewhere
        stops at its next slice with ClientClosedError)."""
        with self.owner.closing_from_any_thread() as still_open:
            if still_open:
                for lane in self.router.lanes:
                    lane.free()

    @property
    def closed(self) -> bool:
        return self.owner.closed

    def _forget_parent(self) -> None:
        if not self.owner.closed:
            for lane in self.router.lanes:
                lane.forget(self.settings)

    def clone(self) -> Core:
        """A new core with the same settings, on the server this one uses now."""
        with self.owner.locked():
            return Core(self.settings, self.router.index)

    # -- settings ---------------------------------------------------------------------
    def update(self, **changes: Any) -> None:
        """Change settings and apply them to every live C client (one path)."""
        with self.owner.locked():
            self.settings = self.settings.changed(**changes)
            for lane in self.router.lanes:
                for ptr in lane.c_clients():
                    configure(ptr, self.settings)

    def read(self, getter: Callable[[Any], T]) -> T:
        """``getter(main C client)`` under the lock."""
        with self.owner.locked():
            return getter(self.router.lane.ptr)

    # -- the queue --------------------------------------------------------------------
    def queue(self, task: Task, keep: Any) -> None:
        """Queue a task on its lane (the per-task hot path of a batch: kept flat)."""
        owner, router = self.owner, self.router
        owner.enter()
        try:
            if self.settings.trampolines:
                _callbacks.bind(task, self.settings.callbacks)
            lane = router.lane if router.single else router.lane_for(task)
            if task._slot.foreground:
                lane.foreground = True
            lane.pending.append(task)
            lane.keep.append(keep)
        finally:
            owner.lock.release()

    def flush_now(self) -> None:
        """Add queued tasks to the C client now (a queued task's auto unique is
        assigned when C adds it)."""
        with self.owner.locked():
            for lane in self.router.lanes:
                lane.flush(self.settings)

    def withdraw(self, task: Task) -> None:
        with self.owner.locked():
            if not task._dropped:
                self.router.lane_for(task).withdraw(task)

    def pending(self) -> list[Task]:
        if self.owner.closed:
            return []
        with self.owner.locked():
            return [t for lane in self.router.lanes for t in lane.live_pending()]

    # -- operations -------------------------------------------------------------------
    def run_tasks(self) -> Steps[None]:
        """Send every pending task and wait until the server created each job;
        on failure the tasks not created stay pending (a retry sends them again
        with the same uniques)."""
        self.owner.enter()
        try:
            with _callbacks.reraise_stored():
                lane, attempts = self.router.lane, self.router.attempts()
                for attempt in attempts:
                    try:
                        lane.flush(self.settings)
                    except GearmanConnectionError:  # asking for exceptions found the server down
                        self.router.move_on(self.settings)
                        if attempt == attempts[-1]:
                            raise
                        continue
                    try:
                        rc = lane.start_run()
                        while rc == IO_WAIT:
                            yield
                            self.owner.check_closing()
                            rc = lane.run_slice()
                    except BaseException:  # Ctrl-C, close(): keep the handles already received
                        lane.after_run(SUCCESS, self.settings)
                        raise
                    try:
                        lane.after_run(rc, self.settings)
                        return
                    except GearmanError:
                        self.router.move_on(self.settings)
                        if rc != _COULD_NOT_CONNECT or attempt == attempts[-1]:
                            raise
        finally:
            self.owner.leave()

    def submit(
        self, client: Client, slot: Any, priority: Priority, name: bytes, name_c: Any, unique_c: Any, buffer: Any,
        size: int,
    ) -> Any:
        """One job run to the end on a task-free C client (created, or for a
        foreground slot completed or failed).  The first slice runs now: the
        slot comes back if that finished the job (the usual case, with no
        generator on the hot path), else the steps that go on with it.

        An interrupted background submission is kept as a pending Task of the
        client, so the job the server may have created is not lost (the next
        ``run_tasks()`` collects it); an interrupted foreground one drops its C
        client (the job goes on without a listener; its unique lets a retry join it)."""
        self.owner.enter()
        try:
            if slot.foreground:  # a round trip to a worker: no fast path needed
                steps = self._go_on(None, None, client, slot, priority, name, name_c, unique_c, buffer, size)
                next(steps)
                return steps
            lane = self.router.lane
            target = lane.task_free(self.settings)
            rc = lib.gearman_cffi_submit(target, priority, False, name_c, unique_c, buffer, size, slot,
                                         lane.uniques, SLICE_MS, lane.run)  # fmt: skip
        except BaseException:
            self.owner.leave()
            raise
        if rc == SUCCESS and slot.released and slot.job_handle[0] != b"\0":
            self.owner.leave()
            return slot
        steps = self._go_on(rc, target, client, slot, priority, name, name_c, unique_c, buffer, size)
        next(steps)  # to its first yield: from now on its clean-up runs however it ends
        return steps

    def _go_on(
        self, rc: int | None, target: Any, client: Client, slot: Any, priority: Priority, name: bytes, name_c: Any,
        unique_c: Any, buffer: Any, size: int,
    ) -> Steps[Any]:
        """The rest of :meth:`submit` (lock held; released when this ends);
        ``rc`` None: no attempt made yet."""
        yield
        try:
            lane, attempts = self.router.lane, self.router.attempts()
            run, foreground = lane.run, bool(slot.foreground)
            for attempt in attempts:
                if rc is None:
                    target = lane.task_free(self.settings)
                    if foreground:
                        try:
                            lane.ready_for_foreground(target)
                        except GearmanConnectionError:
                            self._failed(lane, target)
                            if attempt == attempts[-1]:
                                raise
                            continue
                    rc = lib.gearman_cffi_submit(target, priority, foreground, name_c, unique_c, buffer, size,
                                                 slot, lane.uniques, SLICE_MS, run)  # fmt: skip
                try:
                    if run.idle_since_ms == 0:  # not added
                        raise error_from(rc, target)
                    unique_c = slot.unique  # a retry sends the same unique
                    while rc == IO_WAIT:
                        yield
                        self.owner.check_closing()
                        rc = lib.gearman_cffi_run_tasks(target, SLICE_MS, run)
                except BaseException:
                    if run.idle_since_ms != 0:
                        if foreground:
                            self._replace(lane, target)
                        else:
                            if type(buffer) is bytes:  # the slot keeps a pointer: one that lasts as long as the Task
                                buffer = slot.workload = ffi.from_buffer(buffer)
                            lane.adopt(Task(client, self, slot, name, priority, None), (name_c, buffer), target,
                                       self.settings)  # fmt: skip
                    raise
                if rc == SUCCESS and slot.released and slot.job_handle[0] != b"\0":
                    return slot
                error = error_from(lib.GEARMAN_UNKNOWN_STATE if rc == SUCCESS else rc, target)
                self._failed(lane, target)  # frees the C task with its C client
                if rc != _COULD_NOT_CONNECT or attempt == attempts[-1]:
                    raise error
                rc = None
            raise AssertionError("unreachable")
        finally:
            self.owner.leave()

    def on_task_free(self, body: Callable[[Any], Steps[T]]) -> Steps[T]:
        """Run ``body(c_client)`` on a C client with no task in flight; after a
        failure or an interrupt that C client is replaced (it may hold C tasks
        whose Python side is gone)."""
        self.owner.enter()
        try:
            lane = self.router.lane
            target = lane.task_free(self.settings)
            try:
                result = yield from body(target)
            except GearmanError:
                self._failed(lane, target)
                raise
            except BaseException:
                self._replace(lane, target)
                raise
            return result
        finally:
            self.owner.leave()

    def one_shot(self, call: Callable[..., int], *args: Any) -> None:
        """A C call that completes in one round trip, on a task-free C client."""

        def body(ptr: Any) -> Steps[None]:
            rc = call(ptr, *args)
            if rc != SUCCESS:
                raise error_from(rc, ptr)
            yield from ()

        wait(self.on_task_free(body))

    @contextmanager
    def throwaway(self, server: Server | None = None) -> Iterator[Any]:
        """A fresh C client for ``server`` (default: the current one), freed after."""
        with self.owner.locked():
            settings, server = self.settings, server or self.router.lane.server
        ptr = new_c_client(settings, server)
        try:
            yield ptr
        finally:
            lib.gearman_client_free(ptr)

    @property
    def servers(self) -> tuple[Server, ...]:
        return self.settings.servers

    def _failed(self, lane: Lane, c_client: Any) -> None:
        """After a failed call on ``c_client``: drop it, and move the main C
        client on to the next server (a failed side client alone with one server
        changes nothing else)."""
        if c_client is lane.side:
            lane.free_side()
            if len(self.router.servers) == 1:
                return
        self.router.move_on(self.settings)

    def _replace(self, lane: Lane, c_client: Any) -> None:
        if c_client is lane.side:
            lane.free_side()
        else:
            lane.replace(self.settings)

