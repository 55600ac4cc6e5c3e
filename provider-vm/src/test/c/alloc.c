/* Memory-manager workout: alloc MiB     -> malloc/realloc/free, sbrk and mmap totalling MiB, all verified;
                             exhaust      -> malloc 1 MiB blocks until malloc fails, print how many. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static unsigned long check(unsigned char *p, size_t n, unsigned char seed) {
  for (size_t i = 0; i < n; i += 4096) p[i] = (unsigned char)(seed + i / 4096);
  unsigned long bad = 0;
  for (size_t i = 0; i < n; i += 4096) bad += p[i] != (unsigned char)(seed + i / 4096);
  return bad;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "exhaust")) {
    long blocks = 0;
    void *p;
    while ((p = malloc(1 << 20)) != NULL) {
      memset(p, 1, 1 << 20);
      blocks++;
    }
    printf("malloc failed after %ld MiB\n", blocks);
    return 0;
  }
  long mib = argc > 1 ? atol(argv[1]) : 32;
  unsigned long bad = 0;
  /* many small and medium blocks through malloc (brk and mmap inside the allocator) */
  enum { N = 2000 };
  static unsigned char *blocks[N];
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < N; i++) {
      size_t sz = 16 + (size_t)((i * 7919 + round * 104729) % 20000);
      blocks[i] = malloc(sz);
      if (!blocks[i]) { printf("malloc failed\n"); return 3; }
      memset(blocks[i], i & 0xff, sz);
    }
    for (int i = 0; i < N; i += 2) {
      blocks[i] = realloc(blocks[i], 40000);
      if (!blocks[i]) { printf("realloc failed\n"); return 3; }
    }
    for (int i = 0; i < N; i++) free(blocks[i]);
  }
  /* big blocks: mmap'd by the allocator, touched, freed */
  for (long i = 0; i < mib / 4; i++) {
    unsigned char *p = malloc(4 << 20);
    if (!p) { printf("big malloc failed\n"); return 3; }
    bad += check(p, 4 << 20, (unsigned char)i);
    free(p);
  }
  /* raw mmap / mremap / munmap */
  size_t len = (size_t)mib << 20;
  unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) { printf("mmap failed\n"); return 3; }
  bad += check(m, len, 7);
  m = mremap(m, len, len + (1 << 20), MREMAP_MAYMOVE);
  if (m == MAP_FAILED) { printf("mremap failed\n"); return 3; }
  for (size_t i = 0; i < len; i += 4096) bad += m[i] != (unsigned char)(7 + i / 4096);
  if (munmap(m, len + (1 << 20))) { printf("munmap failed\n"); return 3; }
  /* a fresh anonymous mapping reads as zero */
  unsigned char *z = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (size_t i = 0; i < (1 << 20); i += 512) bad += z[i] != 0;
  /* brk itself (musl's sbrk refuses to grow the heap, so ask the kernel directly) */
  unsigned char *b = (unsigned char *)syscall(SYS_brk, 0);
  if ((unsigned char *)syscall(SYS_brk, b + (1 << 20)) != b + (1 << 20)) { printf("brk failed\n"); return 3; }
  bad += check(b, 1 << 20, 3);
  printf("allocated %ld MiB, bad=%lu\n", mib, bad);
  return bad ? 4 : 0;
}
