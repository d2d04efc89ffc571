"""The speed paths of issue 4, checked against the server: gearman_cffi's own
auto unique, the names/uniques Task reports without asking C, and the one-call
settling of a run_tasks() batch."""

from __future__ import annotations

import re
import subprocess

from gearmand import Gearmand

import gearman_cffi

UUID_FORM = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def server_uniques(server: Gearmand) -> list[str]:
    """``gearadmin --show-unique-jobs``: the unique of every queued job."""
    out = subprocess.run(
        ["gearadmin", "-h", server.host, "-p", str(server.port), "--show-unique-jobs"],
        check=True, capture_output=True, timeout=30,
    ).stdout.decode("utf-8", "surrogateescape")  # fmt: skip
    return [line for line in out.splitlines() if line and line != "."]


def test_auto_unique_is_per_job_uuid_form_and_exact(gearmand: Gearmand, fn: str) -> None:
    with gearman_cffi.Client(gearmand.address, timeout=10) as client:
        other = client.clone()
        tasks = [c.add_task_background(fn, b"same payload") for c in (client, other) for _ in range(20)]
        client.run_tasks()
        other.run_tasks()
        other.close()
        client.do_background(fn, b"same payload")
        client.do_low_background(fn, b"same payload")
    uniques = [t.unique for t in tasks]
    assert all(UUID_FORM.match(u) for u in uniques), uniques[:3]
    assert len(set(uniques)) == 40
    assert uniques[0][:24] != uniques[-1][:24]  # a clone draws its own random prefix
    # The server saw exactly these uniques (none coalesced), plus the two do_* jobs.
    on_server = server_uniques(gearmand)
    assert set(uniques) <= set(on_server)
    assert len(set(on_server)) == 42 and all(UUID_FORM.match(u) for u in on_server)
    assert gearmand.queued(fn) == 42
    assert len({t.job_handle for t in tasks}) == 40


def test_explicit_uniques_and_names_are_reported_exactly(gearmand: Gearmand, fn: str) -> None:
    with gearman_cffi.Client(gearmand.address, timeout=10) as client:
        a = client.add_task_background(fn, "x", "ünïque-ä")
        b = client.add_task_background(fn.encode(), "x", b"raw-\xff")
        c = client.add_task_high_background(fn, "x", "-")  # libgearman's hash request: read back from C
        client.run_tasks()
    assert (a.unique, b.unique) == ("ünïque-ä", "raw-\udcff")
    assert a.function_name == b.function_name == c.function_name == fn
    assert c.unique and all(t.return_code is gearman_cffi.ReturnCode.SUCCESS for t in (a, b, c))
    assert sorted(server_uniques(gearmand)) == sorted(["ünïque-ä", "raw-\udcff", c.unique])


def test_batch_settling_across_batches(gearmand: Gearmand, fn: str) -> None:
    with gearman_cffi.Client(gearmand.address, timeout=10) as client:
        batches = []
        for b in range(3):
            batch = [client.add_task_background(fn, f"{b}-{i}".encode()) for i in range(300)]
            assert client.pending_tasks == batch
            client.run_tasks()
            assert client.pending_tasks == []
            batches.append(batch)
    tasks = [t for batch in batches for t in batch]
    assert all(not t.is_pending and t.job_handle and t.job_handle.startswith("H:") for t in tasks)
    assert all(t.return_code is gearman_cffi.ReturnCode.SUCCESS and t.is_known and not t.is_running for t in tasks)
    assert len({t.job_handle for t in tasks}) == 900
    assert gearmand.queued(fn) == 900
    assert sorted(gearmand.drain(fn, 900)) == sorted(f"{b}-{i}".encode() for b in range(3) for i in range(300))
