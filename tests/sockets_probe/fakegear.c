/* A stand-in for libgearman in tests/test_sockets_elf.py: a shared object
   that defines gearman_client_create (how the hook finds "libgearman") and
   opens a socket the way libgearman's set_socket_options does. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

void *gearman_client_create(void *client) { return client; }

/* A wait the way libgearman's gearman_wait makes it: one poll() on its socket. */
int fakegear_wait(int fd, int timeout)
{
  struct pollfd pfd = {fd, POLLIN, 0};
  return poll(&pfd, 1, timeout);
}

int fakegear_open(void)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
#ifdef NO_SETSOCKOPT  /* a library the hook cannot find an import in */
  return fd;
#endif
  int size = 32768, one = 1;
  if (fd < 0 || setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) != 0)
    return -1;
  return fd;
}
