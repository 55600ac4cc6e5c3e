// Declares 80 MiB of zeroed static data, so that the module's minimum memory exceeds a 64 MiB limit. Zeroed
// data needs no data segment: the module stays small.
#include <stdio.h>

char big[80 << 20];

// Read through a volatile pointer so that the compiler cannot fold the array away.
char *volatile view = big;

int main(void) {
  view[sizeof big - 1] = 1;
  printf("%d\n", view[0] + view[sizeof big - 1]);
  return 0;
}
