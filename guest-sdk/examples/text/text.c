/* text.c - an example plugin, bytes in and bytes out: the same source builds for PROCESS and PARAVIRT. */
#include <isolate_guest.h>

/* ASCII letters in upper case; every other byte as it was. */
static int upper(const void *input, size_t len, isolate_reply *reply) {
  const unsigned char *in = input;
  unsigned char *out = isolate_alloc(len);
  if (!out && len > 0) {
    return 1;
  }
  for (size_t i = 0; i < len; i++) {
    out[i] = in[i] >= 'a' && in[i] <= 'z' ? (unsigned char)(in[i] - 'a' + 'A') : in[i];
  }
  reply->data = out;
  reply->len = len;
  return 0;
}

/* The UTF-8 characters in reverse order (a byte that is not valid UTF-8 counts as one character). */
static int reverse(const void *input, size_t len, isolate_reply *reply) {
  const unsigned char *in = input;
  unsigned char *out = isolate_alloc(len);
  if (!out && len > 0) {
    return 1;
  }
  size_t i = 0;
  while (i < len) {
    size_t n = 1;
    while (i + n < len && n < 4 && (in[i] & 0x80) && (in[i + n] & 0xC0) == 0x80) {
      n++;
    }
    memcpy(out + len - i - n, in + i, n);
    i += n;
  }
  reply->data = out;
  reply->len = len;
  return 0;
}

static size_t put_number(char *at, size_t n) {
  char digits[24];
  size_t k = 0;
  do {
    digits[k++] = (char)('0' + n % 10);
    n /= 10;
  } while (n > 0);
  for (size_t i = 0; i < k; i++) {
    at[i] = digits[k - 1 - i];
  }
  return k;
}

/* "LINES WORDS BYTES", as wc counts them. */
static int count(const void *input, size_t len, isolate_reply *reply) {
  const unsigned char *in = input;
  size_t lines = 0, words = 0;
  int in_word = 0;
  for (size_t i = 0; i < len; i++) {
    int space = in[i] == ' ' || in[i] == '\n' || in[i] == '\t' || in[i] == '\r' || in[i] == '\v' || in[i] == '\f';
    lines += in[i] == '\n';
    words += !space && !in_word;
    in_word = !space;
  }
  char *out = isolate_alloc(3 * 24);
  if (!out) {
    return 1;
  }
  size_t at = put_number(out, lines);
  out[at++] = ' ';
  at += put_number(out + at, words);
  out[at++] = ' ';
  at += put_number(out + at, len);
  reply->data = out;
  reply->len = at;
  return 0;
}

/* Nothing in, nothing out: what a call costs. */
static int nop(const void *input, size_t len, isolate_reply *reply) {
  (void)input;
  (void)len;
  (void)reply;
  return 0;
}

int main(void) {
  isolate_register_handler("upper", upper);
  isolate_register_handler("reverse", reverse);
  isolate_register_handler("count", count);
  isolate_register_handler("nop", nop);
  isolate_log(ISOLATE_INFO, "text plugin ready");
  return isolate_serve() < 0 ? 1 : 0;
}
