/* gearman_cffi's socket-buffer hook (include/sockets.c), not libgearman API.

   libgearman pins SO_SNDBUF and SO_RCVBUF to 32 KiB on every socket it opens
   (gearman_connection_st::set_socket_options), which turns the kernel's buffer
   autotuning off: a send larger than the buffer then waits about 40 ms for a
   delayed ACK per window, so a 1 MiB job takes half a second.  At import the
   binding points libgearman's own import of setsockopt (its GOT slot) at a
   wrapper that drops those two options and passes every other one through, so
   only the sockets libgearman opens are affected.

   gearman_cffi_sockets_install: once per process; returns the number of GOT
   slots redirected (> 0: the hook is active) or a GEARMAN_CFFI_SOCKETS_* code
   saying why nothing was changed.  gearman_cffi_sockets_state: that result
   again (0 before install).  gearman_cffi_sockets_skipped: how many
   SO_SNDBUF/SO_RCVBUF calls from libgearman the wrapper has dropped. */
#define GEARMAN_CFFI_SOCKETS_UNSUPPORTED -1  /* not ELF on x86_64/aarch64/i386 Linux */
#define GEARMAN_CFFI_SOCKETS_NO_LIBRARY -2   /* no loaded object holds libgearman */
#define GEARMAN_CFFI_SOCKETS_NO_IMPORT -3    /* libgearman does not import setsockopt */
#define GEARMAN_CFFI_SOCKETS_PROTECT -4      /* mprotect refused to open the GOT page */
#define GEARMAN_CFFI_SOCKETS_STATIC -5       /* libgearman is linked into this module */
int gearman_cffi_sockets_install(void);
/* The same redirection for libgearman's import of poll(), used by the asyncio
   client (gearman_cffi_run_tasks with a slice of 0): see include/sockets.c.
   Same return values; off (the real poll) for every other call. */
int gearman_cffi_poll_install(void);
/* In this thread, while slice_ms > 0: libgearman's poll() waits in slices of
   at most slice_ms and calls _gearman_cffi_between_slices (include/06-callbacks.h)
   after each empty one, so a one-shot call that loops inside libgearman
   (echo, unique status, gearman_execute) stops for a signal or close().
   0: off.  Returns the previous value (the caller puts it back). */
int gearman_cffi_poll_slices(int slice_ms);
int gearman_cffi_poll_state(void);
int gearman_cffi_sockets_state(void);
unsigned long gearman_cffi_sockets_skipped(void);
