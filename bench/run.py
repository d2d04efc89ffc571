"""Side-by-side benchmark: raw C libgearman, gearman_cffi, PHP's gearman
extension and pygearman, all against the same gearmand build.

Every measurement gets a fresh gearmand on a free loopback port; the contenders
of a scenario run interleaved (A B C D A B C D …) for several rounds; medians
and min-max are reported, with each client process's peak RSS (wait4's
ru_maxrss).  Writes docs/benchmarks.md, docs/benchmarks.json and
docs/benchmarks.png (bench/chart.py, if matplotlib is installed; it also
redraws the chart from a saved benchmarks.json) and prints the table.  Run
through ./ci/bench.sh.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import chart  # bench/chart.py: draws benchmarks.png from the saved measurements
from report import aio_targets, table, targets
from scenarios import (  # what is measured, by whom (payloads.py reads these through this module)
    ALL,
    BASELINE,
    CONTENDER_CMD,
    CONTENDER_ENV,
    CONTENDER_MODE,
    CONTENDER_TAIL,
    PY,
    ROOT,
    SCENARIOS,
    Scenario,
)

sys.path.insert(0, str(ROOT / "tests"))
from gearmand import Gearmand  # the test suite's gearmand launcher


def measure(contender: str, sc: Scenario, jobs: int) -> tuple[float, int, float]:
    """One run on a fresh gearmand: (jobs per second, peak RSS in kB, client CPU us per job)."""
    server = Gearmand().start()
    pin = sc.pin if sc.pin is not None and len(os.sched_getaffinity(0)) >= 2 else None
    if pin is not None:
        assert server.proc is not None
        for thread in Path(f"/proc/{server.proc.pid}/task").iterdir():  # gearmand's threads exist already
            os.sched_setaffinity(int(thread.name), {pin[0]})
    try:
        mode = CONTENDER_MODE.get(contender, sc.mode)
        args = [
            server.host,
            str(server.port),
            mode,
            str(jobs),
            str(sc.size),
            sc.priority,
            sc.unique,
            str(sc.threads),
            str(sc.batch),
            *(["keep-tasks"] if contender == "raw C, no FREE_TASKS" else []),
            *CONTENDER_TAIL.get(contender, []),
        ]
        on_cpu = None if pin is None else (lambda: os.sched_setaffinity(0, {pin[1]}))
        proc = subprocess.Popen([*CONTENDER_CMD[contender], *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env={**os.environ, **CONTENDER_ENV.get(contender, {})}, preexec_fn=on_cpu)  # fmt: skip
        assert proc.stdout is not None and proc.stderr is not None
        out, err = proc.stdout.read(), proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise RuntimeError(f"{contender} {sc.key} failed ({proc.returncode}): {err.decode(errors='replace')}")
        result = json.loads(out.decode().strip().splitlines()[-1])
        return result["jobs"] / result["seconds"], int(usage.ru_maxrss), result["cpu"] / result["jobs"] * 1e6
    finally:
        server.stop()


def rss_growth(tasks: int) -> dict[str, float]:
    server = Gearmand().start()
    try:
        out = subprocess.run([PY, str(ROOT / "bench" / "py" / "rss_growth.py"), server.host, str(server.port),
                              str(tasks)], check=True, capture_output=True, text=True).stdout  # fmt: skip
    finally:
        server.stop()
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = [f"Python {platform.python_version()}"]
    try:
        import gearman_cffi

        versions.insert(0, f"libgearman {gearman_cffi.libgearman_version()}")
    except ImportError:
        pass
    php = shutil.which("php")
    if php:
        first = subprocess.run([php, "-r", "echo PHP_VERSION, ' gearman ', phpversion('gearman');"],
                               capture_output=True, text=True).stdout  # fmt: skip
        versions.append(f"PHP {first}")
    gearmand = shutil.which("gearmand") or "/usr/sbin/gearmand"
    gv = subprocess.run([gearmand, "--version"], capture_output=True, text=True).stdout.strip()
    versions.append(gv or "gearmand")
    return f"{os.cpu_count()} cores, {model}, {platform.system()} {platform.release()}; " + ", ".join(versions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and jobs (a few minutes)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 3 quick, 7 full)")
    parser.add_argument("--only", help="comma-separated scenario keys to run")
    parser.add_argument(
        "--out",
        type=Path,
        help="directory for benchmarks.md/.png (default: docs/, or "
        "build/bench-quick/ with --quick, so a quick run leaves the committed results alone)",
    )
    parser.add_argument("--rss-tasks", type=int, help="tasks for the RSS growth run (default 100k quick, 1M full)")
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="also run bench_cffi.py against the gearman_cffi package in DIR (an older checkout "
        "with its extension built in place), as the contender 'gearman_cffi before tuning'",
    )
    args = parser.parse_args()
    args.out = args.out or (ROOT / "build" / "bench-quick" if args.quick else ROOT / "docs")
    rounds = args.rounds or (3 if args.quick else 7)
    rss_tasks = args.rss_tasks or (100_000 if args.quick else 1_000_000)
    scenarios = [sc for sc in SCENARIOS if not args.only or sc.key in args.only.split(",")]
    if args.baseline:
        CONTENDER_CMD[BASELINE] = CONTENDER_CMD["gearman_cffi"]
        CONTENDER_ENV[BASELINE] = {"PYTHONPATH": str(args.baseline.resolve())}
        for sc in scenarios:
            at = sc.contenders.index("gearman_cffi") + 1
            sc.contenders = (*sc.contenders[:at], BASELINE, *sc.contenders[at:])
    missing = [c for c in ALL if c in {n for sc in scenarios for n in sc.contenders}
               and not (shutil.which(CONTENDER_CMD[c][0]) or Path(CONTENDER_CMD[c][0]).exists())]  # fmt: skip
    if missing:
        sys.exit(f"bench/run.py: missing contenders {missing}; run it through ./ci/bench.sh")

    started = time.monotonic()
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    for rnd in range(rounds):
        for sc in scenarios:
            jobs = sc.jobs_quick if args.quick else sc.jobs_full
            for name in sc.contenders:
                sc.results.setdefault(name, []).append(measure(name, sc, jobs))
        print(f"round {rnd + 1}/{rounds} done after {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    growth = rss_growth(rss_tasks)
    elapsed = time.monotonic() - started
    load = os.getloadavg()

    by_key = {sc.key: sc for sc in scenarios}
    body = table(scenarios)
    have_all = all(k in by_key for k in ("do", "batch", "do_t4", "batch_t4"))
    goal_lines = targets(by_key, growth) if have_all else []
    kind = "quick" if args.quick else "full"
    out: list[str] = [
        "# Benchmarks",
        "",
        f"Generated by `./ci/bench.sh{' --quick' if args.quick else ''}` ({kind} run) on {date}, {elapsed:.0f} s.",
        "",
        f"- Machine: {machine()}.",
        f"- **Shared, noisy machine**: other jobs ran on the same cores during the run (load average "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end), so single measurements vary a lot; "
        "compare medians, and read min - max as the noise band.",
        f"- Method: {rounds} interleaved rounds (every contender of a scenario once per round, in turn); every "
        "measurement on a fresh gearmand on a free 127.0.0.1 port; the client connects before the clock starts; "
        "jobs/s = jobs / wall time of the submissions (each job acknowledged by the server with JOB_CREATED). "
        "Client CPU is the contender's own CPU time (user + system) over the timed part. Peak RSS is the client "
        "process's `ru_maxrss` (interpreter included). Every measurement is in benchmarks.json "
        "(jobs/s, peak RSS kB, CPU us/job).",
        "- raw C is bench/c/gearman_bench.c, linked against the same libgearman; its batch mode runs with "
        "GEARMAN_CLIENT_FREE_TASKS (as PHP's extension does, and gearman_cffi inside its own runs); "
        "`raw C, no FREE_TASKS` keeps the "
        "tasks and calls gearman_client_task_free_all after each batch, for reference.",
        "- Unique: `auto` rows leave it to the client library (libgearman: a time-based UUID; "
        "gearman_cffi: its own UUID-form unique, see [Auto-assigned uniques](usage.md#auto-assigned-uniques); "
        "pygearman: random hex); `explicit` rows pass "
        "a per-job string built in the contender's own language.",
        "",
        *body,
        "",
    ]
    aio_lines = aio_targets(by_key) if {"aio_many", "aio_one"} & set(by_key) else []
    if aio_lines:
        out += [
            "## asyncio targets (issue 16)",
            "",
            "Jobs/s ratios for many concurrent awaits; for one await, "
            "the latency ratio (blocking do_background's jobs/s over the aio client's).",
            "",
            *aio_lines,
            "",
        ]
    if goal_lines:
        out += ["## Targets (issue 4)", "",
                "The issue's targets are on medians. Noise from other load only ever slows a run down, so the "
                "ratio of each contender's best round is shown beside the median as a second estimate.", "",
                *goal_lines, ""]  # fmt: skip
    notes = ROOT / "bench" / "NOTES.md"
    out += [
        f"RSS growth of one long-lived `Client` over {growth['jobs']:,.0f} tasks (batches of 1000; every "
        f"10th batch as do_background): {growth['rss_start_kb'] / 1024:.1f} MB → {growth['rss_end_kb'] / 1024:.1f} MB.",
        "",
        "![jobs/s relative to raw C](benchmarks.png)",
        "",
        *([notes.read_text()] if notes.exists() else []),
    ]
    previous = (args.out / "benchmarks.md").read_text() if (args.out / "benchmarks.md").exists() else ""
    start, end = "<!-- payloads: generated by bench/payloads.py -->", "<!-- /payloads -->"
    if start in previous and end in previous:  # bench/payloads.py's section survives this rewrite
        out += ["", previous[previous.index(start) : previous.index(end) + len(end)], ""]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "benchmarks.md").write_text("\n".join(out))
    raw = {sc.key: {"title": sc.title, "results": {n: [list(m) for m in sc.results[n]] for n in sc.contenders}}
           for sc in scenarios}  # fmt: skip
    (args.out / "benchmarks.json").write_text(json.dumps({"date": date, "rounds": rounds, "rss_growth": growth,
                                                          "scenarios": raw}, indent=1))  # fmt: skip
    drew = chart.draw(raw, args.out / "benchmarks.png", f"gearman clients vs raw C libgearman ({kind} run, {date})")
    print("\n".join(body))
    if goal_lines:
        print("\n" + "\n".join(goal_lines))
    if aio_lines:
        print("\n" + "\n".join(aio_lines))
    print(f"\nwrote {args.out / 'benchmarks.md'}" + (f" and {args.out / 'benchmarks.png'}" if drew else
                                                      " (no matplotlib: no chart)"))  # fmt: skip


if __name__ == "__main__":
    main()
