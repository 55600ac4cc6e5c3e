/*
 * VmCpuBenchmark: CPU-bound and memory-bound enough to be honest, with no system call in the timed part. A sieve of
 * Eratosthenes over 4 MiB, repeated argv[1] times (default 40: about 0.45 s natively here); prints the prime count so the
 * work cannot be optimised away and the result can be checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char sieve[1 << 22];

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 40;
  long n = sizeof sieve, count = 0;
  for (int r = 0; r < rounds; r++) {
    memset(sieve, 1, n);
    sieve[0] = sieve[1] = 0;
    for (long i = 2; i * i < n; i++)
      if (sieve[i])
        for (long j = i * i; j < n; j += i) sieve[j] = 0;
    count = 0;
    for (long i = 0; i < n; i++) count += sieve[i];
  }
  printf("primes=%ld\n", count);
  return count == 295947 ? 0 : 1;
}
