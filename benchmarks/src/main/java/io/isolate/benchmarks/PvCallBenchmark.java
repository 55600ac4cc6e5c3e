package io.isolate.benchmarks;

import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Output;
import io.isolate.Workload;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * An empty call round trip on a live PARAVIRT isolate: {@code isolate.call("echo", new byte[0])} to the SDK's echo
 * example guest (booted once, in set-up), against the bare exit floor of the same VMM in the same run:
 * {@code baselineUserModeExit}, a guest loop doing {@value #EXITS} reads of a virtio-mmio register from guest user
 * mode, where PARAVIRT guests run, each an MMIO exit out of KVM_RUN dispatched in Java (as in
 * {@link VmExitBenchmark}; one call's own cost amortised). Goal: at most 10 µs median with polling, below the
 * cost of one exit.
 *
 * <p>{@code isolateEmptyCall}, with polling: the calling thread suppresses the guest's notifications on the call
 * port and spins on the transmit ring for an adaptive window (10–200 µs, like KVM's halt polling) while the guest
 * spins on its used ring, so a call on a busy isolate needs no exit at all.
 *
 * <p>{@code isolateEmptyCallBlocking}, with blocking notification ({@code -Disolate.pv.callPolling=false} for that
 * isolate): the caller waits on the reply's future at once; the guest's reply notification is a QueueNotify write
 * that KVM turns into an eventfd signal (ioeventfd, no exit), served by the machine's notification thread, which
 * completes the future and wakes the caller.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class PvCallBenchmark {
  static final int EXITS = 5000;
  private static final byte[] EMPTY = new byte[0];
  private static final byte[] COUNT = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(EXITS).array();
  private Isolate isolate;
  private Isolate blocking;
  private Isolate exits;

  @Setup
  public void setUp() {
    isolate = echo();
    isolateEmptyCall();
    blocking = echo();
    System.setProperty(io.isolate.pv.PvSettings.CALL_POLLING, "false"); // read when the isolate starts, on its first call
    try {
      isolateEmptyCallBlocking();
    } finally {
      System.clearProperty(io.isolate.pv.PvSettings.CALL_POLLING);
    }
    exits = Isolate.builder().level(IsolationLevel.PARAVIRT).workload(Workload.guestImage(Fixtures.guest("exits")))
        .stdout(Output.discard()).stderr(Output.discard()).build();
    baselineUserModeExit();
  }

  private static Isolate echo() {
    return Isolate.builder().level(IsolationLevel.PARAVIRT).workload(Workload.guestImage(Fixtures.guestExample("echo")))
        .stdout(Output.discard()).stderr(Output.discard()).build();
  }

  @TearDown
  public void tearDown() {
    isolate.close();
    blocking.close();
    exits.close();
  }

  @Benchmark
  public byte[] isolateEmptyCall() {
    return emptyCall(isolate);
  }

  @Benchmark
  public byte[] isolateEmptyCallBlocking() {
    return emptyCall(blocking);
  }

  private static byte[] emptyCall(Isolate on) {
    byte[] reply = on.call("echo", EMPTY);
    if (reply.length != 0) {
      throw new IllegalStateException("echo replied " + reply.length + " bytes to an empty call");
    }
    return reply;
  }

  @Benchmark
  @OperationsPerInvocation(EXITS)
  public byte[] baselineUserModeExit() {
    byte[] failures = exits.call("mmio", COUNT);
    if (failures.length != 4 || ByteBuffer.wrap(failures).order(ByteOrder.LITTLE_ENDIAN).getInt() != 0) {
      throw new IllegalStateException("mmio loop: unexpected reply");
    }
    return failures;
  }
}
