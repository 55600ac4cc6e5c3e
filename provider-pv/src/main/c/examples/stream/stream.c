/*
 * stream.c - writes a large output through the console: argv[1] bytes (default 8 MiB) of the repeating pattern
 * "0123456789abcdef...", then exits 0. The host can check every byte.
 */
#include <isolate_guest.h>

static char chunk[64 * 1024];

static uint64_t parse(const char *s, uint64_t fallback) {
  if (!s || !*s) {
    return fallback;
  }
  uint64_t v = 0;
  for (; *s >= '0' && *s <= '9'; s++) {
    v = v * 10 + (uint64_t)(*s - '0');
  }
  return v;
}

int main(void) {
  const struct isolate_boot_info *boot = isolate_boot_info();
  const char *arg = boot && boot->argc > 1 ? ((const char *const *)(uintptr_t)boot->argv)[1] : 0;
  uint64_t total = parse(arg, 8u << 20);
  for (size_t i = 0; i < sizeof chunk; i++) {
    chunk[i] = "0123456789abcdef"[i % 16];
  }
  int64_t start = isolate_clock(ISOLATE_CLOCK_MONOTONIC);
  for (uint64_t done = 0; done < total;) {
    size_t n = total - done < sizeof chunk ? (size_t)(total - done) : sizeof chunk;
    if (isolate_write(chunk, n) < 0) {
      return 2;
    }
    done += n;
  }
  int64_t ns = isolate_clock(ISOLATE_CLOCK_MONOTONIC) - start;
  isolate_log(ISOLATE_INFO, "streamed %llu bytes in %lld ns", (unsigned long long)total, (long long)ns);
  return 0;
}
