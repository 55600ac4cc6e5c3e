package io.isolate.pv.virtio;

import java.util.List;

/**
 * A descriptor chain after validation: every rule of virtio 1.2 split queues and every host limit holds, and every
 * segment lies inside the memory devices may use (not in the VMM's reserved pages). Built only by
 * {@link Virtqueue#pop()}; devices never see raw descriptors.
 *
 * @param headIndex the index to return to the used ring
 * @param readable the device-readable (driver-written) buffers, in order
 * @param writable the device-writable buffers, in order, all after the readable ones
 * @param readableBytes the total length of {@code readable}
 * @param writableBytes the total length of {@code writable}
 */
public record DescriptorChain(int headIndex, List<Segment> readable, List<Segment> writable, long readableBytes,
    long writableBytes) {
  public DescriptorChain {
    readable = List.copyOf(readable);
    writable = List.copyOf(writable);
  }

  /** Copies all readable bytes into one array. The caller has bounded their total through {@link QueueLimits}. */
  public byte[] readAll(QueueMemory memory) {
    byte[] out = new byte[Math.toIntExact(readableBytes)];
    int at = 0;
    for (Segment s : readable) {
      memory.read(s.address(), out, at, s.length());
      at += s.length();
    }
    return out;
  }

  /**
   * Writes {@code src[offset..offset+length)} into the writable segments in order, stopping when they are full.
   *
   * @return the number of bytes written, at most {@link #writableBytes()}
   */
  public int write(QueueMemory memory, byte[] src, int offset, int length) {
    int done = 0;
    for (Segment s : writable) {
      if (done == length) {
        break;
      }
      int n = Math.min(s.length(), length - done);
      memory.write(s.address(), src, offset + done, n);
      done += n;
    }
    return done;
  }
}
