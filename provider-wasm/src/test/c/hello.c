// Prints one line and exits 0: the smallest WASI command.
#include <stdio.h>

int main(void) {
  puts("hello from wasm");
  return 0;
}
