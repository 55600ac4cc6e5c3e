package io.isolate.benchmarks;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Output;
import io.isolate.SizeUnit;
import io.isolate.Workload;
import java.nio.file.Path;
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
 * Guest → host streaming of 64 MiB, start to exit through the public API, output discarded on the host:
 * {@code isolateParavirtConsole} runs the SDK's stream example guest (64 KiB {@code isolate_write}s onto the
 * virtio console's port 0 queue); the baseline {@code hardwareWrites} runs a static program at the HARDWARE level
 * writing the same bytes with 4 KiB {@code write(2)} calls ({@code src/main/c/vm/writes.c}), each a trapped system
 * call (16,384 of them). Both isolates get an output limit of 128 MiB. Goal: PARAVIRT at least 10x faster (a ratio
 * of at most 0.1) — the measured form of the claim that paravirtual I/O beats trap-and-emulate.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class PvStreamBenchmark {
  static final String BYTES = Integer.toString(64 << 20);
  private static final Limits LIMITS = Limits.builder().output(128, SizeUnit.MEGABYTES).build();
  private Path writes;
  private Path stream;

  @Setup
  public void setUp() {
    writes = Fixtures.executable("writes");
    stream = Fixtures.guestExample("stream");
    isolateParavirtConsole();
    hardwareWrites();
  }

  @Benchmark
  public ExitResult isolateParavirtConsole() {
    return run(IsolationLevel.PARAVIRT, Workload.guestImage(stream, BYTES));
  }

  @Benchmark
  public ExitResult hardwareWrites() {
    return run(IsolationLevel.HARDWARE, Workload.elf(writes, BYTES));
  }

  private static ExitResult run(IsolationLevel level, Workload workload) {
    try (Isolate isolate = Isolate.builder().level(level).workload(workload).limits(LIMITS)
        .stdout(Output.discard()).stderr(Output.discard()).build()) {
      ExitResult r = isolate.run();
      if (!r.isSuccess()) {
        throw new IllegalStateException(level + ": " + r);
      }
      return r;
    }
  }
}
