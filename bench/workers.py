"""Worker throughput side by side: raw C libgearman worker, gearman_cffi's
Worker, PHP's GearmanWorker and pygearman's worker, draining the same queue.

Every measurement: a fresh gearmand on a free loopback port, JOBS background
jobs of 30 bytes queued for "bench" (by bench/c's raw C client, batch mode),
then the contender serves "bench" (the result is the workload) until it ran
JOBS jobs; its own clock covers connect + registration + the drain.
Contenders run interleaved (A B C D A B C D …) for several rounds; medians,
min-max and each worker process's peak RSS are reported, and the ratios to
the C worker and to pygearman.  Writes docs/benchmarks-worker.md (or --out).
Run through ./ci/bench.sh (it compiles bench/c and installs PHP / pygearman).
"""

from __future__ import annotations

import argparse
import datetime
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
FILL = [str(ROOT / "bench" / "c" / "build" / "gearman_bench")]
CONTENDERS = {
    "raw C": [str(ROOT / "bench" / "c" / "build" / "gearman_worker_bench")],
    "gearman_cffi": [PY, str(ROOT / "bench" / "py" / "worker_cffi.py")],
    "PHP gearman": ["php", str(ROOT / "bench" / "php" / "worker.php")],
    "pygearman": [PY, str(ROOT / "bench" / "py" / "worker_pygearman.py")],
}
GOALS = (("raw C", 0.9), ("pygearman", 3.0))


def measure(contender: str, jobs: int, size: int, pin: tuple[int, int] | None) -> tuple[float, int, float]:
    """One drain on a fresh gearmand: (jobs/s, peak RSS kB, worker CPU us/job).
    ``pin``: CPUs for (gearmand, worker), as bench/run.py's pinned rows."""
    server = Gearmand().start()
    if pin is not None:
        assert server.proc is not None
        for thread in Path(f"/proc/{server.proc.pid}/task").iterdir():
            os.sched_setaffinity(int(thread.name), {pin[0]})
    try:
        subprocess.run([*FILL, server.host, str(server.port), "batch", str(jobs), str(size), "normal", "auto", "1",
                        "1000"], check=True, capture_output=True)  # fmt: skip
        assert server.queued("bench") == jobs
        on_cpu = None if pin is None else (lambda: os.sched_setaffinity(0, {pin[1]}))
        proc = subprocess.Popen([*CONTENDERS[contender], server.host, str(server.port), str(jobs)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=on_cpu)  # fmt: skip
        assert proc.stdout is not None and proc.stderr is not None
        out, err = proc.stdout.read(), proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{contender} failed: {err.decode(errors='replace')}")
        result = json.loads(out.decode().strip().splitlines()[-1])
        if result["jobs"] != jobs:
            raise RuntimeError(f"{contender} ran {result['jobs']} jobs, not {jobs}")
        return jobs / result["seconds"], int(usage.ru_maxrss), result["cpu"] / jobs * 1e6
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 jobs, 3 rounds")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--jobs", type=int)
    parser.add_argument("--workers", help="comma-separated contenders (default: all)")
    parser.add_argument("--only", help="bench/run.py's scenario keys: this runs only if they include 'worker'")
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--pin",
        choices=("none", "same", "apart"),
        default="none",
        help="gearmand and the worker on one CPU (same) or two (apart); default: unpinned",
    )
    args, _ = parser.parse_known_args()  # ci/bench.sh passes bench/run.py's arguments too
    if args.only and "worker" not in args.only.split(","):
        return
    jobs = args.jobs or (20_000 if args.quick else 100_000)
    rounds = args.rounds or (3 if args.quick else 5)
    out_dir = args.out or (ROOT / "build" / "bench-quick" if args.quick else ROOT / "docs")
    pin = {"none": None, "same": (0, 0), "apart": (0, 1)}[args.pin]
    if pin is not None and len(os.sched_getaffinity(0)) < 2:
        pin = None
    names = [n for n in CONTENDERS if not args.workers or n in args.workers.split(",")]
    results: dict[str, list[tuple[float, int, float]]] = {n: [] for n in names}
    started = time.monotonic()
    for rnd in range(rounds):
        for name in names:
            results[name].append(measure(name, jobs, 30, pin))
        print(f"workers: round {rnd + 1}/{rounds} after {time.monotonic() - started:.0f} s", file=sys.stderr)
    median = {n: statistics.median(r for r, _, _ in results[n]) for n in names}
    lines = [
        f"# Worker benchmark: draining {jobs:,} queued 30-byte jobs"
        + ("" if pin is None else f", gearmand and worker pinned to {'one CPU' if pin[0] == pin[1] else 'two CPUs'}"),
        "",
        f"Generated by `bench/workers.py{' --quick' if args.quick else ''}` on "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}; {rounds} interleaved rounds, a fresh "
        f"gearmand each; load average at the end {os.getloadavg()[0]:.1f} (a shared, noisy machine: compare medians).",
        "",
        "| worker | jobs/s (median) | min - max | x raw C | worker CPU us/job | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for n in names:
        rates = [r for r, _, _ in results[n]]
        cpu = statistics.median(c for _, _, c in results[n])
        rss = statistics.median(m for _, m, _ in results[n]) / 1024
        c_ratio = f"{median[n] / median['raw C']:.2f}" if "raw C" in median else "-"
        lines.append(f"| {n} | {median[n]:,.0f} | {min(rates):,.0f} - {max(rates):,.0f} | {c_ratio} | {cpu:.1f} "
                     f"| {rss:.1f} |")  # fmt: skip
    if "gearman_cffi" in median:
        lines += ["", "| target | median ratio | met |", "|---|---:|:---:|"]
        for other, goal in GOALS:
            if other in median:
                r = median["gearman_cffi"] / median[other]
                lines.append(f"| gearman_cffi ≥ {goal}x {other} | {r:.2f}x | {'yes' if r >= goal else 'no'} |")
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "benchmarks-worker" + ("" if args.pin == "none" else f"-pinned-{args.pin}")
    (out_dir / f"{stem}.md").write_text("\n".join(lines) + "\n")
    (out_dir / f"{stem}.json").write_text(json.dumps({"jobs": jobs, "rounds": rounds, "results": results}))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
