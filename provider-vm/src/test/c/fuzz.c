/* Random system calls with random arguments, for SEED and MS milliseconds: fuzz SEED MS [mem].
   With "mem", only the memory calls (mmap, munmap, mprotect, mremap, madvise, brk), aimed mostly at a window
   away from the program but sometimes anywhere: the program may destroy itself, the host must not care.
   Calls that would end or stall the program on purpose (exit, sleeps, waits) are left out; the rest may fail,
   fault or time out, and the host must survive all of it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static uint64_t state;
static uint64_t next(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

static unsigned char buffer[1 << 16];

static long arg(void) {
  switch (next() % 8) {
    case 0: return 0;
    case 1: return (long)(next() % 16);
    case 2: return -1;
    case 3: return (long)next();
    case 4: return (long)buffer;
    case 5: return (long)(buffer + next() % sizeof buffer);
    case 6: return (long)((next() % 0x10000000UL) & ~0xfffUL);
    default: return (long)(next() % 0x10000);
  }
}

static int excluded(long nr) {
  switch (nr) {
    case 7: case 9: case 10: case 11: case 23: case 25: case 34: case 35: case 60: case 61: case 202:
    case 230: case 231: case 247: case 270: case 271: case 281: case 232: case 128: case 130:
      return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  state = argc > 1 ? strtoull(argv[1], 0, 10) * 2654435761UL + 1 : 88172645463325252UL;
  long ms = argc > 2 ? atol(argv[2]) : 500;
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  long calls = 0;
  int mem = argc > 3 && argv[3][0] == 'm';
  static const long memcalls[] = {9, 10, 11, 25, 28, 12};
  do {
    if (mem) {
      for (int i = 0; i < 64; i++) {
        long nr = memcalls[next() % 6];
        long addr = next() % 16 ? 0x10000000L + (long)((next() % 0x8000000UL) & ~0xfffUL) : arg();
        long len = next() % 8 ? (long)(next() % (1 << 22)) : arg();
        long flags = next() % 4 ? (0x22 | (next() % 3 ? 0x10 : 0)) : arg();
        syscall(nr, addr, len, next() % 4 ? (long)(next() % 8) : arg(), flags, -1, next() % 8 ? 0 : arg());
        calls++;
      }
      clock_gettime(CLOCK_MONOTONIC, &t);
      continue;
    }
    for (int i = 0; i < 64; i++) {
      long nr = (long)(next() % 460);
      if (excluded(nr)) continue;
      if (nr == 1 || nr == 20) { syscall(nr, 2 + next() % 8, arg(), arg() & 0xffff); continue; } /* spare stdout */
      syscall(nr, arg(), arg(), arg(), arg(), arg(), arg());
      calls++;
    }
    /* anonymous mappings only, never over the program */
    syscall(9, 0, next() % (1 << 24), next() % 8, 0x22 | (next() % 2 ? 0x4000 : 0), -1, 0);
    clock_gettime(CLOCK_MONOTONIC, &t);
  } while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
  printf("calls=%ld\n", calls);
  return 0;
}
