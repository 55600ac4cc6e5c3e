package io.isolate.pv.virtio;

import static io.isolate.pv.virtio.DriverQueue.Buf.in;
import static io.isolate.pv.virtio.DriverQueue.Buf.out;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HostileQueueTest {
  private static final long FEATURES = VirtioFeatures.VERSION_1 | VirtioFeatures.RING_INDIRECT_DESC;
  private static final int NEXT = Virtqueue.DESC_F_NEXT;
  private static final int WRITE = Virtqueue.DESC_F_WRITE;
  private static final int INDIRECT = Virtqueue.DESC_F_INDIRECT;

  private final QueueMemory memory = QueueMemory.wrap(ByteBuffer.allocateDirect(1 << 20));
  private final GuestAllocator alloc = new GuestAllocator(0x1000, memory.size());
  private final DriverQueue driver = new DriverQueue(memory, alloc, 8);
  private final Virtqueue queue = driver.deviceQueue(QueueLimits.DEFAULT, FEATURES);

  private InvalidChainException popInvalid(ChainViolation expected) {
    InvalidChainException e = assertThrows(InvalidChainException.class, queue::pop);
    assertEquals(expected, e.violation(), e.getMessage());
    return e;
  }

  @Test
  void rejectsABufferOutsideGuestMemory() {
    driver.writeDescriptor(0, memory.size() - 16, 32, 0, 0);
    driver.publish(0);
    InvalidChainException e = popInvalid(ChainViolation.ADDRESS_OUT_OF_MEMORY);
    assertTrue(e.getMessage().contains("0xffff0+32") && e.getMessage().contains("1048576 bytes"), e.getMessage());
    assertEquals(0, e.headIndex());
    queue.addUsed(e.headIndex(), 0); // the chain can be returned; the queue goes on
    assertEquals(List.of(new DriverQueue.Used(0, 0)), driver.drainUsed());
  }

  @Test
  void rejectsAnAddressWhoseEndOverflows() {
    driver.writeDescriptor(0, 0xffff_ffff_ffff_fff0L, 0x20, 0, 0);
    driver.publish(0);
    popInvalid(ChainViolation.ADDRESS_OUT_OF_MEMORY);
  }

  @Test
  void rejectsAHugeLength() {
    driver.writeDescriptor(0, 0x2000, 0xffff_ffffL, WRITE, 0);
    driver.publish(0);
    popInvalid(ChainViolation.ADDRESS_OUT_OF_MEMORY);
  }

  @Test
  void rejectsAZeroLength() {
    driver.writeDescriptor(0, 0x2000, 0, 0, 0);
    driver.publish(0);
    assertTrue(popInvalid(ChainViolation.ZERO_LENGTH).getMessage().contains("descriptor 0 has length 0"));
  }

  @Test
  void rejectsAChainLargerThanThePerRequestCap() {
    Virtqueue capped = driver.deviceQueue(new QueueLimits(4096, 64), FEATURES);
    driver.add(List.of(in(0x8000, 4000), out(0x9000, 200)));
    InvalidChainException e = assertThrows(InvalidChainException.class, capped::pop);
    assertEquals(ChainViolation.REQUEST_TOO_LARGE, e.violation());
    assertTrue(e.getMessage().contains("4200 bytes") && e.getMessage().contains("4096"), e.getMessage());
  }

  @Test
  void breaksALoopInADirectChain() {
    driver.writeDescriptor(0, 0x2000, 8, NEXT, 1);
    driver.writeDescriptor(1, 0x2000, 8, NEXT, 0);
    driver.publish(0);
    assertTimeoutPreemptively(Duration.ofSeconds(2), () -> popInvalid(ChainViolation.CHAIN_TOO_LONG));
  }

  @Test
  void breaksASelfLoopInsideAnIndirectTable() {
    long table = alloc.alloc(32, 16);
    driver.writeDescriptorAt(table, 0x2000, 8, 0, 0);
    driver.writeDescriptorAt(table + 16, 0x2000, 8, NEXT, 1);
    driver.writeDescriptor(0, table, 32, INDIRECT, 0);
    // first element chains to itself through element 1
    driver.writeDescriptorAt(table, 0x2000, 8, NEXT, 1);
    driver.publish(0);
    assertTimeoutPreemptively(Duration.ofSeconds(2), () -> popInvalid(ChainViolation.CHAIN_TOO_LONG));
  }

  @Test
  void rejectsANextIndexPastTheTable() {
    driver.writeDescriptor(0, 0x2000, 8, NEXT, 8);
    driver.publish(0);
    assertTrue(popInvalid(ChainViolation.DESCRIPTOR_INDEX_OUT_OF_RANGE).getMessage()
        .contains("next descriptor 8, but the table has only 8 entries"));
  }

  @Test
  void rejectsReadableAfterWritable() {
    driver.writeDescriptor(0, 0x2000, 8, WRITE | NEXT, 1);
    driver.writeDescriptor(1, 0x3000, 8, 0, 0);
    driver.publish(0);
    popInvalid(ChainViolation.READABLE_AFTER_WRITABLE);
  }

  @Test
  void rejectsIndirectTablesInsideIndirectTables() {
    long inner = alloc.alloc(16, 16);
    driver.writeDescriptorAt(inner, 0x2000, 8, 0, 0);
    long outer = alloc.alloc(16, 16);
    driver.writeDescriptorAt(outer, inner, 16, INDIRECT, 0);
    driver.writeDescriptor(0, outer, 16, INDIRECT, 0);
    driver.publish(0);
    popInvalid(ChainViolation.NESTED_INDIRECT);
  }

  @Test
  void rejectsIndirectWithNext() {
    long table = alloc.alloc(16, 16);
    driver.writeDescriptorAt(table, 0x2000, 8, 0, 0);
    driver.writeDescriptor(0, table, 16, INDIRECT | NEXT, 1);
    driver.publish(0);
    popInvalid(ChainViolation.INDIRECT_WITH_NEXT);
  }

  @Test
  void rejectsIndirectTablesOfBadLengthOrPlace() {
    driver.writeDescriptor(0, 0x2000, 24, INDIRECT, 0);
    driver.publish(0);
    popInvalid(ChainViolation.INDIRECT_TABLE_BAD_LENGTH);
    driver.writeDescriptor(1, memory.size() - 16, 32, INDIRECT, 0);
    driver.publish(1);
    popInvalid(ChainViolation.ADDRESS_OUT_OF_MEMORY);
    driver.writeDescriptor(2, 0x2000, 16L * 5000, INDIRECT, 0);
    driver.publish(2);
    popInvalid(ChainViolation.CHAIN_TOO_LONG);
  }

  @Test
  void rejectsIndirectDescriptorsWhenNotNegotiated() {
    Virtqueue plain = driver.deviceQueue(QueueLimits.DEFAULT, VirtioFeatures.VERSION_1);
    long table = alloc.alloc(16, 16);
    driver.writeDescriptorAt(table, 0x2000, 8, 0, 0);
    driver.writeDescriptor(0, table, 16, INDIRECT, 0);
    driver.publish(0);
    InvalidChainException e = assertThrows(InvalidChainException.class, plain::pop);
    assertEquals(ChainViolation.INDIRECT_NOT_NEGOTIATED, e.violation());
  }

  @Test
  void stopsTheQueueWhenTheAvailableIndexRunsTooFarAhead() {
    driver.setAvailIndex(9);
    QueueBrokenException e = assertThrows(QueueBrokenException.class, queue::pop);
    assertTrue(e.getMessage().contains("available index 9 is 9 entries ahead")
        && e.getMessage().contains("holds only 8"), e.getMessage());
    assertTrue(queue.isBroken());
    driver.setAvailIndex(1); // even a sane index is refused until reset
    assertThrows(QueueBrokenException.class, queue::pop);
  }

  @Test
  void stopsTheQueueOnAHeadIndexOutsideTheTable() {
    memory.putU16(driver.avail + 4, 200);
    driver.setAvailIndex(1);
    QueueBrokenException e = assertThrows(QueueBrokenException.class, queue::pop);
    assertTrue(e.getMessage().contains("head descriptor 200"), e.getMessage());
  }

  @Test
  void refusesQueueLayoutsOutsideMemoryOrMisaligned() {
    Virtqueue q = new Virtqueue(256, QueueLimits.DEFAULT);
    q.setSize(256);
    q.setDescTable(memory.size() - 16);
    q.setAvailRing(0x100);
    q.setUsedRing(0x1000);
    assertTrue(q.activate(memory, FEATURES).contains("descriptor table"));
    q.setDescTable(0x18);
    assertTrue(q.activate(memory, FEATURES).contains("not aligned to 16"));
    q.setDescTable(0x10000);
    q.setUsedRing(0xffff_ffff_ffff_fff0L);
    assertTrue(q.activate(memory, FEATURES).contains("used ring"));
  }

  @Test
  void survivesRandomGarbageInRingsAndDescriptorsWithoutEscapingExceptions() {
    Random random = new Random(1234);
    assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
      for (int round = 0; round < 20_000; round++) {
        DriverQueue d = new DriverQueue(memory, new GuestAllocator(0x1000, 0x10000), 8);
        Virtqueue q = d.deviceQueue(new QueueLimits(1 << 16, 64), FEATURES);
        for (int i = 0; i < 8; i++) {
          int flags = random.nextInt(8);
          long addr = random.nextBoolean() ? random.nextLong() : random.nextInt(1 << 20);
          long len = random.nextBoolean() ? random.nextInt(1 << 12) : random.nextInt() & 0xffff_ffffL;
          d.writeDescriptor(i, addr, len, flags, random.nextInt(12));
          memory.putU16(d.avail + 4 + 2L * i, random.nextInt(10));
        }
        d.setAvailIndex(random.nextInt(12));
        List<Object> outcomes = new ArrayList<>();
        for (int k = 0; k < 10; k++) {
          try {
            DescriptorChain c = q.pop();
            if (c == null) {
              break;
            }
            outcomes.add(c);
            q.addUsed(c.headIndex(), 0);
          } catch (InvalidChainException e) {
            assertNotNull(e.violation());
            q.addUsed(e.headIndex(), 0);
          } catch (QueueBrokenException e) {
            assertTrue(q.isBroken());
            break;
          }
        }
      }
    });
  }
}
