"""gearman_cffi.aio demo: many coroutines submit jobs at once, the loop never waits.

    python examples/aio.py                    # throwaway gearmand on a free loopback port
    python examples/aio.py --server host:4730 # a gearmand you run

A hundred "requests" (coroutines, as a web handler would be) each submit a
background job; the client sends them in a few batches, not a hundred round
trips, while a heartbeat shows that the event loop kept running.  Then a
batch with add_task_background + run_tasks, a status query, and, if this
build has foreground jobs and the ``gearman`` CLI is installed, ``await do``
answered by the CLI worker.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo import throwaway_gearmand

import gearman_cffi
from gearman_cffi import aio


async def handle_request(client: aio.Client, n: int) -> str:
    """What a web handler would do: submit a job and answer with its handle."""
    return await client.do_background("aio_demo", f"request {n}")


async def heartbeat(stop: asyncio.Event) -> float:
    """The longest the loop went without running this coroutine."""
    worst, last = 0.0, time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.005)
        now = time.perf_counter()
        worst, last = max(worst, now - last), now
    return worst


async def main(server: str) -> None:
    stop = asyncio.Event()
    beat = asyncio.ensure_future(heartbeat(stop))
    async with aio.Client(server, timeout=5) as client:
        started = time.perf_counter()
        handles = await asyncio.gather(*[handle_request(client, n) for n in range(100)])
        print(f"100 concurrent submissions in {(time.perf_counter() - started) * 1000:.1f} ms: "
              f"{handles[0]} ... {handles[-1]}")  # fmt: skip

        tasks = [client.add_task_high_background("aio_demo", "urgent", context="first"),
                 client.add_task_low_background("aio_demo", "whenever", unique="demo-low")]  # fmt: skip
        await client.run_tasks()
        for task in tasks:
            print(f"  {task.context}: {task.job_handle} unique={task.unique}")
        print(f"status of {handles[0]}: {await client.job_status(handles[0])}")

        if hasattr(gearman_cffi.Client, "do") and shutil.which("gearman"):
            host, _, port = server.rpartition(":")
            worker = await asyncio.create_subprocess_exec(
                "gearman", "-h", host, "-p", port, "-w", "-f", "aio_upper", "-c", "3", "--", "tr", "a-z", "A-Z",
                stdout=subprocess.DEVNULL)  # fmt: skip
            results = await asyncio.gather(*[client.do("aio_upper", word) for word in ("one", "two", "three")])
            print(f"foreground results from the CLI worker: {results}")
            await worker.wait()
    stop.set()
    print(f"the event loop never paused longer than {await beat * 1000:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", help="host:port of a running gearmand (default: start a throwaway one)")
    args = parser.parse_args()
    with nullcontext(args.server) if args.server else throwaway_gearmand() as address:
        asyncio.run(main(address))
