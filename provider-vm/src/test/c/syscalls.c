/* A self-checking tour of the system calls the HARDWARE level implements. Run with a read-write mount at /rw.
   Prints "ok NAME" or "FAIL NAME: why" per check, and exits with the number of failures. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static int failures;
#define CHECK(name, cond)                                                  \
  do {                                                                     \
    if (cond) printf("ok %s\n", name);                                     \
    else { printf("FAIL %s: errno=%d\n", name, errno); failures++; }       \
  } while (0)

int main(void) {
  char buf[256];
  /* files */
  int fd = open("/rw/a.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
  CHECK("open-create", fd >= 3);
  CHECK("write", write(fd, "hello world", 11) == 11);
  CHECK("lseek-set", lseek(fd, 6, SEEK_SET) == 6);
  CHECK("read-after-seek", read(fd, buf, 5) == 5 && !memcmp(buf, "world", 5));
  CHECK("lseek-end", lseek(fd, 0, SEEK_END) == 11);
  CHECK("pread", pread(fd, buf, 5, 0) == 5 && !memcmp(buf, "hello", 5));
  CHECK("pwrite", pwrite(fd, "HELLO", 5, 0) == 5);
  struct iovec iov[2] = {{"ab", 2}, {"cd", 2}};
  CHECK("writev", writev(fd, iov, 2) == 4);
  char x[4], y[4];
  struct iovec riov[2] = {{x, 3}, {y, 4}};
  CHECK("preadv", preadv(fd, riov, 2, 0) == 7 && !memcmp(x, "HEL", 3) && !memcmp(y, "LO w", 4));
  struct stat st;
  CHECK("fstat-size", fstat(fd, &st) == 0 && st.st_size == 15 && S_ISREG(st.st_mode));
  CHECK("ftruncate", ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5);
  CHECK("fsync", fsync(fd) == 0 && fdatasync(fd) == 0);
  int d = dup(fd);
  CHECK("dup-shares-offset", d > fd && lseek(d, 2, SEEK_SET) == 2 && lseek(fd, 0, SEEK_CUR) == 2);
  CHECK("dup2", dup2(fd, 20) == 20 && close(20) == 0);
  CHECK("dup3-cloexec", dup3(fd, 21, O_CLOEXEC) == 21 && fcntl(21, F_GETFD) == FD_CLOEXEC);
  CHECK("fcntl-getfl", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR);
  CHECK("fcntl-dupfd", fcntl(fd, F_DUPFD, 30) == 30);
  CHECK("close", close(d) == 0 && close(21) == 0 && close(30) == 0);
  CHECK("close-ebadf", close(99) == -1 && errno == EBADF);
  /* file-backed private mapping */
  char *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  CHECK("mmap-file", m != MAP_FAILED && !memcmp(m, "HELLO", 5) && m[5] == 0);
  CHECK("munmap", munmap(m, 4096) == 0);
  close(fd);
  CHECK("stat", stat("/rw/a.txt", &st) == 0 && st.st_size == 5);
  unsigned char sx[256]; /* struct statx, by offset: musl 1.2.3 has no statx() */
  CHECK("statx", syscall(SYS_statx, AT_FDCWD, "/rw/a.txt", 0, 0x200, sx) == 0 && *(unsigned long long *)(sx + 40) == 5);
  CHECK("access", access("/rw/a.txt", R_OK | W_OK) == 0 && access("/rw/none", F_OK) == -1 && errno == ENOENT);
  CHECK("mkdir", mkdir("/rw/d", 0755) == 0 && mkdir("/rw/d", 0755) == -1 && errno == EEXIST);
  CHECK("rename", rename("/rw/a.txt", "/rw/d/b.txt") == 0 && access("/rw/d/b.txt", F_OK) == 0);
  CHECK("chdir-getcwd", chdir("/rw/d") == 0 && getcwd(buf, sizeof buf) && !strcmp(buf, "/rw/d"));
  CHECK("relative-open", (fd = open("b.txt", O_RDONLY)) >= 0 && close(fd) == 0);
  int dfd = open("/rw", O_RDONLY | O_DIRECTORY);
  CHECK("openat-dirfd", (fd = openat(dfd, "d/b.txt", O_RDONLY)) >= 0 && close(fd) == 0);
  CHECK("fstatat-dirfd", fstatat(dfd, "d", &st, 0) == 0 && S_ISDIR(st.st_mode));
  DIR *dir = opendir("/rw/d");
  struct dirent *e;
  int seen = 0;
  while (dir && (e = readdir(dir))) seen += !strcmp(e->d_name, "b.txt");
  CHECK("getdents64", dir && seen == 1);
  if (dir) closedir(dir);
  CHECK("unlink", unlink("/rw/d/b.txt") == 0 && unlink("/rw/d/b.txt") == -1 && errno == ENOENT);
  CHECK("rmdir", chdir("/") == 0 && rmdir("/rw/d") == 0);
  CHECK("readlink-einval", readlink("/rw", buf, sizeof buf) == -1 && errno == EINVAL);
  CHECK("umask", umask(077) == 022 && umask(022) == 077);
  /* pipes */
  int p[2];
  CHECK("pipe2", pipe2(p, O_CLOEXEC) == 0);
  CHECK("pipe-roundtrip", write(p[1], "xyz", 3) == 3 && read(p[0], buf, 3) == 3 && !memcmp(buf, "xyz", 3));
  CHECK("pipe-eof", close(p[1]) == 0 && read(p[0], buf, 3) == 0 && close(p[0]) == 0);
  CHECK("lseek-espipe", lseek(0, 0, SEEK_CUR) == -1 && errno == ESPIPE);
  CHECK("ioctl-enotty", isatty(1) == 0 && errno == ENOTTY);
  /* memory */
  char *a = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK("mmap-anon-zero", a != MAP_FAILED && a[12345] == 0);
  a[0] = 1;
  CHECK("mprotect", mprotect(a, 4096, PROT_READ) == 0 && a[0] == 1);
  CHECK("mremap-grow", (a = mremap(a, 1 << 20, 2 << 20, MREMAP_MAYMOVE)) != MAP_FAILED && a[0] == 1);
  CHECK("madvise-dontneed", mprotect(a, 4096, PROT_READ | PROT_WRITE) == 0 && madvise(a, 4096, MADV_DONTNEED) == 0
      && a[0] == 0);
  CHECK("mmap-efault-write", read(0, (void *)8, 1) == -1 && errno == EFAULT);
  void *cur = (void *)syscall(SYS_brk, 0);
  CHECK("brk", (void *)syscall(SYS_brk, (char *)cur + 65536) == (char *)cur + 65536);
  /* process and time */
  struct utsname u;
  CHECK("uname", uname(&u) == 0 && !strcmp(u.sysname, "Linux") && !strcmp(u.machine, "x86_64"));
  CHECK("ids", getuid() == 1000 && geteuid() == 1000 && getgid() == 1000 && getpid() > 0 && getppid() > 0);
  CHECK("gettid", syscall(SYS_gettid) == getpid());
  struct timespec t0, t1;
  CHECK("clock_gettime", clock_gettime(CLOCK_MONOTONIC, &t0) == 0 && clock_gettime(CLOCK_REALTIME, &t1) == 0
      && t1.tv_sec > 1700000000);
  struct timespec nap = {0, 20 * 1000 * 1000};
  CHECK("nanosleep", nanosleep(&nap, NULL) == 0 && clock_gettime(CLOCK_MONOTONIC, &t1) == 0
      && (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) >= 20 * 1000 * 1000);
  CHECK("time", time(NULL) > 1700000000);
  unsigned char r1[32] = {0}, r2[32] = {0};
  CHECK("getrandom", getrandom(r1, 32, 0) == 32 && getrandom(r2, 32, 0) == 32 && memcmp(r1, r2, 32));
  struct rlimit rl;
  CHECK("prlimit-stack", getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur >= 128 * 1024);
  cpu_set_t set;
  CHECK("sched_getaffinity", sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) == 1);
  CHECK("sched_yield", sched_yield() == 0);
  struct sysinfo si;
  CHECK("sysinfo", sysinfo(&si) == 0 && si.totalram > 0);
  CHECK("enosys", syscall(56 /* clone */, 0, 0, 0, 0, 0) == -1 && errno == ENOSYS);
  printf("failures=%d\n", failures);
  return failures;
}
