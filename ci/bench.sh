#!/usr/bin/env bash
# Benchmarks side by side: raw C libgearman, gearman_cffi, PHP's gearman extension
# and pygearman, against the same gearmand.  Installs what is missing (php-cli,
# php-gearman, gcc; pygearman and matplotlib into the venv), compiles bench/c/,
# runs bench/cli.py (docs/benchmarks-cli.md), then bench/run.py and writes
# docs/benchmarks.md and docs/benchmarks.png.
#   ./ci/bench.sh --quick     a few minutes
#   ./ci/bench.sh             the full run (about 15 minutes on 2 busy cores)
# Other arguments go to bench/run.py (--rounds N, --only do,batch, --out DIR).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

ensure_apt_packages php-cli php-gearman gcc libc6-dev
# pygearman: the maintained Python 3 fork of the pure-Python `gearman` client
# (it installs the `gearman` module).
"$PY" -m pip install -q --disable-pip-version-check pygearman matplotlib

mkdir -p bench/c/build
for src in bench/c/*.c; do
  # shellcheck disable=SC2046
  cc -O2 -Wall -o "bench/c/build/$(basename "$src" .c)" "$src" $(pkg-config --cflags --libs gearmand) -lpthread
done

# gearman-cffi submit against the gearman CLI (bench/cli.py): docs/benchmarks-cli.md
cli_args=(--out docs/benchmarks-cli.md)
for arg in "$@"; do [ "$arg" = "--quick" ] && cli_args+=(--quick); done
"$PY" bench/cli.py "${cli_args[@]}"

exec "$PY" bench/run.py "$@"
