"""pygearman (pure-Python ``gearman`` API) contender for bench/run.py; same
arguments as bench/c/gearman_bench.c (THREADS must be 1).

``do``: submit_job(background=True) in a loop; ``batch``: submit_multiple_jobs
of BATCH jobs.  Neither waits for completion, only for the server's JOB_CREATED.
Prints {"jobs": N, "seconds": wall time of the submissions, "cpu": process CPU time}.
"""

from __future__ import annotations

import json
import sys
import time

import gearman

PRIORITY = {"normal": gearman.PRIORITY_NONE, "high": gearman.PRIORITY_HIGH, "low": gearman.PRIORITY_LOW}


def main() -> None:
    host, port, mode, jobs_s, size, priority_s, unique, _threads, batch_s = sys.argv[1:10]
    jobs, batch, priority = int(jobs_s), int(batch_s), PRIORITY[priority_s]
    explicit = unique == "explicit"
    payload = b"x" * int(size)
    client = gearman.GearmanClient([f"{host}:{port}"])
    # connect before the clock starts (one job, not counted)
    client.submit_job("bench", payload, background=True, wait_until_complete=False)
    start, cpu_start = time.perf_counter(), time.process_time()
    if mode == "do":
        for n in range(jobs):
            request = client.submit_job("bench", payload, unique=f"pg-0-{n}" if explicit else None,
                                        priority=priority, background=True, wait_until_complete=False)
            if request.state != gearman.JOB_CREATED:
                sys.exit(f"submit_job: {request.state}")
    else:
        for first in range(0, jobs, batch):
            todo = [{"task": "bench", "data": payload, "unique": f"pg-0-{n}" if explicit else None,
                     "priority": priority} for n in range(first, min(first + batch, jobs))]
            for request in client.submit_multiple_jobs(todo, background=True, wait_until_complete=False):
                if request.state != gearman.JOB_CREATED:
                    sys.exit(f"submit_multiple_jobs: {request.state}")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(json.dumps({"jobs": jobs, "seconds": seconds, "cpu": cpu}))


if __name__ == "__main__":
    main()
