"""A gearman_cffi worker: serve functions until Ctrl-C / SIGTERM.

    python examples/worker.py --server 127.0.0.1:4730            # one process
    python examples/worker.py --server 127.0.0.1:4730 -n 4       # four processes (fork)

Then, from another shell:

    gearman -h 127.0.0.1 -p 4730 -f reverse "hello"      # -> olleh
    gearman -h 127.0.0.1 -p 4730 -f count_words < file   # status lines, then the count
    gearman -h 127.0.0.1 -p 4730 -f fail x               # -> Job failed

A handler gets a Job (``workload`` bytes, ``handle``, ``unique``) and returns
bytes, str or None; an exception fails the job (WORK_FAIL) and is logged with
its traceback, and the worker goes on.  ``run()`` finishes the job in hand
before it returns on Ctrl-C / SIGTERM, and keeps going across gearmand restarts.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from gearman_cffi import Job, Worker


def reverse(job: Job) -> bytes:
    return job.workload[::-1]


def count_words(job: Job) -> str:
    lines = job.workload.splitlines()
    words = 0
    for done, line in enumerate(lines, 1):
        words += len(line.split())
        if done % 1000 == 0 or done == len(lines):
            job.send_status(done, len(lines))  # the submitter sees the progress
    return str(words)


def fail(job: Job) -> None:
    raise RuntimeError(f"job {job.handle} asked to fail")


def serve(server: str) -> int:
    with Worker(server) as worker:
        worker.add_function("reverse", reverse)
        worker.add_function("count_words", count_words, timeout=60)  # gearmand fails it after 60 s
        worker.add_function("fail", fail)
        print(f"[{os.getpid()}] serving {', '.join(worker.functions)} on {server}; Ctrl-C to stop", flush=True)
        done = worker.run()
    print(f"[{os.getpid()}] stopped after {done} jobs", flush=True)
    return done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default="localhost:4730", help="HOST:PORT[,HOST:PORT...] (default %(default)s)")
    parser.add_argument("-n", "--processes", type=int, default=1, help="worker processes (fork)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    children = []
    for _ in range(args.processes - 1):  # each child makes its own connections (fork-safe)
        pid = os.fork()
        if pid == 0:
            serve(args.server)
            os._exit(0)
        children.append(pid)
    serve(args.server)
    for pid in children:  # Ctrl-C reaches the whole process group; SIGTERM each one
        os.waitpid(pid, 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
