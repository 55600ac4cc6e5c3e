package io.isolate.benchmarks;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Output;
import io.isolate.Workload;
import io.isolate.vm.VmProbes;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
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
 * The HARDWARE level's system-call path against the exit floor of the same VMM, in the same run, all per
 * operation ({@link OperationsPerInvocation}):
 *
 * <ul>
 *   <li>{@code isolateSystemCall}: a static program making {@value #CALLS} {@code getpid} calls
 *       ({@code src/main/c/vm/getpid.c}) through the public API, each trapped to the VMM and served by the Java
 *       Linux personality; one VM start and teardown is amortised over the calls (about 1% here);
 *   <li>{@code baselineUserModeExit}, the baseline: the bare exit floor from guest <em>user</em> mode, where
 *       programs run: a guest loop ({@code src/main/c/pv/exits.c}, on a live isolate of the same VMM) doing
 *       {@value #CALLS} reads of a virtio-mmio register, each an MMIO exit out of KVM_RUN dispatched in Java (one
 *       call's own cost, a few tens of µs, amortised);
 *   <li>{@code isolateUserModeHypercall}: the same loop with {@value #CALLS} ABI_VERSION hypercalls (port I/O);
 *   <li>{@code supervisorPortExit}, for reference: {@link VmProbes#bareExitRoundTrip}, port-I/O exits from guest
 *       <em>supervisor</em> mode. On PVM supervisor mode is emulated by the host and exits without the user-mode
 *       world switch, so this is cheaper than any exit a program can take and is not the floor a system call
 *       stands on; on VT-x both floors are about the same.
 * </ul>
 *
 * <p>Goal: a system call at most 2x a bare exit (about 30 µs and 17 µs from user mode on this PVM host in C;
 * Emulin reports 5.9 µs per system call on VT-x).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class VmExitBenchmark {
  static final int CALLS = 5000;
  private static final byte[] COUNT = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(CALLS).array();
  private Path getpid;
  private Isolate exits;

  @Setup
  public void setUp() {
    getpid = Fixtures.executable("getpid");
    exits = Isolate.builder().level(IsolationLevel.PARAVIRT).workload(Workload.guestImage(Fixtures.guest("exits")))
        .stdout(Output.discard()).stderr(Output.discard()).build();
    isolateSystemCall();
    supervisorPortExit();
    baselineUserModeExit();
    isolateUserModeHypercall();
  }

  @TearDown
  public void tearDown() {
    exits.close();
  }

  @Benchmark
  @OperationsPerInvocation(CALLS)
  public Duration supervisorPortExit() {
    return VmProbes.bareExitRoundTrip(CALLS);
  }

  @Benchmark
  @OperationsPerInvocation(CALLS)
  public ExitResult isolateSystemCall() {
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.HARDWARE)
        .workload(Workload.elf(getpid, Integer.toString(CALLS))).stdout(Output.discard()).stderr(Output.discard())
        .build()) {
      ExitResult r = isolate.run();
      if (!r.isSuccess()) {
        throw new IllegalStateException(r.toString());
      }
      return r;
    }
  }

  @Benchmark
  @OperationsPerInvocation(CALLS)
  public byte[] baselineUserModeExit() {
    return exitLoop("mmio");
  }

  @Benchmark
  @OperationsPerInvocation(CALLS)
  public byte[] isolateUserModeHypercall() {
    return exitLoop("hypercall");
  }

  private byte[] exitLoop(String kind) {
    byte[] failures = exits.call(kind, COUNT);
    if (failures.length != 4 || ByteBuffer.wrap(failures).order(ByteOrder.LITTLE_ENDIAN).getInt() != 0) {
      throw new IllegalStateException(kind + " loop: unexpected reply");
    }
    return failures;
  }
}
