/* Raw libgearman contender for bench/run.py.
 *
 *   gearman_bench HOST PORT MODE JOBS SIZE PRIORITY UNIQUE THREADS BATCH [keep-tasks]
 *
 * MODE      do     gearman_client_do{,_high,_low}_background in a loop
 *           batch  BATCH x gearman_client_add_task{,_high,_low}_background, then
 *                  gearman_client_run_tasks, on a client with GEARMAN_CLIENT_FREE_TASKS
 *                  (libgearman frees each task once its job is created; the PHP
 *                  extension does the same).  With keep-tasks: no FREE_TASKS, and
 *                  gearman_client_task_free_all after each run_tasks instead.
 * PRIORITY  normal | high | low
 * UNIQUE    auto (NULL: libgearman makes a UUID) | explicit (a per-job string)
 * THREADS   1, or N pthreads with one gearman_client_st each, JOBS split evenly
 *
 * Prints one JSON line: {"jobs": N, "seconds": wall time of the submissions,
 * "cpu": this process's CPU time (user + system, all threads) over the same span}.
 * Connection setup (the first round trip) is outside the timed part, as it is
 * for every other contender.
 */
#include <libgearman-1.0/gearman.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef gearman_return_t (*do_fn)(gearman_client_st *, const char *, const char *, const void *, size_t,
                                  gearman_job_handle_t);
typedef gearman_task_st *(*add_fn)(gearman_client_st *, gearman_task_st *, void *, const char *, const char *,
                                   const void *, size_t, gearman_return_t *);

static const char *host;
static in_port_t port;
static int batch_mode, explicit_unique, batch, keep_tasks;
static long jobs_per_thread;
static char *payload;
static size_t payload_size;
static do_fn do_call;
static add_fn add_call;
static pthread_barrier_t start_line;

static void die(const char *what, gearman_client_st *client, gearman_return_t rc) {
  fprintf(stderr, "%s: %s (%s)\n", what, gearman_strerror(rc), client ? gearman_client_error(client) : "");
  exit(1);
}

static double now_on(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *submit(void *arg) {
  long thread_no = (long)arg;
  gearman_client_st *client = gearman_client_create(NULL);
  if (client == NULL) die("gearman_client_create", NULL, GEARMAN_MEMORY_ALLOCATION_FAILURE);
  gearman_return_t rc = gearman_client_add_server(client, host, port);
  if (rc != GEARMAN_SUCCESS) die("gearman_client_add_server", client, rc);
  if (!keep_tasks) gearman_client_add_options(client, GEARMAN_CLIENT_FREE_TASKS);
  rc = gearman_client_echo(client, "x", 1); /* connect before the clock starts */
  if (rc != GEARMAN_SUCCESS) die("gearman_client_echo", client, rc);
  pthread_barrier_wait(&start_line);

  char unique[64];
  const char *unique_arg = explicit_unique ? unique : NULL;
  gearman_job_handle_t handle;
  long n = 0;
  while (n < jobs_per_thread) {
    if (!batch_mode) {
      if (explicit_unique) snprintf(unique, sizeof unique, "c-%ld-%ld", thread_no, n);
      rc = do_call(client, "bench", unique_arg, payload, payload_size, handle);
      if (rc != GEARMAN_SUCCESS) die("do_background", client, rc);
      n++;
      continue;
    }
    long end = n + batch < jobs_per_thread ? n + batch : jobs_per_thread;
    for (; n < end; n++) {
      if (explicit_unique) snprintf(unique, sizeof unique, "c-%ld-%ld", thread_no, n);
      if (add_call(client, NULL, NULL, "bench", unique_arg, payload, payload_size, &rc) == NULL)
        die("add_task_background", client, rc);
    }
    rc = gearman_client_run_tasks(client);
    if (rc != GEARMAN_SUCCESS) die("run_tasks", client, rc);
    if (keep_tasks) gearman_client_task_free_all(client);
  }
  gearman_client_free(client);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 10 && argc != 11) {
    fprintf(stderr, "usage: %s HOST PORT do|batch JOBS SIZE normal|high|low auto|explicit THREADS BATCH [keep-tasks]\n",
            argv[0]);
    return 2;
  }
  host = argv[1];
  port = (in_port_t)atoi(argv[2]);
  batch_mode = strcmp(argv[3], "batch") == 0;
  long jobs = atol(argv[4]);
  payload_size = (size_t)atol(argv[5]);
  explicit_unique = strcmp(argv[7], "explicit") == 0;
  long threads = atol(argv[8]);
  batch = atoi(argv[9]);
  keep_tasks = argc == 11 && strcmp(argv[10], "keep-tasks") == 0;
  jobs_per_thread = jobs / threads;

  if (strcmp(argv[6], "high") == 0) {
    do_call = gearman_client_do_high_background;
    add_call = gearman_client_add_task_high_background;
  } else if (strcmp(argv[6], "low") == 0) {
    do_call = gearman_client_do_low_background;
    add_call = gearman_client_add_task_low_background;
  } else {
    do_call = gearman_client_do_background;
    add_call = gearman_client_add_task_background;
  }
  payload = malloc(payload_size ? payload_size : 1);
  memset(payload, 'x', payload_size);

  pthread_t tids[256];
  if (threads < 1 || threads > 256) return 2;
  pthread_barrier_init(&start_line, NULL, (unsigned)threads + 1);
  for (long t = 0; t < threads; t++) pthread_create(&tids[t], NULL, submit, (void *)t);
  pthread_barrier_wait(&start_line);
  double start = now_on(CLOCK_MONOTONIC), cpu_start = now_on(CLOCK_PROCESS_CPUTIME_ID);
  for (long t = 0; t < threads; t++) pthread_join(tids[t], NULL);
  double seconds = now_on(CLOCK_MONOTONIC) - start, cpu = now_on(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
  printf("{\"jobs\": %ld, \"seconds\": %.6f, \"cpu\": %.6f}\n", jobs_per_thread * threads, seconds, cpu);
  free(payload);
  return 0;
}
