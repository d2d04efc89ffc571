#!/usr/bin/env bash
# Set everything up, then run the whole suite (lint, types, tests) against real gearmand.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo "== ruff";  "$VENV/bin/ruff" check gearman_cffi build_ffi.py setup.py tests bench examples
echo "== mypy";  "$VENV/bin/mypy" gearman_cffi
echo "== docs: mkdocs build --strict (a broken link or API reference fails)"
DOCS_SITE="$(mktemp -d)"
trap 'rm -rf "$DOCS_SITE"' EXIT
NO_MKDOCS_2_WARNING=1 "$VENV/bin/mkdocs" build --strict --quiet --site-dir "$DOCS_SITE"
echo "== pytest"
"$PY" -m pytest tests "$@"
echo "== wheel: build, bundle libgearman, test the installed wheel (ci/build-wheel.sh)"
"$(dirname "${BASH_SOURCE[0]}")/build-wheel.sh"
