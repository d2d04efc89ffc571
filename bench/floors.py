"""What CPython and cffi cost before libgearman does anything: the floor under
gearman_cffi's per-job instruction counts (docs/instructions.md).

    python bench/floors.py

Each shape is the skeleton of one of the binding's paths with the libgearman
work taken out, counted by callgrind like bench/instructions.py (runs of N and
2N calls, so start-up cancels):

- ``call``: do_background's shape: a method that calls another object's method,
  which takes a lock, makes one 7-argument C call that does nothing, and
  returns the job handle decoded from a C string;
- ``task``: add_task_background's shape with an explicit unique: a method that
  makes a cffi struct, a 9-field ``__slots__`` Task and queues both under a lock
  (plus the f-string the benchmark builds the unique with).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path


def call_shape(n: int) -> None:
    from gearman_cffi._libgearman import ffi, lib

    slot = ffi.new("gearman_cffi_slot *")
    slot.job_handle = b"H:vm:123456"
    handle, sizes, name_c, null = slot.job_handle, ffi.new("size_t[]", 1), ffi.from_buffer(b"bench"), ffi.NULL

    class Core:
        def __init__(self) -> None:
            self.lock = threading.Lock()

        def background(self, client: object, priority: int, name: object, workload: bytes, unique: object) -> str:
            self.lock.acquire()
            lib.gearman_cffi_bulk_fill(slot, 0, 0, priority, name_c, workload, sizes, null, sizes)  # does nothing
            self.lock.release()
            return ffi.string(handle).decode()  # type: ignore[no-any-return]

    class Client:
        def __init__(self) -> None:
            self._core = Core()

        def do_background(self, name: str, workload: bytes, unique: object = None) -> str:
            return self._core.background(self, 1, name, workload, unique)

    do, payload = Client().do_background, b"x" * 30
    for _ in range(n):
        do("bench", payload)


def task_shape(n: int) -> None:
    from gearman_cffi._libgearman import ffi

    slot_type, null, name_c = ffi.typeof("gearman_cffi_slot *"), ffi.NULL, ffi.from_buffer(b"bench")

    class Task:
        __slots__ = ("__weakref__", "_c_context", "_callbacks", "_client", "_core", "_dropped", "_name", "_priority",
                     "_slot", "context")  # fmt: skip

        def __init__(self, client: object, slot: object, context: object) -> None:
            self._client = self._core = client
            self._slot, self._name, self._priority, self._dropped = slot, b"bench", 1, False
            self._callbacks = self._c_context = None
            self.context = context

    class Client:
        def __init__(self) -> None:
            self.pending: list[Task] = []
            self.keep: list[tuple[object, ...]] = []
            self.lock = threading.Lock()

        def add_task_background(self, name: str, workload: bytes, unique: str, context: object = None) -> Task:
            slot = ffi.new(slot_type, [null, name_c, ffi.from_buffer(workload), len(workload), 1])
            slot.unique = unique.encode()
            task = Task(self, slot, context)
            self.lock.acquire()
            self.pending.append(task)
            self.keep.append((slot, name_c, workload))
            self.lock.release()
            return task

    client = Client()
    add, payload = client.add_task_background, b"x" * 30
    for start in range(0, n, 1000):
        for i in range(start, start + 1000):
            add("bench", payload, f"py-0-{i}")
        client.pending.clear()
        client.keep.clear()


def count(shape: str, n: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, __file__,
                        shape, str(n)], check=True, capture_output=True, timeout=600)  # fmt: skip
        match = re.search(r"^summary:\s+(\d+)", out.read_text(errors="replace"), re.MULTILINE)
        assert match, f"no summary in {out}"
        return int(match.group(1))


def main() -> None:
    if len(sys.argv) == 3:  # one run, under callgrind
        {"call": call_shape, "task": task_shape}[sys.argv[1]](int(sys.argv[2]))
        return
    for shape, n in (("call", 20_000), ("task", 20_000)):
        print(f"{shape}: {(count(shape, 2 * n) - count(shape, n)) / n:,.0f} instructions per call")


if __name__ == "__main__":
    main()
