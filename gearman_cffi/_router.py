"""Routers: which server gets the work, and where it goes after a failure.

:class:`Failover` is libgearman's model made safe: one server of the list at a
time.  libgearman's own multi-server handling loses job handles when a listed
server is down (its JOB_CREATED counters drift), so each C client talks to one
server and the router moves the lane on to the next server after a failed
network call.  :class:`~gearman_cffi._spread.Spread` (``Client(spread=True)``)
is the second router, with the same interface (``single``, ``lanes``,
``lane``, ``lane_for``, ``lane_for_unique``, ``holder``, ``attempts``,
``move_on``, ``remember``, ``servers_of``, ``servers_for_unique``): it uses
every server at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._lane import Lane
from ._settings import Server, Settings

if TYPE_CHECKING:
    from .task import Task


class Failover:
    """One lane, on one server of the list at a time."""

    #: every task goes to ``lane`` (lets the core skip ``lane_for`` per task)
    single = True

    def __init__(self, settings: Settings, index: int = 0) -> None:
        self.servers: tuple[Server, ...] = settings.servers
        self.index = index
        self.lane = Lane(settings, self.servers[index])

    @property
    def lanes(self) -> list[Lane]:
        return [self.lane]

    def lane_for(self, task: Task) -> Lane:
        return self.lane

    def lane_for_unique(self, unique: Any) -> Lane:
        return self.lane

    def holder(self, task: Task) -> Lane:
        return self.lane

    def attempts(self) -> range:
        """How often an operation may try: once per server (a failed connect moves on)."""
        return range(len(self.servers))

    def move_on(self, settings: Settings, lane: Lane | None = None) -> None:
        """After a failed network call: a fresh C client on the next server."""
        self.index = (self.index + 1) % len(self.servers)
        self.lane.replace(settings, self.servers[self.index])

    def remember(self, lane: Lane, slots: list[Any]) -> None:
        """Handles need no memory: one server at a time holds the jobs."""

    def servers_of(self, handles: list[bytes]) -> dict[bytes, list[Server]]:
        return {}

    def servers_for_unique(self, unique: bytes) -> list[Server]:
        return list(self.servers)
