package io.isolate.benchmarks;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.SizeUnit;
import io.isolate.Workload;
import java.io.IOException;
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
 * OS level start to exit of {@code /bin/true} through the Java API, with every namespace and a pids and memory
 * limit, against {@code bwrap --unshare-all --ro-bind / / /bin/true} launched from Java the same way (a child
 * process, waited for). Goal: at most 1.5x bwrap.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ContainerStartBenchmark {
  private static final Limits LIMITS = Limits.builder().memory(64, SizeUnit.MEGABYTES).pids(32).build();

  @Setup
  public void setUp() throws Exception {
    isolate();
    bwrap();
  }

  @Benchmark
  public ExitResult isolate() {
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.OS).workload(Workload.command("/bin/true"))
        .limits(LIMITS).build()) {
      ExitResult r = isolate.run();
      if (!r.isSuccess()) {
        throw new IllegalStateException(r.toString());
      }
      return r;
    }
  }

  @Benchmark
  public int bwrap() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("bwrap", "--unshare-all", "--ro-bind", "/", "/", "/bin/true")
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    int code = p.waitFor();
    if (code != 0) {
      throw new IllegalStateException("bwrap exited " + code);
    }
    return code;
  }
}
