"""gearman_cffi demo: background jobs of every priority, through both APIs.

    python examples/demo.py                    # throwaway gearmand on a free loopback port
    python examples/demo.py --server host:4730 # a gearmand you run

Submits six background jobs (one-shot ``do_*_background`` and batched
``add_task_*_background`` + ``run_tasks``), shows their handles and status,
then lets a gearman_cffi Worker run them: high before normal before low, as
the server's queues dictate.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import gearman_cffi
from gearman_cffi import Client, Job, Worker


@contextmanager
def throwaway_gearmand() -> Iterator[str]:
    """Start gearmand on a free 127.0.0.1 port; stop it and remove its files after."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    workdir = tempfile.mkdtemp(prefix="gearman-demo-")
    gearmand = shutil.which("gearmand") or "/usr/sbin/gearmand"
    proc = subprocess.Popen(
        [gearmand, "--listen=127.0.0.1", f"--port={port}", f"--log-file={workdir}/gearmand.log"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        print(f"started a throwaway gearmand on 127.0.0.1:{port}")
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)
        print("stopped the throwaway gearmand")


def submit(server: str, function: str) -> None:
    with Client(server, timeout=5) as client:
        print("\none-shot submissions (gearman_client_do_*_background):")
        for name, do in [("low", client.do_low_background), ("normal", client.do_background),
                         ("high", client.do_high_background)]:  # fmt: skip
            handle = do(function, f"do_{name}_background")
            print(f"  {name:<6} -> {handle}  {client.job_status(handle)}")

        print("\none batch (gearman_client_add_task_*_background + gearman_client_run_tasks):")
        tasks = [
            client.add_task_low_background(function, "add_task_low_background"),
            client.add_task_background(function, "add_task_background", unique="demo-explicit-unique"),
            client.add_task_high_background(function, "add_task_high_background"),
        ]
        client.run_tasks()
        for task in tasks:
            print(f"  {task.priority.name.lower():<6} -> {task.job_handle}  unique={task.unique}")


def work(server: str, function: str, count: int) -> None:
    """A gearman_cffi Worker runs each job: high before normal before low."""
    print(f"\na gearman_cffi Worker runs the {count} jobs, in the order the server hands them out:")

    def show(job: Job) -> bytes:
        print(f"  ran: {job.workload.decode():<26} {job.handle}  unique={job.unique}")
        return b""

    with Worker(server, timeout=10) as worker:
        worker.add_function(function, show)
        print(f"  {worker.run(max_jobs=count)} jobs done")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", help="HOST:PORT of a running gearmand (default: start a throwaway one)")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # interleave with the worker
    print(f"gearman_cffi {gearman_cffi.__version__} on libgearman {gearman_cffi.libgearman_version()}")
    function = f"gearman_cffi_demo_{os.getpid()}"
    with throwaway_gearmand() if args.server is None else nullcontext(args.server) as server:
        submit(server, function)
        work(server, function, 6)
    return 0


if __name__ == "__main__":
    sys.exit(main())
