"""Waiting: the blocking driver of the core's steps.

An operation (``_core.Steps``) does its C calls and yields between wait slices
of at most ``_lane.SLICE_MS``; this driver simply resumes it, so Python runs
signal handlers (Ctrl-C) in between.  Whatever interrupts the wait, the
operation is closed in place, which runs its own clean-up.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TypeVar

T = TypeVar("T")


def wait(steps: Generator[None, None, T]) -> T:
    """Drive ``steps`` to the end in this thread; return its result."""
    try:
        while True:
            next(steps)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        steps.close()
