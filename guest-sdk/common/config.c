/* config.c - isolate_config, the same at both levels: a host call to the function the host reserves for it. */
#include "isolate_guest.h"

/* The host answers with one byte, 1 when the key is set (its value follows) or 0 when it is not. */
const char *isolate_config(const char *key) {
  void *out;
  size_t len;
  if (!key || isolate_host_call(ISOLATE_CONFIG_FUNCTION, key, strlen(key), &out, &len) != ISOLATE_STATUS_OK ||
      len == 0 || ((const unsigned char *)out)[0] != 1) {
    return NULL;
  }
  char *value = isolate_alloc(len); /* len - 1 bytes of value and a NUL */
  if (!value) {
    return NULL;
  }
  memcpy(value, (const unsigned char *)out + 1, len - 1);
  value[len - 1] = '\0';
  return value;
}
