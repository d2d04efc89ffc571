#!/usr/bin/env bash
# Benchmarks side by side: raw C libgearman, gearman_cffi (blocking and asyncio),
# PHP's gearman extension and pygearman, against the same gearmand.  Installs what
# is missing (php-cli, php-gearman, gcc; pygearman, matplotlib and uvloop into the
# venv), compiles bench/c/, runs bench/cli.py (docs/benchmarks-cli.md), bench/run.py
# (docs/benchmarks.md and docs/benchmarks.png), then bench/workers.py (worker
# throughput, docs/benchmarks-worker.md).
#   ./ci/bench.sh --quick     a few minutes
#   ./ci/bench.sh             the full run (about 15 minutes on 2 busy cores, and
#                             about 30 more for the two worker runs)
#   ./ci/bench.sh payloads [--quick]   large payloads, 64 KiB - 16 MiB, against a plain
#                             socket (bench/payloads.py; its section of docs/benchmarks.md)
#   ./ci/bench.sh foreground [--quick] foreground `do` round trips, batches of 1,000
#                             foreground tasks and 1,000 concurrent `await do` (aio vs
#                             aiogear) against the raw C worker (bench/foreground.py;
#                             docs/benchmarks-foreground.md)
# Other arguments go to bench/run.py (--rounds N, --only do,batch, --out DIR) or
# bench/payloads.py.
#   ./ci/bench.sh --scaling [--quick]   Client(spread=True) over 1, 2, 3 gearmand
#                                       (bench/scaling.py; writes docs/scaling.json)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

if [[ "${1:-}" == "--scaling" ]]; then
  shift
  exec "$PY" bench/scaling.py "$@"
fi

ensure_apt_packages php-cli php-gearman gcc libc6-dev
# pygearman: the maintained Python 3 fork of the pure-Python `gearman` client
# (it installs the `gearman` module).
"$PY" -m pip install -q --disable-pip-version-check pygearman matplotlib uvloop
# aiogear (2018, asyncio): the foreground benchmark's asyncio reference, if it still installs.
"$PY" -m pip install -q --disable-pip-version-check aiogear || echo "aiogear does not install: its row is left out"

mkdir -p bench/c/build
for src in bench/c/*.c; do
  # shellcheck disable=SC2046
  [[ $src == */unpin_buffers.c ]] && continue
  cc -O2 -Wall -o "bench/c/build/$(basename "$src" .c)" "$src" $(pkg-config --cflags --libs gearmand) -lpthread
done
# LD_PRELOAD shim for bench/payloads.py's "raw C, unpinned" contender only
cc -O2 -Wall -shared -fPIC -o bench/c/build/unpin_buffers.so bench/c/unpin_buffers.c -ldl

if [[ ${1:-} == payloads ]]; then
  shift
  exec "$PY" bench/payloads.py "$@"
fi
if [[ ${1:-} == foreground ]]; then
  shift
  exec "$PY" bench/foreground.py "$@"
fi
# gearman-cffi submit against the gearman CLI (bench/cli.py): docs/benchmarks-cli.md
cli_args=(--out docs/benchmarks-cli.md)
for arg in "$@"; do [ "$arg" = "--quick" ] && cli_args+=(--quick); done
"$PY" bench/cli.py "${cli_args[@]}"
"$PY" bench/run.py "$@"
# worker throughput (draining queued jobs), unpinned and with gearmand and the
# worker on one CPU: docs/benchmarks-worker.md, docs/benchmarks-worker-pinned-same.md
"$PY" bench/workers.py "$@"
exec "$PY" bench/workers.py --pin same "$@"
