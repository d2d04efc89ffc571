"""Foreground jobs side by side: raw C libgearman, gearman_cffi, PHP's
GearmanClient and pygearman, each against the raw C worker (bench/c).

Three scenarios, all with 30-byte jobs whose result is the workload (checked):
``do``     JOBS foreground round trips, one at a time (gearman_client_do,
           Client.do, GearmanClient::doNormal, submit_job(background=False));
``batch``  rounds of 1,000 foreground tasks (add_task + run_tasks,
           addTask + runTasks, submit_multiple_jobs waiting for completion);
``aio``    rounds of 1,000 concurrent ``await client.do(...)`` (gearman_cffi.aio
           on asyncio and uvloop; aiogear 0.2.6 if installed), with raw C's and
           gearman_cffi's batches of 1,000 as the reference.
Every measurement: a fresh gearmand on a free loopback port, the C worker
started and registered (gearadmin shows it) before the client starts; the
client's own clock covers the jobs only (it connects first).  Contenders run
interleaved (A B C D A B C D …) for several rounds; medians, min-max and the
ratio to raw C are reported.  Writes docs/benchmarks-foreground.md (or --out).
Run through ``./ci/bench.sh foreground [--quick]`` (it compiles bench/c and
installs PHP / pygearman).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from gearmand import Gearmand  # noqa: E402  (the test suite's gearmand launcher)

PY = sys.executable
WORKER = [str(ROOT / "bench" / "c" / "build" / "gearman_worker_bench")]
CONTENDERS = {
    "raw C": [str(ROOT / "bench" / "c" / "build" / "gearman_fg_bench")],
    "gearman_cffi": [PY, str(ROOT / "bench" / "py" / "fg_cffi.py")],
    "PHP gearman": ["php", str(ROOT / "bench" / "php" / "foreground.php")],
    "pygearman": [PY, str(ROOT / "bench" / "py" / "fg_pygearman.py")],
    "gearman_cffi aio": [PY, str(ROOT / "bench" / "py" / "fg_aio.py")],
    "gearman_cffi aio (uvloop)": [PY, str(ROOT / "bench" / "py" / "fg_aio.py")],
    "aiogear": [PY, str(ROOT / "bench" / "py" / "fg_aio.py")],
}
#: Arguments after the common ones (fg_aio.py: which loop, or aiogear).
TAIL = {"gearman_cffi aio": ["asyncio"], "gearman_cffi aio (uvloop)": ["uvloop"], "aiogear": ["aiogear"]}
SCENARIOS = {"do": "foreground `do`, one round trip at a time", "batch": "batches of 1,000 foreground tasks",
             "aio": "1,000 concurrent foreground `await do` (asyncio)"}  # fmt: skip
#: Who runs each scenario (``aio``: raw C and gearman_cffi run their batch mode as the reference).
PLAIN = ("raw C", "gearman_cffi", "PHP gearman", "pygearman")
RUNS = {"do": PLAIN, "batch": PLAIN,
        "aio": ("raw C", "gearman_cffi", "gearman_cffi aio", "gearman_cffi aio (uvloop)", "aiogear")}  # fmt: skip
BATCH = 1000
SIZE = 30


def measure(contender: str, mode: str, jobs: int) -> tuple[float, float]:
    """One run on a fresh gearmand with a fresh C worker: (jobs/s, client CPU us/job)."""
    server = Gearmand().start()
    worker = subprocess.Popen([*WORKER, server.host, str(server.port), str(10**9)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while server.status().get("bench", (0, 0, 0))[2] < 1:
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError("the C worker did not register 'bench'")
            time.sleep(0.02)
        plain = "batch" if mode == "aio" and contender not in TAIL else mode
        proc = subprocess.run([*CONTENDERS[contender], server.host, str(server.port), plain, str(jobs), str(SIZE),
                               str(BATCH), *TAIL.get(contender, [])], capture_output=True, timeout=600)  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(f"{contender} {mode} failed: {proc.stderr.decode(errors='replace')}")
        result = json.loads(proc.stdout.decode().strip().splitlines()[-1])
        if result["jobs"] != jobs:
            raise RuntimeError(f"{contender} ran {result['jobs']} jobs, not {jobs}")
        return jobs / result["seconds"], result["cpu"] / jobs * 1e6
    finally:
        worker.kill()
        worker.wait()
        server.stop()


def table(mode: str, jobs: int, results: dict[str, list[tuple[float, float]]]) -> list[str]:
    median = {n: statistics.median(r for r, _ in rs) for n, rs in results.items()}
    lines = [
        f"## {SCENARIOS[mode]} ({jobs:,} jobs of {SIZE} B per run)",
        "",
        "| client | jobs/s (median) | min - max | x raw C | client CPU us/job |",
        "|---|---:|---:|---:|---:|",
    ]
    for n, rs in results.items():
        rates = [r for r, _ in rs]
        ratio = f"{median[n] / median['raw C']:.2f}" if "raw C" in median else "-"
        cpu = statistics.median(c for _, c in rs)
        lines.append(f"| {n} | {median[n]:,.0f} | {min(rates):,.0f} - {max(rates):,.0f} | {ratio} | {cpu:.1f} |")
    return lines


def aio_targets(results: dict[str, list[tuple[float, float]]]) -> list[str]:
    """Issue 16's goal: 1,000 concurrent foreground awaits at least 5x aiogear's jobs/s."""
    if "aiogear" not in results:
        return []
    lines = ["| target | median ratio | met |", "|---|---:|:---:|"]
    base = statistics.median(r for r, _ in results["aiogear"])
    for name in ("gearman_cffi aio", "gearman_cffi aio (uvloop)"):
        if name in results:
            r = statistics.median(x for x, _ in results[name]) / base
            lines.append(f"| {name}: 1,000 concurrent `do` ≥ 5x aiogear | {r:.1f}x | {'yes' if r >= 5 else 'no'} |")
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer jobs, 3 rounds")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--do-jobs", type=int, help="round trips per `do` run (default 20,000; quick 5,000)")
    parser.add_argument("--batch-jobs", type=int, help="jobs per batch run (default 50,000; quick 10,000)")
    parser.add_argument("--clients", help="comma-separated contenders (default: all)")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--only", help="comma-separated scenarios (default: do,batch,aio)")
    args = parser.parse_args()
    jobs = {
        "do": args.do_jobs or (5_000 if args.quick else 20_000),
        "batch": args.batch_jobs or (10_000 if args.quick else 50_000),
        "aio": args.batch_jobs or (10_000 if args.quick else 20_000),
    }
    modes = [m for m in SCENARIOS if not args.only or m in args.only.split(",")]
    rounds = args.rounds or (3 if args.quick else 5)
    out_dir = args.out or (ROOT / "build" / "bench-quick" if args.quick else ROOT / "docs")
    names = [n for n in CONTENDERS if not args.clients or n in args.clients.split(",")]
    if importlib.util.find_spec("aiogear") is None and "aiogear" in names:
        names.remove("aiogear")  # (ci/bench.sh installs it if it still installs)
        print("aiogear is not installed: its row is left out", file=sys.stderr)
    results = {m: {n: [] for n in names if n in RUNS[m]} for m in modes}  # type: dict[str, dict[str, list[tuple[float, float]]]]
    started = time.monotonic()
    for rnd in range(rounds):
        for mode in modes:
            for name in results[mode]:
                results[mode][name].append(measure(name, mode, jobs[mode]))
        print(f"foreground: round {rnd + 1}/{rounds} after {time.monotonic() - started:.0f} s", file=sys.stderr)
    lines = [
        "# Foreground benchmark: `do` round trips and batches of foreground tasks",
        "",
        f"Generated by `bench/foreground.py{' --quick' if args.quick else ''}` on "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}; rounds: {rounds} (interleaved), a fresh "
        f"gearmand and a fresh raw C worker (bench/c/gearman_worker_bench, echoes the workload) for each run; "
        f"load average at the end {os.getloadavg()[0]:.1f} (a shared, noisy machine: compare medians).",
        "",
    ]
    for mode in modes:
        lines += [*table(mode, jobs[mode], results[mode]), ""]
    lines += aio_targets(results.get("aio", {}))
    if "do" in results and "gearman_cffi" in results["do"] and "raw C" in results["do"]:
        r = statistics.median(x for x, _ in results["do"]["gearman_cffi"]) / statistics.median(
            x for x, _ in results["do"]["raw C"]
        )
        lines += ["| target | median ratio | met |", "|---|---:|:---:|",
                  f"| gearman_cffi `do` ≥ 0.9x raw C | {r:.2f}x | {'yes' if r >= 0.9 else 'no'} |", ""]  # fmt: skip
    lines += [
        "## Method",
        "",
        "- Each client is a separate process (bench/c/gearman_fg_bench.c, bench/py/fg_cffi.py, "
        "bench/php/foreground.php, bench/py/fg_pygearman.py) with the same arguments; it connects first "
        "(echo / ping; pygearman: one foreground job), then times the jobs with its own monotonic clock and "
        "checks that every result equals the 30-byte workload.",
        "- `do`: one job in flight at a time, so a run measures the full round trip client → gearmand → "
        "worker → gearmand → client; all four processes share the machine's cores.",
        f"- batch: {BATCH:,} tasks added, then one run_tasks (runTasks, submit_multiple_jobs with a "
        "poll_timeout, without which pygearman does not wait for completion) that returns when every job "
        "completed; the raw C client frees its tasks "
        "with gearman_client_task_free_all after each batch.",
        "- aio: bench/py/fg_aio.py, 1,000 coroutines awaiting `do` at once (asyncio.gather) per round, "
        "gearman_cffi.aio on asyncio's and uvloop's loops and aiogear 0.2.6 (submit_job + wait_job); raw C "
        "and gearman_cffi run their batches of 1,000 as the reference.",
        "- Client CPU is the client process's own user + system time over the timed span.",
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "benchmarks-foreground.md").write_text("\n".join(lines) + "\n")
    (out_dir / "benchmarks-foreground.json").write_text(json.dumps({"jobs": jobs, "rounds": rounds,
                                                                    "results": results}))  # fmt: skip
    print("\n".join(lines))


if __name__ == "__main__":
    main()
