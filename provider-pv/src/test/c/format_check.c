/*
 * format_check.c - host test of the SDK's freestanding formatter (sdk/src/format.c): every case must give the
 * same text as the host libc's snprintf, including truncation and the returned length.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int isolate_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

static int failures;

static void same(size_t size, const char *fmt, ...) {
  char a[256], b[256];
  va_list ap, aq;
  va_start(ap, fmt);
  va_copy(aq, ap);
  int na = isolate_vsnprintf(a, size, fmt, ap);
  int nb = vsnprintf(b, size, fmt, aq);
  va_end(aq);
  va_end(ap);
  if (na != nb || (size > 0 && strcmp(a, b) != 0)) {
    fprintf(stderr, "format '%s' (size %zu): sdk gave %d '%s', libc %d '%s'\n", fmt, size, na, a, nb, b);
    failures++;
  }
}

int main(void) {
  same(256, "plain text");
  same(256, "%d %i %u", -42, 17, 4000000000u);
  same(256, "%ld %lu %lld %llu", -9000000000l, 18000000000ul, -1ll, 18446744073709551615ull);
  same(256, "%zu %zd", (size_t)123456, (ssize_t)-5);
  same(256, "%x %X %lx %llx", 0xbeefu, 0xbeefu, 0x123456789abcul, 0xffffffffffffffffull);
  same(256, "[%5d] [%-5d] [%05d] [%-5s] [%8s] [%c] [%%]", 42, 42, -42, "ab", "right", 'z');
  same(256, "%s and %s", "one", "two");
  same(256, "%08x|%3u|%-3u|", 0xabcu, 7u, 7u);
  same(256, "%d", (int)0x80000000);
  same(256, "%lld", (long long)INT64_MIN);
  same(8, "truncated %s", "output that is long");
  same(1, "%d", 12345);
  same(256, "%p", (void *)0x1234);
  if (failures) {
    return 1;
  }
  puts("format ok");
  return 0;
}
