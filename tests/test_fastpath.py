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


def test_failed_batch_stays_pending_and_retries_with_same_uniques(gearmand: Gearmand, fn: str) -> None:
    with gearman_cffi.Client(gearmand.address, timeout=5) as client:
        client.echo(b"connect")
        gearmand.kill()
        tasks = [client.add_task_background(fn, f"r{i}") for i in range(50)]
        uniques = [t.unique for t in tasks]
        try:
            client.run_tasks()
        except gearman_cffi.GearmanError as error:
            assert isinstance(error, ConnectionError), error
        else:
            raise AssertionError("run_tasks succeeded with the server down")
        assert client.pending_tasks == tasks and all(t.job_handle is None for t in tasks)
        gearmand.start()
        client.run_tasks()
    assert [t.unique for t in tasks] == uniques and all(t.job_handle for t in tasks)
    assert sorted(server_uniques(gearmand)) == sorted(uniques)
    assert gearmand.queued(fn) == 50


def test_free_and_close_with_pending_tasks(gearmand: Gearmand, fn: str) -> None:
    client = gearman_cffi.Client(gearmand.address, timeout=5)
    kept = [client.add_task_background(fn, f"k{i}") for i in range(10)]
    withdrawn = client.add_task_low_background(fn, "gone")
    withdrawn.free()
    client.run_tasks()
    assert withdrawn.job_handle is None and all(t.job_handle for t in kept)
    dropped = [client.add_task_background(fn, f"d{i}") for i in range(10)]
    client.close()
    client.close()
    assert all(not t.is_pending and t.job_handle is None for t in dropped)
    assert gearmand.queued(fn) == 10
    assert sorted(gearmand.drain(fn, 10)) == sorted(f"k{i}".encode() for i in range(10))
