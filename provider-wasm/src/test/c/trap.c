// Traps: "unreachable" (default), "divzero" (integer division by zero) or "recurse" (unbounded recursion,
// which exhausts the call stack), chosen by argv[1].
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int recurse(int depth) {
  volatile char frame[64];
  frame[0] = (char) depth;
  return recurse(depth + 1) + frame[0];
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "divzero") == 0) {
    int zero = argc - 2;
    printf("%d\n", 10 / zero);
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "recurse") == 0) {
    printf("%d\n", recurse(0));
    return 0;
  }
  __builtin_trap();
}
