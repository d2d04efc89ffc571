"""``worker``: serve a function by running a command per job (like ``gearman -w``).

The workload goes to CMD's stdin, CMD's stdout is the result; a non-zero exit
raises in the handler, which fails the job (WORK_FAIL or WORK_EXCEPTION) while the
worker goes on.  Runs on the binding's Worker, imported only here.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import shutil
import subprocess
from typing import Any

from ._common import CliError, say
from ._parser import client_servers


class CommandFailed(Exception):
    """CMD exited non-zero: the job fails."""


class _OneLine(logging.Formatter):
    """The Worker logs a failed job's traceback; a shell user gets one line."""

    def format(self, record: logging.LogRecord) -> str:
        reason = f": {record.exc_info[1]}" if record.exc_info and record.exc_info[1] else ""
        return f"gearman-cffi: {record.getMessage()}{reason}"


def _quiet_tracebacks() -> None:
    logger = logging.getLogger("gearman_cffi")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(_OneLine())
        logger.addHandler(handler)
        logger.propagate = False


def handler_for(command: list[str]) -> Any:
    def handler(job: Any) -> bytes:
        # its own session: a Ctrl-C meant for the worker lets the job in hand finish
        done = subprocess.run(
            command, input=bytes(job.workload), stdout=subprocess.PIPE, check=False, start_new_session=True
        )  # fmt: skip
        if done.returncode != 0:
            status = f"signal {-done.returncode}" if done.returncode < 0 else f"status {done.returncode}"
            raise CommandFailed(f"{command[0]} exited with {status}")  # logged in one line, the job fails
        return done.stdout

    return handler


def run(args: argparse.Namespace, command: list[str] | None, parser: argparse.ArgumentParser) -> int:
    if not command:
        parser.error("worker needs a command after '--': worker FUNCTION -- CMD [ARG]...")
    if shutil.which(command[0]) is None:
        parser.error(f"command not found: {command[0]}")
    try:  # by name: the Worker lands in its own module (gearman_cffi.worker)
        Worker = importlib.import_module("gearman_cffi.worker").Worker
    except (ImportError, AttributeError):
        raise CliError("this gearman_cffi has no Worker yet (gearman_cffi.worker is missing)") from None
    _quiet_tracebacks()
    try:
        worker = Worker(client_servers(args.servers))
        worker.add_function(args.function, handler_for(command))
    except (TypeError, ValueError) as error:
        parser.error(str(error))
    with worker:
        done = worker.run(max_jobs=args.count)
    if args.count is None or done < args.count:
        say(f"worker stopped after {done} jobs")
    return 0
