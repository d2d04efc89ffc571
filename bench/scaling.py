"""Scaling over several gearmand: Client(spread=True) with 1, 2 and 3 servers.

Each measurement starts fresh gearmand (``-t 1``: one I/O thread each) on
free loopback ports and M client processes (bench/py/bench_spread.py) that
connect, wait for a common start and submit; configurations run interleaved
for several rounds and medians are reported.  Besides jobs/s it records the
CPU each side spends per job (client: process time; servers: utime+stime
from /proc/PID/stat), the inputs of the model in docs/scaling.md, and checks
with gearadmin that every job arrived.  Writes docs/scaling.json and prints a
Markdown table.  Run through ``./ci/bench.sh --scaling [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from gearmand import Gearmand  # noqa: E402  (the test suite's gearmand launcher)

CLIENT = [sys.executable, str(ROOT / "bench" / "py" / "bench_spread.py")]
TICK = os.sysconf("SC_CLK_TCK")
# (label, mode, servers, client processes, router, unique)
CONFIGS = [
    ("batch, 1 server, failover (reference)", "batch", 1, 1, "failover", "auto"),
    ("batch, 1 server", "batch", 1, 1, "spread", "auto"),
    ("batch, 2 servers", "batch", 2, 1, "spread", "auto"),
    ("batch, 3 servers", "batch", 3, 1, "spread", "auto"),
    ("batch, 3 servers, explicit uniques", "batch", 3, 1, "spread", "explicit"),
    ("batch, 1 server, 2 client processes", "batch", 1, 2, "spread", "auto"),
    ("batch, 3 servers, 2 client processes", "batch", 3, 2, "spread", "auto"),
    ("do_background, 1 server, failover (reference)", "do", 1, 1, "failover", "auto"),
    ("do_background, 1 server", "do", 1, 1, "spread", "auto"),
    ("do_background, 2 servers", "do", 2, 1, "spread", "auto"),
    ("do_background, 3 servers", "do", 3, 1, "spread", "auto"),
    ("do_background, 3 servers, 2 client processes", "do", 3, 2, "spread", "auto"),
]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def measure(mode: str, n_servers: int, n_clients: int, router: str, unique: str, jobs: int,
            batch: int) -> dict[str, float]:  # fmt: skip
    servers = [Gearmand(extra_args=("-t", "1")).start() for _ in range(n_servers)]
    try:
        addresses = ",".join(s.address for s in servers)
        procs = [subprocess.Popen([*CLIENT, addresses, mode, str(jobs), str(batch), router, unique, f"c{k}"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                 for k in range(n_clients)]  # fmt: skip
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        pids = [s.proc.pid for s in servers if s.proc is not None]
        before = [cpu_seconds(pid) for pid in pids]
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        results = []
        for p in procs:
            out, _ = p.communicate(timeout=1800)
            if p.returncode != 0:
                raise RuntimeError(f"client failed ({p.returncode})")
            results.append(json.loads(out.strip().splitlines()[-1]))
        server_cpu = sum(cpu_seconds(pid) for pid in pids) - sum(before)
        queued = [s.queued("bench") for s in servers]
    finally:
        for s in servers:
            s.stop()
    total = jobs * n_clients
    if sum(queued) != total:
        raise RuntimeError(f"servers hold {queued} jobs, expected {total}")
    return {
        "jobs_per_s": total / max(r["seconds"] for r in results),
        "client_us_per_job": 1e6 * sum(r["cpu"] for r in results) / total,
        "server_us_per_job": 1e6 * server_cpu / total,
        "smallest_share": min(queued) / total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer jobs and rounds")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the gearmand started so far (finally)
    rounds = args.rounds or (2 if args.quick else 5)
    jobs = {"batch": 30_000 if args.quick else 100_000, "do": 3_000 if args.quick else 10_000}
    load_start = os.getloadavg()
    samples: dict[str, list[dict[str, float]]] = {c[0]: [] for c in CONFIGS}
    for r in range(rounds):
        for label, mode, n, m, router, unique in CONFIGS:
            samples[label].append(measure(mode, n, m, router, unique, jobs[mode], 1000))
            print(f"round {r + 1}/{rounds}: {label}: {samples[label][-1]['jobs_per_s']:,.0f} jobs/s", file=sys.stderr)
    summary = {}
    for label, mode, n, m, router, unique in CONFIGS:
        rows = samples[label]
        summary[label] = {
            "mode": mode, "servers": n, "clients": m, "router": router, "unique": unique,
            **{key: statistics.median(row[key] for row in rows) for key in rows[0]},
            "jobs_per_s_min": min(row["jobs_per_s"] for row in rows),
            "jobs_per_s_max": max(row["jobs_per_s"] for row in rows),
        }  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    record = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "rounds": rounds, "jobs": jobs,
              "cpus": os.cpu_count(), "load_start": load_start, "load_end": os.getloadavg(),
              "results": summary}  # fmt: skip
    (args.out / "scaling.json").write_text(json.dumps(record, indent=1) + "\n")
    print("| configuration | jobs/s (median) | min-max | client CPU us/job | servers CPU us/job | smallest share |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, row in summary.items():
        print(f"| {label} | {row['jobs_per_s']:,.0f} | {row['jobs_per_s_min']:,.0f}-{row['jobs_per_s_max']:,.0f} | "
              f"{row['client_us_per_job']:.1f} | {row['server_us_per_job']:.1f} | {row['smallest_share']:.0%} |")


if __name__ == "__main__":
    main()
