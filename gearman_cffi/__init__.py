"""gearman_cffi: libgearman for Python, through cffi.

Two layers: ``ffi``/``lib`` are libgearman itself under its C names, for code
ported line by line; :class:`Client` and :class:`Task` are the Pythonic layer,
which owns every C object and turns failing return codes into exceptions.
"""

from __future__ import annotations

from ._libgearman import ffi, lib
from .callbacks import TaskCallbacks
from .client import Client
from .errors import (
    ClientClosedError,
    GearmanConnectionError,
    GearmanError,
    GearmanInvalidArgumentError,
    GearmanMemoryError,
    GearmanServerError,
    GearmanTimeoutError,
    GearmanWorkError,
    ReturnCode,
)
from .identity import ClientOptions
from .log import Verbose
from .task import JobStatus, Priority, Task

__version__ = "0.1.0"

__all__ = [
    "Client",
    "ClientClosedError",
    "ClientOptions",
    "GearmanConnectionError",
    "GearmanError",
    "GearmanInvalidArgumentError",
    "GearmanMemoryError",
    "GearmanServerError",
    "GearmanTimeoutError",
    "GearmanWorkError",
    "JobStatus",
    "Priority",
    "ReturnCode",
    "Task",
    "TaskCallbacks",
    "Verbose",
    "__version__",
    "ffi",
    "lib",
    "libgearman_version",
]


def libgearman_version() -> str:
    """The version of the libgearman loaded at run time (``gearman_version()``)."""
    return ffi.string(lib.gearman_version()).decode("ascii")  # type: ignore[no-any-return]
