// Writes to stdout forever.
#include <stdio.h>

int main(void) {
  for (unsigned long i = 0;; i++) {
    printf("line %lu of an endless flood of output\n", i);
  }
}
