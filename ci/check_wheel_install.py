"""Run by ci/build-wheel.sh inside a fresh venv holding only the wheel.

Proves the installed (not the source-tree) package is imported, that the
libgearman the process mapped is the copy bundled in the wheel, and that a
background job reaches a throwaway gearmand on loopback.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gearman_cffi
from gearman_cffi import _libgearman

package = Path(gearman_cffi.__file__).resolve().parent
print("gearman_cffi imported from", package)
assert "site-packages" in str(package), "not the installed wheel"

extension = Path(_libgearman.__file__)
# ldd (this machine's loader) cannot read a foreign architecture's extension: then say so.
ldd = subprocess.run(["ldd", str(extension)], capture_output=True, text=True)
print(ldd.stdout.strip() if ldd.returncode == 0 else f"ldd: {ldd.stdout.strip() or ldd.stderr.strip()}")
mapped = {line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines() if "/" in line}
loaded = sorted(path for path in mapped if Path(path).name.startswith("libgearman"))
print("libgearman mapped into this process:", loaded)
assert loaded and all("gearman_cffi.libs" in path for path in loaded), "the system libgearman was loaded"
print("libgearman_version():", gearman_cffi.libgearman_version())
system = sorted(p for p in mapped if Path(p).name.startswith(("libc.so", "libc-", "libstdc++")))
print("libc and libstdc++ mapped into this process:", system)
if os.environ.get("EXPECT_SYSTEM_LIBS_UNDER"):  # ci/test-qemu.sh: the emulated release's own
    assert system and all(p.startswith(os.environ["EXPECT_SYSTEM_LIBS_UNDER"]) for p in system), system
if len(sys.argv) > 1:  # the version of the libgearman this wheel was built to bundle
    assert gearman_cffi.libgearman_version() == sys.argv[1], (gearman_cffi.libgearman_version(), sys.argv[1])

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
workdir = tempfile.mkdtemp()
gearmand = shutil.which("gearmand") or "/usr/sbin/gearmand"
server = subprocess.Popen([gearmand, "--listen=127.0.0.1", f"--port={port}", f"--log-file={workdir}/log"])
try:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    with gearman_cffi.Client(f"127.0.0.1:{port}", timeout=10) as client:
        handle = client.do_background("wheel_check", b"from the wheel")
    status = subprocess.run(
        ["gearadmin", "-h", "127.0.0.1", "-p", str(port), "--status"], capture_output=True, text=True, check=True
    ).stdout
    print("job", handle, "queued; gearadmin --status:", status.split("\n")[0])
    assert status.startswith("wheel_check\t1\t"), status
finally:
    server.terminate()
    server.wait()
    shutil.rmtree(workdir, ignore_errors=True)
sys.exit(0)
