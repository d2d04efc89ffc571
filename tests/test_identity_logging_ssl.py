"""Namespace, identifier, ping, options, server lists, the logging bridge, SSL."""

from __future__ import annotations

import logging
import subprocess

import pytest
from gearmand import Gearmand
from internals import main_c_client

import gearman_cffi
from gearman_cffi import ClientOptions, Verbose, lib
from gearman_cffi import identity as identity_module


def test_namespace_prefixes_function_names(client: gearman_cffi.Client, gearmand_module: Gearmand, fn: str):
    assert client.namespace is None
    client.set_namespace("ns6:")
    assert client.namespace == "ns6:"
    client.do_background(fn, b"one")
    client.add_task_background(fn, b"two")
    client.run_tasks()
    client.do_background_at(1, fn, b"three")  # long due
    status = gearmand_module.status()
    assert status[f"ns6:{fn}"][0] == 3
    assert fn not in status
    with client.clone() as other:
        assert other.namespace == "ns6:"
        other.do_background(fn, b"four")
    assert sorted(gearmand_module.drain(f"ns6:{fn}", 4)) == [b"four", b"one", b"three", b"two"]
    with pytest.raises(ValueError):
        client.set_namespace("")


def _connections(server: Gearmand) -> str:
    return subprocess.run(["gearadmin", "-h", server.host, "-p", str(server.port), "--workers"],
                          check=True, capture_output=True, text=True, timeout=30).stdout  # fmt: skip


def test_identifier_is_shown_by_gearadmin(gearmand_module: Gearmand, fn: str):
    with gearman_cffi.Client(gearmand_module.address, timeout=10) as client:
        client.set_identifier(f"id-{fn}"[:60])
        client.ping()
        assert f"id-{fn}"[:60] in _connections(gearmand_module)
        with pytest.raises(ValueError):
            client.set_identifier("has space")
        with pytest.raises(ValueError):
            client.set_identifier("x" * (lib.GEARMAN_MAX_IDENTIFIER + 1))
    assert f"id-{fn}"[:60] not in _connections(gearmand_module)


def test_ping_and_echo(client: gearman_cffi.Client):
    client.ping()
    client.echo(b"\0bytes\xff")
    with gearman_cffi.Client("127.0.0.1:1", timeout=2) as dead, pytest.raises(gearman_cffi.GearmanConnectionError):
        dead.ping()


def test_options_flag(client: gearman_cffi.Client, fn: str):
    assert ClientOptions.ALLOCATED in client.options
    assert ClientOptions.NON_BLOCKING not in client.options
    for flag in (ClientOptions.UNBUFFERED_RESULT, ClientOptions.GENERATE_UNIQUE):
        client.options |= flag
        assert flag in client.options
        client.options &= ~flag
        assert flag not in client.options
    for bad in (
        ClientOptions.FREE_TASKS,
        ClientOptions.NON_BLOCKING,
        ClientOptions.NO_NEW,
        ClientOptions.SSL,
        ClientOptions.EXCEPTION,
    ):
        with pytest.raises(ValueError, match=bad.name or ""):
            client.options = client.options | bad
        assert bad not in client.options
    with pytest.raises(ValueError, match="ALLOCATED"):
        client.options = ClientOptions(0)
    with pytest.raises(TypeError):
        client.options = "GENERATE_UNIQUE"  # type: ignore[assignment]
    with pytest.raises(ValueError):
        client.options = 1 << 20  # type: ignore[assignment]
    assert client.do_background(fn, b"still works").startswith("H:")


def test_servers_introspection(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("GEARMAN_SERVERS", raising=False)
    assert gearman_cffi.Client("127.0.0.1:4731, localhost").servers == [("127.0.0.1", 4731), ("localhost", 4730)]
    pairs = [("127.0.0.3", 1), ("127.0.0.4", 2)]
    assert gearman_cffi.Client([pairs[0], "127.0.0.4:2"]).clone().servers == pairs
    monkeypatch.setenv("GEARMAN_SERVERS", "127.0.0.5:4999,127.0.0.6")
    assert gearman_cffi.Client("127.0.0.1").servers == [("127.0.0.5", 4999), ("127.0.0.6", 4730), ("127.0.0.1", 4730)]


def test_servers_from_environment_are_used(monkeypatch: pytest.MonkeyPatch, gearmand_module: Gearmand, fn: str):
    monkeypatch.setenv("GEARMAN_SERVERS", gearmand_module.address)
    with gearman_cffi.Client("127.0.0.1:1", timeout=5) as client:
        assert client.servers[0] == (gearmand_module.host, gearmand_module.port)
        assert client.job_status(client.do_background(fn, b"x")).is_known  # asks each server
    assert gearmand_module.queued(fn) == 1


@pytest.mark.parametrize("value", ["garbage:::", "host:abc", "[::1", "127.0.0.1:99999999999", "h:0"])
def test_malformed_servers_in_environment_name_the_variable(monkeypatch: pytest.MonkeyPatch, value: str):
    """libgearman reads $GEARMAN_SERVERS in gearman_client_create and reports a
    malformed value as a memory allocation failure, even with servers given."""
    monkeypatch.setenv("GEARMAN_SERVERS", value)
    with pytest.raises(gearman_cffi.GearmanInvalidArgumentError) as raised:
        gearman_cffi.Client("127.0.0.1:4730")
    assert isinstance(raised.value, ValueError) and not isinstance(raised.value, MemoryError)
    assert "GEARMAN_SERVERS" in str(raised.value) and repr(value) in str(raised.value)


# -- logging --------------------------------------------------------------------------------
def test_logging_is_off_by_default_and_bridged_when_asked(caplog: pytest.LogCaptureFixture, fn: str):
    caplog.set_level(1, logger="gearman_cffi")
    with gearman_cffi.Client("127.0.0.1:1", timeout=2) as client:
        with pytest.raises(gearman_cffi.GearmanConnectionError):
            client.do_background(fn, b"x")
        assert caplog.records == []
        client.set_log_level(Verbose.CRAZY)
        with pytest.raises(gearman_cffi.GearmanConnectionError):
            client.do_background(fn, b"x")
        records = list(caplog.records)
        assert records and all(r.name == "gearman_cffi" for r in records)
        assert any("connect" in r.getMessage().lower() for r in records), [r.getMessage() for r in records]
        caplog.clear()
        client.set_log_level(None)
        with pytest.raises(gearman_cffi.GearmanConnectionError):
            client.do_background(fn, b"x")
        assert caplog.records == []
        with pytest.raises(ValueError):
            client.set_log_level(99)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            client.set_log_level("DEBUG")  # type: ignore[arg-type]


def test_log_levels_map_onto_logging(caplog: pytest.LogCaptureFixture, fn: str):
    caplog.set_level(logging.DEBUG, logger="gearman_cffi")
    with gearman_cffi.Client("127.0.0.1:1", timeout=2) as client:
        client.set_log_level(Verbose.ERROR)  # libgearman produces ERROR and FATAL lines only
        with pytest.raises(gearman_cffi.GearmanConnectionError):
            client.do_background(fn, b"x")
    assert caplog.records
    assert all(r.levelno >= logging.ERROR for r in caplog.records)


# -- SSL ------------------------------------------------------------------------------------
def test_set_ssl_refuses_a_libgearman_without_ssl(client: gearman_cffi.Client):
    if identity_module.libgearman_has_ssl() is not False:
        pytest.skip("this libgearman has SSL support")
    with pytest.raises(RuntimeError, match="without SSL support"):
        client.set_ssl("ca.pem", "cert.pem", "key.pem")
    assert ClientOptions.SSL not in client.options


def test_without_ssl_support_libgearman_ignores_set_ssl(gearmand_module: Gearmand):
    """The evidence: libgearman's own call is accepted and the connection to a
    plain-text gearmand still works, i.e. SSL was silently not used."""
    if identity_module.libgearman_has_ssl() is not False:
        pytest.skip("this libgearman has SSL support")
    with gearman_cffi.Client(gearmand_module.address, timeout=10) as client:
        lib.gearman_client_set_ssl(main_c_client(client), True, gearman_cffi.ffi.NULL, gearman_cffi.ffi.NULL,
                                   gearman_cffi.ffi.NULL)  # fmt: skip
        assert ClientOptions.SSL in client.options
        client.ping()
