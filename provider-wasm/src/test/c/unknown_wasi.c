// A command that imports a function WASI preview 1 does not have, plus its memory from the host.
// Built with -Wl,--import-memory, so it also imports env.memory.
#include <stdio.h>

__attribute__((import_module("wasi_snapshot_preview1"), import_name("teleport"))) int teleport(int);

int main(void) {
  printf("%d\n", teleport(1));
  return 0;
}
