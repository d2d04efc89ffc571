/* gearman_execute with task attributes: the only way to submit an epoch
   (scheduled) background job (execute.h, task_attr.h, argument.h). */
/* In C, size is `const size_t`: such structs cannot be returned through a
   cffi wrapper, so gearman_argument_make is not declared and gearman_cffi
   fills a gearman_argument_t itself. */
typedef struct gearman_string_t {
  const char *c_str;
  size_t size;
} gearman_string_t;

typedef struct gearman_argument_t {
  gearman_string_t name;
  gearman_string_t value;
} gearman_argument_t;

typedef struct gearman_task_attr_t { ...; } gearman_task_attr_t;

gearman_task_attr_t gearman_task_attr_init(gearman_job_priority_t priority);
gearman_task_attr_t gearman_task_attr_init_epoch(time_t epoch, gearman_job_priority_t priority);
gearman_task_attr_t gearman_task_attr_init_background(gearman_job_priority_t priority);

gearman_task_st *gearman_execute(gearman_client_st *client,
                                 const char *function_name, size_t function_name_length,
                                 const char *unique, size_t unique_length,
                                 gearman_task_attr_t *workload,
                                 gearman_argument_t *arguments,
                                 void *context);
