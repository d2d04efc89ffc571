/* The worker (worker.h, job.h, constants.h): lifetime, servers, options,
   functions, the work loop and the job a function runs.  Only symbols
   libgearman.so.8 exports (gearman_worker_set_ssl is declared but absent).
   gearman_worker_define_function takes a gearman_function_t by value with a
   const member, which cffi cannot build: the binding's helper below calls it. */
typedef struct gearman_worker_st gearman_worker_st;
typedef struct gearman_job_st gearman_job_st;

#define GEARMAN_WORKER_WAIT_TIMEOUT ...

typedef enum {
  GEARMAN_WORKER_ALLOCATED,
  GEARMAN_WORKER_NON_BLOCKING,
  GEARMAN_WORKER_PACKET_INIT,
  GEARMAN_WORKER_GRAB_JOB_IN_USE,
  GEARMAN_WORKER_PRE_SLEEP_IN_USE,
  GEARMAN_WORKER_WORK_JOB_IN_USE,
  GEARMAN_WORKER_CHANGE,
  GEARMAN_WORKER_GRAB_UNIQ,
  GEARMAN_WORKER_TIMEOUT_RETURN,
  GEARMAN_WORKER_GRAB_ALL,
  GEARMAN_WORKER_SSL,
  GEARMAN_WORKER_IDENTIFIER,
  GEARMAN_WORKER_MAX,
  ...
} gearman_worker_options_t;

/* v1: returns a malloc()ed result libgearman frees; v2: sends its own result. */
typedef void *(gearman_worker_fn)(gearman_job_st *job, void *context,
                                  size_t *result_size, gearman_return_t *ret_ptr);
typedef gearman_return_t (gearman_function_fn)(gearman_job_st *job, void *worker_context);

gearman_worker_st *gearman_worker_create(gearman_worker_st *worker);
gearman_worker_st *gearman_worker_clone(gearman_worker_st *worker, const gearman_worker_st *from);
void gearman_worker_free(gearman_worker_st *worker);
const char *gearman_worker_error(const gearman_worker_st *worker);
int gearman_worker_errno(gearman_worker_st *worker);

gearman_worker_options_t gearman_worker_options(const gearman_worker_st *worker);
void gearman_worker_set_options(gearman_worker_st *worker, gearman_worker_options_t options);
void gearman_worker_add_options(gearman_worker_st *worker, gearman_worker_options_t options);
void gearman_worker_remove_options(gearman_worker_st *worker, gearman_worker_options_t options);
int gearman_worker_timeout(gearman_worker_st *worker);
void gearman_worker_set_timeout(gearman_worker_st *worker, int timeout);
void *gearman_worker_context(const gearman_worker_st *worker);
void gearman_worker_set_context(gearman_worker_st *worker, void *context);
void gearman_worker_set_log_fn(gearman_worker_st *worker, gearman_log_fn *function,
                               void *context, gearman_verbose_t verbose);

gearman_return_t gearman_worker_add_server(gearman_worker_st *worker, const char *host, in_port_t port);
gearman_return_t gearman_worker_add_servers(gearman_worker_st *worker, const char *servers);
void gearman_worker_remove_servers(gearman_worker_st *worker);
gearman_return_t gearman_worker_wait(gearman_worker_st *worker);

gearman_return_t gearman_worker_register(gearman_worker_st *worker, const char *function_name,
                                         uint32_t timeout);
gearman_return_t gearman_worker_unregister(gearman_worker_st *worker, const char *function_name);
gearman_return_t gearman_worker_unregister_all(gearman_worker_st *worker);
bool gearman_worker_function_exist(gearman_worker_st *worker, const char *function_name,
                                   size_t function_length);
gearman_return_t gearman_worker_add_function(gearman_worker_st *worker, const char *function_name,
                                             uint32_t timeout, gearman_worker_fn *function, void *context);
gearman_job_st *gearman_worker_grab_job(gearman_worker_st *worker, gearman_job_st *job,
                                        gearman_return_t *ret_ptr);
void gearman_job_free_all(gearman_worker_st *worker);
gearman_return_t gearman_worker_work(gearman_worker_st *worker);
gearman_return_t gearman_worker_echo(gearman_worker_st *worker, const void *workload, size_t workload_size);
void gearman_worker_set_namespace(gearman_worker_st *self, const char *namespace_key, size_t namespace_key_size);
const char *gearman_worker_namespace(gearman_worker_st *self);
gearman_return_t gearman_worker_set_identifier(gearman_worker_st *worker, const char *id, size_t id_size);
bool gearman_worker_set_server_option(gearman_worker_st *self, const char *option_arg, size_t option_arg_size);

void gearman_job_free(gearman_job_st *job);
gearman_return_t gearman_job_send_data(gearman_job_st *job, const void *data, size_t data_size);
gearman_return_t gearman_job_send_warning(gearman_job_st *job, const void *warning, size_t warning_size);
gearman_return_t gearman_job_send_status(gearman_job_st *job, uint32_t numerator, uint32_t denominator);
gearman_return_t gearman_job_send_complete(gearman_job_st *job, const void *result, size_t result_size);
gearman_return_t gearman_job_send_exception(gearman_job_st *job, const void *exception, size_t exception_size);
gearman_return_t gearman_job_send_fail(gearman_job_st *job);
const char *gearman_job_handle(const gearman_job_st *job);
const char *gearman_job_function_name(const gearman_job_st *job);
const char *gearman_job_unique(const gearman_job_st *job);
const void *gearman_job_workload(const gearman_job_st *job);
size_t gearman_job_workload_size(const gearman_job_st *job);
const char *gearman_job_error(gearman_job_st *job);

/* gearman_cffi's worker helpers (include/worker.c).

   One gearman_cffi_work per Python Worker: the job in hand, as the trampoline
   (a gearman_function_fn) saw it before it called Python, and the counts a
   sliced wait needs.  gearman_cffi_worker_work runs gearman_worker_work in
   non-blocking mode, for up to max_jobs jobs, and waits with
   gearman_worker_wait in slices of slice_ms, so that Python handles signals,
   stop() and close() in between:
     GEARMAN_SUCCESS   max_jobs jobs ran, or the handler asked to stop
     GEARMAN_IO_WAIT   the slice ended (jobs may have run): call again
     GEARMAN_TIMEOUT   timeout_ms passed with no job
     anything else     gearman_worker_work's failure
   The Python handler (_gearman_cffi_job) returns GEARMAN_SUCCESS to have the
   trampoline send result/result_size as WORK_COMPLETE, GEARMAN_PAUSE when it
   sent the outcome itself, GEARMAN_ERROR to drop the connections (the server
   then hands the job to a worker again); it sets stop to end the call after
   this job. */
typedef struct {
  gearman_job_st *job;     /* non-NULL only while a handler runs */
  const char *handle;
  const char *unique;
  const char *workload;
  size_t workload_size;
  const char *result;      /* set by the handler: sent after it returns */
  size_t result_size;
  uint64_t jobs;           /* jobs handed to the Python handler */
  uint64_t max_jobs;       /* this call returns once jobs grew by this much */
  uint64_t empty_returns;  /* gearman_worker_work SUCCESS with no job run */
  uint64_t disconnected;   /* slices spent with no server connected */
  uint64_t unsent;         /* results the trampoline could not send */
  char unsent_handle[64];  /* the job whose result was not sent */
  gearman_return_t unsent_rc;
  int stop;                /* set by the handler: return after this job */
  int timeout_ms;          /* -1: no timeout */
  int64_t idle_since_ms;   /* 0: a new wait starts with the next call */
  int64_t sleeping_since_ms; /* PRE_SLEEP sent at (0: not asleep) */
} gearman_cffi_work;

gearman_return_t gearman_cffi_worker_define(gearman_worker_st *worker, const char *function_name,
                                            size_t function_name_length, uint32_t timeout, void *context);
gearman_return_t gearman_cffi_worker_work(gearman_worker_st *worker, int slice_ms, gearman_cffi_work *work);

extern "Python" gearman_return_t _gearman_cffi_job(gearman_cffi_work *, void *);
