"""A long-lived client stays flat: finished C tasks are freed by the binding.

Without that (libgearman keeps every finished task on the client's list unless
GEARMAN_CLIENT_FREE_TASKS is set, which frees them behind the caller's back),
each task costs about 2.7 KiB, so 80,000 tasks grow the process by ~200 MiB.
"""

from __future__ import annotations

import os

import pytest
from gearmand import Gearmand

from gearman_cffi import Client

BATCHES = 10
BATCH = 10_000
#: Generous: allocator noise is a few MiB; a leak of the finished tasks is ~200 MiB.
MAX_GROWTH = 24 * 1024 * 1024


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_memory_flat_over_100k_tasks(gearmand: Gearmand, fn: str) -> None:
    samples = []
    with Client(gearmand.address, timeout=60) as client:
        for _ in range(BATCHES):
            for i in range(BATCH):
                client.add_task_background(fn, b"x", context=i)
            client.run_tasks()
            assert client.pending_tasks == []
            samples.append(rss_bytes())
    growth = samples[-1] - samples[1]  # from the 2nd batch on, once allocators warmed up
    assert growth < MAX_GROWTH, [s // 1024 for s in samples]
    assert gearmand.queued(fn) == BATCHES * BATCH
