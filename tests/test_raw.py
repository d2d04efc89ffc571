"""The raw layer: libgearman under its C names, usable the way C code uses it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from gearmand import Gearmand, free_port

import gearman_cffi
from gearman_cffi import ReturnCode, ffi, lib

#: Every function the issue asks the raw layer to declare.
DECLARED = """
gearman_client_create gearman_client_free gearman_client_clone
gearman_client_add_server gearman_client_add_servers gearman_client_remove_servers
gearman_client_timeout gearman_client_set_timeout
gearman_client_options gearman_client_add_options gearman_client_remove_options gearman_client_has_option
gearman_client_error gearman_client_error_code gearman_client_errno gearman_strerror gearman_version
gearman_client_do_background gearman_client_do_high_background gearman_client_do_low_background
gearman_client_add_task_background gearman_client_add_task_high_background gearman_client_add_task_low_background
gearman_client_run_tasks gearman_client_job_status gearman_client_echo
gearman_task_free gearman_task_context gearman_task_function_name gearman_task_unique gearman_task_job_handle
gearman_task_is_known gearman_task_is_running gearman_task_numerator gearman_task_denominator
gearman_task_return gearman_task_error
""".split()


def _include_dir() -> Path:
    try:
        flags = subprocess.run(
            ["pkg-config", "--cflags-only-I", "gearmand"], capture_output=True, text=True, check=True
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        flags = []
    for candidate in [*(Path(f[2:]) for f in flags), Path("/usr/include"), Path("/usr/local/include")]:
        if (candidate / "libgearman-1.0" / "limits.h").exists():
            return candidate / "libgearman-1.0"
    pytest.skip("libgearman headers not found")


def _header_defines() -> dict[str, int]:
    """Plain integer #defines of libgearman's installed headers, read as text."""
    defines = {}
    for header in _include_dir().glob("*.h"):
        for name, value in re.findall(r"^#define\s+(GEARMAN_\w+)\s+(\d+)\s*$", header.read_text(), re.M):
            defines[name] = int(value)
    return defines


@pytest.mark.parametrize("name", DECLARED)
def test_declared_under_c_name(name: str) -> None:
    assert callable(getattr(lib, name))


def test_return_code_covers_every_enumerator() -> None:
    enumerators = ffi.typeof("gearman_return_t").relements
    assert "GEARMAN_SUCCESS" in enumerators and "GEARMAN_TIMEOUT" in enumerators
    for name, value in enumerators.items():
        assert getattr(lib, name) == value, name
        assert ReturnCode[name.removeprefix("GEARMAN_")] == value, name
    assert {m.value for m in ReturnCode} == set(enumerators.values())
    assert ffi.string(lib.gearman_strerror(lib.GEARMAN_TIMEOUT)) == b"GEARMAN_TIMEOUT"


@pytest.mark.parametrize(
    "name",
    ["GEARMAN_JOB_HANDLE_SIZE", "GEARMAN_MAX_UNIQUE_SIZE", "GEARMAN_FUNCTION_MAX_SIZE", "GEARMAN_DEFAULT_TCP_PORT",
     "GEARMAN_MAX_UUID_SIZE", "GEARMAN_MAX_ERROR_SIZE", "GEARMAN_DEFAULT_SOCKET_TIMEOUT",
     "GEARMAN_DEFAULT_CONNECT_TIMEOUT"],
)  # fmt: skip
def test_constants_match_installed_headers(name: str) -> None:
    assert getattr(lib, name) == _header_defines()[name]


def test_job_handle_type_has_the_declared_size() -> None:
    assert ffi.sizeof("gearman_job_handle_t") == lib.GEARMAN_JOB_HANDLE_SIZE


def test_option_flags_and_priorities_exist() -> None:
    flags = [lib.GEARMAN_CLIENT_NON_BLOCKING, lib.GEARMAN_CLIENT_FREE_TASKS, lib.GEARMAN_CLIENT_GENERATE_UNIQUE]
    assert len(set(flags)) == len(flags)
    priorities = [lib.GEARMAN_JOB_PRIORITY_HIGH, lib.GEARMAN_JOB_PRIORITY_NORMAL, lib.GEARMAN_JOB_PRIORITY_LOW]
    assert [int(p) for p in gearman_cffi.Priority] == priorities


def test_libgearman_version_is_the_runtime_one() -> None:
    version = gearman_cffi.libgearman_version()
    assert version == ffi.string(lib.gearman_version()).decode()
    assert re.match(r"\d+\.\d+", version)
    maps = Path("/proc/self/maps").read_text() if Path("/proc/self/maps").exists() else ""
    if "gearman_cffi.libs/libgearman" in maps:
        # A wheel's own copy (1.1.19.1 in the Debian 11 wheels): the system's
        # pkg-config describes another libgearman.
        return
    try:
        packaged = subprocess.run(["pkg-config", "--modversion", "gearmand"], capture_output=True, text=True).stdout
    except OSError:
        return
    if packaged.strip():
        assert packaged.strip() == version


def test_c_style_do_background(gearmand_module: Gearmand, fn: str) -> None:
    """A C program ported line by line: create, add_server, set_timeout, submit, free."""
    client = lib.gearman_client_create(ffi.NULL)
    assert client != ffi.NULL
    try:
        assert lib.gearman_client_add_server(client, gearmand_module.host.encode(), gearmand_module.port) == (
            lib.GEARMAN_SUCCESS
        )
        lib.gearman_client_set_timeout(client, 10_000)
        assert lib.gearman_client_timeout(client) == 10_000
        handle = ffi.new("gearman_job_handle_t")
        workload = b"raw\0payload"
        rc = lib.gearman_client_do_background(client, fn.encode(), ffi.NULL, workload, len(workload), handle)
        assert rc == lib.GEARMAN_SUCCESS, ffi.string(lib.gearman_client_error(client))
        assert ffi.string(handle).startswith(b"H:")
        for i, submit in enumerate((lib.gearman_client_do_high_background, lib.gearman_client_do_low_background)):
            assert submit(client, fn.encode(), b"u%d" % i, b"x", 1, handle) == lib.GEARMAN_SUCCESS

        known, running = ffi.new("bool *"), ffi.new("bool *")
        numerator, denominator = ffi.new("uint32_t *"), ffi.new("uint32_t *")
        rc = lib.gearman_client_job_status(client, handle, known, running, numerator, denominator)
        assert rc == lib.GEARMAN_SUCCESS
        assert (known[0], running[0], numerator[0], denominator[0]) == (True, False, 0, 0)
        assert lib.gearman_client_echo(client, b"ping", 4) == lib.GEARMAN_SUCCESS
    finally:
        lib.gearman_client_free(client)
    assert gearmand_module.queued(fn) == 3
    assert workload in gearmand_module.drain(fn, 3)


def test_c_style_tasks_and_accessors(gearmand_module: Gearmand, fn: str) -> None:
    client = lib.gearman_client_create(ffi.NULL)
    try:
        servers = f"{gearmand_module.address}".encode()
        assert lib.gearman_client_add_servers(client, servers) == lib.GEARMAN_SUCCESS
        lib.gearman_client_set_timeout(client, 10_000)
        ret = ffi.new("gearman_return_t *")
        marker = ffi.new("int *", 42)
        adders = [
            lib.gearman_client_add_task_background,
            lib.gearman_client_add_task_high_background,
            lib.gearman_client_add_task_low_background,
        ]
        tasks = []
        for i, add in enumerate(adders):
            task = add(client, ffi.NULL, marker, fn.encode(), f"u{i}".encode(), b"job", 3, ret)
            assert task != ffi.NULL and ret[0] == lib.GEARMAN_SUCCESS
            tasks.append(task)
        assert lib.gearman_client_run_tasks(client) == lib.GEARMAN_SUCCESS
        for i, task in enumerate(tasks):
            assert ffi.cast("int *", lib.gearman_task_context(task))[0] == 42
            assert ffi.string(lib.gearman_task_function_name(task)) == fn.encode()
            assert ffi.string(lib.gearman_task_unique(task)) == f"u{i}".encode()
            assert ffi.string(lib.gearman_task_job_handle(task)).startswith(b"H:")
            assert lib.gearman_task_return(task) == lib.GEARMAN_SUCCESS
            assert isinstance(lib.gearman_task_is_known(task), bool)
            assert not lib.gearman_task_is_running(task)
            assert (lib.gearman_task_numerator(task), lib.gearman_task_denominator(task)) == (0, 0)
            lib.gearman_task_error(task)  # callable on a successful task (may be NULL)
        for task in tasks:
            lib.gearman_task_free(task)
    finally:
        lib.gearman_client_free(client)
    assert gearmand_module.queued(fn) == 3


def test_c_style_clone_options_and_errors() -> None:
    """Options round-trip and a refused connection reports code, message and errno."""
    client = lib.gearman_client_create(ffi.NULL)
    try:
        assert not lib.gearman_client_has_option(client, lib.GEARMAN_CLIENT_NON_BLOCKING)
        lib.gearman_client_add_options(client, lib.GEARMAN_CLIENT_NON_BLOCKING)
        assert lib.gearman_client_has_option(client, lib.GEARMAN_CLIENT_NON_BLOCKING)
        assert lib.gearman_client_options(client) & lib.GEARMAN_CLIENT_NON_BLOCKING
        lib.gearman_client_remove_options(client, lib.GEARMAN_CLIENT_NON_BLOCKING)
        assert not lib.gearman_client_has_option(client, lib.GEARMAN_CLIENT_NON_BLOCKING)

        lib.gearman_client_add_server(client, b"127.0.0.1", free_port())
        lib.gearman_client_set_timeout(client, 5_000)
        clone = lib.gearman_client_clone(ffi.NULL, client)
        assert clone != ffi.NULL
        try:
            assert lib.gearman_client_timeout(clone) == 5_000
            handle = ffi.new("gearman_job_handle_t")
            rc = lib.gearman_client_do_background(clone, b"f", ffi.NULL, b"x", 1, handle)
            assert rc == lib.GEARMAN_COULD_NOT_CONNECT
            assert lib.gearman_client_error_code(clone) == rc
            assert ffi.string(lib.gearman_client_error(clone))
            assert isinstance(lib.gearman_client_errno(clone), int)
            lib.gearman_client_remove_servers(clone)
            rc = lib.gearman_client_do_background(clone, b"f", ffi.NULL, b"x", 1, handle)
            assert rc == lib.GEARMAN_NO_SERVERS
        finally:
            lib.gearman_client_free(clone)
    finally:
        lib.gearman_client_free(client)
