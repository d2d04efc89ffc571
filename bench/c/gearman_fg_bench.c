/* Raw libgearman foreground contender for bench/foreground.py.
 *
 *   gearman_fg_bench HOST PORT do|batch JOBS SIZE BATCH
 *
 * do     gearman_client_do in a loop, one round trip at a time
 * batch  BATCH x gearman_client_add_task, then gearman_client_run_tasks (waits
 *        for every WORK_COMPLETE), then gearman_client_task_free_all
 * Every result must equal the workload (the worker echoes it).  Prints one JSON
 * line: {"jobs": N, "seconds": wall time, "cpu": this process's CPU time}; the
 * connection is made (echo) before the clock starts.
 */
#include <libgearman-1.0/gearman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *payload;
static size_t payload_size;
static long bad;

static void die(const char *what, gearman_client_st *client, gearman_return_t rc) {
  fprintf(stderr, "%s: %s (%s)\n", what, gearman_strerror(rc), gearman_client_error(client));
  exit(1);
}

static double now_on(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static gearman_return_t on_complete(gearman_task_st *task) {
  if (gearman_task_data_size(task) != payload_size || memcmp(gearman_task_data(task), payload, payload_size) != 0)
    bad++;
  return GEARMAN_SUCCESS;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s HOST PORT do|batch JOBS SIZE BATCH\n", argv[0]);
    return 2;
  }
  int batch_mode = strcmp(argv[3], "batch") == 0;
  long jobs = atol(argv[4]), batch = atol(argv[6]);
  payload_size = (size_t)atol(argv[5]);
  payload = malloc(payload_size ? payload_size : 1);
  memset(payload, 'x', payload_size);
  gearman_client_st *client = gearman_client_create(NULL);
  if (client == NULL) return 1;
  gearman_return_t rc = gearman_client_add_server(client, argv[1], (in_port_t)atoi(argv[2]));
  if (rc != GEARMAN_SUCCESS) die("gearman_client_add_server", client, rc);
  gearman_client_set_complete_fn(client, on_complete);
  rc = gearman_client_echo(client, "x", 1);
  if (rc != GEARMAN_SUCCESS) die("gearman_client_echo", client, rc);

  double start = now_on(CLOCK_MONOTONIC), cpu_start = now_on(CLOCK_PROCESS_CPUTIME_ID);
  for (long n = 0; n < jobs;) {
    if (!batch_mode) {
      size_t size;
      void *result = gearman_client_do(client, "bench", NULL, payload, payload_size, &size, &rc);
      if (rc != GEARMAN_SUCCESS) die("gearman_client_do", client, rc);
      if (size != payload_size || memcmp(result, payload, size) != 0) bad++;
      free(result);
      n++;
      continue;
    }
    long end = n + batch < jobs ? n + batch : jobs;
    for (; n < end; n++)
      if (gearman_client_add_task(client, NULL, NULL, "bench", NULL, payload, payload_size, &rc) == NULL)
        die("gearman_client_add_task", client, rc);
    rc = gearman_client_run_tasks(client);
    if (rc != GEARMAN_SUCCESS) die("gearman_client_run_tasks", client, rc);
    gearman_client_task_free_all(client);
  }
  double seconds = now_on(CLOCK_MONOTONIC) - start, cpu = now_on(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
  if (bad) {
    fprintf(stderr, "%ld results differ from the workload\n", bad);
    return 1;
  }
  printf("{\"jobs\": %ld, \"seconds\": %.6f, \"cpu\": %.6f}\n", jobs, seconds, cpu);
  gearman_client_free(client);
  free(payload);
  return 0;
}
