/* gearman_cffi's C helpers, declared for cffi in include/10-fastpath.h. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The Python trampolines (cffi extern "Python", defined in callbacks.py). */
static gearman_return_t _gearman_cffi_created(gearman_task_st *);
static gearman_return_t _gearman_cffi_data(gearman_task_st *);
static gearman_return_t _gearman_cffi_warning(gearman_task_st *);
static gearman_return_t _gearman_cffi_status(gearman_task_st *);
static gearman_return_t _gearman_cffi_complete(gearman_task_st *);
static gearman_return_t _gearman_cffi_exception(gearman_task_st *);
static gearman_return_t _gearman_cffi_fail(gearman_task_st *);

static int64_t gearman_cffi_now_ms(void)
{
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void gearman_cffi_copy(char *destination, const char *source, size_t size)
{
  size_t length = source ? strnlen(source, size - 1) : 0;
  memcpy(destination, source, length);
  destination[length] = '\0';
}

/* Copy what the C task knows into its slot. */
static void gearman_cffi_fill(gearman_cffi_slot *slot, const gearman_task_st *task)
{
  gearman_cffi_copy(slot->job_handle, gearman_task_job_handle(task), sizeof slot->job_handle);
  slot->rc = gearman_task_return(task);
  slot->numerator = gearman_task_numerator(task);
  slot->denominator = gearman_task_denominator(task);
  slot->is_known = gearman_task_is_known(task);
  slot->is_running = gearman_task_is_running(task);
}

void gearman_cffi_refresh(gearman_task_st *task)
{
  gearman_cffi_slot *slot = (gearman_cffi_slot *)gearman_task_context(task);
  if (slot != NULL)
    gearman_cffi_fill(slot, task);
}

/* The run in progress in this thread (a C client is used by one thread at a time). */
static __thread gearman_cffi_run *gearman_cffi_current_run;

/* task_context_free_fn, installed only while gearman_cffi_run_tasks runs:
   libgearman is about to free a finished task. */
static void gearman_cffi_released(gearman_task_st *task, void *context)
{
  gearman_cffi_slot *slot = (gearman_cffi_slot *)context;
  if (slot == NULL)
    return;
  gearman_cffi_fill(slot, task);
  gearman_cffi_run *run = gearman_cffi_current_run;
  if (run != NULL) {
    if (slot->job_handle[0] != '\0')
      run->created++;
    else
      run->failed++;
  }
  __atomic_store_n(&slot->released, true, __ATOMIC_RELEASE);
}

void gearman_cffi_slot_clear(gearman_cffi_slot *slot)
{
  free(slot->result);
  free(slot->exception);
  slot->result = slot->exception = NULL;
  slot->result_size = slot->exception_size = 0;
}

/* Keep a copy of the packet's payload the task holds now. */
static gearman_return_t gearman_cffi_keep(const gearman_task_st *task, char **data, size_t *size)
{
  size_t length = gearman_task_data_size(task);
  free(*data);
  *data = NULL;
  *size = 0;
  if (length == 0)
    return GEARMAN_SUCCESS;
  *data = malloc(length);
  if (*data == NULL)
    return GEARMAN_MEMORY_ALLOCATION_FAILURE;
  memcpy(*data, gearman_task_data(task), length);
  *size = length;
  return GEARMAN_SUCCESS;
}

static gearman_cffi_slot *gearman_cffi_slot_of(gearman_task_st *task)
{
  return (gearman_cffi_slot *)gearman_task_context(task);
}

/* An event of a task in flight: a foreground task's slot follows it (job handle,
   status), then the Python callbacks run if the task has any. */
#define GEARMAN_CFFI_FORWARD(event)                                             \
  static gearman_return_t gearman_cffi_on_##event(gearman_task_st *task)        \
  {                                                                             \
    gearman_cffi_slot *slot = gearman_cffi_slot_of(task);                       \
    if (slot == NULL)                                                           \
      return GEARMAN_SUCCESS;                                                   \
    if (slot->foreground)                                                       \
      gearman_cffi_fill(slot, task);                                            \
    return slot->handle ? _gearman_cffi_##event(task) : GEARMAN_SUCCESS;        \
  }
GEARMAN_CFFI_FORWARD(created)
GEARMAN_CFFI_FORWARD(data)
GEARMAN_CFFI_FORWARD(warning)
GEARMAN_CFFI_FORWARD(status)
GEARMAN_CFFI_FORWARD(fail)

static gearman_return_t gearman_cffi_on_complete(gearman_task_st *task)
{
  gearman_cffi_slot *slot = gearman_cffi_slot_of(task);
  if (slot == NULL)
    return GEARMAN_SUCCESS;
  if (slot->foreground) {
    gearman_return_t rc = gearman_cffi_keep(task, &slot->result, &slot->result_size);
    if (rc != GEARMAN_SUCCESS)
      return rc;
  }
  return slot->handle ? _gearman_cffi_complete(task) : GEARMAN_SUCCESS;
}

static gearman_return_t gearman_cffi_on_exception(gearman_task_st *task)
{
  gearman_cffi_slot *slot = gearman_cffi_slot_of(task);
  if (slot == NULL)
    return GEARMAN_SUCCESS;
  if (slot->foreground) {
    gearman_return_t rc = gearman_cffi_keep(task, &slot->exception, &slot->exception_size);
    if (rc != GEARMAN_SUCCESS)
      return rc;
  }
  return slot->handle ? _gearman_cffi_exception(task) : GEARMAN_SUCCESS;
}

void gearman_cffi_install_events(gearman_client_st *client)
{
  gearman_client_set_created_fn(client, gearman_cffi_on_created);
  gearman_client_set_data_fn(client, gearman_cffi_on_data);
  gearman_client_set_warning_fn(client, gearman_cffi_on_warning);
  gearman_client_set_status_fn(client, gearman_cffi_on_status);
  gearman_client_set_complete_fn(client, gearman_cffi_on_complete);
  gearman_client_set_exception_fn(client, gearman_cffi_on_exception);
  gearman_client_set_fail_fn(client, gearman_cffi_on_fail);
}

static void gearman_cffi_auto_unique(gearman_cffi_uniques *uniques, char *out)
{
  static const char hex[] = "0123456789abcdef";
  uint64_t n = uniques->counter++;
  memcpy(out, uniques->prefix, sizeof uniques->prefix);
  for (int i = 35; i >= 24; i--, n >>= 4)
    out[i] = hex[n & 15];
  out[36] = '\0';
}

/* Add the submission the slot describes, with the slot as the C task's context;
   an empty slot->unique gets an auto unique. */
static gearman_task_st *gearman_cffi_add_slot(gearman_client_st *client, gearman_cffi_slot *slot,
                                              gearman_cffi_uniques *uniques, gearman_return_t *ret_ptr)
{
  gearman_task_st *task;
  if (slot->unique[0] == '\0')
    gearman_cffi_auto_unique(uniques, slot->unique);
  slot->job_handle[0] = '\0';
  slot->rc = GEARMAN_UNKNOWN_STATE;
  slot->numerator = slot->denominator = 0;
  slot->is_known = slot->is_running = slot->released = false;
  slot->added = false;
  if (slot->result != NULL || slot->exception != NULL) /* a retried foreground task */
    gearman_cffi_slot_clear(slot);
  if (slot->foreground) {
    switch (slot->priority) {
    case GEARMAN_JOB_PRIORITY_HIGH:
      task = gearman_client_add_task_high(client, NULL, slot, slot->function_name, slot->unique,
                                          slot->workload, slot->workload_size, ret_ptr);
      break;
    case GEARMAN_JOB_PRIORITY_LOW:
      task = gearman_client_add_task_low(client, NULL, slot, slot->function_name, slot->unique,
                                         slot->workload, slot->workload_size, ret_ptr);
      break;
    default:
      task = gearman_client_add_task(client, NULL, slot, slot->function_name, slot->unique,
                                     slot->workload, slot->workload_size, ret_ptr);
    }
  } else switch (slot->priority) {
  case GEARMAN_JOB_PRIORITY_HIGH:
    task = gearman_client_add_task_high_background(client, NULL, slot, slot->function_name, slot->unique,
                                                   slot->workload, slot->workload_size, ret_ptr);
    break;
  case GEARMAN_JOB_PRIORITY_LOW:
    task = gearman_client_add_task_low_background(client, NULL, slot, slot->function_name, slot->unique,
                                                  slot->workload, slot->workload_size, ret_ptr);
    break;
  default:
    task = gearman_client_add_task_background(client, NULL, slot, slot->function_name, slot->unique,
                                              slot->workload, slot->workload_size, ret_ptr);
  }
  if (task != NULL) {
    /* as libgearman keeps it ("#": a hash of the workload) */
    gearman_cffi_copy(slot->unique, gearman_task_unique(task), sizeof slot->unique);
    slot->added = true;
  }
  return task;
}

size_t gearman_cffi_add_tasks(gearman_client_st *client, gearman_cffi_slot **slots, size_t count,
                              gearman_cffi_uniques *uniques, gearman_return_t *ret_ptr)
{
  *ret_ptr = GEARMAN_SUCCESS;
  for (size_t i = 0; i < count; i++)
    if (gearman_cffi_add_slot(client, slots[i], uniques, ret_ptr) == NULL)
      return i;
  return count;
}

/* The poll hook's switch (include/sockets.c, compiled after this file). */
static void gearman_cffi_poll_capture(int *count, int *fd, short *events, int max);

/* gearman_client_run_tasks, waiting at most slice_ms before returning
   GEARMAN_IO_WAIT ("call again": Python handles signals in between).  Non-blocking
   mode plus gearman_client_wait with a short timeout: libgearman retries poll()
   on EINTR, so one blocking run_tasks never returns for a signal.  The client's
   own timeout bounds the time without network activity, across calls.
   slice_ms 0: never wait; libgearman's poll() becomes a poll(0) whose
   descriptors are captured into run->wait_* when none is ready (see 10-fastpath.h). */
gearman_return_t gearman_cffi_run_tasks(gearman_client_st *client, int slice_ms, gearman_cffi_run *run)
{
  int timeout_ms = gearman_client_timeout(client);
  int64_t now = gearman_cffi_now_ms();
  int64_t slice_end = now + slice_ms;
  bool capture = slice_ms == 0;
  gearman_return_t rc;
  if (run->idle_since_ms == 0) {
    run->idle_since_ms = now;
    run->created = run->failed = 0;
  }
  run->wait_count = 0;
  gearman_cffi_current_run = run;
  gearman_client_set_task_context_free_fn(client, gearman_cffi_released);
  gearman_client_add_options(client, (gearman_client_options_t)(GEARMAN_CLIENT_NON_BLOCKING | GEARMAN_CLIENT_FREE_TASKS));
  for (int turns = 0;; turns++) {
    rc = gearman_client_run_tasks(client);
    if (rc != GEARMAN_IO_WAIT)
      break;
    now = gearman_cffi_now_ms();
    if (capture ? turns >= 64 : now >= slice_end) {
      run->wait_count = capture ? -1 : 0; /* (capture: ready again and again: call again soon) */
      break; /* GEARMAN_IO_WAIT: call again */
    }
    int64_t wait_ms = capture ? 1 : slice_end - now; /* capture: poll() must be called (timeout 0 skips it) */
    if (!capture && timeout_ms >= 0 && timeout_ms - (now - run->idle_since_ms) < wait_ms)
      wait_ms = timeout_ms - (now - run->idle_since_ms);
    gearman_client_set_timeout(client, wait_ms < 1 ? 1 : (int)wait_ms);
    if (capture) {
      run->wait_count = -1;  /* stays -1 if no hook sees the poll() */
      gearman_cffi_poll_capture(&run->wait_count, run->wait_fd, run->wait_events, GEARMAN_CFFI_WAIT_MAX);
    }
    rc = gearman_client_wait(client);
    if (capture)
      gearman_cffi_poll_capture(NULL, NULL, NULL, 0);
    gearman_client_set_timeout(client, timeout_ms);
    if (rc == GEARMAN_SUCCESS) {
      run->idle_since_ms = gearman_cffi_now_ms();
      run->wait_count = 0;
      continue;
    }
    if (rc != GEARMAN_TIMEOUT) {
      run->wait_count = 0;
      break;
    }
    now = gearman_cffi_now_ms();
    if (timeout_ms >= 0 && now - run->idle_since_ms >= timeout_ms) {
      run->wait_count = 0;
      break;
    }
    if (capture) {
      run->wait_ms = timeout_ms < 0 ? -1 : (int)(timeout_ms - (now - run->idle_since_ms));
      rc = GEARMAN_IO_WAIT;
      break;
    }
  }
  gearman_client_remove_options(client, (gearman_client_options_t)(GEARMAN_CLIENT_NON_BLOCKING | GEARMAN_CLIENT_FREE_TASKS));
  gearman_client_set_task_context_free_fn(client, NULL);
  gearman_cffi_current_run = NULL;
  return rc;
}

gearman_return_t gearman_cffi_submit(gearman_client_st *client, gearman_job_priority_t priority, bool foreground,
                                     const char *function_name, const char *unique,
                                     const char *workload, size_t workload_size,
                                     gearman_cffi_slot *slot, gearman_cffi_uniques *uniques,
                                     int slice_ms, gearman_cffi_run *run)
{
  gearman_return_t rc;
  run->idle_since_ms = 0;
  slot->priority = priority;
  slot->foreground = foreground;
  slot->function_name = function_name;
  slot->workload = workload;
  slot->workload_size = workload_size;
  if (unique == NULL)
    slot->unique[0] = '\0'; /* a reused slot: an auto unique again */
  else if (unique != slot->unique)
    gearman_cffi_copy(slot->unique, unique, sizeof slot->unique);
  if (gearman_cffi_add_slot(client, slot, uniques, &rc) == NULL)
    return rc;
  rc = gearman_cffi_run_tasks(client, slice_ms, run);
  /* SUCCESS only when the job is done with (created, or a foreground one finished),
     so the caller need not read the slot to know: else UNKNOWN_STATE */
  if (rc == GEARMAN_SUCCESS && !(slot->released && slot->job_handle[0] != '\0'))
    rc = GEARMAN_UNKNOWN_STATE;
  return rc;
}

gearman_return_t gearman_cffi_background(gearman_client_st *client, gearman_cffi_hot *hot,
                                         gearman_job_priority_t priority, const char *function_name,
                                         const char *unique, const char *workload, size_t workload_size)
{
  return gearman_cffi_submit(client, priority, false, function_name, unique, workload, workload_size,
                             hot->slot, hot->uniques, hot->slice_ms, hot->run);
}
