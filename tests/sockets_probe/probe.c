/* Builds include/sockets.c into an executable linked against fakegear.so and
   prints, as one JSON line, what the hook did to the stand-in's socket and to
   one of the program's own. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

void *gearman_client_create(void *client);
int fakegear_open(void);
int fakegear_wait(int fd, int timeout);

#include "11-sockets.h"
#include "sockets.c"

/* The stand-in for the Python callback between slices: says stop at call stop_after. */
static int between_calls, stop_after = -1;
static int _gearman_cffi_between_slices(void)
{
  return ++between_calls == stop_after;
}

static int option(int fd, int level, int name)
{
  int value = -1;
  socklen_t size = sizeof value;
  getsockopt(fd, level, name, &value, &size);
  return value;
}

int main(void)
{
  int before = fakegear_open();  /* lazy binding: the slot may still point at the PLT */
  int state = gearman_cffi_sockets_install();
  int again = gearman_cffi_sockets_install();
  int theirs = fakegear_open();
  int mine = socket(AF_INET, SOCK_STREAM, 0), size = 32768;
  setsockopt(mine, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  /* the poll hook: off, the real poll (an unconnected socket: POLLHUP at once); on, captured */
  int poll_state = gearman_cffi_poll_install();
  int real = fakegear_wait(theirs, 1000);
  int count = -1, fd[8] = {0}, pair[2] = {-1, -1};
  short events[8] = {0};
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);  /* nothing to read: not ready */
  gearman_cffi_poll_capture(&count, fd, events, 8);
  int captured = fakegear_wait(pair[0], 1000);
  gearman_cffi_poll_capture(NULL, NULL, NULL, 0);
  /* between slices: a quiet 120 ms wait in slices of 20 ms calls back between them and
     ends at the timeout; told to stop, it fails with ECANCELED; ready, it returns at once */
  int was = gearman_cffi_poll_slices(20);
  int quiet = fakegear_wait(pair[0], 120);
  int calls = between_calls;
  stop_after = calls + 2;
  int stopped = fakegear_wait(pair[0], -1);
  int stop_errno = errno, stop_calls = between_calls - calls;
  write(pair[1], "x", 1);
  int ready = fakegear_wait(pair[0], -1);
  int back = gearman_cffi_poll_slices(was);
  printf("{\"was\": %d, \"quiet\": %d, \"calls\": %d, \"stopped\": %d, \"canceled\": %d, \"stop_calls\": %d, "
         "\"ready\": %d, \"back\": %d, ", was, quiet, calls, stopped, stop_errno == ECANCELED, stop_calls, ready, back);
  printf("\"state\": %d, \"again\": %d, \"skipped\": %lu, \"before_sndbuf\": %d, \"sndbuf\": %d, \"rcvbuf\": %d, "
         "\"nodelay\": %d, \"own_sndbuf\": %d, \"poll_state\": %d, \"real\": %d, \"captured\": %d, "
         "\"count\": %d, \"fd_ok\": %d, \"events\": %d}\n",
         state, again, gearman_cffi_sockets_skipped(), option(before, SOL_SOCKET, SO_SNDBUF),
         option(theirs, SOL_SOCKET, SO_SNDBUF), option(theirs, SOL_SOCKET, SO_RCVBUF),
         option(theirs, IPPROTO_TCP, TCP_NODELAY), option(mine, SOL_SOCKET, SO_SNDBUF),
         poll_state, real, captured, count, fd[0] == pair[0], events[0]);
  return 0;
}
