"""Lane: one server's C clients and the tasks queued for it.

A lane holds the main C client (which runs batches), a task-free side client
made on demand for one-shot calls while the main one has tasks in flight, and
the queue of pending tasks in the order added.  Its methods are the steps the
operations in ``_core`` are made of; none of them waits longer than one slice.

Rules (each one a libgearman trap; see docs/traps.md):

* a C task is freed only once the server has created its job, by libgearman
  itself inside ``gearman_cffi_run_tasks`` (GEARMAN_CLIENT_FREE_TASKS for the
  run only), after C copied its outcome into the Task's slot;
* after a failed network call, or once a task was withdrawn from it, the main
  C client is replaced by a fresh one (libgearman leaves it out of step); the
  tasks still pending are added again by the next run, with the same uniques;
* one-shot calls never run on a C client with tasks in flight: libgearman
  would send those too and drop their job handles.
"""

from __future__ import annotations

import uuid
from collections.abc import Container
from typing import TYPE_CHECKING, Any, Callable

from ._libgearman import ffi, lib
from ._settings import Server, Settings, ask_for_exceptions, new_c_client
from ._wait import SLICE_MS as SLICE_MS
from .errors import GearmanConnectionError, error_from
from .task import drop, is_dropped, slot_of

if TYPE_CHECKING:
    from .task import Task

IO_WAIT = lib.GEARMAN_IO_WAIT
SUCCESS = lib.GEARMAN_SUCCESS


def new_uniques() -> Any:
    """A source of auto-assigned uniques: ``<first 24 characters of a uuid4><12 hex
    digits of a counter>``, 36 characters like libgearman's UUIDs, unique per job
    (libgearman's own costs a uuidd round trip or clock-file lock per job)."""
    source = ffi.new("gearman_cffi_uniques *")
    ffi.memmove(source.prefix, str(uuid.uuid4())[:24].encode("ascii"), 24)
    return source


class Lane:
    """One server: its C clients and its pending tasks."""

    def __init__(self, settings: Settings, server: Server) -> None:
        self.server = server
        self.ptr: Any = new_c_client(settings, server)
        self.side: Any = None  # task-free C client for one-shot calls, made on demand
        self.pending: list[Task] = []  # added, job not created yet, in order
        self.keep: list[Any] = []  # (name, workload) of each: C points into them
        self.flushed = 0  # pending[:flushed] are in the C client
        self.stale = False  # a task was withdrawn from the C client: replace it before the next run
        self.withdrawn = 0  # withdrawn tasks still in ``pending`` (removed by the next flush)
        self.uniques = new_uniques()
        self.foreground = False  # a foreground task was queued: the main C client must ask for exceptions
        self.asked: set[int] = set()  # addresses of this lane's C clients that asked for exceptions
        self.run = ffi.new("gearman_cffi_run *")
        #: ``do_background``'s C arguments (``_submit``): its slot is reused while jobs finish in one slice
        self.hot = ffi.new("gearman_cffi_hot *", [ffi.NULL, self.uniques, self.run, SLICE_MS])
        self.spare: Any = None
        self.handle: Any = None  # the spare slot's job_handle
        self.new_spare()
        self.ret = ffi.new("gearman_return_t *")

    # -- C clients ------------------------------------------------------------------
    def ready_for_foreground(self, ptr: Any, settings: Settings, check: Callable[[], None] | None = None) -> None:
        """Make sure ``ptr`` asked gearmand for exceptions (once per C client).
        Interrupted (a signal, ``check()``) or timed out, its answer may still
        come: that C client is dropped.  (The callers move on from a dead server.)"""
        address = int(ffi.cast("uintptr_t", ptr))
        if address not in self.asked:
            try:
                ask_for_exceptions(ptr, check)
            except GearmanConnectionError:
                raise
            except BaseException:
                if ptr is self.side:
                    self.free_side()
                elif ptr is self.ptr:
                    self.replace(settings)
                raise
            self.asked.add(address)

    def new_spare(self) -> Any:
        """Give the spare slot away (a job that needs more than one slice keeps
        it) and make a new one."""
        spare = self.spare
        self.spare = self.hot.slot = ffi.new("gearman_cffi_slot *")
        self.handle = self.spare.job_handle
        return spare

    def c_clients(self) -> list[Any]:
        return [p for p in (self.ptr, self.side) if p is not None]

    def task_free(self, settings: Settings) -> Any:
        """A C client with no task in flight: the main one, or the side one."""
        if not self.flushed:
            return self.ptr
        if self.side is None:
            self.side = new_c_client(settings, self.server)
        return self.side

    def free_side(self) -> None:
        side, self.side = self.side, None
        if side is not None:
            self.asked.discard(int(ffi.cast("uintptr_t", side)))
            lib.gearman_client_free(side)

    def replace(self, settings: Settings, server: Server | None = None) -> None:
        """A fresh main C client (on ``server`` if given); the pending tasks are
        added to it by the next run."""
        new = new_c_client(settings, server or self.server)
        old, self.ptr = self.ptr, new
        self.server = server or self.server
        self.flushed, self.stale = 0, False
        self.asked.discard(int(ffi.cast("uintptr_t", old)))
        lib.gearman_client_free(old)

    def free(self) -> None:
        """Free the C clients (frees every C task too); pending tasks are dropped."""
        self.drop_pending()
        self.free_side()
        ptr, self.ptr = self.ptr, None
        if ptr is not None:
            lib.gearman_client_free(ptr)

    def forget(self, settings: Settings) -> None:
        """In a forked child: drop (never free: their sockets are the parent's)
        the inherited C clients and tasks, and start afresh."""
        self.drop_pending()
        self.side = None
        self.asked = set()
        self.uniques = self.hot.uniques = new_uniques()  # the parent goes on counting from the same prefix
        if self.ptr is not None:
            self.ptr = new_c_client(settings, self.server)

    # -- the queue (Core.queue appends to ``pending`` and ``keep`` itself) --------------
    def drop_pending(self) -> None:
        for task in self.pending:
            drop(task)
        self.pending, self.keep, self.flushed, self.withdrawn = [], [], 0, 0

    def withdraw(self, task: Task) -> None:
        """Drop a task not yet created (``Task.free()``).  Marked now, removed at
        the next flush: O(1) however many tasks a batch withdraws."""
        drop(task)
        self.withdrawn += 1
        if slot_of(task).added and self.flushed:
            self.stale = True  # its C task may be in the C client: replace it before the next run

    def take_unsent(self, stay: Container[Task]) -> list[tuple[Task, Any]]:
        """Remove the pending tasks not in ``stay`` (and withdrawn ones) and
        return them with what they keep alive, to be queued on another lane.
        Only after ``replace``: none of them may be in the C client."""
        assert not self.flushed
        staying: list[tuple[Task, Any]] = []
        moving: list[tuple[Task, Any]] = []
        for pair in zip(self.pending, self.keep):
            if not is_dropped(pair[0]):
                (staying if pair[0] in stay else moving).append(pair)
        self.pending, self.keep = [t for t, _ in staying], [k for _, k in staying]
        self.withdrawn = 0
        return moving

    def live_pending(self) -> list[Task]:
        return [t for t in self.pending if not is_dropped(t)]

    def flush(self, settings: Settings, check: Callable[[], None] | None = None) -> None:
        """Add the tasks queued since the last run to the C client, in order, in
        one C call (one GIL release per batch, not per task); ``check``: see
        :meth:`ready_for_foreground`."""
        if self.stale:
            self.replace(settings)
        if self.withdrawn:  # none of them is in the C client now (stale replaced it)
            pairs = [(t, k) for t, k in zip(self.pending, self.keep) if not is_dropped(t)]
            self.pending, self.keep = [t for t, _ in pairs], [k for _, k in pairs]
            self.withdrawn = 0
        count = len(self.pending) - self.flushed
        if count and self.foreground:
            self.ready_for_foreground(self.ptr, settings, check)
        if count:
            slots = ffi.new("gearman_cffi_slot *[]", [kept[0] for kept in self.keep[self.flushed :]])
            added = lib.gearman_cffi_add_tasks(self.ptr, slots, count, self.uniques, self.ret)
            self.flushed += added
            if added < count:
                raise error_from(self.ret[0], self.ptr)

    # -- running --------------------------------------------------------------------
    def start_run(self, slice_ms: int = SLICE_MS) -> int:
        self.run.idle_since_ms = 0
        self.run.wait_count = 0
        return self.run_slice(slice_ms)

    def run_slice(self, slice_ms: int = SLICE_MS) -> int:
        """One slice of ``gearman_client_run_tasks`` on the main C client (0: no
        wait, only what the sockets allow now; on IO_WAIT ``run.wait_*`` say what
        libgearman would wait for)."""
        return lib.gearman_cffi_run_tasks(self.ptr, slice_ms, self.run)  # type: ignore[no-any-return]

    def waits(self) -> tuple[int, list[tuple[int, int]], int]:
        """After a slice of 0 returned IO_WAIT: (count, [(fd, poll events)],
        ms left before the client's timeout or -1); count -1: unknown, call again soon."""
        run = self.run
        count = run.wait_count
        if count <= 0:
            return count, [], -1
        return count, [(run.wait_fd[i], run.wait_events[i]) for i in range(count)], run.wait_ms

    def asked_for_exceptions(self) -> bool:
        """Has the main C client asked for exceptions (or has it no foreground task)?"""
        return not self.foreground or int(ffi.cast("uintptr_t", self.ptr)) in self.asked

    def all_created(self) -> bool:
        return self.run.created == len(self.pending) and not self.stale

    def settle(self) -> bool:
        """Drop the pending tasks the run is done with: a background job created,
        a foreground job completed or failed.  True if a C task ended without a
        job (freed by libgearman) or a background one is not done with despite
        a handle (a callback stopped the run): only a fresh C client is safe
        then.  A foreground job still running stays pending (a re-sent one
        joins it: same unique)."""
        flushed = self.flushed
        tasks, keep, lost = [], [], False
        for task, kept in zip(self.pending[:flushed], self.keep[:flushed]):
            slot = kept[0]
            if slot.job_handle[0] != b"\0" and (slot.released or not slot.foreground):
                lost = lost or not slot.released
            else:
                lost = lost or bool(slot.released)
                tasks.append(task)
                keep.append(kept)
        self.pending = tasks + self.pending[flushed:]
        self.keep = keep + self.keep[flushed:]
        self.flushed = len(tasks)
        return lost

    def after_run(self, rc: int, settings: Settings) -> None:
        """Drop the tasks whose job now exists; on failure, or if a C task ended
        without a job, replace the C client (the rest are added to it by the next
        run) and raise the failure (the caller moves on to the next server)."""
        if rc == SUCCESS and self.all_created():
            self.pending, self.keep, self.flushed = [], [], 0  # the usual case: every job created
            return
        lost = self.settle()
        if rc != SUCCESS:
            raise error_from(rc, self.ptr)
        if lost or self.stale:
            self.replace(settings)

    def adopt(self, task: Task, keep: Any, c_client: Any, settings: Settings) -> None:
        """Keep an interrupted one-shot submission as a pending task, after the
        tasks added before it.  Alone on the main C client it stays in step (its
        JOB_CREATED is still to come); otherwise its C client is dropped and it
        is queued again with the same unique, which its slot holds."""
        if c_client is self.side:
            self.free_side()
        if keep[0].job_handle[0] != b"\0":  # created before the interrupt: nothing to collect
            return
        if c_client is self.ptr:
            if not self.pending:  # the C client's only task: it stays in step
                self.flushed = 1
            else:  # queued tasks were added before it: keep that order
                self.replace(settings)
        self.pending.append(task)
        self.keep.append(keep)
