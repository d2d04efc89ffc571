/* Builds include/sockets.c into an executable linked against fakegear.so and
   prints, as one JSON line, what the hook did to the stand-in's socket and to
   one of the program's own. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>

void *gearman_client_create(void *client);
int fakegear_open(void);
int fakegear_wait(int fd, int timeout);

#include "11-sockets.h"
#include "sockets.c"

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
  printf("{\"state\": %d, \"again\": %d, \"skipped\": %lu, \"before_sndbuf\": %d, \"sndbuf\": %d, \"rcvbuf\": %d, "
         "\"nodelay\": %d, \"own_sndbuf\": %d, \"poll_state\": %d, \"real\": %d, \"captured\": %d, "
         "\"count\": %d, \"fd_ok\": %d, \"events\": %d}\n",
         state, again, gearman_cffi_sockets_skipped(), option(before, SOL_SOCKET, SO_SNDBUF),
         option(theirs, SOL_SOCKET, SO_SNDBUF), option(theirs, SOL_SOCKET, SO_RCVBUF),
         option(theirs, IPPROTO_TCP, TCP_NODELAY), option(mine, SOL_SOCKET, SO_SNDBUF),
         poll_state, real, captured, count, fd[0] == pair[0], events[0]);
  return 0;
}
