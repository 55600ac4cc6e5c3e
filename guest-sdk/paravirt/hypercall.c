/* hypercall.c - wrappers over the hypercall ABI (see ABI.md). */
#include "internal.h"

void isolate_exit(int code) {
  for (;;) {
    isolate_hypercall(ISOLATE_HC_EXIT, code & 0xff, 0, 0, 0);
  }
}

long isolate_wait_for_event(uint64_t timeout_ns) {
  return isolate_hypercall(ISOLATE_HC_WAIT_FOR_EVENT, (long)timeout_ns, 0, 0, 0);
}

long isolate_log_raw(int level, const void *msg, size_t len) {
  if (len > ISOLATE_LOG_MAX) {
    len = ISOLATE_LOG_MAX;
  }
  return isolate_hypercall(ISOLATE_HC_LOG, level, (long)isolate_virt_to_phys(msg), (long)len, 0);
}

int64_t isolate_clock(int clock_id) {
  return isolate_hypercall(ISOLATE_HC_CLOCK, clock_id, 0, 0, 0);
}
