"""Routers: which server gets the work, and where it goes after a failure.

:class:`Failover` is libgearman's model made safe: one server of the list at a
time.  libgearman's own multi-server handling loses job handles when a listed
server is down (its JOB_CREATED counters drift), so each C client talks to one
server and the router moves the lane on to the next server after a failed
network call.  Spreading work over several servers is a second router with the
same small interface (``single``, ``lanes``, ``lane_for``, ``attempts``, ``move_on``).
"""

from __future__ import annotations

from ._lane import Lane
from ._settings import Server, Settings


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

    def lane_for(self, unique: object = None) -> Lane:
        return self.lane

    def attempts(self) -> range:
        """How often an operation may try: once per server (a failed connect moves on)."""
        return range(len(self.servers))

    def move_on(self, settings: Settings) -> None:
        """After a failed network call: a fresh C client on the next server."""
        self.index = (self.index + 1) % len(self.servers)
        self.lane.replace(settings, self.servers[self.index])
