"""Client: the blocking driver of the core, and libgearman's client API in Python.

Each public method checks its arguments (``_arguments``), hands the work to
the :class:`~gearman_cffi._core.Core` (C clients, queue, lock, fork, failover)
and, where the operation waits, drives its steps with ``_wait.wait``: slices
of at most 100 ms, so Ctrl-C and ``close()`` from another thread stop a wait
promptly and leave the Client usable.  See docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import GeneratorType
from typing import Any

from . import _arguments as arg
from . import identity as _identity
from . import schedule as _schedule
from . import status as _status
from ._arguments import NAMES
from ._arguments import cached_name as _function_name
from ._arguments import quick_workload as _workload
from ._client_settings import ClientSettings
from ._core import Core
from ._libgearman import ffi, lib
from ._settings import Settings
from ._wait import wait
from .errors import GearmanError
from .task import JobStatus, Priority, Task, new_slot, work_error

_HIGH, _NORMAL, _LOW = Priority.HIGH, Priority.NORMAL, Priority.LOW
_SLOT, _NULL = ffi.typeof("gearman_cffi_slot *"), ffi.NULL


def _bulk_spread(client: Client, name: bytes, data: Any, sizes: Any, uniques: Any, count: int, level: int) -> list[str]:
    """``do_background_many`` with ``spread=True``: one Task per job (each goes
    to the server its unique picks), one ``run_tasks()``."""
    add, offset, tasks = client._add_task_background, 0, []
    for i in range(count):
        unique = ffi.string(uniques + 64 * i) if uniques else None
        tasks.append(add(Priority(level), name, ffi.buffer(data + offset, sizes[i])[:], unique, None))
        offset += sizes[i]
    try:
        client.run_tasks()
    except GearmanError as error:
        error.handles = [t.job_handle for t in tasks]
        raise
    return [t.job_handle or "" for t in tasks]


class Client(ClientSettings):
    """A libgearman client: background and foreground jobs, one by one or in batches.

    ``servers`` is ``"h1:4730,h2"`` or a list of ``"host:port"`` / ``(host, port)``;
    ``timeout`` is in seconds, ``None`` to block.  Use one Client per thread
    (``clone()``) for parallel speed; sharing one is safe but serialised.

    ``spread=False`` uses one server at a time, the next one after a failure;
    ``spread=True`` uses every server at once: a job with an explicit unique
    goes to the server a consistent hash of the unique picks, others in turn
    (see docs/scaling.md).
    """

    def __init__(
        self, servers: arg.Servers = "localhost:4730", *, timeout: float | None = None, spread: bool = False
    ) -> None:
        # libgearman's client_create adds $GEARMAN_SERVERS first; the list keeps its order.
        environment = [(h.encode(), p) for h, p in _identity.environment_servers()]
        settings = Settings(tuple(environment + arg.servers(servers)), arg.timeout_ms(timeout))
        if not isinstance(spread, bool):
            raise TypeError(f"spread must be True or False, not {type(spread).__name__}")
        self._core = Core(settings, spread=spread)

    # -- lifetime -------------------------------------------------------------------
    def close(self) -> None:
        """Free the C clients.  Tasks not yet sent are dropped (``is_pending``
        turns False with no ``job_handle``).  Idempotent; from any thread: a
        wait in progress there raises ClientClosedError within 100 ms."""
        core = getattr(self, "_core", None)
        if core is not None:  # None: __init__ failed
            core.close()

    def __del__(self) -> None:
        self.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._core.closed

    def clone(self) -> Client:
        """An independent Client with the same servers and settings: its own
        connection, no pending tasks (for another thread)."""
        clone = Client.__new__(Client)
        clone._core = self._core.clone()
        return clone

    # -- one job, one round trip ----------------------------------------------------
    def do_background(self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None) -> str:
        """Submit a background job and return its job handle."""
        return self._core.background(self, _NORMAL, function_name, workload, unique)

    def do_high_background(
        self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None
    ) -> str:
        return self._core.background(self, _HIGH, function_name, workload, unique)

    def do_low_background(self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None) -> str:
        return self._core.background(self, _LOW, function_name, workload, unique)

    def do_background_many(
        self,
        function_name: arg.Text,
        workloads: Iterable[arg.Workload],
        *,
        uniques: Iterable[arg.Text] | None = None,
        priority: Priority = Priority.NORMAL,
    ) -> list[str]:
        """Submit one background job per workload, all for ``function_name``,
        and return their handles in order: the fastest way to queue many jobs
        (one Python call; C adds them in chunks of 2,048 or 8 MiB, one round trip each,
        and the server queues them in input order).  ``uniques``: one per
        workload, or None for auto uniques.  If it raises a GearmanError, its
        ``handles`` lists the handle of each job created and None for the rest."""
        name, name_c = _function_name(function_name)
        data, sizes, count = arg.workloads(workloads)
        uniques_c = ffi.NULL if uniques is None else arg.uniques(uniques, count)
        level = arg.priority(priority)
        if self._core.spread:  # each job to its own server: the Task path routes them
            return _bulk_spread(self, name, data, sizes, uniques_c, count, level)
        return wait(self._core.submit_many(level, name_c, data, sizes, uniques_c, count)) if count else []

    # -- foreground jobs: wait for the worker's result --------------------------------
    def do(self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None) -> bytes:
        """Submit a job, wait for a worker to finish it and return its
        WORK_COMPLETE payload; raises GearmanWorkError if the worker failed it."""
        return self._do(Priority.NORMAL, function_name, workload, unique)

    def do_high(self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None) -> bytes:
        return self._do(Priority.HIGH, function_name, workload, unique)

    def do_low(self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None) -> bytes:
        return self._do(Priority.LOW, function_name, workload, unique)

    def _do(self, priority: Priority, function_name: object, workload: object, unique: object) -> bytes:
        name, name_c = _function_name(function_name)
        unique_c = ffi.NULL if unique is None else arg.unique(unique)
        buffer, size = _workload(workload)
        slot = self._core.submit(self, new_slot(True), priority, name, name_c, unique_c, buffer, size, True)
        if type(slot) is GeneratorType:
            slot = wait(slot)
        error = work_error(slot)
        if error is not None:
            raise error
        return ffi.unpack(slot.result, slot.result_size) if slot.result_size else b""

    def job_status(self, job_handle: arg.Text) -> JobStatus:
        """Ask the server about a job handle; with several servers, each is asked
        (libgearman alone asks one: the last added) and the first that knows it answers."""
        return _status.job_statuses(self._core, [job_handle])[0]

    def echo(self, workload: arg.Workload) -> None:
        """Round-trip ``workload`` through the server (a ping)."""
        buffer, size = arg.workload(workload)
        if not size:  # libgearman refuses both NULL and an empty buffer
            raise ValueError("echo needs a non-empty workload")
        self._core.one_shot(lib.gearman_client_echo, buffer, size)

    def ping(self) -> None:
        """Check that the server answers (an ECHO round trip)."""
        self.echo(b"ping")

    # -- batches ------------------------------------------------------------------------
    def add_task_background(
        self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None, context: Any = None
    ) -> Task:
        """Queue a background job for the next ``run_tasks()``.  The workload is
        not copied: it is kept (and a bytearray pinned) until the job is created.
        With ``unique=None`` the Client assigns a 36-character unique;
        ``task.unique`` is the one sent."""
        return self._add_task_background(Priority.NORMAL, function_name, workload, unique, context)

    def add_task_high_background(
        self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None, context: Any = None
    ) -> Task:
        return self._add_task_background(Priority.HIGH, function_name, workload, unique, context)

    def add_task_low_background(
        self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None, context: Any = None
    ) -> Task:
        return self._add_task_background(Priority.LOW, function_name, workload, unique, context)

    def _add_task_background(
        self, priority: Priority, function_name: object, workload: object, unique: object, context: Any
    ) -> Task:
        """The per-task hot path of a batch, kept free of C calls: cffi releases
        the GIL around each, which makes threads adding tasks hand it over per task."""
        cache = NAMES.get(type(function_name))
        name_pair = None if cache is None else cache.get(function_name)
        name, name_c = _function_name(function_name) if name_pair is None else name_pair
        if type(workload) is bytes and workload:
            buffer, size = ffi.from_buffer(workload), len(workload)
        else:
            buffer, size = arg.workload(workload)
        slot = ffi.new(_SLOT, [_NULL, name_c, buffer, size, priority])
        if unique is not None:
            unique = slot.unique = arg.text(unique, "unique", arg.MAX_UNIQUE)
        core = self._core
        task = Task(self, core, slot, name, priority, context)
        core.queue(task, (slot, name_c, buffer), unique)
        return task

    def add_task(
        self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None, context: Any = None
    ) -> Task:
        """Queue a foreground job for the next ``run_tasks()``, which returns once
        it completed or failed: ``task.result`` is its WORK_COMPLETE payload,
        ``task.return_code`` says how it ended.  A failed task does not stop the others."""
        return self._add_task(Priority.NORMAL, function_name, workload, unique, context)

    def add_task_high(
        self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None, context: Any = None
    ) -> Task:
        return self._add_task(Priority.HIGH, function_name, workload, unique, context)

    def add_task_low(
        self, function_name: arg.Text, workload: arg.Workload, unique: arg.Text | None = None, context: Any = None
    ) -> Task:
        return self._add_task(Priority.LOW, function_name, workload, unique, context)

    def _add_task(self, priority: Priority, function_name: object, workload: object, unique: object, context: Any
                  ) -> Task:  # fmt: skip
        name, name_c = _function_name(function_name)
        buffer, size = arg.workload(workload)
        slot = new_slot(True)
        slot.function_name, slot.workload, slot.workload_size, slot.priority = name_c, buffer, size, priority
        if unique is not None:
            unique = slot.unique = arg.unique(unique)
        task = Task(self, self._core, slot, name, priority, context)
        self._core.queue(task, (slot, name_c, buffer), unique, foreground=True)
        return task

    def run_tasks(self) -> None:
        """Send every pending task and wait until the server created each
        background job and every foreground job completed or failed.

        On failure the tasks that are done stay done; the others stay pending,
        so calling ``run_tasks()`` again retries them with the same unique
        (``Task.free()`` withdraws one instead).
        """
        wait(self._core.run_tasks())

    @property
    def pending_tasks(self) -> list[Task]:
        """Tasks added but not yet created by the server, in the order added."""
        return self._core.pending()

    # -- status, scheduling ---------------------------------------------------------------
    def job_statuses(self, job_handles: Iterable[arg.Text]) -> list[JobStatus]:
        """Status of many jobs in one round trip per server (``add_task_status``)."""
        return _status.job_statuses(self._core, job_handles)

    add_task_status = job_statuses

    def unique_status(self, unique: arg.Text) -> JobStatus:
        """Status of the job submitted with ``unique`` (on a throwaway C client:
        libgearman 1.1.20's ``gearman_client_unique_status`` wedges its client)."""
        return _status.unique_status(self._core, unique)

    def do_background_at(
        self,
        when: _schedule.When,
        function_name: arg.Text,
        workload: arg.Workload,
        unique: arg.Text | None = None,
        priority: Priority = Priority.NORMAL,
    ) -> str:
        """Submit a background job to run no earlier than ``when`` (a datetime or
        Unix time); see ``schedule.py`` for what gearmand 1.1.20 does with it."""
        return _schedule.do_background_at(self._core, when, function_name, workload, unique, priority)

    def __repr__(self) -> str:
        core = self._core
        state = "closed" if core.closed else f"{len(core.pending())} pending"
        return f"<gearman_cffi.Client {state}>"


def core_of(client: Client) -> Core:
    """The Client's core, for the asyncio driver (``_aio_rounds``), which runs
    the same steps with slices of 0 on the event loop."""
    return client._core
