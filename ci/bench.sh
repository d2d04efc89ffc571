#!/usr/bin/env bash
# Benchmarks side by side: raw C libgearman, gearman_cffi (blocking and asyncio),
# PHP's gearman extension and pygearman, against the same gearmand.  Installs what
# is missing (php-cli, php-gearman, gcc; pygearman, matplotlib and uvloop into the
# venv), compiles bench/c/,
# runs bench/run.py and writes docs/benchmarks.md and docs/benchmarks.png.
#   ./ci/bench.sh --quick     a few minutes
#   ./ci/bench.sh             the full run (about 15 minutes on 2 busy cores)
# Other arguments go to bench/run.py (--rounds N, --only do,batch, --out DIR).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

ensure_apt_packages php-cli php-gearman gcc libc6-dev
# pygearman: the maintained Python 3 fork of the pure-Python `gearman` client
# (it installs the `gearman` module).
"$PY" -m pip install -q --disable-pip-version-check pygearman matplotlib uvloop

mkdir -p bench/c/build
for src in bench/c/*.c; do
  # shellcheck disable=SC2046
  cc -O2 -Wall -o "bench/c/build/$(basename "$src" .c)" "$src" $(pkg-config --cflags --libs gearmand) -lpthread
done

exec "$PY" bench/run.py "$@"
