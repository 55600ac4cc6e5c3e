package io.isolate.pv.devices;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * Fuzz target: the call protocol's frame decoder fed any byte stream, cut into buffers anywhere. It must either
 * return frames that encode back to exactly the bytes they came from, within the payload cap, or stop at the first
 * broken rule with a {@link CallFrameDecoder.FramingException} that every later feed repeats. Nothing else escapes.
 * {@code mvn verify} replays the committed corpus; {@code .ci/fuzz} fuzzes it.
 */
class CallFrameFuzzTest {
  /**
   * The input: u16 payload cap (little-endian), u8 side (even: frames from the guest), u8 number of cuts, one byte
   * per cut (the length of each buffer; after the last, the rest comes in one buffer), then the stream.
   */
  @FuzzTest
  void framesRoundTripOrPoisonTheStream(byte[] input) {
    byte[] head = Arrays.copyOf(input, Math.max(input.length, 4));
    int maxPayload = (head[0] & 0xff) | (head[1] & 0xff) << 8;
    boolean fromGuest = (head[2] & 1) == 0;
    int[] cuts = new int[Math.min(head[3] & 0xff, Math.max(0, input.length - 4))];
    for (int i = 0; i < cuts.length; i++) {
      cuts[i] = input[4 + i] & 0xff;
    }
    byte[] stream = Arrays.copyOfRange(input, Math.min(input.length, 4 + cuts.length), input.length);

    CallFrameDecoder decoder = new CallFrameDecoder(maxPayload, fromGuest);
    ByteArrayOutputStream decoded = new ByteArrayOutputStream();
    int at = 0;
    int cut = 0;
    try {
      while (at < stream.length) {
        int n = cut < cuts.length ? Math.min(cuts[cut++], stream.length - at) : stream.length - at;
        for (CallFrame frame : decoder.feed(stream, at, n)) {
          assertTrue(frame.payload().length <= maxPayload);
          assertTrue(fromGuest ? frame.kind() == CallFrame.REPLY || frame.kind() == CallFrame.HOST_CALL
              : frame.kind() == CallFrame.CALL || frame.kind() == CallFrame.HOST_REPLY, "kind " + frame.kind());
          assertFalse(frame.name().indexOf('\0') >= 0);
          decoded.writeBytes(frame.encode());
        }
        at += n;
      }
    } catch (CallFrameDecoder.FramingException e) {
      assertFalse(e.getMessage().isBlank());
      var again = assertThrows(CallFrameDecoder.FramingException.class, () -> decoder.feed(new byte[1], 0, 1));
      assertEquals(e.getMessage(), again.getMessage(), "a poisoned stream keeps its first error");
    }
    byte[] frames = decoded.toByteArray();
    assertTrue(frames.length <= at, "decoded more bytes than were fed");
    assertArrayEquals(Arrays.copyOf(stream, frames.length), frames, "frames re-encode to the bytes they came from");
  }
}
