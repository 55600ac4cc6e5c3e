package io.isolate.vm.linux;

import io.isolate.vm.kvm.Errno;
import java.nio.ByteBuffer;

/**
 * An open file description, shared by the file descriptors {@code dup} makes. Reads and writes go straight
 * between the file and guest memory through {@link ByteBuffer} views the dispatcher has bounds-checked. Methods
 * return a count or a negative errno, as the system calls do.
 */
abstract class OpenFile {
  private int references = 1;
  int statusFlags;

  void retain() {
    references++;
  }

  /** Drops a reference; closes the description when the last one goes. */
  void release() {
    if (--references == 0) {
      close();
    }
  }

  long read(ByteBuffer dst) {
    return -Errno.EBADF;
  }

  long write(ByteBuffer src) {
    return -Errno.EBADF;
  }

  long pread(ByteBuffer dst, long offset) {
    return -Errno.ESPIPE;
  }

  long pwrite(ByteBuffer src, long offset) {
    return -Errno.ESPIPE;
  }

  long seek(long offset, int whence) {
    return -Errno.ESPIPE;
  }

  abstract Stat stat();

  /** The next directory entries, encoded as {@code linux_dirent64}, at most {@code max} bytes. */
  byte[] readDirectory(int max) {
    throw new LinuxError(Errno.ENOTDIR);
  }

  long truncate(long length) {
    return -Errno.EINVAL;
  }

  int sync() {
    return 0;
  }

  boolean isTerminal() {
    return false;
  }

  /** The guest path this description was opened with, if any. */
  String path() {
    return null;
  }

  void close() {}
}
