"""Settings: everything a Client was told, and the one function that makes a C
client from it.

Every C client the binding uses — the main one of each server, the task-free
side client, a replacement after a failure, a clone for another thread, a
throwaway for a status query, a fresh one in a forked child — is made by
:func:`new_c_client` from a :class:`Settings` record, never with
``gearman_client_clone``: a clone copies libgearman's run-time state (a run's
NON_BLOCKING and FREE_TASKS options, its "no new tasks" flag), which left
clones made during or after an interrupted run unusable.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from . import log as _log
from ._libgearman import ffi, lib
from ._wait import interruptible
from .callbacks import TaskCallbacks
from .errors import GearmanMemoryError, check, error_from
from .identity import ClientOptions, apply_options
from .log import Verbose

Server = tuple[bytes, int]
SslFiles = tuple[Any, Any, Any]  # ca_file, certificate, key_file: char[] cdata or NULL
_NO_OPTIONS = ClientOptions(0)


@dataclasses.dataclass(frozen=True)
class Settings:
    """What the user set on a Client; replaced as a whole (``changed``)."""

    servers: tuple[Server, ...]
    timeout_ms: int = -1
    options: ClientOptions = _NO_OPTIONS
    namespace: bytes | None = None
    identifier: bytes | None = None
    log_level: Verbose | None = None
    #: once a Client has had callbacks, every task added gets a handle for them
    callbacks: TaskCallbacks | None = None
    trampolines: bool = False
    ssl: SslFiles | None = None

    def changed(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def configure(ptr: Any, settings: Settings) -> None:
    """Apply ``settings`` (all but the server) to the C client ``ptr``; the
    same call configures a new C client and updates a live one."""
    lib.gearman_client_set_timeout(ptr, settings.timeout_ms)
    apply_options(ptr, settings.options)
    if settings.namespace is not None:
        lib.gearman_client_set_namespace(ptr, settings.namespace, len(settings.namespace))
    if settings.identifier is not None:
        check(lib.gearman_client_set_identifier(ptr, settings.identifier, len(settings.identifier)), ptr)
    _log.install(ptr, settings.log_level)
    if settings.ssl is not None:
        lib.gearman_client_set_ssl(ptr, True, *settings.ssl)


#: The longest wait for gearmand's answer to OPTION_REQ when the client blocks (timeout None).
OPTION_WAIT_MS = 5000


def ask_for_exceptions(ptr: Any, check: Callable[[], None] | None = None) -> None:
    """Ask gearmand for WORK_EXCEPTION packets on this C client's connection
    (OPTION_REQ "exceptions"), before its first foreground job: gearmand 1.1.20
    ends a job at WORK_EXCEPTION and tells only clients that asked, so one
    that did not would wait for ever.  libgearman 1.1.20 asks in a blocking
    round trip (at once, and only on connections that exist then), so it is
    bounded by the client's timeout, or OPTION_WAIT_MS if it has none; a
    signal or ``check()`` (between slices) stops it (``_wait.interruptible``)."""
    timeout_ms = lib.gearman_client_timeout(ptr)
    bounded = OPTION_WAIT_MS if timeout_ms < 0 else min(timeout_ms, OPTION_WAIT_MS)
    lib.gearman_client_set_timeout(ptr, bounded)
    with interruptible(check):
        try:
            lib.gearman_client_add_options(ptr, lib.GEARMAN_CLIENT_EXCEPTION)
        finally:
            lib.gearman_client_set_timeout(ptr, timeout_ms)
        if not lib.gearman_client_has_option(ptr, lib.GEARMAN_CLIENT_EXCEPTION):
            code = lib.gearman_client_error_code(ptr)
            raise error_from(code if code != lib.GEARMAN_SUCCESS else lib.GEARMAN_COULD_NOT_CONNECT, ptr)


def check_servers(servers: tuple[Server, ...]) -> None:
    """Let libgearman accept each server (bad ones fail here, not on first use)."""
    ptr = lib.gearman_client_create(ffi.NULL)
    if ptr == ffi.NULL:
        raise GearmanMemoryError(lib.GEARMAN_MEMORY_ALLOCATION_FAILURE)
    try:
        for server in servers:
            check(lib.gearman_client_add_server(ptr, *server), ptr)
    finally:
        lib.gearman_client_free(ptr)


def new_c_client(settings: Settings, server: Server) -> Any:
    """A fresh C client for ``server`` alone, configured from ``settings``."""
    ptr = lib.gearman_client_create(ffi.NULL)
    if ptr == ffi.NULL:
        raise GearmanMemoryError(lib.GEARMAN_MEMORY_ALLOCATION_FAILURE)
    try:
        lib.gearman_client_remove_servers(ptr)  # gearman_client_create adds $GEARMAN_SERVERS
        check(lib.gearman_client_add_server(ptr, *server), ptr)
        lib.gearman_cffi_install_events(ptr)
        configure(ptr, settings)
    except BaseException:
        lib.gearman_client_free(ptr)
        raise
    return ptr
