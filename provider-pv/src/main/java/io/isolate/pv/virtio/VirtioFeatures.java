package io.isolate.pv.virtio;

/** Device-independent feature bits of virtio 1.2 (section 6) that this implementation understands. */
public final class VirtioFeatures {
  /** VIRTIO_F_INDIRECT_DESC: descriptors may point at tables of descriptors. */
  public static final long RING_INDIRECT_DESC = 1L << 28;
  /** VIRTIO_F_EVENT_IDX: used_event / avail_event fields suppress notifications and interrupts. */
  public static final long RING_EVENT_IDX = 1L << 29;
  /** VIRTIO_F_VERSION_1: a modern (non-legacy) device; mandatory for this transport. */
  public static final long VERSION_1 = 1L << 32;

  private VirtioFeatures() {}

  static boolean has(long features, long bit) {
    return (features & bit) != 0;
  }
}
