"""The scenarios and contenders of bench/run.py: what is measured, by whom."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
C_BIN = ROOT / "bench" / "c" / "build" / "gearman_bench"
CONTENDER_CMD = {
    "raw C": [str(C_BIN)],
    "raw C, no FREE_TASKS": [str(C_BIN)],
    "gearman_cffi": [PY, str(ROOT / "bench" / "py" / "bench_cffi.py")],
    "PHP gearman": ["php", str(ROOT / "bench" / "php" / "bench.php")],
    "pygearman": [PY, str(ROOT / "bench" / "py" / "bench_pygearman.py")],
    "gearman_cffi do_background_many": [PY, str(ROOT / "bench" / "py" / "bench_cffi.py")],
    "gearman_cffi aio": [PY, str(ROOT / "bench" / "py" / "bench_aio.py")],
    "gearman_cffi aio (uvloop)": [PY, str(ROOT / "bench" / "py" / "bench_aio.py")],
    "asyncio alone (no Gearman)": [PY, str(ROOT / "bench" / "py" / "bench_aio.py")],
}
#: Arguments after the common ones (bench_aio.py: which event loop).
CONTENDER_TAIL = {
    "gearman_cffi aio": ["asyncio"],
    "gearman_cffi aio (uvloop)": ["uvloop"],
    "asyncio alone (no Gearman)": ["asyncio", "floor"],
}
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
    Scenario(
        "batch",
        "add_task_background x1000 + run_tasks, 30 B",
        "batch",
        20_000,
        100_000,
        contenders=(*ALL, "raw C, no FREE_TASKS"),
    ),
    Scenario("do_pin_same", "do_background, client and gearmand pinned to one CPU", "do", 2_000, 20_000, pin=(0, 0)),
    Scenario("do_pin_apart", "do_background, client and gearmand pinned to two CPUs", "do", 2_000, 20_000, pin=(0, 1)),
    Scenario(
        "do_t4",
        "do_background, 4 threads (C: pthreads; cffi: clone())",
        "do",
        4_000,
        40_000,
        threads=4,
        contenders=C_AND_CFFI,
    ),
    Scenario(
        "batch_t4", "add_task x1000 + run_tasks, 4 threads", "batch", 40_000, 200_000, threads=4, contenders=C_AND_CFFI
    ),
    Scenario("batch_4k", "add_task x1000 + run_tasks, 4 KiB", "batch", 10_000, 50_000, size=4096),
    Scenario("batch_1m", "add_task + run_tasks, 1 MiB", "batch", 6, 12, size=1 << 20),
    Scenario("do_1m", "do_background, 1 MiB", "do", 6, 12, size=1 << 20),
    Scenario("batch_high", "add_task_high x1000 + run_tasks", "batch", 20_000, 100_000, priority="high"),
    Scenario("batch_low", "add_task_low x1000 + run_tasks", "batch", 20_000, 100_000, priority="low"),
    Scenario("do_high", "do_high_background", "do", 2_000, 20_000, priority="high", contenders=C_AND_CFFI),
    Scenario(
        "batch_explicit", "add_task x1000 + run_tasks, explicit unique", "batch", 20_000, 100_000, unique="explicit"
    ),
    Scenario(
        "do_explicit", "do_background, explicit unique", "do", 2_000, 20_000, unique="explicit", contenders=C_AND_CFFI
    ),
    # issue 14: "many payloads, one function" in one call per batch, against each client's batch API
    Scenario(
        "many",
        "do_background_many of 1,000 (cffi) vs add_task x1000 + run_tasks, 30 B",
        "batch",
        20_000,
        100_000,
        contenders=(*ALL, "gearman_cffi do_background_many"),
    ),
    Scenario(
        "many_explicit",
        "do_background_many of 1,000 (cffi) vs add_task x1000 + run_tasks, explicit unique",
        "batch",
        20_000,
        100_000,
        unique="explicit",
        contenders=("raw C", "gearman_cffi", "PHP gearman", "gearman_cffi do_background_many"),
    ),
    # asyncio (issue 16): aio = 10,000 coroutines awaiting do_background at once (asyncio.gather), against
    # add_task_background x10,000 + run_tasks; and one await at a time on an idle loop against do_background.
    Scenario(
        "aio_many",
        "10,000 concurrent await do_background (aio) vs batches of 10,000",
        "batch",
        20_000,
        50_000,
        batch=10_000,
        contenders=(*AIO, "asyncio alone (no Gearman)"),  # the floor: coroutines and futures, no client
    ),
    Scenario(
        "aio_one", "one await do_background at a time (aio) vs do_background", "do", 2_000, 10_000, contenders=AIO
    ),
]
