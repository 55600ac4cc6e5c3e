// Allocates and touches 1 MiB blocks until malloc fails, then aborts (a trap), as a C++ program
// would on std::bad_alloc. Prints how many MiB it got to stderr first.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Keeps every block reachable so the compiler cannot drop the allocations.
void *volatile last_block;

int main(void) {
  for (int mib = 0;; mib++) {
    char *p = malloc(1 << 20);
    if (p == NULL) {
      fprintf(stderr, "malloc failed after %d MiB\n", mib);
      abort();
    }
    memset(p, 1, 1 << 20);
    *(void **) p = last_block;
    last_block = p;
  }
}
