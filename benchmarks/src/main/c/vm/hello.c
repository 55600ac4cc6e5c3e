/* VmStartBenchmark, PvStartBenchmark: the smallest useful static program, one write then exit 0. */
#include <stdio.h>

int main(void) {
  fputs("hello, world\n", stdout);
  return 0;
}
