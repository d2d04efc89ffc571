"""gearman_cffi foreground contender for bench/foreground.py.

  fg_cffi.py HOST PORT do|batch JOBS SIZE BATCH

``do``: Client.do in a loop; ``batch``: BATCH x add_task + run_tasks.  Every
result must equal the workload (the worker echoes it).
Prints {"jobs": N, "seconds": wall time, "cpu": process CPU time}.
"""

from __future__ import annotations

import json
import sys
import time

from gearman_cffi import Client


def main() -> None:
    host, port, mode, jobs_s, size, batch_s = sys.argv[1:7]
    jobs, batch = int(jobs_s), int(batch_s)
    payload = b"x" * int(size)
    client = Client([(host, int(port))])
    client.echo(b"x")  # connect before the clock starts
    bad = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    if mode == "do":
        do = client.do
        for _ in range(jobs):
            if do("bench", payload) != payload:
                bad += 1
    else:
        add, run = client.add_task, client.run_tasks
        for first in range(0, jobs, batch):
            tasks = [add("bench", payload) for _ in range(first, min(first + batch, jobs))]
            run()
            bad += sum(t.result != payload for t in tasks)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    if bad:
        sys.exit(f"{bad} results differ from the workload")
    print(json.dumps({"jobs": jobs, "seconds": seconds, "cpu": cpu}))


if __name__ == "__main__":
    main()
