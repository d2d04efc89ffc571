"""The ``gearman-cffi`` argument parser (argparse): commands, options, examples."""

from __future__ import annotations

import argparse

from .. import __version__, libgearman_version
from ..identity import environment_servers

PROG = "gearman-cffi"
DEFAULT_SERVER = "localhost:4730"

EPILOG = """\
examples:
  seq 1000 | gearman-cffi submit resize                 one background job per line
  gearman-cffi submit -s gm1:4730 -s gm2:4730 --priority high resize < jobs.txt
  find . -print0 | gearman-cffi submit -0 index         NUL-separated workloads
  gearman-cffi submit --foreground upper < words.txt    print each job's result
  gearman-cffi worker resize -c 100 -- convert - -resize 50% -
  gearman-cffi status --json

$GEARMAN_SERVERS (as libgearman reads it) is tried before the -s servers.
exit status: 0 success, 1 runtime failure (server unreachable, job failed),
2 bad arguments, 130 interrupted (Ctrl-C).
"""

SUBMIT_EPILOG = """\
examples:
  seq 100000 | gearman-cffi submit resize > handles.txt
  printf 'a\\0b\\nc\\0' | gearman-cffi submit -0 split  two jobs: "a" and "b\\nc"
  gearman-cffi submit --foreground --priority low upper < words.txt

Input is read as it arrives and sent in batches (at most --batch jobs, or what
stdin holds right now), so memory stays flat for any input size; an empty line
is an empty workload.  Each batch's handles (or results) are printed in input
order before the next batch is read.  A progress bar (count, rate, elapsed)
goes to stderr when it is a terminal and tqdm is installed
(pip install 'gearman_cffi[cli]').
"""

WORKER_EPILOG = """\
examples:
  gearman-cffi worker upper -- tr a-z A-Z
  gearman-cffi worker resize -c 10 -s gm1:4730 -- convert - -resize 50% -

Each job's workload goes to CMD's stdin and CMD's stdout is the result; a
non-zero exit fails the job and the worker goes on.
Stops after COUNT jobs, or on Ctrl-C / SIGTERM once the job in hand is done.
"""

STATUS_EPILOG = """\
example output:
  FUNCTION  QUEUED  RUNNING  WORKERS
  resize       120        2        2
  upper          0        0        1
"""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def _servers_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-s", "--server", dest="servers", action="append", metavar="HOST:PORT",
        help=f"a gearmand to use (repeat for failover; [v6]:port for IPv6); default {DEFAULT_SERVER}",
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog=PROG, description="Gearman from the command line, on libgearman (gearman_cffi).",
        epilog=EPILOG, formatter_class=raw,
    )  # fmt: skip
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    submit = commands.add_parser(
        "submit", help="submit one job per line of stdin", epilog=SUBMIT_EPILOG, formatter_class=raw,
        description="Submit one job per line of stdin; print one job handle (or result) per line.",
    )  # fmt: skip
    submit.add_argument("function", metavar="FUNCTION", help="the Gearman function name")
    _servers_option(submit)
    submit.add_argument("--priority", choices=("high", "normal", "low"), default="normal")
    submit.add_argument("--foreground", action="store_true", help="wait for each job and print its result")
    submit.add_argument("-0", "--null", action="store_true", help="records end with NUL, not newline (in and out)")
    submit.add_argument("--batch", type=_positive_int, default=5000, metavar="N", help="jobs per batch (5000)")
    submit.add_argument(
        "--timeout", type=_seconds, metavar="SECONDS",
        help="give up when the server is silent this long (default 30; none with --foreground)",
    )  # fmt: skip
    submit.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")

    worker = commands.add_parser(
        "worker", help="run CMD for each job", epilog=WORKER_EPILOG, formatter_class=raw,
        usage=f"{PROG} worker FUNCTION [-s HOST:PORT]... [-c COUNT] -- CMD [ARG]...",
        description="Serve FUNCTION: run CMD for each job, workload on stdin, stdout as the result.",
    )  # fmt: skip
    worker.add_argument("function", metavar="FUNCTION")
    _servers_option(worker)
    worker.add_argument("-c", "--count", type=_positive_int, metavar="COUNT", help="stop after COUNT jobs")

    status = commands.add_parser(
        "status", help="functions with queued / running / workers", epilog=STATUS_EPILOG, formatter_class=raw,
        description="The server's functions: jobs queued (including running), running, and workers.",
    )  # fmt: skip
    _servers_option(status)
    status.add_argument("--json", action="store_true", help="one JSON array (server, function, queued, ...)")
    status.add_argument("--timeout", type=_seconds, default=5.0, metavar="SECONDS", help="per server (5)")
    for sub in (submit, worker, status):
        sub.set_defaults(subparser=sub)  # errors found after parsing show this usage
    return parser


def client_servers(servers: list[str] | None) -> list[str]:
    """The -s servers or the default (a Client tries $GEARMAN_SERVERS first by itself)."""
    return servers or [DEFAULT_SERVER]


def admin_servers(servers: list[str] | None) -> list[str | tuple[str, int]]:
    """The -s servers, else those of $GEARMAN_SERVERS, else the default."""
    if servers:
        return list(servers)
    return list(environment_servers()) or [DEFAULT_SERVER]


def _version() -> str:
    return f"{__version__} (libgearman {libgearman_version()})"
