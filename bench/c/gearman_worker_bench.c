/* Raw libgearman worker contender for bench/workers.py.
 *
 *   gearman_worker_bench HOST PORT JOBS
 *
 * Serves the function "bench" with gearman_worker_work until JOBS jobs ran;
 * the function returns the workload as its result (gearman_worker_fn, v1: a
 * malloc()ed copy that libgearman frees).  Prints one JSON line:
 * {"jobs": N, "seconds": wall time, "cpu": this process's CPU time}.  The clock
 * starts before the first gearman_worker_work (which connects and registers).
 */
#include <libgearman-1.0/gearman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long done;

static void *echo(gearman_job_st *job, void *context, size_t *result_size, gearman_return_t *ret_ptr) {
  (void)context;
  size_t size = gearman_job_workload_size(job);
  void *result = malloc(size ? size : 1);
  if (result == NULL) {
    *ret_ptr = GEARMAN_MEMORY_ALLOCATION_FAILURE;
    return NULL;
  }
  memcpy(result, gearman_job_workload(job), size);
  *result_size = size;
  *ret_ptr = GEARMAN_SUCCESS;
  done++;
  return result;
}

static double now_on(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s HOST PORT JOBS\n", argv[0]);
    return 2;
  }
  long jobs = atol(argv[3]);
  gearman_worker_st *worker = gearman_worker_create(NULL);
  if (worker == NULL) return 1;
  gearman_return_t rc = gearman_worker_add_server(worker, argv[1], (in_port_t)atoi(argv[2]));
  if (rc == GEARMAN_SUCCESS) rc = gearman_worker_add_function(worker, "bench", 0, echo, NULL);
  if (rc != GEARMAN_SUCCESS) {
    fprintf(stderr, "setup: %s\n", gearman_worker_error(worker));
    return 1;
  }
  double start = now_on(CLOCK_MONOTONIC), cpu_start = now_on(CLOCK_PROCESS_CPUTIME_ID);
  while (done < jobs) {
    rc = gearman_worker_work(worker);
    if (rc != GEARMAN_SUCCESS) {
      fprintf(stderr, "gearman_worker_work: %s\n", gearman_worker_error(worker));
      return 1;
    }
  }
  double seconds = now_on(CLOCK_MONOTONIC) - start, cpu = now_on(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
  printf("{\"jobs\": %ld, \"seconds\": %.6f, \"cpu\": %.6f}\n", done, seconds, cpu);
  gearman_worker_free(worker);
  return 0;
}
