package io.isolate.vm.linux;

import io.isolate.vm.kvm.Errno;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/** A regular file of a host directory mount, opened as a {@link FileChannel}. */
final class HostFile extends OpenFile {
  static final int O_APPEND = 02000;

  private final FileChannel channel;
  private final String guestPath;
  private final Path hostPath;
  private final boolean readable;
  private final boolean writable;
  private long position;

  HostFile(FileChannel channel, String guestPath, Path hostPath, boolean readable, boolean writable, int flags) {
    this.channel = channel;
    this.guestPath = guestPath;
    this.hostPath = hostPath;
    this.readable = readable;
    this.writable = writable;
    this.statusFlags = flags;
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
    if (!readable) {
      return -Errno.EBADF;
    }
    if (offset < 0) {
      return -Errno.EINVAL;
    }
    try {
      int total = 0;
      while (dst.hasRemaining()) {
        int n = channel.read(dst, offset + total);
        if (n <= 0) {
          break;
        }
        total += n;
      }
      return total;
    } catch (IOException e) {
      return -Errno.EIO;
    }
  }

  @Override
  long write(ByteBuffer src) {
    try {
      if ((statusFlags & O_APPEND) != 0) {
        position = channel.size();
      }
    } catch (IOException e) {
      return -Errno.EIO;
    }
    long n = pwrite(src, position);
    if (n > 0) {
      position += n;
    }
    return n;
  }

  @Override
  long pwrite(ByteBuffer src, long offset) {
    if (!writable) {
      return -Errno.EBADF;
    }
    if (offset < 0) {
      return -Errno.EINVAL;
    }
    try {
      int total = 0;
      while (src.hasRemaining()) {
        total += channel.write(src, offset + total);
      }
      return total;
    } catch (IOException e) {
      return e.getMessage() != null && e.getMessage().contains("space") ? -Errno.ENOSPC : -Errno.EIO;
    }
  }

  @Override
  long seek(long offset, int whence) {
    long base;
    try {
      base = switch (whence) {
        case 0 -> 0;
        case 1 -> position;
        case 2 -> channel.size();
        default -> -1;
      };
    } catch (IOException e) {
      return -Errno.EIO;
    }
    if (base < 0) {
      return -Errno.EINVAL;
    }
    long target = base + offset;
    if (target < 0) {
      return -Errno.EINVAL;
    }
    position = target;
    return target;
  }

  @Override
  Stat stat() {
    return Vfs.statHost(hostPath);
  }

  @Override
  long truncate(long length) {
    if (!writable) {
      return -Errno.EINVAL;
    }
    try {
      if (length < channel.size()) {
        channel.truncate(length);
      } else if (length > channel.size()) {
        channel.write(ByteBuffer.allocate(1), length - 1);
      }
      return 0;
    } catch (IOException e) {
      return -Errno.EIO;
    }
  }

  @Override
  int sync() {
    try {
      if (writable) {
        channel.force(true);
      }
      return 0;
    } catch (IOException e) {
      return -Errno.EIO;
    }
  }

  @Override
  String path() {
    return guestPath;
  }

  @Override
  void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // nothing the guest can do about it
    }
  }
}
