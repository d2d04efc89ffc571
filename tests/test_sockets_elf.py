"""include/sockets.c on its own, on the ELF layouts libgearman may come in: a
stand-in library (tests/sockets_probe/fakegear.c) linked with full RELRO and
BIND_NOW (Debian's libgearman, JUMP_SLOT), lazily without RELRO, and with
-fno-plt (GLOB_DAT); natively, and for aarch64 under qemu-user when a cross
compiler and qemu-aarch64-static are installed (the aarch64 wheels)."""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PROBE = HERE / "sockets_probe"
INCLUDE = HERE.parent / "include"
PINNED = 2 * 32768
LAYOUTS = {
    "relro-now": ["-Wl,-z,now", "-Wl,-z,relro"],
    "lazy": ["-Wl,-z,lazy", "-Wl,-z,norelro"],
    "no-plt": ["-fno-plt", "-Wl,-z,now", "-Wl,-z,relro"],
}
NATIVE = platform.machine() in ("x86_64", "aarch64")
pytestmark = pytest.mark.skipif(not (INCLUDE / "sockets.c").exists(),
                                reason="needs the source tree's include/ (not the installed-wheel run)")  # fmt: skip
CROSS = shutil.which("aarch64-linux-gnu-gcc") and shutil.which("qemu-aarch64-static")
TARGETS = [
    pytest.param("native", marks=pytest.mark.skipif(not (NATIVE and shutil.which("cc")), reason="no native cc")),
    pytest.param("aarch64", marks=pytest.mark.skipif(platform.machine() == "aarch64" or not CROSS,
                                                     reason="no aarch64 cross compiler and qemu")),
]  # fmt: skip


def run_probe(tmp_path: Path, target: str, flags: list[str], defines: tuple[str, ...] = ()) -> dict[str, int]:
    cc = "cc" if target == "native" else "aarch64-linux-gnu-gcc"
    run = [] if target == "native" else ["qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu"]
    lib, probe = tmp_path / "libfakegear.so", tmp_path / "probe"
    subprocess.run([cc, "-O2", "-fPIC", "-shared", *flags, *defines, "-o", str(lib), str(PROBE / "fakegear.c")],
                   check=True)  # fmt: skip
    subprocess.run([cc, "-O2", "-Wall", "-fPIE", "-pie", f"-I{INCLUDE}", "-o", str(probe), str(PROBE / "probe.c"),
                    f"-L{tmp_path}", "-lfakegear", f"-Wl,-rpath,{tmp_path}"], check=True)  # fmt: skip
    out = subprocess.run([*run, str(probe)], check=True, capture_output=True, text=True, timeout=60)
    result: dict[str, int] = json.loads(out.stdout)
    return result


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("target", TARGETS)
def test_hook_redirects_the_import(tmp_path: Path, target: str, layout: str) -> None:
    r = run_probe(tmp_path, target, LAYOUTS[layout])
    assert r["state"] == r["again"] == 1
    assert r["before_sndbuf"] == PINNED  # opened before install: pinned
    assert r["skipped"] == 2 and r["sndbuf"] != PINNED and r["rcvbuf"] != PINNED
    assert r["nodelay"] == 1  # other options still pass through
    assert r["own_sndbuf"] == PINNED  # the program's own setsockopt is untouched
    # the poll hook (the asyncio client's wake-up path) on the same layouts: off, the real poll()
    # (an unconnected socket reports POLLHUP at once); on, a poll with nothing ready (a quiet
    # socketpair) returns 0 at once with the descriptor and events captured
    assert r["poll_state"] == 1 and r["real"] == 1
    assert r["captured"] == 0 and r["count"] == 1 and r["fd_ok"] == 1 and r["events"] == 1  # POLLIN
    # between slices (one-shot calls of the blocking Client): off before and after, and
    # a quiet wait of 120 ms in 20 ms slices called back between them (up to 5 times),
    # stopped when told (poll() -1 with ECANCELED), and a ready descriptor returns at once
    assert r["was"] == 0 and r["back"] == 20
    assert r["quiet"] == 0 and 1 <= r["calls"] <= 5
    assert r["stopped"] == -1 and r["canceled"] == 1 and r["stop_calls"] == 2
    assert r["ready"] == 1


@pytest.mark.parametrize("target", TARGETS)
def test_no_import_changes_nothing(tmp_path: Path, target: str) -> None:
    r = run_probe(tmp_path, target, LAYOUTS["relro-now"], ("-DNO_SETSOCKOPT",))
    assert r["state"] == r["again"] == -3  # GEARMAN_CFFI_SOCKETS_NO_IMPORT
    assert r["skipped"] == 0 and r["own_sndbuf"] == PINNED
