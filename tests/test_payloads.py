"""Byte-exact workloads, as the ``gearman`` CLI worker receives them."""

from __future__ import annotations

import array
import gc
from collections.abc import Callable

import pytest
from gearmand import Gearmand

from gearman_cffi import Client

#: 4 MiB: gearmand 1.1.20 and the CLI worker take far more (32 MiB was checked by
#: hand; 16 MiB is the slow test below).  Submitting used to cost about 0.5 s per
#: MiB (libgearman pins its send buffer to 32 KiB; raw C and the gearman CLI still
#: do); gearman_cffi lifts that pin, see test_sockets.py.
BIG = 4 * 1024 * 1024

ALL_BYTES = bytes(range(256))
INTS = array.array("i", [1, -1, 0x01020304])
PAYLOADS: dict[str, tuple[object, bytes]] = {
    "all-256-bytes": (ALL_BYTES, ALL_BYTES),
    "all-256-bytes-reversed": (ALL_BYTES[::-1], ALL_BYTES[::-1]),
    "nuls": (b"\0\0a\0\0", b"\0\0a\0\0"),
    "only-nul": (b"\0", b"\0"),
    "newlines": (b"\n\r\n\n", b"\n\r\n\n"),
    "str-utf8": ("h\u00e9llo \u20ac \U0001f600 \0 end", "h\u00e9llo \u20ac \U0001f600 \0 end".encode()),
    "bytearray": (bytearray(ALL_BYTES), ALL_BYTES),
    "memoryview": (memoryview(ALL_BYTES), ALL_BYTES),
    "memoryview-slice": (memoryview(ALL_BYTES)[10:20], ALL_BYTES[10:20]),
    "memoryview-2d": (memoryview(ALL_BYTES).cast("B", (16, 16)), ALL_BYTES),
    "memoryview-int32": (memoryview(INTS), INTS.tobytes()),
    "array-buffer": (array.array("H", [0, 65535, 258]), array.array("H", [0, 65535, 258]).tobytes()),
    "empty-bytes": (b"", b""),
    "empty-str": ("", b""),
    "empty-bytearray": (bytearray(), b""),
}  # fmt: skip


def _submit_do(client: Client, fn: str, workload: object) -> None:
    client.do_background(fn, workload)  # type: ignore[arg-type]


def _submit_task(client: Client, fn: str, workload: object) -> None:
    client.add_task_background(fn, workload)  # type: ignore[arg-type]
    client.run_tasks()


SUBMIT: dict[str, Callable[[Client, str, object], None]] = {"do": _submit_do, "task": _submit_task}


@pytest.mark.parametrize("api", list(SUBMIT))
@pytest.mark.parametrize("name", list(PAYLOADS))
def test_payload_arrives_byte_exact(client: Client, gearmand_module: Gearmand, fn: str, name: str, api: str) -> None:
    workload, expected = PAYLOADS[name]
    SUBMIT[api](client, fn, workload)
    assert gearmand_module.drain(fn, 1) == [expected]


@pytest.mark.parametrize("api", list(SUBMIT))
def test_multi_mib_payload(client: Client, gearmand_module: Gearmand, fn: str, api: str) -> None:
    payload = (ALL_BYTES * (BIG // 256 + 1))[:BIG - 3] + b"end"  # fmt: skip
    client.timeout = 60
    SUBMIT[api](client, fn, payload)
    assert gearmand_module.drain(fn, 1) == [payload]


@pytest.mark.slow
def test_sixteen_mib_payload(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    payload = ALL_BYTES[::-1] * (16 * 1024 * 1024 // 256)
    client.timeout = 120
    client.do_background(fn, payload)
    assert gearmand_module.drain(fn, 1, timeout=120) == [payload]


def test_many_payloads_keep_their_order(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    payloads = [bytes([i]) * i for i in range(1, 40)]
    for payload in payloads:
        client.do_background(fn, payload)
    assert gearmand_module.drain(fn, len(payloads)) == payloads


def test_non_contiguous_memoryview_is_refused(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    strided = memoryview(ALL_BYTES)[::2]
    with pytest.raises(ValueError, match="contiguous"):
        client.do_background(fn, strided)
    with pytest.raises(ValueError, match="contiguous"):
        client.add_task_background(fn, strided)
    assert client.pending_tasks == []
    client.do_background(fn, strided.tobytes())
    assert gearmand_module.drain(fn, 1) == [ALL_BYTES[::2]]


def test_pending_bytearray_is_pinned_until_sent(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    data = bytearray(b"abc")
    client.add_task_background(fn, data)
    with pytest.raises(BufferError):
        data.extend(b"more")  # libgearman may still point into it
    client.run_tasks()
    data.extend(b"more")  # released once the job exists
    assert gearmand_module.drain(fn, 1) == [b"abc"]


def test_workload_kept_alive_by_the_task(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    client.add_task_background(fn, bytes(ALL_BYTES) * 4)  # no other reference to the buffer
    client.add_task_background(fn, "text " * 100)
    gc.collect()
    client.run_tasks()
    assert sorted(gearmand_module.drain(fn, 2)) == sorted([ALL_BYTES * 4, b"text " * 100])
