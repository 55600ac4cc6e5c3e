package io.isolate.pv.virtio;

/**
 * A virtio device behind a transport: the device-type specific part (virtio 1.2, section 5).
 *
 * <p>The transport calls these methods with its own lock held and in a valid protocol state: it has validated
 * the register writes, negotiated features and checked queue layouts before {@link #activate}. Devices guard
 * their own state with their own lock, because host threads (a caller sending a request, a rate-limit timer) reach
 * them too.
 */
public interface VirtioDevice {
  /** The virtio device ID (3 for console, 4 for entropy...). */
  int deviceType();

  /** The feature bits the device offers; must include {@link VirtioFeatures#VERSION_1}. */
  long deviceFeatures();

  /** The maximum size of each queue, in queue-index order; the number of entries is the number of queues. */
  int[] queueMaxSizes();

  /** The size of the device-specific configuration space in bytes. */
  int configSize();

  /** Reads {@code data.length} bytes of configuration space at {@code offset}; the range is within bounds. */
  void readConfig(int offset, byte[] data);

  /**
   * Writes configuration space; the range is within bounds.
   *
   * @return null when accepted, else why the write was rejected
   */
  default String writeConfig(int offset, byte[] data) {
    return "configuration space of device type " + deviceType() + " is read-only";
  }

  /**
   * The driver set DRIVER_OK: start working on the ready queues in {@code context}.
   *
   * @return null on success, else why the device cannot work (the transport then sets DEVICE_NEEDS_RESET)
   */
  String activate(DeviceContext context);

  /**
   * Whether the VMM may hand the driver's notifications of queue {@code index} to a host thread through a KVM
   * ioeventfd (the guest's write completes in the host kernel and the guest runs on) instead of serving them in the
   * guest's exit. Worth it for queues whose driver does not need the device's answer to take its next step at
   * once, such as transmit queues; not for hand-shakes the driver waits on. Default: false.
   */
  default boolean notifiesThroughEventfd(int index) {
    return false;
  }

  /** The driver notified queue {@code index} (ready, of an activated device). */
  void queueNotify(int index);

  /** Returns the device to its initial state; the queues have been reset by the transport. */
  void reset();
}
