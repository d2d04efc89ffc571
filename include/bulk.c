/* gearman_cffi's bulk submission, declared for cffi in include/13-bulk.h. */

static bool gearman_cffi_created(const gearman_cffi_slot *slot)
{
  return slot->released && slot->job_handle[0] != '\0';
}

size_t gearman_cffi_bulk_fill(gearman_cffi_slot *slots, size_t max_count, size_t max_bytes,
                              gearman_job_priority_t priority, const char *function_name, const char *data,
                              const size_t *sizes, const char *uniques, size_t *used)
{
  size_t offset = 0, i = 0;
  while (i < max_count && (i == 0 || offset < max_bytes)) {
    gearman_cffi_slot *slot = &slots[i];
    memset(slot, 0, sizeof *slot);
    slot->function_name = function_name;
    slot->priority = priority;
    slot->workload = sizes[i] ? data + offset : NULL; /* libgearman refuses a pointer with size 0 */
    slot->workload_size = sizes[i];
    offset += sizes[i];
    if (uniques != NULL)
      gearman_cffi_copy(slot->unique, uniques + 64 * i, sizeof slot->unique);
    i++;
  }
  *used = offset;
  return i;
}

size_t gearman_cffi_bulk_add(gearman_client_st *client, gearman_cffi_slot *slots, size_t count,
                             gearman_cffi_uniques *uniques, gearman_return_t *ret_ptr)
{
  size_t added = 0;
  *ret_ptr = GEARMAN_SUCCESS;
  for (size_t i = count; i-- > 0;) {
    if (gearman_cffi_created(&slots[i]))
      continue;
    if (gearman_cffi_add_slot(client, &slots[i], uniques, ret_ptr) == NULL)
      return added;
    added++;
  }
  return added;
}

size_t gearman_cffi_bulk_handles(const gearman_cffi_slot *slots, size_t count, char *out, size_t *missing,
                                 gearman_return_t *rc)
{
  size_t length = 0;
  *missing = count;
  *rc = GEARMAN_SUCCESS;
  for (size_t i = 0; i < count; i++) {
    const gearman_cffi_slot *slot = &slots[i];
    if (gearman_cffi_created(slot)) {
      size_t n = strnlen(slot->job_handle, sizeof slot->job_handle - 1);
      memcpy(out + length, slot->job_handle, n);
      length += n;
    } else if (*missing == count) {
      *missing = i;
      *rc = slot->added && slot->rc != GEARMAN_SUCCESS ? slot->rc : GEARMAN_UNKNOWN_STATE;
    }
    out[length++] = '\n';
  }
  return length;
}

size_t gearman_cffi_bulk_uniques(const char *joined, size_t length, size_t count, size_t max_length, char *records)
{
  size_t start = 0;
  for (size_t i = 0; i < count; i++) {
    if (start > length)
      return i; /* fewer than count */
    const char *stop = memchr(joined + start, '\0', length - start);
    size_t size = (stop == NULL ? length : (size_t)(stop - joined)) - start;
    if (size == 0 || size > max_length)
      return i;
    memcpy(records + 64 * i, joined + start, size);
    start += size + 1;
  }
  return start == length + 1 ? count : count + 1; /* anything left: a NUL inside a unique */
}
