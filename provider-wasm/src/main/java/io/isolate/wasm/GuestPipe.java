package io.isolate.wasm;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;

/**
 * The stdin pipe of {@link io.isolate.Input#pipe()}: the application writes, the guest reads. Unlike
 * {@link java.io.PipedInputStream} it does not care which threads write or whether they are still alive, a
 * blocked reader wakes up when its thread is interrupted (so a guest waiting for input still meets its
 * deadline), and writing after the guest ended fails like a broken pipe. Holds at most {@value #CAPACITY} bytes;
 * a writer blocks while it is full.
 */
final class GuestPipe {
  static final int CAPACITY = 64 * 1024;

  private final byte[] ring = new byte[CAPACITY];
  private int head;
  private int size;
  private boolean writerClosed;
  private boolean readerGone;

  private final InputStream input = new InputStream() {
    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return GuestPipe.this.read(b, off, len);
    }

    @Override
    public int available() {
      synchronized (GuestPipe.this) {
        return size;
      }
    }
  };

  private final OutputStream output = new OutputStream() {
    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      GuestPipe.this.write(b, off, len);
    }

    @Override
    public void close() {
      closeWriter();
    }
  };

  /** The guest's end. */
  InputStream input() {
    return input;
  }

  /** The application's end; closing it is end of file for the guest. */
  OutputStream output() {
    return output;
  }

  private synchronized int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (size == 0) {
      if (writerClosed) {
        return -1;
      }
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("stdin read interrupted");
      }
    }
    int n = Math.min(len, size);
    for (int i = 0; i < n; i++) {
      b[off + i] = ring[(head + i) % CAPACITY];
    }
    head = (head + n) % CAPACITY;
    size -= n;
    notifyAll();
    return n;
  }

  private synchronized void write(byte[] b, int off, int len) throws IOException {
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    int written = 0;
    while (written < len) {
      if (writerClosed) {
        throw new IOException("stdin is closed");
      }
      if (readerGone) {
        throw new IOException("broken pipe: the workload has ended");
      }
      if (size == CAPACITY) {
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("stdin write interrupted");
        }
        continue;
      }
      int n = Math.min(len - written, CAPACITY - size);
      for (int i = 0; i < n; i++) {
        ring[(head + size + i) % CAPACITY] = b[off + written + i];
      }
      size += n;
      written += n;
      notifyAll();
    }
  }

  synchronized void closeWriter() {
    writerClosed = true;
    notifyAll();
  }

  /** The guest ended: pending and later writes fail. */
  synchronized void closeReader() {
    readerGone = true;
    notifyAll();
  }
}
