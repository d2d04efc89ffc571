"""The asyncio client's I/O thread: a blocking Client driven round by round.

libgearman exposes no file descriptor to watch, so no libgearman wait can run
on the event loop.  Each :class:`IOThread` owns one blocking
:class:`~gearman_cffi.Client` (its own C clients and connection) and a queue.
A *round* takes everything queued since the last one, adds it to that client
as tasks, drives the core's run steps slice by slice (at most 100 ms each, so
closing and cancellation are seen between slices), and hands every outcome to
the event loop in ONE ``call_soon_threadsafe`` per loop: N concurrent awaits
cost one flush, one run and one wake-up of the loop.  See docs/aio.md.
"""

from __future__ import annotations

import asyncio
import copy
import queue
import threading
from typing import Any, Callable

from ._core import Steps
from ._owner import Forks
from .client import Client as _Blocking
from .errors import ClientClosedError, GearmanError

#: (future, value, exception): what the loop sets on each future.
Outcome = tuple["asyncio.Future[Any]", Any, "BaseException | None"]


class Driver(_Blocking):
    """The blocking Client, plus the core's run steps: the I/O thread drives
    them itself, so it can stop a run between slices."""

    def run_steps(self) -> Steps[None]:
        return self._core.run_tasks()


class Abandoned(Exception):
    """Every coroutine waiting on a round was cancelled: the round stops."""


class Request:
    """One awaited operation.  ``add(driver)`` runs in the I/O thread before the
    round's run (adds tasks); ``finish(error)`` after it: returns the value or
    raises, and withdraws any of its tasks the run did not finish."""

    __slots__ = ("future",)
    has_tasks = False  # whether ``add`` adds tasks (a round with none has no run)

    def __init__(self, future: asyncio.Future[Any]) -> None:
        self.future = future

    def add(self, driver: Driver) -> None:
        pass

    def finish(self, driver: Driver, error: BaseException | None) -> Any:
        raise NotImplementedError


def fresh(error: BaseException) -> BaseException:
    """A copy of ``error`` for each future: one instance raised in many
    coroutines would pile all their tracebacks onto it."""
    try:
        return copy.copy(error)
    except Exception:  # an exception class that cannot be rebuilt from its args
        return error


class IOThread:
    """One thread, one blocking client, one queue of requests."""

    def __init__(self, make_driver: Callable[[], Driver], name: str) -> None:
        self._make_driver = make_driver
        self.driver: Driver | None = None  # made by the thread itself: making one may wait on the network
        self.generation = Forks.generation  # a forked child has no such thread: the client makes a new one
        self._lock = threading.Lock()
        self._bell: queue.SimpleQueue[None] = queue.SimpleQueue()  # rung when idle (cheaper than a Condition)
        self._requests: list[Request] = []
        self._idle = False
        self._closing = False
        self._exited = False
        self._on_exit: list[asyncio.Future[None]] = []
        self.thread = threading.Thread(target=self._main, name=name, daemon=True)
        self.thread.start()

    # -- from the event loop ----------------------------------------------------
    def put(self, request: Request) -> None:
        with self._lock:
            if self._closing:
                raise ClientClosedError()
            self._requests.append(request)
            if self._idle:
                self._idle = False
                self._bell.put(None)

    def close_soon(self, exited: asyncio.Future[None] | None = None) -> bool:
        """Ask the thread to stop (a round in progress stops at its next slice);
        ``exited`` is resolved once it has freed its C clients.  False if it
        already has."""
        with self._lock:
            self._closing = True
            if self._idle:
                self._idle = False
                self._bell.put(None)
            if self._exited:
                return False
            if exited is not None:
                self._on_exit.append(exited)
            return True

    # -- in the I/O thread ---------------------------------------------------------
    def _main(self) -> None:
        try:
            while True:
                with self._lock:
                    batch, self._requests = self._requests, []
                    closing = self._closing
                    idle = self._idle = not batch and not closing
                if idle:
                    self._bell.get()  # put() or close_soon() rings it once, and clears _idle
                    continue
                if closing:  # queued, never sent: dropped
                    self._deliver([(r.future, None, ClientClosedError()) for r in batch])
                    return
                try:
                    if self.driver is None:  # on first use, and again after a failure to make it
                        self.driver = self._make_driver()
                    self._round(self.driver, batch)
                except Exception as error:  # no client to be had, or a bug: no coroutine waits for ever
                    self._deliver([(r.future, None, fresh(error)) for r in batch])
        finally:
            if self.driver is not None:
                self.driver.close()
            with self._lock:
                self._exited = True
                waiting, self._on_exit = self._on_exit, []
            for future in waiting:
                _call_soon(future, (future, None, None))

    def _round(self, driver: Driver, batch: list[Request]) -> None:
        live = [r for r in batch if not r.future.cancelled()]  # cancelled before it was sent: dropped
        added: list[Request] = []
        outcomes: list[Outcome] = []
        for request in live:
            try:
                request.add(driver)
            except BaseException as failure:  # a closed client: this request alone fails
                outcomes.append((request.future, None, failure))
                continue
            added.append(request)
        error = self._run(driver, added) if any(r.has_tasks for r in added) else None
        for request in added:
            try:
                outcomes.append((request.future, request.finish(driver, error), None))
            except BaseException as failure:
                outcomes.append((request.future, None, fresh(failure)))
        self._deliver(outcomes)

    def _run(self, driver: Driver, added: list[Request]) -> BaseException | None:
        """Drive one run of the driver's pending tasks; the error that ended it, if any."""
        steps = driver.run_steps()
        try:
            for _ in steps:
                if self._closing:
                    return ClientClosedError()
                if all(r.future.cancelled() for r in added):
                    return Abandoned()
        except Exception as error:
            return error
        finally:
            steps.close()  # an interrupted run keeps the job handles already received
        return None

    @staticmethod
    def _deliver(outcomes: list[Outcome]) -> None:
        """One ``call_soon_threadsafe`` per event loop for the whole round."""
        by_loop: dict[asyncio.AbstractEventLoop, list[Outcome]] = {}
        for outcome in outcomes:
            by_loop.setdefault(outcome[0].get_loop(), []).append(outcome)
        for loop, group in by_loop.items():
            try:
                loop.call_soon_threadsafe(_resolve, group)
            except RuntimeError:  # that loop is closed: nobody waits any more
                pass


def _call_soon(future: asyncio.Future[Any], outcome: Outcome) -> None:
    try:
        future.get_loop().call_soon_threadsafe(_resolve, [outcome])
    except RuntimeError:
        pass


def _resolve(outcomes: list[Outcome]) -> None:
    """On the event loop: set each future not cancelled meanwhile."""
    for future, value, error in outcomes:
        if future.done():
            continue
        if error is None:
            future.set_result(value)
        else:
            future.set_exception(error)


__all__ = ["Abandoned", "Driver", "GearmanError", "IOThread", "Request", "fresh"]
