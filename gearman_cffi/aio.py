"""asyncio: ``gearman_cffi.aio.Client``, awaitable jobs batched on the wire.

The same methods as :class:`gearman_cffi.Client`; those that wait are
coroutines.  No libgearman call waits on the event loop's thread: the core's
steps run on the loop with slices of 0, and the loop watches the descriptors
libgearman would have polled (``_aio_wait``).  Everything awaited since the
last round goes out as one batch, one run (``_aio_rounds``); foreground jobs
have their own rounds and C clients, so a slow worker never delays a
background submission.  Status queries run in the loop's default executor.
See docs/aio.md.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterable
from typing import Any

from . import _arguments as arg
from ._aio_requests import Batch, Submission
from ._aio_rounds import Request, Rounds
from ._aio_task import Task, is_finished, set_dropped
from ._arguments import cached_name as checked_function_name
from .client import Client as _Blocking
from .errors import ClientClosedError
from .task import JobStatus, Priority

_SUFFIX = {Priority.HIGH: "_high", Priority.NORMAL: "", Priority.LOW: "_low"}
#: (priority, foreground) -> the blocking Client's add_task* method that carries the job.
_METHODS = {(p, fg): f"add_task{_SUFFIX[p]}{'' if fg else '_background'}" for p in Priority for fg in (False, True)}


def _check(function_name: object, workload: object, unique: object) -> None:
    """Bad input raises here, in the caller's coroutine, before anything is queued."""
    checked_function_name(function_name)
    if type(workload) is not bytes:
        arg.workload(workload)
    if unique is not None:
        arg.unique(unique)

class Client:
    """An asyncio Gearman client (see the module's docstring)."""

    def __init__(self, servers: arg.Servers = "localhost:4730", *, timeout: float | None = None,
                 spread: bool = False) -> None:  # fmt: skip
        if not isinstance(spread, bool):
            raise TypeError(f"spread must be a bool, not {type(spread).__name__}")
        options: dict[str, Any] = {"timeout": timeout, "spread": spread}
        arg.servers(servers)  # bad arguments raise here; the blocking clients (no network until
        arg.timeout_ms(timeout)  # their first run) are made on first use
        self._servers, self._options = servers, options

        def make() -> _Blocking:  # (not a method: the rounds must not keep this client alive)
            return _Blocking(servers, **options)

        #: background jobs, foreground jobs, status queries: each its own blocking client and C clients
        self._rounds = {"bg": Rounds(make, False), "fg": Rounds(make, True)}
        self._make = make
        self._status_client: _Blocking | None = None
        self._pending: list[Task] = []
        self._closed = False

    def _send(self, kind: str, request: Request) -> asyncio.Future[Any]:
        if self._closed:
            raise ClientClosedError()
        self._rounds[kind].put(request)
        return request.future

    # -- one job ----------------------------------------------------------------------
    async def do_background(self, function_name: arg.Text, workload: arg.Workload,
                            unique: arg.Text | None = None) -> str:  # fmt: skip
        """Submit a background job; its job handle once the server created it."""
        return await self._submit(Priority.NORMAL, False, function_name, workload, unique)  # type: ignore

    async def do_high_background(self, function_name: arg.Text, workload: arg.Workload,
                                 unique: arg.Text | None = None) -> str:  # fmt: skip
        return await self._submit(Priority.HIGH, False, function_name, workload, unique)  # type: ignore

    async def do_low_background(self, function_name: arg.Text, workload: arg.Workload,
                                unique: arg.Text | None = None) -> str:  # fmt: skip
        return await self._submit(Priority.LOW, False, function_name, workload, unique)  # type: ignore

    async def do(self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None) -> bytes:
        """Submit a job, wait for a worker to finish it, return its result
        (``GearmanWorkError`` if the worker failed it)."""
        return await self._submit(Priority.NORMAL, True, function_name, workload, unique)  # type: ignore

    async def do_high(self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None) -> bytes:
        return await self._submit(Priority.HIGH, True, function_name, workload, unique)  # type: ignore

    async def do_low(self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None) -> bytes:
        return await self._submit(Priority.LOW, True, function_name, workload, unique)  # type: ignore

    def _submit(self, priority: Priority, foreground: bool, function_name: object, workload: object,
                unique: object) -> asyncio.Future[Any]:  # fmt: skip
        _check(function_name, workload, unique)
        if not foreground and self._rounds["bg"].idle() and not self._closed:
            return self._rounds["bg"].alone(priority, function_name, workload, unique)  # type: ignore[return-value]
        method = _method(priority, foreground)
        future = asyncio.get_running_loop().create_future()
        return self._send("fg" if foreground else "bg",
                          Submission(future, method, foreground, function_name, workload, unique))  # fmt: skip

    # -- batches ------------------------------------------------------------------------
    def add_task_background(self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None,
                            context: Any = None) -> Task:  # fmt: skip
        """Queue a background job for the next ``await run_tasks()`` (at once:
        nothing is sent, so this is not a coroutine)."""
        return self._add(Priority.NORMAL, False, function_name, workload, unique, context)

    def add_task_high_background(self, function_name: arg.Text, workload: arg.Workload,
                                 unique: arg.Text | None = None, context: Any = None) -> Task:  # fmt: skip
        return self._add(Priority.HIGH, False, function_name, workload, unique, context)

    def add_task_low_background(self, function_name: arg.Text, workload: arg.Workload,
                                unique: arg.Text | None = None, context: Any = None) -> Task:  # fmt: skip
        return self._add(Priority.LOW, False, function_name, workload, unique, context)

    def add_task(self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None,
                 context: Any = None) -> Task:  # fmt: skip
        """Queue a foreground job: after ``await run_tasks()``, ``task.result``."""
        return self._add(Priority.NORMAL, True, function_name, workload, unique, context)

    def add_task_high(self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None,
                      context: Any = None) -> Task:  # fmt: skip
        return self._add(Priority.HIGH, True, function_name, workload, unique, context)

    def add_task_low(self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None,
                     context: Any = None) -> Task:  # fmt: skip
        return self._add(Priority.LOW, True, function_name, workload, unique, context)

    def _add(self, priority: Priority, foreground: bool, function_name: object, workload: object, unique: object,
             context: Any) -> Task:  # fmt: skip
        if self._closed:
            raise ClientClosedError()
        _check(function_name, workload, unique)
        task = Task(self, self._withdraw, _method(priority, foreground), priority, function_name, workload, unique,
                    context)  # fmt: skip
        self._pending.append(task)
        return task

    def _withdraw(self, task: Task) -> None:  # each Task holds this bound method (its free())
        if task in self._pending:
            self._pending.remove(task)
            set_dropped(task, True)

    @property
    def pending_tasks(self) -> list[Task]:
        """Tasks added and not yet handed to a ``run_tasks()``."""
        return list(self._pending)

    async def run_tasks(self) -> None:
        """Send every pending task; return when the server created each
        background job and every foreground job completed or failed.  On
        failure the unfinished tasks are pending again (same uniques)."""
        tasks, self._pending = self._pending, []
        if not tasks:
            return
        loop = asyncio.get_running_loop()
        futures = []
        try:
            for kind in ("bg", "fg"):
                part = [t for t in tasks if t.foreground == (kind == "fg")]
                if part:
                    futures.append(self._send(kind, Batch(loop.create_future(), part)))
        except BaseException:  # closed: nothing was taken
            self._requeue(tasks)
            raise
        outcomes = await asyncio.gather(*futures, return_exceptions=True)
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        if failures:
            self._requeue(tasks)
            raise failures[0]

    def _requeue(self, tasks: list[Task]) -> None:
        """After a failed run: the tasks it did not finish are pending again,
        first in the queue, with the uniques they were sent with."""
        if not self._closed:
            again = [t for t in tasks if not is_finished(t)]
            for task in again:
                set_dropped(task, False)
            self._pending[:0] = again

    async def do_background_many(self, function_name: arg.Text, workloads: Iterable[arg.Workload], *,
                                 uniques: Iterable[arg.Text] | None = None, priority: Priority = Priority.NORMAL
                                 ) -> list[str]:  # fmt: skip
        """:meth:`gearman_cffi.Client.do_background_many`: many jobs for one
        function in one call, run in the loop's default executor (it is one
        call, not one coroutine per job; the loop never waits)."""
        checked_function_name(function_name)
        single = isinstance(workloads, (str, bytes, bytearray, memoryview))  # (refused by the call itself)
        items = workloads if single else list(workloads)  # a generator is read here, in the caller's coroutine
        kept = None if uniques is None else list(uniques)
        call = functools.partial(_Blocking.do_background_many, uniques=kept, priority=priority)
        return await self._in_executor(call, function_name, items)  # type: ignore[no-any-return]

    # -- status -----------------------------------------------------------------------------
    async def job_status(self, job_handle: arg.Text) -> JobStatus:
        arg.job_handle(job_handle)
        return await self._status("job_status", job_handle)  # type: ignore[no-any-return]

    async def job_statuses(self, job_handles: Iterable[arg.Text]) -> list[JobStatus]:
        handles = list(job_handles)
        for handle in handles:
            arg.job_handle(handle)
        return await self._status("job_statuses", handles)  # type: ignore[no-any-return]

    async def unique_status(self, unique: arg.Text) -> JobStatus:
        arg.text(unique, "unique", arg.MAX_UNIQUE)
        return await self._status("unique_status", unique)  # type: ignore[no-any-return]

    async def _status(self, method: str, argument: object) -> Any:
        """A blocking status query in the loop's default executor (a few per
        second at most, and a throwaway C client each with several servers)."""
        return await self._in_executor(getattr(_Blocking, method), argument)

    async def _in_executor(self, call: Any, *args: Any) -> Any:
        """``call(blocking client, *args)`` in the loop's default executor, on
        this client's third blocking client (``close()`` stops it at its next slice)."""
        if self._closed:
            raise ClientClosedError()
        if self._status_client is None:
            self._status_client = self._make()
        return await asyncio.get_running_loop().run_in_executor(None, call, self._status_client, *args)

    # -- lifetime ---------------------------------------------------------------------------
    async def close(self) -> None:
        """Stop the rounds in progress and free every C client (see
        docs/aio.md for what happens to work not finished).  Idempotent."""
        self._shut()
        for rounds in self._rounds.values():
            await rounds.close()
        status, self._status_client = self._status_client, None
        if status is not None:  # a query still running in the executor stops at its next slice
            await asyncio.get_running_loop().run_in_executor(None, status.close)

    def _shut(self) -> None:
        """Mark closed and drop the tasks never handed to a run."""
        self._closed = True
        for task in self._pending:
            set_dropped(task, True)
        self._pending = []

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self._shut()
            for rounds in self._rounds.values():
                if rounds.runner is None:  # (a round in progress keeps its rounds, not this client, alive)
                    rounds.drop()
            if self._status_client is not None:
                self._status_client.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def timeout(self) -> float | None:
        """Seconds each network wait may take (None blocks); fixed at creation."""
        return self._options["timeout"]  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{len(self._pending)} pending"
        return f"<gearman_cffi.aio.Client {state}>"


def _method(priority: Priority, foreground: bool) -> str:
    """The blocking Client's ``add_task*`` method for this kind of job."""
    return _METHODS[priority, foreground]


__all__ = ["Client", "Task"]
