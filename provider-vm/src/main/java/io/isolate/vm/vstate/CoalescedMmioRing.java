package io.isolate.vm.vstate;

import com.sun.jna.Pointer;

/**
 * The coalesced-MMIO ring of a vCPU mapping ({@code struct kvm_coalesced_mmio_ring}): guest writes to a zone
 * registered with {@link Vm#coalesceMmio} are appended here by the kernel instead of exiting to the VMM, and the VMM
 * applies them, in order, before it handles the next exit. Reads in a zone still exit, so a guest never observes a
 * register before its earlier writes have been applied, provided every exit drains the ring first.
 *
 * <p>On a PVM host this turns a register write from a 17–25 µs exit into a few microseconds in the kernel; the
 * kernel falls back to an ordinary exit when the ring is full.
 *
 * <p>The ring lives in memory shared with the kernel only (the guest cannot write it), but its indexes are still
 * checked: a bad index ends the drain rather than reading outside the page.
 */
public final class CoalescedMmioRing {
  /** {@code struct kvm_coalesced_mmio_ring}: u32 first (consumer), u32 last (producer). */
  public static final int HEADER_SIZE = 8;
  /** {@code struct kvm_coalesced_mmio}: u64 phys_addr, u32 len, u32 pad/pio, u8 data[8]. */
  public static final int ENTRY_SIZE = 24;
  private static final int PAGE_SIZE = 4096;
  /** KVM_COALESCED_MMIO_MAX in the kernel. */
  static final int CAPACITY = (PAGE_SIZE - HEADER_SIZE) / ENTRY_SIZE;

  /** Receives the buffered writes. */
  @FunctionalInterface
  public interface Sink {
    /** One buffered guest write of {@code len} (1–8) bytes of {@code value} at guest-physical {@code address}. */
    void write(long address, int len, long value);
  }

  private final Pointer ring;

  CoalescedMmioRing(Pointer ring) {
    this.ring = ring;
  }

  /** Applies every buffered write to {@code sink}, oldest first; returns how many. Only the vCPU thread calls it. */
  public int drain(Sink sink) {
    int first = ring.getInt(0);
    int last = ring.getInt(4);
    int n = 0;
    while (first != last) {
      if (first < 0 || first >= CAPACITY || last < 0 || last >= CAPACITY) {
        return n; // the kernel never writes these; stop rather than read outside the page
      }
      long entry = HEADER_SIZE + (long) first * ENTRY_SIZE;
      long address = ring.getLong(entry);
      int len = ring.getInt(entry + 8);
      long value = ring.getLong(entry + 16);
      if (len >= 1 && len <= 8) {
        sink.write(address, len, len == 8 ? value : value & ((1L << (8 * len)) - 1));
      }
      first = (first + 1) % CAPACITY;
      ring.setInt(0, first); // frees the slot for the kernel (x86: stores are not reordered with earlier loads)
      n++;
    }
    return n;
  }
}
