#!/usr/bin/env bash
# Set everything up, then run examples/demo.py: background jobs of all three
# priorities, through both APIs, executed by a gearman_cffi Worker in priority order.
# Default: a throwaway gearmand on a free loopback port.  --server HOST:PORT uses yours.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
exec "$PY" examples/demo.py "$@"
