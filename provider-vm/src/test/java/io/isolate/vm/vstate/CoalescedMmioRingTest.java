package io.isolate.vm.vstate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.jna.Memory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The coalesced-MMIO ring as the kernel fills it: order, wrap-around, widths, and indexes it never writes. */
class CoalescedMmioRingTest {
  private final Memory page = new Memory(4096);
  private final CoalescedMmioRing ring = new CoalescedMmioRing(page);
  private final List<String> seen = new ArrayList<>();

  CoalescedMmioRingTest() {
    page.clear();
  }

  /** Appends an entry as the kernel does (entry first, then the producer index). */
  private void produce(long address, int len, long value) {
    int last = page.getInt(4);
    long entry = CoalescedMmioRing.HEADER_SIZE + (long) last * CoalescedMmioRing.ENTRY_SIZE;
    page.setLong(entry, address);
    page.setInt(entry + 8, len);
    page.setInt(entry + 12, 0);
    page.setLong(entry + 16, value);
    page.setInt(4, (last + 1) % CoalescedMmioRing.CAPACITY);
  }

  private int drain() {
    return ring.drain((address, len, value) -> seen.add(Long.toHexString(address) + "/" + len + "=" + Long.toHexString(value)));
  }

  @Test
  void appliesWritesInOrderAndFreesTheSlots() {
    produce(0xd0000070L, 4, 1);
    produce(0xd0000070L, 4, 3);
    produce(0xd0000030L, 4, 2);
    assertEquals(3, drain());
    assertEquals(List.of("d0000070/4=1", "d0000070/4=3", "d0000030/4=2"), seen);
    assertEquals(page.getInt(4), page.getInt(0), "the consumer index caught up");
    assertEquals(0, drain());
  }

  @Test
  void wrapsAroundTheEndOfThePage() {
    int start = CoalescedMmioRing.CAPACITY - 2;
    page.setInt(0, start);
    page.setInt(4, start);
    for (int i = 0; i < 5; i++) {
      produce(0x1000 + i, 4, i);
    }
    assertEquals(5, drain());
    assertEquals("1004/4=4", seen.get(4));
    assertEquals(3, page.getInt(0));
  }

  @Test
  void keepsOnlyTheBytesWrittenAndSkipsImpossibleLengths() {
    produce(0x10, 1, 0xffff_ffff_ffff_ff41L);
    produce(0x12, 2, 0xffff_ffff_ffff_4142L);
    produce(0x14, 0, 7);
    produce(0x18, 9, 7);
    produce(0x20, 8, -1);
    assertEquals(5, drain());
    assertEquals(List.of("10/1=41", "12/2=4142", "20/8=ffffffffffffffff"), seen);
  }

  @Test
  void stopsAtAnIndexOutsideTheRing() {
    page.setInt(0, 0);
    page.setInt(4, CoalescedMmioRing.CAPACITY + 5);
    assertEquals(0, drain());
    page.setInt(0, -1);
    page.setInt(4, 3);
    assertEquals(0, drain());
    assertEquals(List.of(), seen);
  }
}
