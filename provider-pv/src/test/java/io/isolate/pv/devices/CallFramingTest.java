package io.isolate.pv.devices;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CallFramingTest {
  private static byte[] header(int magic, int kind, int status, int id, long nameLen, long payloadLen, int reserved) {
    return ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putInt(magic).putShort((short) kind)
        .putShort((short) status).putInt(id).putInt((int) nameLen).putInt((int) payloadLen).putInt(reserved).array();
  }

  private static String failure(CallFrameDecoder decoder, byte[] bytes) {
    return assertThrows(CallFrameDecoder.FramingException.class, () -> decoder.feed(bytes, 0, bytes.length))
        .getMessage();
  }

  @Test
  void encodesTheDocumentedHeaderLayout() {
    byte[] wire = new CallFrame(CallFrame.HOST_CALL, 0, 7, "ab", new byte[] {9}).encode();
    assertArrayEquals(new byte[] {'C', 'A', 'L', 'L', 3, 0, 0, 0, 7, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
        'a', 'b', 9}, wire);
  }

  @Test
  void reassemblesFramesCutAtEveryPossiblePlace() throws Exception {
    byte[] one = new CallFrame(CallFrame.REPLY, 0, 1, "", "first".getBytes()).encode();
    byte[] two = new CallFrame(CallFrame.HOST_CALL, 0, 2, "clock", new byte[0]).encode();
    byte[] three = new CallFrame(CallFrame.REPLY, CallFrame.FAILED, 3, "", "oops".getBytes()).encode();
    ByteBuffer all = ByteBuffer.allocate(one.length + two.length + three.length).put(one).put(two).put(three);
    byte[] stream = all.array();
    for (int cut1 = 0; cut1 <= stream.length; cut1++) {
      for (int cut2 = cut1; cut2 <= stream.length; cut2 += 7) {
        CallFrameDecoder decoder = new CallFrameDecoder(1024, true);
        List<CallFrame> frames = new ArrayList<>();
        frames.addAll(decoder.feed(stream, 0, cut1));
        frames.addAll(decoder.feed(stream, cut1, cut2 - cut1));
        frames.addAll(decoder.feed(stream, cut2, stream.length - cut2));
        assertEquals(3, frames.size());
        assertArrayEquals("first".getBytes(), frames.get(0).payload());
        assertEquals("clock", frames.get(1).name());
        assertEquals(CallFrame.FAILED, frames.get(2).status());
      }
    }
  }

  @Test
  void refusesAPayloadOverTheLimitBeforeAllocatingIt() {
    String m = failure(new CallFrameDecoder(1 << 20, true), header(CallFrame.MAGIC, CallFrame.REPLY, 0, 5, 0,
        0xffff_fff0L, 0));
    assertTrue(m.contains("payload length 4294967280 exceeds the limit of 1048576"), m);
  }

  @Test
  void refusesBrokenHeadersWithTheRuleTheyBreak() {
    assertTrue(failure(new CallFrameDecoder(64, true), header(0x12345678, 2, 0, 1, 0, 0, 0))
        .contains("magic 0x12345678"));
    assertTrue(failure(new CallFrameDecoder(64, true), header(CallFrame.MAGIC, CallFrame.CALL, 0, 1, 1, 0, 0))
        .contains("kind 1 is not one the guest may send"));
    assertTrue(failure(new CallFrameDecoder(64, true), header(CallFrame.MAGIC, CallFrame.HOST_CALL, 0, 1, 0, 0, 0))
        .contains("name length 0 must be in [1, 255]"));
    assertTrue(failure(new CallFrameDecoder(64, true), header(CallFrame.MAGIC, CallFrame.HOST_CALL, 0, 1, 256, 0, 0))
        .contains("name length 256"));
    assertTrue(failure(new CallFrameDecoder(64, true), header(CallFrame.MAGIC, CallFrame.HOST_CALL, 1, 1, 3, 0, 0))
        .contains("carries status 1"));
    assertTrue(failure(new CallFrameDecoder(64, true), header(CallFrame.MAGIC, CallFrame.REPLY, 9, 1, 0, 0, 0))
        .contains("status 9 is not defined"));
    assertTrue(failure(new CallFrameDecoder(64, true), header(CallFrame.MAGIC, CallFrame.REPLY, 0, 1, 2, 0, 0))
        .contains("name length 2 must be 0"));
    assertTrue(failure(new CallFrameDecoder(64, true), header(CallFrame.MAGIC, CallFrame.REPLY, 0, 1, 0, 0, 5))
        .contains("reserved header field 0x5"));
    byte[] badName = ByteBuffer.allocate(26).put(header(CallFrame.MAGIC, CallFrame.HOST_CALL, 0, 1, 2, 0, 0))
        .put((byte) 0xc3).put((byte) 0x28).array();
    assertTrue(failure(new CallFrameDecoder(64, true), badName).contains("not UTF-8"));
  }

  @Test
  void staysPoisonedAfterTheFirstError() {
    CallFrameDecoder decoder = new CallFrameDecoder(64, true);
    String first = failure(decoder, header(1, 2, 0, 1, 0, 0, 0));
    byte[] good = new CallFrame(CallFrame.REPLY, 0, 1, "", new byte[0]).encode();
    assertEquals(first, failure(decoder, good));
  }

  @Test
  void neverThrowsAnythingButFramingErrorsOnRandomStreams() {
    Random random = new Random(8);
    for (int i = 0; i < 20_000; i++) {
      CallFrameDecoder decoder = new CallFrameDecoder(4096, random.nextBoolean());
      byte[] junk = new byte[random.nextInt(200)];
      random.nextBytes(junk);
      if (random.nextBoolean() && junk.length >= 24) {
        System.arraycopy(header(CallFrame.MAGIC, 1 + random.nextInt(4), random.nextInt(2), 1, random.nextInt(4),
            random.nextInt(64), 0), 0, junk, 0, 24);
      }
      try {
        decoder.feed(junk, 0, junk.length);
      } catch (CallFrameDecoder.FramingException expected) {
        // the only failure a stream may cause
      }
    }
  }
}
