"""gearman_cffi's own foreground Client against its Worker: results,
status/data through callbacks, and what a failed job raises."""

from __future__ import annotations

import pytest
from gearmand import Gearmand
from worker_peers import serving

from gearman_cffi import Client, GearmanWorkError, Job, ReturnCode, Worker


def handler(job: Job) -> bytes:
    if job.workload == b"bad":
        raise ValueError("bad input")
    job.send_status(1, 2)
    return job.workload.upper()


@pytest.mark.parametrize("exceptions", [False, True])
def test_client_do_against_worker(gearmand_module: Gearmand, fn: str, exceptions: bool) -> None:
    with (
        Worker(gearmand_module.address, exceptions=exceptions) as worker,
        Client(gearmand_module.address, timeout=30) as client,
    ):
        worker.add_function(fn, handler)
        with serving(worker) as done:
            assert client.do(fn, b"hello") == b"HELLO"
            tasks = [client.add_task(fn, word) for word in (b"a", b"\0b")]
            client.run_tasks()
            assert [task.result for task in tasks] == [b"A", b"\0B"]
            with pytest.raises(GearmanWorkError) as failed:
                client.do(fn, b"bad")
    assert done == [4]
    if exceptions:  # the Client asks gearmand for exceptions: the text arrives
        assert failed.value.code == ReturnCode.WORK_EXCEPTION and failed.value.data == b"bad input"
    else:
        assert failed.value.code == ReturnCode.WORK_FAIL and failed.value.data is None
