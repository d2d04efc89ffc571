"""gearman_cffi.aio against a real gearmand, checked through gearadmin and the
``gearman`` CLI worker; every test runs under asyncio's loop and, if it is
installed, uvloop's."""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from collections.abc import Coroutine
from typing import Any, Callable, TypeVar

import pytest
from gearmand import Gearmand, SilentServer, free_port
from peers import gearadmin, priority_status, run_python

import gearman_cffi
from gearman_cffi import Priority, aio

T = TypeVar("T")

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is in the test extra
    uvloop = None

LOOPS = ["asyncio", pytest.param("uvloop", marks=pytest.mark.skipif(uvloop is None, reason="uvloop not installed"))]


#: No test may hang: a coroutine still running after this fails its test (asyncio.TimeoutError).
LIMIT = 120.0
#: Tests on a silent server with no timeout: only cancellation or close() may end their waits.
SILENT_LIMIT = 20.0


@pytest.fixture(params=LOOPS)
def run(request: pytest.FixtureRequest) -> Callable[[Coroutine[Any, Any, T]], T]:
    """Run a coroutine to the end on a fresh loop of the parametrised kind."""
    if request.param == "uvloop":
        return run_on_uvloop
    return lambda coro: asyncio.run(asyncio.wait_for(coro, LIMIT))


def run_on_uvloop(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on a uvloop loop (asyncio.Runner's loop_factory is 3.11+)."""
    loop = uvloop.new_event_loop()
    try:
        return loop.run_until_complete(asyncio.wait_for(coro, LIMIT))
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def io_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("gearman_cffi.aio")]


def connections(server: Gearmand) -> int:
    """The server's connections, as ``gearadmin --workers`` lists them (gearadmin's own included)."""
    return len([line for line in gearadmin(server, "--workers").split(b"\n") if line and line != b"."])


def wait_connections(server: Gearmand, count: int) -> int:
    deadline = time.monotonic() + 10
    while (seen := connections(server)) != count and time.monotonic() < deadline:
        time.sleep(0.05)
    return seen


def test_priorities(run: Any, gearmand_module: Gearmand, fn: str) -> None:
    async def main() -> None:
        async with aio.Client(gearmand_module.address, timeout=10) as c:
            await asyncio.gather(*[c.do_high_background(fn, b"h") for _ in range(3)],
                                 *[c.do_background(fn, b"n") for _ in range(2)], c.do_low_background(fn, b"l"))
            c.add_task_high_background(fn, b"h")
            c.add_task_low_background(fn, b"l")
            c.add_task_low_background(fn, b"l")
            await c.run_tasks()  # fmt: skip

    run(main())
    assert priority_status(gearmand_module, fn) == (4, 2, 3)
    assert gearmand_module.drain(fn, 9)[:4] == [b"h"] * 4


@pytest.mark.slow  # the CLI worker drains 3,000 jobs, one shell each
def test_3000_concurrent_awaits_each_payload_once(run: Any, gearmand_module: Gearmand, fn: str) -> None:
    payloads = [b"p%05d" % i for i in range(3000)]

    async def main() -> list[str]:
        async with aio.Client(gearmand_module.address, timeout=30) as c:
            return await asyncio.gather(*[c.do_background(fn, p) for p in payloads])

    handles = run(main())
    assert len(set(handles)) == 3000
    assert set(handles) <= gearmand_module.job_handles()
    assert sorted(gearmand_module.drain(fn, 3000, timeout=120)) == payloads
    assert gearmand_module.queued(fn) == 0


def test_bad_input_fails_alone_in_a_gather(run: Any, gearmand_module: Gearmand, fn: str) -> None:
    async def main() -> list[Any]:
        async with aio.Client(gearmand_module.address, timeout=10) as c:
            return await asyncio.gather(c.do_background(fn, b"a"), c.do_background(fn, 42),  # type: ignore
                                        c.do_background("bad\0name", b"x"), c.do_background(fn, b"x", "u" * 64),
                                        c.do_background(fn, b"b"), return_exceptions=True)  # fmt: skip

    good1, bad_type, bad_name, bad_unique, good2 = run(main())
    assert isinstance(bad_type, TypeError)
    assert isinstance(bad_name, ValueError) and isinstance(bad_unique, ValueError)
    assert {good1, good2} <= gearmand_module.job_handles()
    assert sorted(gearmand_module.drain(fn, 2)) == [b"a", b"b"]


@pytest.mark.parametrize("method", ["do_background", "do"])  # do: asking for exceptions first, in a thread
def test_loop_never_blocked_while_waiting_on_a_silent_server(run: Any, silent_server: SilentServer, method: str
                                                             ) -> None:  # fmt: skip
    """A heartbeat every 5 ms while a call waits 1 s for a silent server.  A
    wait on the loop's thread would show as one gap of ~1 s (the whole wait)
    or as a gap of ~100 ms per wait slice (about ten).  This machine is shared:
    an idle loop, no client at all, was seen to miss 50 ms once or twice a
    second under load, so up to two late beats are forgiven, none over 0.5 s."""

    async def main() -> tuple[list[float], BaseException]:
        gaps: list[float] = []
        stop = asyncio.Event()

        async def heartbeat() -> None:
            last = time.perf_counter()
            while not stop.is_set():
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        beat = asyncio.ensure_future(heartbeat())
        await asyncio.sleep(0.05)  # beating
        async with aio.Client(silent_server.address, timeout=1.0) as c:
            try:
                await getattr(c, method)("f", b"x")
            except BaseException as error:
                failure = error
        stop.set()
        await beat
        return gaps, failure

    gaps, failure = run(asyncio.wait_for(main(), SILENT_LIMIT))
    assert isinstance(failure, TimeoutError)  # GearmanTimeoutError
    late = sorted(g for g in gaps if g > 0.050)
    assert len(late) <= 2 and (not late or late[-1] < 0.5), f"beats over 50 ms apart: {late} (of {len(gaps)})"


def test_dead_server_raises_connection_error(run: Any) -> None:
    async def main() -> None:
        async with aio.Client(f"127.0.0.1:{free_port()}", timeout=5) as c:
            await c.do_background("f", b"x")

    with pytest.raises(ConnectionError):
        run(main())


def test_cancel_on_a_silent_server_returns_promptly_and_frees_the_client(run: Any, silent_server: SilentServer
                                                                          ) -> None:  # fmt: skip
    async def main() -> tuple[float, float]:
        c = aio.Client(silent_server.address)  # no timeout: only cancellation ends the wait
        waiting = asyncio.ensure_future(c.do_background("f", b"x", "cancelled-1"))
        await asyncio.sleep(0.3)
        started = time.perf_counter()
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        cancelled = time.perf_counter() - started
        # The round was given up (its only waiter is gone): a new request is taken (and is itself cancellable).
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(c.do_background("f", b"y"), 0.3)
        started = time.perf_counter()
        await c.close()
        return cancelled, time.perf_counter() - started

    cancelled, closed = run(asyncio.wait_for(main(), SILENT_LIMIT))
    assert cancelled < 0.5 and closed < 2.0
    assert io_threads() == []


def test_cancel_on_a_live_server_leaves_the_client_usable(run: Any, gearmand_module: Gearmand, fn: str) -> None:
    async def main() -> list[str]:
        async with aio.Client(gearmand_module.address, timeout=10) as c:
            first = [asyncio.ensure_future(c.do_background(fn, b"c%d" % i)) for i in range(200)]
            await asyncio.sleep(0)  # each has queued its job
            for task in first[::2]:
                task.cancel()  # some never sent, some in a round already: the server may have them
            done = await asyncio.gather(*first, return_exceptions=True)
            assert all(isinstance(d, (str, asyncio.CancelledError)) for d in done)
            kept = [d for d in done if isinstance(d, str)]
            assert len(kept) >= 100
            return [*kept, await c.do_background(fn, b"after")]

    handles = run(main())
    assert set(handles) <= gearmand_module.job_handles()
    payloads = gearmand_module.drain(fn, gearmand_module.queued(fn))
    assert b"after" in payloads and len(payloads) >= len(handles)
    assert all(payloads.count(p) == 1 for p in payloads)  # nothing sent twice


def test_batches_and_status(run: Any, gearmand_module: Gearmand, fn: str) -> None:
    async def main() -> None:
        async with aio.Client(gearmand_module.address, timeout=10) as c:
            tasks = [c.add_task_background(fn, b"t%d" % i, context=i) for i in range(5)]
            withdrawn = c.add_task_background(fn, b"never")
            withdrawn.free()
            assert c.pending_tasks == tasks and all(t.is_pending and t.job_handle is None for t in tasks)
            await c.run_tasks()
            assert [t.context for t in tasks] == list(range(5))
            assert all(not t.is_pending and t.job_handle and len(t.unique or "") == 36 for t in tasks)
            assert not withdrawn.is_pending and withdrawn.job_handle is None
            status = await c.job_status(tasks[0].job_handle or "")
            assert status.is_known and not status.is_running
            statuses = await c.job_statuses([t.job_handle or "" for t in tasks])
            assert all(s.is_known for s in statuses)
            assert (await c.unique_status(tasks[1].unique or "")).is_known
            assert not (await c.job_status("H:nowhere:1")).is_known

    run(main())
    assert sorted(gearmand_module.drain(fn, 5)) == [b"t%d" % i for i in range(5)]


def test_do_background_many(run: Any, gearmand_module: Gearmand, fn: str) -> None:
    async def main() -> list[str]:
        async with aio.Client(gearmand_module.address, timeout=10) as c:
            with pytest.raises(TypeError, match="not one bytes"):
                await c.do_background_many(fn, b"one bytes object")
            with pytest.raises(ValueError):
                await c.do_background_many(fn, [b"a"], uniques=["a", "b"])
            beat = asyncio.create_task(asyncio.sleep(0))  # the loop goes on meanwhile
            handles = await c.do_background_many(fn, (b"m%d" % i for i in range(100)), priority=Priority.LOW)
            assert beat.done()
            return handles

    handles = run(main())
    assert len(set(handles)) == 100
    assert priority_status(gearmand_module, fn) == (0, 0, 100)
    assert gearmand_module.drain(fn, 100) == [b"m%d" % i for i in range(100)]


def test_close_leaves_no_thread_or_connection(run: Any, gearmand: Gearmand, fn: str) -> None:
    idle = connections(gearmand)  # gearadmin's own

    async def main() -> int:
        async with aio.Client(gearmand.address, timeout=10) as c:
            await c.do_background(fn, b"x")
            during = wait_connections(gearmand, idle + 1)  # (a gearadmin connection just closed may linger)
            assert io_threads() == []  # no thread at all: the rounds run on the loop
            pending = c.add_task_background(fn, b"dropped")
        assert c.closed and not pending.is_pending and pending.job_handle is None  # never sent: dropped
        with pytest.raises(gearman_cffi.ClientClosedError):
            await c.do_background(fn, b"y")
        with pytest.raises(gearman_cffi.ClientClosedError):
            c.add_task_background(fn, b"y")
        await c.close()  # idempotent
        return during

    assert run(main()) == idle + 1
    assert io_threads() == []
    assert wait_connections(gearmand, idle) == idle
    assert gearmand.queued(fn) == 1


def test_close_stops_a_waiting_round(run: Any, silent_server: SilentServer) -> None:
    async def main() -> BaseException:
        c = aio.Client(silent_server.address)
        waiting = asyncio.ensure_future(c.do_background("f", b"x"))
        await asyncio.sleep(0.2)
        await c.close()
        try:
            await waiting
        except BaseException as error:
            return error
        raise AssertionError("the waiting call returned")

    assert isinstance(run(asyncio.wait_for(main(), SILENT_LIMIT)), gearman_cffi.ClientClosedError)
    assert io_threads() == []


def test_unused_client_and_garbage_collection(run: Any, gearmand_module: Gearmand, fn: str) -> None:
    async def main() -> None:
        aio.Client(gearmand_module.address)  # never used: no thread
        c = aio.Client(gearmand_module.address, timeout=10)
        await c.do_background(fn, b"x")
        del c  # not closed: its thread stops by itself

    run(main())
    deadline = time.monotonic() + 5
    while io_threads() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert io_threads() == []
    with pytest.raises(ValueError):
        aio.Client("host:notaport")
    with pytest.raises(TypeError):
        aio.Client(gearmand_module.address, timeout="1")  # type: ignore[arg-type]


def test_spread_over_two_servers(run: Any, gearmand_factory: type[Gearmand], fn: str) -> None:
    one, two = gearmand_factory().start(), gearmand_factory().start()

    async def main() -> None:
        async with aio.Client([one.address, two.address], spread=True, timeout=10) as c:
            await asyncio.gather(*[c.do_background(fn, b"%d" % i) for i in range(300)])
            await asyncio.gather(*[c.do_background(fn, b"same", "one-unique") for _ in range(5)])

    run(main())
    assert one.queued(fn) > 50 and two.queued(fn) > 50 and one.queued(fn) + two.queued(fn) == 301


# -- foreground ------------------------------------------------------------------------------
def cli_worker(server: Gearmand, fn: str, count: int, *command: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["gearman", "-h", server.host, "-p", str(server.port), "-w", "-f", fn, "-c", str(count),
                             "--", *command], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def test_50_concurrent_do_each_get_their_result(run: Any, gearmand_module: Gearmand, fn: str) -> None:
    worker = cli_worker(gearmand_module, fn, 50, "tr", "a-z", "A-Z")
    try:

        async def main() -> list[bytes]:
            async with aio.Client(gearmand_module.address, timeout=60) as c:
                return await asyncio.gather(*[c.do(fn, b"job %d" % i) for i in range(50)])

        assert run(main()) == [b"JOB %d" % i for i in range(50)]
    finally:
        worker.wait(30)


def test_foreground_cancel_frees_the_client(run: Any, gearmand_module: Gearmand, fn: str) -> None:
    async def main() -> bytes:
        async with aio.Client(gearmand_module.address) as c:
            with pytest.raises(asyncio.TimeoutError):  # no worker yet: the call waits, then is cancelled
                await asyncio.wait_for(c.do(fn + "_none", b"x"), 0.3)
            worker = cli_worker(gearmand_module, fn, 1, "tr", "a-z", "A-Z")
            try:
                return await asyncio.wait_for(c.do(fn, b"ok"), 30)
            finally:
                worker.wait(30)

    assert run(main()) == b"OK"


def test_work_failure_raises_gearman_work_error(run: Any, gearmand_module: Gearmand, fn: str) -> None:
    worker = cli_worker(gearmand_module, fn, 1, "false")

    async def main() -> None:
        async with aio.Client(gearmand_module.address, timeout=30) as c:
            await c.do(fn, b"x")

    try:
        with pytest.raises(gearman_cffi.GearmanError) as failure:
            run(main())
        assert type(failure.value).__name__ == "GearmanWorkError"
    finally:
        worker.kill()
        worker.wait()


def test_failed_run_leaves_tasks_pending_with_their_uniques(run: Any, gearmand: Gearmand, fn: str) -> None:
    async def main() -> None:
        async with aio.Client(gearmand.address, timeout=5) as c:
            await c.do_background(fn, b"first")  # connected
            tasks = [c.add_task_background(fn, b"a"), c.add_task_background(fn, b"b", "explicit-b")]
            gearmand.kill()
            with pytest.raises(ConnectionError):
                await c.run_tasks()
            assert c.pending_tasks == tasks and all(t.is_pending and t.job_handle is None for t in tasks)
            uniques = [t.unique for t in tasks]
            assert uniques[1] == "explicit-b" and len(uniques[0] or "") == 36  # the one it was sent with
            gearmand.start()
            await c.run_tasks()
            assert [t.unique for t in tasks] == uniques and all(t.job_handle for t in tasks)
            assert c.pending_tasks == []

    run(main())
    assert sorted(gearmand.drain(fn, 2)) == [b"a", b"b"]


def test_cancelled_run_tasks_on_a_silent_server(run: Any, silent_server: SilentServer) -> None:
    async def main() -> None:
        async with aio.Client(silent_server.address) as c:
            task = c.add_task_background("f", b"x")
            running = asyncio.ensure_future(c.run_tasks())
            await asyncio.sleep(0.2)
            running.cancel()
            with pytest.raises(asyncio.CancelledError):
                await running
            deadline = time.monotonic() + 5
            while task.is_pending and time.monotonic() < deadline:  # the round stops at its next slice
                await asyncio.sleep(0.01)
            assert not task.is_pending and task.job_handle is None and c.pending_tasks == []

    run(asyncio.wait_for(main(), SILENT_LIMIT))
    assert io_threads() == []


def test_foreground_and_background_tasks_in_one_run_tasks(run: Any, gearmand_module: Gearmand, fn: str) -> None:
    worker = cli_worker(gearmand_module, fn, 3, "tr", "a-z", "A-Z")
    try:

        async def main() -> None:
            async with aio.Client(gearmand_module.address, timeout=60) as c:
                fg = [c.add_task(fn, b"x%d" % i, context=i) for i in range(3)]
                bg = c.add_task_background(fn + "_bg", b"later")
                assert all(t.result is None and t.foreground for t in fg) and not bg.foreground
                await c.run_tasks()
                assert [t.result for t in fg] == [b"X0", b"X1", b"X2"] and [t.context for t in fg] == [0, 1, 2]
                assert bg.job_handle and bg.result is None and not bg.is_pending

        run(main())
    finally:
        worker.wait(30)
    assert gearmand_module.queued(fn + "_bg") == 1


def test_forked_child_gets_its_own_io_thread(gearmand_module: Gearmand, fn: str) -> None:
    code = f"""
import asyncio, os
from gearman_cffi import aio
client = aio.Client({gearmand_module.address!r}, timeout=10)
async def one(payload):
    return await client.do_background({fn!r}, payload)
print(asyncio.run(one(b"parent")))
pid = os.fork()
if pid == 0:
    try:
        handle = asyncio.run(one(b"child"))
        asyncio.run(client.close())
        os._exit(0 if handle.startswith("H:") else 3)
    except BaseException as error:
        print("child:", repr(error), flush=True)
        os._exit(4)
_, status = os.waitpid(pid, 0)
print(asyncio.run(one(b"parent again")))
asyncio.run(client.close())
raise SystemExit(os.waitstatus_to_exitcode(status))
"""
    done = run_python(code)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(gearmand_module.drain(fn, 3)) == [b"child", b"parent", b"parent again"]
