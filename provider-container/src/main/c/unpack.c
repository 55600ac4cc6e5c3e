/*
 * isolate-helper --unpack DIR: writes one image layer into DIR from a stream of operations on standard input.
 *
 * The Java side (io.isolate.container.image.LayerUnpacker) reads the tar, decides what every entry becomes and
 * sends the result as operations; this code only carries them out. It does so where no host file can be named:
 * in a new user namespace (uid and gid 0 inside are the caller's own uid and gid outside, so it holds no
 * capability over the host) and a new mount namespace whose root is DIR (pivot_root, the old root detached).
 * An absolute symbolic link, a "..", a link replacing a directory half-way through the layer: whatever a path
 * resolves to, it resolves inside DIR. Device nodes other than overlayfs whiteouts (0/0, which the kernel lets
 * anyone create) cannot be made at all.
 *
 * Stream: records of  u8 op, u32 path length, path,  then per op (integers big-endian):
 *   'D' mkdir       u32 mode           'F' regular file  u32 mode, u64 size, size bytes of content
 *   'S' symlink     u32 n, target      'H' hard link      u32 n, existing path (never followed if a link)
 *   'W' whiteout (char 0/0)            'O' opaque directory (user.overlay.opaque=y)
 *   'M' chmod directory u32 mode       'R' remove path, recursively, without following links
 *   'E' end (path length 0): exit 0
 * Any failure exits 125 with the reason on stderr; the caller then discards DIR.
 */
#define _GNU_SOURCE
#include "isolate-helper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static void read_exact(void *buf, size_t n) {
  if (n > 0 && fread(buf, 1, n, stdin) != n) DIEX("the operation stream ended early");
}

static uint32_t read_u32(void) {
  unsigned char b[4];
  read_exact(b, 4);
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint64_t read_u64(void) {
  uint64_t hi = read_u32();
  return hi << 32 | read_u32();
}

/* A path or link target: at most PATH_BUF - 1 bytes, no NUL inside. */
static void read_path(char *buf) {
  uint32_t n = read_u32();
  if (n >= PATH_BUF) DIEX("a path of %u bytes", n);
  read_exact(buf, n);
  buf[n] = 0;
  if (strlen(buf) != n) DIEX("a path containing NUL");
}

static void write_file_content(const char *path, uint32_t mode, uint64_t size) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) DIE("create %s", path);
  static char buf[1 << 16];
  while (size > 0) {
    size_t chunk = size < sizeof buf ? (size_t)size : sizeof buf;
    read_exact(buf, chunk);
    for (size_t done = 0; done < chunk;) {
      ssize_t w = write(fd, buf + done, chunk - done);
      if (w < 0) DIE("write %s", path);
      done += (size_t)w;
    }
    size -= chunk;
  }
  if (fchmod(fd, mode & 07777) != 0) DIE("chmod %s", path);
  if (close(fd) != 0) DIE("close %s", path);
}

static int open_directory(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) DIE("open directory %s", path);
  return fd;
}

/* rm -r without following a link: unlink, and for a directory empty it first through its descriptor. */
static void remove_tree(int dirfd, const char *name) {
  if (unlinkat(dirfd, name, 0) == 0) return;
  if (errno != EISDIR) DIE("unlink %s", name);
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) DIE("open directory %s", name);
  DIR *d = fdopendir(fd);
  if (!d) DIE("fdopendir %s", name);
  /* Whole passes: entries removed under a running readdir may be skipped, so another pass follows any pass that
     removed something, until one finds the directory empty. Rewinding after every entry instead made removing a
     directory of n entries take n^2 steps, which a hostile layer could make last for many minutes. */
  for (int removed = 1; removed;) {
    removed = 0;
    rewinddir(d);
    for (;;) {
      errno = 0;
      struct dirent *e = readdir(d);
      if (!e) {
        if (errno) DIE("readdir %s", name);
        break;
      }
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      remove_tree(fd, e->d_name);
      removed = 1;
    }
  }
  closedir(d);
  if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0) DIE("rmdir %s", name);
}

/* Makes DIR the whole file system of this process, as uid 0 of a user namespace of its own. */
static void confine(const char *dir) {
  char map[64];
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) DIE("unshare(user, mount)");
  int fd = open("/proc/self/setgroups", O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, "deny", 4) != 4 || close(fd) != 0) DIE("write /proc/self/setgroups");
  snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
  fd = open("/proc/self/uid_map", O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, map, strlen(map)) != (ssize_t)strlen(map) || close(fd) != 0) DIE("write uid_map");
  snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
  fd = open("/proc/self/gid_map", O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, map, strlen(map)) != (ssize_t)strlen(map) || close(fd) != 0) DIE("write gid_map");
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) DIE("make mounts private");
  if (mount(dir, dir, NULL, MS_BIND, NULL) != 0) DIE("bind %s", dir);
  if (chdir(dir) != 0) DIE("chdir %s", dir);
  if (syscall(SYS_pivot_root, ".", ".") != 0) DIE("pivot_root %s", dir);
  if (umount2(".", MNT_DETACH) != 0) DIE("detach the old root");
  if (chdir("/") != 0) DIE("chdir /");
  umask(0);
}

void unpack_main(const char *dir) {
  confine(dir);
  char path[PATH_BUF], target[PATH_BUF];
  for (;;) {
    int op = getchar();
    if (op == EOF) DIEX("the operation stream ended without 'E'");
    read_path(path);
    if (op == 'E') {
      if (fflush(stdout) != 0) DIE("flush");
      _exit(0);
    }
    if (!path[0]) DIEX("operation '%c' without a path", op);
    switch (op) {
      case 'D':
        if (mkdir(path, read_u32() & 07777) != 0) DIE("mkdir %s", path);
        break;
      case 'F': {
        uint32_t mode = read_u32();
        write_file_content(path, mode, read_u64());
        break;
      }
      case 'S':
        read_path(target);
        if (symlink(target, path) != 0) DIE("symlink %s", path);
        break;
      case 'H':
        read_path(target);
        if (linkat(AT_FDCWD, target, AT_FDCWD, path, 0) != 0) DIE("link %s to %s", path, target);
        break;
      case 'W':
        if (mknod(path, S_IFCHR | 0000, makedev(0, 0)) != 0) DIE("mknod %s c 0 0 (whiteout)", path);
        break;
      case 'O': {
        int fd = open_directory(path);
        if (fsetxattr(fd, "user.overlay.opaque", "y", 1, 0) != 0) DIE("mark %s opaque", path);
        close(fd);
        break;
      }
      case 'M': {
        uint32_t mode = read_u32();
        int fd = open_directory(path);
        if (fchmod(fd, mode & 07777) != 0) DIE("chmod %s", path);
        close(fd);
        break;
      }
      case 'R':
        remove_tree(AT_FDCWD, path);
        break;
      default:
        DIEX("unknown operation 0x%02x", op);
    }
  }
}
