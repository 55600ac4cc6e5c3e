package io.isolate.pv.devices;

import io.isolate.pv.virtio.DescriptorChain;
import io.isolate.pv.virtio.QueueMemory;
import io.isolate.pv.virtio.Segment;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What the console holds for one receive queue until the driver posts buffers, and whether that queue asks the
 * driver for kicks: a port's byte stream (split across buffers as they come) or the control queue's messages (each
 * whole in one buffer). {@code ConsoleDevice.deliver} moves it into the queue; callers hold the device lock.
 */
final class ReceiveBacklog {
  private final boolean wholeMessages;
  private final Deque<byte[]> items = new ArrayDeque<>();
  private int headOffset;
  private long bytes;
  /** Whether the queue asks the driver for notifications: only while it ran dry with something waiting. */
  boolean kickRequested;

  private ReceiveBacklog(boolean wholeMessages) {
    this.wholeMessages = wholeMessages;
  }

  /** A byte stream: what does not fit in one buffer goes on in the next. */
  static ReceiveBacklog stream() {
    return new ReceiveBacklog(false);
  }

  /** Whole messages, one per buffer. */
  static ReceiveBacklog messages() {
    return new ReceiveBacklog(true);
  }

  boolean isEmpty() {
    return items.isEmpty();
  }

  /** Bytes waiting. */
  long bytes() {
    return bytes;
  }

  void add(byte[] item) {
    if (item.length > 0) {
      items.add(item);
      bytes += item.length;
    }
  }

  void clear() {
    items.clear();
    headOffset = 0;
    bytes = 0;
    kickRequested = false;
  }

  /** Why {@code chain} cannot take what comes next, or null when it can. */
  String unfit(DescriptorChain chain) {
    if (!chain.readable().isEmpty()) {
      return "has device-readable buffers";
    }
    if (wholeMessages && chain.writableBytes() < items.peekFirst().length) {
      return "of " + chain.writableBytes() + " writable bytes cannot hold a " + items.peekFirst().length
          + "-byte message";
    }
    return null;
  }

  /** Copies what fits into the chain's writable buffers, straight into guest memory; returns the bytes written. */
  int fill(DescriptorChain chain, QueueMemory memory) {
    if (wholeMessages) {
      byte[] m = items.pollFirst();
      bytes -= m.length;
      return chain.write(memory, m, 0, m.length);
    }
    int written = 0;
    for (Segment segment : chain.writable()) {
      int segOffset = 0;
      while (segOffset < segment.length() && !items.isEmpty()) {
        byte[] head = items.peekFirst();
        int n = Math.min(segment.length() - segOffset, head.length - headOffset);
        memory.write(segment.address() + segOffset, head, headOffset, n);
        segOffset += n;
        written += n;
        headOffset += n;
        bytes -= n;
        if (headOffset == head.length) {
          items.pollFirst();
          headOffset = 0;
        }
      }
      if (items.isEmpty()) {
        break;
      }
    }
    return written;
  }
}
