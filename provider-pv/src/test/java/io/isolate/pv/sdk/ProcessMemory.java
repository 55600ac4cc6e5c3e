package io.isolate.pv.sdk;

import io.isolate.pv.virtio.QueueMemory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Test fixture: the memory of a host process as {@link QueueMemory}, through /proc/PID/mem, so that SDK code
 * running as a host process (see harness.c) can be served by the real devices. Addresses are the process's
 * virtual addresses.
 */
final class ProcessMemory implements QueueMemory, AutoCloseable {
  private final long pid;
  private FileChannel mem;

  ProcessMemory(long pid) {
    this.pid = pid;
  }

  /** Opened on first use: by then the process has exec'd the guest (its first request came in). */
  private synchronized FileChannel mem() throws IOException {
    if (mem == null) {
      mem = FileChannel.open(Path.of("/proc/" + pid + "/mem"), StandardOpenOption.READ, StandardOpenOption.WRITE);
    }
    return mem;
  }

  @Override
  public long size() {
    return 1L << 47; // the x86-64 user address space
  }

  /** Nothing is reserved: the process's own address space decides what is mapped. */
  @Override
  public long usableStart() {
    return 0;
  }

  /** A process's memory is reached through /proc/PID/mem, not mapped here: no views (no device here needs one). */
  @Override
  public ByteBuffer slice(long address, int length) {
    throw new IllegalStateException("the memory of process " + pid + " is not mapped into this JVM");
  }

  private ByteBuffer get(long address, int length) {
    checkRange(address, length);
    ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    try {
      while (b.hasRemaining()) {
        if (mem().read(b, address + b.position()) <= 0) {
          throw new IOException("short read at 0x" + Long.toHexString(address));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return b.flip();
  }

  private void put(long address, ByteBuffer b) {
    checkRange(address, b.remaining());
    try {
      long at = address;
      while (b.hasRemaining()) {
        at += mem().write(b, at);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ByteBuffer le(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }

  @Override public int getU8(long address) { return get(address, 1).get() & 0xff; }
  @Override public int getU16(long address) { return get(address, 2).getShort() & 0xffff; }
  @Override public long getU32(long address) { return get(address, 4).getInt() & 0xffff_ffffL; }
  @Override public long getU64(long address) { return get(address, 8).getLong(); }
  @Override public void putU8(long address, int value) { put(address, le(1).put((byte) value).flip()); }
  @Override public void putU16(long address, int value) { put(address, le(2).putShort((short) value).flip()); }
  @Override public void putU32(long address, long value) { put(address, le(4).putInt((int) value).flip()); }
  @Override public void putU64(long address, long value) { put(address, le(8).putLong(value).flip()); }

  @Override
  public void read(long address, byte[] dst, int offset, int length) {
    get(address, length).get(dst, offset, length);
  }

  @Override
  public void write(long address, byte[] src, int offset, int length) {
    put(address, ByteBuffer.wrap(src, offset, length));
  }

  @Override
  public synchronized void close() throws IOException {
    if (mem != null) {
      mem.close();
    }
  }
}
