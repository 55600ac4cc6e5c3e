package io.isolate.pv.hypercall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isolate.pv.virtio.QueueMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Set;

/**
 * Fuzz target: the hypercall decoder with any port access and any registers, over guest memory whose low pages
 * are reserved as at run time. It must answer every exit with a {@link Hypercall} (never throw), reject with one of
 * the ABI's errors and a reason, and copy a LOG message only from memory the guest may use, never more than the
 * ABI's cap. {@code mvn verify} replays the committed corpus; {@code .ci/fuzz} fuzzes it.
 */
class HypercallFuzzTest {
  private static final long RESERVED = 0xf000;
  private static final int SIZE = 1 << 17;
  private static final Set<Integer> ERRNOS = Set.of(HypercallAbi.EINVAL, HypercallAbi.ENOSYS, HypercallAbi.EFAULT);

  /**
   * The input: u16 port (0 for the hypercall port), u8 access width, u8 direction (0 = out), u32 number, the five
   * registers as little-endian u64, then guest memory from the first usable page.
   */
  @FuzzTest
  void everyExitDecodesToAHypercall(byte[] input) {
    ByteBuffer in = ByteBuffer.wrap(Arrays.copyOf(input, Math.max(input.length, HEADER))).order(ByteOrder.LITTLE_ENDIAN);
    int rawPort = in.getShort() & 0xffff;
    int port = rawPort == 0 ? HypercallAbi.PORT : rawPort;
    int size = in.get() & 0xff;
    boolean write = in.get() == 0;
    int number = in.getInt();
    HypercallDecoder.Registers regs = new HypercallDecoder.Registers(number, in.getLong(), in.getLong(), in.getLong(),
        in.getLong());
    in.getLong(); // a fifth register the ABI does not read (r8): kept so inputs stay aligned
    QueueMemory memory = QueueMemory.wrap(ByteBuffer.allocate(SIZE), RESERVED);
    int contents = Math.min(in.remaining(), SIZE - (int) RESERVED);
    memory.write(RESERVED, in.array(), in.position(), contents);

    Hypercall call = new HypercallDecoder(memory).decode(port, size, write, number, regs);

    assertNotNull(call);
    if (call instanceof Hypercall.Rejected rejected) {
      assertTrue(ERRNOS.contains(rejected.errno()), "errno " + rejected.errno());
      assertFalse(rejected.reason().isBlank());
    } else {
      assertEquals(HypercallAbi.PORT, port, "only the hypercall port decodes to a call");
    }
    if (call instanceof Hypercall.Log log) {
      assertTrue(log.message().length <= HypercallAbi.MAX_LOG_BYTES);
      assertTrue(memory.contains(regs.rsi(), log.message().length), "LOG read from memory the guest cannot use");
    }
    if (call instanceof Hypercall.Exit exit) {
      assertTrue(exit.code() >= 0 && exit.code() <= 255);
    }
  }

  private static final int HEADER = 2 + 1 + 1 + 4 + 5 * 8;
}
