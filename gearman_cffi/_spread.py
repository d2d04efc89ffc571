"""Spread: one lane per server; a consistent hash of the unique picks the lane.

The second router, with :class:`~gearman_cffi._router.Failover`'s interface (``lanes``, ``lane``,
``lane_for``, ``lane_for_unique``, ``holder``, ``attempts``, ``move_on``, ``remember``, ``servers_of``,
``servers_for_unique``) plus ``run``, the batch over every lane at once.

* A task with an explicit unique goes to the server ``_ring`` maps the unique
  to, so the same unique always meets its queued job (coalescing) and its
  status is asked where it is.  A task without one goes to the next live lane
  in turn: its unique is assigned in C when the lane adds it, after the choice.
* ``run`` adds each lane's share to its C client, then drives every lane: one
  pass that waits for nothing (each socket takes what it can: every server
  starts working), then short waits (``SHARE_MS``) on each lane in turn, a full
  slice once one lane is left.  libgearman has no call that waits on several C
  clients' sockets at once; a lane that is ready waits at most one round.
* A lane whose server fails is *down* until its probe is due (back-off from
  ``BACKOFF_FIRST`` doubling to ``BACKOFF_MAX``, times a random 0.5-1 so many
  clients do not retry together; nothing connects in between); its share of
  the ring and its turn go to the live lanes.  Tasks that never reached it
  (connect refused, or queued later) move, in the same ``run``, to the server
  that now takes their unique.  Tasks it may have received without
  acknowledging them are *in doubt* (it may have stored them: a durable queue
  brings them back after a restart), so they stay parked on it and are sent
  to it again, same unique, once it answers, where a stored copy coalesces
  with them; sent elsewhere, they could run twice.  If it has not answered
  after ``HOLD`` seconds, they go to the live servers too (at least once).
  When the probe is due the lane takes its share again; if it still fails,
  its tasks move again.
* Errors: ``run`` raises one ConnectionError (TimeoutError for a hung server)
  per server that failed with tasks in doubt, after all other lanes are done,
  and none for a server whose tasks all moved; ConnectionError also when no
  server at all can take a task (then the tasks stay pending).
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Callable

from ._lane import IO_WAIT, SLICE_MS, SUCCESS, Lane
from ._libgearman import ffi, lib
from ._ring import Ring
from ._settings import Server, Settings
from .errors import GearmanConnectionError, GearmanError, GearmanTimeoutError
from .task import slot_of

if TYPE_CHECKING:
    from ._core import Steps
    from .task import Task

#: The wait on one lane while others are running (ms).
SHARE_MS = 2
#: Seconds before the first probe of a failed server, and the longest back-off.
BACKOFF_FIRST, BACKOFF_MAX = 0.2, 5.0
#: Seconds tasks in doubt wait for their own server before they go to another.
HOLD = 10.0
#: Jobs whose handle the router remembers (with their server) for job_status.
REMEMBERED = 16384
DEATH = (GearmanConnectionError, GearmanTimeoutError)  # the errors that take a server out of the ring
_COULD_NOT_CONNECT = lib.GEARMAN_COULD_NOT_CONNECT


def now_ms() -> int:
    """The clock of ``gearman_cffi_run.idle_since_ms`` (CLOCK_MONOTONIC, ms)."""
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1_000_000


class Spread:
    """One lane per distinct server; tasks spread by a ring of uniques."""

    #: tasks go to several lanes (``lane_for`` per task)
    single = False

    def __init__(self, settings: Settings, index: int = 0) -> None:
        self.servers: tuple[Server, ...] = settings.servers
        self.index = 0
        distinct = list(dict.fromkeys(settings.servers))
        self.lanes = [Lane(settings, server) for server in distinct]
        self.number = {lane: i for i, lane in enumerate(self.lanes)}
        self.ring = Ring([b"%s:%d" % server for server in distinct])
        self.down = [False] * len(distinct)
        self.failures = [0] * len(distinct)  # in a row; 0 after a run that went through
        self.down_since = [0.0] * len(distinct)  # the first of those failures
        self.retry_at = [0.0] * len(distinct)
        self.next_due = math.inf
        self.parked: list[set[Task]] = [set() for _ in distinct]  # in doubt: for this server only
        self.live = list(self.lanes)
        self.turn = itertools.cycle(self.live)  # lanes in turn, for tasks without a unique
        self.memory: deque[tuple[Lane, list[Any]]] = deque()  # (lane, slots) of created jobs, oldest first
        self.remembered = 0

    # -- routing ----------------------------------------------------------------------
    @property
    def lane(self) -> Lane:
        """The lane for one-shot calls (echo, a single server's status): the first live one."""
        self.revive_due()
        return self.live[0] if self.live else self.lanes[0]

    def lane_for(self, task: Task) -> Lane:
        return self.lane_for_unique(ffi.string(slot_of(task).unique))

    def lane_for_unique(self, unique: Any) -> Lane:
        """``unique``: bytes, a ``char[]`` cdata, or None / NULL / empty for the next lane in turn."""
        if type(unique) is not bytes:
            unique = b"" if unique is None or unique is ffi.NULL else ffi.string(unique)
        if unique:
            return self.lanes[self.ring.server_of(unique)]
        return next(self.turn)

    def holder(self, task: Task) -> Lane:
        """The lane whose queue holds ``task`` (tasks move between lanes)."""
        for lane in self.lanes:
            if task in lane.pending:
                return lane
        return self.lanes[0]

    def attempts(self) -> range:
        return range(len(self.lanes))

    def servers_for_unique(self, unique: bytes) -> list[Server]:
        """Where a job with ``unique`` may be: the server that takes it now,
        then the others in ring order (it may have been sent before a move)."""
        first = self.ring.server_of(unique)
        order = [first] + [i for i in self.ring.order_of(unique) if i != first]
        return [self.lanes[i].server for i in order]

    # -- faults -----------------------------------------------------------------------
    def move_on(self, settings: Settings, lane: Lane | None = None) -> None:
        """After a failed one-shot call on ``lane``: take it out of the ring."""
        self.lost(self.number[lane or self.lane], settings, in_doubt=False)

    def lost(self, i: int, settings: Settings, in_doubt: bool) -> None:
        """Server ``i`` failed: a fresh C client, back-off, its unsent tasks to
        the live lanes; ``in_doubt``: the tasks it had in flight stay parked on it."""
        lane = self.lanes[i]
        if in_doubt:
            self.parked[i] = set(lane.pending[: lane.flushed])
        lane.replace(settings)
        if not self.failures[i]:
            self.down_since[i] = time.monotonic()
        self.failures[i] += 1
        delay = min(BACKOFF_FIRST * 2.0 ** (self.failures[i] - 1), BACKOFF_MAX)
        self.retry_at[i] = time.monotonic() + delay * random.uniform(0.5, 1.0)
        self.down[i] = True
        self._changed()
        self._move_unsent(i)

    def revive_due(self) -> None:
        """Servers whose probe is due take their share again (tried by the next run)."""
        if time.monotonic() < self.next_due:
            return
        now = time.monotonic()
        for i, at in enumerate(self.retry_at):
            if self.down[i] and at <= now:
                self.down[i] = False
        self._changed()

    def _changed(self) -> None:
        self.ring.set_live([not down for down in self.down])
        self.live = [lane for lane, down in zip(self.lanes, self.down) if not down]
        self.turn = itertools.cycle(self.live or self.lanes)
        self.next_due = min((at for at, down in zip(self.retry_at, self.down) if down), default=math.inf)

    def _move_unsent(self, i: int) -> None:
        if self.live:
            for task, keep in self.lanes[i].take_unsent(self.parked[i]):
                lane = self.lane_for(task)
                lane.pending.append(task)
                lane.keep.append(keep)

    def _stranded(self, settings: Settings) -> int:
        """Move tasks left on down lanes (no lane was live when theirs failed,
        or in doubt for longer than HOLD); return how many still wait for a live lane."""
        left = 0
        now = time.monotonic()
        for i, lane in enumerate(self.lanes):
            if self.down[i] and self.parked[i] and now - self.down_since[i] >= HOLD:
                self.parked[i].clear()  # its server did not come back: they go elsewhere (at least once)
            if self.down[i] and len(lane.pending) > len(self.parked[i]):
                if lane.flushed:
                    lane.replace(settings)
                self._move_unsent(i)
                left += sum(task not in self.parked[i] for task in lane.live_pending())
        return left

    # -- the batch --------------------------------------------------------------------
    def run(self, settings: Settings, check_closing: Callable[[], None], slice_ms: int = SLICE_MS) -> Steps[None]:
        """Send every pending task on every live lane, together; see the module doc."""
        self.revive_due()
        self._stranded(settings)
        died: list[GearmanError] = []
        other: GearmanError | None = None
        while True:
            active = [i for i, lane in enumerate(self.lanes) if lane.pending and not self.down[i]]
            if not active:
                break
            moved = False
            for i in list(active):
                try:
                    self.lanes[i].flush(settings, check_closing)
                except DEATH:  # asking for exceptions (foreground tasks) found the server down: nothing sent
                    self.lost(i, settings, in_doubt=False)
                    active.remove(i)
                    moved = True
            rcs = yield from self._drive(active, settings, check_closing, slice_ms)
            for i, rc in zip(active, rcs):
                error = self._after_run(i, rc, settings)
                if isinstance(error, DEATH):
                    moved = True
                    if rc != _COULD_NOT_CONNECT and self.parked[i]:
                        died.append(self._in_doubt(i, error))
                elif error is not None and other is None:
                    other = error
            if not moved:
                break
        if other is not None:
            raise other
        if died:
            raise died[0]
        left = self._stranded(settings)
        if left:
            wait = max(0.0, self.next_due - time.monotonic())
            raise GearmanConnectionError(_COULD_NOT_CONNECT, f"no server could take {left} tasks (they stay "
                                         f"pending; the next server is tried in {wait:.1f} s)")  # fmt: skip

    def _drive(self, ids: list[int], settings: Settings, check: Callable[[], None], slice_ms: int) -> Steps[list[int]]:
        lanes = [self.lanes[i] for i in ids]
        try:
            rcs = [lane.start_run(0) for lane in lanes]
            running = [k for k, rc in enumerate(rcs) if rc == IO_WAIT]
            while running:
                yield
                check()
                share = 0 if slice_ms == 0 else SLICE_MS if len(running) == 1 else SHARE_MS
                still = []
                for k in running:
                    run = lanes[k].run
                    seen = run.created + run.failed
                    rcs[k] = rc = lanes[k].run_slice(share)
                    if rc == IO_WAIT:
                        still.append(k)
                        if run.created + run.failed != seen:  # progress read without a wait: not idle
                            run.idle_since_ms = now_ms()
                running = still
            return rcs
        except BaseException:  # Ctrl-C, close(): keep the handles already received
            for i in ids:
                self._after_run(i, SUCCESS, settings)
            raise

    def _after_run(self, i: int, rc: int, settings: Settings) -> GearmanError | None:
        lane = self.lanes[i]
        done, sent = lane.pending, lane.flushed
        try:
            lane.after_run(rc, settings)
        except DEATH as error:
            self.lost(i, settings, in_doubt=rc != _COULD_NOT_CONNECT)
            return error
        except GearmanError as error:
            self.parked[i] &= set(lane.pending)
            return error
        finally:
            if sent:
                self.remember(lane, [slot_of(task) for task in done[:sent]])
        if not lane.pending:  # every job created: the server is well
            self.failures[i] = 0
            self.parked[i].clear()
        return None

    def _in_doubt(self, i: int, error: GearmanError) -> GearmanError:
        host, port = self.lanes[i].server
        count = len(self.parked[i])
        return type(error)(error.code, f"{host.decode(errors='replace')}:{port}: {error.message} ({count} tasks in "
                                       f"doubt wait up to {HOLD:.0f} s for this server to answer again)")  # fmt: skip

    # -- handles ----------------------------------------------------------------------
    def remember(self, lane: Lane, slots: list[Any]) -> None:
        """Note the server of jobs just sent (their slots get the handle)."""
        self.memory.append((lane, slots))
        self.remembered += len(slots)
        while self.remembered > REMEMBERED and len(self.memory) > 1:
            self.remembered -= len(self.memory.popleft()[1])

    def servers_of(self, handles: list[bytes]) -> dict[bytes, list[Server]]:
        """For each remembered handle, the servers that returned it, newest
        first (gearmands on one host with the default prefix repeat handles)."""
        wanted = set(handles)
        found: dict[bytes, list[Server]] = {}
        for lane, slots in reversed(self.memory):
            for slot in slots:
                handle = ffi.string(slot.job_handle)
                if handle in wanted:
                    servers = found.setdefault(handle, [])
                    if lane.server not in servers:
                        servers.append(lane.server)
        return found
