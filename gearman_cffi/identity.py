"""Client identity, routing and transport settings: options, namespace,
identifier, the server list and SSL."""

from __future__ import annotations

import enum
import os
import re
from pathlib import Path
from typing import Any

from . import _arguments as arg
from ._libgearman import ffi, lib
from .callbacks import extern
from .errors import GearmanError, GearmanInvalidArgumentError, check


class ClientOptions(enum.IntFlag):
    """``gearman_client_options_t`` bits (``GEARMAN_CLIENT_`` prefix dropped)."""

    ALLOCATED = lib.GEARMAN_CLIENT_ALLOCATED
    NON_BLOCKING = lib.GEARMAN_CLIENT_NON_BLOCKING
    TASK_IN_USE = lib.GEARMAN_CLIENT_TASK_IN_USE
    UNBUFFERED_RESULT = lib.GEARMAN_CLIENT_UNBUFFERED_RESULT
    NO_NEW = lib.GEARMAN_CLIENT_NO_NEW
    FREE_TASKS = lib.GEARMAN_CLIENT_FREE_TASKS
    GENERATE_UNIQUE = lib.GEARMAN_CLIENT_GENERATE_UNIQUE
    EXCEPTION = lib.GEARMAN_CLIENT_EXCEPTION
    SSL = lib.GEARMAN_CLIENT_SSL


#: Options Python may turn on or off.  NON_BLOCKING would make every call
#: return IO_WAIT; FREE_TASKS makes libgearman free tasks the Client still owns;
#: EXCEPTION is a per-connection server request libgearman cannot turn off
#: again (and only foreground jobs get exceptions); ALLOCATED, TASK_IN_USE and
#: NO_NEW are libgearman's own state; SSL goes through Client.set_ssl.
SETTABLE = ClientOptions.UNBUFFERED_RESULT | ClientOptions.GENERATE_UNIQUE


def read_options(ptr: Any) -> ClientOptions:
    """Every option set (``gearman_client_options`` misses EXCEPTION, so ask each)."""
    value = ClientOptions(0)
    for flag in ClientOptions:
        if lib.gearman_client_has_option(ptr, flag):
            value |= flag
    return value


def checked_options(options: object, current: ClientOptions) -> ClientOptions:
    """``options`` as ClientOptions; ValueError if it changes a bit Python may not."""
    if isinstance(options, bool) or not isinstance(options, int):
        raise TypeError(f"options must be ClientOptions, not {type(options).__name__}")
    try:
        value = ClientOptions(options)
    except ValueError:
        raise ValueError(f"unknown client option bits in {options!r}") from None
    forbidden = (value ^ current) & ~SETTABLE
    if forbidden:
        raise ValueError(
            f"{forbidden!r} cannot be changed from Python: NON_BLOCKING and FREE_TASKS break the "
            "Client's ownership of tasks; only UNBUFFERED_RESULT and GENERATE_UNIQUE may change (SSL: set_ssl)"
        )
    return value


def apply_options(ptr: Any, wanted: ClientOptions) -> None:
    """Turn SETTABLE options on/off to match ``wanted`` (the rest untouched)."""
    current = read_options(ptr)
    on, off = (wanted & ~current) & SETTABLE, (current & ~wanted) & SETTABLE
    if on:
        lib.gearman_client_add_options(ptr, on)
    if off:
        lib.gearman_client_remove_options(ptr, off)


def namespace_bytes(value: object) -> bytes:
    return arg.text(value, "namespace", arg.MAX_FUNCTION_NAME)


def identifier_bytes(value: object) -> bytes:
    data = arg.text(value, "identifier", lib.GEARMAN_MAX_IDENTIFIER)
    if not all(0x21 <= b <= 0x7E for b in data):  # libgearman: isgraph() only
        raise ValueError("identifier must be printable ASCII without spaces")
    return data


# -- servers ------------------------------------------------------------------------------
@extern
def _gearman_cffi_parse_server(host: Any, port: int, context: Any) -> int:
    found: list[tuple[str, int]] = ffi.from_handle(context)
    found.append((ffi.string(host).decode("utf-8", "surrogateescape"), int(port)))
    return int(lib.GEARMAN_SUCCESS)


def parse_servers(servers: str) -> list[tuple[str, int]]:
    """A server string as libgearman itself reads it (``gearman_parse_servers``)."""
    found: list[tuple[str, int]] = []
    handle = ffi.new_handle(found)
    check(lib.gearman_parse_servers(servers.encode("utf-8"), lib._gearman_cffi_parse_server, handle))
    return [(host, port or lib.GEARMAN_DEFAULT_TCP_PORT) for host, port in found]


def environment_servers() -> list[tuple[str, int]]:
    """The servers ``gearman_client_create`` adds from $GEARMAN_SERVERS; a
    malformed value is a ValueError that names the variable (libgearman itself
    reports a memory allocation failure)."""
    value = os.environ.get("GEARMAN_SERVERS")
    if not value:
        return []
    try:
        arg.servers(value)  # the checks of an explicit server string (libgearman wraps a port > 65535)
        found = parse_servers(value)
        arg.servers([(host, port) for host, port in found])
        ptr = lib.gearman_client_create(ffi.NULL)  # reads $GEARMAN_SERVERS: NULL if it refuses the value
        if ptr == ffi.NULL:
            raise ValueError("libgearman refuses it")
        lib.gearman_client_free(ptr)
    except (GearmanError, ValueError, TypeError) as error:
        raise GearmanInvalidArgumentError(
            lib.GEARMAN_INVALID_ARGUMENT, f"malformed $GEARMAN_SERVERS {value!r}: {error}"
        ) from None
    return found


def server_list(pairs: list[tuple[bytes, int]]) -> list[tuple[str, int]]:
    return [(host.decode("utf-8", "surrogateescape"), port) for host, port in pairs]


# -- SSL ----------------------------------------------------------------------------------
_SSL_LIBRARY = re.compile(rb"lib(ssl|wolfssl)\.so")


def _libgearman_path() -> Path | None:
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    for line in maps.splitlines():
        path = line.split()[-1] if len(line.split()) >= 6 else ""
        # the system's libgearman.so.8, or a wheel's gearman_cffi.libs/libgearman-<hash>.so.8
        if Path(path).name.startswith(("libgearman.so", "libgearman-")):
            return Path(path)
    return None


def libgearman_has_ssl() -> bool | None:
    """Whether the loaded libgearman was built with SSL (it then links OpenSSL
    or wolfSSL); None when that cannot be told (no /proc, unreadable file)."""
    path = _libgearman_path()
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return _SSL_LIBRARY.search(data) is not None


SSL_MISSING = (
    "this libgearman ({path}) was built without SSL support (it links neither OpenSSL nor wolfSSL), "
    "so gearman_client_set_ssl would be ignored and the connection would stay plain text; "
    "build libgearman with --enable-ssl and point GEARMAN_PREFIX at it"
)


def ssl_files(ca_file: str | None, certificate: str | None, key_file: str | None) -> tuple[Any, Any, Any]:
    """The three file names as C strings for ``gearman_client_set_ssl`` (libgearman
    copies them); RuntimeError if this libgearman cannot do SSL at all."""
    has_ssl = libgearman_has_ssl()
    if has_ssl is False:
        raise RuntimeError(SSL_MISSING.format(path=_libgearman_path()))
    files = [None if f is None else os.fsencode(f) for f in (ca_file, certificate, key_file)]
    for f in files:
        if f is not None and b"\0" in f:
            raise ValueError("SSL file names must not contain NUL bytes")
    c_files = [ffi.NULL if f is None else ffi.new("char[]", f) for f in files]
    return c_files[0], c_files[1], c_files[2]
