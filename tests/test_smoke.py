"""The path every user takes first: submit, then see the job through gearman-tools."""

from __future__ import annotations

import gearman_cffi


def test_do_background_reaches_a_cli_worker(client: gearman_cffi.Client, gearmand_module, fn: str) -> None:
    handle = client.do_background(fn, b"payload\0with NUL")
    assert handle.startswith("H:")
    assert gearmand_module.queued(fn) == 1
    assert gearmand_module.drain(fn, 1) == [b"payload\0with NUL"]
    assert gearmand_module.queued(fn) == 0


def test_add_task_background_and_run_tasks(client: gearman_cffi.Client, gearmand_module, fn: str) -> None:
    tasks = [client.add_task_background(fn, f"job {i}") for i in range(5)]
    assert all(t.job_handle is None for t in tasks)
    client.run_tasks()
    assert len({t.job_handle for t in tasks}) == 5
    assert gearmand_module.queued(fn) == 5
    assert sorted(gearmand_module.drain(fn, 5)) == sorted(f"job {i}".encode() for i in range(5))
