package io.isolate.pv.virtio;

/**
 * One guest buffer of a validated descriptor chain: {@code length} bytes at guest-physical {@code address}, the
 * whole range inside the memory devices may use ({@link QueueMemory#whyNotUsable}).
 */
public record Segment(long address, int length) {
  @Override
  public String toString() {
    return "0x" + Long.toHexString(address) + "+" + length;
  }
}
