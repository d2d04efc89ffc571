/* LD_PRELOAD shim for the benchmark only (bench/payloads.py, contender
 * "raw C, buffers unpinned"): drops setsockopt(SO_SNDBUF/SO_RCVBUF) for the
 * whole process, so raw C libgearman runs with the kernel's autotuned buffers.
 * It shows what libgearman itself can do once the 32 KiB pin is gone; the
 * binding does not work this way (its hook, include/sockets.c, touches only
 * libgearman's own calls, never the process's other sockets).
 *
 *   cc -O2 -shared -fPIC -o unpin_buffers.so unpin_buffers.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <sys/socket.h>

int setsockopt(int fd, int level, int name, const void *value, socklen_t length) {
  static int (*real)(int, int, int, const void *, socklen_t);
  if (level == SOL_SOCKET && (name == SO_SNDBUF || name == SO_RCVBUF)) return 0;
  if (real == NULL) *(void **)&real = dlsym(RTLD_NEXT, "setsockopt");
  return real(fd, level, name, value, length);
}
