"""``gearman-cffi``: submit, worker and status from the command line.

``main()`` turns every expected failure into one line on stderr and an exit
status (0 ok, 1 runtime failure, 2 bad arguments, 130 Ctrl-C, 141 when stdout
is closed early, as a process killed by SIGPIPE would report): no traceback
for anything a user can cause.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from ..errors import GearmanError
from ._common import CliError, Interrupted, describe, say
from ._parser import build_parser

__all__ = ["main"]

_COMMANDS = ("submit", "worker", "status")


def _split_command(argv: list[str]) -> tuple[list[str], list[str] | None]:
    """For ``worker``, everything after the first ``--`` is CMD (argparse would
    read CMD's own options)."""
    first = next((a for a in argv if a in _COMMANDS or a == "--"), None)
    if first != "worker" or "--" not in argv:
        return argv, None
    cut = argv.index("--")
    return argv[:cut], argv[cut + 1 :]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    head, command = _split_command(args_list)
    args = parser.parse_args(head)  # exits 2 on bad arguments
    if command is not None and args.command != "worker":
        args.subparser.error("'-- CMD' goes with the worker command only")
    try:
        if args.command == "submit":
            from . import submit

            return submit.run(args, args.subparser)
        if args.command == "worker":
            from . import work

            return work.run(args, command, args.subparser)
        from . import status

        return status.run(args, args.subparser)
    except Interrupted as stop:
        say(str(stop))
        return 130
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 141
    except CliError as error:
        say(str(error))
        return 1
    except (GearmanError, OSError) as error:
        say(describe(error))
        return 1


def _silence_stdout() -> None:
    """stdout's reader is gone: point stdout at /dev/null so that the interpreter's
    final flush does not report the broken pipe a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def console_script() -> None:
    """The ``gearman-cffi`` entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    console_script()
