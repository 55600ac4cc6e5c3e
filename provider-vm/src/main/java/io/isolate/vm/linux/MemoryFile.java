package io.isolate.vm.linux;

import io.isolate.vm.kvm.Errno;
import java.nio.ByteBuffer;

/** A read-only file whose content the application gave in memory ({@code Mount.file}). */
final class MemoryFile extends OpenFile {
  private final byte[] content;
  private final String guestPath;
  private final long ino;
  private long position;

  MemoryFile(byte[] content, String guestPath, long ino) {
    this.content = content;
    this.guestPath = guestPath;
    this.ino = ino;
  }

  @Override
  long read(ByteBuffer dst) {
    long n = pread(dst, position);
    if (n > 0) {
      position += n;
    }
    return n;
  }

  @Override
  long pread(ByteBuffer dst, long offset) {
    if (offset < 0) {
      return -Errno.EINVAL;
    }
    if (offset >= content.length) {
      return 0;
    }
    int n = (int) Math.min(dst.remaining(), content.length - offset);
    dst.put(content, (int) offset, n);
    return n;
  }

  @Override
  long seek(long offset, int whence) {
    long base = switch (whence) {
      case 0 -> 0;
      case 1 -> position;
      case 2 -> content.length;
      default -> -1;
    };
    if (base < 0 || base + offset < 0) {
      return -Errno.EINVAL;
    }
    position = base + offset;
    return position;
  }

  @Override
  Stat stat() {
    return Stat.regular(ino, content.length, 0444);
  }

  @Override
  String path() {
    return guestPath;
  }
}
