"""Hostile input through both APIs: every value either reaches the ``gearman``
CLI worker byte for byte, or is refused with TypeError / ValueError /
GearmanError, and the client keeps working either way."""

from __future__ import annotations

import array
import collections
import os
from dataclasses import dataclass, field
from typing import Any

import pytest
from gearmand import Gearmand
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gearman_cffi
from gearman_cffi import Client

EXAMPLES = int(os.environ.get("GEARMAN_CFFI_HYPOTHESIS_EXAMPLES", "250"))
MAX_NAME, MAX_UNIQUE = 511, 63  # libgearman's limits, less the terminating NUL

#: Every character, surrogates included.
any_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=())
wrong_types = st.one_of(
    st.none(), st.integers(), st.floats(), st.booleans(), st.lists(st.integers(), max_size=3),
    st.just(object()), st.just(bytearray(b"abc")), st.just(memoryview(b"abc")),
)  # fmt: skip


def huge_text(limit: int) -> st.SearchStrategy[Any]:
    """Text or bytes just over (or at) a byte limit, multi-byte characters included."""
    return st.one_of(
        st.integers(limit - 2, limit + 2).map(lambda n: "n" * n),
        st.integers(limit // 2 - 2, limit // 2 + 2).map(lambda n: "é" * n),
        st.integers(limit - 2, limit + 2).map(lambda n: b"b" * n),
    )


# Text names start with "f": the CLI worker would read a leading "-" as an option.
good_names = st.one_of(
    st.sampled_from(["plain", "with space", "tab\there", "ünïcødé", "日本語", "emoji😀", b"\xff\xfe raw"]),
    st.text(any_char, min_size=0, max_size=40).map(lambda s: "f" + s),  # surrogates are refused
    st.binary(max_size=40).map(lambda b: b"f" + b.replace(b"\0", b"")),
    huge_text(MAX_NAME),
)
bad_names = st.one_of(st.sampled_from(["", b"", "f\0nul", b"f\0", "f\ud800", "f\udfff"]), wrong_types)
good_uniques = st.one_of(
    st.none(),
    st.text(any_char, min_size=1, max_size=20),
    st.binary(min_size=1, max_size=20),
    huge_text(MAX_UNIQUE),
)
bad_uniques = st.one_of(st.sampled_from(["", "u\0x", b"\0", "\ud83d"]), wrong_types.filter(lambda v: v is not None))


@st.composite
def memoryviews(draw: st.DrawFn) -> memoryview:
    data = draw(st.binary(max_size=64))
    kind = draw(st.sampled_from(["plain", "strided", "reversed", "2d", "ints", "readonly-slice"]))
    view = memoryview(bytearray(data))
    if kind == "strided":
        return view[::2]
    if kind == "reversed":
        return view[::-1]
    if kind == "2d" and len(data) % 2 == 0 and data:
        return view.cast("B", (2, len(data) // 2))
    if kind == "ints":
        return memoryview(array.array("i", range(len(data) % 9)))
    if kind == "readonly-slice":
        return memoryview(data)[1:]
    return view


good_workloads = st.one_of(
    st.binary(max_size=200),
    st.binary(max_size=200).map(bytearray),
    memoryviews(),  # strided ones are refused
    st.text(any_char, max_size=50),  # so are surrogates
    # Huge: 64 KiB-1 MiB (gearmand 1.1.20 itself takes seconds per job beyond that).
    st.integers(0, 2).map(lambda k: os.urandom(16) * (1 << (12 + 3 * k)) if k else b"\0" * (1 << 20)),
    st.sampled_from([b"", "", b"\0", b"a\0b\0", "\0", bytearray()]),
)
bad_workloads = wrong_types.filter(lambda v: not isinstance(v, (bytearray, memoryview)))


@st.composite
def inputs(draw: st.DrawFn) -> tuple[Any, Any, Any]:
    """(name, workload, unique), at most one of them from the refused kinds, so
    that about half the examples are accepted and checked at the worker."""
    bad = draw(st.sampled_from(["none", "none", "name", "workload", "unique"]))
    return (
        draw(bad_names if bad == "name" else good_names),
        draw(bad_workloads if bad == "workload" else good_workloads),
        draw(bad_uniques if bad == "unique" else good_uniques),
    )


def as_bytes(value: Any) -> bytes | None:
    """What an accepted str/bytes value must look like on the wire (None: refuse)."""
    if isinstance(value, str):
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError:
            return None
    return value if isinstance(value, bytes) else None


def valid_text(value: Any, limit: int) -> bool:
    data = as_bytes(value)
    return data is not None and 0 < len(data) <= limit and b"\0" not in data


def workload_bytes(value: Any) -> bytes | None:
    if isinstance(value, str):
        return as_bytes(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, memoryview):
        return value.tobytes() if value.contiguous else None
    return None


@dataclass
class Ledger:
    """What the server must hand the CLI worker, per function name."""

    expected: dict[bytes, list[bytes]] = field(default_factory=lambda: collections.defaultdict(list))
    by_unique: dict[tuple[bytes, bytes, bytes], str] = field(default_factory=dict)
    tried: int = 0
    accepted: int = 0
    refused: collections.Counter[str] = field(default_factory=collections.Counter)


def submit(client: Client, api: str, name: Any, workload: Any, unique: Any) -> str:
    if api == "do_background":
        return client.do_background(name, workload, unique)
    task = client.add_task_background(name, workload, unique)
    client.run_tasks()
    assert task.job_handle is not None
    return task.job_handle


def check_example(client: Client, ledger: Ledger, api: str, name: Any, workload: Any, unique: Any) -> None:
    ledger.tried += 1
    should_work = (
        valid_text(name, MAX_NAME)
        and (unique is None or valid_text(unique, MAX_UNIQUE))
        and workload_bytes(workload) is not None
    )
    try:
        handle = submit(client, api, name, workload, unique)
    except (TypeError, ValueError, gearman_cffi.GearmanError) as error:
        assert not should_work, f"refused a valid input: {error!r}"
        assert not isinstance(error, gearman_cffi.GearmanError) or not isinstance(
            error, (ConnectionError, TimeoutError)
        ), error
        ledger.refused[type(error).__name__] += 1
    else:
        assert should_work, "accepted an input the rules refuse"
        ledger.accepted += 1
        name_b, data = as_bytes(name), workload_bytes(workload)
        assert name_b is not None and data is not None
        if unique is not None:
            unique_b = as_bytes(unique) or b""
            # gearmand coalesces a queued unique; the unique "-" means "coalesce on the workload"
            key = (name_b, unique_b, data if unique_b == b"-" else b"")
            if key in ledger.by_unique:
                assert handle == ledger.by_unique[key]
                return
            ledger.by_unique[key] = handle
        ledger.expected[name_b].append(data)
    assert client.pending_tasks == []
    client.echo(b"still alive")  # the client works after every input


@pytest.mark.slow
@pytest.mark.parametrize("api", ["do_background", "run_tasks"])
def test_hostile_inputs(gearmand: Gearmand, api: str) -> None:
    ledger = Ledger()
    with Client(gearmand.address, timeout=30) as client:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(inputs())
        def run(example: tuple[Any, Any, Any]) -> None:
            check_example(client, ledger, api, *example)

        run()
        # After everything, one ordinary job still goes through.
        ledger.expected[b"plain"].append(b"last")
        submit(client, api, "plain", b"last", None)
    for name, payloads in ledger.expected.items():
        function = name.decode("utf-8", "surrogateescape")  # argv bytes as they are
        assert collections.Counter(gearmand.drain(function, len(payloads))) == collections.Counter(payloads), name
    print(f"{api}: {ledger.tried} inputs, {ledger.accepted} delivered byte-exact, refused {dict(ledger.refused)}")
    assert ledger.accepted and ledger.refused  # the strategies reach both sides
