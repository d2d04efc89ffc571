"""Status queries beyond ``gearman_client_job_status``.

* libgearman sends a status request to one server only (the last one added:
  its connection list is prepended), so with several
  servers :func:`job_status` asks each one (a throwaway single-server clone per
  server) and returns the first answer that knows the job.
* :func:`job_statuses` sends one GET_STATUS per handle in one batch
  (``gearman_client_add_task_status`` + ``run_tasks``): one round trip per server.
* :func:`unique_status` runs ``gearman_client_unique_status`` on a throwaway
  clone: in libgearman 1.1.20 it counts the request as a job submission that
  the server never answers with JOB_CREATED, so every later submission on the
  same C client waits for the wrong JOB_CREATED and times out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from . import _arguments as arg
from ._libgearman import ffi, lib
from .errors import GearmanConnectionError, GearmanMemoryError, error_from
from .task import JobStatus

if TYPE_CHECKING:
    from .client import Client

UNKNOWN = JobStatus(False, False, 0, 0)


@contextmanager
def throwaway(client: Client, server: tuple[str, int] | None = None) -> Iterator[Any]:
    """A task-free clone of the client's C client (same timeout, options,
    namespace), limited to ``server`` if given; freed afterwards."""
    with client._locked() as ptr:
        clone = lib.gearman_client_clone(ffi.NULL, ptr)
    if clone == ffi.NULL:
        raise GearmanMemoryError(lib.GEARMAN_MEMORY_ALLOCATION_FAILURE)
    try:
        if server is not None:
            lib.gearman_client_remove_servers(clone)
            rc = lib.gearman_client_add_server(clone, server[0].encode(), server[1])
            if rc != lib.GEARMAN_SUCCESS:
                raise error_from(rc, clone)
        yield clone
    finally:
        lib.gearman_client_free(clone)


def _batch(ptr: Any, handles: list[bytes]) -> list[JobStatus]:
    """GET_STATUS for every handle in one run_tasks on the C client ``ptr``."""
    ret = ffi.new("gearman_return_t *")
    tasks = []
    for handle in handles:
        c_task = lib.gearman_client_add_task_status(ptr, ffi.NULL, ffi.NULL, handle, ret)
        if c_task == ffi.NULL:
            raise error_from(ret[0], ptr)
        tasks.append(c_task)
    rc = lib.gearman_client_run_tasks(ptr)
    if rc != lib.GEARMAN_SUCCESS:
        raise error_from(rc, ptr)
    return [
        JobStatus(
            bool(lib.gearman_task_is_known(t)),
            bool(lib.gearman_task_is_running(t)),
            int(lib.gearman_task_numerator(t)),
            int(lib.gearman_task_denominator(t)),
        )
        for t in tasks
    ]


def job_statuses(client: Client, job_handles: Iterable[arg.Text]) -> list[JobStatus]:
    """The status of each handle, asked of every server (first that knows wins)."""
    handles = [arg.job_handle(h) for h in job_handles]
    if not handles:
        return []
    servers = client.servers
    if len(servers) <= 1:
        with client._task_free() as ptr:
            return _batch(ptr, handles)
    results = [UNKNOWN] * len(handles)
    unreachable: list[GearmanConnectionError] = []
    for server in servers:
        todo = [i for i, status in enumerate(results) if not status.is_known]
        if not todo:
            break
        try:
            with throwaway(client, server) as ptr:
                answers = _batch(ptr, [handles[i] for i in todo])
        except GearmanConnectionError as error:  # a dead server knows nothing: ask the next
            unreachable.append(error)
            continue
        for i, status in zip(todo, answers):
            results[i] = status
    if len(unreachable) == len(servers):
        raise unreachable[-1]
    return results


def job_status(client: Client, job_handle: arg.Text) -> JobStatus:
    return job_statuses(client, [job_handle])[0]


def unique_status(client: Client, unique: arg.Text) -> JobStatus:
    """The status of the job submitted with ``unique`` (a job only the first
    server holds is reported unknown by the others, so each server is asked)."""
    data = arg.text(unique, "unique", arg.MAX_UNIQUE)
    servers: list[tuple[str, int] | None] = [*client.servers] or [None]
    unreachable: list[GearmanConnectionError] = []
    for server in servers:
        try:
            result = _unique_status_on(client, server, data)
        except GearmanConnectionError as error:  # a dead server knows nothing: ask the next
            unreachable.append(error)
            continue
        if result.is_known:
            return result
    if len(unreachable) == len(servers):
        raise unreachable[-1]
    return UNKNOWN


def _unique_status_on(client: Client, server: tuple[str, int] | None, unique: bytes) -> JobStatus:
    with throwaway(client, server) as ptr:
        status = lib.gearman_client_unique_status(ptr, unique, len(unique))
        rc = lib.gearman_status_return(status)
        if rc not in (lib.GEARMAN_SUCCESS, lib.GEARMAN_JOB_EXISTS, lib.GEARMAN_IN_PROGRESS):
            raise error_from(rc, ptr)
        return JobStatus(
            bool(lib.gearman_status_is_known(status)),
            bool(lib.gearman_status_is_running(status)),
            int(lib.gearman_status_numerator(status)),
            int(lib.gearman_status_denominator(status)),
        )


__all__ = ["job_status", "job_statuses", "unique_status"]
