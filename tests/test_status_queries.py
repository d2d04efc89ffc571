"""job_status across servers, job_statuses in one batch, unique_status."""

from __future__ import annotations

import os

import pytest
from gearmand import Gearmand
from internals import main_c_client
from peers import run_python

import gearman_cffi
from gearman_cffi import JobStatus, ffi, lib

UNKNOWN = JobStatus(False, False, 0, 0)


def test_job_statuses_many_handles(client: gearman_cffi.Client, fn: str):
    handles = [client.do_background(fn, f"w{i}") for i in range(5)]
    statuses = client.job_statuses([*handles, "H:nowhere:1"])
    assert statuses[:5] == [JobStatus(True, False, 0, 0)] * 5
    assert statuses[5] == UNKNOWN
    assert statuses == [client.job_status(h) for h in [*handles, "H:nowhere:1"]]
    assert client.add_task_status(handles) == statuses[:5]  # the C name, same call
    assert client.job_statuses([]) == []
    with pytest.raises(TypeError):
        client.job_statuses([1])  # type: ignore[list-item]


def test_job_statuses_with_pending_tasks_does_not_send_them(
    client: gearman_cffi.Client, gearmand_module: Gearmand, fn: str
):
    handle = client.do_background(fn, "queued")
    task = client.add_task_background(fn, "pending")
    assert client.job_statuses([handle]) == [JobStatus(True, False, 0, 0)]
    assert client.pending_tasks == [task]
    assert gearmand_module.queued(fn) == 1
    client.run_tasks()
    assert gearmand_module.queued(fn) == 2


def test_job_status_asks_every_server(gearmand_factory: type[Gearmand], fn: str):
    first, second = gearmand_factory().start(), gearmand_factory().start()
    with gearman_cffi.Client(second.address, timeout=10) as only_second:
        handle = only_second.do_background(fn, "on the second server")
    raw_found = []
    for order in ([first, second], [second, first]):
        with gearman_cffi.Client([s.address for s in order], timeout=10) as both:
            assert both.servers == [(s.host, s.port) for s in order]
            # libgearman by itself, given both servers, asks one (the last added) only:
            raw = lib.gearman_client_create(ffi.NULL)
            try:
                for s in order:
                    assert lib.gearman_client_add_server(raw, s.host.encode(), s.port) == 0
                lib.gearman_client_set_timeout(raw, 10000)
                known = ffi.new("bool *")
                c_handle = ffi.new("gearman_job_handle_t", handle.encode())
                assert lib.gearman_client_job_status(raw, c_handle, known, ffi.NULL, ffi.NULL, ffi.NULL) == 0
                raw_found.append(bool(known[0]))
            finally:
                lib.gearman_client_free(raw)
            # the binding asks each server in turn:
            assert both.job_status(handle) == JobStatus(True, False, 0, 0)
            assert both.job_statuses([handle, "H:nowhere:9"]) == [JobStatus(True, False, 0, 0), UNKNOWN]
    assert raw_found == [True, False]
    assert second.queued(fn) == 1 and first.queued(fn) == 0


def test_unique_status(client: gearman_cffi.Client, gearmand_module: Gearmand, fn: str):
    client.do_background(fn, "x", unique=f"{fn}-u")
    assert client.unique_status(f"{fn}-u").is_known
    assert client.unique_status(f"{fn}-missing") == UNKNOWN
    # The client still submits (libgearman's own call would wedge it, below).
    assert client.do_background(fn, "after").startswith("H:")
    task = client.add_task_background(fn, "batch after")
    client.run_tasks()
    assert task.job_handle
    assert gearmand_module.queued(fn) == 3
    with pytest.raises(ValueError):
        client.unique_status("")


def test_libgearman_unique_status_wedges_its_client(gearmand_module: Gearmand, fn: str):
    """The evidence for running unique_status on a throwaway clone."""
    with gearman_cffi.Client(gearmand_module.address, timeout=2) as raw:
        raw.do_background(fn, "x", unique=f"{fn}-u")
        status = lib.gearman_client_unique_status(main_c_client(raw), f"{fn}-u".encode(), len(f"{fn}-u"))
        assert lib.gearman_status_is_known(status)
        with pytest.raises(gearman_cffi.GearmanTimeoutError):
            raw.do_background(fn, "wedged")


def test_unique_status_with_pending_tasks_and_several_servers(gearmand_factory: type[Gearmand], fn: str):
    first, second = gearmand_factory().start(), gearmand_factory().start()
    with gearman_cffi.Client(second.address, timeout=10) as only_second:
        only_second.do_background(fn, "x", unique="on-second")
    with gearman_cffi.Client([first.address, second.address], timeout=10) as both:
        task = both.add_task_background(fn, "pending")
        assert both.unique_status("on-second").is_known
        assert both.pending_tasks == [task]
    assert first.queued(fn) == 0 and second.queued(fn) == 1


DUPLICATES = """
import sys
from gearman_cffi import Client
address, fn = sys.argv[1:]
with Client(address, timeout=None) as client:
    handle = client.do_background(fn, b"x")
    print(client.job_statuses([handle, handle, "H:nowhere:1", handle]))
"""


def test_job_statuses_with_a_handle_listed_twice(gearmand_module: Gearmand, fn: str):
    """Both answers matched the first of two equal status tasks, so the second
    waited for ever (libgearman's blocking run_tasks, deaf to Ctrl-C)."""
    done = run_python(DUPLICATES, gearmand_module.address, fn, timeout=30)
    assert done.returncode == 0, done.stderr
    known, unknown = JobStatus(True, False, 0, 0), UNKNOWN
    assert done.stdout.strip() == repr([known, known, unknown, known])


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_job_statuses_polling_stays_flat(client: gearman_cffi.Client, fn: str):
    """Status tasks used to stay in the C client for good: ~5 MiB more per
    call of 2,000 handles, and each call slower than the one before."""
    handle = client.do_background(fn, b"x")
    handles = [handle] + [f"H:nowhere:{i}" for i in range(1999)]
    samples = []
    for _ in range(30):
        statuses = client.job_statuses(handles)
        assert statuses[0].is_known and not any(s.is_known for s in statuses[1:])
        samples.append(rss_bytes())
    growth = samples[-1] - samples[4]  # once allocators warmed up; a leak is ~130 MiB
    assert growth < 24 * 1024 * 1024, [s // 1024 for s in samples]
    assert client.do_background(fn, b"after").startswith("H:")
