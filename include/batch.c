/* gearman_cffi's batch helper (declared for cffi in include/06-batch.h).

   gearman_cffi_settle() looks at each task of a batch once run_tasks() returned:
     state[i] = 0  job not created yet: the task stays pending, untouched;
     state[i] = 1  created with the usual outcome (GEARMAN_SUCCESS, known, not
                   running, 0/0): its job handle is appended to `handles`
                   (NUL-separated, in task order) and the C task is freed;
     state[i] = 2  created with any other outcome: left for Python to read and free.
   `handles` must hold count * GEARMAN_JOB_HANDLE_SIZE bytes; returns the bytes used.
   Freeing only created tasks keeps the core's rule (an unsent task is never freed). */
#include <string.h>

size_t gearman_cffi_settle(gearman_task_st **tasks, size_t count, char *handles, unsigned char *state)
{
  size_t used = 0;
  for (size_t i = 0; i < count; i++) {
    gearman_task_st *task = tasks[i];
    const char *handle = gearman_task_job_handle(task);
    if (handle == NULL || handle[0] == '\0') {
      state[i] = 0;
      continue;
    }
    if (gearman_task_return(task) != GEARMAN_SUCCESS || !gearman_task_is_known(task) ||
        gearman_task_is_running(task) || gearman_task_numerator(task) != 0 ||
        gearman_task_denominator(task) != 0) {
      state[i] = 2;
      continue;
    }
    size_t length = strnlen(handle, GEARMAN_JOB_HANDLE_SIZE - 1);
    memcpy(handles + used, handle, length);
    used += length;
    handles[used++] = '\0';
    gearman_task_free(task);
    state[i] = 1;
  }
  return used;
}
