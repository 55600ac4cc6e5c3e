/*
 * wc.c - counts the lines, words and bytes of text on the disks named in its arguments, like wc(1):
 *   isolate run --level paravirt --image notes.txt:/notes -- wc.elf /notes
 * A disk is whole 512-byte sectors, the last one padded with zeros: the text ends at the first NUL byte.
 */
#include <isolate_guest.h>

#define CHUNK (64 * 1024)

int main(void) {
  const struct isolate_boot_info *boot = isolate_boot_info();
  const char *const *argv = (const char *const *)(uintptr_t)boot->argv;
  unsigned char *buf = isolate_alloc(CHUNK);
  int status = 0;
  for (uint64_t a = 1; a < boot->argc; a++) {
    int disk = isolate_disk_find(argv[a]);
    if (disk < 0) {
      isolate_printf("wc: %s: no such disk\n", argv[a]);
      status = 1;
      continue;
    }
    int64_t size = isolate_disk_size(disk);
    uint64_t lines = 0, words = 0, bytes = 0;
    int in_word = 0, ended = 0;
    for (int64_t off = 0; off < size && !ended; off += CHUNK) {
      size_t n = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
      if (isolate_disk_read(disk, (uint64_t)off, buf, n) != 0) {
        isolate_printf("wc: %s: read error\n", argv[a]);
        return 1;
      }
      for (size_t i = 0; i < n; i++) {
        unsigned char c = buf[i];
        if (c == 0) {
          ended = 1;
          break;
        }
        bytes++;
        if (c == '\n') {
          lines++;
        }
        int space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
        if (!space && !in_word) {
          words++;
        }
        in_word = !space;
      }
    }
    isolate_printf("%7llu %7llu %7llu %s\n", (unsigned long long)lines, (unsigned long long)words,
                   (unsigned long long)bytes, argv[a]);
  }
  return status;
}
