package io.isolate.pv.virtio;

import com.sun.jna.Pointer;
import java.util.Objects;

/**
 * {@link QueueMemory} over host memory that JNA reaches through a {@link Pointer} (for example guest RAM mapped
 * with mmap and registered as a KVM memslot). Every access is checked against the size first: a
 * guest-controlled address never reaches native code unchecked.
 */
final class PointerQueueMemory implements QueueMemory {
  private final Pointer base;
  private final long size;

  PointerQueueMemory(Pointer base, long size) {
    this.base = Objects.requireNonNull(base, "pointer");
    if (size <= 0) {
      throw new IllegalArgumentException("guest memory size (" + size + ") must be positive");
    }
    this.size = size;
  }

  @Override
  public long size() {
    return size;
  }

  private long at(long address, int length) {
    checkRange(address, length);
    return address;
  }

  @Override
  public int getU8(long address) {
    return base.getByte(at(address, 1)) & 0xff;
  }

  // x86-64 only (checked by the VMM): native order is little-endian, as virtio requires.
  @Override
  public int getU16(long address) {
    return base.getShort(at(address, 2)) & 0xffff;
  }

  @Override
  public long getU32(long address) {
    return base.getInt(at(address, 4)) & 0xffff_ffffL;
  }

  @Override
  public long getU64(long address) {
    return base.getLong(at(address, 8));
  }

  @Override
  public void putU8(long address, int value) {
    base.setByte(at(address, 1), (byte) value);
  }

  @Override
  public void putU16(long address, int value) {
    base.setShort(at(address, 2), (short) value);
  }

  @Override
  public void putU32(long address, long value) {
    base.setInt(at(address, 4), (int) value);
  }

  @Override
  public void putU64(long address, long value) {
    base.setLong(at(address, 8), value);
  }

  @Override
  public void read(long address, byte[] dst, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, dst.length);
    base.read(at(address, length), dst, offset, length);
  }

  @Override
  public void write(long address, byte[] src, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, src.length);
    base.write(at(address, length), src, offset, length);
  }
}
