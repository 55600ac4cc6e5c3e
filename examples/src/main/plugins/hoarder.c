/* A hostile plugin: allocates memory without end, and keeps it. */
#include <stdlib.h>
#include <string.h>

void *volatile kept;

int main(void) {
  for (;;) {
    void **p = malloc(1 << 20);
    if (p == 0) __builtin_trap();
    memset(p, 1, 1 << 20);
    *p = kept;
    kept = p;
  }
}
