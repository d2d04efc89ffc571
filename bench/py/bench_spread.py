"""One client process for bench/scaling.py.

  bench_spread.py SERVERS do|batch JOBS BATCH spread|failover auto|explicit TAG

SERVERS is "host:port,host:port,..."; ``batch``: BATCH x add_task_background +
run_tasks; ``do``: do_background in a loop.  Connects to every server first
(a small warm-up batch), prints "ready", waits for a line on stdin, then
submits and prints {"jobs": N, "seconds": wall time, "cpu": process CPU time}.
"""

from __future__ import annotations

import json
import sys
import time

from gearman_cffi import Client


def main() -> None:
    servers, mode, jobs_arg, batch_arg, router, unique, tag = sys.argv[1:8]
    jobs, batch = int(jobs_arg), int(batch_arg)
    explicit = unique == "explicit"
    payload = b"x" * 30
    client = Client(servers, timeout=60, spread=router == "spread")
    for _ in range(3 * len(client.servers)):  # connect every lane before the clock starts
        client.add_task_background("warm-up", b"")
    client.run_tasks()
    print("ready", flush=True)
    sys.stdin.readline()
    start, cpu_start = time.perf_counter(), time.process_time()
    if mode == "do":
        do = client.do_background
        for n in range(jobs):
            do("bench", payload, f"{tag}-{n}" if explicit else None)
    else:
        add, run = client.add_task_background, client.run_tasks
        for first in range(0, jobs, batch):
            if explicit:
                for n in range(first, min(first + batch, jobs)):
                    add("bench", payload, f"{tag}-{n}")
            else:
                for _ in range(first, min(first + batch, jobs)):
                    add("bench", payload)
            run()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    client.close()
    print(json.dumps({"jobs": jobs, "seconds": seconds, "cpu": cpu}), flush=True)


if __name__ == "__main__":
    main()
