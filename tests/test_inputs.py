"""Bad input raises TypeError/ValueError before any C call and harms nothing.

"Before any C call" is checked on a closed client: every method would raise
ClientClosedError as soon as it reached the C client, so getting the
validation error instead proves the check came first.  On a live client the
server must see nothing, and the client must work afterwards.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
from gearmand import Gearmand

from gearman_cffi import Client, ClientClosedError

MAX_NAME = 511  # GEARMAN_FUNCTION_MAX_SIZE counts the terminating NUL

SUBMITS: dict[str, Callable[..., object]] = {
    name: getattr(Client, name)
    for name in ("do_background", "do_high_background", "do_low_background",
                 "add_task_background", "add_task_high_background", "add_task_low_background")
}  # fmt: skip

BAD_NAMES: list[tuple[object, type[Exception]]] = [
    (None, TypeError), (1, TypeError), (1.5, TypeError), (bytearray(b"f"), TypeError),
    (memoryview(b"f"), TypeError), (["f"], TypeError), (object(), TypeError),
    ("", ValueError), (b"", ValueError), ("a\0b", ValueError), (b"\0", ValueError),
    ("x" * (MAX_NAME + 1), ValueError), (b"x" * 4096, ValueError), ("\u00e9" * 256, ValueError),
    ("\ud800", ValueError),
]  # fmt: skip
BAD_UNIQUES: list[tuple[object, type[Exception]]] = [
    (1, TypeError), (bytearray(b"u"), TypeError), (memoryview(b"u"), TypeError), (("u",), TypeError),
    ("", ValueError), (b"", ValueError), ("u\0", ValueError), (b"\0u", ValueError),
    ("u" * 64, ValueError), ("u" * 1000, ValueError), ("\udc80", ValueError),
]  # fmt: skip
BAD_WORKLOADS: list[tuple[object, type[Exception]]] = [
    (None, TypeError), (1, TypeError), (1.5, TypeError), (["a"], TypeError), ({"a": 1}, TypeError),
    (object(), TypeError), (iter(b"ab"), TypeError),
    (memoryview(bytes(range(10)))[::2], ValueError), ("\ud800", ValueError),
]  # fmt: skip
BAD_HANDLES: list[tuple[object, type[Exception]]] = [
    (None, TypeError), (1, TypeError), (bytearray(b"H:x:1"), TypeError),
    ("", ValueError), ("H:\0", ValueError), ("H" * 64, ValueError), ("\ud800", ValueError),
]  # fmt: skip
BAD_SERVERS: list[tuple[object, type[Exception]]] = [
    (4730, TypeError), (None, TypeError), (b"localhost:4730", TypeError), (bytearray(b"h"), TypeError),
    ([4730], TypeError), ([("h",)], TypeError), ([("h", "4730")], TypeError), ([("h", 4730.0)], TypeError),
    ([("h", True)], TypeError), ([(1, 4730)], TypeError), ([b"h:1"], TypeError), ([["h", 1]], TypeError),
    ("", ValueError), (",", ValueError), ("h:1,,h:2", ValueError), ([], ValueError), ("h:0", ValueError),
    ("h:65536", ValueError), ("h:-1", ValueError), ("h:x", ValueError), ("h:", ValueError),
    ("[::1", ValueError), ("[::1]x", ValueError), ("[::1]:", ValueError), ("h\0:1", ValueError),
    ([("h", 0)], ValueError), ([("", 1)], ValueError), ([("h\0", 1)], ValueError), ("\ud800:1", ValueError),
]  # fmt: skip
BAD_TIMEOUTS: list[tuple[object, type[Exception]]] = [
    ("1", TypeError), (True, TypeError), (False, TypeError), ([1], TypeError), (1j, TypeError),
    (0, ValueError), (0.0, ValueError), (-1, ValueError), (-0.5, ValueError), (float("nan"), ValueError),
    (float("-inf"), ValueError), (2**31, ValueError), (10**400, ValueError),
]  # fmt: skip


def _ids(cases: list[tuple[object, type[Exception]]]) -> list[str]:
    return [f"{type(v).__name__}-{repr(v)[:20]}" for v, _ in cases]


def _raises(exc: type[Exception], call: Callable[..., object], *args: object) -> None:
    with pytest.raises(exc) as info:
        call(*args)
    assert not isinstance(info.value, ClientClosedError), info.value


@pytest.fixture
def closed(gearmand_module: Gearmand) -> Client:
    client = Client(gearmand_module.address, timeout=10)
    client.close()
    return client


def _still_usable(client: Client, server: Gearmand, fn: str) -> None:
    assert client.pending_tasks == []
    client.do_background(fn, b"after bad input")
    assert server.queued(fn) == 1


@pytest.mark.parametrize(("bad", "exc"), BAD_NAMES, ids=_ids(BAD_NAMES))
def test_bad_function_name(client: Client, closed: Client, gearmand_module: Gearmand, fn: str, bad: object,
                           exc: type[Exception]) -> None:  # fmt: skip
    for submit in SUBMITS.values():
        _raises(exc, submit, closed, bad, b"x", None)
        _raises(exc, submit, client, bad, b"x", None)
    _still_usable(client, gearmand_module, fn)


@pytest.mark.parametrize(("bad", "exc"), BAD_UNIQUES, ids=_ids(BAD_UNIQUES))
def test_bad_unique(client: Client, closed: Client, gearmand_module: Gearmand, fn: str, bad: object,
                    exc: type[Exception]) -> None:  # fmt: skip
    for submit in SUBMITS.values():
        _raises(exc, submit, closed, fn, b"x", bad)
        _raises(exc, submit, client, fn, b"x", bad)
    _still_usable(client, gearmand_module, fn)


@pytest.mark.parametrize(("bad", "exc"), BAD_WORKLOADS, ids=_ids(BAD_WORKLOADS))
def test_bad_workload(client: Client, closed: Client, gearmand_module: Gearmand, fn: str, bad: object,
                      exc: type[Exception]) -> None:  # fmt: skip
    for submit in SUBMITS.values():
        _raises(exc, submit, closed, fn, bad, None)
        _raises(exc, submit, client, fn, bad, None)
    for target in (closed, client):
        _raises(exc, target.echo, bad)
    _still_usable(client, gearmand_module, fn)


def test_empty_echo_is_refused(client: Client, closed: Client) -> None:
    for empty in (b"", "", bytearray(), memoryview(b"")):
        _raises(ValueError, client.echo, empty)
        _raises(ValueError, closed.echo, empty)
    client.echo(b"ok")


@pytest.mark.parametrize(("bad", "exc"), BAD_HANDLES, ids=_ids(BAD_HANDLES))
def test_bad_job_handle(client: Client, closed: Client, gearmand_module: Gearmand, fn: str, bad: object,
                        exc: type[Exception]) -> None:  # fmt: skip
    _raises(exc, closed.job_status, bad)
    _raises(exc, client.job_status, bad)
    _still_usable(client, gearmand_module, fn)


@pytest.mark.parametrize(("bad", "exc"), BAD_SERVERS, ids=_ids(BAD_SERVERS))
def test_bad_servers(bad: object, exc: type[Exception]) -> None:
    _raises(exc, Client, bad)


@pytest.mark.parametrize(("bad", "exc"), BAD_TIMEOUTS, ids=_ids(BAD_TIMEOUTS))
def test_bad_timeout(client: Client, closed: Client, gearmand_module: Gearmand, fn: str, bad: object,
                     exc: type[Exception]) -> None:  # fmt: skip
    _raises(exc, lambda: Client(gearmand_module.address, timeout=bad))  # type: ignore[arg-type]
    before = client.timeout
    _raises(exc, setattr, client, "timeout", bad)
    _raises(exc, setattr, closed, "timeout", bad)
    assert client.timeout == before
    _still_usable(client, gearmand_module, fn)


def test_limits_themselves_are_accepted(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    longest = (fn + "_" + "n" * MAX_NAME)[:MAX_NAME]
    client.do_background(longest, b"x", "u" * 63)
    task = client.add_task_background(longest.encode(), "", b"v" * 63, context=object())
    assert (task.function_name, task.unique) == (longest, "v" * 63)
    client.run_tasks()
    assert gearmand_module.queued(longest) == 2  # gearadmin shows the whole name


def test_any_context_is_accepted(client: Client, fn: str) -> None:
    for context in (None, 0, "s", object(), client, lambda: None):
        assert client.add_task_background(fn, b"x", context=context).context is context
    client.run_tasks()


def test_keyword_arguments(client: Client, gearmand_module: Gearmand, fn: str) -> None:
    client.do_background(function_name=fn, workload=b"kw", unique=f"kw-{fn}")
    task = client.add_task_low_background(function_name=fn, workload="kw2", unique=None, context=1)
    client.run_tasks()
    assert task.job_handle and gearmand_module.queued(fn) == 2


STR_THEN_BYTES = """
import sys
from gearman_cffi import Client
address, fn = sys.argv[1:]
with Client(address, timeout=10) as client:
    for name in (fn, fn.encode(), fn, fn.encode()):
        client.do_background(name, b"x")
        client.add_task_background(name, b"y")
    client.run_tasks()
print("ok")
"""


def test_str_and_bytes_names_under_python_bb(gearmand_module: Gearmand, fn: str) -> None:
    """The function-name cache once mixed "f" and b"f" keys: their equal hashes
    made dict lookups compare str with bytes (BytesWarning, an error under -bb)."""
    done = subprocess.run([sys.executable, "-bb", "-c", STR_THEN_BYTES, gearmand_module.address, fn],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0 and done.stdout == "ok\n", done.stderr
    assert gearmand_module.queued(fn) == 8
