#!/usr/bin/env bash
# Set everything up, then run the whole suite (lint, types, tests) against real gearmand.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo "== ruff";  "$VENV/bin/ruff" check gearman_cffi build_ffi.py setup.py tests bench examples
echo "== mypy";  "$VENV/bin/mypy" gearman_cffi
echo "== pytest"
"$PY" -m pytest tests "$@"
echo "== wheel: build, bundle libgearman, test the installed wheel (ci/build-wheel.sh)"
"$(dirname "${BASH_SOURCE[0]}")/build-wheel.sh"
