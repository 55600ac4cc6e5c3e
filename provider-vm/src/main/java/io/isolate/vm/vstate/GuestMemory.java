package io.isolate.vm.vstate;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;
import io.isolate.vm.kvm.KvmException;
import io.isolate.vm.kvm.LibC;
import java.nio.ByteBuffer;

/**
 * Guest-physical memory: one anonymous host mapping, registered with KVM as a memory slot. Every access is
 * bounds-checked against the mapping, so a hostile guest address can at worst produce a
 * {@link GuestMemoryException}, never a host memory access outside the mapping.
 */
public final class GuestMemory implements AutoCloseable {
  private final Pointer host;
  private final long size;
  private volatile boolean closed;

  private GuestMemory(Pointer host, long size) {
    this.host = host;
    this.size = size;
  }

  /** Maps {@code size} bytes of zeroed memory (page-aligned), committed lazily by the host kernel. */
  public static GuestMemory allocate(long size) {
    if (size <= 0 || (size & 0xFFF) != 0) {
      throw new IllegalArgumentException("guest memory size (" + size + ") must be a positive multiple of 4 KiB");
    }
    try {
      // No MADV_HUGEPAGE: zeroing 2 MiB host pages on first touch made VM start-up slower here, and CPU-bound
      // guests ran no faster (measured on PVM).
      Pointer p = LibC.mmap(null, size, LibC.PROT_READ | LibC.PROT_WRITE,
          LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
      return new GuestMemory(p, size);
    } catch (LastErrorException e) {
      throw new KvmException("mmap(guest memory, " + (size >> 20) + " MiB)", e.getErrorCode());
    }
  }

  /** The size in bytes. */
  public long size() {
    return size;
  }

  /** The host address of guest-physical address 0. */
  public long hostAddress() {
    return Pointer.nativeValue(host);
  }

  private void check(long gpa, long len) {
    if (closed) {
      throw new IllegalStateException("guest memory is closed");
    }
    if (gpa < 0 || len < 0 || gpa > size - len) {
      throw new GuestMemoryException(String.format(
          "guest address 0x%x + %d bytes lies outside guest memory (0x%x bytes)", gpa, len, size));
    }
  }

  /** Copies {@code len} bytes at {@code gpa} into {@code dst}; a {@link GuestMemoryException} when out of range. */
  public void read(long gpa, byte[] dst, int off, int len) {
    check(gpa, len);
    host.read(gpa, dst, off, len);
  }

  /** The {@code len} bytes at {@code gpa}. */
  public byte[] read(long gpa, int len) {
    byte[] b = new byte[len];
    read(gpa, b, 0, len);
    return b;
  }

  /** Copies {@code len} bytes of {@code src} to {@code gpa}; a {@link GuestMemoryException} when out of range. */
  public void write(long gpa, byte[] src, int off, int len) {
    check(gpa, len);
    host.write(gpa, src, off, len);
  }

  /** Copies all of {@code src} to {@code gpa}. */
  public void write(long gpa, byte[] src) {
    write(gpa, src, 0, src.length);
  }

  /** Writes {@code count} little-endian longs from {@code src}. */
  public void writeLongs(long gpa, long[] src, int off, int count) {
    check(gpa, (long) count * 8);
    host.write(gpa, src, off, count);
  }

  /** The little-endian long at {@code gpa}. */
  public long readLong(long gpa) {
    check(gpa, 8);
    return host.getLong(gpa);
  }

  /** Writes a little-endian long at {@code gpa}. */
  public void writeLong(long gpa, long value) {
    check(gpa, 8);
    host.setLong(gpa, value);
  }

  /** The little-endian int at {@code gpa}. */
  public int readInt(long gpa) {
    check(gpa, 4);
    return host.getInt(gpa);
  }

  /** Writes a little-endian int at {@code gpa}. */
  public void writeInt(long gpa, int value) {
    check(gpa, 4);
    host.setInt(gpa, value);
  }

  /** The byte at {@code gpa}. */
  public byte readByte(long gpa) {
    check(gpa, 1);
    return host.getByte(gpa);
  }

  /** Sets {@code len} bytes at {@code gpa} to {@code value}. */
  public void fill(long gpa, long len, byte value) {
    check(gpa, len);
    host.setMemory(gpa, len, value);
  }

  /**
   * A direct buffer over {@code [gpa, gpa + len)}, for host I/O straight into or out of guest memory. Valid only
   * while this memory is open; callers must not keep it.
   */
  public ByteBuffer buffer(long gpa, int len) {
    check(gpa, len);
    return host.getByteBuffer(gpa, len);
  }

  /** Returns the pages of {@code [gpa, gpa + len)} to the host; they read as zero afterwards. */
  public void discard(long gpa, long len) {
    check(gpa, len);
    if ((gpa & 0xFFF) != 0 || (len & 0xFFF) != 0) {
      throw new IllegalArgumentException("discard range must be page-aligned");
    }
    try {
      LibC.madvise(host.share(gpa), len, LibC.MADV_DONTNEED);
    } catch (LastErrorException e) {
      // Fall back to zeroing: slower, same result for the guest.
      host.setMemory(gpa, len, (byte) 0);
    }
  }

  /**
   * Asks the host kernel to back {@code [gpa, gpa + len)} (page-aligned) with pages now (MADV_POPULATE_WRITE),
   * so that the first accesses by the host or the guest take no page fault. Contents do not change: fresh memory
   * stays zero. A hint only: nothing happens where the kernel lacks it (before Linux 5.14).
   */
  public void prefault(long gpa, long len) {
    check(gpa, len);
    if ((gpa & 0xFFF) != 0 || (len & 0xFFF) != 0) {
      throw new IllegalArgumentException("prefault range must be page-aligned");
    }
    try {
      LibC.madvise(host.share(gpa), len, LibC.MADV_POPULATE_WRITE);
    } catch (LastErrorException e) {
      // EINVAL on older kernels, ENOMEM when the host is short: the pages fault in on first use instead
    }
  }

  /** Unmaps the memory; later accesses fail with {@link IllegalStateException}. Idempotent. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      LibC.munmap(host, size);
    }
  }
}
