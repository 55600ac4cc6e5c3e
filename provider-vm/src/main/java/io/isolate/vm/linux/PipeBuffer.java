package io.isolate.vm.linux;

import io.isolate.vm.kvm.Errno;
import java.nio.ByteBuffer;
import java.util.function.BooleanSupplier;

/**
 * A bounded byte pipe between two parties: the guest's pipe2 ends, or the application and the guest's stdin.
 * Waits are bounded and poll {@code stop} so that a deadline or a kill ends a guest blocked on an empty pipe.
 */
final class PipeBuffer {
  private final byte[] data;
  private int head;
  private int count;
  private boolean writerOpen = true;
  private boolean readerOpen = true;

  PipeBuffer(int capacity) {
    this.data = new byte[capacity];
  }

  /** A pipe holding {@code content}, its writer already closed: reads see the content, then end of file. */
  static PipeBuffer of(byte[] content) {
    PipeBuffer p = new PipeBuffer(Math.max(1, content.length));
    System.arraycopy(content, 0, p.data, 0, content.length);
    p.count = content.length;
    p.writerOpen = false;
    return p;
  }

  /** Reads into {@code dst}; 0 at end of file; -EINTR when {@code stop} turned true while waiting. */
  synchronized long read(ByteBuffer dst, BooleanSupplier stop) {
    while (count == 0) {
      if (!writerOpen) {
        return 0;
      }
      if (stop.getAsBoolean()) {
        return -Errno.EINTR;
      }
      waitBriefly();
    }
    int n = Math.min(dst.remaining(), count);
    int first = Math.min(n, data.length - head);
    dst.put(data, head, first);
    dst.put(data, 0, n - first);
    head = (head + n) % data.length;
    count -= n;
    notifyAll();
    return n;
  }

  /** Writes all of {@code src[off, off+len)}, waiting for room; -EPIPE once the reader has gone. */
  synchronized long write(byte[] src, int off, int len, BooleanSupplier stop) {
    int done = 0;
    while (done < len) {
      if (!readerOpen) {
        return done > 0 ? done : -Errno.EPIPE;
      }
      if (count == data.length) {
        if (stop.getAsBoolean()) {
          return done > 0 ? done : -Errno.EINTR;
        }
        waitBriefly();
        continue;
      }
      int tail = (head + count) % data.length;
      int n = Math.min(len - done, Math.min(data.length - count, data.length - tail));
      System.arraycopy(src, off + done, data, tail, n);
      count += n;
      done += n;
      notifyAll();
    }
    return done;
  }

  synchronized int available() {
    return count;
  }

  synchronized boolean writerClosed() {
    return !writerOpen;
  }

  synchronized void closeWriter() {
    writerOpen = false;
    notifyAll();
  }

  synchronized void closeReader() {
    readerOpen = false;
    notifyAll();
  }

  private void waitBriefly() {
    try {
      wait(5);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
