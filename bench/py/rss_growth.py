"""RSS growth of one long-lived gearman_cffi Client: TASKS background jobs in
batches of 1000 (add_task_background + run_tasks, every 10th batch as
do_background calls instead), RSS read from /proc/self/status after a warm-up
batch and at the end.

  rss_growth.py HOST PORT TASKS
Prints {"jobs": N, "seconds": s, "rss_start_kb": a, "rss_end_kb": b}.
"""

from __future__ import annotations

import gc
import json
import sys
import time

from gearman_cffi import Client

BATCH = 1000


def rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def main() -> None:
    host, port, tasks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    payload = b"x" * 30
    with Client([(host, port)]) as client:

        def one_batch(number: int) -> None:
            if number % 10 == 9:
                for _ in range(BATCH):
                    client.do_background("bench", payload)
                return
            for _ in range(BATCH):
                client.add_task_background("bench", payload)
            client.run_tasks()

        one_batch(0)  # warm-up: connection, buffers, caches
        gc.collect()
        start_kb, start = rss_kb(), time.perf_counter()
        batches = max(1, tasks // BATCH - 1)
        for number in range(1, batches + 1):
            one_batch(number)
        seconds = time.perf_counter() - start
        gc.collect()
        end_kb = rss_kb()
    print(json.dumps({"jobs": batches * BATCH, "seconds": seconds, "rss_start_kb": start_kb, "rss_end_kb": end_kb}))


if __name__ == "__main__":
    main()
