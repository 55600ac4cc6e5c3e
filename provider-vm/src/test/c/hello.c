/* The smallest useful guest: one write, then exit 0. */
#include <stdio.h>

int main(void) {
  printf("hello, world\n");
  return 0;
}
