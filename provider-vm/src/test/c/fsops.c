/* File-system operations for the mount tests: fsops OP ARGS...; prints results, exits 0 on success,
   or prints "errno=<n>" and exits 1 when the operation fails. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/select.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what) {
  printf("%s: errno=%d\n", what, errno);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *op = argv[1], *path = argv[2];
  if (!strcmp(op, "cat")) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fail("open");
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) fwrite(buf, 1, n, stdout);
    if (n < 0) return fail("read");
    return close(fd) ? fail("close") : 0;
  }
  if (!strcmp(op, "write")) {
    FILE *f = fopen(path, "w");
    if (!f) return fail("fopen");
    fputs(argc > 3 ? argv[3] : "", f);
    return fclose(f) ? fail("fclose") : 0;
  }
  if (!strcmp(op, "append")) {
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0) return fail("open");
    write(fd, argv[3], strlen(argv[3]));
    return close(fd) ? fail("close") : 0;
  }
  if (!strcmp(op, "ls")) {
    DIR *d = opendir(path);
    if (!d) return fail("opendir");
    struct dirent *e;
    while ((e = readdir(d))) {
      if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) printf("%s\n", e->d_name);
    }
    closedir(d);
    return 0;
  }
  if (!strcmp(op, "stat")) {
    struct stat st;
    if (stat(path, &st)) return fail("stat");
    printf("size=%lld dir=%d reg=%d\n", (long long)st.st_size, S_ISDIR(st.st_mode), S_ISREG(st.st_mode));
    return 0;
  }
  if (!strcmp(op, "poll")) { /* poll stdin: fsops poll TIMEOUT_MS */
    struct pollfd p = {0, POLLIN, 0};
    int n = poll(&p, 1, atoi(path));
    printf("poll=%d revents=%d\n", n, p.revents);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(0, &r);
    struct timeval tv = {0, 1000};
    n = select(1, &r, NULL, NULL, &tv);
    printf("select=%d set=%d\n", n, FD_ISSET(0, &r) ? 1 : 0);
    return 0;
  }
  if (!strcmp(op, "mkdir")) return mkdir(path, 0755) ? fail("mkdir") : 0;
  if (!strcmp(op, "rm")) return unlink(path) ? fail("unlink") : 0;
  if (!strcmp(op, "rmdir")) return rmdir(path) ? fail("rmdir") : 0;
  if (!strcmp(op, "mv")) return rename(path, argv[3]) ? fail("rename") : 0;
  if (!strcmp(op, "cwd")) {
    if (chdir(path)) return fail("chdir");
    char buf[256];
    if (!getcwd(buf, sizeof buf)) return fail("getcwd");
    printf("%s\n", buf);
    int fd = open(argv[3], O_RDONLY);
    if (fd < 0) return fail("open");
    char c[64];
    ssize_t n = read(fd, c, sizeof c);
    fwrite(c, 1, n > 0 ? n : 0, stdout);
    return 0;
  }
  return 2;
}
