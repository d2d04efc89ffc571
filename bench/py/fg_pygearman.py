"""pygearman (pure-Python ``gearman`` API) foreground contender for bench/foreground.py.

  fg_pygearman.py HOST PORT do|batch JOBS SIZE BATCH

``do``: submit_job(background=False) in a loop; ``batch``: submit_multiple_jobs
of BATCH jobs, waiting until each completed (poll_timeout set: see TIMEOUT).  Every result must equal the
workload (the worker echoes it).
Prints {"jobs": N, "seconds": wall time, "cpu": process CPU time}.
"""

from __future__ import annotations

import json
import sys
import time

import gearman

# pygearman waits for completion only with a poll_timeout: with the default
# (None) submit_job returns at JOB_CREATED and a later WORK_COMPLETE for the
# dropped request raises KeyError inside the client.
TIMEOUT = 600.0


def main() -> None:
    host, port, mode, jobs_s, size, batch_s = sys.argv[1:7]
    jobs, batch = int(jobs_s), int(batch_s)
    payload = b"x" * int(size)
    client = gearman.GearmanClient([f"{host}:{port}"])
    # connect before the clock starts (one foreground job, not counted)
    client.submit_job("bench", payload, background=False, poll_timeout=TIMEOUT)
    bad = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    if mode == "do":
        for _ in range(jobs):
            request = client.submit_job("bench", payload, background=False, poll_timeout=TIMEOUT)
            if request.state != gearman.JOB_COMPLETE or request.result != payload:
                bad += 1
    else:
        for first in range(0, jobs, batch):
            todo = [{"task": "bench", "data": payload} for _ in range(first, min(first + batch, jobs))]
            for request in client.submit_multiple_jobs(todo, background=False, poll_timeout=TIMEOUT):
                if request.state != gearman.JOB_COMPLETE or request.result != payload:
                    bad += 1
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    if bad:
        sys.exit(f"{bad} results differ from the workload")
    print(json.dumps({"jobs": jobs, "seconds": seconds, "cpu": cpu}))


if __name__ == "__main__":
    main()
