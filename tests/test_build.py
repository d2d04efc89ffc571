"""build_ffi.py: a missing libgearman is one clear line, not a compiler traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BUILD_FFI = Path(__file__).resolve().parent.parent / "build_ffi.py"
pytestmark = pytest.mark.skipif(not BUILD_FFI.is_file(), reason="needs the source tree (not an installed wheel)")


def test_missing_headers_give_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(BUILD_FFI)],
        env={"GEARMAN_PREFIX": str(tmp_path), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "apt install libgearman-dev" in lines[0]
    assert "brew install gearman" in lines[0]
    assert "GEARMAN_PREFIX" in lines[0]
    assert not list(tmp_path.rglob("*.so")), "nothing was compiled"
