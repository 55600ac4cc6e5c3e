package io.isolate.pv.devices;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * One frame of the call protocol spoken on the console port {@value #PORT_NAME} (see {@code provider-pv/ABI.md}):
 * a 24-byte little-endian header, then the function name (UTF-8, no NUL), then the payload.
 *
 * <pre>
 * u32 magic        0x4c4c4143 ("CALL" in memory)
 * u16 kind         1 CALL, 2 REPLY, 3 HOST_CALL, 4 HOST_REPLY
 * u16 status       0 OK; in replies: 1 NO_SUCH_FUNCTION, 2 FAILED, 3 TOO_LARGE, 4 BAD_REQUEST
 * u32 call_id      chosen by the caller, echoed in the reply
 * u32 name_len     1..255 in CALL and HOST_CALL, 0 in replies
 * u32 payload_len  at most the receiver's limit
 * u32 reserved     0
 * </pre>
 */
public record CallFrame(int kind, int status, int callId, String name, byte[] payload) {
  /** The name of the console port that carries calls. */
  public static final String PORT_NAME = "isolate.call";
  public static final int MAGIC = 0x4c4c4143;
  public static final int HEADER_SIZE = 24;
  public static final int MAX_NAME_BYTES = 255;

  /** Host to guest: call the guest function {@code name}. */
  public static final int CALL = 1;
  /** Guest to host: the result of a CALL. */
  public static final int REPLY = 2;
  /** Guest to host: call the host function {@code name}. */
  public static final int HOST_CALL = 3;
  /** Host to guest: the result of a HOST_CALL. */
  public static final int HOST_REPLY = 4;

  public static final int OK = 0;
  public static final int NO_SUCH_FUNCTION = 1;
  public static final int FAILED = 2;
  public static final int TOO_LARGE = 3;
  public static final int BAD_REQUEST = 4;

  public CallFrame {
    name = name == null ? "" : name;
    payload = payload == null ? new byte[0] : payload;
  }

  static boolean isRequest(int kind) {
    return kind == CALL || kind == HOST_CALL;
  }

  /** The header of this frame; the name and payload follow it on the wire. */
  byte[] header() {
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN)
        .putInt(MAGIC).putShort((short) kind).putShort((short) status).putInt(callId)
        .putInt(nameBytes.length).putInt(payload.length).putInt(0).array();
  }

  /** The frame as the pieces that go on the wire in order: header, name (if any), payload (if any). */
  byte[][] wire() {
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    if (nameBytes.length == 0) {
      return payload.length == 0 ? new byte[][] {header()} : new byte[][] {header(), payload};
    }
    return payload.length == 0 ? new byte[][] {header(), nameBytes} : new byte[][] {header(), nameBytes, payload};
  }

  /** The frame as one array (tests and small frames). */
  public byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE + name.getBytes(StandardCharsets.UTF_8).length + payload.length);
    for (byte[] piece : wire()) {
      b.put(piece);
    }
    return b.array();
  }

  static String statusName(int status) {
    return switch (status) {
      case OK -> "OK";
      case NO_SUCH_FUNCTION -> "NO_SUCH_FUNCTION";
      case FAILED -> "FAILED";
      case TOO_LARGE -> "TOO_LARGE";
      case BAD_REQUEST -> "BAD_REQUEST";
      default -> "status " + status;
    };
  }
}
