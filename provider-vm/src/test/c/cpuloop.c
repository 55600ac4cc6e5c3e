/* A CPU-bound guest: a sieve of Eratosthenes, repeated; prints the prime count and the time it took. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned char sieve[1 << 22];

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 20;
  long n = sizeof sieve, count = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int r = 0; r < rounds; r++) {
    memset(sieve, 1, n);
    sieve[0] = sieve[1] = 0;
    for (long i = 2; i * i < n; i++)
      if (sieve[i])
        for (long j = i * i; j < n; j += i) sieve[j] = 0;
    count = 0;
    for (long i = 0; i < n; i++) count += sieve[i];
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long ns = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
  printf("primes=%ld\nns=%ld\n", count, ns);
  return 0;
}
