package io.isolate.pv.virtio;

/**
 * A guest-supplied address range lies outside the guest memory a device may touch. Thrown by
 * {@link QueueMemory} before any byte is read or written; the message names the address, the length and the
 * memory size, or the reserved pages the range reaches into.
 */
public final class GuestMemoryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  GuestMemoryException(String message) {
    super(message);
  }

  /**
   * Checks that {@code [address, address + length)} lies within {@code [usableStart, size)}: the one check every
   * guest-supplied range goes through ({@link QueueMemory#whyNotUsable}).
   */
  static void checkRange(long usableStart, long size, long address, long length) {
    String why = whyNotUsable(usableStart, size, address, length);
    if (why != null) {
      throw new GuestMemoryException("guest range " + why);
    }
  }

  /**
   * Null when {@code [address, address + length)} lies within {@code [usableStart, size)}, else why not, starting
   * with the range. Guest numbers are hostile: the end is computed with exact arithmetic, so a range that wraps
   * around the address space is refused instead of appearing to end low; a negative address (an unsigned guest
   * value of 2^63 or more) lies outside any memory.
   */
  static String whyNotUsable(long usableStart, long size, long address, long length) {
    if (length < 0) {
      return describe(address, length) + " has a negative length";
    }
    long end;
    try {
      end = Math.addExact(address, length);
    } catch (ArithmeticException overflow) {
      return describe(address, length) + " wraps around the 64-bit address space";
    }
    if (address < 0 || end > size) {
      return describe(address, length) + " lies outside guest memory of " + size + " bytes (0x0-0x"
          + Long.toHexString(size) + ")";
    }
    if (address < usableStart) {
      // the VMM's own pages (PARAVIRT: boot information, GDT/IDT/TSS, page tables; ABI.md section 1)
      return describe(address, length) + " reaches into the VMM-reserved pages below 0x"
          + Long.toHexString(usableStart) + " (usable guest memory is 0x" + Long.toHexString(usableStart) + "-0x"
          + Long.toHexString(size) + ")";
    }
    return null;
  }

  private static String describe(long address, long length) {
    return "0x" + Long.toHexString(address) + "+" + length;
  }
}
