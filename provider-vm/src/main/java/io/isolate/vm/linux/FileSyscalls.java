package io.isolate.vm.linux;

import io.isolate.vm.kvm.Errno;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** The file-related system calls; {@link Syscalls} dispatches here after decoding the registers. */
final class FileSyscalls {
  static final int AT_FDCWD = -100;
  static final int AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;
  static final int O_CLOEXEC = 02000000;
  private static final int MAX_IOV = 1024;

  private final LinuxProcess p;
  private final UserMemory um;

  FileSyscalls(LinuxProcess p, UserMemory um) {
    this.p = p;
    this.um = um;
  }

  // ---- paths -----------------------------------------------------------------------------------------------------

  /** The directory a *at call's relative path starts from. */
  private String base(int dirfd, String path) {
    if (path.startsWith("/") || dirfd == AT_FDCWD) {
      return p.cwd;
    }
    OpenFile dir = p.fds.get(dirfd);
    if (!(dir instanceof DirectoryFile) || dir.path() == null) {
      throw new LinuxError(Errno.ENOTDIR);
    }
    return dir.path();
  }

  private Vfs.Node resolve(int dirfd, long pathAddr, boolean follow) {
    String path = um.readPath(pathAddr);
    return p.vfs.resolve(base(dirfd, path), path, follow);
  }

  // ---- open / close / dup ------------------------------------------------------------------------------------------

  long openat(int dirfd, long pathAddr, int flags) {
    String path = um.readPath(pathAddr);
    Vfs.Node n = p.vfs.resolve(base(dirfd, path), path, (flags & Vfs.O_NOFOLLOW) == 0);
    if (n.kind() == Vfs.Kind.DEVICE && n.guestPath().matches("/dev/std(in|out|err)")) {
      int std = n.guestPath().endsWith("in") ? 0 : n.guestPath().endsWith("out") ? 1 : 2;
      OpenFile f = p.fds.get(std); // the process's own descriptor, as Linux's /proc/self/fd link gives
      f.retain();
      return p.fds.install(f, 0, (flags & O_CLOEXEC) != 0);
    }
    OpenFile f = p.vfs.open(n, flags);
    f.statusFlags = flags & (Vfs.O_ACCMODE | Vfs.O_APPEND | 04000);
    return p.fds.install(f, 0, (flags & O_CLOEXEC) != 0);
  }

  long close(int fd) {
    p.fds.close(fd);
    return 0;
  }

  long dup(int fd) {
    OpenFile f = p.fds.get(fd);
    f.retain();
    return p.fds.install(f, 0, false);
  }

  long dup3(int oldfd, int newfd, int flags, boolean dup2) {
    OpenFile f = p.fds.get(oldfd);
    if (oldfd == newfd) {
      if (dup2) {
        return newfd;
      }
      throw new LinuxError(Errno.EINVAL);
    }
    if ((flags & ~O_CLOEXEC) != 0) {
      throw new LinuxError(Errno.EINVAL);
    }
    f.retain();
    p.fds.installAt(newfd, f, (flags & O_CLOEXEC) != 0);
    return newfd;
  }

  long pipe2(long fdsAddr, int flags) {
    if ((flags & ~(O_CLOEXEC | 04000)) != 0) {
      throw new LinuxError(Errno.EINVAL);
    }
    um.sink(fdsAddr, 8); // check before creating anything
    PipeBuffer pipe = new PipeBuffer(64 * 1024);
    long ino = p.nextIno();
    int r = p.fds.install(new PipeEnd(pipe, true, p::stopRequested, ino), 0, (flags & O_CLOEXEC) != 0);
    int w;
    try {
      w = p.fds.install(new PipeEnd(pipe, false, p::stopRequested, ino), 0, (flags & O_CLOEXEC) != 0);
    } catch (LinuxError e) {
      p.fds.close(r);
      throw e;
    }
    um.writeInt(fdsAddr, r);
    um.writeInt(fdsAddr + 4, w);
    return 0;
  }

  long fcntl(int fd, int cmd, long arg) {
    OpenFile f = p.fds.get(fd);
    switch (cmd) {
      case 0, 1030 -> { // F_DUPFD, F_DUPFD_CLOEXEC
        if (arg < 0 || arg >= FdTable.MAX) {
          throw new LinuxError(Errno.EINVAL);
        }
        f.retain();
        return p.fds.install(f, (int) arg, cmd == 1030);
      }
      case 1 -> {
        return p.fds.closeOnExec(fd) ? 1 : 0; // F_GETFD
      }
      case 2 -> {
        p.fds.setCloseOnExec(fd, (arg & 1) != 0); // F_SETFD
        return 0;
      }
      case 3 -> {
        return f.statusFlags; // F_GETFL
      }
      case 4 -> { // F_SETFL: only O_APPEND and O_NONBLOCK can change
        f.statusFlags = (f.statusFlags & ~(Vfs.O_APPEND | 04000)) | ((int) arg & (Vfs.O_APPEND | 04000));
        return 0;
      }
      case 5, 6, 7, 36, 37, 38 -> {
        return 0; // record locks: one process, nothing to contend with
      }
      default -> throw new LinuxError(Errno.EINVAL);
    }
  }

  long ioctl(int fd, long request, long arg) {
    OpenFile f = p.fds.get(fd);
    if (request == 0x541B) { // FIONREAD
      int n = f instanceof PipeEnd pe ? pe.available() : 0;
      um.writeInt(arg, n);
      return 0;
    }
    return -Errno.ENOTTY; // TCGETS, TIOCGWINSZ and the rest: nothing here is a terminal
  }

  // ---- data --------------------------------------------------------------------------------------------------------

  long read(int fd, long buf, long count) {
    OpenFile f = p.fds.get(fd);
    int len = UserMemory.ioLength(count);
    return f.read(um.sink(buf, len));
  }

  long write(int fd, long buf, long count) {
    OpenFile f = p.fds.get(fd);
    int len = UserMemory.ioLength(count);
    return f.write(um.source(buf, len));
  }

  long pread(int fd, long buf, long count, long offset) {
    OpenFile f = p.fds.get(fd);
    return f.pread(um.sink(buf, UserMemory.ioLength(count)), offset);
  }

  long pwrite(int fd, long buf, long count, long offset) {
    OpenFile f = p.fds.get(fd);
    return f.pwrite(um.source(buf, UserMemory.ioLength(count)), offset);
  }

  /** readv, writev, preadv, pwritev: {@code offset} &lt; 0 means the file position. */
  long vectored(int fd, long iov, long iovcnt, boolean write, long offset) {
    OpenFile f = p.fds.get(fd);
    if (iovcnt < 0 || iovcnt > MAX_IOV) {
      throw new LinuxError(Errno.EINVAL);
    }
    long total = 0;
    for (int i = 0; i < iovcnt; i++) {
      long base = um.readLong(iov + 16L * i);
      long len = um.readLong(iov + 16L * i + 8);
      if (len == 0) {
        continue;
      }
      int n = UserMemory.ioLength(Math.min(len, UserMemory.MAX_IO - total));
      ByteBuffer b = write ? um.source(base, n) : um.sink(base, n);
      long done;
      if (offset < 0) {
        done = write ? f.write(b) : f.read(b);
      } else {
        done = write ? f.pwrite(b, offset + total) : f.pread(b, offset + total);
      }
      if (done < 0) {
        return total > 0 ? total : done;
      }
      total += done;
      if (done < n || total >= UserMemory.MAX_IO) {
        break;
      }
    }
    return total;
  }

  long sendfile(int outFd, int inFd, long offsetAddr, long count) {
    OpenFile out = p.fds.get(outFd);
    OpenFile in = p.fds.get(inFd);
    int len = UserMemory.ioLength(count);
    ByteBuffer buf = ByteBuffer.allocate(Math.min(len, 1 << 20));
    long offset = offsetAddr != 0 ? um.readLong(offsetAddr) : -1;
    long n = offset >= 0 ? in.pread(buf, offset) : in.read(buf);
    if (n <= 0) {
      return n;
    }
    buf.flip();
    long w = out.write(buf);
    if (offsetAddr != 0 && w > 0) {
      um.writeLong(offsetAddr, offset + w);
    }
    return w;
  }

  long lseek(int fd, long offset, int whence) {
    return p.fds.get(fd).seek(offset, whence);
  }

  long getdents64(int fd, long buf, long count) {
    OpenFile f = p.fds.get(fd);
    int len = (int) Math.min(Math.max(count, 0), 1 << 20);
    um.sink(buf, len);
    byte[] data = f.readDirectory(len);
    um.write(buf, data);
    return data.length;
  }

  long ftruncate(int fd, long length) {
    if (length < 0) {
      throw new LinuxError(Errno.EINVAL);
    }
    return p.fds.get(fd).truncate(length);
  }

  long truncate(long pathAddr, long length) {
    if (length < 0) {
      throw new LinuxError(Errno.EINVAL);
    }
    OpenFile f = p.vfs.open(resolve(AT_FDCWD, pathAddr, true), Vfs.O_WRONLY);
    try {
      return f.truncate(length);
    } finally {
      f.release();
    }
  }

  /** Checks that {@code fd} is open; for calls whose effect is nothing here (flock, fadvise64). */
  long flockCheck(int fd) {
    p.fds.get(fd);
    return 0;
  }

  long fsync(int fd) {
    return p.fds.get(fd).sync();
  }

  // ---- metadata ----------------------------------------------------------------------------------------------------

  long fstat(int fd, long statbuf) {
    um.write(statbuf, p.fds.get(fd).stat().toStat());
    return 0;
  }

  long fstatat(int dirfd, long pathAddr, long statbuf, int flags) {
    Stat s = statAt(dirfd, pathAddr, flags);
    um.write(statbuf, s.toStat());
    return 0;
  }

  long statx(int dirfd, long pathAddr, int flags, long buf) {
    Stat s = statAt(dirfd, pathAddr, flags);
    um.write(buf, s.toStatx());
    return 0;
  }

  private Stat statAt(int dirfd, long pathAddr, int flags) {
    String path = um.readPath(pathAddr);
    if (path.isEmpty() && (flags & AT_EMPTY_PATH) != 0) {
      return dirfd == AT_FDCWD ? p.vfs.stat(p.vfs.resolve("/", p.cwd, true)) : p.fds.get(dirfd).stat();
    }
    Vfs.Node n = p.vfs.resolve(base(dirfd, path), path, (flags & AT_SYMLINK_NOFOLLOW) == 0);
    if (n.symlink()) {
      return new Stat(1, 1, Stat.S_IFLNK | 0777, 1, Stat.GUEST_UID, Stat.GUEST_GID, 0, 0, 0, 0);
    }
    return p.vfs.stat(n);
  }

  long faccessat(int dirfd, long pathAddr, int mode) {
    if ((mode & ~7) != 0) {
      throw new LinuxError(Errno.EINVAL);
    }
    Vfs.Node n = resolve(dirfd, pathAddr, true);
    Stat s = p.vfs.stat(n);
    if ((mode & 2) != 0 && !n.writable()) {
      throw new LinuxError(Errno.EROFS);
    }
    if ((mode & 1) != 0 && !s.isDirectory() && (s.mode() & 0111) == 0) {
      throw new LinuxError(Errno.EACCES);
    }
    return 0;
  }

  long readlinkat(int dirfd, long pathAddr, long buf, long size) {
    if (size <= 0) {
      throw new LinuxError(Errno.EINVAL);
    }
    String path = um.readPath(pathAddr);
    String target;
    if (path.equals("/proc/self/exe")) {
      target = p.exePath;
    } else {
      target = p.vfs.readlink(p.vfs.resolve(base(dirfd, path), path, false));
    }
    byte[] bytes = target.getBytes(StandardCharsets.UTF_8);
    int n = (int) Math.min(bytes.length, size);
    um.write(buf, java.util.Arrays.copyOf(bytes, n));
    return n;
  }

  long getcwd(long buf, long size) {
    byte[] cwd = (p.cwd + "\0").getBytes(StandardCharsets.UTF_8);
    if (size < cwd.length) {
      throw new LinuxError(Errno.ERANGE);
    }
    um.write(buf, cwd);
    return cwd.length;
  }

  long chdir(long pathAddr) {
    Vfs.Node n = resolve(AT_FDCWD, pathAddr, true);
    return changeDirectory(n);
  }

  long fchdir(int fd) {
    OpenFile f = p.fds.get(fd);
    if (!(f instanceof DirectoryFile) || f.path() == null) {
      throw new LinuxError(Errno.ENOTDIR);
    }
    p.cwd = f.path();
    return 0;
  }

  private long changeDirectory(Vfs.Node n) {
    if (!n.exists()) {
      throw new LinuxError(Errno.ENOENT);
    }
    if (!Vfs.isDirectory(n)) {
      throw new LinuxError(Errno.ENOTDIR);
    }
    p.cwd = n.guestPath();
    return 0;
  }

  /**
   * utimensat and futimens: sets a host file's modification time in a read-write mount (access times are not
   * kept). {@code times} null means now; UTIME_NOW and UTIME_OMIT are honoured.
   */
  long utimensat(int dirfd, long pathAddr, long times, int flags) {
    Vfs.Node n;
    java.nio.file.Path host;
    if (pathAddr == 0) {
      OpenFile f = p.fds.get(dirfd);
      if (!(f instanceof HostFile hf)) {
        throw new LinuxError(f instanceof MemoryFile || f instanceof DirectoryFile ? Errno.EROFS : Errno.EBADF);
      }
      n = p.vfs.resolve("/", hf.path(), true);
    } else {
      n = resolve(dirfd, pathAddr, (flags & AT_SYMLINK_NOFOLLOW) == 0);
    }
    if (!n.exists()) {
      throw new LinuxError(Errno.ENOENT);
    }
    if (n.kind() != Vfs.Kind.HOST || !n.writable()) {
      throw new LinuxError(Errno.EROFS);
    }
    host = n.host();
    java.time.Instant when = java.time.Instant.now();
    if (times != 0) {
      long sec = um.readLong(times + 16);
      long nsec = um.readLong(times + 24);
      if (nsec == (1L << 30) - 2) { // UTIME_OMIT
        return 0;
      }
      if (nsec != (1L << 30) - 1) { // not UTIME_NOW
        if (nsec < 0 || nsec >= 1_000_000_000L) {
          throw new LinuxError(Errno.EINVAL);
        }
        when = java.time.Instant.ofEpochSecond(sec, nsec);
      }
    }
    try {
      java.nio.file.Files.setLastModifiedTime(host, java.nio.file.attribute.FileTime.from(when));
    } catch (java.io.IOException e) {
      throw new LinuxError(Vfs.errno(e));
    }
    return 0;
  }

  // ---- changes -----------------------------------------------------------------------------------------------------

  long mkdirat(int dirfd, long pathAddr) {
    p.vfs.mkdir(resolve(dirfd, pathAddr, false));
    return 0;
  }

  long unlinkat(int dirfd, long pathAddr, int flags) {
    if ((flags & ~AT_REMOVEDIR) != 0) {
      throw new LinuxError(Errno.EINVAL);
    }
    p.vfs.unlink(resolve(dirfd, pathAddr, false), (flags & AT_REMOVEDIR) != 0);
    return 0;
  }

  long renameat(int olddirfd, long oldAddr, int newdirfd, long newAddr, int flags) {
    if (flags != 0) {
      throw new LinuxError(Errno.EINVAL);
    }
    p.vfs.rename(resolve(olddirfd, oldAddr, false), resolve(newdirfd, newAddr, false));
    return 0;
  }
}
