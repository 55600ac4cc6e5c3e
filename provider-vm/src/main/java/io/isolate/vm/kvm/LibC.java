package io.isolate.vm.kvm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * The few libc functions the VMM needs ({@code fcntl.h}, {@code unistd.h}, {@code sys/ioctl.h},
 * {@code sys/mman.h}, {@code signal.h}), bound with JNA direct mapping because {@code ioctl(KVM_RUN)} sits on the
 * hot path of every guest exit.
 */
public final class LibC {
  public static final int O_RDWR = 2;
  public static final int O_CLOEXEC = 0x80000;

  public static final int PROT_NONE = 0;
  public static final int PROT_READ = 1;
  public static final int PROT_WRITE = 2;
  public static final int MAP_SHARED = 0x01;
  public static final int MAP_PRIVATE = 0x02;
  public static final int MAP_ANONYMOUS = 0x20;
  public static final int MAP_NORESERVE = 0x4000;
  public static final Pointer MAP_FAILED = new Pointer(-1);

  /** The size of glibc's {@code struct sigaction} on x86-64. */
  public static final int SIZEOF_SIGACTION = 152;
  /** Offset of {@code sa_flags} in glibc's {@code struct sigaction}. */
  public static final int SIGACTION_FLAGS_OFFSET = 136;

  static {
    Native.register(LibC.class, NativeLibrary.getInstance("c"));
  }

  private LibC() {}

  public static native int open(String path, int flags) throws LastErrorException;

  public static native int close(int fd) throws LastErrorException;

  public static native int ioctl(int fd, long request, long arg) throws LastErrorException;

  public static native int ioctl(int fd, long request, Pointer arg) throws LastErrorException;

  public static native Pointer mmap(Pointer addr, long length, int prot, int flags, int fd, long offset)
      throws LastErrorException;

  public static native int munmap(Pointer addr, long length) throws LastErrorException;

  public static native int madvise(Pointer addr, long length, int advice) throws LastErrorException;

  public static final int MADV_DONTNEED = 4;
  /** Populate (prefault) pages writable, contents unchanged: Linux 5.14+. */
  public static final int MADV_POPULATE_WRITE = 23;

  public static native int getpid();

  public static final int PRIO_PROCESS = 0;

  /** With {@code PRIO_PROCESS} and a thread id, sets that thread's nice value (Linux: per thread). */
  public static native int setpriority(int which, int who, int prio) throws LastErrorException;

  public static native int gettid();

  public static native int tgkill(int tgid, int tid, int sig) throws LastErrorException;

  public static native int sigaction(int signum, Pointer act, Pointer oldact) throws LastErrorException;

  public static final int EFD_CLOEXEC = 0x80000;
  public static final int EFD_NONBLOCK = 0x800;

  public static native int eventfd(int initval, int flags) throws LastErrorException;

  public static native long read(int fd, Pointer buf, long count) throws LastErrorException;

  public static native long write(int fd, Pointer buf, long count) throws LastErrorException;

  public static final short POLLIN = 0x1;

  /** {@code struct pollfd} is {int fd; short events; short revents}: 8 bytes each. */
  public static native int poll(Pointer fds, long nfds, int timeoutMillis) throws LastErrorException;

  /** {@code SIGRTMIN} as glibc reports it at run time (glibc keeps the first real-time signals for itself). */
  public static native int __libc_current_sigrtmin();
}
