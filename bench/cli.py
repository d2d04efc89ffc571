"""Bulk submission from the shell: ``gearman-cffi submit`` against the ``gearman``
CLI (``gearman -n -b -f FN < lines``, one process for all lines) and a loop of
``gearman -b`` (one process per line).

Every measurement gets a fresh gearmand on a free loopback port; contenders run
interleaved for ``--rounds`` rounds; medians (min-max) of wall time, with the
client process's CPU time and peak RSS (wait4).  Each run is checked: the
server must hold exactly N queued jobs afterwards (gearadmin).

* ``gearman -n -b`` grows with the square of N (its client keeps every task and
  walks them all per reply): it runs at 10,000 and 20,000 lines, and at 100,000
  only with ``--slow`` (minutes), else that cell is left empty.
* the per-line loop runs 1,000 lines only; its 10,000 and 100,000 figures are
  that time times 10 and 100 (each line is an independent process: linear),
  marked "extrapolated".
* gearmand 1.1.20 itself slows down as its queue grows (job hash tables of 991
  buckets); the ``gearman-cffi, big hash`` row runs with
  ``--hashtable-buckets=1000003`` to show the client's own growth.

    python bench/cli.py [--quick] [--rounds N] [--slow] [--out docs/benchmarks-cli.md]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from gearmand import Gearmand  # noqa: E402  (the test suite's gearmand launcher)

CFFI = [sys.executable, "-m", "gearman_cffi", "submit"]
BIG_HASH = ("--hashtable-buckets=1000003",)
LOOP_LINES = 1000


def input_file(directory: Path, lines: int) -> Path:
    path = directory / f"lines-{lines}"
    if not path.exists():
        path.write_bytes(b"".join(b"%030d\n" % i for i in range(lines)))  # 30-byte workloads
    return path


def run_once(contender: str, lines: int, directory: Path) -> tuple[float, float, int]:
    """(wall seconds, client CPU seconds, peak RSS KiB) for one run on a fresh gearmand."""
    server = Gearmand(extra_args=BIG_HASH if contender.endswith("big hash") else ()).start()
    fn = "bench"
    try:
        where = ["-h", server.host, "-p", str(server.port)]
        count = LOOP_LINES if contender == "gearman -b loop" else lines
        path = input_file(directory, count)
        start = time.perf_counter()
        cpu = 0.0
        peak = 0
        if contender == "gearman -b loop":
            for line in path.read_bytes().splitlines():
                proc = subprocess.Popen(["gearman", *where, "-b", "-f", fn, line], stdout=subprocess.DEVNULL)
                _, status, usage = os.wait4(proc.pid, 0)
                cpu += usage.ru_utime + usage.ru_stime
                peak = max(peak, usage.ru_maxrss)
                assert os.waitstatus_to_exitcode(status) == 0
        else:
            if contender.startswith("gearman-cffi"):
                argv = [*CFFI, fn, "-s", server.address]
            else:
                argv = ["gearman", *where, "-n", "-b", "-f", fn]
            with open(path, "rb") as stdin:
                proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.DEVNULL)
                _, status, usage = os.wait4(proc.pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0, contender
            cpu, peak = usage.ru_utime + usage.ru_stime, usage.ru_maxrss
        wall = time.perf_counter() - start
        queued = server.queued(fn)
        assert queued == count, f"{contender}: {queued} queued, expected {count}"
        return wall, cpu, peak
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 round, no 100,000-line gearman -n -b")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--slow", action="store_true", help="also gearman -n -b at 100,000 lines (minutes)")
    parser.add_argument("--out", type=Path, help="also write the table here (markdown)")
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds
    sizes = (10000, 20000, 100000)
    contenders = ("gearman-cffi", "gearman-cffi, big hash", "gearman -n -b", "gearman -b loop")
    results: dict[tuple[str, int], list[tuple[float, float, int]]] = {}
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        directory = Path(tmp)
        for _ in range(rounds):
            for lines in sizes:
                for contender in contenders:
                    if contender == "gearman -n -b" and lines == 100000 and not args.slow:
                        continue
                    if contender == "gearman -b loop" and lines != sizes[0]:
                        continue  # measured once per round on 1,000 lines
                    results.setdefault((contender, lines), []).append(run_once(contender, lines, directory))
                    print(
                        f"  {contender:24} {lines:>7} lines: {results[contender, lines][-1][0]:.3f} s", file=sys.stderr
                    )
    report = table(results, sizes, contenders, rounds)
    end_load = os.getloadavg()[0]
    report += f"\nLoad average (1 min) at start / end: {load[0]:.1f} / {end_load:.1f} on {os.cpu_count()} CPUs.\n"
    print(report)
    if args.out:
        args.out.write_text(report)


def table(results: dict[tuple[str, int], list[tuple[float, float, int]]], sizes: tuple[int, ...],
          contenders: tuple[str, ...], rounds: int) -> str:  # fmt: skip
    def median_wall(contender: str, lines: int) -> float | None:
        runs = results.get((contender, lines))
        if contender == "gearman -b loop":
            runs = results.get((contender, sizes[0]))
            return None if not runs else statistics.median(r[0] for r in runs) * lines / LOOP_LINES
        return None if not runs else statistics.median(r[0] for r in runs)

    out = [
        f"# gearman-cffi submit: shell bulk submission ({rounds} round(s), medians; {time.strftime('%Y-%m-%d')})",
        "",
        "Wall seconds to queue N background jobs of 30 bytes from a file on stdin (fresh gearmand 1.1.20 each run,",
        "queued count checked with gearadmin); in brackets: min-max, client CPU s, client peak RSS MiB.",
        "",
        "| contender | " + " | ".join(f"{n:,} lines" for n in sizes) + " |",
        "| --- |" + " --- |" * len(sizes),
    ]
    for contender in contenders:
        cells = []
        for lines in sizes:
            runs = results.get((contender, lines))
            if contender == "gearman -b loop":
                wall = median_wall(contender, lines)
                cells.append(f"{wall:.1f} (extrapolated from {LOOP_LINES:,} lines)" if wall else "")
            elif not runs:
                cells.append("not run (quadratic: minutes; --slow)" if contender == "gearman -n -b" else "")
            else:
                walls = [r[0] for r in runs]
                cpu = statistics.median(r[1] for r in runs)
                rss = max(r[2] for r in runs) / 1024
                cells.append(
                    f"{statistics.median(walls):.3f} [{min(walls):.3f}-{max(walls):.3f}, cpu {cpu:.2f}, {rss:.0f} MiB]"
                )
        out.append(f"| {contender} | " + " | ".join(cells) + " |")
    out.append("")
    mine_runs = {n: results.get(("gearman-cffi", n), []) for n in sizes}
    for n in sizes:  # ratios pair by pair (same round, run back to back), then the median
        theirs_runs = results.get(("gearman -n -b", n), [])
        pairs = [b[0] / a[0] for a, b in zip(mine_runs[n], theirs_runs)]
        cpu = [b[1] / a[1] for a, b in zip(mine_runs[n], theirs_runs)]
        if pairs:
            out.append(
                f"- {n:,} lines: gearman-cffi is {statistics.median(pairs):.1f}x faster than `gearman -n -b` "
                f"(wall, median of {len(pairs)} paired runs; client CPU {statistics.median(cpu):.1f}x less)"
            )
    loop = median_wall("gearman -b loop", sizes[0])
    mine = median_wall("gearman-cffi", sizes[0])
    if loop and mine:
        out.append(f"- {sizes[0]:,} lines: {loop / mine:.0f}x faster than a `gearman -b` loop (extrapolated)")
    for row in ("gearman-cffi", "gearman-cffi, big hash"):
        cpu = {n: statistics.median(r[1] for r in results[row, n]) for n in sizes if results.get((row, n))}
        if len(cpu) == len(sizes):  # the client's own work: CPU per extra job over each range of N
            steps = [f"{a:,}->{b:,}: {(cpu[b] - cpu[a]) / (b - a) * 1e6:.1f}" for a, b in zip(sizes, sizes[1:])]
            out.append(f"- {row}: client CPU per extra job (us) {'; '.join(steps)} (equal = linear)")
        small, big = median_wall(row, sizes[0]), median_wall(row, sizes[-1])
        if small and big:
            out.append(f"- {row}: {sizes[-1]:,} lines take {big / small:.1f}x the wall time of {sizes[0]:,}")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
