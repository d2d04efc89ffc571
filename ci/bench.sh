#!/usr/bin/env bash
# Benchmarks side by side: raw C libgearman, gearman_cffi, PHP's gearman extension
# and pygearman, against the same gearmand.  Installs what is missing (php-cli,
# php-gearman, gcc; pygearman and matplotlib into the venv), compiles bench/c/,
# runs bench/run.py and writes docs/benchmarks.md and docs/benchmarks.png.
#   ./ci/bench.sh --quick     a few minutes
#   ./ci/bench.sh             the full run (about 15 minutes on 2 busy cores)
# Other arguments go to bench/run.py (--rounds N, --only do,batch, --out DIR).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

missing=()
for pkg in php-cli php-gearman gcc libc6-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "ci/bench.sh: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# pygearman: the maintained Python 3 fork of the pure-Python `gearman` client
# (it installs the `gearman` module).
"$PY" -m pip install -q --disable-pip-version-check pygearman matplotlib

mkdir -p bench/c/build
for src in bench/c/*.c; do
  # shellcheck disable=SC2046
  cc -O2 -Wall -o "bench/c/build/$(basename "$src" .c)" "$src" $(pkg-config --cflags --libs gearmand) -lpthread
done

exec "$PY" bench/run.py "$@"
