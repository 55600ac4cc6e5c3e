/* VmExitBenchmark: argv[1] (default 1000) getpid system calls, each trapped to the VMM at the HARDWARE level. */
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000;
  for (long i = 0; i < n; i++) {
    if (syscall(SYS_getpid) <= 0) return 1;
  }
  return 0;
}
