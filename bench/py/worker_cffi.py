"""gearman_cffi Worker contender for bench/workers.py: ``worker_cffi.py HOST PORT JOBS``.

Serves "bench" (the result is the workload) with ``Worker.run(max_jobs=JOBS)``.
Prints {"jobs": N, "seconds": wall time, "cpu": process CPU time}.
"""

from __future__ import annotations

import json
import sys
import time

from gearman_cffi import Job, Worker


def echo(job: Job) -> bytes:
    return job.workload


def main() -> None:
    host, port, jobs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with Worker([(host, port)]) as worker:
        worker.add_function("bench", echo)
        start, cpu_start = time.perf_counter(), time.process_time()
        done = worker.run(max_jobs=jobs)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(json.dumps({"jobs": done, "seconds": seconds, "cpu": cpu}))


if __name__ == "__main__":
    main()
