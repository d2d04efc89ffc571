"""Waiting: the blocking driver of the core's steps, and interruptible C calls.

An operation (``_core.Steps``) does its C calls and yields between wait slices
of at most :data:`SLICE_MS`; this driver simply resumes it, so Python runs
signal handlers (Ctrl-C) in between.  Whatever interrupts the wait, the
operation is closed in place, which runs its own clean-up.

A few libgearman calls loop inside C until the answer comes (echo, unique
status, ``gearman_execute``, asking for exceptions) and retry ``poll()`` on
EINTR, so they cannot be cut into steps.  :func:`interruptible` runs such a
call with libgearman's ``poll()`` cut into slices instead (``include/sockets.c``):
after each empty slice C calls back into Python, where signal handlers run and
``check`` (the owner's ``check_closing``) may raise; the exception is stored,
the C call fails, and it is raised in place of the C call's error.  Where the
poll hook is not installed (not ELF Linux) the call blocks as before.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Callable, TypeVar

from ._libgearman import lib
from .callbacks import extern, reraise_stored, store

T = TypeVar("T")

#: The longest single wait inside libgearman; signals are handled in between.
SLICE_MS = 100


def wait(steps: Generator[None, None, T]) -> T:
    """Drive ``steps`` to the end in this thread; return its result."""
    try:
        while True:
            next(steps)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        steps.close()


class _Checks(threading.local):
    """What the C call running interruptibly in this thread checks between slices."""

    check: Callable[[], None] | None = None


_checks = _Checks()


def _stop(exception: type[BaseException], value: BaseException, traceback: object) -> int:
    """The callback raised (a signal handler's exception, close()): keep it for
    :func:`interruptible` to raise, and stop the C call."""
    store(value)
    return 1


@extern(onerror=_stop)
def _gearman_cffi_between_slices() -> int:
    # (the eval loop has run any pending signal handler on entry)
    check = _checks.check
    if check is not None:
        check()
    return 0


@contextmanager
def interruptible(check: Callable[[], None] | None = None) -> Iterator[None]:
    """Run the C call in the body so that a signal handler's exception, or one
    from ``check()``, stops it and is raised instead of the C call's own error.
    The C client is then in an unknown state: the caller replaces it."""
    if lib.gearman_cffi_poll_state() <= 0:  # no poll hook: the call blocks as before
        yield
        return
    outer = _checks.check
    _checks.check = check
    previous = lib.gearman_cffi_poll_slices(SLICE_MS)
    try:
        with reraise_stored():
            yield
    finally:
        lib.gearman_cffi_poll_slices(previous)
        _checks.check = outer
