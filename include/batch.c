/* gearman_cffi's batch helpers (declared for cffi in include/06-batch.h).

   Without GEARMAN_CLIENT_FREE_TASKS, libgearman 1.1.20 walks its whole task
   list for every JOB_CREATED packet, finished tasks included, so a batch of
   1000 costs ~2 us a task in list walks alone.  With it, libgearman frees a
   background task as soon as its job is created; gearman_cffi_task_released
   (the client's task_context_free_fn) first copies the outcome into the task's
   context, a gearman_cffi_slot owned by the Python Task.  Only created (or
   otherwise finished) tasks are freed this way: unsent ones never are. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef struct {
  char job_handle[GEARMAN_JOB_HANDLE_SIZE];
  gearman_return_t rc;
  uint32_t numerator;
  uint32_t denominator;
  bool is_known;
  bool is_running;
  bool released;
} gearman_cffi_slot;

static void gearman_cffi_task_released(gearman_task_st *task, void *context)
{
  gearman_cffi_slot *slot = (gearman_cffi_slot *)context;
  const char *handle = gearman_task_job_handle(task);
  size_t length = handle ? strnlen(handle, GEARMAN_JOB_HANDLE_SIZE - 1) : 0;
  memcpy(slot->job_handle, handle, length);
  slot->job_handle[length] = '\0';
  slot->rc = gearman_task_return(task);
  slot->numerator = gearman_task_numerator(task);
  slot->denominator = gearman_task_denominator(task);
  slot->is_known = gearman_task_is_known(task);
  slot->is_running = gearman_task_is_running(task);
  slot->released = true;
}

/* Free finished tasks at once and report them to their slots. */
void gearman_cffi_watch_tasks(gearman_client_st *client)
{
  gearman_client_add_options(client, GEARMAN_CLIENT_FREE_TASKS);
  gearman_client_set_task_context_free_fn(client, gearman_cffi_task_released);
}

/* Before gearman_client_free: the tasks it frees are not reported (their slots
   may be gone, and their Tasks are re-added elsewhere or dropped). */
void gearman_cffi_unwatch_tasks(gearman_client_st *client)
{
  gearman_client_set_task_context_free_fn(client, NULL);
}

/* After run_tasks, for each pending task's slot:
     state[i] = 0  not released: the C task is alive and still pending;
     state[i] = 1  released with the usual outcome of a created background job
                   (handle set, SUCCESS, known, not running, 0/0): the handle is
                   appended to `handles`, NUL-separated, in slot order;
     state[i] = 2  released any other way: Python reads the slot itself.
   `handles` holds count * GEARMAN_JOB_HANDLE_SIZE bytes; returns the bytes used. */
size_t gearman_cffi_collect(gearman_cffi_slot **slots, size_t count, char *handles, unsigned char *state)
{
  size_t used = 0;
  for (size_t i = 0; i < count; i++) {
    const gearman_cffi_slot *slot = slots[i];
    if (!slot->released) {
      state[i] = 0;
    } else if (slot->job_handle[0] == '\0' || slot->rc != GEARMAN_SUCCESS || !slot->is_known || slot->is_running ||
               slot->numerator != 0 || slot->denominator != 0) {
      state[i] = 2;
    } else {
      size_t length = strlen(slot->job_handle);
      memcpy(handles + used, slot->job_handle, length + 1);
      used += length + 1;
      state[i] = 1;
    }
  }
  return used;
}
