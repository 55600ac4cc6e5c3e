package io.isolate.vm.linux;

import io.isolate.vm.kvm.Errno;
import io.isolate.vm.vstate.GuestMemoryException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;

/**
 * The Linux system-call personality: decodes the registers of a trapped {@code syscall}, runs the call in Java
 * and returns the value for RAX (a result, or a negative errno). Guest pointers are only touched through
 * {@link UserMemory}, which checks them. Calls it does not know return ENOSYS and are counted by name.
 */
final class Syscalls {
  private static final SecureRandom RANDOM = new SecureRandom();
  static final int PID = 2;
  static final int PPID = 1;
  /** The top of user space on x86-64 with 4-level paging, as Linux defines it. */
  static final long TASK_SIZE_MAX = (1L << 47) - 4096;

  private final LinuxProcess p;
  private final UserMemory um;
  private final FileSyscalls files;
  private final Readiness readiness;
  private int umask = 022;
  private byte[] threadName;

  Syscalls(LinuxProcess p, UserMemory um) {
    this.p = p;
    this.um = um;
    this.files = new FileSyscalls(p, um);
    this.readiness = new Readiness(p, um);
    this.threadName = "prog".getBytes(StandardCharsets.UTF_8);
  }

  void setThreadName(String name) {
    byte[] b = name.getBytes(StandardCharsets.UTF_8);
    threadName = java.util.Arrays.copyOf(b, Math.min(15, b.length));
  }

  private java.util.BitSet denied = new java.util.BitSet();

  void deny(java.util.BitSet numbers) {
    denied = (java.util.BitSet) numbers.clone();
  }

  /** Runs system call {@code nr}; the result goes to RAX. */
  long dispatch(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
    if (nr >= 0 && nr < 1024 && denied.get((int) nr)) {
      return -Errno.EPERM;
    }
    try {
      return call(nr, a0, a1, a2, a3, a4, a5);
    } catch (LinuxError e) {
      return -e.errno;
    } catch (GuestMemoryException e) {
      return -Errno.EFAULT;
    } catch (ArithmeticException | IndexOutOfBoundsException | IllegalArgumentException e) {
      // hostile numbers that slipped past a check: the call fails, the VMM goes on
      return -Errno.EINVAL;
    }
  }

  private long call(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
    int fd = (int) a0;
    switch ((int) nr == nr ? (int) nr : -1) {
      case 0: return files.read(fd, a1, a2);
      case 1: return files.write(fd, a1, a2);
      case 2: return files.openat(FileSyscalls.AT_FDCWD, a0, (int) a1);
      case 3: return files.close(fd);
      case 4: return files.fstatat(FileSyscalls.AT_FDCWD, a0, a1, 0);
      case 5: return files.fstat(fd, a1);
      case 6: return files.fstatat(FileSyscalls.AT_FDCWD, a0, a1, FileSyscalls.AT_SYMLINK_NOFOLLOW);
      case 7: return readiness.poll(a0, a1, (int) a2 < 0 ? -1 : (int) a2 * 1_000_000L);
      case 8: return files.lseek(fd, a1, (int) a2);
      case 9: return mmap(a0, a1, (int) a2, (int) a3, (int) a4, a5);
      case 10: return p.mm.mprotect(a0, a1, (int) a2);
      case 11: return p.mm.munmap(a0, a1);
      case 12: return p.mm.brk(a0);
      case 13: return p.signals.sigaction((int) a0, a1, a2, a3);
      case 14: return p.signals.sigprocmask((int) a0, a1, a2, a3);
      case 15: return p.requestSigreturn();
      case 16: return files.ioctl(fd, a1, a2);
      case 17: return files.pread(fd, a1, a2, a3);
      case 18: return files.pwrite(fd, a1, a2, a3);
      case 19: return files.vectored(fd, a1, a2, false, -1);
      case 20: return files.vectored(fd, a1, a2, true, -1);
      case 21: return files.faccessat(FileSyscalls.AT_FDCWD, a0, (int) a1);
      case 22: return files.pipe2(a0, 0);
      case 23: return readiness.select((int) a0, a1, a2, a3, readiness.timeval(a4));
      case 24: return 0; // sched_yield
      case 25: return p.mm.mremap(a0, a1, a2, (int) a3);
      case 26: return 0; // msync: private mappings only
      case 28: return madvise(a0, a1, (int) a2);
      case 32: return files.dup(fd);
      case 33: return files.dup3(fd, (int) a1, 0, true);
      case 35: return sleep(a0, false, 0);
      case 39: return PID;
      case 40: return files.sendfile(fd, (int) a1, a2, a3);
      case 60: case 231: return p.exit((int) (a0 & 0xFF));
      case 62: return a0 == -1 ? killEveryOther((int) a1) : signalSelf(a0 == PID || a0 == 0, (int) a1); // kill
      case 200: return signalSelf(a0 == PID, (int) a1); // tkill
      case 234: return (int) a0 <= 0 || (int) a1 <= 0 ? -Errno.EINVAL // tgkill, as Linux checks tgid and tid
          : signalSelf(a0 == PID && a1 == PID, (int) a2);
      case 98: return getrusage(a1);
      case 100: return times(a0);
      case 160: return 0; // setrlimit: accepted, the VM's limits are what they are
      case 73: return files.flockCheck(fd); // flock: one process, nothing to contend with
      case 221: return files.flockCheck(fd); // fadvise64: advice taken
      case 63: return uname(a0);
      case 72: return files.fcntl(fd, (int) a1, a2);
      case 74: case 75: return files.fsync(fd);
      case 76: return files.truncate(a0, a1);
      case 77: return files.ftruncate(fd, a1);
      case 79: return files.getcwd(a0, a1);
      case 80: return files.chdir(a0);
      case 81: return files.fchdir(fd);
      case 82: return files.renameat(FileSyscalls.AT_FDCWD, a0, FileSyscalls.AT_FDCWD, a1, 0);
      case 83: return files.mkdirat(FileSyscalls.AT_FDCWD, a0);
      case 84: return files.unlinkat(FileSyscalls.AT_FDCWD, a0, FileSyscalls.AT_REMOVEDIR);
      case 85: return files.openat(FileSyscalls.AT_FDCWD, a0, 01 | 0100 | 01000); // creat
      case 87: return files.unlinkat(FileSyscalls.AT_FDCWD, a0, 0);
      case 89: return files.readlinkat(FileSyscalls.AT_FDCWD, a0, a1, a2);
      case 95: { int old = umask; umask = (int) a0 & 0777; return old; }
      case 96: return gettimeofday(a0);
      case 97: return prlimit(a0, a1);
      case 99: return sysinfo(a0);
      case 102: case 104: case 107: case 108: return Stat.GUEST_UID;
      case 105: case 106: return a0 == Stat.GUEST_UID ? 0 : -Errno.EPERM; // setuid, setgid: to itself only
      case 113: case 114: return sameIds(a0, a1, -1) ? 0 : -Errno.EPERM; // setreuid, setregid
      case 117: case 119: return sameIds(a0, a1, a2) ? 0 : -Errno.EPERM; // setresuid, setresgid
      case 118: case 120: return getresid(a0, a1, a2);
      case 115: return a0 < 0 ? -Errno.EINVAL : 0; // getgroups: no supplementary groups
      case 116: return -Errno.EPERM; // setgroups
      case 109: return a0 == 0 || a0 == PID ? 0 : -Errno.ESRCH; // setpgid
      case 111: return PID; // getpgrp
      case 112: return -Errno.EPERM; // setsid: already a session leader
      case 121: case 124: return a0 == 0 || a0 == PID ? PID : -Errno.ESRCH; // getpgid, getsid
      case 110: return PPID;
      case 131: return p.signals.sigaltstack(a0, a1);
      case 157: return prctl((int) a0, a1);
      case 158: return archPrctl((int) a0, a1);
      case 186: return PID; // gettid
      case 201: return time(a0);
      case 202: return futex(a0, (int) a1, (int) a2, a3);
      case 204: return schedGetaffinity(a1, a2);
      case 217: return files.getdents64(fd, a1, a2);
      case 218: return PID; // set_tid_address
      case 228: return clockGettime((int) a0, a1);
      case 229: return clockGetres(a1);
      case 230: return sleep(a2, ((int) a1 & 1) != 0, (int) a0);
      case 257: return files.openat(fd, a1, (int) a2);
      case 258: return files.mkdirat(fd, a1);
      case 262: return files.fstatat(fd, a1, a2, (int) a3);
      case 263: return files.unlinkat(fd, a1, (int) a2);
      case 264: return files.renameat(fd, a1, (int) a2, a3, 0);
      case 267: return files.readlinkat(fd, a1, a2, a3);
      case 269: case 439: return files.faccessat(fd, a1, (int) a2);
      case 270: return readiness.select((int) a0, a1, a2, a3, readiness.timespec(a4));
      case 271: return readiness.poll(a0, a1, readiness.timespec(a2));
      case 273: return 0; // set_robust_list: no other thread will ever need it
      case 292: return files.dup3(fd, (int) a1, (int) a2, false);
      case 293: return files.pipe2(a0, (int) a1);
      case 295: return files.vectored(fd, a1, a2, false, a3);
      case 296: return files.vectored(fd, a1, a2, true, a3);
      case 302: return prlimit(a1, a3);
      case 316: return files.renameat(fd, a1, (int) a2, a3, (int) a4);
      case 318: return getrandom(a0, a1);
      case 332: return files.statx(fd, a1, (int) a2, a4);
      case 280: return files.utimensat(fd, a1, a2, (int) a3);
      case 334: return rseq(a0, a1, (int) a2);
      default:
        p.countUnsupported(SyscallNames.name(nr));
        return -Errno.ENOSYS;
    }
  }

  /** Whether each id is the guest's own or -1 ("unchanged"): the only identity changes a guest may make. */
  private static boolean sameIds(long... ids) {
    for (long id : ids) {
      if ((int) id != -1 && id != Stat.GUEST_UID) {
        return false;
      }
    }
    return true;
  }

  private long getresid(long a, long b, long c) {
    for (long addr : new long[] {a, b, c}) {
      um.writeInt(addr, Stat.GUEST_UID);
    }
    return 0;
  }

  // ---- signals to itself -------------------------------------------------------------------------------------------

  /**
   * kill, tkill and tgkill aimed at the process itself: signal 0 probes, signals whose default action is to be
   * ignored are, and every other signal ends the run as Linux's default action would (abort() raises SIGABRT).
   * Handlers are never run. Other processes do not exist: ESRCH.
   */
  /**
   * {@code kill(-1, sig)}: Linux signals every process the caller may signal except init and the caller itself,
   * and answers ESRCH when there was none. The program is the only process of its isolate, so nothing is
   * signalled (an earlier version signalled the caller, which Linux never does).
   */
  private long killEveryOther(int signal) {
    return signal < 0 || signal > 64 ? -Errno.EINVAL : -Errno.ESRCH;
  }

  private long signalSelf(boolean self, int signal) {
    if (signal < 0 || signal > 64) {
      return -Errno.EINVAL;
    }
    if (!self) {
      return -Errno.ESRCH;
    }
    if (signal == 0 || signal == 17 || signal == 18 || signal == 23 || signal == 28 || signal == 19
        || signal == 20 || signal == 21 || signal == 22) {
      return 0; // SIGCHLD, SIGCONT, SIGURG, SIGWINCH ignored; stop signals have nothing to stop for
    }
    if (signal != 9 && p.signals.handler(signal) == 1) {
      return 0; // SIG_IGN
    }
    if (signal != 9 && p.signals.isBlocked(signal)) {
      p.signals.markPending(signal); // delivered when unblocked, as musl's raise() expects
      return 0;
    }
    p.signalSelf(signal);
    return 0;
  }

  private long getrusage(long usage) {
    long nanos = System.nanoTime() - p.startNanos;
    ByteBuffer b = ByteBuffer.allocate(144).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(0, nanos / 1_000_000_000L).putLong(8, nanos / 1000 % 1_000_000L);
    b.putLong(32, p.mm.peakBytes() / 1024); // ru_maxrss in KiB
    um.write(usage, b.array());
    return 0;
  }

  private long times(long buf) {
    long ticks = (System.nanoTime() - p.startNanos) / 10_000_000L;
    if (buf != 0) {
      ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN).putLong(ticks);
      um.write(buf, b.array());
    }
    return (System.nanoTime() - p.bootNanos) / 10_000_000L;
  }

  // ---- memory ------------------------------------------------------------------------------------------------------

  private long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
    if ((prot & ~7) != 0 || (flags & (MemoryManager.MAP_SHARED | MemoryManager.MAP_PRIVATE)) == 0) {
      return -Errno.EINVAL;
    }
    OpenFile file = null;
    if ((flags & MemoryManager.MAP_ANONYMOUS) == 0) {
      file = p.fds.get(fd);
      if ((offset & (MemoryManager.PAGE - 1)) != 0 || offset < 0) {
        return -Errno.EINVAL;
      }
      if (file instanceof DirectoryFile || file instanceof PipeEnd || file instanceof OutputFile) {
        return -Errno.ENODEV;
      }
    }
    long a = p.mm.mmap(addr, length, prot, flags);
    if (a < 0 || file == null) {
      return a;
    }
    // a private copy of the file: changes are not written back (MAP_SHARED is treated alike)
    long done = 0;
    while (done < length) {
      int n = (int) Math.min(length - done, 1 << 20);
      long r = file.pread(p.mm.memory().buffer(a + done, n), offset + done);
      if (r <= 0) {
        break;
      }
      done += r;
    }
    return a;
  }

  private long madvise(long addr, long len, int advice) {
    if (advice == 4 || advice == 8) { // MADV_DONTNEED, MADV_FREE
      return p.mm.dontNeed(addr, len);
    }
    return 0;
  }

  // ---- signals (accepted, never delivered: nothing here sends any) ---------------------------------------------------

  // ---- process -----------------------------------------------------------------------------------------------------

  private long uname(long buf) {
    byte[] u = new byte[6 * 65];
    String[] fields = {"Linux", p.hostname, "6.1.0-isolate", "#1 SMP isolate", "x86_64", "(none)"};
    for (int i = 0; i < fields.length; i++) {
      byte[] f = fields[i].getBytes(StandardCharsets.UTF_8);
      System.arraycopy(f, 0, u, 65 * i, Math.min(64, f.length));
    }
    um.write(buf, u);
    return 0;
  }

  private long prlimit(long resource, long oldAddr) {
    if (resource < 0 || resource >= 16) {
      return -Errno.EINVAL;
    }
    if (oldAddr != 0) {
      long cur;
      long max;
      switch ((int) resource) {
        case 3 -> { cur = p.stackSize; max = -1; } // RLIMIT_STACK
        case 7 -> { cur = FdTable.MAX; max = FdTable.MAX; } // RLIMIT_NOFILE
        case 2, 9 -> { cur = p.mm.size(); max = p.mm.size(); } // RLIMIT_DATA, RLIMIT_AS
        case 6 -> { cur = 1; max = 1; } // RLIMIT_NPROC
        default -> { cur = -1; max = -1; }
      }
      um.writeTimePair(oldAddr, cur, max);
    }
    return 0;
  }

  private long sysinfo(long buf) {
    ByteBuffer b = ByteBuffer.allocate(112).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(0, (System.nanoTime() - p.startNanos) / 1_000_000_000L);
    b.putLong(32, p.mm.size()).putLong(40, p.mm.size() - p.mm.mappedBytes());
    b.putShort(80, (short) 1).putInt(104, 1);
    um.write(buf, b.array());
    return 0;
  }

  private long prctl(int option, long arg) {
    switch (option) {
      case 15 -> { // PR_SET_NAME
        setThreadName(um.readString(arg, 4095));
        return 0;
      }
      case 16 -> { // PR_GET_NAME
        um.write(arg, java.util.Arrays.copyOf(threadName, 16));
        return 0;
      }
      default -> {
        return -Errno.EINVAL;
      }
    }
  }

  private long archPrctl(int code, long addr) {
    switch (code) {
      case 0x1002 -> { // ARCH_SET_FS
        if (addr < 0 || addr >= TASK_SIZE_MAX) { // Linux refuses addresses outside user space
          return -Errno.EPERM;
        }
        p.setFsBase(addr);
        return 0;
      }
      case 0x1003 -> { // ARCH_GET_FS
        um.writeLong(addr, p.fsBase);
        return 0;
      }
      case 0x1001 -> { // ARCH_SET_GS
        return addr < 0 || addr >= TASK_SIZE_MAX ? -Errno.EPERM : setGs(addr);
      }
      case 0x1004 -> {
        um.writeLong(addr, p.gsBase);
        return 0;
      }
      default -> {
        return -Errno.EINVAL;
      }
    }
  }

  private long setGs(long addr) {
    p.setGsBase(addr);
    return 0;
  }

  private long futex(long uaddr, int op, int val, long timeout) {
    int cmd = op & 0x7F;
    switch (cmd) {
      case 0, 9 -> { // FUTEX_WAIT, FUTEX_WAIT_BITSET
        if (um.readInt(uaddr) != val) {
          return -Errno.EAGAIN;
        }
        // one thread: nobody can wake it, so it sleeps until its timeout or the deadline
        if (timeout != 0) {
          return sleep(timeout, cmd == 9, (op & 256) != 0 ? 0 : 1) == 0 ? -110 /* ETIMEDOUT */ : -Errno.EINTR;
        }
        p.sleepUntil(Long.MAX_VALUE);
        return -Errno.EINTR;
      }
      case 1, 10 -> { // FUTEX_WAKE, FUTEX_WAKE_BITSET
        return 0;
      }
      default -> {
        return -Errno.ENOSYS;
      }
    }
  }

  private long schedGetaffinity(long len, long mask) {
    if (len < 8 || (len & 7) != 0) {
      return -Errno.EINVAL;
    }
    um.writeLong(mask, 1);
    return 8;
  }

  private long getrandom(long buf, long len) {
    int n = UserMemory.ioLength(Math.min(len, 1 << 20));
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    um.write(buf, b);
    return n;
  }

  private long rseq(long addr, long len, int flags) {
    if (flags == 1) { // RSEQ_FLAG_UNREGISTER
      return 0;
    }
    if (len < 32) {
      return -Errno.EINVAL;
    }
    um.writeInt(addr, 0); // cpu_id_start
    um.writeInt(addr + 4, 0); // cpu_id: the one vCPU
    return 0;
  }

  // ---- time --------------------------------------------------------------------------------------------------------

  private long clockGettime(int clock, long tp) {
    long nanos;
    switch (clock) {
      case 0, 5, 8, 11 -> { // REALTIME, REALTIME_COARSE, REALTIME_ALARM, TAI
        Instant now = Instant.now();
        um.writeTimePair(tp, now.getEpochSecond(), now.getNano());
        return 0;
      }
      case 1, 4, 6, 7, 9 -> nanos = System.nanoTime() - p.bootNanos;
      case 2, 3 -> nanos = System.nanoTime() - p.startNanos; // process and thread CPU time: the run so far
      default -> {
        return -Errno.EINVAL;
      }
    }
    um.writeTimePair(tp, nanos / 1_000_000_000L, nanos % 1_000_000_000L);
    return 0;
  }

  private long clockGetres(long res) {
    if (res != 0) {
      um.writeTimePair(res, 0, 1);
    }
    return 0;
  }

  private long gettimeofday(long tv) {
    if (tv != 0) {
      Instant now = Instant.now();
      um.writeTimePair(tv, now.getEpochSecond(), now.getNano() / 1000);
    }
    return 0;
  }

  private long time(long tloc) {
    long now = Instant.now().getEpochSecond();
    if (tloc != 0) {
      um.writeLong(tloc, now);
    }
    return now;
  }

  /** nanosleep and clock_nanosleep: sleeps until the time, or until the run must stop (then EINTR). */
  private long sleep(long req, boolean absolute, int clock) {
    long sec = um.readLong(req);
    long nsec = um.readLong(req + 8);
    if (sec < 0 || nsec < 0 || nsec >= 1_000_000_000L) {
      return -Errno.EINVAL;
    }
    long now = System.nanoTime();
    long wanted;
    if (absolute) {
      long target = sec > Long.MAX_VALUE / 2_000_000_000L ? Long.MAX_VALUE / 2 : sec * 1_000_000_000L + nsec;
      long clockNow = clock == 0 ? Instant.now().getEpochSecond() * 1_000_000_000L + Instant.now().getNano()
          : now - p.bootNanos;
      wanted = Math.max(0, target - clockNow);
    } else {
      wanted = sec > Long.MAX_VALUE / 2_000_000_000L ? Long.MAX_VALUE / 2 : sec * 1_000_000_000L + nsec;
    }
    long until = now + Math.min(wanted, Long.MAX_VALUE / 4);
    return p.sleepUntil(until) ? 0 : -Errno.EINTR;
  }
}
