#!/usr/bin/env bash
# Prove that a fresh venv holding only WHEEL works, outside the source tree: the
# bundled libgearman (of version EXPECTED, if given) is the one mapped, a
# background job reaches a real gearmand, and the suite passes against it.
#   ci/test-wheel.sh WHEEL [EXPECTED_LIBGEARMAN_VERSION]
#   PYTEST_ARGS="-m 'not slow'"    passed to the test run
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WHEEL=$(realpath "${1:?usage: ci/test-wheel.sh WHEEL [EXPECTED_LIBGEARMAN_VERSION]}")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "== $(basename "$WHEEL"): a fresh venv with the wheel alone, outside the source tree"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q --disable-pip-version-check "$WHEEL" pytest hypothesis
cp -r "$ROOT/tests" "$WORK/tests"
cd "$WORK"
"$WORK/venv/bin/python" "$ROOT/ci/check_wheel_install.py" ${2:+"$2"}
echo "== the test suite against the installed wheel"
eval "\"$WORK/venv/bin/python\" -m pytest -p no:cacheprovider -q -ra tests ${PYTEST_ARGS:-}"
