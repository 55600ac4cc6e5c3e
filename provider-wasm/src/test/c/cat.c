// Copies stdin to stdout until end of file.
#include <stdio.h>
#include <unistd.h>

int main(void) {
  char buf[4096];
  ssize_t n;
  while ((n = read(0, buf, sizeof buf)) > 0) {
    if (write(1, buf, (size_t) n) != n) {
      return 2;
    }
  }
  return n < 0 ? 1 : 0;
}
