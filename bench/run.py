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
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import chart  # noqa: E402  (bench/chart.py: draws benchmarks.png from the saved measurements)
from gearmand import Gearmand  # noqa: E402  (the test suite's gearmand launcher)

C_BIN = ROOT / "bench" / "c" / "build" / "gearman_bench"
PY = sys.executable
CONTENDER_CMD = {
    "raw C": [str(C_BIN)],
    "raw C, no FREE_TASKS": [str(C_BIN)],
    "gearman_cffi": [PY, str(ROOT / "bench" / "py" / "bench_cffi.py")],
    "PHP gearman": ["php", str(ROOT / "bench" / "php" / "bench.php")],
    "pygearman": [PY, str(ROOT / "bench" / "py" / "bench_pygearman.py")],
    "gearman_cffi do_background_many": [PY, str(ROOT / "bench" / "py" / "bench_cffi.py")],
    "gearman_cffi aio": [PY, str(ROOT / "bench" / "py" / "bench_aio.py")],
    "gearman_cffi aio (uvloop)": [PY, str(ROOT / "bench" / "py" / "bench_aio.py")],
}
#: Arguments after the common ones (bench_aio.py: which event loop).
CONTENDER_TAIL = {"gearman_cffi aio": ["asyncio"], "gearman_cffi aio (uvloop)": ["uvloop"]}
CONTENDER_ENV: dict[str, dict[str, str]] = {}
#: Contenders that do a scenario's work their own way (bench_cffi.py's ``many``: one call per batch).
CONTENDER_MODE = {"gearman_cffi do_background_many": "many"}
BASELINE = "gearman_cffi before tuning"
ALL = ("raw C", "gearman_cffi", "PHP gearman", "pygearman")
C_AND_CFFI = ("raw C", "gearman_cffi")
AIO = ("raw C", "gearman_cffi", "gearman_cffi aio", "gearman_cffi aio (uvloop)")


@dataclass
class Scenario:
    key: str
    title: str
    mode: str  # do | batch
    jobs_quick: int
    jobs_full: int
    size: int = 30
    priority: str = "normal"
    unique: str = "auto"
    threads: int = 1
    contenders: tuple[str, ...] = ALL
    # CPUs for (gearmand, client); None: the scheduler places both.  A round trip
    # costs ~5x more when the two sit on different CPUs of this VM, and the
    # scheduler moves a small C process next to gearmand far more often than a
    # Python one, so the pinned rows compare the clients with placement fixed.
    pin: tuple[int, int] | None = None
    batch: int = 1000  # jobs per run_tasks (aio: concurrent awaits per gather)
    # contender -> [(jobs/s, peak RSS kB, client CPU us/job)]
    results: dict[str, list[tuple[float, int, float]]] = field(default_factory=dict)


SCENARIOS = [
    Scenario("do", "do_background, 30 B", "do", 2_000, 20_000),
    Scenario("batch", "add_task_background x1000 + run_tasks, 30 B", "batch", 20_000, 100_000,
             contenders=(*ALL, "raw C, no FREE_TASKS")),
    Scenario("do_pin_same", "do_background, client and gearmand pinned to one CPU", "do", 2_000, 20_000,
             pin=(0, 0)),
    Scenario("do_pin_apart", "do_background, client and gearmand pinned to two CPUs", "do", 2_000, 20_000,
             pin=(0, 1)),
    Scenario("do_t4", "do_background, 4 threads (C: pthreads; cffi: clone())", "do", 4_000, 40_000,
             threads=4, contenders=C_AND_CFFI),
    Scenario("batch_t4", "add_task x1000 + run_tasks, 4 threads", "batch", 40_000, 200_000,
             threads=4, contenders=C_AND_CFFI),
    Scenario("batch_4k", "add_task x1000 + run_tasks, 4 KiB", "batch", 10_000, 50_000, size=4096),
    Scenario("batch_1m", "add_task + run_tasks, 1 MiB", "batch", 6, 12, size=1 << 20),
    Scenario("do_1m", "do_background, 1 MiB", "do", 6, 12, size=1 << 20),
    Scenario("batch_high", "add_task_high x1000 + run_tasks", "batch", 20_000, 100_000, priority="high"),
    Scenario("batch_low", "add_task_low x1000 + run_tasks", "batch", 20_000, 100_000, priority="low"),
    Scenario("do_high", "do_high_background", "do", 2_000, 20_000, priority="high", contenders=C_AND_CFFI),
    Scenario("batch_explicit", "add_task x1000 + run_tasks, explicit unique", "batch", 20_000, 100_000,
             unique="explicit"),
    Scenario("do_explicit", "do_background, explicit unique", "do", 2_000, 20_000, unique="explicit",
             contenders=C_AND_CFFI),
    # issue 14: "many payloads, one function" in one call per batch, against each client's batch API
    Scenario("many", "do_background_many of 1,000 (cffi) vs add_task x1000 + run_tasks, 30 B", "batch", 20_000,
             100_000, contenders=(*ALL, "gearman_cffi do_background_many")),
    Scenario("many_explicit", "do_background_many of 1,000 (cffi) vs add_task x1000 + run_tasks, explicit unique",
             "batch", 20_000, 100_000, unique="explicit",
             contenders=("raw C", "gearman_cffi", "PHP gearman", "gearman_cffi do_background_many")),
    # asyncio (issue 16): aio = 10,000 coroutines awaiting do_background at once (asyncio.gather), against
    # add_task_background x10,000 + run_tasks; and one await at a time on an idle loop against do_background.
    Scenario("aio_many", "10,000 concurrent await do_background (aio) vs batches of 10,000", "batch", 20_000,
             50_000, batch=10_000, contenders=AIO),
    Scenario("aio_one", "one await do_background at a time (aio) vs do_background", "do", 2_000, 10_000,
             contenders=AIO),
]


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
        args = [server.host, str(server.port), mode, str(jobs), str(sc.size), sc.priority, sc.unique,
                str(sc.threads), str(sc.batch), *(["keep-tasks"] if contender == "raw C, no FREE_TASKS" else []),
                *CONTENDER_TAIL.get(contender, [])]
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


def fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def table(scenarios: list[Scenario]) -> list[str]:
    lines = [
        "| scenario | client | jobs/s (median) | min - max | x raw C | client CPU us/job | peak RSS MB |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for sc in scenarios:
        c_median = statistics.median(r for r, _, _ in sc.results["raw C"])
        for name in sc.contenders:
            rates = [r for r, _, _ in sc.results[name]]
            rss = statistics.median(m for _, m, _ in sc.results[name]) / 1024
            cpu = statistics.median(c for _, _, c in sc.results[name])
            med = statistics.median(rates)
            lines.append(f"| {sc.title} | {name} | {fmt_rate(med)} | {fmt_rate(min(rates))} - {fmt_rate(max(rates))}"
                         f" | {med / c_median:.2f} | {cpu:.1f} | {rss:.1f} |")  # fmt: skip
    return lines


def ratio(sc: Scenario, a: str, b: str) -> float:
    return statistics.median(r for r, _, _ in sc.results[a]) / statistics.median(r for r, _, _ in sc.results[b])


def best_ratio(sc: Scenario, a: str, b: str) -> float:
    """Ratio of the best rounds: load on a shared machine only ever slows a run down."""
    return max(r for r, _, _ in sc.results[a]) / max(r for r, _, _ in sc.results[b])


def targets(by_key: dict[str, Scenario], growth: dict[str, float]) -> list[str]:
    grown_mb = (growth["rss_end_kb"] - growth["rss_start_kb"]) / 1024
    rows: list[tuple[Any, ...]] = [
        ("do_background ≥ 0.95x raw C", "do", "raw C", 0.95),
        ("add_task+run_tasks ≥ 0.90x raw C", "batch", "raw C", 0.90),
        ("do_background ≥ 2.5x pygearman", "do", "pygearman", 2.5),
        ("add_task+run_tasks ≥ 2.5x pygearman", "batch", "pygearman", 2.5),
        ("do_background ahead of PHP", "do", "PHP gearman", 1.0),
        ("do_background ≥ 0.97x raw C, pinned to one CPU", "do_pin_same", "raw C", 0.97),
        ("do_background ≥ 0.97x raw C, pinned to two CPUs", "do_pin_apart", "raw C", 0.97),
        ("do_background ≥ 2.5x pygearman, pinned to one CPU", "do_pin_same", "pygearman", 2.5),
        ("do_background ahead of PHP, pinned to one CPU", "do_pin_same", "PHP gearman", 1.0),
        ("add_task+run_tasks ahead of PHP", "batch", "PHP gearman", 1.0),
        ("4 threads do_background ≥ 0.9x 4 C pthreads", "do_t4", "raw C", 0.9),
        ("4 threads add_task+run_tasks ≥ 0.9x 4 C pthreads", "batch_t4", "raw C", 0.9),
        ("add_task x1000 + run_tasks, explicit unique ≥ 1.0x raw C", "batch_explicit", "raw C", 1.0),
        ("do_background_many ≥ 1.5x raw C batches", "many", "raw C", 1.5, "gearman_cffi do_background_many"),
        ("do_background_many, explicit uniques ≥ 1.0x raw C batches", "many_explicit", "raw C", 1.0,
         "gearman_cffi do_background_many"),
    ]
    lines = ["| target | median ratio | met (median) | best-round ratio | met (best) |", "|---|---:|:---:|---:|:---:|"]
    for name, key, other, goal, *ours in rows:
        if key not in by_key:
            continue
        us = ours[0] if ours else "gearman_cffi"
        med, best = ratio(by_key[key], us, other), best_ratio(by_key[key], us, other)
        lines.append(f"| {name} | {med:.2f}x | {'yes' if med >= goal else 'no'} | {best:.2f}x "
                     f"| {'yes' if best >= goal else 'no'} |")  # fmt: skip
    lines.append(f"| RSS growth < 20 MB over {growth['jobs']:,.0f} tasks (one Client) | {grown_mb:.1f} MB "
                 f"| {'yes' if grown_mb < 20 else 'no'} | | |")  # fmt: skip
    return lines


def aio_targets(by_key: dict[str, Scenario]) -> list[str]:
    """Issue 16's goals: jobs/s ratios for many awaits, a latency ratio for one."""
    lines = ["| target | loop | median ratio | met (median) | best-round ratio | met (best) |",
             "|---|---|---:|:---:|---:|:---:|"]  # fmt: skip
    for loop in ("gearman_cffi aio", "gearman_cffi aio (uvloop)"):
        name = "uvloop" if "uvloop" in loop else "asyncio"
        if "aio_many" in by_key:
            sc = by_key["aio_many"]
            for other, goal in (("gearman_cffi", 0.9), ("raw C", None)):
                med, best = ratio(sc, loop, other), best_ratio(sc, loop, other)
                met = ("yes" if med >= goal else "no", "yes" if best >= goal else "no") if goal else ("", "")
                what = f"10,000 concurrent awaits vs {'the batch API' if other == 'gearman_cffi' else 'raw C batches'}"
                lines.append(f"| {what}{f' ≥ {goal}x' if goal else ''} | {name} | {med:.2f}x | {met[0]} "
                             f"| {best:.2f}x | {met[1]} |")  # fmt: skip
        if "aio_one" in by_key:  # latency ratio = blocking rate / aio rate
            sc = by_key["aio_one"]
            med, best = ratio(sc, "gearman_cffi", loop), best_ratio(sc, "gearman_cffi", loop)
            lines.append(f"| one await: latency ≤ 1.3x do_background's | {name} | {med:.2f}x "
                         f"| {'yes' if med <= 1.3 else 'no'} | {best:.2f}x | {'yes' if best <= 1.3 else 'no'} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and jobs (a few minutes)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 3 quick, 7 full)")
    parser.add_argument("--only", help="comma-separated scenario keys to run")
    parser.add_argument("--out", type=Path, help="directory for benchmarks.md/.png (default: docs/, or "
                        "build/bench-quick/ with --quick, so a quick run leaves the committed results alone)")
    parser.add_argument("--rss-tasks", type=int, help="tasks for the RSS growth run (default 100k quick, 1M full)")
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="also run bench_cffi.py against the gearman_cffi package in DIR (an older checkout "
                             "with its extension built in place), as the contender 'gearman_cffi before tuning'")
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
        f"Generated by `./ci/bench.sh{' --quick' if args.quick else ''}` ({kind} run) on {date}, "
        f"{elapsed:.0f} s.",
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
        out += ["## asyncio targets (issue 16)", "", "Jobs/s ratios for many concurrent awaits; for one await, "
                "the latency ratio (blocking do_background's jobs/s over the aio client's).", "", *aio_lines, ""]
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
        out += ["", previous[previous.index(start):previous.index(end) + len(end)], ""]
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
