package io.isolate.pv.hypercall;

import static io.isolate.pv.hypercall.HypercallAbi.PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.pv.virtio.QueueMemory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HypercallDecoderTest {
  private final QueueMemory memory = QueueMemory.wrap(ByteBuffer.allocate(1 << 16));
  private final HypercallDecoder decoder = new HypercallDecoder(memory);

  private Hypercall call(int number, long rdi, long rsi, long rdx) {
    return decoder.decode(PORT, 4, true, number, new HypercallDecoder.Registers(number, rdi, rsi, rdx, 0));
  }

  private Hypercall.Rejected rejected(Hypercall h, int errno, String reasonPart) {
    Hypercall.Rejected r = assertInstanceOf(Hypercall.Rejected.class, h);
    assertEquals(errno, r.errno(), r.reason());
    assertEquals(-errno, r.rax());
    assertTrue(r.reason().contains(reasonPart), r.reason());
    return r;
  }

  @Test
  void decodesExitWithItsCode() {
    assertEquals(new Hypercall.Exit(3), call(HypercallAbi.EXIT, 3, 0, 0));
    rejected(call(HypercallAbi.EXIT, 256, 0, 0), HypercallAbi.EINVAL, "EXIT code 256 must be in [0, 255]");
    rejected(call(HypercallAbi.EXIT, -1, 0, 0), HypercallAbi.EINVAL, "EXIT code -1");
  }

  @Test
  void decodesWaitForEventWithTimeoutPollOrForever() {
    assertEquals(new Hypercall.WaitForEvent(1_000_000), call(HypercallAbi.WAIT_FOR_EVENT, 1_000_000, 0, 0));
    assertEquals(new Hypercall.WaitForEvent(0), call(HypercallAbi.WAIT_FOR_EVENT, 0, 0, 0));
    assertEquals(new Hypercall.WaitForEvent(-1), call(HypercallAbi.WAIT_FOR_EVENT, -1, 0, 0));
    rejected(call(HypercallAbi.WAIT_FOR_EVENT, -2, 0, 0), HypercallAbi.EINVAL, "exceeds 2^63-1");
    rejected(call(HypercallAbi.WAIT_FOR_EVENT, 5, 1, 0), HypercallAbi.EINVAL, "flags 0x1 must be 0");
  }

  @Test
  void copiesLogMessagesOutOfGuestMemory() {
    byte[] text = "hello from the guest".getBytes(StandardCharsets.UTF_8);
    memory.write(0x100, text, 0, text.length);
    Hypercall.Log log = assertInstanceOf(Hypercall.Log.class, call(HypercallAbi.LOG, 2, 0x100, text.length));
    assertEquals(Hypercall.Level.WARN, log.level());
    assertEquals("hello from the guest", log.text());
    assertEquals("", ((Hypercall.Log) call(HypercallAbi.LOG, 0, 0x100, 0)).text());
  }

  @Test
  void refusesLogBuffersOutsideMemoryOrTooLongOrBadLevels() {
    rejected(call(HypercallAbi.LOG, 1, memory.size() - 4, 8), HypercallAbi.EFAULT, "outside guest memory of 65536");
    rejected(call(HypercallAbi.LOG, 1, -8, 8), HypercallAbi.EFAULT, "0xfffffffffffffff8+8");
    rejected(call(HypercallAbi.LOG, 1, 0, 4097), HypercallAbi.EINVAL, "exceeds 4096 bytes");
    rejected(call(HypercallAbi.LOG, 1, 0, -1), HypercallAbi.EINVAL, "18446744073709551615");
    rejected(call(HypercallAbi.LOG, 4, 0, 1), HypercallAbi.EINVAL, "LOG level 4");
  }

  @Test
  void decodesClockIds() {
    assertEquals(new Hypercall.Clock(Hypercall.ClockId.REALTIME), call(HypercallAbi.CLOCK, 0, 0, 0));
    assertEquals(new Hypercall.Clock(Hypercall.ClockId.MONOTONIC), call(HypercallAbi.CLOCK, 1, 0, 0));
    rejected(call(HypercallAbi.CLOCK, 2, 0, 0), HypercallAbi.EINVAL, "CLOCK id 2");
  }

  @Test
  void reportsTheAbiVersion() {
    assertEquals(new Hypercall.AbiVersion(), call(HypercallAbi.ABI_VERSION, 0, 0, 0));
  }

  @Test
  void refusesUnknownNumbersWrongWidthsDirectionsAndPorts() {
    rejected(call(0, 0, 0, 0), HypercallAbi.ENOSYS, "hypercall number 0 is not defined");
    rejected(call(-1, 0, 0, 0), HypercallAbi.ENOSYS, "4294967295");
    var regs = new HypercallDecoder.Registers(1, 0, 0, 0, 0);
    rejected(decoder.decode(PORT, 1, true, 1, regs), HypercallAbi.EINVAL, "out of 1 bytes");
    rejected(decoder.decode(PORT, 4, false, 0, regs), HypercallAbi.EINVAL, "in of 4 bytes");
    rejected(decoder.decode(0x3f8, 4, true, 1, regs), HypercallAbi.EINVAL, "port 0x3f8");
  }

  @Test
  void neverThrowsOnRandomRegisters() {
    Random random = new Random(5);
    for (int i = 0; i < 200_000; i++) {
      long[] r = random.longs(5).toArray();
      if (random.nextBoolean()) {
        r[2] = random.nextInt(1 << 17);
        r[3] = random.nextInt(5000);
      }
      assertNotNull(decoder.decode(random.nextInt(8) == 0 ? random.nextInt(0x10000) : PORT,
          random.nextInt(8) == 0 ? 1 << random.nextInt(3) : 4, random.nextInt(8) != 0,
          random.nextInt(8) == 0 ? r[0] : random.nextInt(7),
          new HypercallDecoder.Registers(r[0], random.nextInt(300) - 20, r[2], r[3], r[4])));
    }
  }
}
