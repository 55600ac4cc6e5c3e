// Runs file-system operations given as arguments and prints one line per operation:
//   read PATH | write PATH TEXT | append PATH TEXT | mkdir PATH | unlink PATH | rmdir PATH
//   symlink TARGET PATH | rename FROM TO | list DIR | stat PATH
// Each line is "<op> <path>: OK [detail]" or "<op> <path>: ERR <strerror>". Used for mounts and escape attempts.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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
