"""Ring: the consistent hash that maps a unique to a server.

Each server ``host:port`` (as written in the server list) owns ``VNODES``
points on a 32-bit circle, at ``blake2b(b"host:port#i", digest_size=4)``
read big-endian; a unique sits at ``zlib.crc32(unique)`` and belongs to the
first point at or after it (wrapping round).  Both functions are standard and
fixed, so every process, Python version or other language that spells the
server list the same way maps a unique to the same server; the list's order
does not matter.  blake2b places the points evenly (crc32 of ``host:port#i``
does not: its points cluster); crc32 is enough for the uniques once the points
are even, and costs a tenth of blake2b per job.

When a server is down, each of its points is served by the next point on the
circle whose server is up, so its share spreads over the others in proportion
to their arcs, and every other unique stays where it was; when it comes back,
exactly its own share returns to it.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Sequence
from zlib import crc32

#: Points per server: the spread of the shares shrinks like 1/sqrt(VNODES).
VNODES = 160


def point(name: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(name, digest_size=4).digest(), "big")


class Ring:
    """Points of every server on the circle, and which live server serves each."""

    def __init__(self, names: Sequence[bytes]) -> None:
        placed = sorted((point(b"%s#%d" % (name, i)), server) for server, name in enumerate(names)
                        for i in range(VNODES))  # fmt: skip
        self.points = [p for p, _ in placed]
        self.owners = [server for _, server in placed]
        self.count = len(names)
        #: per point, the server that takes its uniques (its owner, or the next live one)
        self.serving = list(self.owners)

    def set_live(self, live: Sequence[bool]) -> None:
        """Recompute who serves each point; with no server live, each point's owner."""
        owners, count = self.owners, len(self.owners)
        if not any(live):
            self.serving = list(owners)
            return
        serving = [0] * count
        successor = -1
        for i in range(2 * count - 1, -1, -1):  # twice round, backwards: each point sees its next live one
            owner = owners[i % count]
            if live[owner]:
                successor = owner
            if i < count:
                serving[i] = successor
        self.serving = serving

    def server_of(self, unique: bytes) -> int:
        """The server (index into ``names``) that takes ``unique`` now."""
        i = bisect_left(self.points, crc32(unique))
        return self.serving[i if i < len(self.points) else 0]

    def order_of(self, unique: bytes) -> list[int]:
        """Every server, in the order a unique's share would move to them: its
        owner first, then the owners of the following points."""
        i = bisect_left(self.points, crc32(unique))
        seen: dict[int, None] = {}
        for k in range(len(self.points)):
            seen.setdefault(self.owners[(i + k) % len(self.points)])
            if len(seen) == self.count:
                break
        return list(seen)
