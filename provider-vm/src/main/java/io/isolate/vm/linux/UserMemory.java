package io.isolate.vm.linux;

import io.isolate.vm.kvm.Errno;
import io.isolate.vm.vstate.GuestMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The one place where guest-supplied pointers and lengths are checked. Every access first asks the
 * {@link MemoryManager} whether the program itself could make it (pages mapped, readable, writable for stores),
 * and fails with EFAULT otherwise, so a system call can never read or write the supervisor pages, the page
 * tables, or memory the program has not mapped.
 */
final class UserMemory {
  /** The most one system call moves in one go; larger requests become short reads and writes, as Linux allows. */
  static final int MAX_IO = 16 << 20;
  static final int PATH_MAX = 4096;

  private final MemoryManager mm;
  private final GuestMemory memory;

  UserMemory(MemoryManager mm) {
    this.mm = mm;
    this.memory = mm.memory();
  }

  private void check(long addr, long len, boolean write) {
    if (!mm.accessible(addr, len, write)) {
      throw new LinuxError(Errno.EFAULT);
    }
  }

  /** A length from a register, capped at {@link #MAX_IO}; EINVAL when negative as a signed size. */
  static int ioLength(long len) {
    if (len < 0) {
      throw new LinuxError(Errno.EINVAL);
    }
    return (int) Math.min(len, MAX_IO);
  }

  /** A view of {@code len} bytes the host will read (the program's data for write and friends). */
  ByteBuffer source(long addr, int len) {
    check(addr, len, false);
    return memory.buffer(addr, len);
  }

  /** A view of {@code len} bytes the host will fill (the program's buffer for read and friends). */
  ByteBuffer sink(long addr, int len) {
    check(addr, len, true);
    return memory.buffer(addr, len);
  }

  byte[] read(long addr, int len) {
    check(addr, len, false);
    return memory.read(addr, len);
  }

  void write(long addr, byte[] data) {
    check(addr, data.length, true);
    memory.write(addr, data, 0, data.length);
  }

  long readLong(long addr) {
    check(addr, 8, false);
    return memory.readLong(addr);
  }

  void writeLong(long addr, long value) {
    check(addr, 8, true);
    memory.writeLong(addr, value);
  }

  int readInt(long addr) {
    check(addr, 4, false);
    return memory.readInt(addr);
  }

  void writeInt(long addr, int value) {
    check(addr, 4, true);
    memory.writeInt(addr, value);
  }

  /** Writes a {@code struct timespec} or {@code struct timeval}: two longs. */
  void writeTimePair(long addr, long first, long second) {
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(first).putLong(second);
    write(addr, b.array());
  }

  /** Reads a NUL-terminated string of at most {@code max} bytes (ENAMETOOLONG beyond), page by page. */
  String readString(long addr, int max) {
    byte[] out = new byte[Math.min(max, 256)];
    int n = 0;
    long a = addr;
    while (true) {
      long pageEnd = (a | (MemoryManager.PAGE - 1)) + 1;
      int chunk = (int) Math.min(pageEnd - a, max - n + 1);
      check(a, chunk, false);
      byte[] part = memory.read(a, chunk);
      for (byte b : part) {
        if (b == 0) {
          return new String(out, 0, n, StandardCharsets.UTF_8);
        }
        if (n == max) {
          throw new LinuxError(Errno.ENAMETOOLONG);
        }
        if (n == out.length) {
          out = java.util.Arrays.copyOf(out, Math.min(max + 1, out.length * 2));
        }
        out[n++] = b;
      }
      a += chunk;
    }
  }

  String readPath(long addr) {
    return readString(addr, PATH_MAX - 1);
  }
}
