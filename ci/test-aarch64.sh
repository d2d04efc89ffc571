#!/usr/bin/env bash
# Test an aarch64 wheel for real, under qemu-user: Debian 11's aarch64 CPython 3.9
# (ci/sysroot.sh arm64) makes a venv, pip installs the wheel into it, the wheel's
# bundled libgearman is checked, and the core tests run against this machine's
# x86_64 gearmand and gearman tools on loopback.
#   ci/test-aarch64.sh WHEEL [PYTEST ARGS...]
# Without binfmt_misc, qemu cannot start an aarch64 program that the aarch64
# python itself spawns (venv's ensurepip, tests that run sys.executable): so
# the venv's python is a small shell script that runs qemu with -0 set to its own
# path, which CPython takes as sys.executable and uses to find the venv.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WHEEL=$(realpath "${1:?usage: ci/test-aarch64.sh WHEEL [PYTEST ARGS...]}")
shift
[ $# -gt 0 ] || set -- tests/test_smoke.py tests/test_submit.py tests/test_tasks.py
PY="${VENV:-$ROOT/.venv}/bin/python"
QEMU=$(command -v qemu-aarch64-static || command -v qemu-aarch64) || {
  echo "qemu-aarch64 is missing (ci/setup.sh installs qemu-user-static)" >&2; exit 1; }
SYSROOT=$("$ROOT/ci/sysroot.sh" arm64)

# The tests' own requirements as aarch64 / pure-Python wheels, fetched once by
# this machine's pip (the venv under qemu then installs offline).
REQS=(cffi pytest hypothesis exceptiongroup tomli typing_extensions)
WHEELS="${GEARMAN_CFFI_CACHE:-$ROOT/build}/pypi-aarch64-cp39"
if [ ! -f "$WHEELS/.complete" ]; then
  rm -rf "$WHEELS"
  "$PY" -m pip download -q --disable-pip-version-check --only-binary=:all: --platform manylinux2014_aarch64 \
    --python-version 3.9 --implementation cp -d "$WHEELS" "${REQS[@]}" 2>&1 | { grep -v '^WARNING: Location' || true; }
  touch "$WHEELS/.complete"
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/bin"
cat >"$WORK/bin/python3.9" <<EOF
#!/bin/sh
exec "$QEMU" -L "$SYSROOT" -0 "\$0" "$SYSROOT/usr/bin/python3.9" "\$@"
EOF
chmod +x "$WORK/bin/python3.9"

echo "== aarch64 under $(basename "$QEMU"): $("$WORK/bin/python3.9" -c 'import platform, sys; print(platform.machine(), "CPython", sys.version.split()[0])')"
"$WORK/bin/python3.9" -m venv "$WORK/venv"
VPY="$WORK/venv/bin/python"
"$VPY" -m pip install -q --disable-pip-version-check --no-index --find-links "$WHEELS" "$WHEEL" "${REQS[@]}"
cp -r "$ROOT/tests" "$WORK/tests"
cd "$WORK"
echo "== check the installed wheel"
"$VPY" "$ROOT/ci/check_wheel_install.py" 1.1.19.1+ds
echo "== pytest $*"
"$VPY" -m pytest -p no:cacheprovider -q -ra "$@"
