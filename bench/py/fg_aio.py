"""gearman_cffi.aio and aiogear foreground contenders for bench/foreground.py.

  fg_aio.py HOST PORT aio JOBS SIZE BATCH [asyncio|uvloop|aiogear]

BATCH coroutines awaiting a foreground ``do`` at once (``asyncio.gather``), as
often as JOBS needs; every result must equal the workload (the C worker
echoes it).  ``aiogear``: the same with aiogear 0.2.6's Client
(``submit_job`` then ``wait_job``), on asyncio's loop.
Prints {"jobs": N, "seconds": wall time, "cpu": process CPU time}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any


async def with_cffi(host: str, port: int, jobs: int, payload: bytes, batch: int) -> tuple[int, float, float]:
    from gearman_cffi import aio

    bad = 0
    async with aio.Client([(host, port)]) as client:
        await client.do("bench", payload)  # connect (and ask for exceptions) before the clock starts
        start, cpu = time.perf_counter(), time.process_time()
        for first in range(0, jobs, batch):
            results = await asyncio.gather(*[client.do("bench", payload) for _ in range(min(batch, jobs - first))])
            bad += sum(r != payload for r in results)
        return bad, time.perf_counter() - start, time.process_time() - cpu


async def with_aiogear(host: str, port: int, jobs: int, payload: bytes, batch: int) -> tuple[int, float, float]:
    from aiogear import Client  # type: ignore[import-not-found]

    loop = asyncio.get_running_loop()
    client: Any = Client()
    await loop.create_connection(lambda: client, host, port)

    async def do() -> bytes:
        created = await client.submit_job("bench", payload)
        done = await client.wait_job(created.handle)
        return done.result.encode()  # type: ignore[no-any-return]  (aiogear decodes results as UTF-8)

    bad = 0 if await do() == payload else 1
    start, cpu = time.perf_counter(), time.process_time()
    for first in range(0, jobs, batch):
        results = await asyncio.gather(*[do() for _ in range(min(batch, jobs - first))])
        bad += sum(r != payload for r in results)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    await client.disconnect()
    return bad, seconds, cpu


def main() -> None:
    host, port, _mode, jobs_s, size, batch_s = sys.argv[1:7]
    kind = sys.argv[7] if len(sys.argv) > 7 else "asyncio"
    args = (host, int(port), int(jobs_s), b"x" * int(size), int(batch_s))
    if kind == "aiogear":
        bad, seconds, cpu = asyncio.run(with_aiogear(*args))
    elif kind == "uvloop":
        import uvloop

        bad, seconds, cpu = uvloop.new_event_loop().run_until_complete(with_cffi(*args))
    else:
        bad, seconds, cpu = asyncio.run(with_cffi(*args))
    if bad:
        sys.exit(f"{bad} results differ from the workload")
    print(json.dumps({"jobs": int(jobs_s), "seconds": seconds, "cpu": cpu}))


if __name__ == "__main__":
    main()
