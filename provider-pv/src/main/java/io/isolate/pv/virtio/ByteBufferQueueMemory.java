package io.isolate.pv.virtio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * {@link QueueMemory} over a byte buffer of at most 2 GiB, little-endian, every access checked against
 * {@code [usableStart, capacity)}.
 */
final class ByteBufferQueueMemory implements QueueMemory {
  private final ByteBuffer buffer;
  private final long usableStart;

  ByteBufferQueueMemory(ByteBuffer buffer, long usableStart) {
    this.buffer = Objects.requireNonNull(buffer, "buffer").duplicate().clear().order(ByteOrder.LITTLE_ENDIAN);
    if (usableStart < 0 || usableStart > buffer.capacity()) {
      throw new IllegalArgumentException("usable start 0x" + Long.toHexString(usableStart) + " must lie within the "
          + buffer.capacity() + "-byte memory");
    }
    this.usableStart = usableStart;
  }

  @Override
  public long size() {
    return buffer.capacity();
  }

  @Override
  public long usableStart() {
    return usableStart;
  }

  private int at(long address, int length) {
    checkRange(address, length);
    return (int) address;
  }

  @Override
  public int getU8(long address) {
    return buffer.get(at(address, 1)) & 0xff;
  }

  @Override
  public int getU16(long address) {
    return buffer.getShort(at(address, 2)) & 0xffff;
  }

  @Override
  public long getU32(long address) {
    return buffer.getInt(at(address, 4)) & 0xffff_ffffL;
  }

  @Override
  public long getU64(long address) {
    return buffer.getLong(at(address, 8));
  }

  @Override
  public void putU8(long address, int value) {
    buffer.put(at(address, 1), (byte) value);
  }

  @Override
  public void putU16(long address, int value) {
    buffer.putShort(at(address, 2), (short) value);
  }

  @Override
  public void putU32(long address, long value) {
    buffer.putInt(at(address, 4), (int) value);
  }

  @Override
  public void putU64(long address, long value) {
    buffer.putLong(at(address, 8), value);
  }

  @Override
  public void read(long address, byte[] dst, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, dst.length);
    buffer.get(at(address, length), dst, offset, length);
  }

  @Override
  public void write(long address, byte[] src, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, src.length);
    buffer.put(at(address, length), src, offset, length);
  }

  @Override
  public ByteBuffer slice(long address, int length) {
    return buffer.slice(at(address, length), length);
  }
}
