"""A libgearman worker driven through cffi's ABI mode, on the very libgearman
this process loaded for gearman_cffi (dlopen of a loaded object returns it, so
its setsockopt import is the one gearman_cffi redirected).  The binding has no
Worker yet; this is how the tests reach libgearman's worker connections."""

from __future__ import annotations

from typing import Any

import cffi

import gearman_cffi

ffi = cffi.FFI()
ffi.cdef("""
typedef struct gearman_worker_st gearman_worker_st;
typedef struct gearman_job_st gearman_job_st;
gearman_worker_st *gearman_worker_create(gearman_worker_st *worker);
void gearman_worker_free(gearman_worker_st *worker);
int gearman_worker_add_server(gearman_worker_st *worker, const char *host, uint16_t port);
int gearman_worker_register(gearman_worker_st *worker, const char *function_name, uint32_t timeout);
void gearman_worker_set_timeout(gearman_worker_st *worker, int timeout);
gearman_job_st *gearman_worker_grab_job(gearman_worker_st *worker, gearman_job_st *job, int *ret_ptr);
int gearman_job_send_complete(gearman_job_st *job, const void *result, size_t result_size);
void gearman_job_free(gearman_job_st *job);
""")


def loaded_libgearman() -> str:
    """The path of the libgearman mapped into this process (the wheel's is renamed)."""
    assert gearman_cffi.lib is not None
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "/libgearman" in path:
                return path
    raise RuntimeError("libgearman is not mapped into this process")


class CWorker:
    """One gearman_worker_st: register a function, grab jobs, send results."""

    def __init__(self, host: str, port: int, function: str, timeout_ms: int = 10_000) -> None:
        self.lib: Any = ffi.dlopen(loaded_libgearman())
        self.worker = self.lib.gearman_worker_create(ffi.NULL)
        assert self.worker != ffi.NULL
        assert self.lib.gearman_worker_add_server(self.worker, host.encode(), port) == 0
        assert self.lib.gearman_worker_register(self.worker, function.encode(), 0) == 0
        self.lib.gearman_worker_set_timeout(self.worker, timeout_ms)

    def complete_one(self, result: bytes) -> None:
        """Grab the next job and answer it with WORK_COMPLETE carrying ``result``."""
        rc = ffi.new("int *")
        job = self.lib.gearman_worker_grab_job(self.worker, ffi.NULL, rc)
        assert job != ffi.NULL and rc[0] == 0, f"grab_job returned {rc[0]}"
        try:
            assert self.lib.gearman_job_send_complete(job, result, len(result)) == 0
        finally:
            self.lib.gearman_job_free(job)

    def close(self) -> None:
        if self.worker != ffi.NULL:
            self.lib.gearman_worker_free(self.worker)
            self.worker = ffi.NULL
