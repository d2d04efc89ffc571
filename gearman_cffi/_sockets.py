"""Let the kernel size the send and receive buffers of libgearman's sockets.

libgearman pins ``SO_SNDBUF``/``SO_RCVBUF`` to 32 KiB on every connection it
opens, which switches Linux's buffer autotuning off: a job or result larger than
that waits ~40 ms per window for a delayed ACK (a 1 MiB job: ~0.5 s).  At import
the binding redirects libgearman's own import of ``setsockopt`` to a wrapper that
drops those two options (``include/sockets.c`` explains how); sockets that
libgearman does not open are never touched.  Setting the environment variable
``GEARMAN_CFFI_LIBGEARMAN_BUFFERS=1`` before import keeps libgearman's 32 KiB
buffers (for comparison, or if the hook is ever in the way).
"""

from __future__ import annotations

import os

from ._libgearman import lib

#: Set to "1" to leave libgearman's fixed 32 KiB socket buffers in place.
KEEP_ENV = "GEARMAN_CFFI_LIBGEARMAN_BUFFERS"

_REASONS = {
    0: "not installed",
    lib.GEARMAN_CFFI_SOCKETS_UNSUPPORTED: "not supported on this platform (ELF Linux on x86_64/aarch64/i386 only)",
    lib.GEARMAN_CFFI_SOCKETS_NO_LIBRARY: "libgearman's object was not found among the loaded ones",
    lib.GEARMAN_CFFI_SOCKETS_NO_IMPORT: "libgearman does not import setsockopt through its GOT",
    lib.GEARMAN_CFFI_SOCKETS_PROTECT: "mprotect refused to open libgearman's GOT page",
    lib.GEARMAN_CFFI_SOCKETS_STATIC: "libgearman is linked statically into the module",
}


def install() -> int:
    """Install the hook once (unless ``GEARMAN_CFFI_LIBGEARMAN_BUFFERS=1``); the C state."""
    if os.environ.get(KEEP_ENV, "") not in ("", "0"):
        return 0
    return int(lib.gearman_cffi_sockets_install())


def _autotuned_buffers() -> bool:
    """Do libgearman's sockets in this process keep the kernel's buffer autotuning?"""
    return int(lib.gearman_cffi_sockets_state()) > 0


def _hook_status() -> str:
    """One line for people: whether the hook is active, and if not, why."""
    state = int(lib.gearman_cffi_sockets_state())
    if state > 0:
        return f"active: {state} setsockopt slot(s) of libgearman redirected"
    if state == 0 and os.environ.get(KEEP_ENV, "") not in ("", "0"):
        return f"off: {KEEP_ENV} is set"
    return "inactive: " + _REASONS.get(state, f"unknown state {state}")


def poll_hook() -> bool:
    """Is libgearman's poll() redirected (what the asyncio client waits with)?"""
    return int(lib.gearman_cffi_poll_state()) > 0


install()
#: libgearman's poll() import, for the asyncio client (include/sockets.c): the real
#: poll() unless a slice of 0 runs in this thread, so it is installed regardless of KEEP_ENV.
lib.gearman_cffi_poll_install()
