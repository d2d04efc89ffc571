"""Submitting many background jobs for one function in one call (``Core.submit_many``).

The per-job work of a batch made of Python Tasks (a Task object, a slot, a
queue entry, a handle read back) is what makes a job cost several times C's
instructions.  Here the workloads arrive as one buffer plus their sizes, C
fills and adds a reused array of slots chunk by chunk, and the handles come
back as one ``\\n``-joined buffer: Python does a fixed amount of work per chunk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._lane import IO_WAIT, SLICE_MS, SUCCESS, Lane
from ._libgearman import ffi, lib
from ._submit import CoreParts
from .errors import error_from

if TYPE_CHECKING:
    from ._submit import Steps

#: Jobs added to the C client per run: large enough to keep the wire busy,
#: small enough that libgearman's copies of the workloads stay modest.
CHUNK = 2048
#: ... and workload bytes per run (the last job may pass it): libgearman copies each workload it sends.
CHUNK_BYTES = 8 << 20

_COULD_NOT_CONNECT = lib.GEARMAN_COULD_NOT_CONNECT


class BulkSubmitting(CoreParts):
    """``Core.submit_many``: many background jobs on a task-free C client."""

    def submit_many(
        self, priority: int, name_c: Any, data: Any, sizes: Any, uniques: Any, count: int
    ) -> Steps[list[str]]:
        """Submit ``count`` jobs (workload i: the next ``sizes[i]`` bytes of
        ``data``; ``uniques``: ``count`` 64-byte NUL-padded uniques or NULL) in
        chunks, each created before the next is sent; return their handles in
        order.  A chunk the server could not take moves to the next server
        (created jobs are not sent again; retried ones keep their unique).  On
        failure or interrupt the exception's ``handles`` lists every job's
        handle, None for those not created."""
        handles: list[str] = []
        chunk: list[str] = []  # the current chunk's handles ("": not created) once a run of it ended
        self.owner.enter()
        try:
            slots = ffi.new("gearman_cffi_slot[]", min(count, CHUNK))
            read = _Reader(min(count, CHUNK))
            offset, first, used = 0, 0, ffi.new("size_t *")
            while first < count:
                filled = lib.gearman_cffi_bulk_fill(slots, min(CHUNK, count - first), CHUNK_BYTES, priority, name_c,
                                                    data + offset, sizes + first, uniques and uniques + 64 * first,
                                                    used)  # fmt: skip
                offset, end, chunk = offset + used[0], first + filled, []
                attempts = self.router.attempts()
                for attempt in attempts:
                    lane = self.router.lane
                    target = lane.task_free(self.settings)
                    try:
                        rc = self._run_chunk(lane, target, slots, end - first)
                        while rc == IO_WAIT:
                            yield
                            self.owner.check_closing()
                            rc = lib.gearman_cffi_run_tasks(target, SLICE_MS, lane.run)
                    except BaseException:
                        self._replace(lane, target)  # its C tasks point into ``slots``: never leave them
                        chunk = read(slots, end - first)[0]
                        raise
                    chunk, code = read(slots, end - first)
                    if code == SUCCESS:
                        handles += chunk
                        break
                    error = error_from(code if rc == SUCCESS else rc, target)
                    self._failed(lane, target)  # frees C tasks still in flight with their C client
                    if rc != _COULD_NOT_CONNECT or attempt == attempts[-1]:
                        raise error
                first = end
            return handles
        except BaseException as error:  # say which jobs were created (Ctrl-C included: the command line tells)
            done: list[str | None] = [*handles, *(h or None for h in chunk)]
            error.handles = done + [None] * (count - len(done))  # type: ignore[attr-defined]
            raise
        finally:
            self.owner.leave()

    def _run_chunk(self, lane: Lane, target: Any, slots: Any, count: int) -> int:
        """Add the chunk's jobs not created yet and run the first slice."""
        lib.gearman_cffi_bulk_add(target, slots, count, lane.uniques, lane.ret)
        if lane.ret[0] != SUCCESS:
            raise error_from(lane.ret[0], target)
        lane.run.idle_since_ms = 0
        return lib.gearman_cffi_run_tasks(target, SLICE_MS, lane.run)  # type: ignore[no-any-return]


class _Reader:
    """The handles of a chunk's slots in one C call and one decode."""

    def __init__(self, size: int) -> None:
        self.out = ffi.new("char[]", 64 * size)
        self.missing, self.code = ffi.new("size_t *"), ffi.new("gearman_return_t *")

    def __call__(self, slots: Any, count: int) -> tuple[list[str], int]:
        """Each slot's handle ("" if not created), and the first missing one's code."""
        size = lib.gearman_cffi_bulk_handles(slots, count, self.out, self.missing, self.code)
        return ffi.unpack(self.out, size).decode("ascii").split("\n")[:-1], self.code[0]
