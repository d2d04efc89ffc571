#!/usr/bin/env bash
# cibuildwheel test-command: the suite against the installed wheel, from a copy
# of tests/ outside the project so the source tree is never imported.
set -euo pipefail
project="$1"
work=$(mktemp -d)
cp -r "$project/tests" "$work/tests"
cd "$work"
python "$project/ci/check_wheel_install.py"
python -m pytest -p no:cacheprovider -q -m "not slow" tests
