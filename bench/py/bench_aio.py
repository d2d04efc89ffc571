"""gearman_cffi.aio contender for bench/run.py; same arguments as bench/c/gearman_bench.c.

  bench_aio.py HOST PORT do|batch JOBS SIZE normal|high|low auto|explicit THREADS BATCH [asyncio|uvloop] [floor]

``do``: one ``await client.do_background(...)`` at a time on an idle loop (the
latency of a single await); ``batch``: BATCH coroutines awaiting
``do_background`` at once (``asyncio.gather``), as often as JOBS needs.
THREADS is ignored (one event loop).  ``floor``: the same coroutines with the
Gearman work taken out (each awaits a future that one callback per batch
resolves), the most any one-coroutine-per-job client could reach.  Prints {"jobs": N, "seconds": wall time
of the submissions, "cpu": process CPU time}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any, Callable

from gearman_cffi import aio


async def submit(host: str, port: int, mode: str, jobs: int, payload: bytes, priority: str, explicit: bool,
                 batch: int) -> tuple[float, float]:  # fmt: skip
    suffix = "" if priority == "normal" else "_" + priority
    async with aio.Client([(host, port)]) as client:
        do = getattr(client, f"do{suffix}_background")
        await do("bench", b"x")  # connect before the clock starts
        await client.job_status("H:warm:0")
        start, cpu_start = time.perf_counter(), time.process_time()
        if mode == "do":
            for n in range(jobs):
                await do("bench", payload, f"aio-{n}" if explicit else None)
        else:
            for first in range(0, jobs, batch):
                count = min(batch, jobs - first)
                if explicit:
                    await asyncio.gather(*[do("bench", payload, f"aio-{n}") for n in range(first, first + count)])
                else:
                    await asyncio.gather(*[do("bench", payload) for _ in range(count)])
        return time.perf_counter() - start, time.process_time() - cpu_start


async def floor(jobs: int, payload: bytes, batch: int) -> tuple[float, float]:
    """asyncio alone: per job a coroutine, a call that queues a future and the
    await; per batch one loop callback that resolves them all."""
    loop = asyncio.get_running_loop()
    waiting: list[asyncio.Future[str]] = []

    def resolve() -> None:
        for future in waiting:
            future.set_result("H:floor:1")
        waiting.clear()

    async def do(function_name: str, workload: bytes) -> str:
        future = loop.create_future()
        if not waiting:
            loop.call_soon(resolve)
        waiting.append(future)
        return await future

    start, cpu_start = time.perf_counter(), time.process_time()
    for first in range(0, jobs, batch):
        await asyncio.gather(*[do("bench", payload) for _ in range(min(batch, jobs - first))])
    return time.perf_counter() - start, time.process_time() - cpu_start


def runner(loop: str) -> Callable[[Any], tuple[float, float]]:
    if loop == "uvloop":
        import uvloop

        return lambda coro: uvloop.new_event_loop().run_until_complete(coro)  # type: ignore[no-any-return]
    return asyncio.run


def main() -> None:
    host, port, mode, jobs, size, priority, unique, _threads, batch = sys.argv[1:10]
    loop = sys.argv[10] if len(sys.argv) > 10 else "asyncio"
    if sys.argv[11:] == ["floor"]:
        seconds, cpu = runner(loop)(floor(int(jobs), b"x" * int(size), int(batch)))
        print(json.dumps({"jobs": int(jobs), "seconds": seconds, "cpu": cpu}))
        return
    coro = submit(host, int(port), mode, int(jobs), b"x" * int(size), priority, unique == "explicit", int(batch))
    seconds, cpu = runner(loop)(coro)
    print(json.dumps({"jobs": int(jobs), "seconds": seconds, "cpu": cpu}))


if __name__ == "__main__":
    main()
