package io.isolate.vm.linux;

import java.nio.ByteBuffer;
import java.security.SecureRandom;

/**
 * The character devices every Linux program may expect in {@code /dev}: null, zero, full, random and urandom. They
 * reach nothing on the host; {@code /dev/stdin}, {@code /dev/stdout} and {@code /dev/stderr} are the process's own
 * descriptors and are opened as duplicates of 0, 1 and 2 instead.
 */
final class DeviceFile extends OpenFile {
  /** The devices, with their Linux major/minor numbers. */
  enum Device {
    NULL(1, 3), ZERO(1, 5), FULL(1, 7), RANDOM(1, 8), URANDOM(1, 9);

    final long rdev;

    Device(int major, int minor) {
      this.rdev = ((long) major << 8) | minor;
    }

    static Device named(String name) {
      for (Device d : values()) {
        if (d.name().equalsIgnoreCase(name)) {
          return d;
        }
      }
      return null;
    }
  }

  private static final SecureRandom RANDOM = new SecureRandom();
  private final Device device;

  DeviceFile(Device device) {
    this.device = device;
  }

  @Override
  long read(ByteBuffer dst) {
    int n = dst.remaining();
    switch (device) {
      case NULL -> {
        return 0;
      }
      case ZERO, FULL -> dst.put(new byte[n]);
      default -> {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        dst.put(b);
      }
    }
    return n;
  }

  @Override
  long pread(ByteBuffer dst, long offset) {
    return read(dst);
  }

  @Override
  long write(ByteBuffer src) {
    if (device == Device.FULL) {
      return -io.isolate.vm.kvm.Errno.ENOSPC;
    }
    int n = src.remaining();
    src.position(src.limit());
    return n;
  }

  @Override
  long pwrite(ByteBuffer src, long offset) {
    return write(src);
  }

  @Override
  long seek(long offset, int whence) {
    return 0;
  }

  @Override
  Stat stat() {
    return Stat.characterDevice(0x60000000L + device.ordinal(), device.rdev);
  }

  @Override
  String path() {
    return "/dev/" + device.name().toLowerCase(java.util.Locale.ROOT);
  }
}
