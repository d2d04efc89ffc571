/* Opaque handles and the scalar types libgearman's signatures use.
   Only pointers to these structs cross the boundary, so cffi never needs
   their layout. */
typedef int... in_port_t;
typedef int... time_t;

typedef struct gearman_client_st gearman_client_st;
typedef struct gearman_task_st gearman_task_st;

#define GEARMAN_JOB_HANDLE_SIZE ...
typedef char gearman_job_handle_t[...];
