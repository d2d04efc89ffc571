"""The one place tests look inside a Client: its C clients, for checks that
only raw libgearman calls can make (options, pending C tasks, trap reproductions)."""

from __future__ import annotations

from typing import Any

from gearman_cffi import Client


def main_c_client(client: Client) -> Any:
    """The ``gearman_client_st *`` that runs the client's batches."""
    return client._core.router.lane.ptr


def c_clients(client: Client) -> list[Any]:
    """Every live ``gearman_client_st *`` of the client (main and side ones)."""
    return [ptr for lane in client._core.router.lanes for ptr in lane.c_clients()]


def side_c_client(client: Client) -> Any:
    """The task-free side C client, or None if none was made."""
    return client._core.router.lane.side
