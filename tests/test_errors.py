"""Failures: refused connections, silent servers, failover, and the exception types."""

from __future__ import annotations

import pickle
import time

import pytest
from gearmand import Gearmand, SilentServer, free_port
from peers import admin_command

import gearman_cffi
from gearman_cffi import (
    Client,
    ClientClosedError,
    GearmanConnectionError,
    GearmanError,
    GearmanInvalidArgumentError,
    GearmanMemoryError,
    GearmanServerError,
    GearmanTimeoutError,
    ReturnCode,
    lib,
)
from gearman_cffi.errors import check, error_class, error_from

#: Generous: the machine is shared and loaded; the point is "returns", not "fast".
MARGIN = 15.0

CALLS = {
    "do_background": lambda c, fn: c.do_background(fn, b"x"),
    "do_high_background": lambda c, fn: c.do_high_background(fn, b"x"),
    "do_low_background": lambda c, fn: c.do_low_background(fn, b"x"),
    "job_status": lambda c, fn: c.job_status("H:nowhere:1"),
    "echo": lambda c, fn: c.echo(b"ping"),
    "run_tasks": lambda c, fn: (c.add_task_background(fn, b"x"), c.run_tasks()),
}


@pytest.mark.parametrize("call", list(CALLS))
def test_connection_refused(call: str, fn: str) -> None:
    port = free_port()
    with Client(f"127.0.0.1:{port}", timeout=10) as client:
        with pytest.raises(GearmanConnectionError) as info:
            CALLS[call](client, fn)
        error = info.value
        assert isinstance(error, ConnectionError) and isinstance(error, GearmanError)
        assert error.code is ReturnCode.COULD_NOT_CONNECT
        assert error.name == "GEARMAN_COULD_NOT_CONNECT"
        assert "GEARMAN_COULD_NOT_CONNECT" in str(error)
        assert str(port) in error.message  # libgearman's own words name the address


def test_refused_then_server_appears(gearmand_factory: type[Gearmand], fn: str) -> None:
    """The same client works once a server listens, and retries its pending
    tasks once each (same unique, so no duplicates)."""
    port = free_port()
    with Client(f"127.0.0.1:{port}", timeout=10) as client:
        tasks = [client.add_task_background(fn, f"job {i}") for i in range(3)]
        with pytest.raises(ConnectionError):
            client.run_tasks()
        assert client.pending_tasks == tasks and all(t.job_handle is None for t in tasks)
        server = gearmand_factory(port=port).start()
        client.run_tasks()
        assert all(t.job_handle for t in tasks) and client.pending_tasks == []
        client.do_background(fn, b"one more")
    assert server.queued(fn) == 4


@pytest.mark.parametrize("call", list(CALLS))
def test_silent_server_times_out(silent_server: SilentServer, call: str, fn: str) -> None:
    timeout = 0.5
    with Client(silent_server.address, timeout=timeout) as client:
        start = time.monotonic()
        with pytest.raises(GearmanTimeoutError) as info:
            CALLS[call](client, fn)
        assert time.monotonic() - start < timeout + MARGIN
        assert isinstance(info.value, TimeoutError)
        assert info.value.code is ReturnCode.TIMEOUT and info.value.name == "GEARMAN_TIMEOUT"


def test_client_recovers_after_a_timeout(gearmand_factory: type[Gearmand], fn: str) -> None:
    silent = SilentServer()
    port = silent.port
    try:
        client = Client(silent.address, timeout=0.5)
        task = client.add_task_background(fn, b"pending", unique=f"u-{fn}")
        with pytest.raises(TimeoutError):
            client.do_background(fn, b"lost")
        with pytest.raises(TimeoutError):
            client.run_tasks()
        assert task.is_pending and task.job_handle is None
    finally:
        silent.close()
    server = gearmand_factory(port=port).start()  # a live server where the silent one was
    with client:
        client.timeout = 10
        client.run_tasks()
        assert task.job_handle is not None and task.unique == f"u-{fn}"
        client.do_background(fn, b"after")
        assert client.job_status(task.job_handle).is_known
    assert sorted(server.drain(fn, 2)) == [b"after", b"pending"]


def test_server_restart_between_calls(gearmand_factory: type[Gearmand], fn: str) -> None:
    server = gearmand_factory().start()
    with Client(server.address, timeout=10) as client:
        client.do_background(fn, b"before")
        server.restart()  # kills the connection the client holds (and the queue)
        try:
            client.do_background(fn, b"first try")
        except GearmanConnectionError:
            pass  # a lost connection may surface once; the next call must work
        client.do_background(fn, b"after")
    assert b"after" in server.drain(fn, server.queued(fn))


@pytest.mark.parametrize("live_first", [False, True])
@pytest.mark.parametrize("dead_count", [1, 2])
@pytest.mark.parametrize("form", ["list", "str"])
def test_failover_from_dead_servers(
    gearmand_module: Gearmand, fn: str, form: str, dead_count: int, live_first: bool
) -> None:
    addresses = [f"127.0.0.1:{free_port()}" for _ in range(dead_count)]
    addresses.insert(0 if live_first else dead_count, gearmand_module.address)
    with Client(addresses if form == "list" else ",".join(addresses), timeout=10) as client:
        client.do_background(fn, b"x")
        client.add_task_background(fn, b"y")
        client.run_tasks()
        assert client.job_status("H:nowhere:1") == gearman_cffi.JobStatus(False, False, 0, 0)
    assert gearmand_module.queued(fn) == 2


def test_failover_of_a_batch_sends_each_task_once(gearmand_module: Gearmand, fn: str) -> None:
    with Client([f"127.0.0.1:{free_port()}", gearmand_module.address], timeout=10) as client:
        tasks = [client.add_task_background(fn, f"job {i}") for i in range(20)]
        client.run_tasks()
        assert all(t.job_handle for t in tasks) and len({t.job_handle for t in tasks}) == 20
        for i in range(5):  # a second batch on the same client
            client.add_task_background(fn, f"more {i}")
        client.run_tasks()
    assert gearmand_module.queued(fn) == 25


def test_unresolvable_host_is_a_connection_error(fn: str) -> None:
    with pytest.raises(ConnectionError):
        with Client("no-such-host.invalid:4730", timeout=5) as client:
            client.do_background(fn, b"x")


# -- the exception types themselves -----------------------------------------------------


@pytest.mark.parametrize(
    ("code", "cls", "builtin"),
    [
        (lib.GEARMAN_COULD_NOT_CONNECT, GearmanConnectionError, ConnectionError),
        (lib.GEARMAN_LOST_CONNECTION, GearmanConnectionError, ConnectionError),
        (lib.GEARMAN_NO_SERVERS, GearmanConnectionError, ConnectionError),
        (lib.GEARMAN_TIMEOUT, GearmanTimeoutError, TimeoutError),
        (lib.GEARMAN_INVALID_ARGUMENT, GearmanInvalidArgumentError, ValueError),
        (lib.GEARMAN_ARGUMENT_TOO_LARGE, GearmanInvalidArgumentError, ValueError),
        (lib.GEARMAN_MEMORY_ALLOCATION_FAILURE, GearmanMemoryError, MemoryError),
        (lib.GEARMAN_SERVER_ERROR, GearmanServerError, GearmanError),
        (lib.GEARMAN_JOB_QUEUE_FULL, GearmanServerError, GearmanError),
        (lib.GEARMAN_WORK_FAIL, GearmanError, GearmanError),
    ],
)
def test_error_class_for_code(code: int, cls: type[GearmanError], builtin: type[Exception]) -> None:
    assert error_class(code) is cls
    error = error_from(code)
    assert type(error) is cls and isinstance(error, builtin)
    assert error.code == code and isinstance(error.code, ReturnCode)
    assert error.name == "GEARMAN_" + ReturnCode(code).name
    assert error.name in str(error)
    with pytest.raises(cls):
        check(code)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls and copy.code == error.code and str(copy) == str(error)


def test_check_success_is_silent() -> None:
    check(lib.GEARMAN_SUCCESS)


def test_error_message_is_libgearmans() -> None:
    error = GearmanError(lib.GEARMAN_TIMEOUT)
    assert error.message == "GEARMAN_TIMEOUT"  # gearman_strerror() when no client message
    custom = GearmanTimeoutError(lib.GEARMAN_TIMEOUT, "waited too long")
    assert str(custom) == "GEARMAN_TIMEOUT: waited too long" and custom.message == "waited too long"


def test_client_closed_error() -> None:
    error = ClientClosedError()
    assert isinstance(error, ValueError) and isinstance(error, GearmanError)
    assert "closed" in str(error)
    assert type(pickle.loads(pickle.dumps(error))) is ClientClosedError


def test_return_code_names() -> None:
    assert ReturnCode.SUCCESS == 0 == lib.GEARMAN_SUCCESS
    assert ReturnCode(lib.GEARMAN_TIMEOUT) is ReturnCode.TIMEOUT
    assert all(not m.name.startswith("GEARMAN_") for m in ReturnCode)
    aliases = (ReturnCode.FAIL, ReturnCode.FATAL, ReturnCode.ERROR)
    assert aliases == (lib.GEARMAN_FAIL, lib.GEARMAN_FATAL, lib.GEARMAN_ERROR)


def test_full_queue_is_a_server_error_and_retryable(gearmand: Gearmand, fn: str) -> None:
    with Client(gearmand.address, timeout=10) as client:
        client.do_background(fn, b"0")  # maxqueue applies to functions the server knows
        assert admin_command(gearmand, f"maxqueue {fn} 3") == b"OK"
        client.do_background(fn, b"1")
        client.do_background(fn, b"2")
        with pytest.raises(GearmanServerError) as info:
            client.do_background(fn, b"refused")
        assert "full" in str(info.value).lower()
        tasks = [client.add_task_background(fn, f"task {i}") for i in range(2)]
        with pytest.raises(GearmanServerError):
            client.run_tasks()
        assert client.pending_tasks == tasks and all(t.job_handle is None for t in tasks)
        assert gearmand.queued(fn) == 3
        assert gearmand.drain(fn, 2) == [b"0", b"1"]
        client.run_tasks()  # room again: the same tasks go through
        assert all(t.job_handle for t in tasks)
    assert sorted(gearmand.drain(fn, 3)) == [b"2", b"task 0", b"task 1"]
