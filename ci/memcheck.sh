#!/usr/bin/env bash
# Run a representative part of the test suite under valgrind memcheck, against a
# debug build (-O0 -g) of the extension, and print a summary: invalid reads and
# writes, and definite leaks whose allocation stack goes through the binding
# (gearman_cffi's extension module or libgearman).  Exit status 1 if any.
#
#   ./ci/memcheck.sh                 # the default selection below
#   ./ci/memcheck.sh tests/test_x.py # or any pytest arguments
#
# Not part of ci/test.sh: under valgrind the selection takes a few minutes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
command -v valgrind >/dev/null || ensure_apt_packages valgrind

OUT="${MEMCHECK_DIR:-$ROOT/build/memcheck}"
rm -rf "$OUT" && mkdir -p "$OUT/pkg/gearman_cffi" "$OUT/logs"
# A separate debug build, so the .venv's own extension is left alone; it comes
# first on PYTHONPATH, ahead of the editable install.
cp -r gearman_cffi/*.py gearman_cffi/py.typed gearman_cffi/cli "$OUT/pkg/gearman_cffi/"
(cd "$OUT/pkg" && CFLAGS="-O0 -g -fno-omit-frame-pointer" "$PY" -c "
import runpy, sys
sys.argv = ['build_ffi.py']
ns = runpy.run_path('$ROOT/build_ffi.py')
ns['ffibuilder'].compile(tmpdir='.', debug=True)
" >"$OUT/build.log" 2>&1) || { cat "$OUT/build.log"; exit 1; }
echo "== debug extension: $(ls "$OUT"/pkg/gearman_cffi/_libgearman*.so)"

if [ $# -eq 0 ]; then
  # The core suite plus the fault tests whose bounds survive valgrind's slowdown
  # (the Ctrl-C latency, RSS, load and hypothesis tests assert timings or are long).
  # asyncio, the command line, spreading and the socket tests time their waits
  # or start many processes: they stay out (their C paths are the ones below).
  set -- $(ls tests/test_*.py | grep -vE "test_(aio|cli|cli_worker|spread|sockets|sockets_elf|worker_process)\.py") \
    tests/faults/test_fault_server.py tests/faults/test_fault_fork.py \
    "tests/faults/test_fault_signals.py::test_interrupted_do_background_beside_pending_tasks" \
    -p no:cacheprovider -x -q
fi

# Run from $OUT: "python -m pytest" puts the working directory first on
# sys.path, which in the repository root would import the regular build.
args=()
for a in "$@"; do
  if [[ "$a" != -* && -e "$ROOT/${a%%::*}" ]]; then args+=("$ROOT/$a"); else args+=("$a"); fi
done
cd "$OUT"
export PYTHONPATH="$OUT/pkg${PYTHONPATH:+:$PYTHONPATH}"
EXT=$("$PY" -c "import gearman_cffi._libgearman as m; print(m.__file__)")
case "$EXT" in "$OUT"/*) echo "== tests import $EXT" ;; *) echo "wrong extension imported: $EXT"; exit 1 ;; esac

echo "== valgrind memcheck: pytest $*"
set +e
PYTHONMALLOC=malloc \
  valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
  --errors-for-leak-kinds=definite --num-callers=40 --trace-children=no \
  --suppressions="$ROOT/ci/valgrind-python.supp" \
  --log-file="$OUT/logs/memcheck.%p.log" \
  "$PY" -X faulthandler -m pytest --rootdir="$ROOT" -c "$ROOT/pyproject.toml" "${args[@]}"
STATUS=$?
set -e
echo "== pytest under valgrind exited with $STATUS"
"$PY" - "$OUT/logs" <<'PYEOF'
"""Summarise memcheck logs.  A record counts against the binding when its stack
goes through libgearman or gearman_cffi's extension module; allocations made
once by cffi while importing the module (PyInit__libgearman) or on the first
use of each lib.<name> (lib_build_cpython_func) live as long as the interpreter
by design, and a forked child drops the C client it inherited
without freeing it (freeing would shutdown() the parent's socket): both are
reported apart."""
import pathlib
import re
import sys

ours = re.compile(r"_libgearman|libgearman\.so|\bgearman_[a-z_]+ \(")
counts = dict.fromkeys(
    ["processes", "invalid_ours", "invalid_other", "uninit_ours", "leak_ours", "leak_ours_bytes", "leak_init",
     "leak_fork", "leak_other"],
    0,
)
logs = sorted(pathlib.Path(sys.argv[1]).glob("memcheck.*.log"))
pids = {log.name.split(".")[1] for log in logs}
for log in logs:
    counts["processes"] += 1
    parent = re.search(r"Parent PID: (\d+)", log.read_text(errors="replace"))
    forked = parent is not None and parent.group(1) in pids  # a fork() of the test process
    for record in re.split(r"\n==\d+== \n", log.read_text(errors="replace")):
        lines = [re.sub(r"^==\d+== ?", "", line) for line in record.strip().splitlines()]
        head = lines[0] if lines else ""
        mine = bool(ours.search(record))
        if head.startswith(("Invalid read", "Invalid write", "Invalid free", "Mismatched free")):
            counts["invalid_ours" if mine else "invalid_other"] += 1
        elif re.match(r"[\d,]+ (\([^)]*\) )?bytes in [\d,]+ blocks are definitely lost", head):
            # cffi builds each lib.<name> function object on first use and keeps it
            # (and its malloc'd PyMethodDef) for the life of the process: once per name.
            if "PyInit__libgearman" in record or "lib_build_cpython_func" in record:
                counts["leak_init"] += 1
                continue
            if not mine:
                counts["leak_other"] += 1
                continue
            if forked:
                counts["leak_fork"] += 1
                continue
            counts["leak_ours"] += 1
            counts["leak_ours_bytes"] += int(head.split()[0].replace(",", ""))
        elif head.startswith(("Conditional jump", "Use of uninitialised", "Syscall param")) and mine:
            counts["uninit_ours"] += 1
        else:
            continue
        if mine:
            print(f"--- {log.name}\n" + "\n".join(lines[:25]))
c = counts
print("== memcheck summary")
print(f"processes checked:                          {c['processes']}")
print(f"invalid reads/writes/frees in the binding:  {c['invalid_ours']}")
print(f"invalid reads elsewhere (CPython/glibc):    {c['invalid_other']}")
print(f"uninitialised-value errors in the binding:  {c['uninit_ours']}")
print(f"definite leaks from the binding:            {c['leak_ours']} ({c['leak_ours_bytes']} bytes)")
print(f"definite leaks, cffi import/lib caches (once): {c['leak_init']}")
print(f"definite leaks, forked children (by design): {c['leak_fork']}")
print(f"definite leaks elsewhere (CPython):         {c['leak_other']}")
sys.exit(1 if c["invalid_ours"] or c["uninit_ours"] or c["leak_ours"] else 0)
PYEOF
SUMMARY=$?
[ "$STATUS" -eq 0 ] || exit "$STATUS"
exit "$SUMMARY"
