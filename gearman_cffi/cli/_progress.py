"""An optional progress bar on stderr (tqdm, from the ``gearman_cffi[cli]`` extra).

Shown only when stderr is a terminal and tqdm is importable; otherwise every
method does nothing, so the commands never depend on it.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any


def _tqdm() -> Any:
    try:
        return importlib.import_module("tqdm").tqdm  # imported by name: tqdm ships no type hints
    except ImportError:
        return None


def _size() -> tuple[int, int]:
    """The terminal's columns and lines; 80x24 where it reports 0 (a fresh pty
    does, and tqdm then draws nothing)."""
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except (OSError, ValueError):
        return 80, 24
    return size.columns or 80, size.lines or 24


class Progress:
    """Count, rate and elapsed time of submitted jobs."""

    def __init__(self, enabled: bool = True, unit: str = "jobs") -> None:
        self._bar: Any = None
        if enabled and sys.stderr.isatty():
            tqdm = _tqdm()
            if tqdm is not None:
                columns, lines = _size()
                self._bar = tqdm(
                    unit=f" {unit}", unit_scale=True, file=sys.stderr, mininterval=0.2, ncols=columns, nrows=lines
                )  # fmt: skip

    @property
    def shown(self) -> bool:
        return self._bar is not None

    def update(self, count: int) -> None:
        if self._bar is not None and count:
            self._bar.update(count)

    def close(self) -> None:
        """Leave the last state on screen (tqdm's close)."""
        bar, self._bar = self._bar, None
        if bar is not None:
            bar.close()
