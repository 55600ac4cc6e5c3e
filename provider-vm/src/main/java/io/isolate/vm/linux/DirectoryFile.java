package io.isolate.vm.linux;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** An open directory: its entries, listed once at open, handed out by getdents64. */
final class DirectoryFile extends OpenFile {
  /** One entry: name, inode number and {@code d_type} (DT_DIR 4, DT_REG 8, DT_LNK 10, DT_UNKNOWN 0). */
  record Entry(String name, long ino, int type) {}

  private final List<Entry> entries;
  private final Stat stat;
  private final String guestPath;
  private int next;

  DirectoryFile(List<Entry> entries, Stat stat, String guestPath) {
    this.entries = entries;
    this.stat = stat;
    this.guestPath = guestPath;
  }

  @Override
  byte[] readDirectory(int max) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (next < entries.size()) {
      Entry e = entries.get(next);
      byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
      int reclen = (19 + name.length + 1 + 7) & ~7;
      if (out.size() + reclen > max) {
        if (out.size() == 0) {
          throw new LinuxError(io.isolate.vm.kvm.Errno.EINVAL);
        }
        break;
      }
      ByteBuffer b = ByteBuffer.allocate(reclen).order(ByteOrder.LITTLE_ENDIAN);
      b.putLong(e.ino()).putLong(next + 1).putShort((short) reclen).put((byte) e.type()).put(name);
      out.writeBytes(b.array());
      next++;
    }
    return out.toByteArray();
  }

  @Override
  long seek(long offset, int whence) {
    if (whence != 0 || offset < 0) {
      return -io.isolate.vm.kvm.Errno.EINVAL;
    }
    next = (int) Math.min(offset, entries.size());
    return next;
  }

  @Override
  Stat stat() {
    return stat;
  }

  @Override
  String path() {
    return guestPath;
  }
}
