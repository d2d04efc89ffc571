"""Priority: one worker drains a queue and takes high before normal before low."""

from __future__ import annotations

from gearmand import Gearmand
from peers import priority_status

from gearman_cffi import Client, Priority

ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH] * 3  # submitted worst-first


def test_do_background_priorities_execute_high_normal_low(gearmand: Gearmand, fn: str) -> None:
    submit = {Priority.HIGH: Client.do_high_background, Priority.NORMAL: Client.do_background,
              Priority.LOW: Client.do_low_background}  # fmt: skip
    with Client(gearmand.address, timeout=10) as client:
        for i, priority in enumerate(ORDER):
            submit[priority](client, fn, f"{priority.name} {i}")
    assert priority_status(gearmand, fn) == (3, 3, 3)
    received = gearmand.drain(fn, len(ORDER))
    expected = [f"{p.name} {i}".encode() for p in Priority for i, q in enumerate(ORDER) if q is p]
    assert received == expected  # by priority, then in submission order


def test_add_task_priorities_execute_high_normal_low(gearmand: Gearmand, fn: str) -> None:
    add = {Priority.HIGH: Client.add_task_high_background, Priority.NORMAL: Client.add_task_background,
           Priority.LOW: Client.add_task_low_background}  # fmt: skip
    with Client(gearmand.address, timeout=10) as client:
        tasks = [add[priority](client, fn, f"{priority.name} {i}") for i, priority in enumerate(ORDER)]
        client.run_tasks()
    assert [t.priority for t in tasks] == ORDER
    assert priority_status(gearmand, fn) == (3, 3, 3)
    received = [w.decode().split()[0] for w in gearmand.drain(fn, len(ORDER))]
    # libgearman sends one batch in no promised order, so only the grouping is checked.
    assert received == ["HIGH"] * 3 + ["NORMAL"] * 3 + ["LOW"] * 3


def test_batches_sent_one_by_one_keep_fifo_within_a_priority(gearmand: Gearmand, fn: str) -> None:
    with Client(gearmand.address, timeout=10) as client:
        for i in range(4):
            client.add_task_low_background(fn, f"low {i}")
            client.run_tasks()
        client.add_task_high_background(fn, "high")
        client.run_tasks()
    assert gearmand.drain(fn, 5) == [b"high", b"low 0", b"low 1", b"low 2", b"low 3"]
