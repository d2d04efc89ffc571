"""gearman_cffi contender for bench/run.py; same arguments as bench/c/gearman_bench.c.

  bench_cffi.py HOST PORT do|batch|many JOBS SIZE normal|high|low auto|explicit THREADS BATCH

``do``: Client.do_background (or _high/_low) in a loop; ``batch``: BATCH x
add_task_background + run_tasks; ``many``: do_background_many of BATCH workloads.
THREADS > 1: one ``clone()`` per thread.
Prints {"jobs": N, "seconds": wall time of the submissions, "cpu": process CPU time}.
"""

from __future__ import annotations

import json
import sys
import threading
import time

from gearman_cffi import Client, Priority


def submit(client: Client, mode: str, jobs: int, payload: bytes, priority: str, explicit: bool, batch: int,
           thread_no: int) -> None:
    suffix = "" if priority == "normal" else "_" + priority
    if mode == "do":
        do = getattr(client, f"do{suffix}_background")
        if explicit:
            for n in range(jobs):
                do("bench", payload, f"py-{thread_no}-{n}")
        else:
            for _ in range(jobs):
                do("bench", payload)
        return
    if mode == "many":  # do_background_many: one call per batch
        level = Priority[priority.upper()]
        for start in range(0, jobs, batch):
            count = min(batch, jobs - start)
            uniques = [f"py-{thread_no}-{n}" for n in range(start, start + count)] if explicit else None
            client.do_background_many("bench", [payload] * count, uniques=uniques, priority=level)
        return
    add = getattr(client, f"add_task{suffix}_background")
    run = client.run_tasks
    for start in range(0, jobs, batch):
        end = min(start + batch, jobs)
        if explicit:
            for n in range(start, end):
                add("bench", payload, f"py-{thread_no}-{n}")
        else:
            for _ in range(start, end):
                add("bench", payload)
        run()


def main() -> None:
    host, port, mode, jobs, size, priority, unique, threads, batch = sys.argv[1:10]
    n_threads, per_thread = int(threads), int(jobs) // int(threads)
    payload = b"x" * int(size)
    first = Client([(host, int(port))])
    clients = [first] + [first.clone() for _ in range(n_threads - 1)]
    for c in clients:
        c.echo(b"x")  # connect before the clock starts
    args = (mode, per_thread, payload, priority, unique == "explicit", int(batch))
    if n_threads == 1:
        start, cpu_start = time.perf_counter(), time.process_time()
        submit(first, *args, 0)
    else:
        barrier = threading.Barrier(n_threads + 1)

        def work(client: Client, thread_no: int) -> None:
            barrier.wait()
            submit(client, *args, thread_no)

        pool = [threading.Thread(target=work, args=(c, i)) for i, c in enumerate(clients)]
        for t in pool:
            t.start()
        barrier.wait()
        start, cpu_start = time.perf_counter(), time.process_time()
        for t in pool:
            t.join()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(json.dumps({"jobs": per_thread * n_threads, "seconds": seconds, "cpu": cpu}))


if __name__ == "__main__":
    main()
