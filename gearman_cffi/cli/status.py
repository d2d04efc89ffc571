"""``status``: each server's functions with queued / running / workers (Admin)."""

from __future__ import annotations

import argparse
import json
import sys

from ..admin import Admin, FunctionStatus
from ._parser import admin_servers

_HEADER = ("FUNCTION", "QUEUED", "RUNNING", "WORKERS")


def table(rows: list[tuple[str, list[FunctionStatus]]]) -> str:
    """Aligned columns, one block per server (a SERVER column when several)."""
    several = len(rows) > 1
    lines: list[tuple[str, ...]] = [(("SERVER",) if several else ()) + _HEADER]
    for server, statuses in rows:
        for s in sorted(statuses, key=lambda s: s.function):
            cells = (s.function, str(s.queued), str(s.running), str(s.workers))
            lines.append(((server,) if several else ()) + cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    names = 2 if several else 1  # left-aligned columns; the counts are right-aligned
    out = []
    for line in lines:
        padded = [c.ljust(w) if i < names else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))]
        out.append("  ".join(padded).rstrip())
    return "\n".join(out) + "\n"


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        admins = [Admin(server, timeout=args.timeout) for server in admin_servers(args.servers)]
    except (TypeError, ValueError) as error:
        parser.error(f"--server: {error}")
    rows = []
    for admin in admins:
        with admin:
            host, port = admin.server
            where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            rows.append((where, admin.status()))
    if args.json:
        records = [{"server": where, **s._asdict()} for where, st in rows for s in sorted(st, key=lambda s: s.function)]
        sys.stdout.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(table(rows))
    sys.stdout.flush()
    return 0
