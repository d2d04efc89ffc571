"""Core: a Client's C clients, settings and queue, and its operations as steps.

An operation (run the batch, submit one job, ask a status) is a generator that
does its C calls and yields between wait slices; how one waits for the next
slice is the driver's business (``_wait.wait`` blocks; ``_aio_wait.drive``
runs the same steps on an event loop with slices of 0, watching what
:meth:`Core.waits` names).  Every operation goes through the
:class:`~gearman_cffi._owner.Owner` (lock, fork, close, re-entrancy) and the
router (which lane, which server next); each is written once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from . import callbacks as _callbacks
from ._bulk import BulkSubmitting
from ._lane import IO_WAIT, SLICE_MS, SUCCESS, Lane
from ._libgearman import lib
from ._owner import Owner
from ._router import Failover
from ._settings import Server, Settings, check_servers, configure, new_c_client
from ._spread import Spread
from ._submit import Steps as Steps
from ._submit import Submitting
from ._wait import interruptible, wait
from .errors import ClientClosedError, GearmanConnectionError, GearmanError, error_from
from .task import Task, bind_callbacks, is_dropped

if TYPE_CHECKING:
    pass

T = TypeVar("T")

_COULD_NOT_CONNECT = lib.GEARMAN_COULD_NOT_CONNECT


class Core(Submitting, BulkSubmitting):
    """The C side of one Client, used through its methods only (submitting one
    job: :class:`~gearman_cffi._submit.Submitting`; many for one function:
    :class:`~gearman_cffi._bulk.BulkSubmitting`)."""

    def __init__(self, settings: Settings, index: int = 0, *, spread: bool = False) -> None:
        self.owner = Owner(self._forget_parent, ClientClosedError, "Client")
        if index == 0:
            check_servers(settings.servers)
        self.settings = settings
        #: Failover: one server at a time; Spread: every server, by the unique (_spread.py)
        self.router: Failover | Spread = Spread(settings) if spread else Failover(settings, index)

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
            return Core(self.settings, self.router.index, spread=self.spread)

    @property
    def spread(self) -> bool:
        return isinstance(self.router, Spread)

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
    def queue(self, task: Task, keep: Any, unique: Any = ..., foreground: bool = False) -> None:
        """Queue a task on its lane (the per-task hot path of a batch: kept flat).
        ``unique``: its explicit unique as bytes, or None, when the caller has it
        (the spreading router then need not read it from the slot)."""
        owner, router = self.owner, self.router
        owner.enter()
        try:
            if self.settings.trampolines:
                bind_callbacks(task, self.settings.callbacks)
            if router.single:
                lane = router.lane
            else:
                lane = router.lane_for(task) if unique is ... else router.lane_for_unique(unique)
            if foreground:  # its lane's C client asks for exceptions before the next run
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
                lane.flush(self.settings, self.owner.check_closing)

    def withdraw(self, task: Task) -> None:
        with self.owner.locked():
            if not is_dropped(task):
                self.router.holder(task).withdraw(task)

    def pending(self) -> list[Task]:
        if self.owner.closed:
            return []
        with self.owner.locked():
            return [t for lane in self.router.lanes for t in lane.live_pending()]

    # -- operations -------------------------------------------------------------------
    def run_tasks(self, slice_ms: int = SLICE_MS) -> Steps[None]:
        """Send every pending task and wait until the server created each job;
        on failure the tasks not created stay pending (a retry sends them again
        with the same uniques).  ``slice_ms`` 0: never wait in C; after each
        yield :meth:`waits` says what to wait for (the asyncio driver)."""
        self.owner.enter()
        try:
            for lane in self.router.lanes:
                lane.run.wait_count = 0  # (an interrupted run's capture is stale)
            with _callbacks.reraise_stored():
                if isinstance(self.router, Spread):  # every lane at once
                    yield from self.router.run(self.settings, self.owner.check_closing, slice_ms)
                    return
                lane, attempts = self.router.lane, self.router.attempts()
                for attempt in attempts:
                    try:
                        lane.flush(self.settings, self.owner.check_closing)
                    except GearmanConnectionError:  # asking for exceptions found the server down
                        self.router.move_on(self.settings)
                        if attempt == attempts[-1]:
                            raise
                        continue
                    try:
                        rc = lane.start_run(slice_ms)
                        while rc == IO_WAIT:
                            yield
                            self.owner.check_closing()
                            rc = lane.run_slice(slice_ms)
                    except BaseException:  # Ctrl-C, close(): keep the handles already received
                        lane.after_run(SUCCESS, self.settings)
                        raise
                    if self.owner.forked:  # a callback forked: the C clients are the parent's, never free them
                        return  # (the callback's RuntimeError is raised; the next call starts afresh)
                    try:
                        lane.after_run(rc, self.settings)
                        return
                    except GearmanError:
                        self.router.move_on(self.settings)
                        if rc != _COULD_NOT_CONNECT or attempt == attempts[-1]:
                            raise
        finally:
            self.owner.leave()

    def waits(self) -> tuple[list[tuple[int, int]], float]:
        """What a run with slices of 0 waits for after its last yield: the
        (fd, poll events) pairs and the seconds before the next step is due
        (the client's timeout; a short retry if a descriptor is unknown; -1:
        none).  No lock: only the thread driving the run (which holds it) calls this."""
        fds: list[tuple[int, int]] = []
        due = -1.0
        for lane in self.router.lanes:
            count, pairs, wait_ms = lane.waits()
            if count < 0:
                return fds, 0.001
            fds += pairs
            if count and wait_ms >= 0 and (due < 0 or wait_ms / 1000 < due):
                due = wait_ms / 1000
        return fds, due

    def finished(self) -> int:
        """Tasks the runs in progress are done with so far (no lock, as for :meth:`waits`)."""
        return sum(lane.run.created + lane.run.failed for lane in self.router.lanes)

    def asked_for_exceptions(self) -> bool:
        """False if a run's flush would first ask gearmand for exceptions (a
        blocking round trip: the asyncio driver does that step in a thread).
        No lock, as for :meth:`waits`."""
        return all(lane.asked_for_exceptions() for lane in self.router.lanes if lane.ptr is not None)

    def on_task_free(self, body: Callable[[Any], Steps[T]], unique: Any = ...) -> Steps[T]:
        """Run ``body(c_client)`` on a C client with no task in flight; after a
        failure or an interrupt that C client is replaced (it may hold C tasks
        whose Python side is gone).  A job submission passes its ``unique``
        (bytes or NULL): the spreading router picks the server by it."""
        self.owner.enter()
        try:
            lane = self.router.lane if unique is ... else self.router.lane_for_unique(unique)
            target = lane.task_free(self.settings)
            try:
                result = yield from self.closable(body(target))
            except GearmanError:
                self._failed(lane, target)
                raise
            except BaseException:
                self._replace(lane, target)
                raise
            return result
        finally:
            self.owner.leave()

    def closable(self, steps: Steps[T]) -> Steps[T]:
        """``steps``, stopped at its next slice by ``close()`` from another thread."""
        try:
            while True:
                next(steps)
                yield
                self.owner.check_closing()
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        finally:
            steps.close()

    def one_shot(self, call: Callable[..., int], *args: Any) -> None:
        """A C call that completes in one round trip, on a task-free C client
        (it loops inside libgearman: run interruptibly)."""

        def body(ptr: Any) -> Steps[None]:
            with interruptible(self.owner.check_closing):
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

    def servers_of(self, handles: list[bytes]) -> dict[bytes, list[Server]]:
        """The servers that returned each remembered handle (newest first)."""
        with self.owner.locked():
            return self.router.servers_of(handles)

    def servers_for_unique(self, unique: bytes) -> list[Server]:
        """Every server, the likeliest holder of a job with ``unique`` first."""
        with self.owner.locked():
            return self.router.servers_for_unique(unique)

    def _failed(self, lane: Lane, c_client: Any) -> None:
        """After a failed call on ``c_client``: drop it, and move the main C
        client on to the next server (a failed side client alone with one server
        changes nothing else)."""
        if c_client is lane.side:
            lane.free_side()
            if len(self.router.servers) == 1:
                return
        self.router.move_on(self.settings, lane)

    def _replace(self, lane: Lane, c_client: Any) -> None:
        if c_client is lane.side:
            lane.free_side()
        else:
            lane.replace(self.settings)
