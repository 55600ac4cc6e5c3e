package io.isolate.benchmarks;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolateNetwork;
import io.isolate.IsolationLevel;
import io.isolate.Workload;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a member of a network of isolates costs at start: an OS isolate running {@code /bin/true} as a member of an
 * {@link IsolateNetwork} (its own network namespace, a veth pair on the network's bridge, an address, a hosts file),
 * create to close, against the same isolate with a network namespace of its own and no network (the baseline).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class NetworkMemberBenchmark {
  private IsolateNetwork network;

  @Setup
  public void setUp() {
    network = IsolateNetwork.create();
    isolateMember();
    alone();
  }

  @TearDown
  public void tearDown() {
    network.close();
  }

  private static ExitResult run(Isolate.Builder builder) {
    try (Isolate isolate = builder.build()) {
      ExitResult r = isolate.run();
      if (!r.isSuccess()) {
        throw new IllegalStateException(r.toString());
      }
      return r;
    }
  }

  @Benchmark
  public ExitResult isolateMember() {
    return run(Isolate.builder().level(IsolationLevel.OS).workload(Workload.command("/bin/true"))
        .network(network, "member"));
  }

  @Benchmark
  public ExitResult alone() {
    return run(Isolate.builder().level(IsolationLevel.OS).workload(Workload.command("/bin/true")));
  }
}
