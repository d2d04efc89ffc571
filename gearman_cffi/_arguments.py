"""Python values to C arguments, validated before any C call.

Each converter raises ``TypeError`` for the wrong type and ``ValueError`` for a
value libgearman would reject, truncate or misread, so bad input never reaches C.
"""

from __future__ import annotations

import array
import math
from collections.abc import Iterable
from typing import Any, Union

from ._libgearman import ffi, lib

Text = Union[str, bytes]
Workload = Union[bytes, bytearray, memoryview, str]
Servers = Union[str, Iterable[Union[str, "tuple[str, int]"]]]

#: The longest function name libgearman sends whole (GEARMAN_FUNCTION_MAX_SIZE
#: counts the terminating NUL).
MAX_FUNCTION_NAME = lib.GEARMAN_FUNCTION_MAX_SIZE - 1
#: libgearman silently cuts a unique of GEARMAN_MAX_UNIQUE_SIZE bytes to one
#: byte less, so that length is refused rather than truncated.
MAX_UNIQUE = lib.GEARMAN_MAX_UNIQUE_SIZE - 1
MAX_JOB_HANDLE = lib.GEARMAN_JOB_HANDLE_SIZE - 1
MAX_TIMEOUT_MS = 2**31 - 1


def text(value: object, what: str, max_bytes: int) -> bytes:
    """A NUL-free, non-empty C string of at most ``max_bytes`` bytes."""
    if isinstance(value, str):
        data = value.encode("utf-8")  # surrogates raise UnicodeEncodeError, a ValueError
    elif isinstance(value, bytes):
        data = value
    else:
        raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}")
    if not data:
        raise ValueError(f"{what} must not be empty")
    if b"\0" in data:
        raise ValueError(f"{what} must not contain NUL bytes")
    if len(data) > max_bytes:
        raise ValueError(f"{what} is {len(data)} bytes; libgearman takes at most {max_bytes}")
    return data


def function_name(value: object) -> bytes:
    return text(value, "function_name", MAX_FUNCTION_NAME)


def unique(value: object) -> Any:
    """The unique as a C string, or NULL to let libgearman assign one."""
    return ffi.NULL if value is None else text(value, "unique", MAX_UNIQUE)


def job_handle(value: object) -> bytes:
    return text(value, "job_handle", MAX_JOB_HANDLE)


def workload(value: object) -> tuple[Any, int]:
    """A pointer into the caller's buffer (no copy) and its size in bytes
    (NULL for an empty workload).

    The returned cdata keeps the buffer alive and, for a bytearray, pinned
    (resizing it raises BufferError) until the cdata is dropped.
    """
    if isinstance(value, str):
        value = value.encode("utf-8")
    elif not isinstance(value, (bytes, bytearray, memoryview)):
        try:
            value = memoryview(value)  # type: ignore[arg-type]
        except TypeError:
            raise TypeError(
                f"workload must be bytes, bytearray, memoryview, a buffer or str, not {type(value).__name__}"
            ) from None
    if isinstance(value, memoryview):
        if not value.contiguous:
            raise ValueError("workload must be a contiguous buffer")
        if value.ndim != 1 or value.itemsize != 1:
            value = value.cast("B")
        size = value.nbytes
    else:
        size = len(value)
    # libgearman refuses a non-NULL pointer with size 0 ("invalid workload").
    return (ffi.from_buffer(value) if size else ffi.NULL), size


#: Validated function names (the bytes and a C pointer to them), one cache per
#: type so "f" and b"f" are never compared (BytesWarning under -b).
NAMES: dict[type, dict[Any, tuple[bytes, Any]]] = {str: {}, bytes: {}}


def cached_name(value: object) -> tuple[bytes, Any]:
    cache = NAMES.get(type(value))  # exact types only: a subclass may compare equal
    if cache is not None:
        name = cache.get(value)
        if name is None:
            data = function_name(value)
            name = data, ffi.from_buffer(data)
            if len(cache) >= 1024:
                cache.clear()
            cache[value] = name
        return name
    data = function_name(value)
    return data, ffi.from_buffer(data)


def quick_workload(value: object) -> tuple[Any, int]:
    """``workload``, with bytes passed as they are (cffi hands C their buffer
    for the call; the core takes a lasting pointer if the task outlives it)."""
    if type(value) is bytes and value:
        return value, len(value)
    return workload(value)


_SIZE_T = next(code for code in "LQI" if array.array(code).itemsize == ffi.sizeof("size_t"))


def workloads(values: object) -> tuple[Any, Any, int]:
    """Many workloads as one buffer, their sizes (a C ``size_t`` array) and
    their count; exact ``bytes`` items cost no Python call each."""
    if isinstance(values, (str, bytes, bytearray, memoryview)):
        raise TypeError(f"workloads must be an iterable of workloads, not one {type(values).__name__}")
    try:
        items = values if type(values) is list else list(values)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(f"workloads must be an iterable of workloads, not {type(values).__name__}") from None
    if set(map(type, items)) - {bytes}:
        items = [item if type(item) is bytes else _copy(item) for item in items]
    sizes = array.array(_SIZE_T, map(len, items))
    return ffi.from_buffer(b"".join(items)), ffi.from_buffer("size_t[]", sizes), len(items)


def _copy(value: object) -> bytes:
    pointer, size = workload(value)
    return ffi.buffer(pointer, size)[:] if size else b""


def uniques(values: object, count: int) -> Any:
    """``count`` uniques as 64-byte NUL-padded records in one C buffer.  All
    ``str`` or all ``bytes`` are joined and cut up in C (no Python call per
    unique); a bad one is then found, and named, the slow way."""
    if isinstance(values, (str, bytes)):
        raise TypeError("uniques must be an iterable of str or bytes, one per workload, not a single one")
    try:
        items = values if type(values) is list else list(values)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(f"uniques must be an iterable, not {type(values).__name__}") from None
    if len(items) != count:
        raise ValueError(f"uniques has {len(items)} items for {count} workloads")
    records = ffi.new("char[]", lib.GEARMAN_MAX_UNIQUE_SIZE * count)
    kinds = set(map(type, items))
    if kinds == {str} or kinds == {bytes}:
        try:
            joined = "\0".join(items).encode("utf-8") if kinds == {str} else b"\0".join(items)
        except UnicodeEncodeError:
            joined = b""  # a lone surrogate: named below
        if joined and lib.gearman_cffi_bulk_uniques(joined, len(joined), count, MAX_UNIQUE, records) == count:
            return records
    record = lib.GEARMAN_MAX_UNIQUE_SIZE
    for i, value in enumerate(items):  # the slow way: checks each, raises for the first bad one
        data = text(value, "unique", MAX_UNIQUE)  # (each record whole: C may have cut up a bad join)
        ffi.memmove(records + record * i, data.ljust(record, b"\0"), record)
    return records


def priority(value: object) -> int:
    if type(value) is bool or not isinstance(value, int):
        raise TypeError(f"priority must be a Priority, not {type(value).__name__}")
    if value not in (lib.GEARMAN_JOB_PRIORITY_HIGH, lib.GEARMAN_JOB_PRIORITY_NORMAL, lib.GEARMAN_JOB_PRIORITY_LOW):
        raise ValueError(f"priority must be a Priority (HIGH, NORMAL or LOW), not {value!r}")
    return int(value)


def timeout_ms(seconds: object) -> int:
    """Seconds (``None`` = block) to libgearman's milliseconds (-1 = block).

    Zero is refused: libgearman 1.1.20 wedges a client whose timeout is 0.
    Small positive values round up to 1 ms for the same reason.
    """
    if seconds is None:
        return -1
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"timeout must be a number of seconds or None, not {type(seconds).__name__}")
    try:
        seconds = float(seconds)
    except OverflowError:  # an int too large for a float
        raise ValueError(f"timeout is longer than libgearman allows ({MAX_TIMEOUT_MS} ms)") from None
    if math.isnan(seconds) or seconds <= 0:
        raise ValueError(f"timeout must be positive (or None to block), not {seconds!r}")
    if math.isinf(seconds):
        return -1
    ms = math.ceil(seconds * 1000)
    if ms > MAX_TIMEOUT_MS:
        raise ValueError(f"timeout {seconds!r} s is longer than libgearman allows ({MAX_TIMEOUT_MS} ms)")
    return ms


def _host(host: object) -> bytes:
    return text(host, "server host", 1024)


def _port(port: object) -> int:
    if isinstance(port, bool) or not isinstance(port, int):
        raise TypeError(f"server port must be an int, not {type(port).__name__}")
    if not 0 < port < 65536:
        raise ValueError(f"server port must be 1-65535, not {port}")
    return port


def _parse_server(entry: str) -> tuple[bytes, int]:
    """``"host"``, ``"host:port"``, ``"[v6]"`` or ``"[v6]:port"``."""
    host, port = entry, str(lib.GEARMAN_DEFAULT_TCP_PORT)
    if entry.startswith("["):
        host, sep, rest = entry[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"malformed server {entry!r}")
        port = rest[1:] if rest else port  # "[v6]:" has an empty port, like "host:"
    elif entry.count(":") == 1:
        host, port = entry.split(":")
    if not (port.isascii() and port.isdigit()):
        raise ValueError(f"malformed port in server {entry!r}")
    return _host(host), _port(int(port))


def servers(value: object) -> list[tuple[bytes, int]]:
    """``"h1:4730,h2,[::1]:4731"`` or a list of ``"host:port"`` / ``(host, port)``,
    as (host, port) pairs for ``gearman_client_add_server``."""
    if isinstance(value, str):
        if "\0" in value:
            raise ValueError("servers must not contain NUL characters")
        value = [entry.strip() for entry in value.split(",")]
    if isinstance(value, (bytes, bytearray)) or not isinstance(value, Iterable):
        raise TypeError(f"servers must be a str or a list of 'host:port' / (host, port), not {type(value).__name__}")
    result = []
    for entry in value:
        if isinstance(entry, str):
            result.append(_parse_server(entry))
        elif isinstance(entry, tuple) and len(entry) == 2:
            result.append((_host(entry[0]), _port(entry[1])))
        else:
            raise TypeError(f"each server must be 'host:port' or (host, port), not {entry!r}")
    if not result:
        raise ValueError("servers must name at least one server")
    return result
