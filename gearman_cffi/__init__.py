"""gearman_cffi: libgearman for Python, through cffi.

Two layers: ``ffi``/``lib`` are libgearman itself under its C names, for code
ported line by line; :class:`Client` and :class:`Task` are the Pythonic layer,
which owns every C object and turns failing return codes into exceptions.
"""

from __future__ import annotations

from . import _sockets  # noqa: F401  (lets the kernel size libgearman's socket buffers)
from ._job import Job
from ._libgearman import ffi, lib
from .admin import Admin, AdminError, FunctionStatus
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
    WorkerClosedError,
)
from .identity import ClientOptions
from .log import Verbose
from .task import JobStatus, Priority, Task
from .worker import Worker

__version__ = "0.1.0"

__all__ = [
    "Admin",
    "AdminError",
    "Client",
    "ClientClosedError",
    "ClientOptions",
    "FunctionStatus",
    "GearmanConnectionError",
    "GearmanError",
    "GearmanInvalidArgumentError",
    "GearmanMemoryError",
    "GearmanServerError",
    "GearmanTimeoutError",
    "GearmanWorkError",
    "Job",
    "JobStatus",
    "Priority",
    "ReturnCode",
    "Task",
    "TaskCallbacks",
    "Verbose",
    "Worker",
    "WorkerClosedError",
    "__version__",
    "ffi",
    "lib",
    "libgearman_version",
]


def libgearman_version() -> str:
    """The version of the libgearman loaded at run time (``gearman_version()``)."""
    return ffi.string(lib.gearman_version()).decode("ascii")  # type: ignore[no-any-return]
