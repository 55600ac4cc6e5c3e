package io.isolate.pv.virtio;

import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * The device side of one split virtqueue (virtio 1.2, section 2.7), read and written in place in guest memory.
 *
 * <p>Every number the guest controls is treated as hostile, after Firecracker's {@code queue.rs}: the available
 * index may run at most {@link #size()} entries ahead of the device (else the queue is {@linkplain #isBroken()
 * broken} until reset), ring slots are taken modulo the size, descriptor indexes are checked against the table,
 * a step counter stops loops, addresses and lengths (of buffers, indirect tables and the rings themselves) are checked
 * with exact arithmetic against the memory devices may use ({@link QueueMemory#whyNotUsable}), and
 * {@link QueueLimits} caps every chain. A raw chain is parsed once into a {@link DescriptorChain}.
 *
 * <p>Not thread-safe: the owning device serializes access.
 */
public final class Virtqueue {
  /** The largest split queue size virtio allows. */
  public static final int MAX_SIZE = 32768;

  static final int DESC_F_NEXT = 1;
  static final int DESC_F_WRITE = 2;
  static final int DESC_F_INDIRECT = 4;
  static final int AVAIL_F_NO_INTERRUPT = 1;
  static final int USED_F_NO_NOTIFY = 1;
  private static final int DESCRIPTOR_SIZE = 16;

  private final int maxSize;
  private final QueueLimits limits;
  // configuration, written by the transport while the queue is not ready
  private int size;
  private long descTable;
  private long availRing;
  private long usedRing;
  private boolean ready;
  // run-time state, valid while ready
  private QueueMemory memory;
  private boolean indirect;
  private boolean eventIdx;
  private int nextAvail;
  private int nextUsed;
  private int signalledUsed;
  private boolean signalledValid;
  private String brokenReason;

  public Virtqueue(int maxSize, QueueLimits limits) {
    if (maxSize < 1 || maxSize > MAX_SIZE || Integer.bitCount(maxSize) != 1) {
      throw new IllegalArgumentException("queue maxSize (" + maxSize + ") must be a power of 2 in [1, " + MAX_SIZE + "]");
    }
    this.maxSize = maxSize;
    this.limits = java.util.Objects.requireNonNull(limits, "limits");
    reset();
  }

  /** Forgets all configuration and run-time state, as a device reset does. */
  public void reset() {
    size = maxSize;
    descTable = 0;
    availRing = 0;
    usedRing = 0;
    ready = false;
    memory = null;
    nextAvail = 0;
    nextUsed = 0;
    signalledUsed = 0;
    signalledValid = false;
    brokenReason = null;
  }

  public int maxSize() {
    return maxSize;
  }

  public int size() {
    return size;
  }

  public long descTable() {
    return descTable;
  }

  public long availRing() {
    return availRing;
  }

  public long usedRing() {
    return usedRing;
  }

  public boolean isReady() {
    return ready;
  }

  /** True once the guest corrupted the rings; the queue does nothing more until {@link #reset()}. */
  public boolean isBroken() {
    return brokenReason != null;
  }

  /** Why the queue is broken, or null. */
  public String brokenReason() {
    return brokenReason;
  }

  /** Sets the size; the caller (transport) has checked it with {@link #checkSize}. */
  void setSize(int size) {
    this.size = size;
  }

  void setDescTable(long address) {
    this.descTable = address;
  }

  void setAvailRing(long address) {
    this.availRing = address;
  }

  void setUsedRing(long address) {
    this.usedRing = address;
  }

  /** Returns null when {@code value} is a valid size for this queue, else the reason it is not. */
  String checkSize(long value) {
    if (value < 1 || value > maxSize || Long.bitCount(value) != 1) {
      return "queue size " + value + " must be a power of 2 in [1, " + maxSize + "]";
    }
    return null;
  }

  /**
   * Validates the layout against guest memory and makes the queue live. Returns null on success, else the reason
   * (and the queue stays not ready).
   */
  String activate(QueueMemory memory, long features) {
    String bad = checkArea("descriptor table", descTable, 16, (long) DESCRIPTOR_SIZE * size, memory);
    if (bad == null) {
      bad = checkArea("available ring", availRing, 2, 6L + 2L * size, memory);
    }
    if (bad == null) {
      bad = checkArea("used ring", usedRing, 4, 6L + 8L * size, memory);
    }
    if (bad != null) {
      return bad;
    }
    this.memory = memory;
    this.indirect = VirtioFeatures.has(features, VirtioFeatures.RING_INDIRECT_DESC);
    this.eventIdx = VirtioFeatures.has(features, VirtioFeatures.RING_EVENT_IDX);
    this.ready = true;
    return null;
  }

  void deactivate() {
    ready = false;
  }

  private static String checkArea(String what, long address, int alignment, long length, QueueMemory memory) {
    if (address % alignment != 0) {
      return what + " address 0x" + Long.toHexString(address) + " is not aligned to " + alignment + " bytes";
    }
    String why = memory.whyNotUsable(address, length); // outside RAM, or in the VMM's reserved pages
    return why == null ? null : what + " " + why;
  }

  private QueueBrokenException broken(String reason) {
    brokenReason = reason;
    return new QueueBrokenException(reason);
  }

  private void checkLive() {
    if (brokenReason != null) {
      throw new QueueBrokenException("queue is broken and needs a device reset: " + brokenReason);
    }
    if (!ready) {
      throw new IllegalStateException("queue is not ready");
    }
  }

  /** How many chains the driver has made available and the device has not yet popped. */
  public int pending() {
    checkLive();
    int avail = memory.getU16(availRing + 2);
    VarHandle.acquireFence();
    int ahead = (avail - nextAvail) & 0xffff;
    if (ahead > size) {
      throw broken("available index " + avail + " is " + ahead + " entries ahead of the device's next index "
          + nextAvail + ", but the queue holds only " + size);
    }
    return ahead;
  }

  /**
   * Takes the next available chain and parses it.
   *
   * @return the validated chain, or null when the driver has made nothing more available
   * @throws InvalidChainException when the chain breaks a rule; it has been consumed, return its head with 0 bytes
   * @throws QueueBrokenException when the rings are corrupt; the device needs a reset
   */
  public DescriptorChain pop() {
    if (pending() == 0) {
      if (eventIdx) {
        // ask the driver to notify when it publishes the entry after the ones seen so far
        memory.putU16(usedRing + 6L + 8L * size, nextAvail);
        VarHandle.fullFence();
      }
      return null;
    }
    int head = memory.getU16(availRing + 4 + 2L * (nextAvail % size));
    if (head >= size) {
      throw broken("available ring slot " + (nextAvail % size) + " names head descriptor " + head
          + ", but the descriptor table has only " + size + " entries");
    }
    nextAvail = (nextAvail + 1) & 0xffff;
    return parse(head);
  }

  private DescriptorChain parse(int head) {
    List<Segment> readable = new ArrayList<>();
    List<Segment> writable = new ArrayList<>();
    long readableBytes = 0;
    long writableBytes = 0;
    long table = descTable;
    int tableSize = size;
    boolean inIndirect = false;
    int index = head;
    int steps = 0;
    int descriptors = 0;
    while (true) {
      if (++steps > tableSize) {
        throw new InvalidChainException(ChainViolation.CHAIN_TOO_LONG, head, "more than " + tableSize
            + " descriptors in a table of " + tableSize + (inIndirect ? " (indirect)" : "") + ": the chain loops");
      }
      long at = table + (long) DESCRIPTOR_SIZE * index;
      long addr = memory.getU64(at);
      long len = memory.getU32(at + 8);
      int flags = memory.getU16(at + 12);
      int next = memory.getU16(at + 14);
      if ((flags & DESC_F_INDIRECT) != 0) {
        if (inIndirect) {
          throw new InvalidChainException(ChainViolation.NESTED_INDIRECT, head, "descriptor " + index
              + " of an indirect table is itself indirect");
        }
        if (!indirect) {
          throw new InvalidChainException(ChainViolation.INDIRECT_NOT_NEGOTIATED, head, "descriptor " + index
              + " is indirect but VIRTIO_F_INDIRECT_DESC was not negotiated");
        }
        if ((flags & DESC_F_NEXT) != 0) {
          throw new InvalidChainException(ChainViolation.INDIRECT_WITH_NEXT, head, "descriptor " + index
              + " sets both INDIRECT and NEXT");
        }
        if (len == 0 || len % DESCRIPTOR_SIZE != 0) {
          throw new InvalidChainException(ChainViolation.INDIRECT_TABLE_BAD_LENGTH, head, "indirect table length "
              + len + " is not a positive multiple of " + DESCRIPTOR_SIZE);
        }
        checkInMemory(head, index, "indirect table", addr, len);
        if (len / DESCRIPTOR_SIZE > limits.maxChainDescriptors()) {
          throw new InvalidChainException(ChainViolation.CHAIN_TOO_LONG, head, "indirect table of "
              + len / DESCRIPTOR_SIZE + " descriptors exceeds the limit of " + limits.maxChainDescriptors());
        }
        table = addr;
        tableSize = (int) (len / DESCRIPTOR_SIZE);
        inIndirect = true;
        index = 0;
        steps = 0;
        continue;
      }
      if (++descriptors > limits.maxChainDescriptors()) {
        throw new InvalidChainException(ChainViolation.CHAIN_TOO_LONG, head, "more than "
            + limits.maxChainDescriptors() + " descriptors in one chain");
      }
      if (len == 0) {
        throw new InvalidChainException(ChainViolation.ZERO_LENGTH, head, "descriptor " + index + " has length 0");
      }
      checkInMemory(head, index, "buffer", addr, len);
      if ((flags & DESC_F_WRITE) != 0) {
        writable.add(new Segment(addr, (int) len));
        writableBytes += len;
      } else {
        if (!writable.isEmpty()) {
          throw new InvalidChainException(ChainViolation.READABLE_AFTER_WRITABLE, head, "descriptor " + index
              + " is device-readable but follows a device-writable one");
        }
        readable.add(new Segment(addr, (int) len));
        readableBytes += len;
      }
      if (readableBytes + writableBytes > limits.maxRequestBytes()) {
        throw new InvalidChainException(ChainViolation.REQUEST_TOO_LARGE, head, "buffers add up to "
            + (readableBytes + writableBytes) + " bytes by descriptor " + index + ", over the limit of "
            + limits.maxRequestBytes() + " bytes per request");
      }
      if ((flags & DESC_F_NEXT) == 0) {
        return new DescriptorChain(head, readable, writable, readableBytes, writableBytes);
      }
      if (next >= tableSize) {
        throw new InvalidChainException(ChainViolation.DESCRIPTOR_INDEX_OUT_OF_RANGE, head, "descriptor " + index
            + " points to next descriptor " + next + ", but the " + (inIndirect ? "indirect " : "")
            + "table has only " + tableSize + " entries");
      }
      index = next;
    }
  }

  /** Refuses a buffer or indirect table the device may not use: outside RAM, wrapping, or in the reserved pages. */
  private void checkInMemory(int head, int index, String what, long addr, long len) {
    String why = memory.whyNotUsable(addr, len);
    if (why != null) {
      throw new InvalidChainException(ChainViolation.ADDRESS_OUT_OF_MEMORY, head, "descriptor " + index + " "
          + what + " " + why);
    }
  }

  /**
   * Returns a chain to the driver through the used ring.
   *
   * @param headIndex the chain's head, as given by {@link DescriptorChain#headIndex()} or
   *     {@link InvalidChainException#headIndex()}
   * @param length the number of bytes the device wrote into the chain's writable buffers
   */
  public void addUsed(int headIndex, int length) {
    checkLive();
    if (headIndex < 0 || headIndex >= size) {
      throw new IllegalArgumentException("head index " + headIndex + " outside queue of size " + size);
    }
    long elem = usedRing + 4 + 8L * (nextUsed % size);
    memory.putU32(elem, headIndex);
    memory.putU32(elem + 4, length & 0xffff_ffffL);
    nextUsed = (nextUsed + 1) & 0xffff;
    // the element must be visible before the index that publishes it
    VarHandle.releaseFence();
    memory.putU16(usedRing + 2, nextUsed);
    VarHandle.fullFence();
  }

  /**
   * Whether the driver wants an interrupt for the used entries added since the last interrupt: the
   * VIRTQ_AVAIL_F_NO_INTERRUPT flag, or with VIRTIO_F_EVENT_IDX the {@code used_event} field. Calling it records
   * that the caller will interrupt when it returns true.
   */
  public boolean needsInterrupt() {
    checkLive();
    VarHandle.fullFence();
    if (!eventIdx) {
      return (memory.getU16(availRing) & AVAIL_F_NO_INTERRUPT) == 0;
    }
    int usedEvent = memory.getU16(availRing + 4 + 2L * size);
    int old = signalledUsed;
    boolean valid = signalledValid;
    signalledUsed = nextUsed;
    signalledValid = true;
    return !valid || needEvent(usedEvent, nextUsed, old);
  }

  /** vring_need_event of the virtio specification: did {@code newIdx} pass {@code event} since {@code old}? */
  static boolean needEvent(int event, int newIdx, int old) {
    return ((newIdx - event - 1) & 0xffff) < ((newIdx - old) & 0xffff);
  }

  /** Sets or clears VIRTQ_USED_F_NO_NOTIFY, which asks the driver not to notify (when EVENT_IDX is off). */
  public void setNotificationsSuppressed(boolean suppressed) {
    checkLive();
    if (!eventIdx) {
      memory.putU16(usedRing, suppressed ? USED_F_NO_NOTIFY : 0);
      VarHandle.fullFence();
    }
  }

  /** The memory this queue lives in while ready. */
  public QueueMemory memory() {
    return memory;
  }

  @Override
  public String toString() {
    return "Virtqueue[size=" + size + ", ready=" + ready + ", nextAvail=" + nextAvail + ", nextUsed=" + nextUsed
        + (brokenReason == null ? "" : ", broken: " + brokenReason) + "]";
  }
}
