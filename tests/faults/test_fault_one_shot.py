"""Ctrl-C and close() stop the calls that loop inside libgearman (echo, ping,
unique_status, do_background_at, and the request for exceptions before a
foreground job) on a silent server with no timeout; the client works after;
a finite timeout still ends them with a TimeoutError; echo stays byte-exact."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

import pytest
from gearmand import Gearmand, SilentServer
from test_fault_signals import LATENCY, interrupted

from gearman_cffi import Client, ClientClosedError
from gearman_cffi._sockets import poll_hook

pytestmark = pytest.mark.skipif(not poll_hook(), reason="libgearman's poll() is not redirected on this platform")

LATER = 3600.0  # do_background_at: an hour from now
WATCHDOG = 15.0  # seconds before a call Ctrl-C did not stop is ended by the server going away

CALLS: dict[str, Callable[[Client, str], object]] = {
    "echo": lambda client, fn: client.echo(b"is anyone there?"),
    "ping": lambda client, fn: client.ping(),
    "unique_status": lambda client, fn: client.unique_status("one-shot-unique"),
    "do_background_at": lambda client, fn: client.do_background_at(time.time() + LATER, fn, b"at"),
    "do (asks for exceptions first)": lambda client, fn: client.do(fn, b"foreground"),
}


@pytest.mark.parametrize("call", list(CALLS))
def test_sigint_interrupts_a_one_shot_call_on_a_silent_server(call: str, fn: str) -> None:
    silent = SilentServer()
    port = silent.port
    # A regression must fail, not hang: closing the listening socket resets the
    # connections it never accepted, which ends any wait on them with an error.
    watchdog = threading.Timer(WATCHDOG, silent.close)
    watchdog.start()
    try:
        with Client(silent.address, timeout=None) as client:
            assert interrupted(lambda: CALLS[call](client, fn)) < LATENCY
            assert interrupted(lambda: CALLS[call](client, fn)) < LATENCY  # a second Ctrl-C in a row too
            watchdog.cancel()
            silent.close()
            server = Gearmand(port=port).start()
            try:
                client.ping()
                handle = client.do_background(fn, b"after the interrupt", unique="after-the-interrupt")
                assert server.job_handles() == {handle}
                assert server.queued(fn) == 1
                assert client.unique_status("after-the-interrupt").is_known
                later = client.do_background_at(time.time() + LATER, fn, b"later")
                assert server.job_handles() == {handle, later}
            finally:
                server.stop()
    finally:
        watchdog.cancel()


@pytest.mark.parametrize("call", list(CALLS))
def test_close_from_another_thread_stops_a_one_shot_call(call: str, silent_server: SilentServer, fn: str) -> None:
    client = Client(silent_server.address, timeout=None)
    raised: list[BaseException] = []

    def blocked() -> None:
        try:
            CALLS[call](client, fn)
        except BaseException as error:
            raised.append(error)

    thread = threading.Thread(target=blocked, daemon=True)  # (a hang must not hold pytest's exit)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive() and not raised  # still waiting for the silent server
    closer = threading.Thread(target=client.close, daemon=True)  # (close() waits for the lock the call holds)
    closer.start()
    closer.join(5)
    thread.join(5)
    assert not closer.is_alive() and not thread.is_alive()
    assert [type(e) for e in raised] == [ClientClosedError]
    assert client.closed


@pytest.mark.parametrize("call", list(CALLS))
def test_a_finite_timeout_still_ends_a_one_shot_call(call: str, silent_server: SilentServer, fn: str) -> None:
    with Client(silent_server.address, timeout=0.5) as client:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            CALLS[call](client, fn)
        assert 0.4 < time.monotonic() - started < 5


@pytest.mark.parametrize("size", [1, 256, 1 << 20])
def test_echo_round_trips_byte_exact(gearmand_module: Gearmand, size: int) -> None:
    """libgearman compares the echoed bytes with those sent (ECHO_DATA_CORRUPTION
    otherwise): the sliced waits deliver every byte."""
    payload = bytes(range(256)) if size == 256 else os.urandom(size)
    with Client(gearmand_module.address, timeout=None) as client:
        client.echo(payload)
        client.echo(bytearray(payload))
        client.ping()
