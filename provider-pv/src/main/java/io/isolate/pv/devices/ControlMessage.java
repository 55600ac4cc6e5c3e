package io.isolate.pv.devices;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A virtio-console control message (virtio 1.2, 5.3.6.2): {@code le32 id; le16 event; le16 value;} optionally
 * followed by a port name (PORT_NAME only).
 */
record ControlMessage(long id, int event, int value, byte[] extra) {
  static final int SIZE = 8;

  static final int DEVICE_READY = 0;
  static final int DEVICE_ADD = 1;
  static final int DEVICE_REMOVE = 2;
  static final int PORT_READY = 3;
  static final int CONSOLE_PORT = 4;
  static final int RESIZE = 5;
  static final int PORT_OPEN = 6;
  static final int PORT_NAME = 7;

  static ControlMessage of(long id, int event, int value) {
    return new ControlMessage(id, event, value, new byte[0]);
  }

  byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(SIZE + extra.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt((int) id).putShort((short) event).putShort((short) value).put(extra);
    return b.array();
  }

  /** Parses the first 8 bytes; the caller has checked the length. */
  static ControlMessage decode(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    return new ControlMessage(b.getInt() & 0xffff_ffffL, b.getShort() & 0xffff, b.getShort() & 0xffff, new byte[0]);
  }

  static String eventName(int event) {
    return switch (event) {
      case DEVICE_READY -> "DEVICE_READY";
      case DEVICE_ADD -> "DEVICE_ADD";
      case DEVICE_REMOVE -> "DEVICE_REMOVE";
      case PORT_READY -> "PORT_READY";
      case CONSOLE_PORT -> "CONSOLE_PORT";
      case RESIZE -> "RESIZE";
      case PORT_OPEN -> "PORT_OPEN";
      case PORT_NAME -> "PORT_NAME";
      default -> "event " + event;
    };
  }
}
