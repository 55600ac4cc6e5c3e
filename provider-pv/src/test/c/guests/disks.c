/*
 * disks.c - a test guest for virtio-blk. For each disk named in argv it prints "NAME size=N ro=R fnv=H" (H: the
 * FNV-1a 64 hash of the whole disk, read in 64 KiB requests); then it writes a pattern across a scratch disk named
 * "/scratch" and reads it back, tries to write a read-only disk and to read past the end of one, and prints what
 * happened.
 */
#include <isolate_guest.h>

#define CHUNK (64 * 1024)

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    h = (h ^ p[i]) * 1099511628211ull;
  }
  return h;
}

int main(void) {
  const struct isolate_boot_info *boot = isolate_boot_info();
  const char *const *argv = (const char *const *)(uintptr_t)boot->argv;
  unsigned char *buf = isolate_alloc(CHUNK);
  int read_only = -1;
  for (uint64_t a = 1; a < boot->argc; a++) {
    int d = isolate_disk_find(argv[a]);
    if (d < 0) {
      isolate_printf("%s missing\n", argv[a]);
      continue;
    }
    int64_t size = isolate_disk_size(d);
    uint64_t h = 14695981039346656037ull;
    for (int64_t off = 0; off < size; off += CHUNK) {
      size_t n = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
      if (isolate_disk_read(d, (uint64_t)off, buf, n) != 0) {
        isolate_printf("%s read failed at %lld\n", argv[a], (long long)off);
        return 1;
      }
      h = fnv(h, buf, n);
    }
    int ro = isolate_disk_read_only(d);
    if (ro == 1 && read_only < 0) {
      read_only = d;
    }
    isolate_printf("%s size=%lld ro=%d fnv=%llx\n", argv[a], (long long)size, ro, (unsigned long long)h);
  }
  int s = isolate_disk_find("/scratch");
  if (s >= 0) {
    int ok = 1;
    for (int i = 0; i < CHUNK; i++) {
      buf[i] = (unsigned char)(i * 7 + 3);
    }
    int64_t size = isolate_disk_size(s);
    for (int64_t off = 0; off < size && ok; off += CHUNK) {
      ok = isolate_disk_write(s, (uint64_t)off, buf, CHUNK) == 0;
    }
    for (int64_t off = 0; off < size && ok; off += CHUNK) {
      memset(buf, 0, CHUNK);
      ok = isolate_disk_read(s, (uint64_t)off, buf, CHUNK) == 0;
      for (int i = 0; i < CHUNK && ok; i++) {
        ok = buf[i] == (unsigned char)(i * 7 + 3);
      }
    }
    isolate_printf("scratch %s\n", ok ? "ok" : "corrupt");
  }
  if (read_only >= 0) {
    isolate_printf("write to read-only: %d\n", isolate_disk_write(read_only, 0, buf, 512));
    int64_t end = isolate_disk_size(read_only);
    isolate_printf("read past the end: %d\n", isolate_disk_read(read_only, (uint64_t)end, buf, 512));
    isolate_printf("unaligned read: %d\n", isolate_disk_read(read_only, 100, buf, 512));
  }
  return 0;
}
