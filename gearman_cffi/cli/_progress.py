"""An optional progress bar on stderr (tqdm, from the ``gearman_cffi[cli]`` extra).

Shown only when stderr is a terminal and tqdm is importable; otherwise every
method does nothing, so the commands never depend on it.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any


def _tqdm() -> Any:
    try:
        return importlib.import_module("tqdm").tqdm  # imported by name: tqdm ships no type hints
    except ImportError:
        return None


class Progress:
    """Count, rate and elapsed time of submitted jobs."""

    def __init__(self, enabled: bool = True, unit: str = "job") -> None:
        self._bar: Any = None
        if enabled and sys.stderr.isatty():
            tqdm = _tqdm()
            if tqdm is not None:
                self._bar = tqdm(unit=f" {unit}", unit_scale=True, file=sys.stderr, mininterval=0.2, dynamic_ncols=True)

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
