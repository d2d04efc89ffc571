"""Close, context manager, use after close, and garbage collection in any order."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable

import pytest
from gc_scenarios import SCENARIOS
from gearmand import Gearmand
from peers import TESTS, run_python

from gearman_cffi import Client, ClientClosedError, GearmanError, ReturnCode

AFTER_CLOSE: dict[str, Callable[[Client], object]] = {
    "do_background": lambda c: c.do_background("f", b"x"),
    "do_high_background": lambda c: c.do_high_background("f", b"x"),
    "do_low_background": lambda c: c.do_low_background("f", b"x"),
    "add_task_background": lambda c: c.add_task_background("f", b"x"),
    "add_task_high_background": lambda c: c.add_task_high_background("f", b"x"),
    "add_task_low_background": lambda c: c.add_task_low_background("f", b"x"),
    "run_tasks": lambda c: c.run_tasks(),
    "job_status": lambda c: c.job_status("H:x:1"),
    "echo": lambda c: c.echo(b"x"),
    "clone": lambda c: c.clone(),
    "timeout-get": lambda c: c.timeout,
    "timeout-set": lambda c: setattr(c, "timeout", 1.0),
}


@pytest.mark.parametrize("method", list(AFTER_CLOSE))
def test_use_after_close_raises(gearmand_module: Gearmand, method: str) -> None:
    client = Client(gearmand_module.address, timeout=10)
    client.close()
    with pytest.raises(ClientClosedError) as info:
        AFTER_CLOSE[method](client)
    assert isinstance(info.value, ValueError) and isinstance(info.value, GearmanError)
    assert info.value.code is ReturnCode.NOT_CONNECTED


def test_closed_client_state(gearmand_module: Gearmand) -> None:
    client = Client(gearmand_module.address, timeout=10)
    assert not client.closed
    client.close()
    assert client.closed and client.pending_tasks == [] and "closed" in repr(client)
    client.close()  # idempotent
    assert client.closed


def test_context_manager(gearmand_module: Gearmand, fn: str) -> None:
    with Client(gearmand_module.address, timeout=10) as client:
        assert isinstance(client, Client) and not client.closed
        client.do_background(fn, b"x")
    assert client.closed
    with pytest.raises(RuntimeError), Client(gearmand_module.address, timeout=10) as other:
        raise RuntimeError("boom")
    assert other.closed
    assert gearmand_module.queued(fn) == 1


def test_close_drops_pending_tasks(gearmand_module: Gearmand, fn: str) -> None:
    client = Client(gearmand_module.address, timeout=10)
    sent = client.add_task_background(fn, b"sent")
    client.run_tasks()
    dropped = [client.add_task_background(fn, f"dropped {i}") for i in range(3)]
    client.close()
    assert sent.job_handle is not None
    for task in dropped:
        assert not task.is_pending and task.job_handle is None
        assert task.return_code is ReturnCode.UNKNOWN_STATE
        task.free()
    assert gearmand_module.queued(fn) == 1


def test_task_keeps_client_alive(gearmand_module: Gearmand, fn: str) -> None:
    client = Client(gearmand_module.address, timeout=10)
    task = client.add_task_background(fn, b"x")
    ref = weakref.ref(client)
    del client
    gc.collect()
    assert ref() is task.client
    task.client.run_tasks()  # the client still works through the task
    assert task.job_handle
    del task
    gc.collect()
    assert ref() is None  # and is released with the last task
    assert gearmand_module.queued(fn) == 1


def test_dropping_a_client_closes_it(gearmand_module: Gearmand, fn: str) -> None:
    client = Client(gearmand_module.address, timeout=10)
    client.add_task_background(fn, b"never sent")
    del client
    gc.collect()
    assert gearmand_module.queued(fn) == 0


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_gc_scenario_in_process(gearmand_module: Gearmand, name: str) -> None:
    SCENARIOS[name](gearmand_module.address)
    gc.collect()
    assert gearmand_module.queued("gc_never_sent") == 0


def test_gc_scenarios_in_a_subprocess(gearmand_module: Gearmand) -> None:
    """The same scenarios in a fresh interpreter: a segfault is a failure here."""
    result = run_python(f"import runpy; runpy.run_path({str(TESTS / 'gc_scenarios.py')!r}, run_name='__main__')",
                        gearmand_module.address)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("ok ") == len(SCENARIOS), result.stdout
    assert "Exception ignored" not in result.stderr, result.stderr
    assert gearmand_module.queued("gc_never_sent") == 0


def test_interpreter_exit_with_live_objects(gearmand_module: Gearmand, fn: str) -> None:
    """Clients, clones and tasks (pending, sent, in cycles) left for interpreter
    shutdown: no crash and no 'Exception ignored in __del__'."""
    code = f"""
import gearman_cffi
c = gearman_cffi.Client({gearmand_module.address!r}, timeout=10)
sent = c.add_task_background({fn!r}, b"sent")
c.run_tasks()
pending = c.add_task_background({fn!r} + "_never", b"pending")
pending.context = pending
c.do_background({fn!r}, b"side clone in use")
clone = c.clone()
clone_task = clone.add_task_high_background({fn!r} + "_never", b"pending")
closed = gearman_cffi.Client({gearmand_module.address!r})
closed_task = closed.add_task_background({fn!r} + "_never", b"x")
closed.close()
c.cycle = c
print("done")
"""
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "done"
    assert result.stderr == ""
    assert gearmand_module.queued(fn) == 2
    assert gearmand_module.queued(fn + "_never") == 0
