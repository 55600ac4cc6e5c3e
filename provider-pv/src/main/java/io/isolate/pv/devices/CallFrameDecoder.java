package io.isolate.pv.devices;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reassembles {@link CallFrame}s from the byte stream a guest writes to the call port, however the stream is cut
 * into virtio buffers. The header is validated before any memory is allocated for the frame, so a guest can make
 * the host allocate at most {@code maxPayload} bytes at a time. The first broken rule poisons the stream: the
 * framing cannot be recovered, and every later {@link #feed} reports the same error.
 */
final class CallFrameDecoder {
  /** A frame stream broke the protocol. */
  static final class FramingException extends Exception {
    private static final long serialVersionUID = 1L;

    FramingException(String message) {
      super(message);
    }
  }

  private final int maxPayload;
  private final boolean fromGuest;
  private final byte[] header = new byte[CallFrame.HEADER_SIZE];
  private int headerFill;
  private int kind;
  private int status;
  private int callId;
  private byte[] name;
  private byte[] payload;
  private int bodyFill;
  private String poisoned;

  /**
   * @param maxPayload the largest payload accepted
   * @param fromGuest true to accept only the kinds a guest sends (REPLY, HOST_CALL); false for the opposite side
   */
  CallFrameDecoder(int maxPayload, boolean fromGuest) {
    this.maxPayload = maxPayload;
    this.fromGuest = fromGuest;
  }

  /** Consumes {@code data} and returns the frames it completed, in order. */
  List<CallFrame> feed(byte[] data, int offset, int length) throws FramingException {
    if (poisoned != null) {
      throw new FramingException(poisoned);
    }
    List<CallFrame> frames = new ArrayList<>();
    int at = offset;
    int end = offset + length;
    while (at < end) {
      if (headerFill < CallFrame.HEADER_SIZE) {
        int n = Math.min(CallFrame.HEADER_SIZE - headerFill, end - at);
        System.arraycopy(data, at, header, headerFill, n);
        headerFill += n;
        at += n;
        if (headerFill == CallFrame.HEADER_SIZE) {
          parseHeader();
        }
      } else {
        int bodyLength = name.length + payload.length;
        int n = Math.min(bodyLength - bodyFill, end - at);
        for (int i = 0; i < n; ) {
          int pos = bodyFill + i;
          int k;
          if (pos < name.length) {
            k = Math.min(n - i, name.length - pos);
            System.arraycopy(data, at + i, name, pos, k);
          } else {
            k = n - i;
            System.arraycopy(data, at + i, payload, pos - name.length, k);
          }
          i += k;
        }
        bodyFill += n;
        at += n;
      }
      if (headerFill == CallFrame.HEADER_SIZE && bodyFill == name.length + payload.length) {
        frames.add(finish());
      }
    }
    return frames;
  }

  private void parseHeader() throws FramingException {
    ByteBuffer b = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
    int magic = b.getInt();
    kind = b.getShort() & 0xffff;
    status = b.getShort() & 0xffff;
    callId = b.getInt();
    long nameLength = b.getInt() & 0xffff_ffffL;
    long payloadLength = b.getInt() & 0xffff_ffffL;
    int reserved = b.getInt();
    if (magic != CallFrame.MAGIC) {
      poison("frame magic 0x" + Integer.toHexString(magic) + " is not 0x" + Integer.toHexString(CallFrame.MAGIC));
    }
    boolean allowed = fromGuest ? kind == CallFrame.REPLY || kind == CallFrame.HOST_CALL
        : kind == CallFrame.CALL || kind == CallFrame.HOST_REPLY;
    if (!allowed) {
      poison("frame kind " + kind + " is not one the " + (fromGuest ? "guest" : "host") + " may send");
    }
    if (CallFrame.isRequest(kind)) {
      if (nameLength < 1 || nameLength > CallFrame.MAX_NAME_BYTES) {
        poison("call " + callId + " name length " + nameLength + " must be in [1, " + CallFrame.MAX_NAME_BYTES + "]");
      }
      if (status != CallFrame.OK) {
        poison("call " + callId + " request carries status " + status + " (must be 0)");
      }
    } else {
      if (nameLength != 0) {
        poison("reply " + callId + " name length " + nameLength + " must be 0");
      }
      if (status > CallFrame.BAD_REQUEST) {
        poison("reply " + callId + " status " + status + " is not defined (0 to 4)");
      }
    }
    if (payloadLength > maxPayload) {
      poison("call " + callId + " payload length " + payloadLength + " exceeds the limit of " + maxPayload + " bytes");
    }
    if (reserved != 0) {
      poison("call " + callId + " reserved header field 0x" + Integer.toHexString(reserved) + " must be 0");
    }
    name = new byte[(int) nameLength];
    payload = new byte[(int) payloadLength];
    bodyFill = 0;
  }

  private CallFrame finish() throws FramingException {
    String decodedName;
    try {
      decodedName = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(name)).toString();
    } catch (CharacterCodingException e) {
      decodedName = null;
    }
    if (decodedName == null || decodedName.indexOf('\0') >= 0) {
      poison("call " + callId + " function name is not UTF-8 without NUL");
    }
    CallFrame frame = new CallFrame(kind, status, callId, decodedName, payload);
    headerFill = 0;
    bodyFill = 0;
    name = null;
    payload = null;
    return frame;
  }

  private void poison(String reason) throws FramingException {
    poisoned = reason;
    throw new FramingException(reason);
  }
}
