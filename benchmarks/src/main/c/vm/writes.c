/*
 * PvStreamBenchmark: writes argv[1] bytes (default 64 MiB) to stdout with one write(2) of 4 KiB at a time, the
 * pattern the PARAVIRT stream example sends ("0123456789abcdef" repeated). Each write is a trapped system call at
 * the HARDWARE level. Exits 0 when every write was complete, 2 otherwise.
 */
#include <stdlib.h>
#include <unistd.h>

static char chunk[4096];

int main(int argc, char **argv) {
  unsigned long total = argc > 1 ? strtoul(argv[1], 0, 10) : 64ul << 20;
  for (unsigned long i = 0; i < sizeof chunk; i++) chunk[i] = "0123456789abcdef"[i % 16];
  for (unsigned long done = 0; done < total;) {
    unsigned long n = total - done < sizeof chunk ? total - done : sizeof chunk;
    if (write(1, chunk, n) != (long)n) return 2;
    done += n;
  }
  return 0;
}
