/* gearman_cffi's worker helpers, declared for cffi in include/12-worker.h.
   That file is cdef syntax (not C), so the struct is repeated here; cffi
   checks at build time that both layouts agree. */
#include <poll.h>
#include <stdio.h>
#include <stdint.h>
#include <time.h>

typedef struct {
  gearman_job_st *job;
  const char *handle;
  const char *unique;
  const char *workload;
  size_t workload_size;
  const char *result;
  size_t result_size;
  uint64_t jobs;
  uint64_t max_jobs;
  uint64_t empty_returns;
  uint64_t disconnected;
  uint64_t unsent;
  char unsent_handle[64];
  gearman_return_t unsent_rc;
  int stop;
  int timeout_ms;
  int64_t idle_since_ms;
  int64_t sleeping_since_ms;
} gearman_cffi_work;

/* cffi defines the extern "Python" function after this code. */
static gearman_return_t _gearman_cffi_job(gearman_cffi_work *work, void *context);

/* The gearman_cffi_work of the helper running in this thread (a handler may
   drive another Worker: the outer one is put back when the inner returns). */
static __thread gearman_cffi_work *gearman_cffi_current_work;

static int64_t gearman_cffi_worker_now_ms(void)
{
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* The gearman_function_fn of every function the Python Worker defines: note the
   job (one C call instead of five from Python), count it, run the handler.
   The job is finished (sent) when this returns GEARMAN_SUCCESS, so
   gearman_worker_work's own completion is a no-op on it; GEARMAN_ERROR makes
   libgearman close every connection (see include/12-worker.h). */
static gearman_return_t gearman_cffi_job_fn(gearman_job_st *job, void *context)
{
  gearman_cffi_work *work = gearman_cffi_current_work;
  gearman_return_t rc;
  if (work == NULL) { /* gearman_worker_work called on the raw pointer: no handler to run */
    gearman_job_send_fail(job);
    return GEARMAN_SUCCESS;
  }
  work->job = job;
  work->handle = gearman_job_handle(job);
  work->unique = gearman_job_unique(job);
  work->workload = (const char *)gearman_job_workload(job);
  work->workload_size = gearman_job_workload_size(job);
  work->jobs++;
  work->result = NULL;
  work->result_size = 0;
  rc = _gearman_cffi_job(work, context);
  if (rc == GEARMAN_SUCCESS) {
    gearman_return_t sent = gearman_job_send_complete(job, work->result, work->result_size);
    if (sent != GEARMAN_SUCCESS) { /* libgearman would resend it on an unregistered connection */
      const char *handle = gearman_job_handle(job);
      work->unsent++;
      work->unsent_rc = sent;
      snprintf(work->unsent_handle, sizeof work->unsent_handle, "%s", handle ? handle : "");
      rc = GEARMAN_ERROR;
    }
  } else if (rc == GEARMAN_PAUSE) {
    rc = GEARMAN_SUCCESS; /* the handler sent the outcome */
  }
  work->job = NULL;
  work->result = NULL;
  return rc;
}

gearman_return_t gearman_cffi_worker_define(gearman_worker_st *worker, const char *function_name,
                                            size_t function_name_length, uint32_t timeout, void *context)
{
  return gearman_worker_define_function(worker, function_name, function_name_length,
                                        gearman_function_create(gearman_cffi_job_fn), timeout, context);
}

/* One poll over the worker's connections for at most wait_ms. */
static gearman_return_t gearman_cffi_worker_poll(gearman_worker_st *worker, int64_t wait_ms)
{
  int saved = gearman_worker_timeout(worker);
  gearman_return_t rc;
  gearman_worker_set_timeout(worker, wait_ms < 1 ? 1 : (int)wait_ms);
  rc = gearman_worker_wait(worker);
  gearman_worker_set_timeout(worker, saved);
  return rc;
}

/* How often an idle (PRE_SLEEP sent) worker asks again anyway: this is also
   when a listed server that was down is tried again. */
#define GEARMAN_CFFI_REPOLL_MS 1000

gearman_return_t gearman_cffi_worker_work(gearman_worker_st *worker, int slice_ms, gearman_cffi_work *work)
{
  gearman_cffi_work *outer = gearman_cffi_current_work;
  int64_t now = gearman_cffi_worker_now_ms();
  int64_t slice_end = now + slice_ms;
  uint64_t jobs = work->jobs;
  gearman_return_t rc;
  work->stop = 0;
  if (work->idle_since_ms == 0) {
    work->idle_since_ms = now;
    work->sleeping_since_ms = 0;
  }
  gearman_cffi_current_work = work;
  gearman_worker_add_options(worker, GEARMAN_WORKER_NON_BLOCKING);
  for (;;) {
    if (work->sleeping_since_ms && now - work->sleeping_since_ms < GEARMAN_CFFI_REPOLL_MS) {
      rc = GEARMAN_NO_JOBS; /* PRE_SLEEP sent: wait for the server's NOOP */
    } else {
      work->sleeping_since_ms = 0;
      uint64_t before = work->jobs;
      rc = gearman_worker_work(worker);
      if (work->jobs != before) { /* a job ran (even if its result could not be sent) */
        if (work->stop || work->jobs - jobs >= work->max_jobs) {
          rc = GEARMAN_SUCCESS;
          break;
        }
        now = gearman_cffi_worker_now_ms();
        work->idle_since_ms = now;
        if (now >= slice_end) {
          rc = GEARMAN_IO_WAIT;
          break;
        }
        continue;
      }
      if (rc == GEARMAN_SUCCESS) {
        work->empty_returns++; /* libgearman's job-less SUCCESS: go on */
        now = gearman_cffi_worker_now_ms();
        continue;
      }
      if (rc == GEARMAN_NO_JOBS) /* non-blocking: PRE_SLEEP sent, nothing to do */
        work->sleeping_since_ms = gearman_cffi_worker_now_ms();
      else if (rc != GEARMAN_IO_WAIT)
        break;
    }
    now = gearman_cffi_worker_now_ms();
    if (work->timeout_ms >= 0 && now - work->idle_since_ms >= work->timeout_ms) {
      rc = GEARMAN_TIMEOUT;
      break;
    }
    if (now >= slice_end) {
      rc = GEARMAN_IO_WAIT;
      break;
    }
    int64_t wait_ms = slice_end - now;
    if (work->timeout_ms >= 0 && work->timeout_ms - (now - work->idle_since_ms) < wait_ms)
      wait_ms = work->timeout_ms - (now - work->idle_since_ms);
    rc = gearman_cffi_worker_poll(worker, wait_ms);
    if (rc == GEARMAN_SUCCESS) {
      work->sleeping_since_ms = 0; /* a NOOP, or a connection event */
    } else if (rc == GEARMAN_NO_ACTIVE_FDS) {
      /* no server connected: nap out the slice, then try them again */
      work->disconnected++;
      work->sleeping_since_ms = 0;
      now = gearman_cffi_worker_now_ms();
      if (now < slice_end)
        poll(NULL, 0, (int)(slice_end - now));
    } else if (rc != GEARMAN_TIMEOUT) {
      break;
    }
    now = gearman_cffi_worker_now_ms();
  }
  gearman_worker_remove_options(worker, GEARMAN_WORKER_NON_BLOCKING);
  gearman_cffi_current_work = outer;
  return rc;
}
