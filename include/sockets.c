/* gearman_cffi's socket-buffer hook, declared for cffi in include/11-sockets.h.

   Why: libgearman's set_socket_options() calls setsockopt(SO_SNDBUF, 32768)
   and setsockopt(SO_RCVBUF, 32768) on every socket before connect().  A fixed
   SO_SNDBUF turns Linux's send-buffer autotuning off for that socket, so a
   256 KiB or 1 MiB packet goes out 64 KiB (the kernel doubles the value) at a
   time, each window waiting ~40 ms in poll(POLLOUT) for the peer's delayed ACK.
   libgearman has no option or API for it and does not expose its descriptors.

   How: the one place to act on exactly libgearman's sockets, in the binding's
   own code, is libgearman's import of setsockopt.  Its calls go through its
   GOT (a JUMP_SLOT relocation, or GLOB_DAT when built with -fno-plt); we find
   libgearman among the loaded objects with dl_iterate_phdr (the object whose
   PT_LOAD segments hold gearman_client_create, whatever its file is called:
   the wheel bundles a renamed copy), walk its dynamic relocations for
   setsockopt and store the wrapper's address in those slots, lifting RELRO's
   read-only protection around the write.  The wrapper drops SO_SNDBUF and
   SO_RCVBUF (the kernel then autotunes both, as for any socket that does not
   set them) and passes every other option (TCP_NODELAY, SO_LINGER,
   SO_KEEPALIVE ...) to the real setsockopt.  Nothing else in the process
   calls through libgearman's GOT, so no other socket is touched; a process
   that never imports gearman_cffi is unaffected.  If anything is not as
   expected, nothing is changed and the state says why. */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

static int gearman_cffi_sockets_result;
static int gearman_cffi_poll_result;

/* What the poll hook does in this thread instead of the real poll(); see
   gearman_cffi_poll below.  One thread-local pointer, NULL unless a mode is
   on, so libgearman's every other poll() costs one load and one branch. */
typedef struct {
  int *count;      /* capture: where to copy what libgearman waits for (NULL: not capturing) */
  int *fd;
  short *events;
  int max;
  int slice_ms;    /* > 0: wait in slices of this, calling Python in between */
} gearman_cffi_poll_mode_st;
static __thread gearman_cffi_poll_mode_st gearman_cffi_poll_settings;
static __thread gearman_cffi_poll_mode_st *gearman_cffi_poll_mode;

static void gearman_cffi_poll_mode_update(void)
{
  gearman_cffi_poll_mode_st *m = &gearman_cffi_poll_settings;
  gearman_cffi_poll_mode = (m->count != NULL || m->slice_ms > 0) ? m : NULL;
}

/* Turn capturing on (count != NULL: up to max descriptors) or off, in this thread. */
static __attribute__((unused)) void gearman_cffi_poll_capture(int *count, int *fd, short *events, int max)
{
  gearman_cffi_poll_settings.fd = fd;
  gearman_cffi_poll_settings.events = events;
  gearman_cffi_poll_settings.max = max;
  gearman_cffi_poll_settings.count = count;
  gearman_cffi_poll_mode_update();
}

int gearman_cffi_poll_slices(int slice_ms)
{
  int previous = gearman_cffi_poll_settings.slice_ms;
  gearman_cffi_poll_settings.slice_ms = slice_ms > 0 ? slice_ms : 0;
  gearman_cffi_poll_mode_update();
  return previous;
}
static unsigned long gearman_cffi_sockets_dropped;

int gearman_cffi_sockets_state(void)
{
  return gearman_cffi_sockets_result;
}

int gearman_cffi_poll_state(void)
{
  return gearman_cffi_poll_result;
}

unsigned long gearman_cffi_sockets_skipped(void)
{
  return __atomic_load_n(&gearman_cffi_sockets_dropped, __ATOMIC_RELAXED);
}

#if defined(__linux__) && defined(__ELF__) && (defined(__x86_64__) || defined(__aarch64__) || defined(__i386__))
#include <elf.h>
#include <errno.h>
#include <time.h>
#include <link.h>
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__)
#define GEARMAN_CFFI_R_JUMP_SLOT R_X86_64_JUMP_SLOT
#define GEARMAN_CFFI_R_GLOB_DAT R_X86_64_GLOB_DAT
#elif defined(__aarch64__)
#define GEARMAN_CFFI_R_JUMP_SLOT R_AARCH64_JUMP_SLOT
#define GEARMAN_CFFI_R_GLOB_DAT R_AARCH64_GLOB_DAT
#else
#define GEARMAN_CFFI_R_JUMP_SLOT R_386_JMP_SLOT
#define GEARMAN_CFFI_R_GLOB_DAT R_386_GLOB_DAT
#endif

#if UINTPTR_MAX > 0xffffffffu
#define GEARMAN_CFFI_R_SYM(info) ELF64_R_SYM(info)
#define GEARMAN_CFFI_R_TYPE(info) ELF64_R_TYPE(info)
#else
#define GEARMAN_CFFI_R_SYM(info) ELF32_R_SYM(info)
#define GEARMAN_CFFI_R_TYPE(info) ELF32_R_TYPE(info)
#endif

static int gearman_cffi_setsockopt(int fd, int level, int name, const void *value, socklen_t length)
{
  if (level == SOL_SOCKET && (name == SO_SNDBUF || name == SO_RCVBUF)) {
    __atomic_add_fetch(&gearman_cffi_sockets_dropped, 1, __ATOMIC_RELAXED);
    return 0;
  }
  return setsockopt(fd, level, name, value, length);
}

/* cffi defines the extern "Python" function after this code
   (gearman_cffi/_wait.py): non-zero stops the wait. */
static int _gearman_cffi_between_slices(void);

static int64_t gearman_cffi_poll_now_ms(void)
{
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* The "between slices" mode: libgearman's one poll() of up to timeout ms
   (-1: none) becomes polls of at most slice_ms, with Python called after each
   empty one and after a signal (EINTR, which libgearman would retry for ever):
   Python runs its signal handlers and checks close() there.  If it says stop,
   poll() fails with ECANCELED, which libgearman reports as an error. */
static int gearman_cffi_poll_sliced(struct pollfd *fds, nfds_t count, int timeout, int slice_ms)
{
  int64_t end = timeout < 0 ? -1 : gearman_cffi_poll_now_ms() + timeout;
  for (;;) {
    int wait_ms = slice_ms;
    if (end >= 0) {
      int64_t left = end - gearman_cffi_poll_now_ms();
      if (left < wait_ms)
        wait_ms = left < 0 ? 0 : (int)left;
    }
    int ready = poll(fds, count, wait_ms);
    if (ready > 0 || (ready < 0 && errno != EINTR))
      return ready;
    if (ready == 0 && end >= 0 && gearman_cffi_poll_now_ms() >= end)
      return 0;  /* libgearman's own timeout */
    if (_gearman_cffi_between_slices() != 0) {
      errno = ECANCELED;
      return -1;
    }
  }
}

/* The poll hook: libgearman's every wait is one poll() in gearman_wait()
   (libgearman/universal.cc), which returns GEARMAN_TIMEOUT when poll() returns
   0, leaving the run resumable.  While gearman_cffi_run_tasks runs a slice of
   0 in this thread (gearman_cffi_poll_capture), the wrapper polls without
   waiting and, if nothing is ready, copies the descriptors and events asked
   for into the run and returns 0: the event loop waits for them instead.
   (A count over the maximum is left alone: the caller's "unknown".)
   While a one-shot call that loops inside libgearman runs in this thread
   (gearman_cffi_poll_slices), it waits in slices (above).  Otherwise (any
   other thread or call: the sliced runs, the worker) it is the real poll(). */
static int gearman_cffi_poll(struct pollfd *fds, nfds_t count, int timeout)
{
  gearman_cffi_poll_mode_st *mode = gearman_cffi_poll_mode;
  if (mode == NULL)
    return poll(fds, count, timeout);
  if (mode->count == NULL)
    return gearman_cffi_poll_sliced(fds, count, timeout, mode->slice_ms);
  int ready = poll(fds, count, 0);
  if (ready != 0 || count > (nfds_t)mode->max)
    return ready;
  for (nfds_t i = 0; i < count; i++) {
    mode->fd[i] = fds[i].fd;
    mode->events[i] = fds[i].events;
  }
  *mode->count = (int)count;
  return 0;
}

/* What one dl_iterate_phdr pass looks for and finds. */
typedef struct {
  uintptr_t inside;   /* an address in libgearman's code */
  uintptr_t own;      /* an address in this module's code */
  const char *symbol; /* the import to redirect */
  uintptr_t wrapper;  /* to this function */
  int found;          /* libgearman's object was seen */
  int result;         /* slots redirected, or a GEARMAN_CFFI_SOCKETS_* code */
} gearman_cffi_search;

static int gearman_cffi_holds(const struct dl_phdr_info *info, uintptr_t address)
{
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uintptr_t start = info->dlpi_addr + ph->p_vaddr;
    if (ph->p_type == PT_LOAD && address >= start && address - start < ph->p_memsz)
      return 1;
  }
  return 0;
}

/* glibc stores relocated addresses in .dynamic, musl leaves link-time ones. */
static uintptr_t gearman_cffi_dyn_addr(const struct dl_phdr_info *info, uintptr_t value)
{
  return value < info->dlpi_addr ? value + info->dlpi_addr : value;
}

/* Point one GOT slot at the wrapper; under RELRO (the pages ld.so made
   read-only after relocating) open the page for the write and close it again. */
static int gearman_cffi_patch(uintptr_t slot, uintptr_t wrapper, uintptr_t relro_start, uintptr_t relro_end)
{
  uintptr_t page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t page = slot & ~(page_size - 1);
  int protected_page = slot >= relro_start && slot < relro_end;
  if (protected_page && mprotect((void *)page, page_size, PROT_READ | PROT_WRITE) != 0)
    return GEARMAN_CFFI_SOCKETS_PROTECT;
  __atomic_store_n((uintptr_t *)slot, wrapper, __ATOMIC_SEQ_CST);
  if (protected_page)
    mprotect((void *)page, page_size, PROT_READ);
  return 1;
}

static int gearman_cffi_redirect(const struct dl_phdr_info *info, const char *symbol, uintptr_t wrapper)
{
  const ElfW(Dyn) *dynamic = NULL;
  uintptr_t relro_start = 0, relro_end = 0;
  uintptr_t page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type == PT_DYNAMIC)
      dynamic = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr);
    else if (ph->p_type == PT_GNU_RELRO) {
      /* ld.so protects whole pages only: [start rounded down, end rounded down) */
      relro_start = (info->dlpi_addr + ph->p_vaddr) & ~(page_size - 1);
      relro_end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz) & ~(page_size - 1);
    }
  }
  if (dynamic == NULL)
    return GEARMAN_CFFI_SOCKETS_NO_IMPORT;

  const ElfW(Sym) *symbols = NULL;
  const char *names = NULL;
  size_t names_size = 0;
  uintptr_t tables[2] = {0, 0};  /* DT_JMPREL, then DT_RELA or DT_REL */
  size_t sizes[2] = {0, 0};
  int plt_uses_rela = 1, rela = 0, rel = 0;
  for (const ElfW(Dyn) *d = dynamic; d->d_tag != DT_NULL; d++) {
    switch (d->d_tag) {
    case DT_SYMTAB: symbols = (const ElfW(Sym) *)gearman_cffi_dyn_addr(info, d->d_un.d_ptr); break;
    case DT_STRTAB: names = (const char *)gearman_cffi_dyn_addr(info, d->d_un.d_ptr); break;
    case DT_STRSZ: names_size = d->d_un.d_val; break;
    case DT_JMPREL: tables[0] = gearman_cffi_dyn_addr(info, d->d_un.d_ptr); break;
    case DT_PLTRELSZ: sizes[0] = d->d_un.d_val; break;
    case DT_PLTREL: plt_uses_rela = d->d_un.d_val == DT_RELA; break;
    case DT_RELA: tables[1] = gearman_cffi_dyn_addr(info, d->d_un.d_ptr); rela = 1; break;
    case DT_RELASZ: sizes[1] = d->d_un.d_val; break;
    case DT_REL: tables[1] = gearman_cffi_dyn_addr(info, d->d_un.d_ptr); rel = 1; break;
    case DT_RELSZ: sizes[1] = d->d_un.d_val; break;
    default: break;
    }
  }
  if (symbols == NULL || names == NULL || (rela && rel))
    return GEARMAN_CFFI_SOCKETS_NO_IMPORT;

  int patched = 0;
  for (int t = 0; t < 2; t++) {
    int uses_rela = t == 0 ? plt_uses_rela : rela;
    size_t entry = uses_rela ? sizeof(ElfW(Rela)) : sizeof(ElfW(Rel));
    for (size_t at = 0; tables[t] != 0 && at + entry <= sizes[t]; at += entry) {
      /* Rela starts with Rel's two fields: r_offset, r_info */
      const ElfW(Rel) *r = (const ElfW(Rel) *)(tables[t] + at);
      unsigned long type = GEARMAN_CFFI_R_TYPE(r->r_info);
      if (type != GEARMAN_CFFI_R_JUMP_SLOT && type != GEARMAN_CFFI_R_GLOB_DAT)
        continue;
      size_t name = symbols[GEARMAN_CFFI_R_SYM(r->r_info)].st_name;
      if (name >= names_size || strcmp(names + name, symbol) != 0)
        continue;
      int rc = gearman_cffi_patch(info->dlpi_addr + r->r_offset, wrapper, relro_start, relro_end);
      if (rc < 0)
        return patched > 0 ? patched : rc;
      patched++;
    }
  }
  return patched > 0 ? patched : GEARMAN_CFFI_SOCKETS_NO_IMPORT;
}

static int gearman_cffi_visit(struct dl_phdr_info *info, size_t size, void *data)
{
  gearman_cffi_search *search = (gearman_cffi_search *)data;
  (void)size;
  if (!gearman_cffi_holds(info, search->inside))
    return 0;
  search->found = 1;
  if (gearman_cffi_holds(info, search->own))
    search->result = GEARMAN_CFFI_SOCKETS_STATIC;  /* its calls are ours: leave them */
  else
    search->result = gearman_cffi_redirect(info, search->symbol, search->wrapper);
  return 1;
}

/* Redirect libgearman's import of symbol to wrapper, once; *result keeps the outcome. */
static int gearman_cffi_install(int *result, const char *symbol, uintptr_t wrapper)
{
  if (*result != 0)
    return *result;
  gearman_cffi_search search = {(uintptr_t)&gearman_client_create, wrapper, symbol, wrapper, 0,
                                GEARMAN_CFFI_SOCKETS_NO_LIBRARY};
  dl_iterate_phdr(gearman_cffi_visit, &search);
  *result = search.result;
  return *result;
}

int gearman_cffi_sockets_install(void)
{
  return gearman_cffi_install(&gearman_cffi_sockets_result, "setsockopt", (uintptr_t)&gearman_cffi_setsockopt);
}

int gearman_cffi_poll_install(void)
{
  return gearman_cffi_install(&gearman_cffi_poll_result, "poll", (uintptr_t)&gearman_cffi_poll);
}

#else  /* not ELF on a known architecture (macOS, ...): libgearman keeps its buffers */

int gearman_cffi_sockets_install(void)
{
  gearman_cffi_sockets_result = GEARMAN_CFFI_SOCKETS_UNSUPPORTED;
  return gearman_cffi_sockets_result;
}

int gearman_cffi_poll_install(void)
{
  gearman_cffi_poll_result = GEARMAN_CFFI_SOCKETS_UNSUPPORTED;
  return gearman_cffi_poll_result;
}

#endif
