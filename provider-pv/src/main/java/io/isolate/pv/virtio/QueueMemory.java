package io.isolate.pv.virtio;

import java.nio.ByteBuffer;

/**
 * The guest-physical memory that virtqueues and devices read and write in place, seen from the host.
 *
 * <p>Addresses are guest-physical, starting at 0; every access is bounds-checked against {@link #size()} before
 * it happens and throws {@link GuestMemoryException} when any byte of it falls outside. Multi-byte values are
 * little-endian, as virtio 1.x requires. Implementations do no caching: a value read twice may differ, because
 * the guest runs concurrently. Callers that publish to the guest (used ring index) or consume from it (available
 * ring index) place their own fences.
 *
 * <pre>{@code
 * QueueMemory ram = QueueMemory.wrap(ByteBuffer.allocateDirect(1 << 20));
 * ram.putU16(0x1000, 7);
 * int seven = ram.getU16(0x1000);
 * }</pre>
 */
public interface QueueMemory {
  /** The size of guest memory in bytes; valid addresses are {@code [0, size())}. */
  long size();

  int getU8(long address);

  /** Reads a little-endian u16 as an int in {@code [0, 65535]}. */
  int getU16(long address);

  /** Reads a little-endian u32 as a long in {@code [0, 2^32)}. */
  long getU32(long address);

  long getU64(long address);

  void putU8(long address, int value);

  void putU16(long address, int value);

  void putU32(long address, long value);

  void putU64(long address, long value);

  /** Copies {@code length} guest bytes at {@code address} into {@code dst[offset..]}. */
  void read(long address, byte[] dst, int offset, int length);

  /** Copies {@code src[offset..offset+length)} into guest memory at {@code address}. */
  void write(long address, byte[] src, int offset, int length);

  /**
   * A view of the {@code length} guest bytes at {@code address} (position 0, limit {@code length}), for I/O straight
   * into or out of guest memory (a block device reading a file into the guest's buffer) without a copy. The range is
   * checked like every other access.
   */
  ByteBuffer slice(long address, int length);

  /** Fills {@code length} guest bytes at {@code address} with {@code value}. */
  default void fill(long address, long length, byte value) {
    checkRange(address, length);
    byte[] chunk = new byte[(int) Math.min(length, 64 * 1024)];
    java.util.Arrays.fill(chunk, value);
    for (long done = 0; done < length; ) {
      int n = (int) Math.min(chunk.length, length - done);
      write(address + done, chunk, 0, n);
      done += n;
    }
  }

  /** Throws {@link GuestMemoryException} unless {@code [address, address + length)} lies within this memory. */
  default void checkRange(long address, long length) {
    GuestMemoryException.checkRange(size(), address, length);
  }

  /** True when {@code [address, address + length)} lies within this memory, without throwing. */
  default boolean contains(long address, long length) {
    if (address < 0 || length < 0) {
      return false;
    }
    long end = address + length;
    return end >= address && end <= size();
  }

  /** Guest memory backed by a (typically direct) byte buffer; its position and limit are ignored. */
  static QueueMemory wrap(ByteBuffer buffer) {
    return new ByteBufferQueueMemory(buffer);
  }

  /**
   * Guest memory mapped into the host at {@code pointer}, {@code size} bytes long (for example a KVM memslot), seen
   * as a direct byte buffer: one bounds-checked implementation serves heap, direct and native memory.
   */
  static QueueMemory wrap(com.sun.jna.Pointer pointer, long size) {
    java.util.Objects.requireNonNull(pointer, "pointer");
    if (size <= 0 || size > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("guest memory size (" + size + ") must be between 1 byte and 2 GiB");
    }
    return new ByteBufferQueueMemory(pointer.getByteBuffer(0, size));
  }
}
