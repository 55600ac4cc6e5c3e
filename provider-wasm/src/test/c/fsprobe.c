// Runs file-system operations given as arguments and prints one line per operation:
//   read PATH | write PATH TEXT | append PATH TEXT | mkdir PATH | unlink PATH | rmdir PATH
//   symlink TARGET PATH | rename FROM TO | list DIR | stat PATH
//   fill PATH CHUNK: writes CHUNK bytes at a time (byte i of the file is i % 251) until a write fails, then prints
//     "fill PATH: wrote N then ERR <strerror>"
//   readall PATH: reads the file 1 MiB at a time and prints "readall PATH: OK <bytes>"
//   hash PATH: reads the file 1 MiB at a time and prints "hash PATH: OK <bytes> <hash>", the hash a 64-bit FNV-1a
//     over its 8-byte little-endian words (a last partial word zero-padded)
// Each line is "<op> <path>: OK [detail]" or "<op> <path>: ERR <strerror>". Used for mounts and escape attempts.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void report(const char *op, const char *path, int ok, const char *detail) {
  if (ok) {
    printf("%s %s: OK%s%s\n", op, path, detail ? " " : "", detail ? detail : "");
  } else {
    printf("%s %s: ERR %s\n", op, path, strerror(errno));
  }
}

static void do_read(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    report("read", path, 0, NULL);
    return;
  }
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0) {
    report("read", path, 0, NULL);
    return;
  }
  buf[n] = 0;
  for (ssize_t i = 0; i < n; i++) {
    if (buf[i] == '\n') buf[i] = '|';
  }
  report("read", path, 1, buf);
}

static void do_write(const char *op, const char *path, const char *text, int flags) {
  int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
  if (fd < 0) {
    report(op, path, 0, NULL);
    return;
  }
  ssize_t n = write(fd, text, strlen(text));
  int saved = errno;
  close(fd);
  errno = saved;
  report(op, path, n == (ssize_t) strlen(text), NULL);
}

static void do_list(const char *path) {
  DIR *d = opendir(path);
  if (!d) {
    report("list", path, 0, NULL);
    return;
  }
  char names[1024] = "";
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    strncat(names, e->d_name, sizeof names - strlen(names) - 2);
    strcat(names, ",");
  }
  closedir(d);
  report("list", path, 1, names);
}

static unsigned char big[1 << 20];

static void do_fill(const char *path, long chunk) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    report("fill", path, 0, NULL);
    return;
  }
  if (chunk <= 0 || chunk > (long) sizeof big) chunk = sizeof big;
  long long total = 0;
  for (;;) {
    for (long i = 0; i < chunk; i++) big[i] = (unsigned char) ((total + i) % 251);
    ssize_t n = write(fd, big, (size_t) chunk);
    if (n <= 0) {
      if (n == 0) errno = 0;
      break;
    }
    total += n;
  }
  int saved = errno;
  close(fd);
  printf("fill %s: wrote %lld then ERR %s\n", path, total, strerror(saved));
}

static void do_readall(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    report("readall", path, 0, NULL);
    return;
  }
  unsigned long long total = 0;
  ssize_t n;
  while ((n = read(fd, big, sizeof big)) > 0) total += (unsigned long long) n;
  int saved = errno;
  close(fd);
  errno = saved;
  char detail[32];
  snprintf(detail, sizeof detail, "%llu", total);
  report("readall", path, n == 0, detail);
}

static void do_hash(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    report("hash", path, 0, NULL);
    return;
  }
  unsigned long long h = 0xcbf29ce484222325ULL, total = 0;
  for (;;) {
    // a whole buffer before hashing, so that only the file's last block can end inside a word
    size_t filled = 0;
    while (filled < sizeof big) {
      ssize_t n = read(fd, big + filled, sizeof big - filled);
      if (n < 0) {
        close(fd);
        report("hash", path, 0, NULL);
        return;
      }
      if (n == 0) break;
      filled += (size_t) n;
    }
    if (filled == 0) break;
    total += filled;
    while (filled % 8 != 0) big[filled++] = 0;
    for (size_t i = 0; i < filled; i += 8) {
      unsigned long long w;
      memcpy(&w, big + i, 8);
      h = (h ^ w) * 0x100000001b3ULL;
    }
  }
  close(fd);
  char detail[64];
  snprintf(detail, sizeof detail, "%llu %016llx", total, h);
  report("hash", path, 1, detail);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *op = argv[i];
    if (strcmp(op, "read") == 0 && i + 1 < argc) {
      do_read(argv[++i]);
    } else if (strcmp(op, "write") == 0 && i + 2 < argc) {
      do_write("write", argv[i + 1], argv[i + 2], O_TRUNC);
      i += 2;
    } else if (strcmp(op, "append") == 0 && i + 2 < argc) {
      do_write("append", argv[i + 1], argv[i + 2], O_APPEND);
      i += 2;
    } else if (strcmp(op, "mkdir") == 0 && i + 1 < argc) {
      i++;
      report("mkdir", argv[i], mkdir(argv[i], 0755) == 0, NULL);
    } else if (strcmp(op, "unlink") == 0 && i + 1 < argc) {
      i++;
      report("unlink", argv[i], unlink(argv[i]) == 0, NULL);
    } else if (strcmp(op, "rmdir") == 0 && i + 1 < argc) {
      i++;
      report("rmdir", argv[i], rmdir(argv[i]) == 0, NULL);
    } else if (strcmp(op, "symlink") == 0 && i + 2 < argc) {
      report("symlink", argv[i + 2], symlink(argv[i + 1], argv[i + 2]) == 0, NULL);
      i += 2;
    } else if (strcmp(op, "rename") == 0 && i + 2 < argc) {
      report("rename", argv[i + 1], rename(argv[i + 1], argv[i + 2]) == 0, NULL);
      i += 2;
    } else if (strcmp(op, "fill") == 0 && i + 2 < argc) {
      do_fill(argv[i + 1], atol(argv[i + 2]));
      i += 2;
    } else if (strcmp(op, "readall") == 0 && i + 1 < argc) {
      do_readall(argv[++i]);
    } else if (strcmp(op, "hash") == 0 && i + 1 < argc) {
      do_hash(argv[++i]);
    } else if (strcmp(op, "list") == 0 && i + 1 < argc) {
      do_list(argv[++i]);
    } else if (strcmp(op, "stat") == 0 && i + 1 < argc) {
      struct stat st;
      i++;
      int ok = stat(argv[i], &st) == 0;
      char detail[64];
      snprintf(detail, sizeof detail, "size=%lld", ok ? (long long) st.st_size : -1LL);
      report("stat", argv[i], ok, ok ? detail : NULL);
    } else {
      fprintf(stderr, "fsprobe: bad operation '%s'\n", op);
      return 2;
    }
  }
  return 0;
}
