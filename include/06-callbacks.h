/* Task callbacks (client_callbacks.h, client.h) and the Python functions
   libgearman calls back into (cffi `extern "Python"`, defined with
   @ffi.def_extern() in gearman_cffi/callbacks.py and gearman_cffi/logging.py).
   libgearman copies a client's callbacks into each task when it is added. */
typedef gearman_return_t (gearman_workload_fn)(gearman_task_st *task);
typedef gearman_return_t (gearman_created_fn)(gearman_task_st *task);
typedef gearman_return_t (gearman_data_fn)(gearman_task_st *task);
typedef gearman_return_t (gearman_warning_fn)(gearman_task_st *task);
typedef gearman_return_t (gearman_universal_status_fn)(gearman_task_st *task);
typedef gearman_return_t (gearman_complete_fn)(gearman_task_st *task);
typedef gearman_return_t (gearman_exception_fn)(gearman_task_st *task);
typedef gearman_return_t (gearman_fail_fn)(gearman_task_st *task);

void gearman_client_set_created_fn(gearman_client_st *client, gearman_created_fn *function);
void gearman_client_set_data_fn(gearman_client_st *client, gearman_data_fn *function);
void gearman_client_set_warning_fn(gearman_client_st *client, gearman_warning_fn *function);
void gearman_client_set_status_fn(gearman_client_st *client, gearman_universal_status_fn *function);
void gearman_client_set_complete_fn(gearman_client_st *client, gearman_complete_fn *function);
void gearman_client_set_exception_fn(gearman_client_st *client, gearman_exception_fn *function);
void gearman_client_set_fail_fn(gearman_client_st *client, gearman_fail_fn *function);
void gearman_client_clear_fn(gearman_client_st *client);

const void *gearman_task_data(const gearman_task_st *task);
size_t gearman_task_data_size(const gearman_task_st *task);

/* Logging (constants.h, client.h). */
typedef enum {
  GEARMAN_VERBOSE_NEVER,
  GEARMAN_VERBOSE_FATAL,
  GEARMAN_VERBOSE_ERROR,
  GEARMAN_VERBOSE_INFO,
  GEARMAN_VERBOSE_DEBUG,
  GEARMAN_VERBOSE_CRAZY,
  GEARMAN_VERBOSE_MAX,
  ...
} gearman_verbose_t;
typedef void (gearman_log_fn)(const char *line, gearman_verbose_t verbose, void *context);
void gearman_client_set_log_fn(gearman_client_st *client, gearman_log_fn *function,
                               void *context, gearman_verbose_t verbose);
const char *gearman_verbose_name(gearman_verbose_t verbose);

/* Server lists, parsed exactly as libgearman does (parse.h). */
typedef gearman_return_t (gearman_parse_server_fn)(const char *host, in_port_t port, void *context);
gearman_return_t gearman_parse_servers(const char *servers, gearman_parse_server_fn *callback,
                                       void *context);

extern "Python" gearman_return_t _gearman_cffi_created(gearman_task_st *);
extern "Python" gearman_return_t _gearman_cffi_data(gearman_task_st *);
extern "Python" gearman_return_t _gearman_cffi_warning(gearman_task_st *);
extern "Python" gearman_return_t _gearman_cffi_status(gearman_task_st *);
extern "Python" gearman_return_t _gearman_cffi_complete(gearman_task_st *);
extern "Python" gearman_return_t _gearman_cffi_exception(gearman_task_st *);
extern "Python" gearman_return_t _gearman_cffi_fail(gearman_task_st *);
extern "Python" int _gearman_cffi_between_slices(void);  /* include/sockets.c */
extern "Python" void _gearman_cffi_log(const char *, gearman_verbose_t, void *);
extern "Python" gearman_return_t _gearman_cffi_parse_server(const char *, in_port_t, void *);
