package io.isolate.pv.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Fuzz target: a split virtqueue whose rings and descriptors a hostile guest wrote, byte for byte. Popping must
 * end in a validated chain, an {@link InvalidChainException} or a {@link QueueBrokenException}, nothing else; every
 * chain handed to a device lies in memory the guest may use, within the per-request caps, and can be read, written
 * and returned. {@code mvn verify} replays the committed corpus; {@code .ci/fuzz} fuzzes it.
 */
class VirtqueueFuzzTest {
  private static final int MEMORY = 1 << 16;
  private static final long RESERVED = 0x1000;
  private static final QueueLimits LIMITS = new QueueLimits(1 << 14, 64);

  /**
   * The input: u8 log2 of the queue size, u8 flags (1: the ring addresses follow, else the usual layout; 2:
   * indirect descriptors; 4: event index), u8 number of pops, three u16 ring addresses, then guest memory from
   * 0x1000, where the usual layout puts the descriptor table (0x1000), the available ring (0x1800) and the used
   * ring (0x1c00).
   */
  @FuzzTest
  void popsOnlyValidatedChains(byte[] input) {
    ByteBuffer in = ByteBuffer.wrap(Arrays.copyOf(input, Math.max(input.length, 9))).order(ByteOrder.LITTLE_ENDIAN);
    int size = 1 << ((in.get() & 0xff) % 6);
    int flags = in.get() & 0xff;
    int pops = 1 + (in.get() & 0xff) % 40;
    long desc = in.getShort() & 0xffff;
    long avail = in.getShort() & 0xffff;
    long used = in.getShort() & 0xffff;
    if ((flags & 1) == 0) {
      desc = 0x1000;
      avail = 0x1800;
      used = 0x1c00;
    }
    long features = VirtioFeatures.VERSION_1 | ((flags & 2) != 0 ? VirtioFeatures.RING_INDIRECT_DESC : 0)
        | ((flags & 4) != 0 ? VirtioFeatures.RING_EVENT_IDX : 0);
    QueueMemory memory = QueueMemory.wrap(ByteBuffer.allocate(MEMORY), RESERVED);
    memory.write(RESERVED, in.array(), in.position(), Math.min(in.remaining(), MEMORY - (int) RESERVED));

    Virtqueue queue = new Virtqueue(Virtqueue.MAX_SIZE, LIMITS);
    queue.setSize(size);
    queue.setDescTable(desc);
    queue.setAvailRing(avail);
    queue.setUsedRing(used);
    if (queue.activate(memory, features) != null) {
      return; // a layout the transport refuses: the queue never goes live
    }
    byte[] reply = new byte[512];
    for (int i = 0; i < pops; i++) {
      DescriptorChain chain;
      try {
        chain = queue.pop();
      } catch (InvalidChainException e) {
        assertNotNull(e.violation());
        assertTrue(e.headIndex() >= 0 && e.headIndex() < size, "head " + e.headIndex());
        queue.addUsed(e.headIndex(), 0);
        continue;
      } catch (QueueBrokenException e) {
        assertTrue(queue.isBroken());
        return;
      }
      if (chain == null) {
        return;
      }
      check(memory, chain);
      byte[] read = chain.readAll(memory);
      assertEquals(chain.readableBytes(), read.length);
      int written = chain.write(memory, reply, 0, reply.length);
      assertTrue(written <= chain.writableBytes());
      queue.addUsed(chain.headIndex(), written);
      queue.needsInterrupt();
    }
  }

  private static void check(QueueMemory memory, DescriptorChain chain) {
    long readable = 0;
    long writable = 0;
    for (var s : chain.readable()) {
      assertTrue(memory.contains(s.address(), s.length()), "readable segment outside usable memory: " + s);
      readable += s.length();
    }
    for (var s : chain.writable()) {
      assertTrue(memory.contains(s.address(), s.length()), "writable segment outside usable memory: " + s);
      writable += s.length();
    }
    assertEquals(readable, chain.readableBytes());
    assertEquals(writable, chain.writableBytes());
    assertTrue(readable + writable <= LIMITS.maxRequestBytes());
    assertTrue(chain.readable().size() + chain.writable().size() <= LIMITS.maxChainDescriptors());
  }
}
