package io.isolate.vm.linux;

import io.isolate.vm.kvm.Errno;

/**
 * poll, ppoll, select and pselect6 for one single-threaded process: regular files and outputs are always ready,
 * pipes are readable when they hold data or their writer has gone. When nothing is ready the call sleeps in short
 * steps until something is, its timeout passes, or the run must stop.
 */
final class Readiness {
  private static final short POLLIN = 1, POLLOUT = 4, POLLERR = 8, POLLHUP = 0x10, POLLNVAL = 0x20;
  private static final int MAX_FDS = FdTable.MAX;

  private final LinuxProcess p;
  private final UserMemory um;

  Readiness(LinuxProcess p, UserMemory um) {
    this.p = p;
    this.um = um;
  }

  /** poll(fds, nfds, timeout ms); ppoll passes its timespec converted to nanoseconds (-1: forever). */
  long poll(long fds, long nfds, long timeoutNanos) {
    if (nfds < 0 || nfds > MAX_FDS) {
      return -Errno.EINVAL;
    }
    um.sink(fds, (int) nfds * 8);
    long until = timeoutNanos < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutNanos;
    while (true) {
      int ready = 0;
      for (int i = 0; i < nfds; i++) {
        long at = fds + 8L * i;
        int fd = um.readInt(at);
        short events = (short) (um.readInt(at + 4) & 0xFFFF);
        short revents = fd < 0 ? 0 : revents(fd, events);
        um.writeInt(at + 4, (events & 0xFFFF) | (revents << 16));
        if (revents != 0) {
          ready++;
        }
      }
      if (ready > 0 || !sleepStep(until)) {
        return ready;
      }
    }
  }

  /** select and pselect6 over fd_set bit arrays; {@code timeoutNanos} -1 means forever. */
  long select(int nfds, long readfds, long writefds, long exceptfds, long timeoutNanos) {
    if (nfds < 0 || nfds > MAX_FDS) {
      return -Errno.EINVAL;
    }
    int words = (nfds + 63) / 64;
    long[] rIn = readSet(readfds, words);
    long[] wIn = readSet(writefds, words);
    long until = timeoutNanos < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutNanos;
    while (true) {
      long[] rOut = new long[words];
      long[] wOut = new long[words];
      int ready = 0;
      for (int fd = 0; fd < nfds; fd++) {
        long bit = 1L << (fd & 63);
        boolean wantR = rIn != null && (rIn[fd >> 6] & bit) != 0;
        boolean wantW = wIn != null && (wIn[fd >> 6] & bit) != 0;
        if (!wantR && !wantW) {
          continue;
        }
        short rev = revents(fd, (short) ((wantR ? POLLIN : 0) | (wantW ? POLLOUT : 0)));
        if ((rev & POLLNVAL) != 0) {
          return -Errno.EBADF;
        }
        if (wantR && (rev & (POLLIN | POLLHUP | POLLERR)) != 0) {
          rOut[fd >> 6] |= bit;
          ready++;
        }
        if (wantW && (rev & (POLLOUT | POLLERR)) != 0) {
          wOut[fd >> 6] |= bit;
          ready++;
        }
      }
      if (ready > 0 || !sleepStep(until)) {
        writeSet(readfds, rOut);
        writeSet(writefds, wOut);
        writeSet(exceptfds, new long[words]);
        return ready;
      }
    }
  }

  private short revents(int fd, short events) {
    OpenFile f;
    try {
      f = p.fds.get(fd);
    } catch (LinuxError e) {
      return POLLNVAL;
    }
    short r = 0;
    if (f instanceof PipeEnd pipe) {
      if (pipe.isReadEnd()) {
        if (pipe.available() > 0) {
          r |= POLLIN;
        } else if (pipe.writerClosed()) {
          r |= POLLHUP;
        }
      } else {
        r |= POLLOUT;
      }
    } else {
      r |= POLLIN | POLLOUT;
    }
    return (short) (r & (events | POLLHUP | POLLERR | POLLNVAL));
  }

  private long[] readSet(long addr, int words) {
    if (addr == 0) {
      return null;
    }
    long[] set = new long[words];
    for (int i = 0; i < words; i++) {
      set[i] = um.readLong(addr + 8L * i);
    }
    return set;
  }

  private void writeSet(long addr, long[] set) {
    if (addr == 0) {
      return;
    }
    for (int i = 0; i < set.length; i++) {
      um.writeLong(addr + 8L * i, set[i]);
    }
  }

  /** Sleeps a little; false when the timeout has passed or the run must stop. */
  private boolean sleepStep(long until) {
    long now = System.nanoTime();
    if (now >= until || p.stopRequested()) {
      return false;
    }
    return p.sleepUntil(Math.min(until, now + 2_000_000L)) || System.nanoTime() < until;
  }

  /** A {@code struct timespec} at {@code addr} in nanoseconds; -1 for a null pointer (wait forever). */
  long timespec(long addr) {
    if (addr == 0) {
      return -1;
    }
    long sec = um.readLong(addr);
    long nsec = um.readLong(addr + 8);
    if (sec < 0 || nsec < 0 || nsec >= 1_000_000_000L) {
      throw new LinuxError(Errno.EINVAL);
    }
    return sec > Long.MAX_VALUE / 2_000_000_000L ? Long.MAX_VALUE / 4 : sec * 1_000_000_000L + nsec;
  }

  /** A {@code struct timeval} at {@code addr} in nanoseconds; -1 for a null pointer. */
  long timeval(long addr) {
    if (addr == 0) {
      return -1;
    }
    long sec = um.readLong(addr);
    long usec = um.readLong(addr + 8);
    if (sec < 0 || usec < 0 || usec >= 1_000_000L) {
      throw new LinuxError(Errno.EINVAL);
    }
    return sec > Long.MAX_VALUE / 2_000_000_000L ? Long.MAX_VALUE / 4 : sec * 1_000_000_000L + usec * 1000;
  }
}
