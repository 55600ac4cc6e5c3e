package io.isolate.benchmarks;

import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Output;
import io.isolate.Workload;
import io.isolate.vm.VmProbes;
import java.time.Duration;
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
 * example guest (booted once, in set-up), against the bare exit floor of the same VMM in the same run
 * ({@link VmProbes#bareExitRoundTrip}, per exit: {@value #EXITS} exits per invocation, one VM start and teardown
 * amortised over them, a few % of the figure). Goal: at most 10 µs median with polling, below the cost of one exit.
 *
 * <p>With polling: the calling thread suppresses the guest's notifications on the call port and spins on the
 * transmit ring for an adaptive window (10–200 µs, like KVM's halt polling) while the guest spins on its used ring,
 * so a call on a busy isolate needs no exit at all. Guest notifications that do happen are MMIO QueueNotify exits
 * (no ioeventfd yet).
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
  private Isolate isolate;

  @Setup
  public void setUp() {
    isolate = Isolate.builder().level(IsolationLevel.PARAVIRT).workload(Workload.guestImage(Fixtures.guestExample("echo")))
        .stdout(Output.discard()).stderr(Output.discard()).build();
    isolateEmptyCall();
    bareExit();
  }

  @TearDown
  public void tearDown() {
    isolate.close();
  }

  @Benchmark
  public byte[] isolateEmptyCall() {
    byte[] reply = isolate.call("echo", EMPTY);
    if (reply.length != 0) {
      throw new IllegalStateException("echo replied " + reply.length + " bytes to an empty call");
    }
    return reply;
  }

  @Benchmark
  @OperationsPerInvocation(EXITS)
  public Duration bareExit() {
    return VmProbes.bareExitRoundTrip(EXITS);
  }
}
