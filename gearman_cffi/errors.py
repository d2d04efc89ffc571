"""Return codes and exceptions: the one path from ``gearman_return_t`` to Python.

Every failing C call goes through :func:`check` (or :func:`error_from`), which
picks the exception class from the code and attaches libgearman's own message.
"""

from __future__ import annotations

import enum
from typing import Any, Callable

from ._libgearman import ffi, lib

#: How to read a handle's last error message: ``gearman_client_error`` for a
#: client, ``gearman_worker_error`` for a worker.
MessageOf = Callable[[Any], Any]


class ReturnCode(enum.IntEnum):
    """Every ``gearman_return_t`` value, named without the ``GEARMAN_`` prefix
    (``ReturnCode.TIMEOUT`` is ``GEARMAN_TIMEOUT``); FAIL, FATAL and ERROR are
    aliases, as in C."""

    SUCCESS = lib.GEARMAN_SUCCESS
    IO_WAIT = lib.GEARMAN_IO_WAIT
    SHUTDOWN = lib.GEARMAN_SHUTDOWN
    SHUTDOWN_GRACEFUL = lib.GEARMAN_SHUTDOWN_GRACEFUL
    ERRNO = lib.GEARMAN_ERRNO
    EVENT = lib.GEARMAN_EVENT
    TOO_MANY_ARGS = lib.GEARMAN_TOO_MANY_ARGS
    NO_ACTIVE_FDS = lib.GEARMAN_NO_ACTIVE_FDS
    INVALID_MAGIC = lib.GEARMAN_INVALID_MAGIC
    INVALID_COMMAND = lib.GEARMAN_INVALID_COMMAND
    INVALID_PACKET = lib.GEARMAN_INVALID_PACKET
    UNEXPECTED_PACKET = lib.GEARMAN_UNEXPECTED_PACKET
    GETADDRINFO = lib.GEARMAN_GETADDRINFO
    NO_SERVERS = lib.GEARMAN_NO_SERVERS
    LOST_CONNECTION = lib.GEARMAN_LOST_CONNECTION
    MEMORY_ALLOCATION_FAILURE = lib.GEARMAN_MEMORY_ALLOCATION_FAILURE
    JOB_EXISTS = lib.GEARMAN_JOB_EXISTS
    JOB_QUEUE_FULL = lib.GEARMAN_JOB_QUEUE_FULL
    SERVER_ERROR = lib.GEARMAN_SERVER_ERROR
    WORK_ERROR = lib.GEARMAN_WORK_ERROR
    WORK_DATA = lib.GEARMAN_WORK_DATA
    WORK_WARNING = lib.GEARMAN_WORK_WARNING
    WORK_STATUS = lib.GEARMAN_WORK_STATUS
    WORK_EXCEPTION = lib.GEARMAN_WORK_EXCEPTION
    WORK_FAIL = lib.GEARMAN_WORK_FAIL
    NOT_CONNECTED = lib.GEARMAN_NOT_CONNECTED
    COULD_NOT_CONNECT = lib.GEARMAN_COULD_NOT_CONNECT
    SEND_IN_PROGRESS = lib.GEARMAN_SEND_IN_PROGRESS
    RECV_IN_PROGRESS = lib.GEARMAN_RECV_IN_PROGRESS
    NOT_FLUSHING = lib.GEARMAN_NOT_FLUSHING
    DATA_TOO_LARGE = lib.GEARMAN_DATA_TOO_LARGE
    INVALID_FUNCTION_NAME = lib.GEARMAN_INVALID_FUNCTION_NAME
    INVALID_WORKER_FUNCTION = lib.GEARMAN_INVALID_WORKER_FUNCTION
    NO_REGISTERED_FUNCTION = lib.GEARMAN_NO_REGISTERED_FUNCTION
    NO_REGISTERED_FUNCTIONS = lib.GEARMAN_NO_REGISTERED_FUNCTIONS
    NO_JOBS = lib.GEARMAN_NO_JOBS
    ECHO_DATA_CORRUPTION = lib.GEARMAN_ECHO_DATA_CORRUPTION
    NEED_WORKLOAD_FN = lib.GEARMAN_NEED_WORKLOAD_FN
    PAUSE = lib.GEARMAN_PAUSE
    UNKNOWN_STATE = lib.GEARMAN_UNKNOWN_STATE
    PTHREAD = lib.GEARMAN_PTHREAD
    PIPE_EOF = lib.GEARMAN_PIPE_EOF
    QUEUE_ERROR = lib.GEARMAN_QUEUE_ERROR
    FLUSH_DATA = lib.GEARMAN_FLUSH_DATA
    SEND_BUFFER_TOO_SMALL = lib.GEARMAN_SEND_BUFFER_TOO_SMALL
    IGNORE_PACKET = lib.GEARMAN_IGNORE_PACKET
    UNKNOWN_OPTION = lib.GEARMAN_UNKNOWN_OPTION
    TIMEOUT = lib.GEARMAN_TIMEOUT
    ARGUMENT_TOO_LARGE = lib.GEARMAN_ARGUMENT_TOO_LARGE
    INVALID_ARGUMENT = lib.GEARMAN_INVALID_ARGUMENT
    IN_PROGRESS = lib.GEARMAN_IN_PROGRESS
    INVALID_SERVER_OPTION = lib.GEARMAN_INVALID_SERVER_OPTION
    JOB_NOT_FOUND = lib.GEARMAN_JOB_NOT_FOUND
    MAX_RETURN = lib.GEARMAN_MAX_RETURN
    FAIL = lib.GEARMAN_FAIL
    FATAL = lib.GEARMAN_FATAL
    ERROR = lib.GEARMAN_ERROR


class GearmanError(Exception):
    """A libgearman call failed: ``.code`` says how, ``str()`` says it in words."""

    #: ``Client.do_background_many`` only: each job's handle, None if not created.
    handles: list[str | None] | None = None

    def __init__(self, code: int, message: str | None = None) -> None:
        self.code: ReturnCode = ReturnCode(code)
        self.message: str = message or strerror(code)
        super().__init__(f"{self.name}: {self.message}")

    @property
    def name(self) -> str:
        """The C name of the code, e.g. ``"GEARMAN_TIMEOUT"``."""
        return f"GEARMAN_{self.code.name}"

    def __reduce__(self) -> tuple[type[GearmanError], tuple[int, str]]:
        return type(self), (int(self.code), self.message)


class GearmanConnectionError(GearmanError, ConnectionError):
    """No server could be reached, or a connection broke."""


class GearmanTimeoutError(GearmanError, TimeoutError):
    """GEARMAN_TIMEOUT: the server did not answer within the client's timeout."""


class GearmanInvalidArgumentError(GearmanError, ValueError):
    """libgearman rejected an argument."""


class GearmanMemoryError(GearmanError, MemoryError):
    """GEARMAN_MEMORY_ALLOCATION_FAILURE."""


class GearmanServerError(GearmanError):
    """The server answered with an ERROR packet (queue full, server error, …)."""


class GearmanWorkError(GearmanError):
    """A foreground job the worker failed: ``.code`` is WORK_FAIL or
    WORK_EXCEPTION, ``.data`` the worker's exception payload (bytes) or None."""

    def __init__(self, code: int, message: str | None = None, data: bytes | None = None) -> None:
        self.data: bytes | None = data
        if message is None:
            message = "the worker failed the job" if data is None else f"the worker raised: {data[:200]!r}"
        super().__init__(code, message)

    def __reduce__(self) -> tuple[type[GearmanError], tuple[int, str, bytes | None]]:  # type: ignore[override]
        return type(self), (int(self.code), self.message, self.data)


class ClientClosedError(GearmanError, ValueError):
    """The :class:`~gearman_cffi.Client` was closed; like I/O on a closed file."""

    def __init__(self, code: int = lib.GEARMAN_NOT_CONNECTED, message: str | None = None) -> None:
        super().__init__(code, message or "the client is closed")


class WorkerClosedError(GearmanError, ValueError):
    """The :class:`~gearman_cffi.Worker` was closed; like I/O on a closed file."""

    def __init__(self, code: int = lib.GEARMAN_NOT_CONNECTED, message: str | None = None) -> None:
        super().__init__(code, message or "the worker is closed")


_CLASS_FOR_CODE: dict[int, type[GearmanError]] = {
    **dict.fromkeys(
        (
            lib.GEARMAN_COULD_NOT_CONNECT,
            lib.GEARMAN_LOST_CONNECTION,
            lib.GEARMAN_NOT_CONNECTED,
            lib.GEARMAN_NO_ACTIVE_FDS,
            lib.GEARMAN_GETADDRINFO,
            lib.GEARMAN_NO_SERVERS,
            lib.GEARMAN_ERRNO,
            lib.GEARMAN_SHUTDOWN,
            lib.GEARMAN_SHUTDOWN_GRACEFUL,
        ),
        GearmanConnectionError,
    ),
    lib.GEARMAN_TIMEOUT: GearmanTimeoutError,
    **dict.fromkeys(
        (
            lib.GEARMAN_INVALID_ARGUMENT,
            lib.GEARMAN_ARGUMENT_TOO_LARGE,
            lib.GEARMAN_INVALID_FUNCTION_NAME,
            lib.GEARMAN_DATA_TOO_LARGE,
            lib.GEARMAN_TOO_MANY_ARGS,
        ),
        GearmanInvalidArgumentError,
    ),
    lib.GEARMAN_MEMORY_ALLOCATION_FAILURE: GearmanMemoryError,
    **dict.fromkeys(
        (lib.GEARMAN_SERVER_ERROR, lib.GEARMAN_JOB_QUEUE_FULL, lib.GEARMAN_QUEUE_ERROR),
        GearmanServerError,
    ),
}


def error_class(code: int) -> type[GearmanError]:
    """The exception class raised for ``code``."""
    return _CLASS_FOR_CODE.get(code, GearmanError)


def strerror(code: int) -> str:
    """``gearman_strerror(code)`` as text."""
    return ffi.string(lib.gearman_strerror(code)).decode("utf-8", "replace")  # type: ignore[no-any-return]


def error_from(code: int, handle: object = None, message_of: MessageOf = lib.gearman_client_error) -> GearmanError:
    """The exception for a failing ``code``; ``handle`` (a ``gearman_client_st *``,
    or with ``message_of=lib.gearman_worker_error`` a ``gearman_worker_st *``)
    supplies libgearman's detailed message, read before anything else runs."""
    message = None
    if handle is not None:
        text = message_of(handle)
        if text != ffi.NULL:
            message = ffi.string(text).decode("utf-8", "replace") or None
    return error_class(code)(code, message)


def check(code: int, handle: object = None, message_of: MessageOf = lib.gearman_client_error) -> None:
    """Raise :func:`error_from` unless ``code`` is GEARMAN_SUCCESS."""
    if code != lib.GEARMAN_SUCCESS:
        raise error_from(code, handle, message_of)
