package io.isolate.pv.virtio;

/** The rules a descriptor chain can break; each {@link InvalidChainException} names exactly one. */
public enum ChainViolation {
  /** A {@code next} field points past the descriptor table (or past the indirect table). */
  DESCRIPTOR_INDEX_OUT_OF_RANGE,
  /** The chain revisits a descriptor (a loop) or has more descriptors than the limit. */
  CHAIN_TOO_LONG,
  /**
   * A buffer or an indirect table lies (partly) outside the memory devices may use: past the end of guest memory,
   * in the pages the VMM reserves below {@link QueueMemory#usableStart()}, or with an end that overflows.
   */
  ADDRESS_OUT_OF_MEMORY,
  /** A buffer descriptor has length 0. */
  ZERO_LENGTH,
  /** The chain's buffers add up to more bytes than one request may carry. */
  REQUEST_TOO_LARGE,
  /** A device-readable buffer follows a device-writable one (virtio 1.2, 2.7.4.2). */
  READABLE_AFTER_WRITABLE,
  /** An indirect descriptor was used although VIRTIO_F_INDIRECT_DESC was not negotiated. */
  INDIRECT_NOT_NEGOTIATED,
  /** A descriptor sets both INDIRECT and NEXT (virtio 1.2, 2.7.5.3.1). */
  INDIRECT_WITH_NEXT,
  /** A descriptor inside an indirect table is itself indirect. */
  NESTED_INDIRECT,
  /** An indirect table's length is 0 or not a multiple of 16. */
  INDIRECT_TABLE_BAD_LENGTH
}
