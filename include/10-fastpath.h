/* gearman_cffi's own C helpers (include/fastpath.c), not libgearman API: they
   keep the per-job work of the Pythonic layer to one or two C calls, and a
   batch of add_task_background calls to one (cffi releases the GIL around
   every C call, and with several threads each release hands the GIL over).

   A slot is one background task as the Python Task sees it: the submission
   (function name, workload, priority, an explicit unique; filled by Python for
   gearman_cffi_add_tasks, by gearman_cffi_do_background itself), which one
   shared path adds to a C client with the slot as the C task's context, again
   after a reset.  The unique sent is copied in when the task is added; the job
   handle, return code and status when the task finishes (libgearman then
   frees the C task itself: GEARMAN_CLIENT_FREE_TASKS, set only inside
   gearman_cffi_run_tasks). */
typedef struct {
  void *handle;      /* ffi.new_handle(Task) when the task has callbacks */
  const char *function_name;
  const char *workload;
  size_t workload_size;
  gearman_job_priority_t priority;
  char unique[64];   /* GEARMAN_MAX_UNIQUE_SIZE; empty: assign one when added */
  char job_handle[64]; /* GEARMAN_JOB_HANDLE_SIZE */
  gearman_return_t rc;
  uint32_t numerator;
  uint32_t denominator;
  bool is_known;
  bool is_running;
  bool added;        /* a C client has (or had) the task */
  bool released;     /* the C task is gone (freed by libgearman) */
  bool foreground;   /* a foreground job: done when it completes or fails, not when created */
  char *result;      /* foreground: the WORK_COMPLETE payload (malloc'd; gearman_cffi_slot_clear) */
  size_t result_size;
  char *exception;   /* foreground: the WORK_EXCEPTION payload (malloc'd) */
  size_t exception_size;
} gearman_cffi_slot;

/* Where auto-assigned uniques come from: a random UUID4 prefix drawn per
   client (and again after fork) plus a counter, in the 36-character UUID form. */
typedef struct {
  char prefix[24];
  uint64_t counter;
} gearman_cffi_uniques;

/* The state of one (possibly resumed) gearman_cffi_run_tasks.  A slice of 0
   never waits: when libgearman would wait, the poll hook (include/sockets.c)
   captures what it would wait on into wait_*, and the call returns
   GEARMAN_IO_WAIT at once (an event loop watches those descriptors, then
   calls again).  wait_count: descriptors captured; 0 after any other return;
   -1: unknown (no hook, or still busy): call again soon. */
#define GEARMAN_CFFI_WAIT_MAX 8
typedef struct {
  int64_t idle_since_ms; /* 0 starts a new run (and zeroes the counts) */
  uint32_t created;      /* tasks released with a job handle */
  uint32_t failed;       /* tasks released without one */
  int wait_count;
  int wait_fd[8];        /* GEARMAN_CFFI_WAIT_MAX */
  short wait_events[8];  /* POLLIN / POLLOUT, as libgearman asked */
  int wait_ms;           /* ms left before the client's timeout (-1: none) */
} gearman_cffi_run;

/* Add slots[0..count) in order; returns how many were added (on a failure,
   *ret_ptr says why). */
size_t gearman_cffi_add_tasks(gearman_client_st *client, gearman_cffi_slot **slots, size_t count,
                              gearman_cffi_uniques *uniques, gearman_return_t *ret_ptr);
gearman_return_t gearman_cffi_run_tasks(gearman_client_st *client, int slice_ms, gearman_cffi_run *run);
/* Describe the submission in the slot (unique NULL: an auto one) and add it,
   then run the first slice of gearman_cffi_run_tasks (which the caller resumes
   while it returns GEARMAN_IO_WAIT): one C call per job.  GEARMAN_SUCCESS means
   the job is done with (created; a foreground one finished): a run that ended
   without that returns GEARMAN_UNKNOWN_STATE.  run->idle_since_ms
   still 0 on return: the task could not be added. */
gearman_return_t gearman_cffi_submit(gearman_client_st *client, gearman_job_priority_t priority, bool foreground,
                                     const char *function_name, const char *unique,
                                     const char *workload, size_t workload_size,
                                     gearman_cffi_slot *slot, gearman_cffi_uniques *uniques,
                                     int slice_ms, gearman_cffi_run *run);
/* What gearman_cffi_background needs besides the job: one per server (Lane),
   its pointers kept up to date by the Lane, so the hot call takes few arguments. */
typedef struct {
  gearman_cffi_slot *slot;        /* reused while jobs finish in one slice */
  gearman_cffi_uniques *uniques;
  gearman_cffi_run *run;
  int slice_ms;
} gearman_cffi_hot;
/* gearman_cffi_submit of a background job with hot's slot, uniques and run. */
gearman_return_t gearman_cffi_background(gearman_client_st *client, gearman_cffi_hot *hot,
                                         gearman_job_priority_t priority, const char *function_name,
                                         const char *unique, const char *workload, size_t workload_size);
void gearman_cffi_refresh(gearman_task_st *task);
/* Point every task event of the C client at the binding's C handlers: they keep a
   foreground task's WORK_COMPLETE / WORK_EXCEPTION payload in its slot, and call the
   Python trampolines (callbacks.py) for tasks that have Python callbacks. */
void gearman_cffi_install_events(gearman_client_st *client);
/* Free what a slot holds (its result and exception payloads). */
void gearman_cffi_slot_clear(gearman_cffi_slot *slot);
