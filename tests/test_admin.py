"""Admin against real gearmand, each answer cross-checked with gearadmin or the
gearman CLI worker (never with gearman_cffi alone)."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
from gearmand import Gearmand, SilentServer
from peers import admin_command, gearadmin, priority_status, run_python, unique_jobs

import gearman_cffi
from gearman_cffi import Admin, AdminError, FunctionStatus, GearmanError
from gearman_cffi.admin import JobInfo, PriorityStatus, UnknownCommandError, WorkerInfo
from gearman_cffi.errors import ClientClosedError, GearmanConnectionError, GearmanServerError, GearmanTimeoutError


@pytest.fixture
def admin(gearmand_module: Gearmand) -> Iterator[Admin]:
    with Admin(gearmand_module.address, timeout=10) as a:
        yield a


def cli_worker(server: Gearmand, function: str, *command: str) -> subprocess.Popen[bytes]:
    """A ``gearman -w`` worker (own process group), registered before returning."""
    proc = subprocess.Popen(
        ["gearman", "-h", server.host, "-p", str(server.port), "-w", "-f", function, "--", *command],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while server.status().get(function, (0, 0, 0))[2] < 1:
        assert time.monotonic() < deadline, "gearman -w did not register"
        time.sleep(0.05)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


def gearadmin_rows(server: Gearmand, option: str) -> list[list[str]]:
    lines = gearadmin(server, option).decode().splitlines()
    return [line.split("\t") for line in lines if line != "."]


def test_status_matches_gearadmin(gearmand_module: Gearmand, admin: Admin, client: gearman_cffi.Client, fn: str):
    for i in range(3):
        client.do_background(fn, f"job {i}")
    client.do_background(fn + "_busy", "held")
    worker = cli_worker(gearmand_module, fn + "_busy", "sleep", "30")
    try:
        deadline = time.monotonic() + 20
        while gearmand_module.status()[fn + "_busy"][1] != 1:  # the worker took the job
            assert time.monotonic() < deadline
            time.sleep(0.05)
        ours = admin.status()
        assert all(type(s) is FunctionStatus for s in ours)
        theirs = {row[0]: tuple(int(x) for x in row[1:]) for row in gearadmin_rows(gearmand_module, "--status")}
        assert {s.function: (s.queued, s.running, s.workers) for s in ours} == theirs
        assert theirs[fn] == (3, 0, 0)
        assert theirs[fn + "_busy"] == (1, 1, 1)
        busy = next(s for s in ours if s.function == fn + "_busy")
        assert (busy.queued, busy.running, busy.workers) == (1, 1, 1)
    finally:
        stop(worker)


def test_priority_status_matches_gearadmin(
    gearmand_module: Gearmand, admin: Admin, client: gearman_cffi.Client, fn: str
):
    client.do_high_background(fn, "h")
    for _ in range(2):
        client.do_background(fn, "n")
    for _ in range(3):
        client.do_low_background(fn, "l")
    mine = next(p for p in admin.priority_status() if p.function == fn)
    assert mine == PriorityStatus(fn, 1, 2, 3, 0)
    assert (mine.high, mine.normal, mine.low) == priority_status(gearmand_module, fn)


def test_workers_match_gearadmin(gearmand_module: Gearmand, admin: Admin, fn: str):
    worker = cli_worker(gearmand_module, fn, "cat")
    try:
        ours = [w for w in admin.workers() if fn in w.functions]
        theirs = [line for line in gearadmin(gearmand_module, "--workers").decode().splitlines() if fn in line]
        assert len(ours) == len(theirs) == 1
        fd, ip, client_id = theirs[0].split(" :")[0].split(" ")
        assert ours[0] == WorkerInfo(int(fd), ip, client_id, (fn,))
        assert ours[0].ip == "127.0.0.1"
        # this Admin's own connection is listed too, with no functions
        assert any(w.functions == () for w in admin.workers())
    finally:
        stop(worker)


def test_show_jobs_and_unique_jobs_match_gearadmin(
    gearmand_module: Gearmand, admin: Admin, client: gearman_cffi.Client, fn: str
):
    handles = {client.do_background(fn, "x", unique=f"{fn}-u{i}") for i in range(3)}
    jobs = admin.show_jobs()
    assert all(type(j) is JobInfo for j in jobs)
    assert {j.handle for j in jobs} == gearmand_module.job_handles()
    assert handles <= {j.handle for j in jobs}
    for job in jobs:
        if job.handle in handles:
            assert job == JobInfo(job.handle, 0, False, True)
    assert sorted(admin.show_unique_jobs()) == sorted(u.decode() for u in unique_jobs(gearmand_module))
    assert {f"{fn}-u{i}" for i in range(3)} <= set(admin.show_unique_jobs())


def test_version_getpid_verbose(gearmand_module: Gearmand, admin: Admin):
    out = subprocess.run(["gearmand", "--version"], capture_output=True, text=True, check=True).stdout
    assert admin.version() in out
    assert admin.version()[0].isdigit()
    assert gearmand_module.proc is not None
    assert admin.getpid() == gearmand_module.proc.pid
    assert admin.verbose() == "WARNING"  # tests/gearmand.py starts it with --verbose=WARNING
    assert gearadmin(gearmand_module, "--getpid").strip() == str(admin.getpid()).encode()


def test_cancel_job_skips_it_for_workers(gearmand_module: Gearmand, admin: Admin, client: gearman_cffi.Client, fn: str):
    handles = [client.do_background(fn, w) for w in ("a", "b", "c")]
    admin.cancel_job(handles[1])
    flags = {row[0]: row[1:] for row in gearadmin_rows(gearmand_module, "--show-jobs")}
    assert flags[handles[1]] == ["0", "1", "0"]  # retries, ignore_job, job_queued
    assert next(j for j in admin.show_jobs() if j.handle == handles[1]) == JobInfo(handles[1], 0, True, False)
    assert gearmand_module.queued(fn) == 3  # still counted until a worker would take it
    assert gearmand_module.drain(fn, 2) == [b"a", b"c"]
    assert gearmand_module.queued(fn) == 0
    with pytest.raises(AdminError) as info:
        admin.cancel_job(handles[1])
    assert info.value.reply == "ERR UNKNOWN_JOB"
    assert "cancel job" in str(info.value)


def test_create_and_drop_function(gearmand_module: Gearmand, admin: Admin, fn: str):
    admin.create_function(fn)  # CRLF matters: after a bare LF gearmand drops the last character
    assert gearmand_module.status()[fn] == (0, 0, 0)
    assert admin_command(gearmand_module, f"create function {fn}x") == b"OK"
    assert fn in gearmand_module.status()  # "{fn}x" created as "{fn}": the trap this avoids
    admin.drop_function(fn.upper())  # gearmand matches case-insensitively
    assert fn not in gearmand_module.status()
    with pytest.raises(AdminError, match="function not found"):
        admin.drop_function(fn)
    worker = cli_worker(gearmand_module, fn, "cat")
    try:
        with pytest.raises(AdminError, match="still connected workers"):
            admin.drop_function(fn)
        assert fn in gearmand_module.status()
    finally:
        stop(worker)


def test_maxqueue(gearmand_module: Gearmand, admin: Admin, client: gearman_cffi.Client, fn: str):
    admin.maxqueue(fn, 1)  # unknown function: gearmand says OK and does nothing
    assert fn not in gearmand_module.status()
    admin.create_function(fn)
    admin.maxqueue(fn, 2)
    client.do_background(fn, "1")
    client.do_background(fn, "2")
    with pytest.raises(GearmanServerError, match="full"):
        client.do_low_background(fn, "3")
    admin.maxqueue(fn, high=5, normal=2, low=4)  # each priority's limit counts every job
    client.do_high_background(fn, "h")
    client.do_low_background(fn, "l")
    with pytest.raises(GearmanServerError, match="full"):
        client.do_background(fn, "n")
    admin.maxqueue(fn)  # no limit
    for _ in range(5):
        client.do_background(fn, "more")
    assert gearmand_module.queued(fn) == 9


def test_non_utf8_and_tab_names_round_trip(gearmand_module: Gearmand, admin: Admin, client: gearman_cffi.Client):
    raw = b"adm\tname\xff"
    client.do_background(raw, "x")
    (mine,) = [s for s in admin.status() if s.function.encode("utf-8", "surrogateescape") == raw]
    assert mine.queued == 1
    admin.maxqueue(mine.function, 1)
    with pytest.raises(GearmanServerError):
        client.do_background(raw, "y")
    admin.maxqueue(raw)
    client.do_background(raw, "y")


def test_unknown_command_and_raw_command(admin: Admin):
    with pytest.raises(UnknownCommandError, match="does not know the command 'frobnicate'") as info:
        admin.command("frobnicate")
    assert isinstance(info.value, AdminError) and isinstance(info.value, GearmanError)
    assert info.value.reply.startswith("ERR UNKNOWN_COMMAND")
    with pytest.raises(AdminError, match="UNKNOWN_SHOW_ARGUMENTS"):
        admin.command("show", "nothing")
    assert admin.command("version") == [f"OK {admin.version()}"]
    assert admin.command("status") == [f"{s.function}\t{s.queued}\t{s.running}\t{s.workers}" for s in admin.status()]
    err = pickle.loads(pickle.dumps(info.value))
    assert type(err) is UnknownCommandError and str(err) == str(info.value)


@pytest.mark.parametrize("name", ["a b", "a\nb", "a\rb", "a\0b", "", b"x y", "x" * 512])
def test_bad_names_raise_value_error(admin: Admin, name: str | bytes):
    for call in (admin.create_function, admin.drop_function, admin.maxqueue, admin.cancel_job):
        with pytest.raises(ValueError):
            call(name)
    assert admin.version()  # still usable, nothing was sent


def test_bad_arguments(admin: Admin):
    with pytest.raises(TypeError):
        admin.create_function(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        admin.maxqueue("f", "3")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        admin.maxqueue("f", True)
    for size in (-1, 2**31):
        with pytest.raises(ValueError):
            admin.maxqueue("f", size)
        with pytest.raises(ValueError):
            admin.maxqueue("f", low=size)
    with pytest.raises(ValueError):
        admin.command()
    for server in ("h1:1,h2:2", "[::1", "host:port", ""):
        with pytest.raises(ValueError):
            Admin(server)
    with pytest.raises(TypeError):
        Admin(4730)  # type: ignore[arg-type]
    for timeout in (0, -1, float("nan")):
        with pytest.raises(ValueError):
            Admin(timeout=timeout)
    with pytest.raises(TypeError):
        Admin(timeout="5")  # type: ignore[arg-type]


def test_unreachable_server():
    dead = SilentServer()
    dead.close()  # nothing listens on this port now
    with Admin(dead.address, timeout=5) as admin, pytest.raises(GearmanConnectionError) as info:
        admin.status()
    assert isinstance(info.value, ConnectionError)
    assert dead.address in str(info.value) and "cannot connect" in str(info.value)


def test_silent_server_times_out(silent_server: SilentServer):
    admin = Admin(silent_server.address, timeout=0.3)
    start = time.monotonic()
    with pytest.raises(GearmanTimeoutError) as info:
        admin.version()
    assert time.monotonic() - start < 5  # loose: a hang would take forever
    assert isinstance(info.value, TimeoutError)
    assert "did not answer 'version' within 0.3 s" in str(info.value)
    admin.close()


def test_reconnects_after_gearmand_restart(gearmand: Gearmand):
    with Admin(gearmand.address, timeout=10) as admin:
        first = admin.getpid()
        gearmand.restart()  # the kept connection is dead: the command goes again on a new one
        assert gearmand.proc is not None and admin.getpid() == gearmand.proc.pid != first
        assert admin.status() == []
        gearmand.restart()
        with pytest.raises(GearmanConnectionError):  # the raw command is never sent twice
            admin.command("getpid")
        assert admin.command("getpid") == [f"OK {gearmand.proc.pid}"]
        gearmand.kill()
        with pytest.raises(GearmanConnectionError, match="cannot connect"):
            admin.getpid()


def test_tuple_and_ipv6_servers(gearmand_module: Gearmand, gearmand_factory: type[Gearmand]):
    with Admin((gearmand_module.host, gearmand_module.port)) as admin:
        assert admin.server == (gearmand_module.host, gearmand_module.port)
        assert admin.getpid()
    try:
        v6 = gearmand_factory(host="::1").start()
    except RuntimeError:
        pytest.skip("no IPv6 loopback")
    with Admin(f"[::1]:{v6.port}") as admin:
        assert v6.proc is not None and admin.getpid() == v6.proc.pid
        assert "[::1]" in repr(admin)


def test_closed_admin(gearmand_module: Gearmand):
    admin = Admin(gearmand_module.address)
    assert admin.version()
    admin.close()
    admin.close()
    assert admin.closed
    with pytest.raises(ClientClosedError, match="Admin is closed"):
        admin.status()


def test_threads_share_one_admin(admin: Admin):
    expected = admin.version()
    results: list[str] = []

    def ask() -> None:
        for _ in range(50):
            results.append(admin.version())
            admin.status()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [expected] * 200


def test_forked_child_uses_its_own_connection(gearmand_module: Gearmand):
    code = f"""
import os
from gearman_cffi import Admin
admin = Admin({gearmand_module.address!r}, timeout=10)
pid, version = admin.getpid(), admin.version()
child = os.fork()
if child == 0:  # concurrent commands on a shared socket would swap replies
    try:
        ok = all(admin.version() == version for _ in range(300))
    except BaseException:
        ok = False
    os._exit(0 if ok else 3)
try:
    mine = all(admin.getpid() == pid for _ in range(300))
except BaseException:
    mine = False
_, status = os.waitpid(child, 0)
print(status >> 8, mine)
"""
    result = run_python(code)
    assert result.stdout.split() == ["0", "True"], result.stderr
