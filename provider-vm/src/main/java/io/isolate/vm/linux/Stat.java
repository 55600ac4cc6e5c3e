package io.isolate.vm.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** What fstat and friends report about a file, and its two encodings: {@code struct stat} and {@code struct statx}. */
record Stat(long dev, long ino, int mode, long nlink, int uid, int gid, long rdev, long size, long mtimeSeconds,
    int mtimeNanos) {
  static final int S_IFIFO = 0010000, S_IFCHR = 0020000, S_IFDIR = 0040000, S_IFREG = 0100000,
      S_IFLNK = 0120000;
  static final int GUEST_UID = 1000;
  static final int GUEST_GID = 1000;

  static Stat directory(long ino) {
    return new Stat(1, ino, S_IFDIR | 0555, 2, GUEST_UID, GUEST_GID, 0, 4096, 0, 0);
  }

  static Stat characterDevice(long ino, long rdev) {
    return new Stat(1, ino, S_IFCHR | 0620, 1, GUEST_UID, GUEST_GID, rdev, 0, 0, 0);
  }

  static Stat fifo(long ino) {
    return new Stat(1, ino, S_IFIFO | 0600, 1, GUEST_UID, GUEST_GID, 0, 0, 0, 0);
  }

  static Stat regular(long ino, long size, int perm) {
    return new Stat(1, ino, S_IFREG | perm, 1, GUEST_UID, GUEST_GID, 0, size, 0, 0);
  }

  boolean isDirectory() {
    return (mode & 0170000) == S_IFDIR;
  }

  /** {@code struct stat} of x86-64: 144 bytes. */
  byte[] toStat() {
    ByteBuffer b = ByteBuffer.allocate(144).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(0, dev).putLong(8, ino).putLong(16, nlink).putInt(24, mode).putInt(28, uid).putInt(32, gid)
        .putLong(40, rdev).putLong(48, size).putLong(56, 4096).putLong(64, (size + 511) / 512);
    for (int t = 72; t <= 104; t += 16) {
      b.putLong(t, mtimeSeconds).putLong(t + 8, mtimeNanos);
    }
    return b.array();
  }

  /** {@code struct statx}: 256 bytes, with every basic field present. */
  byte[] toStatx() {
    ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0, 0x7FF).putInt(4, 4096).putInt(16, (int) nlink).putInt(20, uid).putInt(24, gid)
        .putShort(28, (short) mode).putLong(32, ino).putLong(40, size).putLong(48, (size + 511) / 512);
    for (int t = 64; t <= 112; t += 16) {
      b.putLong(t, mtimeSeconds).putInt(t + 8, mtimeNanos);
    }
    b.putInt(128, (int) (rdev >> 8)).putInt(132, (int) (rdev & 0xFF)).putInt(136, 0).putInt(140, (int) dev);
    return b.array();
  }
}
