/*
 * isolate-helper: executes an isolation policy decided by the Java side (io.isolate.container.helper.HelperCommand).
 *
 * The model is Bazel's linux-sandbox: Java decides everything and builds this program's argument list; this
 * program only carries it out, in order, and dies loudly (file:line + strerror) on the first failure. It knows
 * nothing about images, cgroup controllers or seccomp policy: it writes the pid into the cgroup.procs files it is
 * given (or has init write "0" into the v1 tasks files it is given), installs the BPF program it is given, and
 * performs the mount operations it is given.
 *
 * Process tree:
 *   helper (host namespaces)         listens on published ports, writes uid/gid maps and cgroup membership
 *                                    (or clones init straight into a v2 cgroup, or opens v1 tasks files for init
 *                                    to move itself), forwards signals, waits; on a network of isolates it
 *                                    enters its member's network namespace first (--join-net) and holds the
 *                                    network's bridge namespace open while the isolate lives
 *     init  (pid 1 of the new pid ns) joins the cgroups given as tasks files; hostname, loopback, mounts,
 *                                    pivot_root; then (stage 2, once in all its cgroups)
 *                                    a cgroup namespace, port proxies, the workload; reaps zombies, forwards signals
 *       workload                      rlimits, capabilities dropped, no_new_privs, seccomp, execvp
 *
 * Exit code: the workload's exit code, or 128+signal when it was killed by a signal. The status file (--status)
 * carries the exact story in lines the Java side parses: "exit N", "signal N", "exec-error ERRNO MESSAGE",
 * "setup-error MESSAGE", "rusage UTIME_US STIME_US MAXRSS_KB", "started PID" (the workload was executed),
 * "init-signal N".
 *
 * Special modes: "isolate-helper --unpack DIR" writes an image layer into DIR from operations on standard input,
 * confined to DIR (unpack.c); used by the image layer cache. "isolate-helper --network-keeper" holds a network of
 * isolates: a bridge, and a network namespace per member linked to it (network.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/mount.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "isolate-helper.h"

#define MAX_OPS 512
#define MAX_CGROUPS 16
#define MAX_RLIMITS 16
#define MAX_LOWER 128
#define MAX_PUBLISH 16

static int status_fd = -1;

int format_line(char *buf, size_t size, const char *fmt, va_list ap) {
  int n = vsnprintf(buf, size - 1, fmt, ap);
  if (n < 0) return -1;
  if (n > (int)size - 2) n = (int)size - 2;
  for (int i = 0; i < n; i++) {
    if (buf[i] == '\n') buf[i] = ' ';
  }
  buf[n++] = '\n';
  return n;
}

static void status_line(const char *fmt, ...) {
  if (status_fd < 0) return;
  char buf[PATH_BUF];
  va_list ap;
  va_start(ap, fmt);
  int n = format_line(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  ssize_t ignored = write(status_fd, buf, n);
  (void)ignored;
}

void die_at(const char *file, int line, int err, const char *fmt, ...) {
  char msg[PATH_BUF];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (err) {
    fprintf(stderr, "isolate-helper: %s:%d: %s: %s\n", file, line, msg, strerror(err));
    status_line("setup-error %s:%d: %s: %s", file, line, msg, strerror(err));
  } else {
    fprintf(stderr, "isolate-helper: %s:%d: %s\n", file, line, msg);
    status_line("setup-error %s:%d: %s", file, line, msg);
  }
  _exit(125);
}


enum op_kind { OP_BIND, OP_RO_BIND, OP_RO_BIND_FILE, OP_TMPFS, OP_PROC, OP_DEV, OP_SYMLINK, OP_DIR, OP_OVERLAY_SRC,
               OP_TMP_OVERLAY, OP_REMOUNT_RO, OP_RO_SELF, OP_MASK };

struct op {
  enum op_kind kind;
  const char *a; /* source, target of a symlink, size of a tmpfs */
  const char *dest;
  int tree; /* with --idmap: the source as an id-mapped mount the helper made (a binding or a layer), else -1 */
};

struct options {
  const char *status_path;
  int clone_flags;
  const char *uid_map;
  int run_uid, run_gid; /* the workload's ids in the namespace; -1: stay root there */
  int join_pid;         /* --join: run the command in the namespaces of this running isolate's init */
  int join_parent;      /* ... whose parent (the isolate's helper) must be this pid */
  int join_net;         /* --join-net: share the network namespace of this member's holder (instead of a new one) */
  int join_keeper;      /* ... the holder's parent, the network's keeper, whose namespace has the network's bridge */
  int bridge_netfd;     /* the keeper's network namespace, held open by the helper while the member runs */
  int stop_signal;      /* --stop-signal: what a graceful stop (SIGTERM to the helper) sends the workload */
  const char *copy_in;  /* with --join: write stdin to this path of the isolate instead of running a command */
  const char *copy_out; /* with --join: write this path of the isolate to stdout instead of running a command */
  const char *gid_map;
  const char *cgroup_procs[MAX_CGROUPS];
  int n_cgroups;
  const char *cgroup_tasks[MAX_CGROUPS]; /* --cgroup-self: v1 tasks files init writes "0" into */
  int cgroup_task_fd[MAX_CGROUPS];       /* opened by the helper in the host, inherited by init */
  int n_cgroup_tasks;
  const char *hostname;
  int loopback;
  const char *base;
  struct op ops[MAX_OPS];
  int n_ops;
  const char *chdir_to;
  int rlimit_res[MAX_RLIMITS];
  rlim_t rlimit_val[MAX_RLIMITS];
  int n_rlimits;
  const char *seccomp_hex;
  int publish_host[MAX_PUBLISH];
  int publish_guest[MAX_PUBLISH];
  int publish_fd[MAX_PUBLISH];
  int n_publish;
  int idmap; /* --idmap: become uid/gid 0 of the user namespace, and see host files through id-mapped mounts */
  int helper_pidfd; /* the helper itself, for init to see that it still lives (init's parent pid reads 0) */
  char **argv;
};

static struct options opt;

/* clone3 (Linux 5.7+), declared here: <linux/sched.h> clashes with <sched.h>. */
struct clone3_args {
  unsigned long long flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
      cgroup;
};
#define CLONE_INTO_CGROUP_FLAG 0x200000000ULL
#define CGROUP2_MAGIC 0x63677270

/*
 * Creates init. With exactly one cgroup on cgroup v2 it is born in that cgroup (clone3 CLONE_INTO_CGROUP), which
 * spares the migration and the RCU grace period it may wait for; *born_in_cgroup tells the caller whether it still has
 * to write cgroup.procs.
 */
static pid_t clone_init(unsigned long flags, int *born_in_cgroup) {
  *born_in_cgroup = 0;
  if (opt.n_cgroups == 1) {
    char dir[PATH_BUF];
    snprintf(dir, sizeof dir, "%s", opt.cgroup_procs[0]);
    char *slash = strrchr(dir, '/');
    struct statfs sf;
    if (slash) *slash = 0;
    if (slash && statfs(dir, &sf) == 0 && sf.f_type == CGROUP2_MAGIC) {
      int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0) DIE("open cgroup %s", dir);
      struct clone3_args args;
      memset(&args, 0, sizeof args);
      args.flags = flags | CLONE_INTO_CGROUP_FLAG;
      args.exit_signal = SIGCHLD;
      args.cgroup = (unsigned long long)fd;
      pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
      if (pid >= 0) {
        close(fd);
        *born_in_cgroup = 1;
        return pid;
      }
      close(fd);
      if (errno != ENOSYS && errno != E2BIG && errno != EINVAL) DIE("clone3 into cgroup %s", dir);
    }
  }
  return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}
static volatile pid_t forward_to = 0;

/* Set in the isolate's init: there a SIGTERM (a graceful stop from the JVM, which the helper passed on) reaches the
 * workload as the image's StopSignal (--stop-signal), as "docker stop" sends it. */
static volatile int stop_signal_in_init = 0;

static void forward_signal(int sig) {
  if (forward_to > 0) kill(forward_to, sig == SIGTERM && stop_signal_in_init > 0 ? stop_signal_in_init : sig);
}

static const int FORWARDED[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static void install_forwarding(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward_signal;
  for (size_t i = 0; i < sizeof FORWARDED / sizeof FORWARDED[0]; i++) {
    if (sigaction(FORWARDED[i], &sa, NULL) != 0) DIE("sigaction(%d)", FORWARDED[i]);
  }
}

static void reset_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  for (size_t i = 0; i < sizeof FORWARDED / sizeof FORWARDED[0]; i++) sigaction(FORWARDED[i], &sa, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

static void add_op(enum op_kind kind, const char *a, const char *dest) {
  if (opt.n_ops == MAX_OPS) DIEX("too many mount operations (max %d)", MAX_OPS);
  opt.ops[opt.n_ops].kind = kind;
  opt.ops[opt.n_ops].a = a;
  opt.ops[opt.n_ops].dest = dest;
  opt.ops[opt.n_ops].tree = -1;
  opt.n_ops++;
}

static void parse(int argc, char **argv) {
  opt.base = "/tmp";
  opt.run_uid = opt.run_gid = -1;
  opt.helper_pidfd = -1;
  opt.bridge_netfd = -1;
  int i = 1;
#define NEED(n)                                                               \
  do {                                                                        \
    if (i + (n) >= argc) DIEX("option %s needs %d argument(s)", argv[i], n); \
  } while (0)
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--")) { i++; break; }
    else if (!strcmp(a, "--status")) { NEED(1); opt.status_path = argv[++i]; }
    else if (!strcmp(a, "--unshare-user")) opt.clone_flags |= CLONE_NEWUSER;
    else if (!strcmp(a, "--unshare-pid")) opt.clone_flags |= CLONE_NEWPID;
    else if (!strcmp(a, "--unshare-net")) opt.clone_flags |= CLONE_NEWNET;
    else if (!strcmp(a, "--unshare-uts")) opt.clone_flags |= CLONE_NEWUTS;
    else if (!strcmp(a, "--unshare-ipc")) opt.clone_flags |= CLONE_NEWIPC;
    else if (!strcmp(a, "--unshare-cgroup")) opt.clone_flags |= CLONE_NEWCGROUP;
    else if (!strcmp(a, "--uid-map")) { NEED(1); opt.uid_map = argv[++i]; }
    else if (!strcmp(a, "--stop-signal")) {
      NEED(1);
      opt.stop_signal = atoi(argv[++i]);
      if (opt.stop_signal < 1 || opt.stop_signal > 64 || opt.stop_signal == SIGKILL || opt.stop_signal == SIGSTOP)
        DIEX("--stop-signal %s: not a signal a workload can handle", argv[i]);
    }
    else if (!strcmp(a, "--join-net")) {
      NEED(2);
      opt.join_net = atoi(argv[i + 1]);
      opt.join_keeper = atoi(argv[i + 2]);
      if (opt.join_net <= 1 || opt.join_keeper <= 1 || opt.join_net == opt.join_keeper)
        DIEX("--join-net %s %s: not a network member's holder and its keeper", argv[i + 1], argv[i + 2]);
      i += 2;
    }
    else if (!strcmp(a, "--copy-in")) { NEED(1); opt.copy_in = argv[++i]; }
    else if (!strcmp(a, "--copy-out")) { NEED(1); opt.copy_out = argv[++i]; }
    else if (!strcmp(a, "--join")) {
      NEED(2);
      opt.join_pid = atoi(argv[i + 1]);
      opt.join_parent = atoi(argv[i + 2]);
      if (opt.join_pid <= 1 || opt.join_parent <= 1) DIEX("--join %s %s: not an isolate's init and helper", argv[i + 1],
                                                          argv[i + 2]);
      i += 2;
    }
    else if (!strcmp(a, "--user")) {
      NEED(2);
      opt.run_uid = atoi(argv[i + 1]);
      opt.run_gid = atoi(argv[i + 2]);
      if (opt.run_uid < 0 || opt.run_uid > 65535 || opt.run_gid < 0 || opt.run_gid > 65535)
        DIEX("--user %s %s: ids must be 0..65535", argv[i + 1], argv[i + 2]);
      i += 2;
    }
    else if (!strcmp(a, "--gid-map")) { NEED(1); opt.gid_map = argv[++i]; }
    else if (!strcmp(a, "--cgroup")) {
      NEED(1);
      if (opt.n_cgroups == MAX_CGROUPS) DIEX("too many --cgroup (max %d)", MAX_CGROUPS);
      opt.cgroup_procs[opt.n_cgroups++] = argv[++i];
    }
    else if (!strcmp(a, "--cgroup-self")) {
      NEED(1);
      if (opt.n_cgroup_tasks == MAX_CGROUPS) DIEX("too many --cgroup-self (max %d)", MAX_CGROUPS);
      opt.cgroup_tasks[opt.n_cgroup_tasks++] = argv[++i];
    }
    else if (!strcmp(a, "--hostname")) { NEED(1); opt.hostname = argv[++i]; }
    else if (!strcmp(a, "--loopback")) opt.loopback = 1;
    else if (!strcmp(a, "--base")) { NEED(1); opt.base = argv[++i]; }
    else if (!strcmp(a, "--bind")) { NEED(2); add_op(OP_BIND, argv[i + 1], argv[i + 2]); i += 2; }
    else if (!strcmp(a, "--ro-bind")) { NEED(2); add_op(OP_RO_BIND, argv[i + 1], argv[i + 2]); i += 2; }
    else if (!strcmp(a, "--ro-bind-file")) { NEED(2); add_op(OP_RO_BIND_FILE, argv[i + 1], argv[i + 2]); i += 2; }
    else if (!strcmp(a, "--tmpfs")) { NEED(2); add_op(OP_TMPFS, argv[i + 1], argv[i + 2]); i += 2; }
    else if (!strcmp(a, "--proc")) { NEED(1); add_op(OP_PROC, NULL, argv[++i]); }
    else if (!strcmp(a, "--dev")) { NEED(1); add_op(OP_DEV, NULL, argv[++i]); }
    else if (!strcmp(a, "--symlink")) { NEED(2); add_op(OP_SYMLINK, argv[i + 1], argv[i + 2]); i += 2; }
    else if (!strcmp(a, "--dir")) { NEED(1); add_op(OP_DIR, NULL, argv[++i]); }
    else if (!strcmp(a, "--overlay-src")) { NEED(1); add_op(OP_OVERLAY_SRC, argv[++i], NULL); }
    else if (!strcmp(a, "--tmp-overlay")) { NEED(1); add_op(OP_TMP_OVERLAY, NULL, argv[++i]); }
    else if (!strcmp(a, "--remount-ro")) { NEED(1); add_op(OP_REMOUNT_RO, NULL, argv[++i]); }
    else if (!strcmp(a, "--idmap")) opt.idmap = 1;
    else if (!strcmp(a, "--ro-self")) { NEED(1); add_op(OP_RO_SELF, NULL, argv[++i]); }
    else if (!strcmp(a, "--mask")) { NEED(1); add_op(OP_MASK, NULL, argv[++i]); }
    else if (!strcmp(a, "--chdir")) { NEED(1); opt.chdir_to = argv[++i]; }
    else if (!strcmp(a, "--rlimit")) {
      NEED(2);
      if (opt.n_rlimits == MAX_RLIMITS) DIEX("too many --rlimit (max %d)", MAX_RLIMITS);
      opt.rlimit_res[opt.n_rlimits] = atoi(argv[i + 1]);
      opt.rlimit_val[opt.n_rlimits] = strtoull(argv[i + 2], NULL, 10);
      opt.n_rlimits++;
      i += 2;
    }
    else if (!strcmp(a, "--seccomp")) { NEED(1); opt.seccomp_hex = argv[++i]; }
    else if (!strcmp(a, "--publish")) {
      NEED(2);
      if (opt.n_publish == MAX_PUBLISH) DIEX("too many --publish (max %d)", MAX_PUBLISH);
      opt.publish_host[opt.n_publish] = atoi(argv[i + 1]);
      opt.publish_guest[opt.n_publish] = atoi(argv[i + 2]);
      opt.n_publish++;
      i += 2;
    }
    else DIEX("unknown option '%s'", a);
  }
  if (i >= argc && !opt.copy_in && !opt.copy_out) DIEX("no command given after --");
  opt.argv = &argv[i];
}

void write_file(const char *path, const char *content) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) DIE("open(%s)", path);
  size_t len = strlen(content);
  if (write(fd, content, len) != (ssize_t)len) DIE("write(%s, \"%s\")", path, content);
  if (close(fd) != 0) DIE("close(%s)", path);
}

/* mkdir -p; existing directories are fine. */
static void mkdirs(const char *path) {
  char buf[PATH_BUF];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) DIEX("path too long: %s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p == '/') {
      *p = 0;
      if (mkdir(buf, 0755) != 0 && errno != EEXIST) DIE("mkdir(%s)", buf);
      *p = '/';
    }
  }
  if (mkdir(buf, 0755) != 0 && errno != EEXIST) DIE("mkdir(%s)", buf);
}

static void parent_dirs(const char *path) {
  char buf[PATH_BUF];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) DIEX("path too long: %s", path);
  char *slash = strrchr(buf, '/');
  if (slash && slash != buf) {
    *slash = 0;
    mkdirs(buf);
  }
}

/* A mount point for a file: an empty file, created when missing. */
static void touch(const char *path) {
  struct stat st;
  if (lstat(path, &st) == 0) return; /* exists: a read-only mount cannot open it for writing, and need not */
  parent_dirs(path);
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0 && errno != EEXIST && errno != EISDIR) DIE("create mount point %s", path);
  if (fd >= 0) close(fd);
}

static void set_readonly(const char *path, int recursive) {
  struct mount_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  if (syscall(SYS_mount_setattr, AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &attr, sizeof attr) == 0) return;
  if (errno != ENOSYS) DIE("mount_setattr(%s, RDONLY)", path);
  /* Kernels before 5.12: remount the top mount, keeping the flags the kernel locks in a user namespace. */
  struct statvfs sv;
  if (statvfs(path, &sv) != 0) DIE("statvfs(%s)", path);
  unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  if (mount(NULL, path, NULL, flags, NULL) != 0) DIE("remount(%s, ro)", path);
}

static void host_path(char *buf, const char *src) {
  if (snprintf(buf, PATH_BUF, "/oldroot%s", src) >= PATH_BUF) DIEX("path too long: %s", src);
}

/*
 * "/newroot" + dest, refusing a dest that crosses a symbolic link: the new root may come from an untrusted image,
 * and a link such as "tmp -> /oldroot/etc" would otherwise make the mkdir or mount below land on the host.
 */
static void guest_path(char *buf, const char *dest) {
  if (dest[0] != '/') DIEX("mount destination '%s' is not absolute", dest);
  if (snprintf(buf, PATH_BUF, "/newroot%s", strcmp(dest, "/") ? dest : "") >= PATH_BUF) DIEX("path too long: %s", dest);
  for (char *p = buf + strlen("/newroot") + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    struct stat st;
    int r = lstat(buf, &st);
    *p = '/';
    if (r == 0 && S_ISLNK(st.st_mode)) DIEX("mount destination %s crosses a symbolic link in the root file system", dest);
    if (r != 0) return; /* the rest does not exist yet and will be created as directories */
  }
  struct stat st;
  if (lstat(buf, &st) == 0 && S_ISLNK(st.st_mode) && strcmp(dest, "/"))
    DIEX("mount destination %s is a symbolic link in the root file system", dest);
}

static void bind_mount(const char *src, const char *dest, int readonly) {
  char from[PATH_BUF], to[PATH_BUF];
  host_path(from, src);
  guest_path(to, dest);
  struct stat st;
  if (stat(from, &st) != 0) DIE("bind source %s", src);
  if (S_ISDIR(st.st_mode)) mkdirs(to); else touch(to);
  if (mount(from, to, NULL, MS_BIND | MS_REC, NULL) != 0) DIE("bind %s on %s", src, dest);
  if (readonly) set_readonly(to, 1);
}

/*
 * A host regular file read-only at dest (Mount.image): the source is opened without following a symbolic link
 * and must be a regular file at that moment; the bind is of the inode opened (through its fd entry in the host's
 * /proc, reachable at /oldroot/proc while the new root is built), so a link or a directory swapped in after the
 * check is never mounted.
 */
static void bind_file_readonly(const char *src, const char *dest) {
  char from[PATH_BUF], to[PATH_BUF], fdpath[64];
  host_path(from, src);
  guest_path(to, dest);
  int fd = open(from, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) DIE("image %s", src);
  struct stat st;
  if (fstat(fd, &st) != 0) DIE("fstat image %s", src);
  if (!S_ISREG(st.st_mode)) DIEX("image %s is not a regular file", src);
  touch(to);
  snprintf(fdpath, sizeof fdpath, "/oldroot/proc/self/fd/%d", fd);
  if (mount(fdpath, to, NULL, MS_BIND, NULL) != 0) DIE("bind image %s on %s", src, dest);
  set_readonly(to, 1);
  close(fd);
}

static void mount_dev(const char *dest) {
  static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
  char to[PATH_BUF], path[PATH_BUF], from[PATH_BUF];
  guest_path(to, dest);
  mkdirs(to);
  if (mount("tmpfs", to, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=65536") != 0) DIE("mount tmpfs on %s", dest);
  for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", to, nodes[i]);
    snprintf(from, sizeof from, "/oldroot/dev/%s", nodes[i]);
    touch(path);
    if (mount(from, path, NULL, MS_BIND, NULL) != 0) DIE("bind /dev/%s", nodes[i]);
  }
  static const char *const links[][2] = {
      {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
      {"/proc/self/fd/2", "stderr"}};
  for (size_t i = 0; i < 4; i++) {
    snprintf(path, sizeof path, "%s/%s", to, links[i][1]);
    if (symlink(links[i][0], path) != 0) DIE("symlink %s", path);
  }
  snprintf(path, sizeof path, "%s/shm", to);
  mkdirs(path);
  if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) DIE("mount tmpfs on %s/shm", dest);
}

static void overlay(const char **lower, int n_lower, const char *dest, int index) {
  char to[PATH_BUF], upper[PATH_BUF], work[PATH_BUF], data[PATH_BUF];
  guest_path(to, dest);
  mkdirs(to);
  snprintf(upper, sizeof upper, "/ovl/%d/upper", index);
  snprintf(work, sizeof work, "/ovl/%d/work", index);
  mkdirs(upper);
  mkdirs(work);
  int n = snprintf(data, sizeof data, "lowerdir=");
  for (int i = 0; i < n_lower; i++) {
    n += snprintf(data + n, sizeof data - n, "%s%s", i ? ":" : "", lower[i]);
    if (n >= (int)sizeof data) DIEX("overlay options longer than %zu bytes (%d layers)", sizeof data, n_lower);
  }
  n += snprintf(data + n, sizeof data - n, ",upperdir=%s,workdir=%s%s", upper, work,
                (opt.clone_flags & CLONE_NEWUSER) ? ",userxattr" : "");
  if (n >= (int)sizeof data) DIEX("overlay options longer than %zu bytes", sizeof data);
  if (mount("overlay", to, "overlay", MS_NOSUID | MS_NODEV, data) != 0) DIE("mount overlay on %s (%s)", dest, data);
}

/*
 * --idmap (the isolate of a root JVM, whose ids 0-65535 are unprivileged host ids from 2^30, so that its root is not
 * the host's): the host files it is given (bindings, image layers) keep their owners as the isolate sees them, through
 * id-mapped mounts (Linux 5.12+). A file of host uid N shows as uid N inside, and what the isolate's root writes there
 * is stored as host root's, as before, but only in what was given. The mounts are made here, in the host's
 * namespaces, before init is cloned: a child holds a user namespace with the isolate's maps, open_tree clones each
 * source and mount_setattr maps it through that namespace; init inherits the detached mounts and attaches them
 * (move_mount) where its operations say.
 */
static int idmapped_tree(int userns, const char *src, int file, int readonly, int may_fall_back) {
  int tree;
  if (file) {
    /* Mount.image: the inode opened without following a link, and a regular file at that moment */
    int fd = open(src, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) DIE("image %s", src);
    struct stat st;
    if (fstat(fd, &st) != 0) DIE("fstat image %s", src);
    if (!S_ISREG(st.st_mode)) DIEX("image %s is not a regular file", src);
    tree = (int)syscall(SYS_open_tree, fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
    close(fd);
  } else {
    tree = (int)syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  }
  if (tree < 0) DIE("open_tree(%s)", src);
  struct mount_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (readonly ? MOUNT_ATTR_RDONLY : 0);
  attr.userns_fd = (unsigned long long)userns;
  /* A clone keeps the source's propagation: on a host whose / is shared, what the isolate later mounts on or below
   * the tree (the masks over /etc's unreadable files, nested mounts) would appear on the host. Private, recursively. */
  attr.propagation = MS_PRIVATE;
  if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) {
    if (may_fall_back && (errno == EINVAL || errno == EPERM || errno == EOPNOTSUPP)) {
      /* a file system that cannot be id-mapped, given read-only: still readable, its owners showing as nobody */
      close(tree);
      return -1;
    }
    DIE("id-map %s (mount_setattr)", src);
  }
  return tree;
}

static void make_idmapped_trees(void) {
  int unshared[2], done[2];
  if (pipe2(unshared, O_CLOEXEC) != 0 || pipe2(done, O_CLOEXEC) != 0) DIE("pipe2");
  pid_t holder = fork();
  if (holder < 0) DIE("fork");
  if (holder == 0) {
    close(unshared[0]);
    close(done[1]);
    char c = unshare(CLONE_NEWUSER) == 0 ? 'u' : 'x';
    if (write(unshared[1], &c, 1) != 1) _exit(1);
    ssize_t ignored = read(done[0], &c, 1); /* until the helper has what it needs (end of file) */
    (void)ignored;
    _exit(0);
  }
  close(unshared[1]);
  close(done[0]);
  char c = 0;
  if (read(unshared[0], &c, 1) != 1 || c != 'u') DIEX("a user namespace for id-mapped mounts could not be made");
  close(unshared[0]);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/setgroups", (int)holder);
  write_file(path, "deny");
  snprintf(path, sizeof path, "/proc/%d/uid_map", (int)holder);
  write_file(path, opt.uid_map);
  snprintf(path, sizeof path, "/proc/%d/gid_map", (int)holder);
  write_file(path, opt.gid_map);
  snprintf(path, sizeof path, "/proc/%d/ns/user", (int)holder);
  int userns = open(path, O_RDONLY | O_CLOEXEC);
  if (userns < 0) DIE("open(%s)", path);
  for (int i = 0; i < opt.n_ops; i++) {
    struct op *o = &opt.ops[i];
    switch (o->kind) {
      case OP_BIND: o->tree = idmapped_tree(userns, o->a, 0, 0, 0); break;
      case OP_RO_BIND: o->tree = idmapped_tree(userns, o->a, 0, 1, 1); break;
      case OP_RO_BIND_FILE: o->tree = idmapped_tree(userns, o->a, 1, 1, 1); break;
      case OP_OVERLAY_SRC: o->tree = idmapped_tree(userns, o->a, 0, 1, 0); break; /* copy-up needs the owners */
      default: break;
    }
  }
  close(userns);
  close(done[1]);
  while (waitpid(holder, NULL, 0) < 0) {
    if (errno != EINTR) DIE("waitpid(%d)", (int)holder);
  }
}

/* Attaches id-mapped mount `tree` (see make_idmapped_trees) at `to` in the new root, making the mount point. */
static void attach_tree(int tree, const char *to, const char *what) {
  struct stat st;
  if (fstat(tree, &st) != 0) DIE("fstat(mount of %s)", what);
  if (S_ISDIR(st.st_mode)) mkdirs(to); else touch(to);
  if (syscall(SYS_move_mount, tree, "", AT_FDCWD, to, MOVE_MOUNT_F_EMPTY_PATH) != 0) DIE("attach %s on %s", what, to);
  close(tree);
}

static void setup_mounts(void) {
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) DIE("make / private");
  if (mount("tmpfs", opt.base, "tmpfs", MS_NODEV | MS_NOSUID, "mode=0755") != 0) DIE("mount tmpfs on %s", opt.base);
  if (chdir(opt.base) != 0) DIE("chdir(%s)", opt.base);
  if (mkdir("newroot", 0755) != 0) DIE("mkdir newroot");
  if (mkdir("oldroot", 0755) != 0) DIE("mkdir oldroot");
  if (mkdir("ovl", 0700) != 0) DIE("mkdir ovl");
  if (mount("newroot", "newroot", NULL, MS_BIND | MS_REC, NULL) != 0) DIE("bind newroot");
  if (syscall(SYS_pivot_root, opt.base, "oldroot") != 0) DIE("pivot_root(%s, oldroot)", opt.base);
  if (chdir("/") != 0) DIE("chdir(/)");

  const char *lower[MAX_LOWER];
  static char lower_paths[MAX_LOWER][PATH_BUF];
  int n_lower = 0, n_overlays = 0;
  char path[PATH_BUF];
  for (int i = 0; i < opt.n_ops; i++) {
    struct op *o = &opt.ops[i];
    switch (o->kind) {
      case OP_BIND:
      case OP_RO_BIND:
      case OP_RO_BIND_FILE:
        if (o->tree >= 0) {
          guest_path(path, o->dest);
          attach_tree(o->tree, path, o->a); /* read-only, nosuid and nodev as made */
        } else if (o->kind == OP_RO_BIND_FILE) {
          bind_file_readonly(o->a, o->dest);
        } else {
          bind_mount(o->a, o->dest, o->kind == OP_RO_BIND);
        }
        break;
      case OP_TMPFS: {
        char data[64];
        snprintf(data, sizeof data, "mode=1777%s%s", strcmp(o->a, "0") ? ",size=" : "", strcmp(o->a, "0") ? o->a : "");
        guest_path(path, o->dest);
        mkdirs(path);
        if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, data) != 0) DIE("mount tmpfs on %s", o->dest);
        break;
      }
      case OP_PROC:
        guest_path(path, o->dest);
        mkdirs(path);
        if (mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) DIE("mount proc on %s", o->dest);
        break;
      case OP_DEV: mount_dev(o->dest); break;
      case OP_SYMLINK:
        guest_path(path, o->dest);
        parent_dirs(path);
        if (symlink(o->a, path) != 0) DIE("symlink %s -> %s", o->dest, o->a);
        break;
      case OP_DIR:
        guest_path(path, o->dest);
        mkdirs(path);
        break;
      case OP_OVERLAY_SRC:
        if (n_lower == MAX_LOWER) DIEX("too many overlay layers (max %d)", MAX_LOWER);
        if (o->tree >= 0) {
          snprintf(lower_paths[n_lower], PATH_BUF, "/ovl/l%d", i);
          attach_tree(o->tree, lower_paths[n_lower], o->a);
        } else {
          host_path(lower_paths[n_lower], o->a);
        }
        lower[n_lower] = lower_paths[n_lower];
        n_lower++;
        break;
      case OP_TMP_OVERLAY:
        if (n_lower == 0) DIEX("--tmp-overlay %s without --overlay-src", o->dest);
        overlay(lower, n_lower, o->dest, n_overlays++);
        n_lower = 0;
        break;
      case OP_REMOUNT_RO:
        guest_path(path, o->dest);
        set_readonly(path, 0);
        break;
      case OP_RO_SELF: { /* a path inside the new root made read-only where it is (such as /proc/sys) */
        struct stat st;
        guest_path(path, o->dest);
        if (lstat(path, &st) != 0) break; /* absent on this kernel: nothing to protect */
        if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) != 0) DIE("bind %s on itself", o->dest);
        set_readonly(path, 1);
        break;
      }
      case OP_MASK: { /* a path inside the new root hidden: /dev/null over a file, an empty read-only tmpfs over a directory */
        struct stat st;
        guest_path(path, o->dest);
        if (lstat(path, &st) != 0) break;
        if (S_ISDIR(st.st_mode)) {
          /* a bind of one empty directory is cheaper than a new tmpfs per masked directory */
          if (mkdir("/empty", 0500) != 0 && errno != EEXIST) DIE("mkdir /empty");
          if (mount("/empty", path, NULL, MS_BIND, NULL) != 0) DIE("mask %s", o->dest);
          set_readonly(path, 0);
        } else if (mount("/oldroot/dev/null", path, NULL, MS_BIND, NULL) != 0) {
          DIE("mask %s", o->dest);
        }
        break;
      }
    }
  }
  if (mount("oldroot", "oldroot", NULL, MS_REC | MS_PRIVATE, NULL) != 0) DIE("make oldroot private");
  if (umount2("oldroot", MNT_DETACH) != 0) DIE("umount oldroot");
  if (chdir("/newroot") != 0) DIE("chdir(/newroot)");
  if (syscall(SYS_pivot_root, ".", ".") != 0) DIE("pivot_root(newroot)");
  if (umount2(".", MNT_DETACH) != 0) DIE("umount old base");
  if (chdir("/") != 0) DIE("chdir(/)");
}

static void loopback_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) DIE("socket(AF_INET)");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) DIE("SIOCGIFFLAGS(lo)");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) DIE("SIOCSIFFLAGS(lo, up)");
  close(s);
}

/* Drops every capability for good; with switch_user, becomes the workload's user first (while CAP_SETUID and
 * CAP_SETGID are still held: the securebits keep the switch from touching the capabilities, capset clears them). */
static void drop_capabilities(int switch_user) {
  if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                                   SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                                   SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) != 0)
    DIE("prctl(PR_SET_SECUREBITS)");
  for (int cap = 0; cap <= 63; cap++) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) DIE("prctl(PR_CAPBSET_DROP, %d)", cap);
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) DIE("clear ambient caps");
  if (switch_user && opt.run_uid >= 0) {
    if (setresgid(opt.run_gid, opt.run_gid, opt.run_gid) != 0) DIE("setresgid(%d)", opt.run_gid);
    if (setresuid(opt.run_uid, opt.run_uid, opt.run_uid) != 0) DIE("setresuid(%d)", opt.run_uid);
  }
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capset, &hdr, data) != 0) DIE("capset(0)");
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  DIEX("bad hex digit '%c' in --seccomp", c);
  return 0;
}

static void install_seccomp(void) {
  size_t len = strlen(opt.seccomp_hex);
  if (len == 0 || len % 16 != 0) DIEX("--seccomp: %zu hex digits is not a whole number of 8-byte instructions", len);
  size_t n = len / 16;
  struct sock_filter *prog = calloc(n, sizeof *prog);
  if (!prog) DIE("calloc");
  unsigned char *bytes = (unsigned char *)prog;
  for (size_t i = 0; i < n * 8; i++) {
    bytes[i] = (unsigned char)(hexval(opt.seccomp_hex[2 * i]) << 4 | hexval(opt.seccomp_hex[2 * i + 1]));
  }
  struct sock_fprog fprog = {(unsigned short)n, prog};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) DIE("seccomp(%zu instructions)", n);
}

/* The workload: everything that must not survive into it is undone here, then exec. */
static void run_workload(int exec_err_fd) {
  reset_signals();
  if (setsid() < 0) DIE("setsid");
  for (int i = 0; i < opt.n_rlimits; i++) {
    struct rlimit rl = {opt.rlimit_val[i], opt.rlimit_val[i]};
    if (setrlimit(opt.rlimit_res[i], &rl) != 0) DIE("setrlimit(%d, %llu)", opt.rlimit_res[i], (unsigned long long)opt.rlimit_val[i]);
  }
  drop_capabilities(1);
  if (opt.join_pid > 0) {
    /* A command joined into a running isolate dies with the helper that waits for it (a stop kills the helper);
     * set after the switch of user, which would clear it. */
    pid_t parent = getppid();
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) DIE("prctl(PR_SET_PDEATHSIG)");
    if (getppid() != parent) _exit(137);
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) DIE("prctl(PR_SET_NO_NEW_PRIVS)");
  if (opt.seccomp_hex) install_seccomp();
  execvp(opt.argv[0], opt.argv);
  int err = errno;
  ssize_t ignored = write(exec_err_fd, &err, sizeof err);
  (void)ignored;
  _exit(127);
}

/* Copies both ways between a host connection and a connection to the guest port, until both sides are done. */
static void relay(int outside, int guest_port) {
  int inside = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(guest_port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (inside < 0 || connect(inside, (struct sockaddr *)&addr, sizeof addr) != 0) _exit(1);
  struct pollfd fds[2] = {{outside, POLLIN, 0}, {inside, POLLIN, 0}};
  int open_dirs = 2;
  char buf[65536];
  while (open_dirs > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      _exit(1);
    }
    for (int k = 0; k < 2; k++) {
      if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      int to = k == 0 ? inside : outside;
      ssize_t n = read(fds[k].fd, buf, sizeof buf);
      if (n <= 0) {
        shutdown(to, SHUT_WR);
        fds[k].fd = -1;
        open_dirs--;
        continue;
      }
      for (ssize_t done = 0; done < n;) {
        ssize_t w = write(to, buf + done, n - done);
        if (w <= 0) _exit(0);
        done += w;
      }
    }
  }
  _exit(0);
}

static void drop_capabilities(int switch_user);
static void install_seccomp(void);

/* Returns once something inside the isolate accepts connections on 127.0.0.1:port (probed by connecting and closing
 * at once: a server sees one empty connection, as it does from any readiness check). Every millisecond for the first
 * 100 ms, when a fast server comes up and a wait for it should not add a probe period; every 10 ms after that. */
static void wait_until_listening(int port) {
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  for (int attempt = 0;; attempt++) {
    int probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0) _exit(1);
    int ok = connect(probe, (struct sockaddr *)&addr, sizeof addr) == 0;
    close(probe);
    if (ok) return;
    struct timespec pause = {0, (attempt < 100 ? 1 : 10) * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
}

/* One process per published port, inside the isolate: accepts on the inherited host socket, relays per connection. */
static void start_proxies(void) {
  for (int i = 0; i < opt.n_publish; i++) {
    pid_t pid = fork();
    if (pid < 0) DIE("fork port proxy");
    if (pid > 0) {
      close(opt.publish_fd[i]);
      continue;
    }
    reset_signals();
    signal(SIGCHLD, SIG_IGN); /* connections' relays are reaped by the kernel */
    for (int j = 0; j < opt.n_publish; j++) if (j != i) close(opt.publish_fd[j]);
    drop_capabilities(0);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) DIE("prctl(PR_SET_NO_NEW_PRIVS)");
    if (opt.seccomp_hex) install_seccomp();
    wait_until_listening(opt.publish_guest[i]);
    if (listen(opt.publish_fd[i], 128) != 0) _exit(1);
    for (;;) {
      int c = accept4(opt.publish_fd[i], NULL, NULL, SOCK_CLOEXEC);
      if (c < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        _exit(1);
      }
      pid_t r = fork();
      if (r == 0) {
        close(opt.publish_fd[i]);
        relay(c, opt.publish_guest[i]);
      }
      close(c);
    }
  }
}

static int encode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

/* pid 1 of the new pid namespace (or a plain child without one). */
/* The helper's own command line, which init inherits; scrubbed once the workload runs (see run_init). */
static char *args_begin, *args_end;

/*
 * With --idmap the helper's host uid 0 is not mapped into the isolate (its 0 is an unprivileged host id): once the
 * maps are written, init, or a joined command, becomes uid and gid 0 of the user namespace, so that what it makes is
 * owned by the isolate's root (and its capabilities there stay).
 */
static void become_namespace_root(void) {
  if (!opt.idmap) return;
  pid_t parent = getppid();
  if (setresgid(0, 0, 0) != 0) DIE("setresgid(0) in the user namespace");
  if (setresuid(0, 0, 0) != 0) DIE("setresuid(0) in the user namespace");
  /* A change of credentials clears the parent-death signal: set it again, and see that the parent did not die in
   * between (then nobody would be left to send it). Init's parent is outside its pid namespace, where getppid()
   * reads 0 whatever happens: it asks the helper's pidfd instead. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) DIE("prctl(PR_SET_PDEATHSIG)");
  if (getppid() != parent) _exit(125);
  if (opt.helper_pidfd >= 0) {
    /* a pidfd becomes readable when its process has ended (a signal through it would not cross pid namespaces) */
    struct pollfd ended = {.fd = opt.helper_pidfd, .events = POLLIN};
    if (poll(&ended, 1, 0) != 0) _exit(125);
  }
}

static void run_init(int sync_fd) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) DIE("prctl(PR_SET_PDEATHSIG)");
  if (opt.bridge_netfd >= 0) close(opt.bridge_netfd); /* the helper holds the network's bridge, not the isolate */
  char byte;
  if (read(sync_fd, &byte, 1) != 1) _exit(125); /* the helper died before writing our uid/gid maps */
  become_namespace_root();
  /*
   * v1 cgroups given as tasks files: a single thread that moves itself ("0") skips the global
   * cgroup_threadgroup_rwsem on current kernels, so this costs microseconds where writing a pid into cgroup.procs
   * waits for an RCU grace period. Init has one thread; the kernel checks the credentials of the helper, which opened
   * the files. Done before anything else, so that all of init's set-up is charged to the isolate.
   */
  for (int i = 0; i < opt.n_cgroup_tasks; i++) {
    if (write(opt.cgroup_task_fd[i], "0", 1) != 1) DIE("join cgroup %s", opt.cgroup_tasks[i]);
    close(opt.cgroup_task_fd[i]);
  }
  if (opt.hostname && sethostname(opt.hostname, strlen(opt.hostname)) != 0) DIE("sethostname(%s)", opt.hostname);
  if (opt.loopback) loopback_up();
  /* Meanwhile the helper writes us into any cgroup.procs files (a migration that can wait for an RCU grace period). */
  setup_mounts();
  if (opt.chdir_to && chdir(opt.chdir_to) != 0) DIE("chdir(%s)", opt.chdir_to);
  if (read(sync_fd, &byte, 1) != 1) _exit(125); /* the helper died before moving us into the cgroups */
  close(sync_fd);
  if (opt.clone_flags & CLONE_NEWCGROUP) {
    if (unshare(CLONE_NEWCGROUP) != 0) DIE("unshare(CLONE_NEWCGROUP)");
  }
  start_proxies();

  int exec_pipe[2];
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) DIE("pipe2");
  forward_to = 0;
  stop_signal_in_init = opt.stop_signal;
  install_forwarding();
  pid_t pid = fork();
  if (pid < 0) DIE("fork workload");
  if (pid == 0) {
    close(exec_pipe[0]);
    run_workload(exec_pipe[1]);
  }
  forward_to = pid;
  close(exec_pipe[1]);
  int err = 0;
  ssize_t got;
  do got = read(exec_pipe[0], &err, sizeof err); while (got < 0 && errno == EINTR);
  if (got == sizeof err) {
    status_line("exec-error %d %s: %s", err, opt.argv[0], strerror(err));
    fprintf(stderr, "isolate-helper: cannot execute %s: %s\n", opt.argv[0], strerror(err));
    _exit(127);
  }
  close(exec_pipe[0]);
  status_line("started %d", pid); /* from here on, an end without "exit" or "signal" was forced from outside */
  /*
   * The workload can read init's /proc/1/cmdline, which is the helper's argv: host paths of the helper, the
   * status file and the cgroups. Init needs none of it any more (the workload has its own copy), so blank it.
   */
  if (args_begin) memset(args_begin, 0, (size_t)(args_end - args_begin));
  for (;;) {
    int status;
    pid_t done = waitpid(-1, &status, 0);
    if (done < 0) {
      if (errno == EINTR) continue;
      DIE("waitpid");
    }
    if (done == pid) {
      if (WIFSIGNALED(status)) status_line("signal %d", WTERMSIG(status));
      else status_line("exit %d", WEXITSTATUS(status));
      _exit(encode(status));
    }
  }
}

/*
 * --join PID: runs the command inside the running isolate whose init is PID, as its workload runs (same cgroup, user
 * and namespaces, user, limits, capabilities dropped, seccomp), waits for it and reports its end in the status file
 * like a run. The cgroup is joined first, while the paths are the host's; the user namespace next, which gives the
 * capabilities the other joins need; the mount namespace last (it changes the root).
 */
/*
 * --copy-in/--copy-out: copies between the helper's stdin/stdout and a file of the isolate, as its workload would
 * (its user, no capabilities, its seccomp filter; the path resolves inside the isolate's root, links included, as it
 * would for the workload). Copy-in writes a new file beside the target and renames it over the target, so that the
 * target is never half-written.
 */
static void copy_file(void) {
  reset_signals();
  drop_capabilities(1);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) DIE("prctl(PR_SET_NO_NEW_PRIVS)");
  if (opt.seccomp_hex) install_seccomp();
  int in = 0, out = 1;
  char tmp[PATH_BUF];
  if (opt.copy_out) {
    in = open(opt.copy_out, O_RDONLY | O_CLOEXEC);
    if (in < 0) DIE("open(%s)", opt.copy_out);
  } else {
    if (snprintf(tmp, sizeof tmp, "%s.isolate-copy-%d", opt.copy_in, (int)getpid()) >= (int)sizeof tmp)
      DIEX("path too long: %s", opt.copy_in);
    out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (out < 0) DIE("open(%s)", opt.copy_in);
  }
  char buf[65536];
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (opt.copy_in) unlink(tmp);
      DIE("read");
    }
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(out, buf + done, n - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (opt.copy_in) unlink(tmp);
        DIE("write(%s)", opt.copy_in ? opt.copy_in : "stdout");
      }
      done += w;
    }
  }
  if (opt.copy_in) {
    if (fsync(out) != 0 || close(out) != 0) {
      unlink(tmp);
      DIE("write(%s)", opt.copy_in);
    }
    if (rename(tmp, opt.copy_in) != 0) {
      int err = errno;
      unlink(tmp);
      errno = err;
      DIE("rename(%s)", opt.copy_in);
    }
  }
  _exit(0);
}

static void join_network(void);

/* The parent pid of process pid, from /proc/PID/stat (-1 when it has ended). */
static int parent_of(int pid) {
  char stat_path[64], stat[512];
  snprintf(stat_path, sizeof stat_path, "/proc/%d/stat", pid);
  int sfd = open(stat_path, O_RDONLY | O_CLOEXEC);
  ssize_t len = sfd < 0 ? -1 : read(sfd, stat, sizeof stat - 1);
  if (sfd >= 0) close(sfd);
  if (len <= 0) return -1;
  stat[len] = 0;
  char *after_comm = strrchr(stat, ')');
  int ppid = -1;
  if (!after_comm || sscanf(after_comm + 1, " %*c %d", &ppid) != 1) return -1;
  return ppid;
}

static void join_main(void) {
  char self[32];
  snprintf(self, sizeof self, "%d", (int)getpid());
  for (int i = 0; i < opt.n_cgroups; i++) write_file(opt.cgroup_procs[i], self);
  for (int i = 0; i < opt.n_cgroup_tasks; i++) write_file(opt.cgroup_tasks[i], self);
  /* The pid must still be the isolate's init when its namespaces are opened, not a process that got the number
   * after init ended: a pidfd holds on to the process, its parent must be the isolate's helper, and it must still
   * live once the namespaces are open. */
  int pidfd = (int)syscall(SYS_pidfd_open, opt.join_pid, 0);
  if (pidfd < 0) DIE("pidfd_open(%d): the isolate's init has ended", opt.join_pid);
  int ppid = parent_of(opt.join_pid);
  if (ppid != opt.join_parent)
    DIEX("process %d is not the isolate's init (its parent is %d, not %d)", opt.join_pid, ppid, opt.join_parent);
  static const char *kinds[] = {"user", "ipc", "uts", "net", "pid", "cgroup", "mnt"};
  int fds[7];
  for (int k = 0; k < 7; k++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/%s", opt.join_pid, kinds[k]);
    fds[k] = open(path, O_RDONLY | O_CLOEXEC);
    if (fds[k] < 0) DIE("open(%s)", path);
  }
  if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) != 0) DIEX("the isolate's init %d has ended", opt.join_pid);
  close(pidfd);
  /* An isolate on a network of isolates: its network namespace is its holder's, owned by the network keeper's user
   * namespace, which only this side of the isolate's user namespace may enter (through the keeper's user namespace
   * when it has one). */
  if (opt.join_net > 0) {
    join_network();
    close(opt.bridge_netfd); /* a joined command ends before the member: the member's helper holds the bridge */
    opt.bridge_netfd = -1;
  }
  for (int k = 0; k < 7; k++) {
    if (opt.join_net > 0 && !strcmp(kinds[k], "net")) {
      close(fds[k]);
      continue;
    }
    if (setns(fds[k], 0) != 0) DIE("setns(%s of %d)", kinds[k], opt.join_pid);
    close(fds[k]);
  }
  become_namespace_root();
  if (chdir(opt.chdir_to ? opt.chdir_to : "/") != 0) DIE("chdir(%s)", opt.chdir_to ? opt.chdir_to : "/");
  int exec_pipe[2];
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) DIE("pipe2");
  pid_t child = fork();
  if (child < 0) DIE("fork");
  if (child == 0) {
    close(exec_pipe[0]);
    if (opt.copy_in || opt.copy_out) copy_file();
    run_workload(exec_pipe[1]);
  }
  close(exec_pipe[1]);
  int err = 0;
  if (read(exec_pipe[0], &err, sizeof err) == (ssize_t)sizeof err) {
    status_line("exec-error %d %s: %s", err, opt.argv[0], strerror(err));
  } else {
    status_line("started %d", (int)child);
  }
  int status;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) DIE("waitpid");
  }
  if (!err) {
    if (WIFEXITED(status)) status_line("exit %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) status_line("signal %d", WTERMSIG(status));
  }
  _exit(encode(status));
}

/*
 * --join-net HOLDER KEEPER: the isolate's network namespace is the one network keeper KEEPER made for this member and
 * holds in its child HOLDER (network.c), instead of one of its own. Called after the published ports' sockets were
 * made (they listen in the host's namespace) and before the isolate's namespaces are made. The holder shares the
 * keeper's user namespace: when the keeper has one of its own (a JVM that is not root), the helper enters it first,
 * the isolate's user namespace is then made inside it, and its id maps are relative to it. The helper keeps the
 * keeper's network namespace (the network's bridge) open while the member runs, so that a network closed while
 * members run stays whole for them.
 */
static void join_network(void) {
  if (parent_of(opt.join_net) != opt.join_keeper)
    DIEX("process %d is not a member's holder of network keeper %d (the network was closed?)", opt.join_net,
         opt.join_keeper);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/net", opt.join_keeper);
  opt.bridge_netfd = open(path, O_RDONLY | O_CLOEXEC);
  snprintf(path, sizeof path, "/proc/%d/ns/user", opt.join_net);
  int userfd = open(path, O_RDONLY | O_CLOEXEC);
  snprintf(path, sizeof path, "/proc/%d/ns/net", opt.join_net);
  int netfd = open(path, O_RDONLY | O_CLOEXEC);
  if (userfd < 0 || netfd < 0 || opt.bridge_netfd < 0) DIE("open the namespaces of network member %d", opt.join_net);
  /* the holder is still the keeper's child now that its namespaces are open: they are the member's */
  if (parent_of(opt.join_net) != opt.join_keeper) DIEX("network member %d has ended", opt.join_net);
  struct stat mine, theirs;
  if (stat("/proc/self/ns/user", &mine) != 0 || fstat(userfd, &theirs) != 0) DIE("stat(user namespaces)");
  if (mine.st_ino != theirs.st_ino && setns(userfd, CLONE_NEWUSER) != 0) DIE("setns(user of %d)", opt.join_net);
  if (setns(netfd, CLONE_NEWNET) != 0) DIE("setns(net of %d)", opt.join_net);
  close(userfd);
  close(netfd);
}

int main(int argc, char **argv) {
  pid_t original_parent = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) DIE("prctl(PR_SET_PDEATHSIG)");
  if (getppid() != original_parent) _exit(125); /* the JVM is already gone */
  if (syscall(SYS_close_range, 3, ~0U, 0) != 0) {
    for (int fd = 3; fd < 1024; fd++) close(fd);
  }
  if (argc == 3 && !strcmp(argv[1], "--unpack")) unpack_main(argv[2]);
  if (argc == 2 && !strcmp(argv[1], "--network-keeper")) network_keeper_main();
  args_begin = argv[0];
  args_end = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
  parse(argc, argv);
  if (opt.status_path) {
    status_fd = open(opt.status_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (status_fd < 0) DIE("open status file %s", opt.status_path);
  }
  if (opt.join_pid > 0) join_main();

  for (int i = 0; i < opt.n_publish; i++) {
    /* Made in the host's network namespace; init inherits it into the isolate's, where its proxy accepts. */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) DIE("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(opt.publish_host[i]),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) DIE("bind 127.0.0.1:%d", opt.publish_host[i]);
    /* Port 0 took a free one: say which (the JVM reads it for mappedPort). The socket listens only once the guest
     * does (see start_proxies): until then a connection is refused, as it would be to the guest itself. */
    socklen_t len = sizeof addr;
    if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0) DIE("getsockname");
    opt.publish_host[i] = ntohs(addr.sin_port);
    status_line("port %d %d", opt.publish_host[i], opt.publish_guest[i]);
    opt.publish_fd[i] = fd;
  }

  for (int i = 0; i < opt.n_cgroup_tasks; i++) {
    /* Opened here, in the host's mount namespace; init writes into them (see run_init). */
    opt.cgroup_task_fd[i] = open(opt.cgroup_tasks[i], O_WRONLY | O_CLOEXEC);
    if (opt.cgroup_task_fd[i] < 0) DIE("open(%s)", opt.cgroup_tasks[i]);
  }

  /* A root JVM's helper belongs to root's supplementary groups; the isolate's processes must not (a workload that
   * runs as another user would keep group root). Another user cannot drop them, and has no such privilege. */
  if (geteuid() == 0 && setgroups(0, NULL) != 0) DIE("setgroups(0)");

  if (opt.join_net > 0) join_network();
  if (opt.idmap) {
    if (!(opt.clone_flags & CLONE_NEWUSER) || !opt.uid_map || !opt.gid_map) DIEX("--idmap needs a user namespace and its maps");
    make_idmapped_trees();
    opt.helper_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0); /* close-on-exec: init's own, never the workload's */
    if (opt.helper_pidfd < 0) DIE("pidfd_open(helper)");
  }

  int sync_pipe[2];
  if (pipe2(sync_pipe, O_CLOEXEC) != 0) DIE("pipe2");
  install_forwarding();
  int born_in_cgroup;
  pid_t pid = clone_init((unsigned long)(opt.clone_flags & ~CLONE_NEWCGROUP) | CLONE_NEWNS, &born_in_cgroup);
  if (pid < 0) DIE("clone(namespaces 0x%x)", opt.clone_flags | CLONE_NEWNS);
  if (pid == 0) {
    close(sync_pipe[1]);
    run_init(sync_pipe[0]);
  }
  close(sync_pipe[0]);
  for (int i = 0; i < opt.n_ops; i++) {
    if (opt.ops[i].tree >= 0) close(opt.ops[i].tree); /* init has its own copies; the helper holds no mount */
  }
  status_line("init %d", (int)pid); /* the isolate's init, whose namespaces a joined command (--join) enters */
  for (int i = 0; i < opt.n_publish; i++) close(opt.publish_fd[i]);
  for (int i = 0; i < opt.n_cgroup_tasks; i++) close(opt.cgroup_task_fd[i]);
  char path[64], line[32];
  if (opt.clone_flags & CLONE_NEWUSER) {
    snprintf(path, sizeof path, "/proc/%d/setgroups", pid);
    write_file(path, "deny");
    if (opt.uid_map) {
      snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
      write_file(path, opt.uid_map);
    }
    if (opt.gid_map) {
      snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
      write_file(path, opt.gid_map);
    }
  }
  forward_to = pid;
  if (write(sync_pipe[1], "1", 1) != 1) DIE("release init (stage 1)");
  /* Init sets up its mounts while we move it into the cgroups; it runs nothing of the workload's before stage 2. */
  for (int i = 0; i < opt.n_cgroups && !born_in_cgroup; i++) {
    snprintf(line, sizeof line, "%d", pid);
    write_file(opt.cgroup_procs[i], line);
  }
  if (write(sync_pipe[1], "2", 1) != 1) DIE("release init (stage 2)");
  close(sync_pipe[1]);

  int status;
  struct rusage ru;
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) DIE("wait4(%d)", pid);
  }
  status_line("rusage %lld %lld %ld", (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
              (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec, ru.ru_maxrss);
  if (WIFSIGNALED(status)) status_line("init-signal %d", WTERMSIG(status));
  return encode(status);
}
