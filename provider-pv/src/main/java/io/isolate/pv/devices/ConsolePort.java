package io.isolate.pv.devices;

import java.nio.charset.StandardCharsets;
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
