package io.isolate.benchmarks;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Output;
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
 * HARDWARE level start to exit: build an isolate, run a static musl hello ({@code src/main/c/vm/hello.c}, one
 * write and exit 0) in a fresh VM, close it, all through the public API; against the same binary run natively as
 * a child process from Java ({@link ProcessBuilder}, waited for), output discarded in both. Goal: at most 2 ms
 * median (Hyperlight's anchor is 1–2 ms; a C prototype on this PVM host did it in 0.8 ms).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class VmStartBenchmark {
  private Path hello;

  @Setup
  public void setUp() {
    hello = Fixtures.executable("hello");
    isolate();
    nativeProcess();
  }

  @Benchmark
  public ExitResult isolate() {
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.HARDWARE).workload(Workload.elf(hello))
        .stdout(Output.discard()).stderr(Output.discard()).build()) {
      ExitResult r = isolate.run();
      if (!r.isSuccess()) {
        throw new IllegalStateException(r.toString());
      }
      return r;
    }
  }

  @Benchmark
  public int nativeProcess() {
    return Fixtures.runNatively(hello.toString());
  }
}
