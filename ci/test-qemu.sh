#!/usr/bin/env bash
# Test a Debian 11 wheel on Debian 11 itself, under qemu-user: that release's
# CPython 3.9 and glibc 2.31 (ci/sysroot.sh ARCH, run with qemu -L SYSROOT) make a
# venv, pip installs the wheel into it, the wheel's bundled libgearman is checked,
# and the core tests run against this machine's x86_64 gearmand and gearman tools
# on loopback.  arm64: the aarch64 wheel on an emulated aarch64 CPU; amd64: the
# x86_64 wheel on glibc 2.31 rather than this machine's 2.36.
#   ci/test-qemu.sh amd64|arm64 WHEEL [PYTEST ARGS...]
# Without binfmt_misc, qemu cannot start a program that the emulated python itself
# spawns (venv's ensurepip, tests that run sys.executable): so the venv's python
# is a small shell script that runs qemu with -0 set to its own path, which
# CPython takes as sys.executable and uses to find the venv.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ARCH=${1:?usage: ci/test-qemu.sh amd64|arm64 WHEEL [PYTEST ARGS...]}
WHEEL=$(realpath "${2:?usage: ci/test-qemu.sh amd64|arm64 WHEEL [PYTEST ARGS...]}")
shift 2
[ $# -gt 0 ] || set -- tests/test_smoke.py tests/test_submit.py tests/test_tasks.py
PY="${VENV:-$ROOT/.venv}/bin/python"
case "$ARCH" in
  amd64) qarch=x86_64; plat=manylinux2014_x86_64 ;;
  arm64) qarch=aarch64; plat=manylinux2014_aarch64 ;;
  *) echo "unknown architecture $ARCH" >&2; exit 2 ;;
esac
QEMU=$(command -v "qemu-$qarch-static" || command -v "qemu-$qarch") || {
  echo "qemu-$qarch is missing (ci/build-wheel.sh installs qemu-user-static)" >&2; exit 1; }
SYSROOT=$("$ROOT/ci/sysroot.sh" "$ARCH")

# The tests' own requirements as binary / pure-Python wheels for that CPython, fetched once by
# this machine's pip (the venv under qemu then installs offline).
REQS=(cffi pytest hypothesis exceptiongroup tomli typing_extensions)
WHEELS="${GEARMAN_CFFI_CACHE:-$ROOT/build}/pypi-$qarch-cp39"
if [ ! -f "$WHEELS/.complete" ]; then
  rm -rf "$WHEELS"
  "$PY" -m pip download -q --disable-pip-version-check --only-binary=:all: --platform "$plat" \
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

echo "== Debian 11 $ARCH under $(basename "$QEMU"): $("$WORK/bin/python3.9" -c 'import platform, sys; print(platform.machine(), "CPython", sys.version.split()[0])')"
"$WORK/bin/python3.9" -m venv "$WORK/venv"
VPY="$WORK/venv/bin/python"
"$VPY" -m pip install -q --disable-pip-version-check --no-index --find-links "$WHEELS" "$WHEEL" "${REQS[@]}"
cp -r "$ROOT/tests" "$WORK/tests"
cd "$WORK"
echo "== check the installed wheel"
# ... and glibc and libstdc++ are the sysroot's, not this machine's newer ones.
EXPECT_SYSTEM_LIBS_UNDER="$SYSROOT/" "$VPY" "$ROOT/ci/check_wheel_install.py" 1.1.19.1+ds
echo "== pytest $*"
"$VPY" -m pytest -p no:cacheprovider -q -ra "$@"
