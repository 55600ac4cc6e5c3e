package io.isolate.vm.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.vm.arch.x86_64.PageTables;
import io.isolate.vm.kvm.Errno;
import io.isolate.vm.vstate.GuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The address space alone, without a VM: mappings, protections, large pages, limits. */
class MemoryManagerTest {
  static final long SIZE = 64L << 20;
  GuestMemory memory;
  PageTables tables;
  MemoryManager mm;

  @BeforeEach
  void space() {
    memory = GuestMemory.allocate(SIZE + PageTables.footprint(SIZE));
    tables = PageTables.create(memory, SIZE, SIZE);
    mm = new MemoryManager(memory, tables, SIZE);
    mm.mapSupervisor();
    mm.setBrkStart(0x500000);
    mm.mapFixed(SIZE - (8 << 20), 8 << 20, MemoryManager.PROT_READ | MemoryManager.PROT_WRITE);
    mm.setStackBottom(SIZE - (8 << 20));
  }

  @AfterEach
  void free() {
    memory.close();
  }

  @Test
  void pageZeroAndTheSupervisorAreNeverAccessible() {
    assertFalse(mm.accessible(0, 1, false));
    assertFalse(mm.accessible(0x1000, 8, false)); // GDT
    assertFalse(mm.accessible(0x5000, 8, true)); // supervisor stack
    assertEquals(0, tables.entry(0) & 1);
    assertEquals(0, tables.entry(0x1000) & 4, "GDT page must not be user-accessible");
  }

  @Test
  void alignedUniformRegionsUseLargePagesUntilOnePageDiffers() {
    long a = mm.mmap(0, 6 << 20, MemoryManager.PROT_READ | MemoryManager.PROT_WRITE, MemoryManager.MAP_PRIVATE
        | MemoryManager.MAP_ANONYMOUS);
    assertTrue(a > 0);
    long region = (a + (2 << 20) - 1) & -(2L << 20);
    assertTrue(tables.isLarge(region));
    assertEquals(0, mm.mprotect(region + 0x3000, 0x1000, MemoryManager.PROT_READ));
    assertFalse(tables.isLarge(region));
    assertEquals(0, tables.entry(region + 0x3000) & 2, "the protected page is read-only");
    assertEquals(2, tables.entry(region + 0x4000) & 2, "its neighbours stay writable");
    assertFalse(mm.accessible(region + 0x3000, 1, true));
    assertTrue(mm.accessible(region + 0x3000, 1, false));
    assertEquals(0, mm.mprotect(region + 0x3000, 0x1000, MemoryManager.PROT_READ | MemoryManager.PROT_WRITE));
    assertTrue(tables.isLarge(region));
    assertEquals(0, mm.munmap(region, 0x1000));
    assertFalse(tables.isLarge(region));
    assertEquals(0, tables.entry(region) & 1);
  }

  @Test
  void freedMemoryReadsAsZeroWhenMappedAgain() {
    long a = mm.mmap(0, 1 << 20, 3, MemoryManager.MAP_PRIVATE | MemoryManager.MAP_ANONYMOUS);
    memory.writeLong(a + 8, 42);
    assertEquals(0, mm.munmap(a, 1 << 20));
    long b = mm.mmap(a, 1 << 20, 3, MemoryManager.MAP_PRIVATE | MemoryManager.MAP_ANONYMOUS | MemoryManager.MAP_FIXED);
    assertEquals(a, b);
    assertEquals(0, memory.readLong(a + 8));
  }

  @Test
  void brkGrowsShrinksAndStopsAtMappings() {
    assertEquals(0x500000, mm.brk(0));
    assertEquals(0x600000, mm.brk(0x600000));
    assertTrue(mm.accessible(0x5FF000, 0x1000, true));
    assertEquals(0x580000, mm.brk(0x580000));
    assertFalse(mm.accessible(0x590000, 1, false));
    mm.mmap(0x700000, 0x1000, 3, MemoryManager.MAP_PRIVATE | MemoryManager.MAP_ANONYMOUS | MemoryManager.MAP_FIXED);
    assertEquals(0x580000, mm.brk(0x800000), "brk cannot grow over a mapping");
  }

  @Test
  void runsOutOfAddressSpaceWithEnomemAndRefusesBadArguments() {
    assertEquals(-Errno.ENOMEM, mm.mmap(0, SIZE, 3, MemoryManager.MAP_PRIVATE | MemoryManager.MAP_ANONYMOUS));
    assertEquals(-Errno.EINVAL, mm.mmap(0, 0, 3, MemoryManager.MAP_PRIVATE | MemoryManager.MAP_ANONYMOUS));
    assertEquals(-Errno.EINVAL, mm.mmap(0x10001, 4096, 3, MemoryManager.MAP_PRIVATE | MemoryManager.MAP_FIXED
        | MemoryManager.MAP_ANONYMOUS));
    assertEquals(-Errno.ENOMEM, mm.mmap(0x1000, 4096, 3, MemoryManager.MAP_PRIVATE | MemoryManager.MAP_FIXED
        | MemoryManager.MAP_ANONYMOUS), "the supervisor pages cannot be mapped over");
    long a = mm.mmap(0, 4096, 3, MemoryManager.MAP_PRIVATE | MemoryManager.MAP_ANONYMOUS);
    assertEquals(-Errno.EEXIST, mm.mmap(a, 4096, 3, MemoryManager.MAP_PRIVATE | MemoryManager.MAP_ANONYMOUS
        | MemoryManager.MAP_FIXED_NOREPLACE));
    assertEquals(-Errno.ENOMEM, mm.mprotect(0x2000000, 4096, 1), "mprotect of unmapped memory");
    assertEquals(-Errno.EINVAL, mm.mprotect(a, 4096, 8));
  }
}
