from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
from gearmand import Gearmand, SilentServer

import gearman_cffi


def pytest_configure(config: pytest.Config) -> None:
    # Here rather than in pyproject.toml: the installed-wheel run uses a copy of tests/ alone.
    config.addinivalue_line("markers", "slow: long-running tests (still run by ci/test.sh)")
    # Ctrl-C tests send SIGINT to this process and to the commands it starts.  A
    # shell that starts the suite in the background (`cmd &` without job control)
    # leaves SIGINT ignored, and then Python installs no KeyboardInterrupt handler
    # and children inherit the ignore: give the suite Python's default handler.
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_report_header() -> str:
    return f"libgearman {gearman_cffi.libgearman_version()} from {gearman_cffi.lib.__name__}"


@pytest.fixture(scope="module")
def gearmand_module() -> Iterator[Gearmand]:
    """One gearmand per test module (jobs accumulate: use unique function names)."""
    server = Gearmand().start()
    yield server
    server.stop()


@pytest.fixture
def gearmand() -> Iterator[Gearmand]:
    """A fresh gearmand for one test."""
    server = Gearmand().start()
    yield server
    server.stop()


@pytest.fixture
def gearmand_factory() -> Iterator[type[Gearmand]]:
    """Start extra servers: ``gearmand_factory().start()``; all stopped after the test."""
    started: list[Gearmand] = []

    class Tracked(Gearmand):
        def start(self) -> Gearmand:
            started.append(self)
            return super().start()

    yield Tracked
    for server in started:
        server.stop()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture
def client(gearmand_module: Gearmand) -> Iterator[gearman_cffi.Client]:
    with gearman_cffi.Client(gearmand_module.address, timeout=10) as c:
        yield c


_counter = 0


@pytest.fixture
def fn(request: pytest.FixtureRequest) -> str:
    """A function name unique to this test."""
    global _counter
    _counter += 1
    return f"t{_counter}_{request.node.name[:60]}".replace("[", "_").replace("]", "_")
