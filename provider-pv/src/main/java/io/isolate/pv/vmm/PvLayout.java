package io.isolate.pv.vmm;

import com.sun.jna.Pointer;
import io.isolate.pv.virtio.QueueMemory;
import io.isolate.vm.arch.x86_64.Supervisor;
import io.isolate.vm.vstate.GuestMemory;

/**
 * The guest-physical layout of a PARAVIRT guest and its page tables (ABI.md, section 1).
 *
 * <pre>
 * 0x0000            not present (null page)
 * 0x1000 - 0x6fff   the HARDWARE level's supervisor (GDT, IDT, TSS, stubs, stack), supervisor-only
 * 0x8000 - 0xdfff   these page tables, mapped nowhere
 * 0xe000            boot information and argv, user read-only
 * 0xf000 - 2 MiB    user, 4 KiB pages
 * 2 MiB - RAM end   user, 2 MiB pages (the image at 0x400000, then the heap)
 * 0xd0000000 + n*4K virtio-mmio slot n: user, uncached, backed by no memslot so every access exits as MMIO
 * </pre>
 *
 * Guest memory is identity-mapped: guest virtual = guest physical, as the SDK assumes.
 */
final class PvLayout {
  static final long PML4 = 0x8000;
  static final long PDPT = 0x9000;
  static final long PD_LOW = 0xa000;
  static final long PT_FIRST_2M = 0xb000;
  static final long PD_MMIO = 0xc000;
  static final long PT_MMIO = 0xd000;
  static final long BOOT_INFO = 0xe000;
  /**
   * The first guest-usable address: everything below (null page, supervisor, page tables, boot information) is the
   * VMM's, and {@link #deviceView} keeps devices and hypercalls out of it.
   */
  static final long USER_LOW = 0xf000;
  /** Where the SDK's linker script places images (isolate.ld). */
  static final long IMAGE_BASE = 0x400000;
  static final long MMIO_BASE = 0xd000_0000L;
  static final long MMIO_STRIDE = 0x1000;
  static final int MAX_SLOTS = 512;
  static final long MAX_MEMORY = 1L << 30;

  private static final long P = 1, RW = 2, US = 4, PWT = 8, PCD = 0x10, A = 0x20, D = 0x40, PS = 0x80;
  private static final long NX = 1L << 63;
  private static final long TWO_MB = 2L << 20;

  private PvLayout() {}

  /**
   * The view of guest memory that the virtio devices and the hypercall decoder work through: {@link #USER_LOW} to
   * the end of RAM. A guest cannot write its boot page, GDT, IDT, TSS or page tables, and a device must not do it
   * for it (a disk read into the IDT, random bytes over the PML4): every ring, buffer and LOG range reaching below
   * USER_LOW is refused by this view's one range check.
   */
  static QueueMemory deviceView(GuestMemory memory) {
    return QueueMemory.wrap(new Pointer(memory.hostAddress()), memory.size(), USER_LOW);
  }

  /** Writes the page tables for {@code memory} (a multiple of 2 MiB, at most 1 GiB) and {@code slots} devices. */
  static void writePageTables(GuestMemory memory, int slots) {
    long size = memory.size();
    if (size % TWO_MB != 0 || size < 2 * TWO_MB || size > MAX_MEMORY) {
      throw new IllegalArgumentException("PARAVIRT guest memory (" + size + " bytes) must be a multiple of 2 MiB "
          + "from 4 MiB to 1 GiB");
    }
    if (slots < 0 || slots > MAX_SLOTS) {
      throw new IllegalArgumentException("device slots (" + slots + ") must be 0 to " + MAX_SLOTS);
    }
    memory.fill(PML4, 6 * 4096L, (byte) 0);
    memory.writeLong(PML4, PDPT | P | RW | US | A);
    memory.writeLong(PDPT, PD_LOW | P | RW | US | A);
    memory.writeLong(PDPT + 3 * 8, PD_MMIO | P | RW | US | A);

    long[] first = new long[512];
    for (int i = 1; i < 512; i++) {
      long addr = i * 4096L;
      if (addr < Supervisor.STACK_BOTTOM) {
        first[i] = addr | P | A | (addr == Supervisor.CODE ? 0 : NX); // GDT, IDT, TSS, stubs: read-only
      } else if (addr < Supervisor.STACK_TOP) {
        first[i] = addr | P | RW | A | D | NX;
      } else if (addr == BOOT_INFO) {
        first[i] = addr | P | US | A | NX;
      } else if (addr >= USER_LOW) {
        first[i] = addr | P | RW | US | A | D;
      } // page tables and the unused page: not present
    }
    memory.writeLongs(PT_FIRST_2M, first, 0, first.length);

    long[] pd = new long[(int) (size / TWO_MB)];
    pd[0] = PT_FIRST_2M | P | RW | US | A;
    for (int i = 1; i < pd.length; i++) {
      pd[i] = i * TWO_MB | P | RW | US | A | D | PS;
    }
    memory.writeLongs(PD_LOW, pd, 0, pd.length);

    memory.writeLong(PD_MMIO + ((MMIO_BASE - (3L << 30)) / TWO_MB) * 8, PT_MMIO | P | RW | US | A);
    long[] mmio = new long[slots];
    for (int i = 0; i < slots; i++) {
      mmio[i] = (MMIO_BASE + i * MMIO_STRIDE) | P | RW | US | PWT | PCD | A | D | NX;
    }
    memory.writeLongs(PT_MMIO, mmio, 0, mmio.length);
  }
}
