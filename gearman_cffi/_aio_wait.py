"""Waiting on an event loop: the asyncio driver of the core's steps.

``_wait.wait`` drives an operation's steps by blocking in C, a slice at a
time.  :func:`drive` drives the same steps with slices of 0: a step never
waits; when libgearman would wait, its ``poll()`` is captured (the poll hook in
``include/sockets.c``) and the step yields.  The driver then asks what the
run waits for (descriptors and poll events, the time left before the
client's timeout), has the event loop watch exactly that, and takes the next
step when one is ready.  psycopg 3's generators and waiting modules are the
model: the same steps, a blocking or an async wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any, Callable, TypeVar

T = TypeVar("T")

POLLIN, POLLOUT = 0x001, 0x004  # <poll.h>, the same on every Linux and BSD


Waits = Callable[[], "tuple[list[tuple[int, int]], float]"]


async def drive(steps: Generator[None, None, T], waits: Waits, *, in_thread: Callable[[], bool] | None = None,
                after_step: Callable[[], None] | None = None, wake: asyncio.Future[Any] | None = None
                ) -> T:  # fmt: skip
    """Drive ``steps`` to the end on the running loop; return its result.

    ``waits()``: what to wait for after a step (see ``client.waits``).
    ``in_thread()``: True if the next step may block (it then runs in the
    loop's default executor; cancelling waits for it to end).
    ``after_step()``: called after each step (it may raise to stop the run).
    ``wake``: a future whose end also ends a wait (then a step is taken).
    However it ends, the steps are closed in place, which runs their clean-up."""
    loop = asyncio.get_running_loop()
    try:
        while True:
            if in_thread is not None and in_thread():
                done, value = await _in_executor(loop, steps)
                if done:
                    return value  # type: ignore[no-any-return]
            else:
                try:
                    next(steps)
                except StopIteration as end:
                    return end.value  # type: ignore[no-any-return]
            if after_step is not None:
                after_step()
            fds, due = waits()
            await ready(loop, fds, due, wake)
    finally:
        steps.close()


def _step(steps: Generator[None, None, Any]) -> tuple[bool, Any]:
    try:
        next(steps)
    except StopIteration as end:  # (a future cannot carry StopIteration)
        return True, end.value
    return False, None


async def _in_executor(loop: asyncio.AbstractEventLoop, steps: Generator[None, None, Any]) -> tuple[bool, Any]:
    future = loop.run_in_executor(None, _step, steps)
    cancelled = False
    while True:
        try:
            result = await asyncio.shield(future)
            break
        except asyncio.CancelledError:
            if future.done():
                raise
            cancelled = True  # the step cannot be stopped: wait for it, then give up
    if cancelled:
        raise asyncio.CancelledError()
    return result


async def ready(loop: asyncio.AbstractEventLoop, fds: list[tuple[int, int]], due: float,
                wake_on: asyncio.Future[Any] | None = None) -> None:  # fmt: skip
    """Until one of ``fds`` is ready for what its events ask, or ``due``
    seconds passed (-1: no limit).  Registrations are made per wait, not kept:
    libgearman may close a descriptor and reuse its number between steps."""
    waiter = loop.create_future()

    def wake(*_: object) -> None:
        if not waiter.done():
            waiter.set_result(None)

    if wake_on is not None:
        if wake_on.done():
            return
        wake_on.add_done_callback(wake)

    readers: list[int] = []
    writers: list[int] = []
    timer = None
    try:
        for fd, events in fds:
            if events & POLLIN:
                loop.add_reader(fd, wake)
                readers.append(fd)
            if events & POLLOUT:
                loop.add_writer(fd, wake)
                writers.append(fd)
        if due >= 0 or not (readers or writers):
            timer = loop.call_later(max(due, 0.001), wake)
        await waiter
    finally:
        for fd in readers:
            loop.remove_reader(fd)
        for fd in writers:
            loop.remove_writer(fd)
        if timer is not None:
            timer.cancel()
        if wake_on is not None:
            wake_on.remove_done_callback(wake)


__all__ = ["drive", "ready"]
