/* gearman_cffi's own helpers, compiled into the extension from include/batch.c.
   The batch client runs with GEARMAN_CLIENT_FREE_TASKS, so libgearman frees each
   background task as soon as the server created its job; just before that, a C
   callback copies what the task learned into the task's slot (its context). */
typedef struct {
  char job_handle[...];
  gearman_return_t rc;
  uint32_t numerator;
  uint32_t denominator;
  bool is_known;
  bool is_running;
  bool released;
  ...;
} gearman_cffi_slot;

void gearman_cffi_watch_tasks(gearman_client_st *client);
void gearman_cffi_unwatch_tasks(gearman_client_st *client);
size_t gearman_cffi_collect(gearman_cffi_slot **slots, size_t count, char *handles, unsigned char *state);
