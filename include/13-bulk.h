/* gearman_cffi's bulk submission helpers (include/bulk.c): many workloads for
   one function in one Python call.  The workloads arrive as one buffer plus
   their sizes; the slots are one array, filled and added in C, so a job costs
   no Python object at all.  The handles leave as one '\n'-joined buffer. */

/* Describe up to max_count slots afresh (the array is reused chunk after
   chunk), stopping after the slot that brings their workloads to max_bytes or
   more: workload i is data[offset_i : offset_i + sizes[i]] (offsets add up the
   sizes); uniques, if not NULL, holds NUL-padded 64-byte uniques (an empty
   one: an auto unique when added).  Returns how many slots were filled (at
   least one if max_count is not 0); *used is the bytes of data they take. */
size_t gearman_cffi_bulk_fill(gearman_cffi_slot *slots, size_t max_count, size_t max_bytes,
                              gearman_job_priority_t priority, const char *function_name, const char *data,
                              const size_t *sizes, const char *uniques, size_t *used);
/* Add every slot of slots[0..count) not created yet, last first (libgearman
   sends a batch newest-first: the server then queues them in input order).
   Returns how many were added; on a failure, *ret_ptr says why. */
size_t gearman_cffi_bulk_add(gearman_client_st *client, gearman_cffi_slot *slots, size_t count,
                             gearman_cffi_uniques *uniques, gearman_return_t *ret_ptr);
/* Write the job handles of slots[0..count) to out, each followed by '\n'
   (out holds count * 64 bytes); returns the bytes written.  *missing is the
   index of the first slot not created (count if every one was), *rc its code. */
size_t gearman_cffi_bulk_handles(const gearman_cffi_slot *slots, size_t count, char *out, size_t *missing,
                                 gearman_return_t *rc);
/* Cut joined (count uniques separated by NULs) into count 64-byte records of
   records (zeroed), checking each is 1..max_length bytes.  Returns count, or
   the index of the first bad unique (count + 1: more than count of them). */
size_t gearman_cffi_bulk_uniques(const char *joined, size_t length, size_t count, size_t max_length, char *records);
