"""Client instructions per job, counted by valgrind's callgrind: a figure that
the load on a shared machine cannot move (unlike jobs/s and CPU time).

    python bench/instructions.py          # after ./ci/bench.sh built bench/c/

Each contender runs twice under callgrind against a fresh gearmand, with N and
2N jobs; (instructions(2N) - instructions(N)) / N removes start-up (for Python:
the interpreter and imports).  Counts are user-space instructions of the client
process only (the kernel's socket work and gearmand are not counted).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from gearmand import Gearmand
from run import CONTENDER_CMD

CASES = [  # (title, mode, unique, jobs N)
    ("do_background, 30 B", "do", "auto", 500),
    ("add_task_background x1000 + run_tasks, 30 B", "batch", "auto", 2000),
    ("add_task_background x1000 + run_tasks, explicit unique", "batch", "explicit", 2000),
]
CONTENDERS = ("raw C", "gearman_cffi", "PHP gearman", "pygearman")


def instructions(contender: str, mode: str, unique: str, jobs: int) -> int:
    server = Gearmand().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "callgrind.out"
            args = [server.host, str(server.port), mode, str(jobs), "30", "normal", unique, "1", "1000"]
            valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--trace-children=no"]
            subprocess.run([*valgrind, *CONTENDER_CMD[contender], *args], check=True, capture_output=True, timeout=900)
            match = re.search(r"^summary:\s+(\d+)", out.read_text(errors="replace"), re.MULTILINE)
            assert match, f"no summary in {out}"
            return int(match.group(1))
    finally:
        server.stop()


def main() -> None:
    print("| scenario | client | instructions / job | x raw C |")
    print("|---|---|---:|---:|")
    for title, mode, unique, jobs in CASES:
        per_job = {}
        for contender in CONTENDERS:
            per_job[contender] = (instructions(contender, mode, unique, 2 * jobs) -
                                  instructions(contender, mode, unique, jobs)) / jobs  # fmt: skip
        for contender, count in per_job.items():
            print(f"| {title} | {contender} | {count:,.0f} | {count / per_job['raw C']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
