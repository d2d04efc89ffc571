"""The asyncio client's rounds: everything awaited since the last run, sent as one.

Each kind of work of an ``aio.Client`` (background jobs; foreground jobs, whose
runs last as long as the workers take) has a :class:`Rounds`: a blocking
:class:`~gearman_cffi.Client` used as a store of C clients and tasks (never as
a waiter), the requests queued since its last round, and one asyncio task
that runs rounds while there are requests.  A round adds every request's
tasks to that client and drives ONE run of the core's steps on the event loop
(``_aio_wait.drive``): N concurrent awaits cost one flush, one run and no
thread hop.  Requests made during a run go in the next round.
"""

from __future__ import annotations

import asyncio
import collections
import copy
from types import GeneratorType
from typing import Any, Callable

from . import _arguments as arg
from ._aio_wait import drive
from ._libgearman import ffi
from ._owner import Forks
from ._submit import handle_of
from .client import Client, core_of
from .errors import ClientClosedError, GearmanError
from .task import Priority


def submit_steps(driver: Client, priority: Priority, function_name: object, workload: object, unique: object
                 ) -> Any:  # fmt: skip
    """``do_background`` with slices of 0: the slot if one C call did it, else the steps."""
    name, name_c = arg.cached_name(function_name)
    unique_c = ffi.NULL if unique is None else arg.unique(unique)
    buffer, size = arg.quick_workload(workload)
    return core_of(driver).submit(driver, ffi.new("gearman_cffi_slot *"), priority, name, name_c, unique_c, buffer,
                                  size, slice_ms=0)  # fmt: skip

class Abandoned(Exception):
    """Every coroutine waiting on a round is gone: the run stops."""


class Request:
    """One awaited operation.  ``add(driver)`` before the round's run (adds
    tasks); ``finish(driver, error)`` after it, or as soon as ``done()``:
    returns the value or raises, and withdraws any of its tasks the run did
    not finish."""

    __slots__ = ("future",)

    def __init__(self, future: asyncio.Future[Any]) -> None:
        self.future = future

    def add(self, driver: Client) -> None:
        raise NotImplementedError

    def done(self) -> bool:
        """Finished before the run's end (a foreground job completed)."""
        return False

    def finish(self, driver: Client, error: BaseException | None) -> Any:
        raise NotImplementedError


def fresh(error: BaseException) -> BaseException:
    """A copy to raise in one coroutine (one run's error goes to many)."""
    if isinstance(error, GearmanError):
        try:
            return copy.copy(error)
        except Exception:  # pragma: no cover - a GearmanError subclass that cannot be copied
            return error
    return error


def _settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if not future.done():
        if error is None:
            future.set_result(value)
        else:
            future.set_exception(error)


class Rounds:
    """One kind of work of an aio Client (see the module's docstring)."""

    def __init__(self, make: Callable[[], Client], foreground: bool) -> None:
        self.make = make  # makes the blocking client on first use (no network: C clients connect on first run)
        self.foreground = foreground
        self.driver: Client | None = None
        self.requests: list[Request] = []
        self.runner: asyncio.Task[None] | None = None
        self.closed = False
        self.generation = Forks.generation
        self.busy = False  # a job sent on its own (:meth:`alone`) is in flight
        self.busy_loop: asyncio.AbstractEventLoop | None = None
        self.closing: asyncio.Future[None] | None = None  # ends that job's wait when close() is called
        #: the task whose job went alone in this turn of the loop (None: none did)
        self.last: asyncio.Task[Any] | None = None

    def idle(self) -> bool:
        """No round, no queue, no job alone in flight, and no other coroutine
        sent one alone in this turn of the loop (coroutines started together,
        as by ``gather``, then share one round): a job may go at once."""
        return (not self.busy and self.runner is None and not self.requests and not self.closed
                and (self.last is None or self.last is asyncio.current_task())
                and self.generation == Forks.generation)  # fmt: skip

    def _next_turn(self) -> None:
        self.last = None

    async def alone(self, priority: Priority, function_name: object, workload: object, unique: object) -> str:
        """One background job on an idle client, sent at once with no round
        (a single await costs little more than the blocking call).  Jobs awaited
        meanwhile queue and go together in one round once it is done."""
        if self.driver is None:
            self.driver = self.make()
        driver = self.driver
        loop = asyncio.get_running_loop()
        self.busy, self.busy_loop = True, loop
        try:
            slot = submit_steps(driver, priority, function_name, workload, unique)
            if type(slot) is GeneratorType:
                self.closing = loop.create_future()
                slot = await drive(slot, lambda: core_of(driver).waits(), after_step=self._check_open,
                                   wake=self.closing)  # fmt: skip
            elif self.last is None:  # done in one C call: the coroutines started with this one queue theirs
                self.last = asyncio.current_task()
                loop.call_soon(self._next_turn)
            return handle_of(slot)
        finally:
            self.busy, self.closing = False, None
            if self.requests and self.runner is None and not self.closed:
                self.runner = loop.create_task(self._rounds())

    def _check_open(self) -> None:
        if self.closed:
            raise ClientClosedError()

    def put(self, request: Request) -> None:
        if self.closed:
            raise ClientClosedError()
        if self.generation != Forks.generation:  # a forked child: the parent's round is not ours
            self.generation, self.runner, self.requests = Forks.generation, None, []
        loop = asyncio.get_running_loop()
        if self.runner is not None and (self.runner.done() or self.runner.get_loop() is not loop):
            self.runner = None  # (a loop closed with its tasks still pending)
        if self.busy and self.busy_loop is not loop:
            self.busy = False
        self.requests.append(request)
        if self.runner is None and not self.busy:
            self.runner = loop.create_task(self._rounds())

    async def close(self) -> None:
        """Stop the round in progress (its waiters get ClientClosedError), fail
        the requests queued, free the C clients."""
        self.closed = True
        if self.closing is not None and not self.closing.done():
            self.closing.set_result(None)
        for _ in range(1000):  # the job alone stops at its next step (a C call that never waits)
            if not self.busy:
                break
            await asyncio.sleep(0)
        runner = self.runner
        if runner is not None and runner.get_loop() is asyncio.get_running_loop() and not runner.done():
            runner.cancel()
            try:
                await runner
            except asyncio.CancelledError:
                pass
        self.drop()

    def drop(self) -> None:
        """What close() does without awaiting (garbage collection)."""
        self.closed = True
        requests, self.requests = self.requests, []
        for request in requests:
            _settle(request.future, None, ClientClosedError())
        if self.driver is not None:
            self.driver.close()

    async def _rounds(self) -> None:
        try:
            while self.requests:
                batch, self.requests = self.requests, []
                await self._round(batch)
        finally:
            self.runner = None

    async def _round(self, batch: list[Request]) -> None:
        live = [r for r in batch if not r.future.cancelled()]  # cancelled before it was sent: dropped
        if not live:
            return
        try:
            if self.driver is None:
                self.driver = self.make()
            driver = self.driver
        except Exception as failure:  # no coroutine waits for ever
            for request in live:
                _settle(request.future, None, fresh(failure))
            return
        added: list[Request] = []
        for request in live:
            try:
                request.add(driver)
            except Exception as failure:  # a closed client: this request alone fails
                _settle(request.future, None, failure)
                continue
            added.append(request)
        if not added:
            return
        error: BaseException | None = None
        try:
            await self._run(driver, added)
        except asyncio.CancelledError:
            error = ClientClosedError() if self.closed else None
            self._finish(driver, added, error or Abandoned(), cancel=error is None)
            raise
        except Exception as failure:
            error = failure
        self._finish(driver, added, error)

    async def _run(self, driver: Client, added: list[Request]) -> None:
        foreground = self.foreground
        waiting = collections.deque(added)
        seen = 0

        def after_step() -> None:
            nonlocal seen, waiting
            if foreground and core_of(driver).finished() != seen:  # resolve each job as it completes
                count = core_of(driver).finished()
                new, seen = count - seen, count
                # libgearman sends a run's tasks newest first, so they usually finish from the end
                for pop, end in ((waiting.pop, -1), (waiting.popleft, 0)):
                    while waiting and (waiting[end].future.done() or waiting[end].done()):
                        request = pop()
                        if not request.future.done():
                            self._finish(driver, [request], None)
                            new -= 1
                if new > 0:  # some finished out of order: look further, until each is found
                    for request in waiting:
                        if not request.future.done() and request.done():
                            self._finish(driver, [request], None)
                            new -= 1
                            if not new:
                                break
                    waiting = collections.deque(r for r in waiting if not r.future.done())
            if not left:  # every waiter cancelled (or answered): stop the run
                raise Abandoned()

        def in_thread() -> bool:
            return foreground and not core_of(driver).asked_for_exceptions()

        # Wake the run when its last waiter is gone (cancelled), or it would wait on for nobody.
        gone = asyncio.get_running_loop().create_future()
        left = len(added)

        def one_less(_: asyncio.Future[Any]) -> None:
            nonlocal left
            left -= 1
            if not left and not gone.done():
                gone.set_result(None)

        for request in added:
            request.future.add_done_callback(one_less)
        try:
            await drive(core_of(driver).run_tasks(0), lambda: core_of(driver).waits(), in_thread=in_thread,
                        after_step=after_step, wake=gone)  # fmt: skip
        except Abandoned:
            pass  # (the tasks not finished are withdrawn by their requests)
        finally:
            for request in added:
                request.future.remove_done_callback(one_less)

    @staticmethod
    def _finish(driver: Client, requests: list[Request], error: BaseException | None, cancel: bool = False) -> None:
        for request in requests:
            try:
                value = request.finish(driver, error)
            except BaseException as failure:  # (cancel: the loop is going away; nobody waits)
                if cancel:
                    request.future.cancel()
                else:
                    _settle(request.future, None, fresh(failure))
                continue
            _settle(request.future, value, None)


__all__ = ["Abandoned", "Request", "Rounds", "fresh"]
