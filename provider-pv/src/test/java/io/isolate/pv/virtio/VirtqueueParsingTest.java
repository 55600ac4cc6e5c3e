package io.isolate.pv.virtio;

import static io.isolate.pv.virtio.DriverQueue.Buf.in;
import static io.isolate.pv.virtio.DriverQueue.Buf.out;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VirtqueueParsingTest {
  private static final long ALL = VirtioFeatures.VERSION_1 | VirtioFeatures.RING_INDIRECT_DESC;
  private final QueueMemory memory = QueueMemory.wrap(ByteBuffer.allocateDirect(32 << 20));
  private final GuestAllocator alloc = new GuestAllocator(0x1000, memory.size());

  @Test
  void parsesADirectChainIntoReadableAndWritableSegments() {
    DriverQueue driver = new DriverQueue(memory, alloc, 8);
    Virtqueue queue = driver.deviceQueue(QueueLimits.DEFAULT, ALL);
    long a = alloc.alloc(100, 8);
    long b = alloc.alloc(28, 8);
    long c = alloc.alloc(512, 8);
    int head = driver.add(List.of(in(a, 100), in(b, 28), out(c, 512)));

    DescriptorChain chain = queue.pop();

    assertEquals(head, chain.headIndex());
    assertEquals(List.of(new Segment(a, 100), new Segment(b, 28)), chain.readable());
    assertEquals(List.of(new Segment(c, 512)), chain.writable());
    assertEquals(128, chain.readableBytes());
    assertEquals(512, chain.writableBytes());
    assertNull(queue.pop());
  }

  @Test
  void returnsChainsThroughTheUsedRingWithTheirLengths() {
    DriverQueue driver = new DriverQueue(memory, alloc, 4);
    Virtqueue queue = driver.deviceQueue(QueueLimits.DEFAULT, ALL);
    long buf = alloc.alloc(64, 8);
    for (int round = 0; round < 70_000; round++) { // wraps the 16-bit indexes
      int head = driver.add(List.of(out(buf, 64)));
      DescriptorChain chain = queue.pop();
      assertEquals(head, chain.headIndex());
      queue.addUsed(chain.headIndex(), 64);
      assertEquals(List.of(new DriverQueue.Used(head, 64)), driver.drainUsed());
    }
  }

  @Test
  void readsAndWritesPayloadInPlaceAcrossSegments() {
    DriverQueue driver = new DriverQueue(memory, alloc, 8);
    Virtqueue queue = driver.deviceQueue(QueueLimits.DEFAULT, ALL);
    long a = alloc.alloc(3, 1);
    long b = alloc.alloc(5, 1);
    long c = alloc.alloc(4, 1);
    long d = alloc.alloc(4, 1);
    memory.write(a, "abc".getBytes(), 0, 3);
    memory.write(b, "defgh".getBytes(), 0, 5);
    driver.add(List.of(in(a, 3), in(b, 5), out(c, 4), out(d, 4)));

    DescriptorChain chain = queue.pop();
    assertArrayEquals("abcdefgh".getBytes(), chain.readAll(memory));
    assertEquals(6, chain.write(memory, "ZYXWVU".getBytes(), 0, 6));
    byte[] back = new byte[8];
    memory.read(c, back, 0, 4);
    memory.read(d, back, 4, 4);
    assertArrayEquals("ZYXWVU\0\0".getBytes(), back);
    assertEquals(8, chain.write(memory, new byte[20], 0, 20), "stops when the writable buffers are full");
  }

  @Test
  void followsAnIndirectTable() {
    DriverQueue driver = new DriverQueue(memory, alloc, 4);
    Virtqueue queue = driver.deviceQueue(QueueLimits.DEFAULT, ALL);
    long a = alloc.alloc(10, 8);
    long b = alloc.alloc(20, 8);
    long c = alloc.alloc(30, 8);
    int head = driver.addIndirect(List.of(in(a, 10), out(b, 20), out(c, 30)));

    DescriptorChain chain = queue.pop();

    assertEquals(head, chain.headIndex());
    assertEquals(List.of(new Segment(a, 10)), chain.readable());
    assertEquals(List.of(new Segment(b, 20), new Segment(c, 30)), chain.writable());
  }

  @Test
  void carriesSeveralMebibytesSplitOverManyDescriptors() {
    DriverQueue driver = new DriverQueue(memory, alloc, 1024);
    Virtqueue queue = driver.deviceQueue(QueueLimits.DEFAULT, ALL);
    byte[] payload = new byte[6 << 20];
    new Random(42).nextBytes(payload);
    List<DriverQueue.Buf> bufs = new ArrayList<>();
    int segment = 8 << 10; // 768 descriptors
    for (int at = 0; at < payload.length; at += segment) {
      long addr = alloc.alloc(segment, 8);
      memory.write(addr, payload, at, segment);
      bufs.add(in(addr, segment));
    }
    driver.add(bufs);

    DescriptorChain chain = queue.pop();

    assertEquals(768, chain.readable().size());
    assertArrayEquals(payload, chain.readAll(memory));
  }

  @Test
  void carriesSeveralMebibytesThroughAnIndirectTable() {
    DriverQueue driver = new DriverQueue(memory, alloc, 16);
    Virtqueue queue = driver.deviceQueue(QueueLimits.DEFAULT, ALL);
    byte[] payload = new byte[4 << 20];
    new Random(7).nextBytes(payload);
    List<DriverQueue.Buf> bufs = new ArrayList<>();
    int segment = 4 << 10; // 1024 descriptors in one table, far more than the queue size
    for (int at = 0; at < payload.length; at += segment) {
      long addr = alloc.alloc(segment, 8);
      memory.write(addr, payload, at, segment);
      bufs.add(in(addr, segment));
    }
    bufs.add(out(alloc.alloc(32, 8), 32));
    driver.addIndirect(bufs);

    DescriptorChain chain = queue.pop();

    assertEquals(1024, chain.readable().size());
    assertEquals(32, chain.writableBytes());
    assertArrayEquals(payload, chain.readAll(memory));
  }

  @Test
  void interruptsUnlessTheDriverSuppressesThem() {
    DriverQueue driver = new DriverQueue(memory, alloc, 4);
    Virtqueue queue = driver.deviceQueue(QueueLimits.DEFAULT, ALL);
    long buf = alloc.alloc(8, 8);
    driver.add(List.of(out(buf, 8)));
    queue.addUsed(queue.pop().headIndex(), 0);
    assertTrue(queue.needsInterrupt());
    driver.suppressInterrupts(true);
    assertFalse(queue.needsInterrupt());
  }

  @Test
  void honoursUsedEventAndPublishesAvailEventWithEventIdx() {
    DriverQueue driver = new DriverQueue(memory, alloc, 8);
    Virtqueue queue = driver.deviceQueue(QueueLimits.DEFAULT, ALL | VirtioFeatures.RING_EVENT_IDX);
    long buf = alloc.alloc(8, 8);
    driver.setUsedEvent(2); // interrupt only once used index passes 2, i.e. after the third entry
    for (int i = 0; i < 3; i++) {
      driver.add(List.of(out(buf, 8)));
    }
    boolean[] interrupts = new boolean[3];
    for (int i = 0; i < 3; i++) {
      queue.addUsed(queue.pop().headIndex(), 8);
      interrupts[i] = queue.needsInterrupt();
    }
    // the first call always interrupts (nothing signalled yet); then only when used_event is crossed
    assertArrayEquals(new boolean[] {true, false, true}, interrupts);
    assertNull(queue.pop());
    assertEquals(3, driver.availEvent(), "device asks to be notified for the next entry");
  }

  @Test
  void needEventMatchesTheSpecificationFormula() {
    assertTrue(Virtqueue.needEvent(0, 1, 0));
    assertFalse(Virtqueue.needEvent(5, 3, 0));
    assertTrue(Virtqueue.needEvent(0xffff, 0, 0xfffe), "wraps at 16 bits");
  }
}
