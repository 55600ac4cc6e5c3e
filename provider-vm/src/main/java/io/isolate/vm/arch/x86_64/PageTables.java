package io.isolate.vm.arch.x86_64;

import io.isolate.vm.vstate.GuestMemory;

/**
 * Four-level page tables with 4 KiB pages that identity-map the guest's address space {@code [0, size)}: guest
 * virtual address = guest-physical address, so a user pointer needs no translation on the host. The tables live
 * in guest-physical memory above {@code size}, mapped nowhere, so the guest can neither read nor change them.
 * Every page starts not present (page 0 stays so forever); {@link #map} and {@link #unmap} change leaf entries,
 * which take effect at the next CR3 reload (the caller's job: KVM_SET_SREGS before re-entry).
 */
public final class PageTables {
  static final long P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, NX = 1L << 63;
  private static final long PAGE = 4096;

  private final GuestMemory memory;
  private final long size;
  private final long pml4;
  private final long ptBase;
  private final long pdBase;
  static final long PS = 0x80;
  private static final long LARGE = 2 << 20;

  private PageTables(GuestMemory memory, long size, long base) {
    this.memory = memory;
    this.size = size;
    this.pml4 = base;
    long pdpt = base + PAGE;
    this.pdBase = base + 2 * PAGE;
    long gigs = gigabytes(size);
    this.ptBase = pdBase + gigs * PAGE;
    memory.writeLong(pml4, pdpt | P | RW | US | A);
    long[] pdpte = new long[(int) gigs];
    for (int g = 0; g < gigs; g++) {
      pdpte[g] = (pdBase + g * PAGE) | P | RW | US | A;
    }
    memory.writeLongs(pdpt, pdpte, 0, pdpte.length);
    int tables = (int) (size / (2 << 20));
    long[] pde = new long[tables];
    for (int t = 0; t < tables; t++) {
      pde[t] = (ptBase + t * PAGE) | P | RW | US | A;
    }
    memory.writeLongs(pdBase, pde, 0, pde.length); // PDs are consecutive, so one write fills them all
  }

  private static long gigabytes(long size) {
    return (size + (1L << 30) - 1) >> 30;
  }

  /** Bytes of guest-physical memory the tables for an address space of {@code size} bytes need. */
  public static long footprint(long size) {
    return (2 + gigabytes(size)) * PAGE + size / 512;
  }

  /** Builds empty tables for {@code [0, size)} at guest-physical {@code base} (at or above {@code size}). */
  public static PageTables create(GuestMemory memory, long size, long base) {
    if ((size & ((2 << 20) - 1)) != 0 || size > (512L << 30)) {
      throw new IllegalArgumentException("address space (" + size + ") must be a multiple of 2 MiB up to 512 GiB");
    }
    if (base < size || base + footprint(size) > memory.size()) {
      throw new IllegalArgumentException("page tables do not fit in guest memory");
    }
    return new PageTables(memory, size, base);
  }

  /**
   * Prefaults (see {@link GuestMemory#prefault}) the pages that tables for {@code [0, size)} at {@code base} will
   * use first: the PML4, the PDPT, the PDs and the leaf tables of {@code addresses}. Contents do not change.
   */
  public static void prefault(GuestMemory memory, long size, long base, long... addresses) {
    long gigs = gigabytes(size);
    long ptBase = base + (2 + gigs) * PAGE;
    memory.prefault(base, (2 + gigs) * PAGE);
    for (long addr : addresses) {
      if (addr >= 0 && addr < size) {
        memory.prefault(ptBase + (addr / PAGE * 8 & ~(PAGE - 1)), PAGE);
      }
    }
  }

  /** The value for CR3. */
  public long root() {
    return pml4;
  }

  /**
   * Maps {@code [addr, addr + len)} (page-aligned) to itself; {@code user} pages are accessible from CPL 3.
   * Accessed and dirty bits are preset so that the CPU never writes to the tables.
   */
  public void map(long addr, long len, boolean read, boolean write, boolean exec, boolean user) {
    checkRange(addr, len);
    if (!read && !write && !exec) {
      unmap(addr, len);
      return;
    }
    long flags = P | A | D | (write ? RW : 0) | (user ? US : 0) | (exec ? 0 : NX);
    int n = (int) (len / PAGE);
    long[] entries = new long[Math.min(n, 512)];
    for (int done = 0; done < n; ) {
      int chunk = Math.min(entries.length, n - done);
      for (int i = 0; i < chunk; i++) {
        entries[i] = (addr + (done + i) * PAGE) | flags;
      }
      memory.writeLongs(ptBase + (addr / PAGE + done) * 8, entries, 0, chunk);
      done += chunk;
    }
  }

  /**
   * Maps the 2 MiB region at {@code addr} with one large-page entry, or returns it to its 4 KiB table. The 4 KiB
   * entries are always kept up to date, so a large page is only a faster view of them: the caller promotes a
   * region whose 512 pages are mapped alike and demotes it as soon as one differs.
   */
  public void setLarge(long addr, boolean large) {
    checkRange(addr, LARGE);
    if ((addr & (LARGE - 1)) != 0) {
      throw new IllegalArgumentException("0x" + Long.toHexString(addr) + " is not 2 MiB-aligned");
    }
    long pdeAddress = pdBase + addr / LARGE * 8;
    long value;
    if (large) {
      long leaf = memory.readLong(ptBase + addr / PAGE * 8);
      value = (leaf & (P | RW | US | A | D | NX)) | PS | addr;
    } else {
      value = (ptBase + addr / LARGE * PAGE) | P | RW | US | A;
    }
    memory.writeLong(pdeAddress, value);
  }

  /** Makes {@code [addr, addr + len)} not present. */
  public void unmap(long addr, long len) {
    checkRange(addr, len);
    memory.fill(ptBase + addr / PAGE * 8, len / PAGE * 8, (byte) 0);
  }

  /** Whether {@code addr} lies in a region mapped by one 2 MiB entry, for tests and diagnostics. */
  public boolean isLarge(long addr) {
    checkRange(addr & ~(LARGE - 1), LARGE);
    return (memory.readLong(pdBase + addr / LARGE * 8) & PS) != 0;
  }

  /** The leaf entry for {@code addr}, for tests and diagnostics. */
  public long entry(long addr) {
    checkRange(addr & ~(PAGE - 1), PAGE);
    return memory.readLong(ptBase + addr / PAGE * 8);
  }

  private void checkRange(long addr, long len) {
    if ((addr & (PAGE - 1)) != 0 || (len & (PAGE - 1)) != 0 || addr < 0 || len < 0 || addr > size - len) {
      throw new IllegalArgumentException(String.format("range 0x%x+0x%x is not page-aligned inside [0, 0x%x)",
          addr, len, size));
    }
  }
}
