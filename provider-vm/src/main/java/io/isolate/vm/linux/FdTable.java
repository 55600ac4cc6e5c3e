package io.isolate.vm.linux;

import io.isolate.vm.kvm.Errno;

/** The process's file descriptors: up to {@link #MAX} slots, each an {@link OpenFile} and a close-on-exec flag. */
final class FdTable {
  static final int MAX = 1024;
  private final OpenFile[] files = new OpenFile[MAX];
  private final boolean[] cloexec = new boolean[MAX];

  OpenFile get(int fd) {
    if (fd < 0 || fd >= MAX || files[fd] == null) {
      throw new LinuxError(Errno.EBADF);
    }
    return files[fd];
  }

  /** Installs {@code file} at the lowest free descriptor at or above {@code min}. */
  int install(OpenFile file, int min, boolean closeOnExec) {
    for (int fd = Math.max(0, min); fd < MAX; fd++) {
      if (files[fd] == null) {
        files[fd] = file;
        cloexec[fd] = closeOnExec;
        return fd;
      }
    }
    file.release();
    throw new LinuxError(Errno.EMFILE);
  }

  /** Puts {@code file} at {@code fd}, closing what was there (dup2 semantics). */
  void installAt(int fd, OpenFile file, boolean closeOnExec) {
    if (fd < 0 || fd >= MAX) {
      file.release();
      throw new LinuxError(Errno.EBADF);
    }
    OpenFile old = files[fd];
    files[fd] = file;
    cloexec[fd] = closeOnExec;
    if (old != null) {
      old.release();
    }
  }

  void close(int fd) {
    OpenFile f = get(fd);
    files[fd] = null;
    f.release();
  }

  boolean closeOnExec(int fd) {
    get(fd);
    return cloexec[fd];
  }

  void setCloseOnExec(int fd, boolean value) {
    get(fd);
    cloexec[fd] = value;
  }

  int count() {
    int n = 0;
    for (OpenFile f : files) {
      if (f != null) {
        n++;
      }
    }
    return n;
  }

  void closeAll() {
    for (int fd = 0; fd < MAX; fd++) {
      if (files[fd] != null) {
        OpenFile f = files[fd];
        files[fd] = null;
        f.release();
      }
    }
  }
}
