package io.isolate.benchmarks;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Output;
import io.isolate.Workload;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Create → first call → close of a PARAVIRT isolate (the SDK's echo guest booted, its devices set up, one 5-byte
 * call answered, the VM torn down), against the baseline {@code hardwareHello}: the HARDWARE level's create → static
 * musl hello → exit → close ({@link VmStartBenchmark}'s work) in the same run. The baseline is the nearest
 * equivalent through the same public API and the same KVM VMM — a fresh VM, a guest that runs and talks to the host
 * once, a full teardown — so the ratio is what PARAVIRT's device set-up and call channel add to a VM start (a bare
 * VM create alone is not reachable through the API). Goal: at most 2 ms median.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class PvStartBenchmark {
  private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);
  private Path echo;
  private Path hello;

  @Setup
  public void setUp() {
    echo = Fixtures.guestExample("echo");
    hello = Fixtures.executable("hello");
    isolate();
    hardwareHello();
  }

  @Benchmark
  public byte[] isolate() {
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.PARAVIRT).workload(Workload.guestImage(echo))
        .stdout(Output.discard()).stderr(Output.discard()).build()) {
      byte[] reply = isolate.call("echo", HELLO);
      if (!Arrays.equals(reply, HELLO)) {
        throw new IllegalStateException("echo replied " + new String(reply, StandardCharsets.US_ASCII));
      }
      return reply;
    }
  }

  @Benchmark
  public ExitResult hardwareHello() {
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.HARDWARE).workload(Workload.elf(hello))
        .stdout(Output.discard()).stderr(Output.discard()).build()) {
      ExitResult r = isolate.run();
      if (!r.isSuccess()) {
        throw new IllegalStateException(r.toString());
      }
      return r;
    }
  }
}
