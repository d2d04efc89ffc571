"""Draw docs/benchmarks.png from the measurements bench/run.py saved in benchmarks.json.

Throughput spans three orders of magnitude across scenarios (pygearman is ~250x
raw C with 1 MiB payloads, everything else within 0.3x - 1.4x), so a linear
axis flattens every other bar.  Each bar therefore starts at raw C (ratio 1)
and runs, on a log axis, to the contender's median ratio: right is faster than
C, left is slower, and 2x faster and 2x slower are the same length.  Ratios far
out (over 4x) continue on a second, broken-off panel, so they do not squeeze
the rest.  A whisker spans the contender's slowest and fastest round; the
ratio and median jobs/s of every bar stand in a column on the right.

    python bench/chart.py [docs/benchmarks.json [docs/benchmarks.png]]
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TIMES = "\N{MULTIPLICATION SIGN}"
COLORS = {
    "raw C": "#555555",
    "raw C, no FREE_TASKS": "#aaaaaa",
    "gearman_cffi": "#1f77b4",
    "gearman_cffi before tuning": "#aec7e8",
    "PHP gearman": "#8c564b",
    "pygearman": "#ff7f0e",
}


def _rows(scenarios: dict[str, Any]) -> list[tuple[str, str, float, float, float, float]]:
    """(scenario title, contender, median ratio, min ratio, max ratio, median jobs/s) in drawing order."""
    rows = []
    for sc in scenarios.values():
        results = sc["results"]
        c_median = statistics.median(m[0] for m in results["raw C"])
        for name, measurements in results.items():
            rates = [m[0] for m in measurements]
            med = statistics.median(rates)
            rows.append((sc["title"], name, med / c_median, min(rates) / c_median, max(rates) / c_median, med))
    return rows


def _limits(ratios: list[float]) -> tuple[tuple[float, float], tuple[float, float] | None]:
    """x ranges of the main panel and, if some ratios are far out (> 4x), of a second panel for them."""
    near = [r for r in ratios if r <= 4.0]
    far = [r for r in ratios if r > 4.0]
    main = (min(0.25, min(near) / 1.2), max(2.2, max(near) * 1.15))
    return main, ((min(far) / 1.25, max(far) * 1.15) if far else None)


def draw(scenarios: dict[str, Any], path: Path, title: str) -> bool:
    """Write the chart to path; False (and no file) when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FixedLocator, NullLocator
    except ImportError:
        return False
    rows = _rows(scenarios)
    ys, y, last = [], 0.0, None
    headers: list[tuple[float, str]] = []
    for sc_title, *_ in rows:
        if sc_title != last:
            y += 0.6 if last is None else 1.2  # a gap and a header line before each scenario
            headers.append((y - 0.8, sc_title))
            last = sc_title
        ys.append(y)
        y += 1.0
    (lo, hi), far = _limits([v for r in rows for v in r[2:5]])
    height = 0.24 * y + 1.4
    if far:  # a broken axis: the main panel keeps its resolution, the far bars continue on the right
        fig, (ax, ax2) = plt.subplots(1, 2, sharey=True, figsize=(11, height),
                                      gridspec_kw={"width_ratios": [6, 1], "wspace": 0.03})  # fmt: skip
        axes = [ax, ax2]
    else:
        fig, ax = plt.subplots(figsize=(11, height))
        axes = [ax]
    for a in axes:
        for yy, (_, name, ratio, rmin, rmax, _rate) in zip(ys, rows):
            a.barh(yy, ratio - 1.0, left=1.0, height=0.75, color=COLORS.get(name, "#2ca02c"))
            a.plot([rmin, rmax], [yy, yy], color="black", linewidth=0.8)
        a.axvline(1.0, color="black", linewidth=1.2)
        a.set_xscale("log")
        a.xaxis.set_minor_locator(NullLocator())
        a.grid(axis="x", color="#dddddd", linewidth=0.6)
        a.set_axisbelow(True)
    ticks = [t for t in (0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, 4) if lo <= t <= hi]
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.set_xticklabels([f"1{TIMES} = C" if t == 1 else f"{t:g}{TIMES}" for t in ticks])
    ax.set_ylim(y, -0.6)
    ax.set_yticks(ys)
    ax.set_yticklabels([r[1] for r in rows], fontsize=8)
    for tick, row in zip(ax.get_yticklabels(), rows):
        tick.set_color(COLORS.get(row[1], "black"))
    for hy, text in headers:
        ax.text(lo * 1.02, hy, text, va="center", ha="left", fontsize=9, fontweight="bold")
    last_ax = axes[-1]
    if far:
        ax2.set_xlim(*far)
        far_ticks = [t for t in (5, 10, 20, 50, 100, 200, 300, 500, 1000, 2000) if far[0] <= t <= far[1]]
        ax2.xaxis.set_major_locator(FixedLocator(far_ticks))
        ax2.set_xticklabels([f"{t:g}{TIMES}" for t in far_ticks])
        ax.spines["right"].set_visible(False)
        ax2.spines["left"].set_visible(False)
        ax2.tick_params(axis="y", left=False)
        mark = {"marker": [(-1, -1.5), (1, 1.5)], "markersize": 10, "linestyle": "none", "color": "black",
                "mec": "black", "mew": 1, "clip_on": False}  # fmt: skip
        ax.plot([1, 1], [0, 1], transform=ax.transAxes, **mark)
        ax2.plot([0, 0], [0, 1], transform=ax2.transAxes, **mark)
    for yy, (_, name, ratio, _rmin, _rmax, rate) in zip(ys, rows):  # the figures, in one column on the right
        figure = f"{ratio:.2f}{TIMES}" if ratio < 10 else f"{ratio:.0f}{TIMES}"
        last_ax.annotate(f"{figure:>7}  {rate:9,.0f} jobs/s", (1.0, yy), xycoords=("axes fraction", "data"),
                         xytext=(6, 0), textcoords="offset points", va="center", ha="left", fontsize=8,
                         family="monospace", fontweight="bold" if name == "gearman_cffi" else "normal")  # fmt: skip
    fig.supxlabel("jobs/s relative to raw C on the same libgearman: median, log scale; "
                  "bars start at raw C; whisker: slowest to fastest round", fontsize=9, y=0.15 / height)  # fmt: skip
    fig.suptitle(title, y=1 - 0.15 / height)
    fig.subplots_adjust(left=0.16, right=0.79, top=1 - 0.55 / height, bottom=0.75 / height)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main() -> None:
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "benchmarks.json"
    dst = Path(sys.argv[2]) if len(sys.argv) > 2 else src.with_suffix(".png")
    data = json.loads(src.read_text())
    title = f"gearman clients vs raw C libgearman ({data['rounds']} rounds, {data['date']})"
    if not draw(data["scenarios"], dst, title):
        sys.exit("bench/chart.py: needs matplotlib (pip install matplotlib)")
    print(f"wrote {dst}")


if __name__ == "__main__":
    main()
