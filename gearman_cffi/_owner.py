"""Owner: what every Python object holding a libgearman handle needs.

A ``gearman_client_st`` or ``gearman_worker_st`` is not thread-safe, must not
be touched by a forked child (its sockets are the parent's) and must not be
re-entered from one of its own callbacks (the thread running them holds the
lock).  An :class:`Owner` keeps those rules for one Python object: a lock, the
fork generation the handles belong to, the closed and closing state, and the
re-entrancy check.  The Client's core and the Worker both use it; neither
reads the other's fields.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Callable

from .errors import GearmanError


class Forks:
    """Counts fork()s in this process's lineage: handles made in generation g and
    used in a later one are in a forked child (cheaper than getpid() per call)."""

    generation = 0

    @classmethod
    def after_in_child(cls) -> None:
        cls.generation += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=Forks.after_in_child)


class _CallbackFrames(threading.local):
    """The owners whose callbacks run in this thread, innermost last."""

    def __init__(self) -> None:
        self.owners: list[Owner] = []


_frames = _CallbackFrames()
#: callback frames running in all threads: while 0, ``enter`` skips the thread-local look-up
_running = 0
_running_lock = threading.Lock()


class Owner:
    """Serialises the calls on one object's C handles.

    ``on_fork`` runs (once, in the child, lock not held) before the first use
    after a fork: it must drop, never free, the inherited handles.
    ``closed_error`` makes the exception raised once the object is closed.
    """

    __slots__ = ("_closed_error", "_on_fork", "_what", "closed", "closing", "generation", "lock")

    def __init__(self, on_fork: Callable[[], None], closed_error: Callable[[], GearmanError], what: str) -> None:
        self.lock = threading.Lock()
        self.generation = Forks.generation
        self.closed = False
        #: set by ``close()`` from another thread: a sliced wait stops at its next slice
        self.closing = False
        self._on_fork = on_fork
        self._closed_error = closed_error
        self._what = what  # "Client", "Worker": for messages

    def check_fork(self) -> None:
        if self.generation != Forks.generation:
            self.generation = Forks.generation
            self.lock = threading.Lock()  # the parent's may have been held at fork()
            self._on_fork()

    @property
    def forked(self) -> bool:
        """True in a forked child until the first use there (its handles are the parent's)."""
        return self.generation != Forks.generation

    def enter(self) -> None:
        """Take the lock (the caller calls :meth:`leave`); raise if closed, or
        if this thread is inside one of this object's callbacks (the lock is
        held further up this very stack: waiting for it would never end)."""
        if self.generation != Forks.generation:
            self.check_fork()
        if _running and self in _frames.owners:
            raise RuntimeError(
                f"a callback must not call its own {self._what} (use another, e.g. a clone made before)"
            )
        self.lock.acquire()
        if self.closed:
            self.lock.release()
            raise self._closed_error()

    def leave(self) -> None:
        self.lock.release()

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.enter()
        try:
            yield
        finally:
            self.lock.release()

    def check_closing(self) -> None:
        """Between wait slices: stop if another thread asked to close (or closed
        already: a wait on a throwaway C client does not hold the lock)."""
        if self.closing or self.closed:
            raise self._closed_error()

    @contextmanager
    def closing_from_any_thread(self) -> Iterator[bool]:
        """For ``close()``: ask a wait in another thread to stop, then hold the
        lock; yields False if already closed (the body then does nothing)."""
        self.check_fork()
        if _frames.owners and self in _frames.owners:
            raise RuntimeError(f"a callback must not close its own {self._what}")
        self.closing = True
        with self.lock:
            try:
                yield not self.closed
            finally:
                self.closed = True
                self.closing = False

    @staticmethod
    @contextmanager
    def calling_back(owner: Owner) -> Iterator[None]:
        """Mark ``owner``'s callback as running in this thread (frames nest: a
        callback may drive another object whose own callbacks run inside it)."""
        global _running
        _frames.owners.append(owner)
        with _running_lock:
            _running += 1
        try:
            yield
        finally:
            with _running_lock:
                _running -= 1
            _frames.owners.pop()
