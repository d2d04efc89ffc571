"""cffi out-of-line (API mode) build of ``gearman_cffi._libgearman``.

The C declarations live in ``include/``, one file per libgearman area, and are
fed to ``cdef`` in file-name order; gearman_cffi's own C helpers
(``include/fastpath.c``, ``include/sockets.c`` and ``include/worker.c``, declared in
``include/10-fastpath.h``, ``include/11-sockets.h`` and ``include/12-worker.h``) are
compiled into the module.
The library is found with pkg-config (its .pc file is called ``gearmand``);
``GEARMAN_PREFIX`` points at a custom install and ``-lgearman`` is the last resort.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
HEADER = "libgearman-1.0/gearman.h"
#: gearman_cffi's own C helpers: their declarations (also fed to cdef), then their code.
HELPERS = ("10-fastpath.h", "fastpath.c", "11-sockets.h", "sockets.c", "worker.c", "13-bulk.h", "bulk.c")
MISSING = (
    "gearman_cffi: libgearman's headers ({header}) were not found. Install them "
    "(Debian/Ubuntu: `apt install libgearman-dev`; macOS: `brew install gearman`) "
    "or set GEARMAN_PREFIX to the prefix of a custom libgearman build."
)


def read_declarations() -> str:
    """Concatenate include/*.h in their numbered order."""
    return "\n".join(p.read_text() for p in sorted((HERE / "include").glob("*.h")))


def pkg_config(*args: str) -> list[str] | None:
    try:
        out = subprocess.run(["pkg-config", *args, "gearmand"], check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return shlex.split(out)


def build_flags() -> dict[str, list[str]]:
    """Compiler and linker flags for libgearman, most specific source first."""
    prefix = os.environ.get("GEARMAN_PREFIX")
    if prefix:
        libdirs = [str(Path(prefix) / d) for d in ("lib", "lib64") if (Path(prefix) / d).is_dir()]
        return {
            "include_dirs": [str(Path(prefix) / "include")],
            "library_dirs": libdirs,
            "runtime_library_dirs": libdirs,
            "libraries": ["gearman"],
        }
    cflags, libs = pkg_config("--cflags"), pkg_config("--libs")
    if cflags is not None and libs is not None:
        return {
            "include_dirs": [f[2:] for f in cflags if f.startswith("-I")],
            "extra_compile_args": [f for f in cflags if not f.startswith("-I")],
            "library_dirs": [f[2:] for f in libs if f.startswith("-L")],
            "libraries": [f[2:] for f in libs if f.startswith("-l")],
        }
    return {"libraries": ["gearman"]}


def header_found(include_dirs: list[str]) -> bool:
    """Is libgearman's header where the compiler will look?  With GEARMAN_PREFIX
    only the prefix counts, so a wrong prefix is reported, not silently bypassed."""
    candidates = list(include_dirs)
    if not os.environ.get("GEARMAN_PREFIX"):
        candidates += ["/usr/include", "/usr/local/include", "/opt/homebrew/include"]
        cpath = os.environ.get("CPATH", "") + os.pathsep + os.environ.get("C_INCLUDE_PATH", "")
        candidates += [d for d in cpath.split(os.pathsep) if d]
        candidates += [str(d) for d in Path("/usr/include").glob("*-linux-*")]
    return any((Path(d) / HEADER).is_file() for d in candidates)


flags = build_flags()
if not header_found(flags.get("include_dirs", [])):
    sys.exit(MISSING.format(header=HEADER))

ffibuilder = FFI()
ffibuilder.cdef(read_declarations())
ffibuilder.set_source(
    "gearman_cffi._libgearman",
    "\n".join([f"#include <{HEADER}>"] + [(HERE / "include" / f).read_text() for f in HELPERS]),
    extra_link_args=["-Wl,--no-as-needed"] if sys.platform.startswith("linux") else [],
    **flags,  # type: ignore[arg-type]
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
