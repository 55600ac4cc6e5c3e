package io.isolate.pv.virtio;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Test fixture: the driver side of a split virtqueue, written in Java over a {@link QueueMemory}, playing the
 * guest. It can build well-formed chains (direct or indirect) and also write any raw descriptor a hostile guest
 * could write.
 */
public final class DriverQueue {
  /** One buffer of a chain the driver offers. */
  public record Buf(long address, int length, boolean writable) {
    public static Buf in(long address, int length) {
      return new Buf(address, length, false);
    }

    public static Buf out(long address, int length) {
      return new Buf(address, length, true);
    }
  }

  /** One used-ring entry. */
  public record Used(int id, int length) {}

  public final QueueMemory memory;
  public final int size;
  public final long desc;
  public final long avail;
  public final long used;
  private final GuestAllocator allocator;
  private final Deque<Integer> free = new ArrayDeque<>();
  private final Map<Integer, List<Integer>> chains = new HashMap<>();
  private int availIdx;
  private int lastUsed;

  public DriverQueue(QueueMemory memory, GuestAllocator allocator, int size) {
    this.memory = memory;
    this.size = size;
    this.allocator = allocator;
    this.desc = allocator.alloc(16L * size, 16);
    this.avail = allocator.alloc(6L + 2L * size, 2);
    this.used = allocator.alloc(6L + 8L * size, 4);
    for (int i = 0; i < size; i++) {
      free.add(i);
    }
  }

  /** A device-side queue configured on this layout and made ready (bypassing the transport). */
  public Virtqueue deviceQueue(QueueLimits limits, long features) {
    Virtqueue q = new Virtqueue(Virtqueue.MAX_SIZE, limits);
    q.setSize(size);
    q.setDescTable(desc);
    q.setAvailRing(avail);
    q.setUsedRing(used);
    String bad = q.activate(memory, features);
    if (bad != null) {
      throw new AssertionError(bad);
    }
    return q;
  }

  public void writeDescriptor(int index, long addr, long len, int flags, int next) {
    writeDescriptorAt(desc + 16L * index, addr, len, flags, next);
  }

  public void writeDescriptorAt(long at, long addr, long len, int flags, int next) {
    memory.putU64(at, addr);
    memory.putU32(at + 8, len);
    memory.putU16(at + 12, flags);
    memory.putU16(at + 14, next);
  }

  /** Puts {@code head} in the next available slot and publishes it. */
  public void publish(int head) {
    memory.putU16(avail + 4 + 2L * (availIdx % size), head);
    availIdx = (availIdx + 1) & 0xffff;
    java.lang.invoke.VarHandle.releaseFence();
    memory.putU16(avail + 2, availIdx);
  }

  /** Writes a raw available index. */
  public void setAvailIndex(int index) {
    availIdx = index & 0xffff;
    memory.putU16(avail + 2, availIdx);
  }

  /** Adds a direct chain of {@code bufs} and publishes it; returns its head. */
  public int add(List<Buf> bufs) {
    if (bufs.size() > free.size()) {
      throw new IllegalStateException("no room for " + bufs.size() + " descriptors");
    }
    List<Integer> indexes = new ArrayList<>();
    for (int i = 0; i < bufs.size(); i++) {
      indexes.add(free.pop());
    }
    for (int i = 0; i < bufs.size(); i++) {
      Buf b = bufs.get(i);
      boolean last = i == bufs.size() - 1;
      writeDescriptor(indexes.get(i), b.address(), b.length(),
          (b.writable() ? Virtqueue.DESC_F_WRITE : 0) | (last ? 0 : Virtqueue.DESC_F_NEXT),
          last ? 0 : indexes.get(i + 1));
    }
    int head = indexes.get(0);
    chains.put(head, indexes);
    publish(head);
    return head;
  }

  /** Adds a chain through one indirect table holding {@code bufs}; returns its head. */
  public int addIndirect(List<Buf> bufs) {
    long table = allocator.alloc(16L * bufs.size(), 16);
    for (int i = 0; i < bufs.size(); i++) {
      Buf b = bufs.get(i);
      boolean last = i == bufs.size() - 1;
      writeDescriptorAt(table + 16L * i, b.address(), b.length(),
          (b.writable() ? Virtqueue.DESC_F_WRITE : 0) | (last ? 0 : Virtqueue.DESC_F_NEXT), last ? 0 : i + 1);
    }
    int head = free.pop();
    writeDescriptor(head, table, 16L * bufs.size(), Virtqueue.DESC_F_INDIRECT, 0);
    chains.put(head, List.of(head));
    publish(head);
    return head;
  }

  /** Takes the used entries published since the last call, freeing their descriptors. */
  public List<Used> drainUsed() {
    List<Used> out = new ArrayList<>();
    int idx = memory.getU16(used + 2);
    java.lang.invoke.VarHandle.acquireFence();
    while (lastUsed != idx) {
      long e = used + 4 + 8L * (lastUsed % size);
      Used u = new Used((int) memory.getU32(e), (int) memory.getU32(e + 4));
      out.add(u);
      List<Integer> c = chains.remove(u.id());
      if (c != null) {
        c.forEach(free::push);
      }
      lastUsed = (lastUsed + 1) & 0xffff;
    }
    return out;
  }

  public int availIndex() {
    return availIdx;
  }

  /** Sets VIRTQ_AVAIL_F_NO_INTERRUPT. */
  public void suppressInterrupts(boolean suppress) {
    memory.putU16(avail, suppress ? 1 : 0);
  }

  /** Sets used_event (with VIRTIO_F_EVENT_IDX). */
  public void setUsedEvent(int value) {
    memory.putU16(avail + 4 + 2L * size, value);
  }

  /** Reads avail_event (with VIRTIO_F_EVENT_IDX). */
  public int availEvent() {
    return memory.getU16(used + 6 + 8L * size);
  }
}
