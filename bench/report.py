"""The tables bench/run.py writes: medians against raw C, and each issue's targets."""

from __future__ import annotations

import statistics
from typing import Any

from scenarios import Scenario


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
        (
            "do_background_many, explicit uniques ≥ 1.0x raw C batches",
            "many_explicit",
            "raw C",
            1.0,
            "gearman_cffi do_background_many",
        ),
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
            floor = "asyncio alone (no Gearman)"
            if name == "asyncio" and floor in sc.results:  # the ceiling of one coroutine per job
                med, best = ratio(sc, floor, "gearman_cffi"), best_ratio(sc, floor, "gearman_cffi")
                lines.append(f"| the same coroutines and futures with no client at all, vs the batch API | asyncio "
                             f"| {med:.2f}x | | {best:.2f}x | |")  # fmt: skip
        if "aio_one" in by_key:  # latency ratio = blocking rate / aio rate
            sc = by_key["aio_one"]
            med, best = ratio(sc, "gearman_cffi", loop), best_ratio(sc, "gearman_cffi", loop)
            lines.append(
                f"| one await: latency ≤ 1.3x do_background's | {name} | {med:.2f}x "
                f"| {'yes' if med <= 1.3 else 'no'} | {best:.2f}x | {'yes' if best <= 1.3 else 'no'} |"
            )
    return lines
