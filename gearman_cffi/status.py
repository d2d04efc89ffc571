"""Status queries: ``job_status``, ``job_statuses`` and ``unique_status``.

* GET_STATUS for many handles goes out in one batch (``add_task_status``) run
  in slices like any other run, each status task with a slot as its context
  (C copies the answer in before libgearman frees the task): every wait is
  interruptible and nothing stays behind in the C client.  A handle listed
  twice is asked once (libgearman matches both answers to the first task, so
  the second would wait for ever).
* libgearman sends a status request to one server only (the last one added),
  so with several servers each one is asked, on a throwaway C client, and the
  first answer that knows the job wins.  A handle the Client itself returned
  (``Client(spread=True)`` remembers the last jobs' servers) is asked of the
  server that created it only: gearmands on one host number their handles
  alike ("H:host:1" on each), so another server may know the same string as
  another job.  A unique is asked of the server its hash picks first.
* :func:`unique_status` runs ``gearman_client_unique_status`` on a throwaway
  C client: in libgearman 1.1.20 it counts the request as a job submission that
  the server never answers with JOB_CREATED, so every later submission on the
  same C client waits for the wrong JOB_CREATED and times out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from . import _arguments as arg
from ._lane import IO_WAIT, SLICE_MS, SUCCESS
from ._libgearman import ffi, lib
from ._settings import Server
from ._wait import interruptible, wait
from .errors import GearmanConnectionError, error_from
from .task import JobStatus

if TYPE_CHECKING:
    from ._core import Core, Steps

T = TypeVar("T")
UNKNOWN = JobStatus(False, False, 0, 0)


def _batch(handles: list[bytes]) -> Callable[[Any], Steps[list[JobStatus]]]:
    """The steps of GET_STATUS for every handle in one run on a C client."""

    def steps(ptr: Any) -> Steps[list[JobStatus]]:
        slots = [ffi.new("gearman_cffi_slot *") for _ in handles]
        ret, run = ffi.new("gearman_return_t *"), ffi.new("gearman_cffi_run *")
        for handle, slot in zip(handles, slots):
            if lib.gearman_client_add_task_status(ptr, ffi.NULL, slot, handle, ret) == ffi.NULL:
                raise error_from(ret[0], ptr)
        rc = lib.gearman_cffi_run_tasks(ptr, SLICE_MS, run)
        while rc == IO_WAIT:
            yield
            rc = lib.gearman_cffi_run_tasks(ptr, SLICE_MS, run)
        if rc != SUCCESS:
            raise error_from(rc, ptr)
        return [JobStatus(bool(s.is_known), bool(s.is_running), int(s.numerator), int(s.denominator)) for s in slots]

    return steps


def _on_each_server(
    core: Core, ask: Callable[[Any], T], known: Callable[[T], bool], default: T, servers: Sequence[Server] = ()
) -> T:
    """``ask(c_client)`` of each server (default: all) in turn, a throwaway C
    client each, until an answer is ``known``; a dead server knows nothing.
    Raises only if every server was unreachable."""
    servers = servers or core.servers
    unreachable: list[GearmanConnectionError] = []
    answer = default
    for server in servers:
        try:
            with core.throwaway(server) as ptr:
                answer = ask(ptr)
        except GearmanConnectionError as error:
            unreachable.append(error)
            continue
        if known(answer):
            return answer
    if len(unreachable) == len(servers):
        raise unreachable[-1]
    return answer if known(answer) else default


def job_statuses(core: Core, job_handles: Iterable[arg.Text]) -> list[JobStatus]:
    """The status of each handle (asked of every server: first that knows wins)."""
    handles = [arg.job_handle(h) for h in job_handles]
    distinct = list(dict.fromkeys(handles))
    if not distinct:
        return []
    if len(core.servers) == 1:
        answers = wait(core.on_task_free(_batch(distinct)))
    else:
        found = dict.fromkeys(distinct, UNKNOWN)
        homes = core.servers_of(distinct)
        groups: dict[tuple[Server, ...], list[bytes]] = {}
        for handle in distinct:
            groups.setdefault(tuple(homes.get(handle, ())), []).append(handle)
        unreachable: list[GearmanConnectionError] = []
        for servers, group in groups.items():  # servers (): not remembered, every server is asked

            def ask(ptr: Any, group: list[bytes] = group) -> bool:
                todo = [h for h in group if not found[h].is_known]
                found.update(zip(todo, wait(core.closable(_batch(todo)(ptr)))))
                return all(found[h].is_known for h in group)

            try:
                _on_each_server(core, ask, bool, False, servers)
            except GearmanConnectionError as error:  # its jobs are unknown, unless no server answered at all
                unreachable.append(error)
        if len(unreachable) == len(groups):
            raise unreachable[-1]
        answers = list(found.values())
    by_handle = dict(zip(distinct, answers))
    return [by_handle[h] for h in handles]


def unique_status(core: Core, unique: arg.Text) -> JobStatus:
    """The status of the job submitted with ``unique`` (a job only the first
    server holds is reported unknown by the others, so each server is asked)."""
    data = arg.text(unique, "unique", arg.MAX_UNIQUE)

    def ask(ptr: Any) -> JobStatus:
        with interruptible(core.owner.check_closing):  # (one round trip inside libgearman)
            status = lib.gearman_client_unique_status(ptr, data, len(data))
            rc = lib.gearman_status_return(status)
            if rc not in (lib.GEARMAN_SUCCESS, lib.GEARMAN_JOB_EXISTS, lib.GEARMAN_IN_PROGRESS):
                raise error_from(rc, ptr)
        return JobStatus(
            bool(lib.gearman_status_is_known(status)),
            bool(lib.gearman_status_is_running(status)),
            int(lib.gearman_status_numerator(status)),
            int(lib.gearman_status_denominator(status)),
        )

    return _on_each_server(core, ask, lambda status: status.is_known, UNKNOWN, core.servers_for_unique(data))


__all__ = ["job_statuses", "unique_status"]
