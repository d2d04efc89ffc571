"""What every command shares: the one-line message on stderr and its exceptions."""

from __future__ import annotations

import re
import sys

from ..errors import GearmanError
from ._parser import PROG

# libgearman's messages end in "-> libgearman/file.cc:123: pid(456)" and may start
# with "function(GEARMAN_CODE) "; neither helps someone at a shell prompt.
_WHERE = re.compile(r"\s*(->\s*\S+:\d+:)?\s*pid\(\d+\)\s*$")
_CALL = re.compile(r"^\w+\(GEARMAN_\w+\)\s*")


class CliError(Exception):
    """A runtime failure already worded for the user: exit status 1."""


class Interrupted(Exception):
    """Ctrl-C, with what was done by then: exit status 130."""


def say(message: str) -> None:
    """One line on stderr, prefixed with the program name."""
    try:
        sys.stderr.write(f"{PROG}: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def describe(error: BaseException) -> str:
    """One readable line for an exception."""
    if isinstance(error, GearmanError):
        message = _CALL.sub("", _WHERE.sub("", error.message)).strip() or error.name
        return f"{error.name}: {message}"
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror}" + (f": {error.filename}" if error.filename else "")
    return str(error) or type(error).__name__
