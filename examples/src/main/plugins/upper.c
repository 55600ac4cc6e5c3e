/* A well-behaved plugin: upper-cases its input and logs how much it handled through the host. */
#include <stdio.h>
#include <string.h>
#include "plugin.h"

int main(void) {
  char buf[4096];
  size_t n, total = 0;
  while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
    for (size_t i = 0; i < n; i++) {
      if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] -= 32;
    }
    fwrite(buf, 1, n, stdout);
    total += n;
  }
  char message[64];
  int len = snprintf(message, sizeof message, "upper: %zu bytes", total);
  host_log(message, len);
  return 0;
}
