package io.isolate.pv.virtio;

/**
 * A guest-supplied address range lies outside the guest memory a device may touch. Thrown by
 * {@link QueueMemory} before any byte is read or written; the message names the address, the length and the
 * memory size.
 */
public final class GuestMemoryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  GuestMemoryException(String message) {
    super(message);
  }

  /** Checks that {@code [address, address + length)} lies within a memory of {@code size} bytes. */
  static void checkRange(long size, long address, long length) {
    if (length < 0) {
      throw new GuestMemoryException("guest access of negative length " + length + " at 0x"
          + Long.toHexString(address));
    }
    long end;
    try {
      end = Math.addExact(address, length);
    } catch (ArithmeticException overflow) {
      throw new GuestMemoryException(describe(address, length) + " wraps around the 64-bit address space");
    }
    if (address < 0 || end > size) {
      throw new GuestMemoryException(describe(address, length) + " lies outside guest memory of " + size
          + " bytes (0x0-0x" + Long.toHexString(size) + ")");
    }
  }

  private static String describe(long address, long length) {
    return "guest range 0x" + Long.toHexString(address) + "+" + length;
  }
}
