"""pygearman (pure-Python ``gearman``) worker contender for bench/workers.py:
``worker_pygearman.py HOST PORT JOBS``.  Serves "bench" (the result is the
workload) and leaves its work loop after JOBS jobs (``after_job``).
Prints {"jobs": N, "seconds": wall time, "cpu": process CPU time}.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import gearman


class CountingWorker(gearman.GearmanWorker):  # type: ignore[misc]
    def __init__(self, servers: list[str], jobs: int) -> None:
        super().__init__(servers)
        self.jobs, self.done = jobs, 0

    def after_job(self) -> bool:
        return self.done < self.jobs


def main() -> None:
    host, port, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    worker = CountingWorker([f"{host}:{port}"], jobs)

    def echo(_worker: Any, job: Any) -> Any:
        worker.done += 1
        return job.data

    worker.register_task(b"bench", echo)  # it compares the bytes it reads with the registered name
    start, cpu_start = time.perf_counter(), time.process_time()
    worker.work(poll_timeout=0.5)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(json.dumps({"jobs": worker.done, "seconds": seconds, "cpu": cpu}))


if __name__ == "__main__":
    main()
