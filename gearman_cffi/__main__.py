"""``python -m gearman_cffi``: the ``gearman-cffi`` command."""

from __future__ import annotations

from .cli import console_script

if __name__ == "__main__":
    console_script()
