/* The client (client.h): lifetime, servers, timeout, options, errors and the
   background submission calls.  Only symbols libgearman.so.8 exports. */
gearman_client_st *gearman_client_create(gearman_client_st *client);
gearman_client_st *gearman_client_clone(gearman_client_st *client,
                                        const gearman_client_st *from);
void gearman_client_free(gearman_client_st *client);

const char *gearman_client_error(const gearman_client_st *client);
gearman_return_t gearman_client_error_code(const gearman_client_st *client);
int gearman_client_errno(const gearman_client_st *client);

gearman_client_options_t gearman_client_options(const gearman_client_st *client);
void gearman_client_set_options(gearman_client_st *client,
                                gearman_client_options_t options);
void gearman_client_add_options(gearman_client_st *client,
                                gearman_client_options_t options);
bool gearman_client_has_option(gearman_client_st *client,
                               gearman_client_options_t option);
void gearman_client_remove_options(gearman_client_st *client,
                                   gearman_client_options_t options);

int gearman_client_timeout(gearman_client_st *client);
void gearman_client_set_timeout(gearman_client_st *client, int timeout);

gearman_return_t gearman_client_add_server(gearman_client_st *client,
                                           const char *host, in_port_t port);
gearman_return_t gearman_client_add_servers(gearman_client_st *client,
                                            const char *servers);
void gearman_client_remove_servers(gearman_client_st *client);

gearman_return_t gearman_client_echo(gearman_client_st *client,
                                     const void *workload,
                                     size_t workload_size);

gearman_return_t gearman_client_do_background(gearman_client_st *client,
                                              const char *function_name,
                                              const char *unique,
                                              const void *workload,
                                              size_t workload_size,
                                              gearman_job_handle_t job_handle);
gearman_return_t gearman_client_do_high_background(gearman_client_st *client,
                                                   const char *function_name,
                                                   const char *unique,
                                                   const void *workload,
                                                   size_t workload_size,
                                                   gearman_job_handle_t job_handle);
gearman_return_t gearman_client_do_low_background(gearman_client_st *client,
                                                  const char *function_name,
                                                  const char *unique,
                                                  const void *workload,
                                                  size_t workload_size,
                                                  gearman_job_handle_t job_handle);

gearman_return_t gearman_client_job_status(gearman_client_st *client,
                                           const gearman_job_handle_t job_handle,
                                           bool *is_known, bool *is_running,
                                           uint32_t *numerator,
                                           uint32_t *denominator);

gearman_task_st *gearman_client_add_task_background(gearman_client_st *client,
                                                    gearman_task_st *task,
                                                    void *context,
                                                    const char *function_name,
                                                    const char *unique,
                                                    const void *workload,
                                                    size_t workload_size,
                                                    gearman_return_t *ret_ptr);
gearman_task_st *gearman_client_add_task_high_background(gearman_client_st *client,
                                                         gearman_task_st *task,
                                                         void *context,
                                                         const char *function_name,
                                                         const char *unique,
                                                         const void *workload,
                                                         size_t workload_size,
                                                         gearman_return_t *ret_ptr);
gearman_task_st *gearman_client_add_task_low_background(gearman_client_st *client,
                                                        gearman_task_st *task,
                                                        void *context,
                                                        const char *function_name,
                                                        const char *unique,
                                                        const void *workload,
                                                        size_t workload_size,
                                                        gearman_return_t *ret_ptr);

gearman_return_t gearman_client_run_tasks(gearman_client_st *client);
/* One poll() over the client's connections, bounded by its timeout; with
   GEARMAN_CLIENT_NON_BLOCKING, run_tasks returns IO_WAIT and this waits. */
gearman_return_t gearman_client_wait(gearman_client_st *client);
void gearman_client_task_free_all(gearman_client_st *client);

/* Foreground jobs: the caller waits for the worker's WORK_COMPLETE. */
void *gearman_client_do(gearman_client_st *client, const char *function_name, const char *unique,
                        const void *workload, size_t workload_size, size_t *result_size,
                        gearman_return_t *ret_ptr);
void *gearman_client_do_high(gearman_client_st *client, const char *function_name, const char *unique,
                             const void *workload, size_t workload_size, size_t *result_size,
                             gearman_return_t *ret_ptr);
void *gearman_client_do_low(gearman_client_st *client, const char *function_name, const char *unique,
                            const void *workload, size_t workload_size, size_t *result_size,
                            gearman_return_t *ret_ptr);
gearman_task_st *gearman_client_add_task(gearman_client_st *client, gearman_task_st *task, void *context,
                                         const char *function_name, const char *unique,
                                         const void *workload, size_t workload_size,
                                         gearman_return_t *ret_ptr);
gearman_task_st *gearman_client_add_task_high(gearman_client_st *client, gearman_task_st *task, void *context,
                                              const char *function_name, const char *unique,
                                              const void *workload, size_t workload_size,
                                              gearman_return_t *ret_ptr);
gearman_task_st *gearman_client_add_task_low(gearman_client_st *client, gearman_task_st *task, void *context,
                                             const char *function_name, const char *unique,
                                             const void *workload, size_t workload_size,
                                             gearman_return_t *ret_ptr);
