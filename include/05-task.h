/* Task accessors (task.h). */
void gearman_task_free(gearman_task_st *task);
void *gearman_task_context(const gearman_task_st *task);
void gearman_task_set_context(gearman_task_st *task, void *context);
const char *gearman_task_function_name(const gearman_task_st *task);
const char *gearman_task_unique(const gearman_task_st *task);
const char *gearman_task_job_handle(const gearman_task_st *task);
bool gearman_task_is_known(const gearman_task_st *task);
bool gearman_task_is_running(const gearman_task_st *task);
uint32_t gearman_task_numerator(const gearman_task_st *task);
uint32_t gearman_task_denominator(const gearman_task_st *task);
gearman_return_t gearman_task_return(const gearman_task_st *task);
const char *gearman_task_error(const gearman_task_st *task);
bool gearman_task_is_finished(const gearman_task_st *task);
