package io.isolate.pv.devices;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/** The device-side state of one console port: identity, guest handshake, and host-to-guest bytes in flight. */
final class ConsolePort {
  final int id;
  /** Null for port 0, the console. */
  final String name;
  final PortHandler handler;
  /** Host-to-guest bytes waiting for the driver's receive buffers. */
  final ReceiveBacklog inbound = ReceiveBacklog.stream();
  boolean guestReady;
  boolean guestOpen;
  /**
   * What the guest sent on this port, in ring order, waiting for the handler. Chains are taken from the ring under
   * the device lock by whichever thread gets there (the notification thread, a polling caller, the vCPU thread),
   * and the handler is called outside it: this queue and one deliverer at a time keep the bytes in order.
   */
  private final ConcurrentLinkedQueue<byte[]> toHandler = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean delivering = new AtomicBoolean();

  /** Queues what a transmit chain carried; called under the device lock, in the order chains leave the ring. */
  void queueForHandler(byte[] data) {
    toHandler.add(data);
  }

  /**
   * Hands the queued bytes to the handler, in order, on this thread unless another is doing it already (that one
   * then takes these too). Called outside the device lock.
   */
  void deliverToHandler() {
    while (!toHandler.isEmpty()) {
      if (!delivering.compareAndSet(false, true)) {
        return; // the thread delivering now re-checks the queue before it lets go
      }
      try {
        for (byte[] d; (d = toHandler.poll()) != null; ) {
          handler.received(d);
        }
      } finally {
        delivering.set(false);
      }
    }
  }

  /** Whether a host thread polls this port's transmit queue (at most one at a time). */
  final AtomicBoolean polling = new AtomicBoolean();
  /** The adaptive polling window of the transmit queue, in nanoseconds (see ConsoleDevice#pollTransmit). */
  volatile long pollWindowNanos = ConsoleDevice.POLL_WINDOW_INITIAL_NANOS;

  ConsolePort(int id, String name, PortHandler handler) {
    this.id = id;
    this.name = name;
    this.handler = handler;
  }

  int receiveQueue() {
    return id == 0 ? 0 : 2 * (id + 1);
  }

  int transmitQueue() {
    return receiveQueue() + 1;
  }

  byte[] nameBytes() {
    return name.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "port " + id + (name == null ? " (console)" : " '" + name + "'");
  }
}
