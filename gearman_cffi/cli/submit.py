"""``submit``: records of stdin -> batches of jobs -> handles (or results) on stdout.

stdin is read as it arrives (``os.read``) and cut into batches of at most
``--batch`` records or ``_MAX_BATCH_BYTES``, or whatever stdin holds right now
when the next read would wait, so memory stays flat for any input and a slow
producer's jobs are not held back.  A background batch is one
``Client.do_background_many`` call; a foreground one is added with ``add_task*``
and sent by one ``run_tasks()`` (backwards: libgearman sends a batch
newest-first).  Either way the whole batch is written before the replies are
read (no round trip per record), the server queues the jobs in input order,
and the handles or results are written in input order before the next batch
is read.
"""

from __future__ import annotations

import argparse
import os
import select
import sys
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO, Callable

from .. import _arguments as arg
from ..client import Client
from ..errors import GearmanError
from ..task import Priority
from ._common import CliError, Interrupted, describe
from ._parser import client_servers
from ._progress import Progress

_READ = 1 << 18
_MAX_BATCH_BYTES = 16 << 20
_DEFAULT_TIMEOUT = 30.0
#: Set to a file path to record each batch's size (one line per run_tasks call):
#: lets tests count round trips without timing anything.
DEBUG_ENV = "GEARMAN_CFFI_CLI_BATCH_LOG"


def _readable(fd: int) -> bool:
    try:
        return bool(select.select([fd], [], [], 0)[0])
    except (OSError, ValueError):
        return True  # not selectable: just read on


def batches(fd: int, sep: bytes, max_count: int, max_bytes: int = _MAX_BATCH_BYTES) -> Iterator[list[bytes]]:
    """The records of ``fd`` (split on ``sep``; a last record without ``sep``
    counts, an empty input has none) in lists of at most ``max_count``."""
    buf = bytearray()
    batch: list[bytes] = []
    size = 0
    while True:
        data = os.read(fd, _READ)
        if not data:
            break
        buf += data
        cut = buf.rfind(sep)
        if cut >= 0:
            batch.extend(bytes(buf[:cut]).split(sep))
            del buf[: cut + 1]
            size += cut + 1
        while len(batch) >= max_count:
            yield batch[:max_count]
            del batch[:max_count]
            size = sum(map(len, batch))
        if batch and (size >= max_bytes or not _readable(fd)):
            yield batch
            batch, size = [], 0
    if buf:
        batch.append(bytes(buf))
    while batch:
        yield batch[:max_count]
        del batch[:max_count]


def _adder(client: Client, priority: str) -> Callable[..., Any]:
    suffix = "" if priority == "normal" else f"_{priority}"
    return getattr(client, f"add_task{suffix}")  # type: ignore[no-any-return]


class _Output:
    """Handles or results, one record each, in input order; counts what was done."""

    def __init__(self, out: BinaryIO, sep: bytes, foreground: bool) -> None:
        self.out, self.sep, self.foreground = out, sep, foreground
        self.submitted = 0  # jobs the server created (handles received)
        self.completed = 0  # foreground: results received
        self.failed: list[tuple[int, str]] = []  # foreground: (record number, return code name)
        self._counted: list[Any] | None = None  # the last batch counted (and printed)

    def batch_done(self, tasks: list[Any]) -> None:
        """Count a finished foreground batch and print one record per task.  Counted
        before the write: a Ctrl-C during a blocked write must not count it twice."""
        for number, task in enumerate(tasks, self.submitted + 1):
            if task.result is None:
                self.failed.append((number, task.return_code.name))
        self._write(tasks)

    def batch_cut_short(self, tasks: list[Any]) -> None:
        """After a failure or Ctrl-C in the middle of a batch: print its records
        anyway (an empty one for each job not created, or not completed), so
        output record k still belongs to input record k; count what was done."""
        if tasks is not self._counted and any(t.job_handle for t in tasks):
            self._write(tasks)

    def handles(self, handles: Sequence[str | None] | None) -> None:
        """A background batch's handles (None: not created; the whole list
        None: nothing known, after an interrupt before the batch was read)."""
        if handles and any(handles):
            records = [h.encode("ascii") if h else b"" for h in handles]
            self._write_records(records, len(records) - records.count(b""))

    def _write(self, tasks: list[Any]) -> None:
        handles = [t.job_handle for t in tasks]  # each read once: a property reading C memory
        results = [t.result for t in tasks]
        self.completed += len(results) - results.count(None)
        self._counted = tasks
        self._write_records([b"" if r is None else bytes(r) for r in results], len(handles) - handles.count(None))

    def _write_records(self, records: list[bytes], created: int) -> None:
        self.submitted += created
        self.out.write(self.sep.join(records) + self.sep)
        self.out.flush()

    def summary(self) -> str:
        if self.foreground:
            return f"{self.submitted} jobs submitted, {self.completed} completed"
        return f"{self.submitted} jobs submitted"


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        arg.function_name(args.function)
    except ValueError as error:
        parser.error(f"FUNCTION: {error}")
    timeout = args.timeout if args.timeout is not None else (None if args.foreground else _DEFAULT_TIMEOUT)
    try:
        client = Client(client_servers(args.servers), timeout=timeout)
    except (TypeError, ValueError) as error:
        parser.error(f"--server: {error}")
    sep = b"\0" if args.null else b"\n"
    output = _Output(sys.stdout.buffer, sep, args.foreground)
    progress = Progress(enabled=not args.no_progress)
    debug = open(os.environ[DEBUG_ENV], "a") if os.environ.get(DEBUG_ENV) else None
    tasks: list[Any] = []
    priority = Priority[args.priority.upper()]
    try:
        with client:
            add = _adder(client, args.priority)
            for batch in batches(sys.stdin.fileno(), sep, args.batch):
                if args.foreground:
                    # libgearman sends a batch newest-first: add it backwards so that
                    # the server queues the jobs in input order
                    tasks = [add(args.function, record) for record in reversed(batch)]
                    tasks.reverse()
                    client.run_tasks()
                    output.batch_done(tasks)
                    tasks = []
                else:  # one call per batch (it keeps the input order on the server)
                    output.handles(client.do_background_many(args.function, batch, priority=priority))
                progress.update(len(batch))
                if debug is not None:
                    debug.write(f"{len(batch)}\n")
    except KeyboardInterrupt as interrupt:
        output.batch_cut_short(tasks)
        output.handles(getattr(interrupt, "handles", None))
        raise Interrupted(f"interrupted: {output.summary()}") from None
    except GearmanError as error:
        output.batch_cut_short(tasks)
        output.handles(error.handles)
        raise CliError(f"{describe(error)} ({output.summary()} before the failure)") from None
    finally:
        progress.close()
        if debug is not None:
            debug.close()
    if output.failed:
        number, code = output.failed[0]
        raise CliError(f"{len(output.failed)} of {output.submitted} jobs failed (first: record {number}, {code})")
    return 0
