/* Status queries (client.h, status.h) and cancel (cancel.h).
   gearman_status_t is returned by value, so cffi needs its size only. */
typedef struct gearman_status_t { ...; } gearman_status_t;

gearman_status_t gearman_client_unique_status(gearman_client_st *client,
                                              const char *unique, size_t unique_length);
gearman_return_t gearman_status_return(const gearman_status_t arg);
bool gearman_status_is_known(const gearman_status_t arg);
bool gearman_status_is_running(const gearman_status_t arg);
uint32_t gearman_status_numerator(const gearman_status_t arg);
uint32_t gearman_status_denominator(const gearman_status_t arg);

gearman_task_st *gearman_client_add_task_status(gearman_client_st *client,
                                                gearman_task_st *task,
                                                void *context,
                                                const char *job_handle,
                                                gearman_return_t *ret_ptr);
gearman_task_st *gearman_client_add_task_status_by_unique(gearman_client_st *client,
                                                          gearman_task_st *task_ptr,
                                                          const char *unique_handle,
                                                          gearman_return_t *ret_ptr);

gearman_return_t gearman_client_cancel_job(gearman_client_st *client,
                                           gearman_job_handle_t job_handle);
