package io.isolate.vm.linux;

import io.isolate.vm.arch.x86_64.PageTables;
import io.isolate.vm.arch.x86_64.Supervisor;
import io.isolate.vm.kvm.Errno;
import io.isolate.vm.vstate.GuestMemory;

/**
 * The program's address space {@code [USER_MIN, size)}: which pages are mapped with which protection, the brk
 * heap growing up from the end of the executable, mmap regions allocated top-down below the stack. Guest RAM is
 * the memory limit: when no free range is left, brk and mmap fail (ENOMEM), exactly as on Linux; the program
 * decides what to do. Every change is mirrored into the {@link PageTables}.
 */
final class MemoryManager {
  static final int PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
  private static final byte MAPPED = 8;
  static final long PAGE = 4096;

  private final GuestMemory memory;
  private final PageTables tables;
  private final long size;
  private final byte[] pages;
  private long brkStart;
  private long brk;
  private long stackBottom;
  private long mappedPages;
  private long peakPages;
  private boolean tablesChanged;

  MemoryManager(GuestMemory memory, PageTables tables, long size) {
    this.memory = memory;
    this.tables = tables;
    this.size = size;
    this.pages = new byte[(int) (size / PAGE)];
    this.stackBottom = size;
  }

  GuestMemory memory() {
    return memory;
  }

  long size() {
    return size;
  }

  static long pageUp(long a) {
    return (a + PAGE - 1) & ~(PAGE - 1);
  }

  /** Whether page tables changed since the last call: the vCPU must reload CR3 before it runs again. */
  boolean takeTablesChanged() {
    boolean c = tablesChanged;
    tablesChanged = false;
    return c;
  }

  long peakBytes() {
    return peakPages * PAGE;
  }

  long mappedBytes() {
    return mappedPages * PAGE;
  }

  // ---- set-up -------------------------------------------------------------------------------------------------

  /** Maps the supervisor pages (not user-accessible). */
  void mapSupervisor() {
    tables.map(Supervisor.GDT, 3 * PAGE, true, false, false, false);
    tables.map(Supervisor.CODE, PAGE, true, false, true, false);
    tables.map(Supervisor.STACK_BOTTOM, Supervisor.STACK_TOP - Supervisor.STACK_BOTTOM, true, true, false, false);
  }

  /** Maps {@code [addr, addr + len)} for a segment or the stack; the range must be free. */
  void mapFixed(long addr, long len, int prot) {
    long start = addr & ~(PAGE - 1);
    long end = pageUp(addr + len);
    if (isFree(start, end - start)) {
      setPages(start, end - start, prot);
      return;
    }
    for (long a = start; a < end; a += PAGE) {
      // segments may share a page: the page gets the union of their protections
      int p = pages[(int) (a / PAGE)];
      setPages(a, PAGE, (p & MAPPED) != 0 ? (p & 7) | prot : prot);
    }
  }

  void setBrkStart(long addr) {
    brkStart = pageUp(addr);
    brk = brkStart;
  }

  void setStackBottom(long addr) {
    stackBottom = addr;
  }

  // ---- system calls -------------------------------------------------------------------------------------------

  long brk(long requested) {
    if (requested < brkStart || requested > stackBottom) {
      return brk;
    }
    long oldTop = pageUp(brk);
    long newTop = pageUp(requested);
    if (newTop > oldTop) {
      if (!isFree(oldTop, newTop - oldTop)) {
        return brk;
      }
      setPages(oldTop, newTop - oldTop, PROT_READ | PROT_WRITE);
    } else if (newTop < oldTop) {
      release(newTop, oldTop - newTop);
    }
    brk = requested;
    return brk;
  }

  static final int MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20,
      MAP_FIXED_NOREPLACE = 0x100000;

  /** Reserves and maps a range for mmap; returns its address or a negative errno. The pages read as zero. */
  long mmap(long hint, long length, int prot, int flags) {
    if (length <= 0 || length > size) {
      return length == 0 ? -Errno.EINVAL : -Errno.ENOMEM;
    }
    long len = pageUp(length);
    if ((hint & (PAGE - 1)) != 0 && (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0) {
      return -Errno.EINVAL;
    }
    long addr;
    if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0) {
      if (hint < Supervisor.USER_MIN || hint > size - len) {
        return -Errno.ENOMEM;
      }
      if ((flags & MAP_FIXED_NOREPLACE) != 0 && !isFree(hint, len)) {
        return -Errno.EEXIST;
      }
      release(hint, len);
      addr = hint;
    } else if (hint >= Supervisor.USER_MIN && hint <= size - len && (hint & (PAGE - 1)) == 0
        && hint >= pageUp(brk) && isFree(hint, len)) {
      addr = hint;
    } else {
      addr = findFree(len);
      if (addr < 0) {
        return -Errno.ENOMEM;
      }
    }
    setPages(addr, len, prot == 0 ? MAPPED_NONE : prot);
    return addr;
  }

  private static final int MAPPED_NONE = 16; // reserved with PROT_NONE: mapped, but no access

  int munmap(long addr, long length) {
    if ((addr & (PAGE - 1)) != 0 || length <= 0) {
      return -Errno.EINVAL;
    }
    long len = pageUp(length);
    if (addr < 0 || addr > size - Math.min(len, size)) {
      return 0; // outside the address space: nothing mapped there, as Linux answers
    }
    release(addr, Math.min(len, size - addr));
    return 0;
  }

  int mprotect(long addr, long length, int prot) {
    if ((addr & (PAGE - 1)) != 0 || length < 0 || (prot & ~7) != 0) {
      return -Errno.EINVAL;
    }
    long len = pageUp(length);
    if (addr < Supervisor.USER_MIN || addr > size - len) {
      return -Errno.ENOMEM;
    }
    for (long a = addr; a < addr + len; a += PAGE) {
      if ((pages[(int) (a / PAGE)] & MAPPED) == 0) {
        return -Errno.ENOMEM;
      }
    }
    if (len > 0) {
      setPages(addr, len, prot == 0 ? MAPPED_NONE : prot);
    }
    return 0;
  }

  static final int MREMAP_MAYMOVE = 1;

  long mremap(long oldAddr, long oldLength, long newLength, int flags) {
    if ((oldAddr & (PAGE - 1)) != 0 || newLength <= 0 || (flags & ~MREMAP_MAYMOVE) != 0) {
      return -Errno.EINVAL;
    }
    long oldLen = pageUp(oldLength);
    long newLen = pageUp(newLength);
    if (oldAddr < Supervisor.USER_MIN || oldLen <= 0 || oldAddr > size - oldLen || newLen > size) {
      return -Errno.EFAULT;
    }
    for (long a = oldAddr; a < oldAddr + oldLen; a += PAGE) {
      if ((pages[(int) (a / PAGE)] & MAPPED) == 0) {
        return -Errno.EFAULT;
      }
    }
    if (newLen <= oldLen) {
      release(oldAddr + newLen, oldLen - newLen);
      return oldAddr;
    }
    int prot = protOf(oldAddr);
    if (oldAddr + newLen <= size && isFree(oldAddr + oldLen, newLen - oldLen)) {
      setPages(oldAddr + oldLen, newLen - oldLen, prot == 0 ? MAPPED_NONE : prot);
      return oldAddr;
    }
    if ((flags & MREMAP_MAYMOVE) == 0) {
      return -Errno.ENOMEM;
    }
    long addr = findFree(newLen);
    if (addr < 0) {
      return -Errno.ENOMEM;
    }
    setPages(addr, newLen, prot == 0 ? MAPPED_NONE : prot);
    copy(oldAddr, addr, oldLen);
    release(oldAddr, oldLen);
    return addr;
  }

  /** MADV_DONTNEED: anonymous private pages read as zero afterwards. */
  int dontNeed(long addr, long length) {
    if ((addr & (PAGE - 1)) != 0 || length < 0) {
      return -Errno.EINVAL;
    }
    long len = pageUp(length);
    if (addr < Supervisor.USER_MIN || addr > size - len) {
      return -Errno.ENOMEM;
    }
    for (long a = addr; a < addr + len; a += PAGE) {
      if ((pages[(int) (a / PAGE)] & MAPPED) == 0) {
        return -Errno.ENOMEM;
      }
    }
    if (len > 0) {
      memory.discard(addr, len);
    }
    return 0;
  }

  private void copy(long from, long to, long len) {
    byte[] buf = new byte[(int) Math.min(len, 1 << 20)];
    for (long done = 0; done < len; done += buf.length) {
      int n = (int) Math.min(buf.length, len - done);
      memory.read(from + done, buf, 0, n);
      memory.write(to + done, buf, 0, n);
    }
  }

  // ---- checks for the system-call layer ------------------------------------------------------------------------

  /** Whether the program may access {@code [addr, addr + len)}: every page mapped, readable (and writable). */
  boolean accessible(long addr, long len, boolean write) {
    if (len == 0) {
      return true;
    }
    if (addr < Supervisor.USER_MIN || len < 0 || addr > size - len) {
      return false;
    }
    int need = write ? PROT_WRITE : PROT_READ;
    for (long p = addr / PAGE, last = (addr + len - 1) / PAGE; p <= last; p++) {
      int state = pages[(int) p];
      if ((state & MAPPED) == 0 || (state & need) == 0) {
        return false;
      }
    }
    return true;
  }

  // ---- internals ----------------------------------------------------------------------------------------------

  private int protOf(long addr) {
    int s = pages[(int) (addr / PAGE)];
    return (s & MAPPED_NONE) != 0 ? 0 : s & 7;
  }

  private boolean isFree(long addr, long len) {
    if (addr < Supervisor.USER_MIN || addr > size - len) {
      return false;
    }
    for (long p = addr / PAGE, end = (addr + len) / PAGE; p < end; p++) {
      if (pages[(int) p] != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Finds the highest {@code len} free bytes below the stack's guard page and above the brk heap, as Linux's
   * top-down allocator does, so that freed space is reused and the heap keeps room to grow; -1 when none.
   */
  private long findFree(long len) {
    long floor = Math.max(pageUp(brk), Supervisor.USER_MIN) / PAGE;
    long need = len / PAGE;
    long run = 0;
    for (long p = (stackBottom - PAGE) / PAGE - 1; p >= floor; p--) {
      run = pages[(int) p] == 0 ? run + 1 : 0;
      if (run == need) {
        return p * PAGE;
      }
    }
    return -1;
  }

  private void setPages(long addr, long len, int prot) {
    int none = prot & MAPPED_NONE;
    int p = none != 0 ? 0 : prot & 7;
    byte state = (byte) (MAPPED | p | none);
    boolean changedPresent = false;
    for (long i = addr / PAGE, end = (addr + len) / PAGE; i < end; i++) {
      byte old = pages[(int) i];
      if ((old & MAPPED) == 0) {
        mappedPages++;
      } else if (old != state) {
        changedPresent = true;
      }
      pages[(int) i] = state;
    }
    peakPages = Math.max(peakPages, mappedPages);
    tables.map(addr, len, p != 0, (p & PROT_WRITE) != 0, (p & PROT_EXEC) != 0, true);
    // Entries that were not present cannot be cached by the TLB: new mappings need no flush. Changed ones do.
    tablesChanged |= changedPresent;
    updateLargePages(addr, len);
  }

  private static final long LARGE = 2 << 20;
  private static final int PAGES_PER_LARGE = (int) (LARGE / PAGE);
  private boolean[] large;

  /**
   * Uses a 2 MiB page for each aligned region of {@code [addr, addr + len)} whose pages are all mapped alike, and
   * 4 KiB pages again where they no longer are: large pages save TLB misses (and shadow-paging work on PVM).
   */
  private void updateLargePages(long addr, long len) {
    if (large == null) {
      large = new boolean[(int) (size / LARGE)];
    }
    for (long r = addr & ~(LARGE - 1); r < addr + len; r += LARGE) {
      int first = (int) (r / PAGE);
      byte state = pages[first];
      boolean uniform = (state & MAPPED) != 0 && (state & MAPPED_NONE) == 0 && r >= LARGE;
      for (int i = 1; uniform && i < PAGES_PER_LARGE; i++) {
        uniform = pages[first + i] == state;
      }
      int index = (int) (r / LARGE);
      if (uniform != large[index]) {
        tables.setLarge(r, uniform);
        large[index] = uniform;
      }
    }
  }

  /** Unmaps the mapped pages of a range and gives their memory back to the host (they read as zero again). */
  private void release(long addr, long len) {
    long runStart = -1;
    for (long a = addr; a <= addr + len; a += PAGE) {
      boolean mapped = a < addr + len && a >= 0 && a < size && (pages[(int) (a / PAGE)] & MAPPED) != 0;
      if (mapped && runStart < 0) {
        runStart = a;
      } else if (!mapped && runStart >= 0) {
        long n = a - runStart;
        java.util.Arrays.fill(pages, (int) (runStart / PAGE), (int) (a / PAGE), (byte) 0);
        mappedPages -= n / PAGE;
        tables.unmap(runStart, n);
        memory.discard(runStart, n);
        tablesChanged = true;
        updateLargePages(runStart, n);
        runStart = -1;
      }
    }
  }
}
