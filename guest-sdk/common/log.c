/* log.c - isolate_log, the same at both levels: a formatted line handed to the level's isolate_log_raw. */
#include "isolate_guest.h"

#ifdef __wasm__
#include <stdio.h>
#define FORMAT vsnprintf /* wasi-libc */
#else
#define FORMAT isolate_vsnprintf /* the SDK's freestanding formatter */
#endif

void isolate_log(int level, const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = FORMAT(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n >= 0) {
    isolate_log_raw(level, line, n < (int)sizeof line ? (size_t)n : sizeof line - 1);
  }
}
