"""Client.do_background_many: many jobs for one function in one call.

Checked through the ``gearman`` CLI worker (payloads, order) and gearadmin
(queue counts, uniques), against live, dead and silent servers.
"""

from __future__ import annotations

import signal
import threading

import pytest
from gearmand import Gearmand, SilentServer, free_port
from peers import gearadmin, priority_status, unique_jobs

import gearman_cffi._bulk as bulk
from gearman_cffi import Client, GearmanError, Priority
from gearman_cffi.errors import GearmanConnectionError, GearmanTimeoutError


def queued(server: Gearmand, fn: str) -> int:
    for line in gearadmin(server, "--status").decode().splitlines():
        fields = line.split("\t")
        if fields[0] == fn:
            return int(fields[1])
    return 0


@pytest.mark.parametrize("chunk", [7, bulk.CHUNK])
def test_payloads_arrive_byte_exact_in_input_order(gearmand: Gearmand, fn: str, chunk: int,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(bulk, "CHUNK", chunk)  # 7: thirty jobs cross four chunk boundaries
    payloads = [bytes([i]) * i + b"\0\n" for i in range(30)]
    with Client(gearmand.address, timeout=10) as client:
        handles = client.do_background_many(fn, payloads)
    assert len(set(handles)) == 30 and all(h.startswith("H:") for h in handles)
    assert gearmand.drain(fn, 30) == payloads  # one worker: the server's FIFO is the input order


def test_chunks_also_end_at_a_byte_budget(gearmand: Gearmand, fn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "CHUNK_BYTES", 100)  # 60-byte workloads: two a chunk; a 500-byte one alone
    payloads = [bytes([65 + i]) * 60 for i in range(9)] + [b"z" * 500, b"", b"last"]
    with Client(gearmand.address, timeout=10) as client:
        handles = client.do_background_many(fn, payloads)
    assert len(set(handles)) == len(payloads)
    assert gearmand.drain(fn, len(payloads)) == payloads


def test_thousands_of_jobs_each_created_once(gearmand: Gearmand, fn: str) -> None:
    with Client(gearmand.address, timeout=30) as client:
        handles = client.do_background_many(fn, (b"%d" % i for i in range(5000)))  # any iterable
        assert len(handles) == len(set(handles)) == 5000
        assert client.job_status(handles[-1]).is_known
    assert queued(gearmand, fn) == 5000


def test_every_workload_type_and_explicit_uniques(gearmand: Gearmand, fn: str) -> None:
    workloads = ["text é", bytearray(b"array"), memoryview(b"view"), b"", b"bytes"]
    uniques = ["u-1", b"u-2", "u-3", "u-4", "u-1"]  # the last joins the first job
    with Client(gearmand.address, timeout=10) as client:
        handles = client.do_background_many(fn, workloads, uniques=uniques)
    assert handles[4] == handles[0] and len(set(handles)) == 4
    assert sorted(unique_jobs(gearmand)) == [b"u-1", b"u-2", b"u-3", b"u-4"]
    assert sorted(gearmand.drain(fn, 4)) == sorted(["text é".encode(), b"array", b"view", b""])


def test_uniques_at_the_limits_arrive_whole(gearmand: Gearmand, fn: str) -> None:
    uniques = ["u" * 63, "é" * 31 + "x", "x", b"\xff\xfe raw bytes"[:10].decode("latin-1")]
    with Client(gearmand.address, timeout=10) as client:
        client.do_background_many(fn, [b"1", b"2", b"3", b"4"], uniques=uniques)
        client.do_background_many(fn, [b"5", b"6"], uniques=[b"\xffraw", b"y" * 63])
    expected = [u.encode() for u in uniques] + [b"\xffraw", b"y" * 63]
    assert sorted(unique_jobs(gearmand)) == sorted(expected)


def test_priorities(gearmand: Gearmand, fn: str) -> None:
    with Client(gearmand.address, timeout=10) as client:
        client.do_background_many(fn, [b"low"] * 2, priority=Priority.LOW)
        client.do_background_many(fn, [b"normal"] * 2)
        client.do_background_many(fn, [b"high"] * 2, priority=Priority.HIGH)
    assert priority_status(gearmand, fn) == (2, 2, 2)
    assert gearmand.drain(fn, 6) == [b"high"] * 2 + [b"normal"] * 2 + [b"low"] * 2


@pytest.mark.parametrize(
    ("workloads", "kwargs", "error"),
    [
        (b"one", {}, TypeError),
        ("one", {}, TypeError),
        (5, {}, TypeError),
        ([b"a", 5], {}, TypeError),
        ([b"a"], {"uniques": ["a", "b"]}, ValueError),
        ([b"a"], {"uniques": "a"}, TypeError),
        ([b"a"], {"uniques": 3}, TypeError),
        ([b"a"], {"uniques": ["a\0b"]}, ValueError),
        ([b"a"], {"uniques": ["u" * 64]}, ValueError),
        ([b"a", b"b"], {"uniques": ["a", "b\0c"]}, ValueError),  # cut up in C: one too many
        ([b"a", b"b"], {"uniques": ["a\0b", "c"]}, ValueError),
        ([b"a", b"b"], {"uniques": ["a", ""]}, ValueError),
        ([b"a", b"b"], {"uniques": [b"", b"a"]}, ValueError),
        ([b"a"], {"uniques": ["é" * 32]}, ValueError),  # 64 bytes in UTF-8
        ([b"a"], {"uniques": ["\ud800"]}, ValueError),
        ([b"a", b"b"], {"uniques": ["a", 5]}, TypeError),
        ([b"a"], {"priority": 7}, ValueError),
        ([b"a"], {"priority": "high"}, TypeError),
        ([b"a"], {"priority": True}, TypeError),
    ],
)
def test_bad_input_raises_before_anything_is_sent(
    gearmand_module: Gearmand, fn: str, workloads: object, kwargs: dict[str, object], error: type[Exception]
) -> None:
    with Client(gearmand_module.address, timeout=10) as client:
        with pytest.raises(error):
            client.do_background_many(fn, workloads, **kwargs)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            client.do_background_many("", [b"a"])
        assert client.do_background_many(fn, []) == []
        assert priority_status(gearmand_module, fn) == (0, 0, 0)
        assert len(client.do_background_many(fn, [b"still usable"])) == 1


def test_dead_server_raises_connection_error_with_no_handles() -> None:
    with Client(f"127.0.0.1:{free_port()}", timeout=5) as client:
        with pytest.raises(GearmanConnectionError) as raised:
            client.do_background_many("f", [b"a", b"b", b"c"])
    assert raised.value.handles == [None, None, None]


def test_fails_over_to_the_next_server(gearmand: Gearmand, fn: str) -> None:
    with Client([f"127.0.0.1:{free_port()}", gearmand.address], timeout=10) as client:
        handles = client.do_background_many(fn, [b"%d" % i for i in range(100)])
    assert len(set(handles)) == 100
    assert queued(gearmand, fn) == 100


def test_silent_server_times_out_and_the_client_stays_usable(silent_server: SilentServer,
                                                             gearmand: Gearmand, fn: str) -> None:  # fmt: skip
    with Client(silent_server.address, timeout=0.5) as client:
        with pytest.raises(GearmanTimeoutError) as raised:
            client.do_background_many(fn, [b"a", b"b"])
        assert raised.value.handles == [None, None]
        assert isinstance(raised.value, GearmanError)
        with pytest.raises(GearmanTimeoutError):  # again: a fresh C client, the same answer
            client.do_background_many(fn, [b"a"])


def test_ctrl_c_interrupts_a_wait_and_leaves_the_client_usable(gearmand: Gearmand, silent_server: SilentServer,
                                                               fn: str) -> None:  # fmt: skip
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals go to the main thread")
    with Client([silent_server.address], timeout=None) as client:
        previous = signal.signal(signal.SIGALRM, signal.default_int_handler)
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        try:
            with pytest.raises(KeyboardInterrupt) as raised:
                client.do_background_many(fn, [b"a"] * 10)
            assert raised.value.handles == [None] * 10  # type: ignore[attr-defined]
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    with Client(gearmand.address, timeout=10) as client:
        assert len(client.do_background_many(fn, [b"a"] * 10)) == 10


def test_spread_sends_each_unique_to_its_server(gearmand_factory: type[Gearmand], fn: str) -> None:
    servers = [gearmand_factory().start() for _ in range(2)]
    uniques = [f"k{i}" for i in range(200)]
    with Client([s.address for s in servers], spread=True, timeout=10) as client:
        handles = client.do_background_many(fn, [b"x"] * 200, uniques=uniques)
    assert len(handles) == 200 and all(h.startswith("H:") for h in handles)  # two servers may give equal handles
    counts = [queued(s, fn) for s in servers]
    assert sum(counts) == 200 and min(counts) >= 40
    with Client([s.address for s in reversed(servers)], spread=True, timeout=10) as other:
        assert other.do_background(fn, b"y", "k7") == handles[7]  # the same server: the job coalesces
    assert sum(queued(s, fn) for s in servers) == 200
