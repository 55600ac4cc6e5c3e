package io.isolate.pv.devices;

/** Writes bytes from the host to the guest on one console port. Thread-safe; the pieces of one call stay together. */
public interface PortSender {
  /**
   * Queues {@code pieces} for the guest, in order and without copying them (do not modify them afterwards), and
   * delivers as much as the guest's receive buffers take now; the rest follows as the guest adds buffers.
   *
   * @throws IllegalStateException when more than the port's pending limit would be waiting for the guest
   */
  void send(byte[]... pieces);
}
