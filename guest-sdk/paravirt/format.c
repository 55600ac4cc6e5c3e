/* format.c - a small printf-style formatter: %d %i %u %x %X %p %s %c %%, flags '-' '0', width, l/ll/z. */
#include "isolate_guest.h"

struct out {
  char *buf;
  size_t size;
  size_t len; /* as if unbounded, like snprintf */
};

static void put(struct out *o, char c) {
  if (o->len + 1 < o->size) {
    o->buf[o->len] = c;
  }
  o->len++;
}

static void pad(struct out *o, char c, int n) {
  while (n-- > 0) {
    put(o, c);
  }
}

static void emit(struct out *o, const char *s, int n, int width, int left, char padc) {
  if (!left) {
    pad(o, padc, width - n);
  }
  for (int i = 0; i < n; i++) {
    put(o, s[i]);
  }
  if (left) {
    pad(o, ' ', width - n);
  }
}

static int utoa(char *tmp, unsigned long long v, unsigned base, int upper) {
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char rev[24];
  int n = 0;
  do {
    rev[n++] = digits[v % base];
    v /= base;
  } while (v != 0);
  for (int i = 0; i < n; i++) {
    tmp[i] = rev[n - 1 - i];
  }
  return n;
}

int isolate_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
  struct out o = {buf, size, 0};
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      put(&o, *p);
      continue;
    }
    p++;
    int left = 0;
    char padc = ' ';
    for (;; p++) {
      if (*p == '-') {
        left = 1;
      } else if (*p == '0') {
        padc = '0';
      } else {
        break;
      }
    }
    int width = 0;
    while (*p >= '0' && *p <= '9') {
      width = width * 10 + (*p++ - '0');
    }
    int longs = 0;
    int size_t_arg = 0;
    while (*p == 'l') {
      longs++;
      p++;
    }
    if (*p == 'z') {
      size_t_arg = 1;
      p++;
    }
    char tmp[24];
    int n;
    switch (*p) {
      case 'd':
      case 'i': {
        long long v = size_t_arg ? (long long)va_arg(ap, long) : longs >= 2 ? va_arg(ap, long long)
                      : longs == 1 ? va_arg(ap, long) : va_arg(ap, int);
        unsigned long long mag = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
        char num[25];
        int k = 0;
        if (v < 0) {
          num[k++] = '-';
        }
        k += utoa(num + k, mag, 10, 0);
        if (v < 0 && padc == '0' && !left) {
          put(&o, '-');
          emit(&o, num + 1, k - 1, width - 1, left, padc);
        } else {
          emit(&o, num, k, width, left, padc);
        }
        break;
      }
      case 'u':
      case 'x':
      case 'X': {
        unsigned long long v = size_t_arg ? va_arg(ap, size_t) : longs >= 2 ? va_arg(ap, unsigned long long)
                               : longs == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
        n = utoa(tmp, v, *p == 'u' ? 10 : 16, *p == 'X');
        emit(&o, tmp, n, width, left, padc);
        break;
      }
      case 'p': {
        n = utoa(tmp, (uintptr_t)va_arg(ap, void *), 16, 0);
        put(&o, '0');
        put(&o, 'x');
        emit(&o, tmp, n, width - 2, left, padc);
        break;
      }
      case 's': {
        const char *s = va_arg(ap, const char *);
        if (!s) {
          s = "(null)";
        }
        emit(&o, s, (int)strlen(s), width, left, ' ');
        break;
      }
      case 'c': {
        char c = (char)va_arg(ap, int);
        emit(&o, &c, 1, width, left, ' ');
        break;
      }
      case '%':
        put(&o, '%');
        break;
      case '\0':
        p--; /* a lone '%' at the end */
        break;
      default:
        put(&o, '%');
        put(&o, *p);
        break;
    }
  }
  if (size > 0) {
    buf[o.len < size ? o.len : size - 1] = '\0';
  }
  return (int)o.len;
}

int isolate_snprintf(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = isolate_vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}
