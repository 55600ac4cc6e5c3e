/*
 * sha256_vectors.c - host test of the guest's freestanding SHA-256 (examples/sha256/sha256.c, compiled
 * unchanged with the host gcc). Checks the FIPS 180-4 / NIST example vectors, then prints the hex digest of
 * stdin, fed through sha256_update in chunks of varying sizes so the block buffering is exercised.
 */
#include <stdio.h>
#include <string.h>

#include "sha256.h"

static void hex(const uint8_t d[32], char out[65]) {
  for (int i = 0; i < 32; i++) {
    sprintf(out + 2 * i, "%02x", d[i]);
  }
}

static int check(const char *name, const void *data, size_t len, const char *expected) {
  uint8_t d[32];
  char h[65];
  sha256(data, len, d);
  hex(d, h);
  if (strcmp(h, expected) != 0) {
    fprintf(stderr, "vector %s: got %s, expected %s\n", name, h, expected);
    return 1;
  }
  return 0;
}

int main(void) {
  int bad = 0;
  bad |= check("empty", "", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  bad |= check("abc", "abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  bad |= check("448 bits", m448, strlen(m448), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  static char million[1000000];
  memset(million, 'a', sizeof million);
  bad |= check("million a", million, sizeof million,
               "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  if (bad) {
    return 1;
  }
  sha256_ctx c;
  sha256_init(&c);
  static unsigned char buf[1 << 16];
  size_t n, step = 1;
  while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
    for (size_t at = 0; at < n;) {
      size_t k = n - at < step ? n - at : step;
      sha256_update(&c, buf + at, k);
      at += k;
      step = step % 131 + 1;
    }
  }
  uint8_t d[32];
  char h[65];
  sha256_final(&c, d);
  hex(d, h);
  printf("%s\n", h);
  return 0;
}
