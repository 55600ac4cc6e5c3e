package io.isolate.pv.virtio;

import java.nio.ByteBuffer;

/**
 * The guest-physical memory that virtqueues and devices read and write in place, seen from the host.
 *
 * <p>Addresses are guest-physical, starting at 0, but devices may touch only {@code [usableStart(), size())}: below
 * {@link #usableStart()} lie pages the VMM keeps for itself (at the PARAVIRT level the boot information, GDT, IDT,
 * TSS and page tables, ABI.md section 1), which the guest cannot write and so must not reach through a device
 * either. Every access is checked against that range before it happens and throws {@link GuestMemoryException}
 * when any byte of it falls outside; {@link #whyNotUsable} is that one check, and the virtqueue parser, the
 * transport and the hypercall decoder validate guest-supplied ranges with it too. Multi-byte values are
 * little-endian, as virtio 1.x requires. Implementations do no caching: a value read twice may differ, because
 * the guest runs concurrently. Callers that publish to the guest (used ring index) or consume from it (available
 * ring index) place their own fences.
 *
 * <pre>{@code
 * QueueMemory ram = QueueMemory.wrap(ByteBuffer.allocateDirect(1 << 20), 0x10000);
 * ram.putU16(0x10000, 7);
 * int seven = ram.getU16(0x10000);
 * ram.getU16(0x1000); // GuestMemoryException: reserved
 * }</pre>
 */
public interface QueueMemory {
  /** The size of guest memory in bytes; addresses are {@code [0, size())}, of which devices may use a part. */
  long size();

  /**
   * The first address devices may touch; {@code [0, usableStart())} is reserved to the VMM (0 when nothing is).
   * At most {@link #size()}.
   */
  long usableStart();

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

  /**
   * Null when {@code [address, address + length)} lies within {@code [usableStart(), size())}, else the reason,
   * starting with the range ({@code "0xe000+512 reaches into the VMM-reserved pages below 0xf000 ..."}). Overflow
   * safe for any pair of longs. Every guest-supplied range is checked here, by the accessors and by the callers
   * that validate a buffer or a ring before they keep it.
   */
  default String whyNotUsable(long address, long length) {
    return GuestMemoryException.whyNotUsable(usableStart(), size(), address, length);
  }

  /** Throws {@link GuestMemoryException} unless {@code [address, address + length)} may be used by a device. */
  default void checkRange(long address, long length) {
    GuestMemoryException.checkRange(usableStart(), size(), address, length);
  }

  /** True when {@code [address, address + length)} may be used by a device ({@link #whyNotUsable}); never throws. */
  default boolean contains(long address, long length) {
    return whyNotUsable(address, length) == null;
  }

  /** Guest memory backed by a (typically direct) byte buffer, all of it usable; its position and limit are ignored. */
  static QueueMemory wrap(ByteBuffer buffer) {
    return wrap(buffer, 0);
  }

  /**
   * Guest memory backed by a byte buffer of which devices may use {@code [usableStart, capacity)}; its position and
   * limit are ignored.
   */
  static QueueMemory wrap(ByteBuffer buffer, long usableStart) {
    return new ByteBufferQueueMemory(buffer, usableStart);
  }

  /**
   * Guest memory mapped into the host at {@code pointer}, {@code size} bytes long (for example a KVM memslot), seen
   * as a direct byte buffer, all of it usable: one bounds-checked implementation serves heap, direct and native
   * memory.
   */
  static QueueMemory wrap(com.sun.jna.Pointer pointer, long size) {
    return wrap(pointer, size, 0);
  }

  /**
   * Guest memory mapped into the host at {@code pointer}, {@code size} bytes long, of which devices may use
   * {@code [usableStart, size)}: what a VMM gives its devices when it keeps the low pages for itself.
   */
  static QueueMemory wrap(com.sun.jna.Pointer pointer, long size, long usableStart) {
    java.util.Objects.requireNonNull(pointer, "pointer");
    if (size <= 0 || size > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("guest memory size (" + size + ") must be between 1 byte and 2 GiB");
    }
    return new ByteBufferQueueMemory(pointer.getByteBuffer(0, size), usableStart);
  }
}
