package io.isolate.pv.devices;

/**
 * The host side of one named console port. The device calls it without holding its lock, in order, from the thread
 * that processed the guest's notification.
 */
public interface PortHandler {
  /** Called once when the device is built; {@code sender} writes bytes to the guest on this port. */
  default void attached(PortSender sender) {}

  /** Bytes the guest wrote to the port. The array is the handler's to keep. */
  void received(byte[] data);

  /** The guest opened ({@code true}) or closed the port. */
  default void guestOpened(boolean open) {}

  /** The guest reset the device: bytes in flight in both directions are lost. */
  default void deviceReset() {}
}
