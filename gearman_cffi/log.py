"""libgearman's log lines on Python's ``logging`` (logger ``gearman_cffi``).

Off by default: ``Client.set_log_level(level)`` installs the bridge on that
client (and on the clones it makes later, which libgearman gives the same log
function); ``None`` removes it.  ``level`` is libgearman's verbosity
(:class:`Verbose`): it decides which lines libgearman produces at all, and each
line is logged at the matching ``logging`` level.
"""

from __future__ import annotations

import enum
import logging
from typing import Any

from ._libgearman import ffi, lib
from .callbacks import extern

logger = logging.getLogger("gearman_cffi")

#: logging level for libgearman's CRAZY lines (below DEBUG).
CRAZY = 5


class Verbose(enum.IntEnum):
    """``gearman_verbose_t``: how much libgearman logs."""

    NEVER = lib.GEARMAN_VERBOSE_NEVER
    FATAL = lib.GEARMAN_VERBOSE_FATAL
    ERROR = lib.GEARMAN_VERBOSE_ERROR
    INFO = lib.GEARMAN_VERBOSE_INFO
    DEBUG = lib.GEARMAN_VERBOSE_DEBUG
    CRAZY = lib.GEARMAN_VERBOSE_CRAZY


_LEVELS = {
    Verbose.FATAL: logging.CRITICAL,
    Verbose.ERROR: logging.ERROR,
    Verbose.INFO: logging.INFO,
    Verbose.DEBUG: logging.DEBUG,
    Verbose.CRAZY: CRAZY,
}


_VALUES = frozenset(int(v) for v in Verbose)


@extern
def _gearman_cffi_log(line: Any, verbose: int, context: Any) -> None:
    level = _LEVELS.get(Verbose(verbose), logging.DEBUG) if verbose in _VALUES else logging.DEBUG
    if logger.isEnabledFor(level):
        logger.log(level, "%s", ffi.string(line).decode("utf-8", "replace"))


def checked_level(level: object) -> Verbose | None:
    if level is None:
        return None
    if isinstance(level, bool) or not isinstance(level, int):
        raise TypeError(f"log level must be a Verbose or None, not {type(level).__name__}")
    try:
        return Verbose(level)
    except ValueError:
        raise ValueError(f"unknown libgearman verbosity {level!r}") from None


def install(ptr: Any, level: Verbose | None, set_log_fn: Any = lib.gearman_client_set_log_fn) -> None:
    """Bridge ``ptr``'s log lines up to ``level`` to the logger (``None``: off);
    ``set_log_fn`` is ``gearman_worker_set_log_fn`` for a worker."""
    if level is None or level == Verbose.NEVER:
        set_log_fn(ptr, ffi.NULL, ffi.NULL, lib.GEARMAN_VERBOSE_NEVER)
    else:
        set_log_fn(ptr, lib._gearman_cffi_log, ffi.NULL, level)
