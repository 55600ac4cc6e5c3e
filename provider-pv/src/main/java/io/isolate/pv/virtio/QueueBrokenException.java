package io.isolate.pv.virtio;

/**
 * The guest corrupted a virtqueue's rings beyond what a single chain can absorb (an impossible available index, a
 * head index outside the descriptor table). The queue refuses all work until the driver resets the device; the
 * transport sets DEVICE_NEEDS_RESET.
 */
public final class QueueBrokenException extends VirtioException {
  private static final long serialVersionUID = 1L;

  QueueBrokenException(String message) {
    super(message);
  }
}
